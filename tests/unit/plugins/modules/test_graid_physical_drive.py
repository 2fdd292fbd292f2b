# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.hastorage.cluster.plugins.modules import graid_physical_drive
from ansible_collections.hastorage.cluster.tests.unit.fake_runner import run_module
from ansible_collections.hastorage.cluster.tests.unit.fixtures.graid.helpers import change, query

NQN0 = "nqn.2014.08.org.nvmexpress:uuid:00000000-0000-4000-8000-000000000001"
NQN3 = "nqn.2014.08.org.nvmexpress:uuid:00000000-0000-4000-8000-000000000004"


def reads(pd_fixture, nd_fixture="ls-nd-empty.out"):
    return [query(["ls", "pd"], pd_fixture), query(["ls", "nd"], nd_fixture), query(["ls", "sd"], "ls-sd-empty.out")]


def test_claim_by_nqn(monkeypatch):
    result = run_module(graid_physical_drive.main, {"nqn": NQN0},
                        reads("ls-pd-empty.out", "ls-nd.out")
                        + [change(["create", "pd", NQN0], "Create physical drive PD0"),
                           query(["ls", "pd"], "ls-pd-free.out")],
                        diff=True, monkeypatch=monkeypatch)
    assert result["changed"] is True
    assert result["physical_drive"]["id"] == 0 and result["physical_drive"]["dev_path"] == "/dev/gpd0"
    assert result["commands"] == ["graidctl create pd " + NQN0]
    assert result["diff"]["before"] == {} and result["diff"]["after"]["nqn"] == NQN0


def test_claim_by_device_uses_the_path(monkeypatch):
    result = run_module(graid_physical_drive.main, {"device": "/dev/nvme0n1", "wipe_metadata": True},
                        reads("ls-pd-empty.out", "ls-nd.out")
                        + [change(["create", "pd", "/dev/nvme0n1", "--wipe-meta"], "Create physical drive PD0"),
                           query(["ls", "pd"], "ls-pd-free.out")],
                        monkeypatch=monkeypatch)
    assert result["changed"] is True and result["physical_drive"]["nqn"] == NQN0


def test_claim_check_mode(monkeypatch):
    result = run_module(graid_physical_drive.main, {"nqn": NQN0, "hotspare": "global"},
                        reads("ls-pd-empty.out", "ls-nd.out"), check_mode=True, monkeypatch=monkeypatch)
    assert result["changed"] is True
    assert result["commands"] == ["graidctl create pd " + NQN0, "graidctl edit pd <new> hotspare global"]
    assert result["physical_drive"]["id"] is None and result["physical_drive"]["hotspare"] == "global"


def test_already_claimed_is_unchanged(monkeypatch):
    result = run_module(graid_physical_drive.main, {"nqn": NQN0}, reads("ls-pd-free.out"), monkeypatch=monkeypatch)
    assert result["changed"] is False and result["physical_drive"]["id"] == 0


def test_device_gone_after_claim_fails_clearly(monkeypatch):
    result = run_module(graid_physical_drive.main, {"device": "/dev/nvme0n1"}, reads("ls-pd-free.out"),
                        monkeypatch=monkeypatch)
    assert result["failed"] and "name it by nqn or wwid" in result["msg"]


def test_unknown_nqn_fails(monkeypatch):
    result = run_module(graid_physical_drive.main, {"nqn": "nqn.x"}, reads("ls-pd-free.out"), monkeypatch=monkeypatch)
    assert result["failed"] and "no drive with nqn=nqn.x" in result["msg"]


def test_mark_hot_spare(monkeypatch):
    result = run_module(graid_physical_drive.main, {"pd_id": 3, "hotspare": "global"},
                        [query(["ls", "pd"], "ls-pd-raid5.out")]
                        + [query(["ls", "nd"], "ls-nd-empty.out"), query(["ls", "sd"], "ls-sd-empty.out")]
                        + [change(["edit", "pd", "3", "hotspare", "global"], "Edit physical drive"),
                           query(["ls", "pd"], "ls-pd-spare.out")],
                        diff=True, monkeypatch=monkeypatch)
    assert result["changed"] is True
    assert result["diff"]["before"]["hotspare"] == "none" and result["diff"]["after"]["hotspare"] == "global"


def test_hot_spare_already(monkeypatch):
    result = run_module(graid_physical_drive.main, {"nqn": NQN3, "hotspare": "global"}, reads("ls-pd-spare.out"),
                        monkeypatch=monkeypatch)
    assert result["changed"] is False


def test_hot_spare_refused_for_group_member(monkeypatch):
    result = run_module(graid_physical_drive.main, {"pd_id": 0, "hotspare": "global"}, reads("ls-pd-raid5.out"),
                        monkeypatch=monkeypatch)
    assert result["failed"] and "belongs to drive group 0" in result["msg"]


def test_hot_spare_key_missing_fails_clearly(monkeypatch):
    pd_without_spare_key = {"command": ["graidctl", "ls", "pd", "--format", "json"],
                            "out": '{"Result": [{"PdId": 0, "DgId": -1, "State": "ONLINE"}]}'}
    result = run_module(graid_physical_drive.main, {"pd_id": 0, "hotspare": "global"},
                        [pd_without_spare_key, query(["ls", "nd"], "ls-nd-empty.out"),
                         query(["ls", "sd"], "ls-sd-empty.out")], monkeypatch=monkeypatch)
    assert result["failed"] and "'HotSpare'" in result["msg"] and "unverified" in result["msg"]


def test_release_free_pd(monkeypatch):
    result = run_module(graid_physical_drive.main, {"nqn": NQN3, "state": "absent"},
                        reads("ls-pd-raid5.out") + [change(["del", "pd", "3"], "Delete physical drive")],
                        diff=True, monkeypatch=monkeypatch)
    assert result["changed"] is True and result["diff"]["after"] == {}


def test_release_refused_in_group(monkeypatch):
    result = run_module(graid_physical_drive.main, {"nqn": NQN0, "state": "absent"}, reads("ls-pd-raid5.out"),
                        monkeypatch=monkeypatch)
    assert result["failed"] and "belongs to drive group 0; delete the group first" in result["msg"]
    assert result["_commands"][-1][1:3] == ["ls", "sd"]


def test_release_absent_is_unchanged(monkeypatch):
    result = run_module(graid_physical_drive.main, {"nqn": "nqn.gone", "state": "absent"}, reads("ls-pd-free.out"),
                        monkeypatch=monkeypatch)
    assert result["changed"] is False


def test_release_check_mode(monkeypatch):
    result = run_module(graid_physical_drive.main, {"pd_id": 3, "state": "absent"}, reads("ls-pd-raid5.out"),
                        check_mode=True, monkeypatch=monkeypatch)
    assert result["changed"] is True and result["commands"] == ["graidctl del pd 3"]


@pytest.mark.parametrize("args, words", [
    ({}, "one of the following is required"),
    ({"nqn": "a", "pd_id": 1}, "mutually exclusive"),
    ({"pd_id": 1, "state": "absent", "hotspare": "none"}, "hotspare cannot be combined"),
    ({"pd_id": 1, "hotspare": "dedicated"}, "value of hotspare must be one of"),
])
def test_bad_input_rejected_before_running(monkeypatch, args, words):
    result = run_module(graid_physical_drive.main, args, [], monkeypatch=monkeypatch)
    assert result["failed"] and words in result["msg"] and result["_commands"] == []
