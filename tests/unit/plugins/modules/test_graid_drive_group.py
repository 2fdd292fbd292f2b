# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils import _graid
from ansible_collections.hastorage.cluster.plugins.modules import graid_drive_group
from ansible_collections.hastorage.cluster.tests.unit.fake_runner import run_module
from ansible_collections.hastorage.cluster.tests.unit.fixtures.graid.helpers import (
    change,
    point_checker_at,
    pvs,
    query,
)

RAID5 = {"level": "raid5", "physical_drives": ["0", "1", "2"]}
FREE = [query(["ls", "pd"], "ls-pd-free.out"), query(["ls", "dg"], "ls-dg-empty.out")]
EXISTING = [query(["ls", "pd"], "ls-pd-raid5.out"), query(["ls", "dg"], "ls-dg-optimal.out")]
WITH_VDS = [query(["ls", "pd"], "ls-pd-raid5.out"), query(["ls", "dg"], "ls-dg-two-vd.out")]


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr(_graid, "sleep", lambda seconds: None)


def test_create_tune_and_wait(monkeypatch):
    args = dict(RAID5, strip_size=64, rebuild_speed="high", journal="always_off", wait_for_state=["optimal"],
                wait_interval=0.01)
    result = run_module(graid_drive_group.main, args, FREE + [
        change(["create", "dg", "raid5", "0,1,2", "-s", "64"], "Create drive group DG0"),
        query(["ls", "dg"], "ls-dg-init.out"),
        query(["desc", "dg", "0"], "desc-dg-0-init.out"),
        change(["edit", "dg", "0", "rebuild_speed", "high"], "Edit drive group"),
        query(["desc", "dg", "0"], "desc-dg-0-init.out"),
        query(["desc", "dg", "0"], "desc-dg-0-init.out"),
        query(["desc", "dg", "0"], "desc-dg-0-rebuild-high.out"),
    ], diff=True, monkeypatch=monkeypatch)
    assert result["changed"] is True and result["created"] is True
    assert result["commands"] == ["graidctl create dg raid5 0,1,2 -s 64", "graidctl edit dg 0 rebuild_speed high"]
    group = result["drive_group"]
    assert group["state"] == "OPTIMAL" and group["members"] == [0, 1, 2] and group["rebuild_speed"] == "high"
    assert result["diff"]["before"] == {}


def test_create_flags(monkeypatch):
    args = {"level": "raid10", "physical_drives": ["0", "1", "2", "3"], "foreground_init": True, "force": True}
    result = run_module(graid_drive_group.main, args, FREE + [
        change(["create", "dg", "raid10", "0,1,2,3", "-z", "-f"], "Create drive group DG0"),
        query(["ls", "dg"], "ls-dg-init.out"),
        query(["desc", "dg", "0"], "desc-dg-0-init.out"),
    ], monkeypatch=monkeypatch)
    assert result["changed"] is True


def test_members_by_nqn_and_gpd_path(monkeypatch):
    nqn1 = "nqn.2014.08.org.nvmexpress:uuid:00000000-0000-4000-8000-000000000002"
    result = run_module(graid_drive_group.main, {"level": "raid5", "physical_drives": ["/dev/gpd2", nqn1, "0"]},
                        EXISTING + [query(["desc", "dg", "0"], "desc-dg-0.out")], monkeypatch=monkeypatch)
    assert result["changed"] is False and result["drive_group"]["id"] == 0


def test_check_mode_create(monkeypatch):
    result = run_module(graid_drive_group.main, dict(RAID5, journal="degrade_only", wait_for_state=["OPTIMAL"]), FREE,
                        check_mode=True, diff=True, monkeypatch=monkeypatch)
    assert result["changed"] is True and result["created"] is True
    assert result["commands"] == ["graidctl create dg raid5 0,1,2", "graidctl edit dg <new> journal degrade_only"]
    assert result["diff"]["after"]["members"] == [0, 1, 2] and result["diff"]["after"]["journal"] == "degrade_only"


def test_existing_group_unchanged(monkeypatch):
    result = run_module(graid_drive_group.main, dict(RAID5, strip_size=64, rebuild_speed="normal", id=0),
                        EXISTING + [query(["desc", "dg", "0"], "desc-dg-0.out")], diff=True, monkeypatch=monkeypatch)
    assert result["changed"] is False and result["commands"] == []
    assert result["diff"]["before"] == result["diff"]["after"]


def test_existing_group_setting_corrected_check_mode(monkeypatch):
    result = run_module(graid_drive_group.main, dict(RAID5, init_speed="extreme"),
                        EXISTING + [query(["desc", "dg", "0"], "desc-dg-0.out")], check_mode=True, diff=True,
                        monkeypatch=monkeypatch)
    assert result["changed"] is True and result["commands"] == ["graidctl edit dg 0 init_speed extreme"]
    assert result["diff"]["before"]["init_speed"] == "normal" and result["diff"]["after"]["init_speed"] == "extreme"


@pytest.mark.parametrize("args, words", [
    ({"level": "raid6", "physical_drives": ["0", "1", "2", "3"]}, "already belong to drive group 0 (raid5"),
    ({"level": "raid0", "physical_drives": ["0", "1"]}, "over physical drives 0, 1, 2"),
    ({"level": "raid5", "physical_drives": ["0", "1", "2"], "id": 3}, "is drive group 0, not 3"),
    ({"level": "raid5", "physical_drives": ["0", "1", "2"], "strip_size": 128}, "strip size 64 KiB, not 128"),
])
def test_mismatch_fails_and_never_recreates(monkeypatch, args, words):
    commands = list(EXISTING)
    if "strip_size" in args or "id" in args:
        commands.append(query(["desc", "dg", "0"], "desc-dg-0.out"))
    if "id" in args:
        commands.pop()
    result = run_module(graid_drive_group.main, args, commands, monkeypatch=monkeypatch)
    assert result["failed"] and words in result["msg"], result["msg"]
    assert not [c for c in result["_commands"] if c[1] in ("create", "del", "edit")]


@pytest.mark.parametrize("level, drives, words", [
    ("raid1", ["0", "1", "2"], "even number"),
    ("raid5", ["0", "1"], "at least 3"),
    ("raid6", ["0", "1", "2"], "at least 4"),
    ("raid10", ["0", "1"], "at least 4"),
    ("raid0", ["0"], "at least 2"),
])
def test_level_vs_count_checked_before_anything(monkeypatch, level, drives, words):
    result = run_module(graid_drive_group.main, {"level": level, "physical_drives": drives}, [],
                        monkeypatch=monkeypatch)
    assert result["failed"] and words in result["msg"] and "level and physical_drives" in result["msg"]
    assert result["_commands"] == []


def test_unclaimed_member_fails(monkeypatch):
    result = run_module(graid_drive_group.main, {"level": "raid5", "physical_drives": ["0", "1", "/dev/nvme7n1"]},
                        FREE, monkeypatch=monkeypatch)
    assert result["failed"] and "/dev/nvme7n1 is not a physical drive" in result["msg"]


def test_duplicate_member_fails(monkeypatch):
    result = run_module(graid_drive_group.main, {"level": "raid5", "physical_drives": ["0", "1", "/dev/gpd1"]},
                        FREE, monkeypatch=monkeypatch)
    assert result["failed"] and "listed twice" in result["msg"]


def test_hot_spare_member_refused(monkeypatch):
    result = run_module(graid_drive_group.main, {"level": "raid1", "physical_drives": ["3", "1"]}, [
        query(["ls", "pd"], "ls-pd-spare.out"), query(["ls", "dg"], "ls-dg-optimal.out")], monkeypatch=monkeypatch)
    # PD 1 is in group 0: the conflict is reported first
    assert result["failed"] and "already belong to drive group 0" in result["msg"]


def test_wait_timeout_fails_with_state(monkeypatch):
    clock = iter([0.0, 5.0, 11.0])
    monkeypatch.setattr(_graid, "clock", lambda: next(clock))
    result = run_module(graid_drive_group.main, dict(RAID5, wait_for_state=["OPTIMAL"], wait_timeout=10), [
        query(["ls", "pd"], "ls-pd-raid5.out"), query(["ls", "dg"], "ls-dg-init.out"),
        query(["desc", "dg", "0"], "desc-dg-0-init.out"),
        query(["desc", "dg", "0"], "desc-dg-0-init.out"),
        query(["desc", "dg", "0"], "desc-dg-0-init.out"),
    ], monkeypatch=monkeypatch)
    assert result["failed"] and "drive group 0 is INIT after 10 s, not OPTIMAL" in result["msg"]
    assert result["changed"] is False


def test_delete_needs_confirm(monkeypatch, tmp_path):
    point_checker_at(monkeypatch, tmp_path)
    result = run_module(graid_drive_group.main, {"id": 0, "state": "absent"},
                        WITH_VDS + [query(["ls", "vd"], "ls-vd-two.out")], monkeypatch=monkeypatch)
    assert result["failed"] and "set confirm_destroy=true" in result["msg"]
    assert "/dev/gdg0n1, /dev/gdg0n2" in result["msg"]


def test_delete_refused_while_mounted(monkeypatch, tmp_path):
    point_checker_at(monkeypatch, tmp_path, mounts="/dev/gdg0n2 /srv/data xfs rw 0 0\n")
    result = run_module(graid_drive_group.main, {"id": 0, "state": "absent", "confirm_destroy": True},
                        WITH_VDS + [query(["ls", "vd"], "ls-vd-two.out"), pvs()], monkeypatch=monkeypatch)
    assert result["failed"] and "/dev/gdg0n2 is mounted on /srv/data (/proc/mounts)" in result["msg"]
    assert not [c for c in result["_commands"] if "del" in c]


def test_delete_refused_for_lvm_pv(monkeypatch, tmp_path):
    point_checker_at(monkeypatch, tmp_path)
    report = '{"report": [{"pv": [{"pv_name": "/dev/gdg0n1", "vg_name": "vg_nas"}]}]}'
    result = run_module(graid_drive_group.main, {"id": 0, "state": "absent", "confirm_destroy": True},
                        WITH_VDS + [query(["ls", "vd"], "ls-vd-two.out"), pvs(report)], monkeypatch=monkeypatch)
    assert result["failed"] and "/dev/gdg0n1 is an LVM physical volume of volume group vg_nas (pvs)" in result["msg"]


def test_delete_refused_when_pvs_fails(monkeypatch, tmp_path):
    point_checker_at(monkeypatch, tmp_path)
    broken = dict(pvs(), rc=5, out="", err="  /dev/mapper/control: open failed\n")
    result = run_module(graid_drive_group.main, {"id": 0, "state": "absent", "confirm_destroy": True},
                        WITH_VDS + [query(["ls", "vd"], "ls-vd-two.out"), broken], monkeypatch=monkeypatch)
    assert result["failed"] and "cannot tell whether the device is an LVM physical volume" in result["msg"]


def test_delete_group_and_volumes(monkeypatch, tmp_path):
    point_checker_at(monkeypatch, tmp_path)
    result = run_module(graid_drive_group.main, {"physical_drives": ["2", "1", "0"], "level": "raid5",
                                                 "state": "absent", "confirm_destroy": True},
                        WITH_VDS + [query(["ls", "vd"], "ls-vd-two.out"), pvs(),
                                    change(["del", "vd", "0", "0", "--confirm-to-delete"], "Delete virtual drive"),
                                    change(["del", "vd", "0", "1", "--confirm-to-delete"], "Delete virtual drive"),
                                    change(["del", "dg", "0", "--confirm-to-delete"], "Delete drive group")],
                        diff=True, monkeypatch=monkeypatch)
    assert result["changed"] is True and result["deleted"] is True
    assert result["diff"]["before"]["id"] == 0 and result["diff"]["after"] == {}


def test_delete_without_lvm_tools(monkeypatch, tmp_path):
    point_checker_at(monkeypatch, tmp_path)
    from ansible_collections.hastorage.cluster.tests.unit.fake_runner import run_module as run
    result = run(graid_drive_group.main, {"id": 0, "state": "absent", "confirm_destroy": True},
                 WITH_VDS + [query(["ls", "vd"], "ls-vd-empty.out")],
                 missing_binaries=("pvs",), check_mode=True, monkeypatch=monkeypatch)
    # check mode: planned, not run
    assert result["changed"] is True and result["commands"] == ["graidctl del dg 0 --confirm-to-delete"]


def test_delete_absent_group_is_unchanged(monkeypatch):
    result = run_module(graid_drive_group.main, {"id": 5, "state": "absent", "confirm_destroy": True}, EXISTING,
                        monkeypatch=monkeypatch)
    assert result["changed"] is False and result["deleted"] is False


@pytest.mark.parametrize("args, words", [
    ({"physical_drives": ["0"]}, "state is present but all of the following are missing: level"),
    ({"state": "absent"}, "state is absent but any of the following are missing: id, physical_drives"),
    ({"state": "absent", "physical_drives": []}, "needs id or physical_drives"),
    ({"level": "raid5", "physical_drives": ["0", "1", "2"], "strip_size": 3}, "value of strip_size must be one of"),
    ({"level": "raid5", "physical_drives": ["0", "1", "2"], "journal": "sometimes"}, "value of journal must be one of"),
    ({"level": "raid5", "physical_drives": ["0", "1", "2"], "wait_interval": 0}, "wait_interval > 0"),
])
def test_bad_input_rejected_before_running(monkeypatch, args, words):
    result = run_module(graid_drive_group.main, args, [], monkeypatch=monkeypatch)
    assert result["failed"] and words in result["msg"] and result["_commands"] == []
