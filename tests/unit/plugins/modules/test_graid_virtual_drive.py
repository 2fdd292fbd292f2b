# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.hastorage.cluster.plugins.modules import graid_virtual_drive
from ansible_collections.hastorage.cluster.tests.unit.fake_runner import run_module
from ansible_collections.hastorage.cluster.tests.unit.fixtures.graid.helpers import (
    change,
    point_checker_at,
    pvs,
    query,
)

GiB = 1024 ** 3


def test_create_two(monkeypatch):
    result = run_module(graid_virtual_drive.main, {"drive_group": 0, "count": 2, "size": "100G"}, [
        query(["ls", "dg"], "ls-dg-optimal.out"), query(["ls", "vd"], "ls-vd-empty.out"),
        change(["create", "vd", "0", "100G"], "Create virtual drive VD0"),
        change(["create", "vd", "0", "100G"], "Create virtual drive VD1"),
        query(["ls", "vd"], "ls-vd-two.out"),
    ], diff=True, monkeypatch=monkeypatch)
    assert result["changed"] is True
    assert result["devices"] == ["/dev/gdg0n1", "/dev/gdg0n2"]
    assert result["diff"]["before"] == {"virtual_drives": []}
    assert [v["size"] for v in result["virtual_drives"]] == [100 * GiB, 100 * GiB]


def test_create_missing_one(monkeypatch):
    result = run_module(graid_virtual_drive.main, {"drive_group": 0, "count": 2, "size": "102400M"}, [
        query(["ls", "dg"], "ls-dg-one-vd.out"), query(["ls", "vd"], "ls-vd-one.out"),
        change(["create", "vd", "0", "100G"], "Create virtual drive VD1"),
        query(["ls", "vd"], "ls-vd-two.out"),
    ], monkeypatch=monkeypatch)
    assert result["changed"] is True and result["commands"] == ["graidctl create vd 0 100G"]


def test_rest_of_the_group(monkeypatch):
    result = run_module(graid_virtual_drive.main, {"drive_group": 0}, [
        query(["ls", "dg"], "ls-dg-optimal.out"), query(["ls", "vd"], "ls-vd-empty.out"),
        change(["create", "vd", "0"], "Create virtual drive VD0"),
        query(["ls", "vd"], "ls-vd-one.out"),
    ], monkeypatch=monkeypatch)
    assert result["changed"] is True and result["devices"] == ["/dev/gdg0n1"]


def test_present_is_unchanged(monkeypatch):
    result = run_module(graid_virtual_drive.main, {"drive_group": 0, "count": 2, "size": "100G"}, [
        query(["ls", "dg"], "ls-dg-two-vd.out"), query(["ls", "vd"], "ls-vd-two.out")], monkeypatch=monkeypatch)
    assert result["changed"] is False and result["devices"] == ["/dev/gdg0n1", "/dev/gdg0n2"]
    assert result["size_mismatch"] == []


def test_size_mismatch_of_existing_warns(monkeypatch):
    result = run_module(graid_virtual_drive.main, {"drive_group": 0, "count": 2, "size": "200G"}, [
        query(["ls", "dg"], "ls-dg-two-vd.out"), query(["ls", "vd"], "ls-vd-two.out")], monkeypatch=monkeypatch)
    assert result["changed"] is False
    assert result["size_mismatch"] == [0, 1]


def test_check_mode(monkeypatch):
    result = run_module(graid_virtual_drive.main, {"drive_group": 0, "count": 2, "size": "100G"}, [
        query(["ls", "dg"], "ls-dg-one-vd.out"), query(["ls", "vd"], "ls-vd-one.out")], check_mode=True, diff=True,
        monkeypatch=monkeypatch)
    assert result["changed"] is True and result["commands"] == ["graidctl create vd 0 100G"]
    assert len(result["diff"]["after"]["virtual_drives"]) == 2 and result["devices"] == ["/dev/gdg0n1"]


@pytest.mark.parametrize("args, fixtures, words", [
    ({"drive_group": 0, "count": 1, "size": "100T"}, ("ls-dg-optimal.out", "ls-vd-empty.out"),
     "has only 7681511964672 bytes free"),
    ({"drive_group": 0, "count": 1, "size": "100G"}, ("ls-dg-two-vd.out", "ls-vd-two.out"), "never deletes"),
    ({"drive_group": 0, "count": 3}, ("ls-dg-optimal.out", "ls-vd-empty.out"), "no size was given"),
])
def test_refused_before_create(monkeypatch, args, fixtures, words):
    result = run_module(graid_virtual_drive.main, args, [
        query(["ls", "dg"], fixtures[0]), query(["ls", "vd"], fixtures[1])], monkeypatch=monkeypatch)
    assert result["failed"] and words in result["msg"]
    assert len(result["_commands"]) == 2


def test_unknown_group(monkeypatch):
    result = run_module(graid_virtual_drive.main, {"drive_group": 4}, [query(["ls", "dg"], "ls-dg-optimal.out")],
                        monkeypatch=monkeypatch)
    assert result["failed"] and "drive group 4 not found (graidctl ls dg knows 0)" in result["msg"]


def test_delete_one(monkeypatch, tmp_path):
    point_checker_at(monkeypatch, tmp_path)
    result = run_module(graid_virtual_drive.main, {"drive_group": 0, "vd_id": 1, "state": "absent",
                                                   "confirm_destroy": True}, [
        query(["ls", "dg"], "ls-dg-two-vd.out"), query(["ls", "vd"], "ls-vd-two.out"), pvs(),
        change(["del", "vd", "0", "1", "--confirm-to-delete"], "Delete virtual drive"),
        query(["ls", "vd"], "ls-vd-one.out")], diff=True, monkeypatch=monkeypatch)
    assert result["changed"] is True and result["devices"] == ["/dev/gdg0n1"]


def test_delete_refused_without_confirm(monkeypatch, tmp_path):
    point_checker_at(monkeypatch, tmp_path)
    result = run_module(graid_virtual_drive.main, {"drive_group": 0, "state": "absent"}, [
        query(["ls", "dg"], "ls-dg-two-vd.out"), query(["ls", "vd"], "ls-vd-two.out")], monkeypatch=monkeypatch)
    assert result["failed"] and "confirm_destroy=true" in result["msg"]


def test_delete_refused_while_open(monkeypatch, tmp_path):
    proc, _sysb = point_checker_at(monkeypatch, tmp_path)
    (proc / "77" / "fd").mkdir(parents=True)
    os.symlink("/dev/gdg0n2", str(proc / "77" / "fd" / "5"))
    (proc / "77" / "comm").write_text("dd\n")
    result = run_module(graid_virtual_drive.main, {"drive_group": 0, "state": "absent", "confirm_destroy": True}, [
        query(["ls", "dg"], "ls-dg-two-vd.out"), query(["ls", "vd"], "ls-vd-two.out"), pvs()],
        monkeypatch=monkeypatch)
    assert result["failed"] and "/dev/gdg0n2 is held open by process 77 (dd)" in result["msg"]


def test_delete_nothing_there(monkeypatch):
    result = run_module(graid_virtual_drive.main, {"drive_group": 0, "state": "absent", "confirm_destroy": True}, [
        query(["ls", "dg"], "ls-dg-optimal.out"), query(["ls", "vd"], "ls-vd-empty.out")], monkeypatch=monkeypatch)
    assert result["changed"] is False


@pytest.mark.parametrize("args, words", [
    ({"drive_group": 0, "size": "lots"}, "not a number"),
    ({"drive_group": 0, "count": -1}, "count must be 0 or more"),
    ({"drive_group": 0, "vd_id": 1}, "needs state=absent"),
    ({}, "missing required arguments: drive_group"),
])
def test_bad_input_rejected_before_running(monkeypatch, args, words):
    result = run_module(graid_virtual_drive.main, args, [], monkeypatch=monkeypatch)
    assert result["failed"] and words in result["msg"] and result["_commands"] == []
