# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""drbd_info against the stateful fake and against exact fixture commands."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.hastorage.cluster.plugins.modules import drbd_info
from ansible_collections.hastorage.cluster.tests.unit.drbd_fake.fake_drbd import FakeDisk, FakeDrbd, run_stateful
from ansible_collections.hastorage.cluster.tests.unit.fake_runner import run_module

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "drbd")
LOG84 = ("[  100.2] block drbd0: Split-Brain detected but unresolved, dropping connection!\n"
         "[  100.4] drbd r0: conn( Disconnecting -> StandAlone )\n")


def fixture(name):
    with open(os.path.join(FIX, name)) as f:
        return f.read()


def version(kernel):
    return "DRBD_KERNEL_VERSION=%s\nDRBDADM_VERSION=9.22.0\n" % kernel


def test_drbd9_from_status_json(monkeypatch, tmp_path):
    result = run_module(drbd_info.main, {"split_brain_marker_dir": str(tmp_path)}, commands=[
        {"command": ["drbdadm", "--version"], "out": version("9.2.12")},
        {"command": ["drbdadm", "sh-resources"], "out": "r0\nr7\n"},
        {"command": ["drbdsetup", "status", "--json"], "out": fixture("status-json-9.22-primary-connected.json")},
    ], monkeypatch=monkeypatch)
    assert result["changed"] is False and result["dialect"] == "9"
    r0 = result["resources"]["r0"]
    assert (r0["role"], r0["peer_disk_state"], r0["split_brain"]) == ("Primary", "UpToDate", False)
    assert result["resources"]["r7"]["up"] is False        # configured, not running


def test_drbd9_split_brain_from_marker_and_kernel_log(monkeypatch, tmp_path):
    (tmp_path / "split-brain-r0").write_text("2026-11-22T04:00:00Z\n")
    result = run_module(drbd_info.main, {"split_brain_marker_dir": str(tmp_path)}, commands=[
        {"command": ["drbdadm", "--version"], "out": version("9.2.12")},
        {"command": ["drbdadm", "sh-resources"], "out": "r0\n"},
        {"command": ["drbdsetup", "status", "--json"],
         "out": fixture("status-json-9.22-standalone-after-splitbrain.json")},
        {"command": ["dmesg"], "out": "drbd r0/0 drbd0 node1: Split-Brain detected, dropping connection!\n"},
    ], monkeypatch=monkeypatch)
    r0 = result["resources"]["r0"]
    assert r0["split_brain"] is True
    assert r0["split_brain_evidence"] == ["split-brain handler marker", "kernel log: Split-Brain detected",
                                          "StandAlone with out-of-sync UpToDate data"]


def test_drbd9_standalone_without_evidence_is_only_a_hint(monkeypatch, tmp_path):
    result = run_module(drbd_info.main, {"split_brain_marker_dir": str(tmp_path)}, commands=[
        {"command": ["drbdadm", "--version"], "out": version("9.2.12")},
        {"command": ["drbdadm", "sh-resources"], "out": "r0\n"},
        {"command": ["drbdsetup", "status", "--json"],
         "out": fixture("status-json-9.22-standalone-after-splitbrain.json")},
        {"command": ["dmesg"], "out": ""},
    ], monkeypatch=monkeypatch)
    r0 = result["resources"]["r0"]
    assert r0["split_brain"] is False and r0["split_brain_evidence"]


def test_drbd9_falls_back_to_events2(monkeypatch, tmp_path):
    result = run_module(drbd_info.main, {"kernel_log": False, "split_brain_marker_dir": str(tmp_path)}, commands=[
        {"command": ["drbdadm", "--version"], "out": version("9.1.0")},
        {"command": ["drbdadm", "sh-resources"], "out": "r0\n"},
        {"command": ["drbdsetup", "status", "--json"], "rc": 1, "err": "drbdsetup: unrecognized option '--json'"},
        {"command": ["drbdsetup", "events2", "--now", "--statistics", "all"],
         "out": fixture("events2-now-9.22-samples.txt")},
    ], monkeypatch=monkeypatch)
    assert result["resources"]["r0"]["role"] == "Primary"


def test_drbd84_from_proc_with_kernel_log_split_brain(monkeypatch, tmp_path):
    fake = FakeDrbd(kernel="8.4", tmpdir=str(tmp_path))
    fake.disks["/dev/vdb"] = FakeDisk(md="v08", uuid="0xAB00000000000000")
    fake._bring_up()
    fake.connection = "StandAlone"
    fake.role = "Primary"
    fake.kernel_log = LOG84
    result = run_stateful(drbd_info.main, {"split_brain_marker_dir": str(tmp_path), "generations": True},
                          fake, monkeypatch)
    r0 = result["resources"]["r0"]
    assert result["dialect"] == "8.4"
    assert (r0["role"], r0["disk_state"], r0["connection_state"]) == ("Primary", "UpToDate", "StandAlone")
    assert r0["connections"][0]["cs"] == "StandAlone"
    assert r0["split_brain"] is True and r0["split_brain_evidence"] == ["kernel log: Split-Brain detected"]
    assert r0["generations"]["0"]["current_uuid"] == "AB00000000000000"


def test_drbd84_connected_does_not_read_the_log(monkeypatch, tmp_path):
    fake = FakeDrbd(kernel="8.4", tmpdir=str(tmp_path))
    fake.disks["/dev/vdb"] = FakeDisk(md="v08", uuid="0xAB00000000000000")
    fake._bring_up()
    fake.kernel_log = LOG84
    result = run_stateful(drbd_info.main, {"split_brain_marker_dir": str(tmp_path)}, fake, monkeypatch)
    assert result["resources"]["r0"]["split_brain"] is False
    assert not [c for c in fake.calls if os.path.basename(c[0]) == "dmesg"]


def test_no_kernel_module_lists_configured_resources_down(monkeypatch, tmp_path):
    fake = FakeDrbd(kernel=None, tmpdir=str(tmp_path))
    result = run_stateful(drbd_info.main, {"name": "r0"}, fake, monkeypatch)
    assert result["dialect"] is None
    assert result["resources"]["r0"]["up"] is False
    assert result["resources"]["r0"]["split_brain"] is False


def test_check_mode_runs_the_same(monkeypatch, tmp_path):
    fake = FakeDrbd(kernel="8.4", tmpdir=str(tmp_path))
    fake.disks["/dev/vdb"] = FakeDisk(md="v08", uuid="0xAB00000000000000")
    fake._bring_up()
    result = run_stateful(drbd_info.main, {}, fake, monkeypatch, check_mode=True)
    assert result["resources"]["r0"]["connection_state"] == "Connected"
