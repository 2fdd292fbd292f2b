# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil

import pytest

from ansible_collections.hastorage.cluster.plugins.modules import pcs_cluster
from ansible_collections.hastorage.cluster.tests.unit.fake_runner import run_module

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "cluster")
PASSWORD = "S3cret-pw"


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


NODES = [
    {"name": "node1", "addresses": ["10.88.0.11", "10.89.0.11"]},
    {"name": "node2", "addresses": ["10.88.0.12", "10.89.0.12"]},
    {"name": "node3", "addresses": ["10.88.0.13", "10.89.0.13"]},
]
RUNNING = fixture("crm_mon-A-output-as-xml.xml").replace(
    '<node name="node2" id="2"', '<node name="node3" id="3" online="true"/><node name="node2" id="2"')


@pytest.fixture
def paths(tmp_path):
    return {
        "corosync_conf": str(tmp_path / "corosync.conf"),
        "known_hosts_file": str(tmp_path / "known-hosts"),
        "cib_seed_file": str(tmp_path / "cib" / "cib.xml"),
    }


def args(paths, **extra):
    base = dict(name="hsc", nodes=NODES, totem={"token": 1000, "consensus": 1200},
                quorum={"wait_for_all": True}, links=[{"linknumber": 1, "link_priority": 10}])
    base.update(paths)
    base.update(extra)
    return base


def live(paths):
    shutil.copy(os.path.join(FIXTURES, "corosync-3node-2links.conf"), paths["corosync_conf"])
    return {"command": ["pcs", "cluster", "config", "--output-format=json", "--corosync_conf",
                        paths["corosync_conf"]], "out": fixture("cluster-config-3node-2links.json")}


def known(paths, names):
    data = {"format_version": 1, "data_version": 1, "known_hosts": dict(
        (n["name"], {"dest_list": [{"addr": n["addresses"][0], "port": 2224}], "token": "tok"})
        for n in NODES if n["name"] in names)}
    with open(paths["known_hosts_file"], "w") as f:
        json.dump(data, f)


CRM_MON = ["crm_mon", "-1", "--inactive", "--output-as=xml"]
SETUP = ["pcs", "cluster", "setup", "hsc",
         "node1", "addr=10.88.0.11", "addr=10.89.0.11",
         "node2", "addr=10.88.0.12", "addr=10.89.0.12",
         "node3", "addr=10.88.0.13", "addr=10.89.0.13",
         "transport", "knet", "link", "linknumber=1", "link_priority=10",
         "totem", "consensus=1200", "token=1000", "quorum", "wait_for_all=1", "--enable", "--no-keys-sync"]
AUTH = ["pcs", "host", "auth", "node1", "addr=10.88.0.11:2224", "node2", "addr=10.88.0.12:2224",
        "node3", "addr=10.88.0.13:2224", "-u", "hacluster"]


def _setup_writes_the_config(monkeypatch, paths, local=False):
    """corosync.conf appears only after setup: write it when the setup command runs."""
    real = pcs_cluster.ClusterHandler.run

    def run(self, argv, message, data=None):
        res = real(self, argv, message, data=data)
        if argv[:2] == ["cluster", "setup"]:
            if local:
                # pcs's local only mode writes the file at --corosync_conf
                assert argv[-2:] == ["--corosync_conf", paths["corosync_conf"]]
            shutil.copy(os.path.join(FIXTURES, "corosync-3node-2links.conf"), paths["corosync_conf"])
        return res
    monkeypatch.setattr(pcs_cluster.ClusterHandler, "run", run)
    return {"command": ["pcs", "cluster", "config", "--output-format=json", "--corosync_conf",
                        paths["corosync_conf"]], "out": fixture("cluster-config-3node-2links.json")}


def test_new_cluster(monkeypatch, paths):
    commands = [
        {"command": AUTH, "data": PASSWORD + "\n", "err": "node1: Authorized\nnode2: Authorized\nnode3: Authorized\n"},
        {"command": SETUP},
        {"command": ["cibadmin", "--empty"], "out": fixture("cibadmin-empty.xml")},
        {"command": ["pcs", "cluster", "start", "--all", "--wait=120"]},
    ]
    commands.append(_setup_writes_the_config(monkeypatch, paths))
    result = run_module(pcs_cluster.main, args(paths, auth_password=PASSWORD, no_keys_sync=True,
                                               initial_properties={"dc-deadtime": "3s"}),
                        commands, monkeypatch=monkeypatch, diff=True)
    assert result["changed"] is True, result
    assert result["authenticated"] == ["node1", "node2", "node3"]
    assert result["started"] == ["node1", "node2", "node3"]
    assert result["actions"] == [
        "authenticate pcsd on node1, node2, node3",
        "create cluster hsc with nodes node1, node2, node3",
        "seed the first CIB with dc-deadtime=3s",
        "start the cluster on node1, node2, node3",
    ]
    assert all(PASSWORD not in c for c in result["commands"])
    # the password went on stdin (the fake runner checked it), not on a command line
    assert result["commands"][0].endswith("-u hacluster") and " -p " not in result["commands"][0]
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["totem"] == {"consensus": "1200", "token": "1000"}
    with open(paths["cib_seed_file"]) as f:
        seeded = f.read()
    assert 'name="dc-deadtime" value="3s"' in seeded
    assert oct(os.stat(paths["cib_seed_file"]).st_mode & 0o777) == "0o600"
    # every other node needs these same bytes before its first start
    assert result["created"] is True
    assert result["seeded_cib"] == seeded


def _local_setup(paths):
    return SETUP[:-2] + ["--corosync_conf", paths["corosync_conf"]]


def test_new_cluster_local_setup(monkeypatch, paths):
    """setup_mode=local: corosync.conf is written here and synced; pcs never destroys anything on the nodes."""
    commands = [
        {"command": AUTH, "data": PASSWORD + "\n"},
        {"command": _local_setup(paths)},
        {"command": ["pcs", "cluster", "sync", "corosync"]},
        {"command": ["pcs", "cluster", "enable", "--all"]},
        {"command": ["cibadmin", "--empty"], "out": fixture("cibadmin-empty.xml")},
        {"command": ["pcs", "cluster", "start", "--all", "--wait=120"]},
    ]
    commands.append(_setup_writes_the_config(monkeypatch, paths, local=True))
    result = run_module(pcs_cluster.main, args(paths, auth_password=PASSWORD, no_keys_sync=True, setup_mode="local",
                                               initial_properties={"dc-deadtime": "3s"}),
                        commands, monkeypatch=monkeypatch)
    assert result["changed"] is True and result["created"] is True and result["online"] == []
    assert result["actions"] == [
        "authenticate pcsd on node1, node2, node3",
        "create cluster hsc with nodes node1, node2, node3 (corosync.conf written here)",
        "send corosync.conf to every node",
        "enable the cluster at boot on every node",
        "seed the first CIB with dc-deadtime=3s",
        "start the cluster on node1, node2, node3",
    ]
    assert not any("--enable" in c or "--no-keys-sync" in c for c in result["commands"])


def test_new_cluster_local_setup_check_mode_without_enable(monkeypatch, paths):
    result = run_module(pcs_cluster.main, args(paths, setup_mode="local", enable=False, state="configured"),
                        [], check_mode=True, monkeypatch=monkeypatch)
    assert result["changed"] is True and result["created"] is True
    assert result["commands"] == ["pcs " + " ".join(_local_setup(paths)[1:]), "pcs cluster sync corosync"]
    assert not os.path.exists(paths["corosync_conf"])


def test_local_setup_mode_leaves_an_existing_cluster_alone(monkeypatch, paths):
    result = run_module(pcs_cluster.main, args(paths, setup_mode="local"),
                        [live(paths), {"command": CRM_MON, "out": RUNNING}], monkeypatch=monkeypatch)
    assert result["changed"] is False and result["commands"] == [] and result["created"] is False


def test_new_cluster_check_mode(monkeypatch, paths):
    result = run_module(pcs_cluster.main, args(paths, auth_password=PASSWORD, no_keys_sync=True,
                                               initial_properties={"dc-deadtime": "3s"}),
                        [], check_mode=True, diff=True, monkeypatch=monkeypatch)
    assert result["changed"] is True
    assert result["commands"][1] == "pcs " + " ".join(SETUP[1:])
    assert result["commands"][2] == "pcs cluster start --all --wait=120"
    assert not os.path.exists(paths["cib_seed_file"])
    assert result["created"] is True and "seeded_cib" not in result
    assert result["diff"]["after"]["nodes"][2] == {"name": "node3", "addresses": ["10.88.0.13", "10.89.0.13"]}
    assert "two_node" not in result["diff"]["after"]["quorum"]


def test_no_change_is_not_changed(monkeypatch, paths):
    known(paths, ["node1", "node2", "node3"])
    commands = [
        {"command": ["pcs", "status", "pcsd", "node1", "node2", "node3"],
         "out": "  node1: Online\n  node3: Online\n  node2: Online\n"},
        live(paths),
        {"command": CRM_MON, "out": RUNNING},
    ]
    result = run_module(pcs_cluster.main, args(paths, auth_password=PASSWORD), commands, monkeypatch=monkeypatch,
                        diff=True)
    assert result["changed"] is False, result
    assert result["actions"] == [] and result["commands"] == []
    assert result["diff"]["before"] == result["diff"]["after"]
    # every node online: the role skips its state=started call
    assert result["online"] == ["node1", "node2", "node3"]


def test_reauth_node_with_stale_token(monkeypatch, paths):
    known(paths, ["node1", "node2", "node3"])
    commands = [
        {"command": ["pcs", "status", "pcsd", "node1", "node2", "node3"], "rc": 1,
         "out": "  node1: Online\n  node2: Unable to authenticate\n  node3: Online\n"},
        {"command": ["pcs", "host", "auth", "node2", "addr=10.88.0.12:2224", "-u", "hacluster"],
         "data": PASSWORD + "\n"},
        live(paths),
        {"command": CRM_MON, "out": RUNNING},
    ]
    result = run_module(pcs_cluster.main, args(paths, auth_password=PASSWORD), commands, monkeypatch=monkeypatch)
    assert result["changed"] is True and result["authenticated"] == ["node2"]


def test_totem_change_check_then_apply(monkeypatch, paths):
    wanted = args(paths, totem={"token": 3000})
    check = run_module(pcs_cluster.main, wanted, [live(paths), {"command": CRM_MON, "out": RUNNING}],
                       check_mode=True, diff=True, monkeypatch=monkeypatch)
    assert check["changed"] is True
    assert check["commands"] == ["pcs cluster config update totem token=3000"]
    assert check["diff"]["before"]["totem"]["token"] == "1000"
    assert check["diff"]["after"]["totem"]["token"] == "3000"

    updated = fixture("cluster-config-3node-2links.json").replace('"token": "1000"', '"token": "3000"')
    applied = run_module(pcs_cluster.main, wanted, [
        live(paths), {"command": CRM_MON, "out": RUNNING},
        {"command": ["pcs", "cluster", "config", "update", "totem", "token=3000"]},
        {"command": ["pcs", "cluster", "config", "--output-format=json", "--corosync_conf", paths["corosync_conf"]],
         "out": updated},
    ], diff=True, monkeypatch=monkeypatch)
    assert applied["changed"] is True
    assert applied["diff"]["after"]["totem"]["token"] == "3000"
    assert applied["actions"] == ["update totem.token"]


def test_quorum_change_refused_on_running_cluster(monkeypatch, paths):
    result = run_module(pcs_cluster.main, args(paths, quorum={"wait_for_all": False}),
                        [live(paths), {"command": CRM_MON, "out": RUNNING}], monkeypatch=monkeypatch)
    assert result["failed"]
    assert "need the whole cluster stopped: update quorum wait_for_all" in result["msg"]
    assert "allow_cluster_restart=true" in result["msg"]


def test_quorum_change_with_restart(monkeypatch, paths):
    result = run_module(pcs_cluster.main, args(paths, quorum={"wait_for_all": False}, allow_cluster_restart=True), [
        live(paths), {"command": CRM_MON, "out": RUNNING},
        {"command": ["pcs", "cluster", "stop", "--all", "--wait=120"]},
        {"command": ["pcs", "quorum", "update", "wait_for_all=0"]},
        {"command": ["pcs", "cluster", "start", "--all", "--wait=120"]},
        {"command": ["pcs", "cluster", "config", "--output-format=json", "--corosync_conf", paths["corosync_conf"]],
         "out": fixture("cluster-config-3node-2links.json")},
    ], monkeypatch=monkeypatch)
    assert result["changed"] is True
    assert result["actions"] == ["stop the cluster on all nodes", "update quorum wait_for_all",
                                 "start the cluster on node1, node2, node3"]


def test_quorum_change_on_stopped_cluster_needs_no_restart(monkeypatch, paths):
    result = run_module(pcs_cluster.main, args(paths, quorum={"wait_for_all": False}, state="configured"), [
        live(paths), {"command": CRM_MON, "rc": 102, "out": fixture("crm_mon-not-running.xml")},
        {"command": ["pcs", "quorum", "update", "wait_for_all=0"]},
        {"command": ["pcs", "cluster", "config", "--output-format=json", "--corosync_conf", paths["corosync_conf"]],
         "out": fixture("cluster-config-3node-2links.json")},
    ], monkeypatch=monkeypatch)
    assert result["changed"] is True and result["started"] == []


def test_add_node(monkeypatch, paths):
    nodes = NODES + [{"name": "node4", "addresses": ["10.88.0.14", "10.89.0.14"]}]
    result = run_module(pcs_cluster.main, args(paths, nodes=nodes, wait=60), [
        live(paths), {"command": CRM_MON, "out": RUNNING},
        {"command": ["pcs", "cluster", "node", "add", "node4", "addr=10.88.0.14", "addr=10.89.0.14", "--enable",
                     "--start", "--wait=60"]},
        {"command": ["pcs", "cluster", "config", "--output-format=json", "--corosync_conf", paths["corosync_conf"]],
         "out": fixture("cluster-config-3node-2links.json")},
    ], monkeypatch=monkeypatch)
    assert result["changed"] is True
    assert result["actions"] == ["add node node4"]
    assert result["started"] == []


def test_remove_node_refused(monkeypatch, paths):
    result = run_module(pcs_cluster.main, args(paths, nodes=NODES[:2]), [live(paths)], monkeypatch=monkeypatch)
    assert result["failed"]
    assert "node(s) node3 that are not in the wanted node list" in result["msg"]
    assert "allow_node_removal=true" in result["msg"]


def test_remove_node_allowed(monkeypatch, paths):
    result = run_module(pcs_cluster.main, args(paths, nodes=NODES[:2], allow_node_removal=True), [
        live(paths), {"command": CRM_MON, "out": RUNNING},
        {"command": ["pcs", "cluster", "node", "remove", "node3"]},
        {"command": ["pcs", "cluster", "config", "--output-format=json", "--corosync_conf", paths["corosync_conf"]],
         "out": fixture("cluster-config-3node-2links.json")},
    ], monkeypatch=monkeypatch)
    assert result["changed"] is True and result["actions"] == ["remove node(s) node3"]


def test_start_stopped_nodes(monkeypatch, paths):
    offline = RUNNING.replace('<node name="node3" id="3" online="true"/>', '<node name="node3" id="3" online="false"/>')
    result = run_module(pcs_cluster.main, args(paths), [
        live(paths), {"command": CRM_MON, "out": offline},
        {"command": ["pcs", "cluster", "start", "node3", "--wait=120"]},
    ], monkeypatch=monkeypatch)
    assert result["changed"] is True and result["started"] == ["node3"]


def test_start_when_local_pacemaker_down(monkeypatch, paths):
    result = run_module(pcs_cluster.main, args(paths), [
        live(paths), {"command": CRM_MON, "rc": 102, "out": fixture("crm_mon-not-running.xml")},
        {"command": ["pcs", "cluster", "start", "--all", "--wait=120"]},
    ], monkeypatch=monkeypatch)
    assert result["changed"] is True and result["started"] == ["node1", "node2", "node3"]


def test_configured_state_does_not_start(monkeypatch, paths):
    result = run_module(pcs_cluster.main, args(paths, state="configured"), [
        live(paths), {"command": CRM_MON, "rc": 102, "out": fixture("crm_mon-not-running.xml")},
    ], monkeypatch=monkeypatch)
    assert result["changed"] is False


def test_failed_auth_masks_password(monkeypatch, paths):
    result = run_module(pcs_cluster.main, args(paths, auth_password=PASSWORD), [
        {"command": AUTH, "rc": 1, "err": "Error: Unable to authenticate to node2 - (HTTP error: 401)\n"},
    ], monkeypatch=monkeypatch)
    assert result["failed"]
    assert PASSWORD not in result["msg"] and PASSWORD not in result["cmd"]
    assert "pcs host auth failed" in result["msg"] and "HTTP error: 401" in result["msg"]


def test_invalid_input_fails_before_any_command(monkeypatch, paths):
    result = run_module(pcs_cluster.main, args(paths, nodes=[{"name": "a", "addresses": ["1.1.1.1"]},
                                                             {"name": "b", "addresses": ["1.1.1.1"]}]),
                        [], monkeypatch=monkeypatch)
    assert result["failed"] and "addresses used twice: 1.1.1.1" in result["msg"]
    assert result["_commands"] == []
    result = run_module(pcs_cluster.main, args(paths, links=[{"link_priority": 3}]), [], monkeypatch=monkeypatch)
    assert result["failed"] and "every item needs a linknumber" in result["msg"]


def test_rename_refused(monkeypatch, paths):
    result = run_module(pcs_cluster.main, args(paths, name="other"), [live(paths)], monkeypatch=monkeypatch)
    assert result["failed"] and "belongs to cluster 'hsc', not 'other'" in result["msg"]


def test_unparsable_corosync_conf(monkeypatch, paths):
    with open(paths["corosync_conf"], "w") as f:
        f.write("totem {\n")
    result = run_module(pcs_cluster.main, args(paths), [], monkeypatch=monkeypatch)
    assert result["failed"] and "cannot parse" in result["msg"] and "unterminated" in result["msg"]


def test_pcs_error_is_reported(monkeypatch, paths):
    result = run_module(pcs_cluster.main, args(paths, totem={"token": 3000}), [
        live(paths), {"command": CRM_MON, "out": RUNNING},
        {"command": ["pcs", "cluster", "config", "update", "totem", "token=3000"], "rc": 1,
         "err": "Error: Unable to connect to node2 ('Failed to connect')\n"},
    ], monkeypatch=monkeypatch)
    assert result["failed"]
    assert result["msg"].startswith("pcs could not update totem.token")
    assert result["rc"] == 1 and result["actions"] == []


def test_configured_then_started_seeds_once(monkeypatch, paths):
    """The role's two phases: setup without start (keys follow), then start with the seeded CIB."""
    stopped = {"command": CRM_MON, "rc": 102, "out": fixture("crm_mon-not-running.xml")}
    result = run_module(pcs_cluster.main, args(paths, state="started", initial_properties={"dc-deadtime": "3s"}), [
        live(paths), stopped,
        {"command": ["cibadmin", "--empty"], "out": fixture("cibadmin-empty.xml")},
        {"command": ["pcs", "cluster", "start", "--all", "--wait=120"]},
    ], monkeypatch=monkeypatch)
    assert result["actions"] == ["seed the first CIB with dc-deadtime=3s", "start the cluster on node1, node2, node3"]
    # a CIB exists now (Pacemaker ran once): never seeded again, even when stopped
    assert result["created"] is False
    assert 'name="dc-deadtime" value="3s"' in result["seeded_cib"]
    result = run_module(pcs_cluster.main, args(paths, state="configured", initial_properties={"dc-deadtime": "3s"}),
                        [live(paths), stopped], monkeypatch=monkeypatch)
    assert result["changed"] is False
    assert result["created"] is False and "seeded_cib" not in result


def test_running_cluster_is_never_seeded(monkeypatch, paths):
    result = run_module(pcs_cluster.main, args(paths, initial_properties={"dc-deadtime": "3s"}),
                        [live(paths), {"command": CRM_MON, "out": RUNNING}], monkeypatch=monkeypatch)
    assert result["changed"] is False
    assert not os.path.exists(paths["cib_seed_file"])


def test_request_timeout_on_pcsd_commands(monkeypatch, paths):
    known(paths, ["node1", "node2", "node3"])
    result = run_module(pcs_cluster.main, args(paths, totem={"token": 3000}, request_timeout=300,
                                               auth_password=PASSWORD), [
        {"command": ["pcs", "status", "pcsd", "node1", "node2", "node3", "--request-timeout=300"],
         "out": "  node1: Online\n  node2: Online\n  node3: Online\n"},
        live(paths), {"command": CRM_MON, "out": RUNNING},
        {"command": ["pcs", "cluster", "config", "update", "totem", "token=3000", "--request-timeout=300"]},
        {"command": ["pcs", "cluster", "config", "--output-format=json", "--corosync_conf", paths["corosync_conf"]],
         "out": fixture("cluster-config-3node-2links.json")},
    ], monkeypatch=monkeypatch)
    assert result["changed"] is True
