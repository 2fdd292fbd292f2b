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
