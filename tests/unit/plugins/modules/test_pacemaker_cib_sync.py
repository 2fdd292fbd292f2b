# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""pacemaker_cib_sync through the fake runner: check, refuse, repair, on real captured output."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.hastorage.cluster.plugins.modules import pacemaker_cib_sync
from ansible_collections.hastorage.cluster.tests.unit.fake_runner import run_module

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")


def fx(*parts):
    with open(os.path.join(FIXTURES, *parts)) as f:
        return f.read()


# crm_mon of a formed 3-node lab cluster, DC node2, every node online
CRM_MON = {"command": ["crm_mon", "--one-shot", "--output-as=xml"],
           "out": fx("cluster", "live-crm_mon-3node.xml")}
CRM_MON_DOWN = {"command": ["crm_mon", "--one-shot", "--output-as=xml"], "rc": 102,
                "out": fx("cluster", "crm_mon-not-running.xml")}


def cib(epoch=6, dc_id="2", deadtime="3s"):
    return (fx("cib_sync", "cibadmin-query-formed-3node.xml")
            .replace(' epoch="6"', ' epoch="%d"' % epoch, 1)
            .replace(' dc-uuid="1"', ' dc-uuid="%s"' % dc_id, 1)
            .replace('name="dc-deadtime" value="3s"', 'name="dc-deadtime" value="%s"' % deadtime, 1))


def node_query(node, text):
    return {"command": ["cibadmin", "--query", "--node", node], "out": text}


def read_all(texts):
    """One read of the cluster: crm_mon, then each node's CIB in the order given."""
    return [CRM_MON] + [node_query(n, t) for n, t in texts]


CONSISTENT = [("node1", cib()), ("node2", cib()), ("node3", cib())]
# The shape: DC node2 behind (epoch 5), node1 ahead (epoch 10), node3 at
# the DC's version with other content.
DIVERGED = [("node1", cib(epoch=10)), ("node2", cib(epoch=5)), ("node3", cib(epoch=5, deadtime="4s"))]
REPAIRED = [("node1", cib(epoch=12)), ("node2", cib(epoch=12)), ("node3", cib(epoch=12))]
RAISE = [
    {"command": ["cibadmin", "--modify", "--xml-text", '<cib admin_epoch="admin_epoch++"/>']},
    {"command": ["cibadmin", "--bump"]},
]


@pytest.fixture
def clock(monkeypatch):
    """A fake clock: sleep advances it, so settle loops run instantly and bounded."""
    now = [0.0]
    monkeypatch.setattr(pacemaker_cib_sync, "monotonic", lambda: now[0])

    def sleep(seconds):
        now[0] += seconds
    monkeypatch.setattr(pacemaker_cib_sync, "sleep", sleep)
    return now


def test_consistent_cluster_is_not_changed(monkeypatch, clock):
    result = run_module(pacemaker_cib_sync.main, {}, read_all(CONSISTENT), monkeypatch=monkeypatch)
    assert not result.get("failed"), result
    assert result["changed"] is False
    assert result["dc"] == "node2"
    assert result["diverged"] == []
    assert sorted(result["versions"]) == ["node1", "node2", "node3"]
    assert result["versions"]["node1"].startswith("0.6.8 (configuration ")


def test_a_join_in_progress_settles_without_counting(monkeypatch, clock):
    """node3 still behind on the first read, equal on the next: no divergence."""
    first = [("node1", cib()), ("node2", cib()), ("node3", cib(epoch=4))]
    result = run_module(pacemaker_cib_sync.main, {"settle": 10},
                        read_all(first) + read_all(CONSISTENT), monkeypatch=monkeypatch)
    assert result["changed"] is False and result["diverged"] == []


def test_divergence_fails_without_repair_and_names_the_versions(monkeypatch, clock):
    # settle 4 s with 2 s polls: three reads, all diverged
    commands = read_all(DIVERGED) * 3
    result = run_module(pacemaker_cib_sync.main, {"settle": 4}, commands, monkeypatch=monkeypatch)
    assert result["failed"]
    assert result["diverged"] == ["node1", "node3"]
    assert result["msg"].startswith("the CIB of node1, node3 differs from the DC's (node2 0.5.8 (configuration ")
    assert "node1 0.10.8 (configuration " in result["msg"]
    assert "nothing was changed" in result["msg"]
    assert "repair=true" in result["msg"]
    assert result["actions"] == []


def test_repair_in_check_mode_changes_nothing(monkeypatch, clock, tmp_path):
    result = run_module(pacemaker_cib_sync.main, {"repair": True, "settle": 0, "backup_dir": str(tmp_path / "b")},
                        read_all(DIVERGED), check_mode=True, monkeypatch=monkeypatch)
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert result["actions"][1] == "raise the admin_epoch of the DC's CIB (node2) above every node's and bump it"
    assert not (tmp_path / "b").exists()


def test_repair_saves_each_diverged_cib_then_raises_the_dc(monkeypatch, clock, tmp_path):
    backup = tmp_path / "diverged"
    commands = read_all(DIVERGED) + RAISE + read_all(REPAIRED)
    result = run_module(pacemaker_cib_sync.main, {"repair": True, "settle": 0, "backup_dir": str(backup)},
                        commands, monkeypatch=monkeypatch)
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert result["diverged"] == ["node1", "node3"]
    assert [os.path.basename(p).split("-2")[0] for p in result["backups"]] == ["node1-0.10.8", "node3-0.5.8"]
    with open(result["backups"][0]) as f:
        assert f.read() == cib(epoch=10)
    assert oct(os.stat(result["backups"][0]).st_mode & 0o777) == "0o600"
    assert all(v.startswith("0.12.8 ") for v in result["versions_after"].values())


def test_repair_restarts_a_node_that_stays_diverged(monkeypatch, clock, tmp_path):
    """A node that does not take the DC's copy (its CIB manager still acts as the writer) is restarted."""
    still = [("node1", cib(epoch=10)), ("node2", cib(epoch=12)), ("node3", cib(epoch=12))]
    commands = (read_all(DIVERGED) + RAISE + read_all(still)
                + [{"command": ["pcs", "cluster", "stop", "node1", "--wait"]},
                   {"command": ["pcs", "cluster", "start", "node1", "--wait=60"]}]
                + read_all(REPAIRED))
    result = run_module(pacemaker_cib_sync.main, {"repair": True, "settle": 0, "start_wait": 60,
                                                  "backup_dir": str(tmp_path)}, commands, monkeypatch=monkeypatch)
    assert not result.get("failed"), result
    assert result["actions"][-1] == "restart Pacemaker on node1"


def test_repair_that_does_not_converge_fails_with_the_versions(monkeypatch, clock, tmp_path):
    still = [("node1", cib(epoch=10)), ("node2", cib(epoch=12)), ("node3", cib(epoch=12))]
    commands = (read_all(DIVERGED) + RAISE + read_all(still)
                + [{"command": ["pcs", "cluster", "stop", "node1", "--wait"]},
                   {"command": ["pcs", "cluster", "start", "node1", "--wait=120"]}]
                + read_all(still))
    result = run_module(pacemaker_cib_sync.main, {"repair": True, "settle": 0, "backup_dir": str(tmp_path)},
                        commands, monkeypatch=monkeypatch)
    assert result["failed"]
    assert result["msg"].startswith("the repair did not make every node hold the DC's CIB: the CIB of node1 ")


def test_a_listed_node_that_is_not_online_fails(monkeypatch, clock):
    result = run_module(pacemaker_cib_sync.main, {"nodes": ["node1", "node4"]}, [CRM_MON], monkeypatch=monkeypatch)
    assert result["failed"]
    assert result["msg"] == "these nodes are not online, so their CIB cannot be compared: node4"


def test_pacemaker_not_running_fails(monkeypatch, clock):
    result = run_module(pacemaker_cib_sync.main, {}, [CRM_MON_DOWN], monkeypatch=monkeypatch)
    assert result["failed"]
    assert result["msg"].startswith("Pacemaker does not run on this node")


def test_an_unreadable_dc_cib_is_never_repaired(monkeypatch, clock, tmp_path):
    texts = [("node1", cib()), ("node2", "not xml"), ("node3", cib())]
    result = run_module(pacemaker_cib_sync.main, {"repair": True, "settle": 0, "backup_dir": str(tmp_path)},
                        read_all(texts), monkeypatch=monkeypatch)
    assert result["failed"]
    assert result["msg"].startswith("cannot compare the nodes' CIBs: no DC CIB to compare with (DC node2)")


@pytest.mark.parametrize("args, message", [
    ({"settle": -1}, "settle must be 0 or more seconds, not -1"),
    ({"start_wait": -5}, "start_wait must be 0 or more seconds, not -5"),
])
def test_bad_input_before_any_command(monkeypatch, clock, args, message):
    result = run_module(pacemaker_cib_sync.main, args, [], monkeypatch=monkeypatch)
    assert result["failed"] and result["msg"] == message
