# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""multipath_info against the recorded multipathd answers, with exact commands."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.hastorage.cluster.plugins.modules import multipath_info
from ansible_collections.hastorage.cluster.tests.unit.fake_runner import run_module

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "multipath")
LUN1 = "360014056b3e2a1000014a00800000000"
LUN2 = "360014056b3e2a1000024a00800000000"
SHOW = ["multipathd", "show", "maps", "json"]


def fixture(name):
    with open(os.path.join(FIX, name)) as f:
        return f.read()


def fake_sysfs(monkeypatch, tmp_path, sizes):
    for dm, sectors in sizes.items():
        (tmp_path / dm).mkdir()
        (tmp_path / dm / "size").write_text("%d\n" % sectors)
    monkeypatch.setattr(multipath_info, "SYSFS_BLOCK", str(tmp_path))


def test_every_map_with_size(monkeypatch, tmp_path):
    fake_sysfs(monkeypatch, tmp_path, {"dm-0": 524288})
    result = run_module(multipath_info.main, {}, commands=[
        {"command": SHOW, "out": fixture("maps-one-path-down.json")}], monkeypatch=monkeypatch)
    assert result["changed"] is False and not result.get("failed")
    assert sorted(result["maps"]) == [LUN1, LUN2] and result["missing"] == []
    assert result["maps"][LUN1]["size"] == 268435456
    assert result["maps"][LUN2]["size"] is None          # no sysfs entry for dm-1 here
    assert result["maps"][LUN1]["usable_paths"] == 1


def test_filter_and_missing_in_check_mode(monkeypatch, tmp_path):
    fake_sysfs(monkeypatch, tmp_path, {})
    other = "3" + "a" * 32
    result = run_module(multipath_info.main, {"wwid": [LUN2, other]}, check_mode=True, commands=[
        {"command": SHOW, "out": fixture("maps-all-up.json")}], monkeypatch=monkeypatch)
    assert list(result["maps"]) == [LUN2] and result["missing"] == [other]
    assert result["maps"][LUN2]["alias"] == "lun2"


def test_daemon_not_running(monkeypatch):
    result = run_module(multipath_info.main, {}, commands=[
        {"command": SHOW, "rc": 1, "out": "", "err": ""}], monkeypatch=monkeypatch)
    assert result["failed"] and "is multipathd.service running" in result["msg"]
    assert result["rc"] == 1


def test_bad_wwid_refused_before_any_command(monkeypatch):
    result = run_module(multipath_info.main, {"wwid": ["/dev/sda"]}, commands=[], monkeypatch=monkeypatch)
    assert result["failed"] and "'/dev/sda'" in result["msg"] and result["_commands"] == []


def test_not_installed(monkeypatch):
    result = run_module(multipath_info.main, {}, commands=[], missing_binaries=["multipathd"],
                        monkeypatch=monkeypatch)
    assert result["failed"] and "install multipath-tools" in result["msg"]


def fake_scsi(monkeypatch, tmp_path, disks):
    """disks: {dev: (dev_t, state, ID_SERIAL or None)} under a fake /sys/block and /run/udev/data."""
    sysfs, udev = tmp_path / "sys", tmp_path / "udev"
    sysfs.mkdir()
    udev.mkdir()
    for dev, (dev_t, state, serial) in disks.items():
        (sysfs / dev / "device").mkdir(parents=True)
        (sysfs / dev / "dev").write_text(dev_t + "\n")
        (sysfs / dev / "device" / "state").write_text(state + "\n")
        if serial is not None:
            (udev / ("b" + dev_t)).write_text("S:disk/by-id/scsi-%s\nE:ID_SCSI=1\nE:ID_SERIAL=%s\nE:ID_BUS=scsi\n"
                                              % (serial, serial))
    monkeypatch.setattr(multipath_info, "SYSFS_BLOCK", str(sysfs))
    monkeypatch.setattr(multipath_info, "UDEV_DATA", str(udev))


def test_scsi_disks_without_multipathd(monkeypatch, tmp_path):
    fake_scsi(monkeypatch, tmp_path, {
        "sda": ("8:0", "running", LUN1), "sdb": ("8:16", "running", LUN2),
        "sdc": ("8:32", "transport-offline", LUN1), "sdd": ("8:48", "running", LUN2),
        "sde": ("8:64", "running", None),           # udev has not seen it yet
        "vda": ("254:0", "running", "other")})      # not a SCSI disk
    result = run_module(multipath_info.main, {"maps": False, "scsi_disks": True}, commands=[],
                        monkeypatch=monkeypatch)
    assert result["_commands"] == [] and result["maps"] == {} and result["missing"] == []
    assert result["scsi_disks"] == {
        LUN1: [{"dev": "sda", "dev_t": "8:0", "state": "running", "usable": True},
               {"dev": "sdc", "dev_t": "8:32", "state": "transport-offline", "usable": False}],
        LUN2: [{"dev": "sdb", "dev_t": "8:16", "state": "running", "usable": True},
               {"dev": "sdd", "dev_t": "8:48", "state": "running", "usable": True}]}


def test_scsi_disks_filtered_with_maps(monkeypatch, tmp_path):
    fake_scsi(monkeypatch, tmp_path, {"sda": ("8:0", "running", LUN1.upper()), "sdaa": ("65:160", "running", LUN2)})
    result = run_module(multipath_info.main, {"wwid": [LUN1], "scsi_disks": True}, commands=[
        {"command": SHOW, "out": fixture("maps-all-up.json")}], monkeypatch=monkeypatch)
    assert list(result["scsi_disks"]) == [LUN1]          # upper-case ID_SERIAL read as multipath prints it
    assert list(result["maps"]) == [LUN1]


def test_no_scsi_disks_key_unless_asked(monkeypatch, tmp_path):
    fake_sysfs(monkeypatch, tmp_path, {})
    result = run_module(multipath_info.main, {}, commands=[
        {"command": SHOW, "out": fixture("maps-all-up.json")}], monkeypatch=monkeypatch)
    assert "scsi_disks" not in result
