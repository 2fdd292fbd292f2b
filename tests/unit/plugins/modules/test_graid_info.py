# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hastorage.cluster.plugins.modules import graid_info
from ansible_collections.hastorage.cluster.tests.unit.fake_runner import run_module
from ansible_collections.hastorage.cluster.tests.unit.fixtures.graid.helpers import out, query


def everything(pd, dg, vd, lic="desc-lic.out", cx="ls-cx.out"):
    return [
        {"command": ["graidctl", "version"], "out": out("version.out")},
        query(["ls", "cx"], cx), query(["desc", "lic"], lic), query(["ls", "pd"], pd), query(["ls", "dg"], dg),
        query(["ls", "vd"], vd), query(["ls", "nd"], "ls-nd-empty.out"), query(["ls", "sd"], "ls-sd-empty.out"),
    ]


def test_healthy(monkeypatch):
    result = run_module(graid_info.main, {}, everything("ls-pd-raid5.out", "ls-dg-two-vd.out", "ls-vd-two.out"),
                        monkeypatch=monkeypatch)
    assert result["changed"] is False and result["healthy"] is True and result["problems"] == []
    assert result["version"] == "1.7.2"
    assert result["drive_groups"][0]["members"] == [0, 1, 2]
    assert result["license"]["controllers"] == {"0": "APPLIED"}


def test_degraded_group_reported(monkeypatch):
    result = run_module(graid_info.main, {}, everything("ls-pd-degraded.out", "ls-dg-degraded.out",
                                                        "ls-vd-degraded.out"), check_mode=True,
                        monkeypatch=monkeypatch)
    assert result["healthy"] is False
    assert result["drive_groups"][0]["state"] == "DEGRADED"
    assert "drive group 0 is DEGRADED" in result["problems"]
    assert "physical drive 0 is FAILED" in result["problems"]


def test_rebuild_reported(monkeypatch):
    result = run_module(graid_info.main, {}, everything("ls-pd-rebuild.out", "ls-dg-recovery.out", "ls-vd-two.out"),
                        monkeypatch=monkeypatch)
    assert "drive group 0 is RECOVERY" in result["problems"]
    assert "physical drive 3 is REBUILD" in result["problems"]


def test_unlicensed_reported(monkeypatch):
    result = run_module(graid_info.main, {}, everything("ls-pd-empty.out", "ls-dg-empty.out", "ls-vd-empty.out",
                                                        lic="desc-lic-unlicensed.out", cx="ls-cx-unlicensed.out"),
                        monkeypatch=monkeypatch)
    assert result["problems"] == ["controller 0 is OFFLINE", "controller 0 license is UNLICENSED"]


def test_subset(monkeypatch):
    result = run_module(graid_info.main, {"gather": ["drive_groups"]}, [
        {"command": ["graidctl", "version"], "out": out("version.out")},
        query(["ls", "pd"], "ls-pd-degraded.out"), query(["ls", "dg"], "ls-dg-degraded.out")],
        monkeypatch=monkeypatch)
    assert "controllers" not in result and result["problems"] == ["drive group 0 is DEGRADED"]


def test_output_it_does_not_understand(monkeypatch):
    result = run_module(graid_info.main, {"gather": ["drive_groups"]}, [
        {"command": ["graidctl", "version"], "out": out("version.out")},
        query(["ls", "pd"], "ls-pd-raid5.out"),
        {"command": ["graidctl", "ls", "dg", "--format", "json"], "out": '{"Result": [{"DgId": 0, "State": "X"}]}'}],
        monkeypatch=monkeypatch)
    assert result["failed"] and "graidctl ls dg: a drive group has no 'Mode' key" in result["msg"]
