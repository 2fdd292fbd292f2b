# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.hastorage.cluster.plugins.modules import pacemaker_info
from ansible_collections.hastorage.cluster.tests.unit.fake_runner import run_module

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "cluster")
CRM_MON = ["crm_mon", "-1", "--inactive", "--output-as=xml"]
HISTORY = ["stonith_admin", "--history", "*", "--output-as=xml"]


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def test_live_cluster(monkeypatch):
    result = run_module(pacemaker_info.main, {}, [
        {"command": CRM_MON, "out": fixture("crm_mon-A-output-as-xml.xml")},
        {"command": ["cibadmin", "--query"], "out": fixture("cib-nfs-ha.xml")},
        {"command": HISTORY, "out": fixture("live-stonith_admin-history.xml")},
    ], monkeypatch=monkeypatch)
    assert result["changed"] is False and result["running"] is True
    assert result["online_nodes"] == ["node1", "node2"]
    assert result["stacks"][0]["start_order"] == ["fs_r0", "vip", "nfsd", "export_data", "smb"]
    assert result["cib"]["properties"]["stonith-enabled"] == "true"
    assert result["fence_history"][0]["status"] == "success"
    report = result["report"]
    assert [s["id"] for s in report["stacks"]] == ["drbd_r0-clone", "g_nfs", "ethmon-clone"]
    assert report["stacks"][1]["vips"] == ["192.168.10.100"] and report["stacks"][1]["node"] == "node1"
    assert report["fencing"]["enabled"] is True and len(report["fencing"]["devices"]) == 5
    assert report["fencing"]["last_events"][0]["target"] == "node3"
    assert result["cib"]["primitives"][1]["params"]["directory"] == "/srv/nfs"


def test_not_running_is_not_a_failure(monkeypatch):
    result = run_module(pacemaker_info.main, {}, [
        {"command": CRM_MON, "rc": 102, "out": fixture("crm_mon-not-running.xml")},
    ], monkeypatch=monkeypatch, check_mode=True)
    assert result["running"] is False and "failed" not in result
    assert result["status_message"] == "Not connected"
    assert result["nodes"] == [] and result["stacks"] == []
    assert result["report"]["running"] is False and result["report"]["problems"]


def test_cib_file_skips_history(monkeypatch, tmp_path):
    cib = str(tmp_path / "cib.xml")
    with open(cib, "w") as f:
        f.write(fixture("cib-nfs-ha.xml"))
    result = run_module(pacemaker_info.main, {"cib_file": cib}, [
        {"command": CRM_MON, "out": fixture("crm_mon-node1-lost.xml"), "environ": {"CIB_file": cib}},
        {"command": ["cibadmin", "--query"], "out": fixture("cib-nfs-ha.xml"), "environ": {"CIB_file": cib}},
    ], monkeypatch=monkeypatch)
    assert result["online_nodes"] == ["node2"]
    assert result["fence_history"] == []
    assert result["report"]["fencing"]["last_events"] == []
    assert [n["state"] for n in result["report"]["nodes"]] == ["offline", "online"]


def test_only_crm_mon(monkeypatch):
    result = run_module(pacemaker_info.main, {"cib": False, "fence_history": False}, [
        {"command": CRM_MON, "out": fixture("crm_mon-failed-op.xml")},
    ], monkeypatch=monkeypatch)
    assert result["failures"][0]["op_key"] == "fs_r0_monitor_20000"
    assert "cib" not in result
    # without the CIB: the stacks from crm_mon, no VIPs, fencing not known
    report = result["report"]
    assert report["fencing"]["enabled"] is None and report["cluster"] is None
    assert [s["id"] for s in report["stacks"]] == ["drbd_r0-clone", "g_nfs", "ethmon-clone"]
    assert report["stacks"][1]["vips"] == [] and report["stacks"][1]["layers"][1]["params"] == {}


def test_crm_mon_error(monkeypatch):
    result = run_module(pacemaker_info.main, {}, [
        {"command": CRM_MON, "rc": 64, "err": "crm_mon: unknown option\n"},
    ], monkeypatch=monkeypatch)
    assert result["failed"] and result["msg"].startswith("crm_mon failed")
    assert result["rc"] == 64


def test_crm_mon_garbage(monkeypatch):
    result = run_module(pacemaker_info.main, {}, [{"command": CRM_MON, "out": "not xml"}], monkeypatch=monkeypatch)
    assert result["failed"] and "did not print XML" in result["msg"]


def test_history_error(monkeypatch):
    result = run_module(pacemaker_info.main, {"cib": False}, [
        {"command": CRM_MON, "out": fixture("crm_mon-A-output-as-xml.xml")},
        {"command": HISTORY, "rc": 102, "err": "Could not connect to fencer: Not connected\n"},
    ], monkeypatch=monkeypatch)
    assert result["failed"] and "stonith_admin --history failed" in result["msg"]
