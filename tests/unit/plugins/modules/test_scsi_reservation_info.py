# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""scsi_reservation_info with recorded sg_persist / mpathpersist answers, exact commands."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hastorage.cluster.plugins.modules import scsi_reservation_info
from ansible_collections.hastorage.cluster.tests.unit.fake_runner import run_module
from ansible_collections.hastorage.cluster.tests.unit.plugins.module_utils.test_scsi_pr import (
    MP_KEYS,
    MP_RESERVATION,
    SG_KEYS,
    SG_RESERVATION,
)


def block_devices(monkeypatch, present):
    monkeypatch.setattr(scsi_reservation_info, "is_block_device", lambda path: path in present)


def test_sg_persist_reads_keys_then_reservation(monkeypatch):
    block_devices(monkeypatch, {"/dev/mapper/s", "/dev/vdb"})
    result = run_module(scsi_reservation_info.main, {"devices": ["/dev/mapper/s", "/dev/vdb", "/dev/sdz"]},
                        check_mode=True, commands=[
                            {"command": ["sg_persist", "--in", "--no-inquiry", "--read-keys", "/dev/mapper/s"],
                             "out": SG_KEYS},
                            {"command": ["sg_persist", "--in", "--no-inquiry", "--read-reservation", "/dev/mapper/s"],
                             "out": SG_RESERVATION},
                            {"command": ["sg_persist", "--in", "--no-inquiry", "--read-keys", "/dev/vdb"],
                             "rc": 5, "err": "PR in (Read keys): command not supported\n"}],
                        monkeypatch=monkeypatch)
    assert result["changed"] is False and not result.get("failed")
    first, second, third = result["devices"]
    assert first["supported"] and first["keys"][0] == "93ed7888" and first["reservation"]["key"] == "93ed7888"
    assert not second["supported"] and "command not supported" in second["error"]
    assert not third["exists"] and not third["supported"]


def test_mpathpersist(monkeypatch):
    block_devices(monkeypatch, {"/dev/mapper/m"})
    result = run_module(scsi_reservation_info.main, {"devices": ["/dev/mapper/m"], "tool": "mpathpersist"}, commands=[
        {"command": ["mpathpersist", "--in", "--read-keys", "--device=/dev/mapper/m"], "out": MP_KEYS},
        {"command": ["mpathpersist", "--in", "--read-reservation", "--device=/dev/mapper/m"], "out": MP_RESERVATION}],
        monkeypatch=monkeypatch)
    assert result["devices"][0]["keys"] == ["2", "2", "3", "1", "3", "1"]
    assert result["devices"][0]["reservation"] == {"key": "2", "type": "Write Exclusive, registrants only"}


def test_empty_device_list_is_refused_before_any_command(monkeypatch):
    result = run_module(scsi_reservation_info.main, {"devices": []}, commands=[], monkeypatch=monkeypatch)
    assert result["failed"] and result["msg"] == "devices must name at least one block device"
    assert result["_commands"] == []
