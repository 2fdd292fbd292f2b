# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""sbd_device with recorded sbd and wipefs answers, exact commands: read, plan, write, read again."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hastorage.cluster.plugins.modules import sbd_device
from ansible_collections.hastorage.cluster.tests.unit.fake_runner import run_module
from ansible_collections.hastorage.cluster.tests.unit.plugins.module_utils.test_sbd import (
    DUMP_NONE_ERR,
    DUMP_NONE_OUT,
    DUMP_OK,
    WIPEFS_EXT4,
    WIPEFS_NONE,
)

DEV = "/dev/mapper/sbd1"
DUMP = {"command": ["sbd", "-d", DEV, "dump"], "out": DUMP_OK}
NO_HEADER = {"command": ["sbd", "-d", DEV, "dump"], "rc": 1, "out": DUMP_NONE_OUT, "err": DUMP_NONE_ERR}
WIPEFS = {"command": ["wipefs", "--no-act", "--json", DEV], "out": WIPEFS_NONE}
CREATE = {"command": ["sbd", "-d", DEV, "-1", "5", "-4", "10", "create"], "out": "Device %s is initialized.\n" % DEV}


def devices(monkeypatch, present=(DEV,), blank=True):
    monkeypatch.setattr(sbd_device, "is_block_device", lambda path: path in present)
    monkeypatch.setattr(sbd_device, "read_start", lambda path: blank)


def test_a_blank_device_gets_a_header_and_is_read_back(monkeypatch):
    devices(monkeypatch)
    result = run_module(sbd_device.main, {"devices": [DEV], "initialize": True}, diff=True,
                        commands=[NO_HEADER, WIPEFS, CREATE, DUMP], monkeypatch=monkeypatch)
    assert result["changed"] is True and not result.get("failed")
    assert result["devices"][0]["action"] == "create" and result["devices"][0]["header"]["msgwait_timeout"] == 10
    assert result["diff"] == {"before": "%s: no SBD header, holds nothing (all zero)\n" % DEV,
                              "after": "%s: SBD header, watchdog 5s, msgwait 10s\n" % DEV}


def test_check_mode_plans_and_writes_nothing(monkeypatch):
    devices(monkeypatch)
    result = run_module(sbd_device.main, {"devices": [DEV], "initialize": True}, check_mode=True,
                        commands=[NO_HEADER, WIPEFS], monkeypatch=monkeypatch)
    assert result["changed"] is True and result["devices"][0]["action"] == "create"
    assert not any("create" in command for command in result["_commands"])


def test_a_device_with_the_header_is_left_alone(monkeypatch):
    devices(monkeypatch)
    result = run_module(sbd_device.main, {"devices": [DEV], "initialize": True, "msgwait_timeout": 10},
                        commands=[DUMP], monkeypatch=monkeypatch)
    assert result["changed"] is False and result["devices"][0]["header"]["watchdog_timeout"] == 5


def test_a_filesystem_is_refused_before_anything_is_written(monkeypatch):
    devices(monkeypatch)
    result = run_module(sbd_device.main, {"devices": [DEV], "initialize": True},
                        commands=[NO_HEADER, dict(WIPEFS, out=WIPEFS_EXT4)], monkeypatch=monkeypatch)
    assert result["failed"] and "ext4 at 0x438" in result["msg"] and "overwrite" in result["msg"]


def test_data_without_a_signature_is_refused(monkeypatch):
    devices(monkeypatch, blank=False)
    result = run_module(sbd_device.main, {"devices": [DEV], "initialize": True},
                        commands=[NO_HEADER, WIPEFS], monkeypatch=monkeypatch)
    assert result["failed"] and "non-zero bytes" in result["msg"]


def test_other_timeouts_are_rewritten_only_for_a_device_in_overwrite(monkeypatch):
    devices(monkeypatch)
    other = dict(DUMP, out=DUMP_OK.replace("msgwait)  : 10", "msgwait)  : 4"))
    refused = run_module(sbd_device.main, {"devices": [DEV], "initialize": True},
                         commands=[other], monkeypatch=monkeypatch)
    assert refused["failed"] and "clears every node's slot" in refused["msg"]
    done = run_module(sbd_device.main, {"devices": [DEV], "initialize": True, "overwrite": [DEV]},
                      commands=[other, CREATE, DUMP], monkeypatch=monkeypatch)
    assert done["changed"] and done["devices"][0]["action"] == "recreate"


def test_without_initialize_a_device_without_header_fails(monkeypatch):
    devices(monkeypatch)
    result = run_module(sbd_device.main, {"devices": [DEV]}, commands=[NO_HEADER, WIPEFS], monkeypatch=monkeypatch)
    assert result["failed"] and "it is blank" in result["msg"] and "pacemaker_sbd_device_setup" in result["msg"]


def test_a_header_that_does_not_read_back_fails(monkeypatch):
    devices(monkeypatch)
    result = run_module(sbd_device.main, {"devices": [DEV], "initialize": True},
                        commands=[NO_HEADER, WIPEFS, CREATE, NO_HEADER], monkeypatch=monkeypatch)
    assert result["failed"] and "read back" in result["msg"]


def test_bad_input_is_refused_before_any_command(monkeypatch):
    devices(monkeypatch, present=(DEV,))
    for args, words in (
            ({"devices": []}, "at least one"),
            ({"devices": [DEV, DEV]}, "twice"),
            ({"devices": [DEV], "overwrite": ["/dev/sdz"]}, "not in devices"),
            ({"devices": ["/dev/sdz"]}, "not a block device"),
            ({"devices": [DEV], "watchdog_timeout": 5, "msgwait_timeout": 6}, "at least twice"),
            ({"devices": [DEV], "watchdog_timeout": 0}, "at least 1 second")):
        result = run_module(sbd_device.main, args, commands=[], monkeypatch=monkeypatch)
        assert result["failed"] and words in result["msg"], (args, result["msg"])
        assert result["_commands"] == []


def test_missing_tools_are_named(monkeypatch):
    devices(monkeypatch)
    result = run_module(sbd_device.main, {"devices": [DEV]}, commands=[], missing_binaries=("sbd",),
                        monkeypatch=monkeypatch)
    assert result["failed"] and "install sbd" in result["msg"]
