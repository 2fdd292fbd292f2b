# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils import _corosync as c

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "cluster")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def live_3node():
    tree = c.parse_corosync_conf(fixture("corosync-3node-2links.conf"))
    two_node = c.config_from_corosync_tree(tree)["quorum"].get("two_node")
    return c.config_from_pcs_json(fixture("cluster-config-3node-2links.json"), two_node=two_node)


def params(**overrides):
    base = dict(
        name="hsc",
        nodes=[
            {"name": "node1", "addresses": ["10.88.0.11", "10.89.0.11"]},
            {"name": "node2", "addresses": ["10.88.0.12", "10.89.0.12"]},
            {"name": "node3", "addresses": ["10.88.0.13", "10.89.0.13"]},
        ],
        transport="knet",
        totem={"token": 1000, "consensus": 1200},
        quorum={"wait_for_all": True},
        links=[{"linknumber": 1, "link_priority": 10}],
        transport_options={}, crypto={}, compression={},
    )
    base.update(overrides)
    return base


# ---------------------------------------------------------------- parsing
def test_parse_two_node_file():
    tree = c.parse_corosync_conf(fixture("corosync-2node.conf"))
    assert tree["totem"][0]["cluster_name"] == "hacluster"
    nodes = tree["nodelist"][0]["node"]
    assert [n["name"] for n in nodes] == ["node1", "node2"]
    assert tree["quorum"][0]["two_node"] == "1"
    assert tree["logging"][0]["logfile"] == "/var/log/corosync/corosync.log"


def test_tree_model_equals_pcs_json_model():
    """The file parser and pcs's JSON agree on every field pcs shows."""
    for conf, js in (("corosync-2node.conf", "cluster-config-2node.json"),
                     ("corosync-3node-2links.conf", "cluster-config-3node-2links.json")):
        from_tree = c.config_from_corosync_tree(c.parse_corosync_conf(fixture(conf)))
        from_json = c.config_from_pcs_json(fixture(js), two_node=from_tree["quorum"].get("two_node"))
        assert from_tree == from_json, conf


def test_model_of_3node_file():
    model = live_3node()
    assert model["cluster_name"] == "hsc"
    assert model["totem"] == {"consensus": "1200", "token": "1000"}
    assert model["links_options"] == {"1": {"link_priority": "10"}}
    assert model["quorum"] == {"wait_for_all": "1"}
    assert model["nodes"][2] == {"name": "node3", "nodeid": "3", "addresses": {0: "10.88.0.13", 1: "10.89.0.13"}}
    assert model["crypto"] == {"cipher": "aes256", "hash": "sha256"}


def test_two_node_kept_from_file():
    tree = c.parse_corosync_conf(fixture("corosync-2node.conf"))
    model = c.config_from_corosync_tree(tree)
    assert model["quorum"] == {"two_node": "1"}


def test_parse_comments_and_errors():
    tree = c.parse_corosync_conf("# comment\ntotem {\n  # inner\n  token: 3000\n}\n")
    assert tree == {"totem": [{"token": "3000"}]}
    with pytest.raises(c.CorosyncParseError, match="unterminated"):
        c.parse_corosync_conf("totem {\n token: 1\n")
    with pytest.raises(c.CorosyncParseError, match="unexpected"):
        c.parse_corosync_conf("}\n")
    with pytest.raises(c.CorosyncParseError, match="cannot parse"):
        c.parse_corosync_conf("totem {\n garbage\n}\n")
    with pytest.raises(c.CorosyncParseError, match="without a name"):
        c.parse_corosync_conf("totem {\n : x\n}\n")


# ---------------------------------------------------------------- wanted state
def test_desired_normalises_values():
    model = c.desired_config(params())
    assert model["totem"] == {"token": "1000", "consensus": "1200"}
    assert model["quorum"] == {"wait_for_all": "1"}
    assert model["links_options"] == {"1": {"link_priority": "10"}}
    assert c.option_value(False) == "0" and c.option_value(None) == ""


@pytest.mark.parametrize("change, message", [
    (dict(nodes=[{"name": "a", "addresses": ["1.1.1.1"]}, {"name": "a", "addresses": ["1.1.1.2"]}]),
     "node names listed twice: a"),
    (dict(nodes=[{"name": "a", "addresses": ["1.1.1.1", "2.2.2.1"]}, {"name": "b", "addresses": ["1.1.1.2"]}]),
     "same number of addresses"),
    (dict(nodes=[{"name": "a", "addresses": ["1.1.1.1"]}, {"name": "b", "addresses": ["1.1.1.1"]}]),
     "addresses used twice: 1.1.1.1"),
    (dict(nodes=[]), "at least one node"),
    (dict(transport="udpu"), "supports one address per node"),
    (dict(links=[{"linknumber": 4, "link_priority": 1}]), "link 4 has options"),
    (dict(quorum={"two_node": True}), "quorum.two_node=1 does not fit"),
    # what pcs 0.11.5 refuses at setup, refused before any pcs command runs
    (dict(name="my.cluster"), "name 'my.cluster': a cluster name is 1 to 32 letters, digits, _ or -"),
    (dict(name="c" * 33), "a cluster name is 1 to 32"),
    (dict(name=""), "a cluster name is 1 to 32"),
    (dict(totem={"token": "soon"}), "totem.token must be a non-negative integer, got 'soon'"),
    (dict(totem={"token": -1}), "totem.token must be a non-negative integer, got '-1'"),
    (dict(totem={"tokn": 3000}), "totem: unknown option tokn (known: block_unlisted_ips, consensus"),
    (dict(totem={"token": "3000\n}\nquorum {"}), "totem.token: '3000\\n}\\nquorum {' holds {, }, or a line break"),
    (dict(quorum={"wait_for_all": "yes"}), "quorum.wait_for_all must be one of 0, 1, got 'yes'"),
    (dict(quorum={"last_man_standing_window": 0}), "quorum.last_man_standing_window must be a positive integer"),
    (dict(quorum={"expected_votes": 3}), "quorum: unknown option expected_votes"),
    (dict(crypto={"cipher": "aes512"}), "crypto.cipher must be one of none, aes256, aes192, aes128, got 'aes512'"),
    (dict(compression={"model": ""}), "compression.model must be a compression model"),
    (dict(transport_options={"link_mode": "fast"}), "transport_options.link_mode must be one of active, passive, rr"),
    (dict(transport_options={"netmtu": 1500}), "transport_options: unknown option netmtu"),
    (dict(links=[{"linknumber": 1, "mcastport": 70000}]), "links[1].mcastport must be a port number, got '70000'"),
    (dict(links=[{"linknumber": 1, "link_priority": 300}]), "links[1].link_priority must be an integer from 0 to 255"),
    (dict(links=[{"linknumber": 9, "link_priority": 1}]), "links: linknumber '9' must be 0 to 7"),
    (dict(nodes=[{"name": "a b", "addresses": ["1.1.1.1"]}, {"name": "b", "addresses": ["1.1.1.2"]}]),
     "node name 'a b' must not be empty, start with - or hold blanks"),
    (dict(nodes=[{"name": "a", "addresses": ["10.0.0.1/24"]}, {"name": "b", "addresses": ["10.0.0.2"]}]),
     "node a link 0: address '10.0.0.1/24' must be an IP address or a host name"),
    (dict(nodes=[{"name": "a", "addresses": ["10.0.0.1"]}, {"name": "b", "addresses": ["fd00::2"]}]),
     "link 0 mixes IPv4 and IPv6 addresses"),
    (dict(transport="udpu", nodes=[{"name": "a", "addresses": ["1.1.1.1", "2.2.2.1"]},
                                   {"name": "b", "addresses": ["1.1.1.2", "2.2.2.2"]}]),
     "node a has 2 addresses; transport udpu takes at most 1"),
])
def test_validate_desired_errors(change, message):
    errors = c.validate_desired(c.desired_config(params(**change)))
    assert any(message in e for e in errors), errors


def test_validate_accepts_what_pcs_accepts():
    p = params(name="hsc-mol_1", totem={"token": 3000, "block_unlisted_ips": "yes"},
               quorum={"wait_for_all": True, "last_man_standing": 1, "last_man_standing_window": 10000},
               crypto={"cipher": "aes256", "hash": "sha256", "model": "nss"},
               compression={"model": "lz4", "level": 0, "threshold": 100},
               transport_options={"ip_version": "ipv4-6", "link_mode": "passive", "knet_pmtud_interval": 30},
               links=[{"linknumber": 0, "link_priority": 255, "mcastport": 5405, "transport": "sctp",
                       "ping_interval": 1000, "ping_timeout": 2000, "ping_precision": 2048, "pong_count": 2}],
               nodes=[{"name": "n1.example.com", "addresses": ["node1-ring0", "fd00::1"]},
                      {"name": "n2.example.com", "addresses": ["10.0.0.2", "fd00::2"]}])
    assert c.validate_desired(c.desired_config(p)) == []


def test_nodes_without_addresses_are_pcs_hosts():
    # pcs then uses the address each node was authenticated with
    p = params(nodes=[{"name": "a", "addresses": []}, {"name": "b", "addresses": []}], links=[])
    assert c.validate_desired(c.desired_config(p)) == []


def test_params_errors_is_what_the_module_and_the_role_check():
    assert c.params_errors(params(links=[{"link_priority": 1}])) == [
        "links: every item needs a linknumber: {'link_priority': 1}"]
    assert c.params_errors(params(totem={"token": "soon"})) == ["totem.token must be a non-negative integer, got 'soon'"]
    assert c.params_errors(params()) == []
    assert c.params_errors(params(pcsd_port=0)) == ["pcsd_port 0 is out of range (1-65535)"]
    assert c.params_errors(params(pcsd_port=2224, wait=-1)) == ["wait must be 0 or more seconds, got -1"]
    assert c.params_errors(params(request_timeout=-5)) == ["request_timeout must be 0 or more seconds, got -5"]


def test_validate_two_node_ok_for_two_nodes():
    p = params(nodes=params()["nodes"][:2], quorum={"two_node": True})
    assert c.validate_desired(c.desired_config(p)) == []
    p = params(nodes=params()["nodes"][:2], quorum={"two_node": True, "auto_tie_breaker": True})
    assert c.validate_desired(c.desired_config(p))


# ---------------------------------------------------------------- planning
def test_plan_new_cluster_is_one_setup():
    plan = c.plan_cluster(None, c.desired_config(params()), no_keys_sync=True)
    assert len(plan) == 1
    assert plan[0]["argv"] == [
        "cluster", "setup", "hsc",
        "node1", "addr=10.88.0.11", "addr=10.89.0.11",
        "node2", "addr=10.88.0.12", "addr=10.89.0.12",
        "node3", "addr=10.88.0.13", "addr=10.89.0.13",
        "transport", "knet", "link", "linknumber=1", "link_priority=10",
        "totem", "consensus=1200", "token=1000",
        "quorum", "wait_for_all=1",
        "--enable", "--no-keys-sync",
    ]


@pytest.mark.parametrize("enable", [True, False])
def test_plan_new_cluster_local_setup_writes_syncs_and_enables(enable):
    plan = c.plan_cluster(None, c.desired_config(params()), enable=enable, no_keys_sync=True,
                          local_setup_path="/etc/corosync/corosync.conf")
    assert [a["kind"] for a in plan] == ["setup", "sync"] + (["enable"] if enable else [])
    # local only mode: pcs takes no --enable, --start or --no-keys-sync with --corosync_conf
    assert plan[0]["argv"][-3:] == ["wait_for_all=1", "--corosync_conf", "/etc/corosync/corosync.conf"]
    assert plan[1]["argv"] == ["cluster", "sync", "corosync"]
    assert not any(a["needs_stopped_cluster"] for a in plan)


def test_setup_argv_offline_matches_recorded_file(tmp_path):
    """The argv we build, given to the real pcs offline, produced the recorded fixture."""
    argv = c.setup_argv(c.desired_config(params()), corosync_conf=str(tmp_path / "x.conf"))
    assert argv[-2:] == ["--corosync_conf", str(tmp_path / "x.conf")]
    assert "--enable" not in argv and "--start" not in argv


def test_plan_no_change():
    assert c.plan_cluster(live_3node(), c.desired_config(params())) == []


def test_plan_unmentioned_options_are_left_alone():
    assert c.plan_cluster(live_3node(), c.desired_config(params(totem={}, quorum={}, links=[]))) == []


def test_plan_totem_change_live():
    plan = c.plan_cluster(live_3node(), c.desired_config(params(totem={"token": 3000, "consensus": 1200})))
    assert [a["argv"] for a in plan] == [["cluster", "config", "update", "totem", "token=3000"]]
    assert not plan[0]["needs_stopped_cluster"]


def test_plan_transport_and_crypto_in_one_update():
    plan = c.plan_cluster(live_3node(), c.desired_config(params(
        transport_options={"ip_version": "ipv4"}, crypto={"cipher": "aes256", "hash": "sha512"})))
    assert plan[0]["argv"] == ["cluster", "config", "update", "transport", "ip_version=ipv4",
                               "crypto", "hash=sha512"]
    assert plan[0]["needs_stopped_cluster"]


def test_plan_quorum_needs_stop():
    plan = c.plan_cluster(live_3node(), c.desired_config(params(quorum={"wait_for_all": False})))
    assert plan == [{"argv": ["quorum", "update", "wait_for_all=0"], "text": "update quorum wait_for_all",
                     "needs_stopped_cluster": True, "kind": "quorum"}]


def test_plan_add_node_with_two_links():
    p = params()
    p["nodes"] = p["nodes"] + [{"name": "node4", "addresses": ["10.88.0.14", "10.89.0.14"]}]
    plan = c.plan_cluster(live_3node(), c.desired_config(p), wait=60)
    assert [a["argv"] for a in plan] == [[
        "cluster", "node", "add", "node4", "addr=10.88.0.14", "addr=10.89.0.14", "--enable", "--start",
        "--wait=60"]]


def test_plan_remove_node_refused_then_allowed():
    p = params()
    p["nodes"] = p["nodes"][:2]
    with pytest.raises(c.PlanError, match="node3 that are not in the wanted node list"):
        c.plan_cluster(live_3node(), c.desired_config(p))
    plan = c.plan_cluster(live_3node(), c.desired_config(p), allow_node_removal=True)
    assert [a["argv"] for a in plan] == [["cluster", "node", "remove", "node3"]]


def test_plan_refuses_rename_transport_and_replacing_all_nodes():
    with pytest.raises(c.PlanError, match="renaming a cluster means destroying it"):
        c.plan_cluster(live_3node(), c.desired_config(params(name="other")))
    with pytest.raises(c.PlanError, match="uses transport knet, udpu was asked for"):
        c.plan_cluster(live_3node(), c.desired_config(params(
            transport="udpu", links=[], nodes=[{"name": "node1", "addresses": ["10.88.0.11"]}])))
    with pytest.raises(c.PlanError, match="refusing to replace every node"):
        c.plan_cluster(live_3node(), c.desired_config(params(
            nodes=[{"name": "x", "addresses": ["1.1.1.1", "2.2.2.2"]}])), allow_node_removal=True)


def test_plan_link_add_delete_update():
    one_link = params(links=[], nodes=[dict(n, addresses=n["addresses"][:1]) for n in params()["nodes"]])
    plan = c.plan_cluster(live_3node(), c.desired_config(one_link))
    assert [a["argv"] for a in plan] == [["cluster", "link", "delete", "1"]]
    assert not plan[0]["needs_stopped_cluster"]

    three = params(links=[{"linknumber": 2, "link_priority": 5}])
    for i, node in enumerate(three["nodes"]):
        node["addresses"] = node["addresses"] + ["10.90.0.%d" % (11 + i)]
    plan = c.plan_cluster(live_3node(), c.desired_config(three))
    assert [a["argv"] for a in plan] == [[
        "cluster", "link", "add", "node1=10.90.0.11", "node2=10.90.0.12", "node3=10.90.0.13",
        "options", "linknumber=2", "link_priority=5"]]

    moved = params()
    moved["nodes"][1] = {"name": "node2", "addresses": ["10.88.0.22", "10.89.0.12"]}
    moved["links"] = [{"linknumber": 1, "link_priority": 20}]
    plan = c.plan_cluster(live_3node(), c.desired_config(moved))
    argvs = [a["argv"] for a in plan]
    assert argvs == [["cluster", "link", "update", "0", "node2=10.88.0.22"],
                     ["cluster", "link", "update", "1", "options", "link_priority=20"]]
    assert all(a["needs_stopped_cluster"] for a in plan)
    assert plan[0]["text"] == "update link 0: addresses of node2"


def test_predict_config():
    wanted = c.desired_config(params(totem={"token": 3000}))
    after = c.predict_config(live_3node(), wanted)
    assert after["totem"] == {"consensus": "1200", "token": "3000"}
    new = c.predict_config(None, c.desired_config(params(nodes=params()["nodes"][:2])))
    assert new["quorum"]["two_node"] == "1"
    new3 = c.predict_config(None, c.desired_config(params()))
    assert "two_node" not in new3["quorum"]
    shown = c.model_for_diff(after)
    assert shown["nodes"][0] == {"name": "node1", "addresses": ["10.88.0.11", "10.89.0.11"]}
    assert c.model_for_diff(None) == {}


# ---------------------------------------------------------------- pcsd
KNOWN_HOSTS = """{"format_version": 1, "data_version": 3, "known_hosts": {
 "node1": {"dest_list": [{"addr": "10.88.0.11", "port": 2224}], "token": "SECRET1"},
 "node2": {"dest_list": [{"addr": "10.88.0.99", "port": 2224}], "token": "SECRET2"}}}"""


def test_known_hosts_drop_tokens():
    hosts = c.parse_known_hosts(KNOWN_HOSTS)
    assert hosts == {"node1": ["10.88.0.11:2224"], "node2": ["10.88.0.99:2224"]}
    assert "SECRET" not in repr(hosts)


def test_pcsd_status_and_auth_plan():
    status = c.parse_pcsd_status("  node1: Online\n  node2: Unable to authenticate\n  node3: Offline\n")
    assert status == {"node1": "Online", "node2": "Unable to authenticate", "node3": "Offline"}
    nodes = [{"name": "node1", "pcsd_address": "10.88.0.11"}, {"name": "node2", "pcsd_address": "10.88.0.12"},
             {"name": "node3", "pcsd_address": "10.88.0.13"}]
    known = c.parse_known_hosts(KNOWN_HOSTS)
    assert c.plan_auth(nodes, known, status) == ["node2", "node3"]
    assert c.plan_auth(nodes[:1], known, status) == []
    assert c.plan_auth(nodes[:1], known, {"node1": "Unable to authenticate"}) == ["node1"]


def test_live_lab_config():
    """corosync.conf and pcs JSON captured on the lab cluster the role formed."""
    tree = c.parse_corosync_conf(fixture("live-corosync.conf"))
    from_tree = c.config_from_corosync_tree(tree)
    from_json = c.config_from_pcs_json(fixture("live-cluster-config.json"), two_node=from_tree["quorum"].get("two_node"))
    assert from_tree == from_json
    assert from_json["totem"] == {"token": "1000"}
    assert [len(n["addresses"]) for n in from_json["nodes"]] == [2, 2, 2]
    hosts = c.parse_known_hosts(fixture("live-known-hosts.json"))
    assert sorted(hosts) == ["node1", "node2", "node3"]
    status = c.parse_pcsd_status(fixture("live-pcs-status-pcsd.txt"))
    assert status == {"node1": "Online", "node2": "Online", "node3": "Online"}


@pytest.mark.parametrize("overrides, message", [
    (dict(name="--force"), "name '--force': a cluster name is 1 to 32 letters, digits, _ or -, not starting with -"),
    (dict(nodes=[{"name": "-f", "addresses": ["10.88.0.11"]}, {"name": "node2", "addresses": ["10.88.0.12"]}]),
     "nodes: node name '-f' must not be empty, start with -"),
    (dict(auth_password="pw\nmore"), "auth_password must not hold a line break"),
    (dict(auth_username="--debug"), "auth_username '--debug' must not start with -"),
])
def test_what_pcs_would_read_as_an_option_is_refused(overrides, message):
    errors = c.params_errors(params(**overrides))
    assert [e for e in errors if message in e], errors
    assert not [e for e in errors if "pw\nmore" in e]


# ------------------------------------------------------------------ pcs_cluster's action lists
def _texts(actions):
    return [a["text"] for a in actions]


def test_auth_actions_password_on_stdin_only_for_needed_nodes():
    nodes = [{"name": "node1", "pcsd_address": "10.88.0.11"}, {"name": "node2", "pcsd_address": "10.88.0.12"}]
    assert c.auth_actions(nodes, [], 2224, "hacluster", "pw") == []
    [action] = c.auth_actions(nodes, ["node2"], 2225, "hacluster", "pw")
    assert action["argv"] == ["host", "auth", "node2", "addr=10.88.0.12:2225", "-u", "hacluster"]
    assert action["data"] == "pw\n" and "pw" not in action["argv"]
    assert action["authenticated"] == ["node2"] and action["text"] == "authenticate pcsd on node2"


def test_cluster_actions_new_cluster_seeds_then_starts_everyone():
    wanted = c.desired_config(params())
    plan = c.plan_cluster(None, wanted, no_keys_sync=True)
    actions = c.cluster_actions(plan, wanted, running=False, online=[], current_exists=False,
                                initial_properties={"dc-deadtime": "3s"}, cib_seed_exists=False)
    assert _texts(actions) == ["create cluster hsc with nodes node1, node2, node3",
                               "seed the first CIB with dc-deadtime=3s",
                               "start the cluster on node1, node2, node3"]
    assert actions[1]["seed"] == {"dc-deadtime": "3s"} and "argv" not in actions[1]
    assert actions[2]["argv"] == ["cluster", "start", "--all", "--wait=120"]
    assert actions[2]["started"] == ["node1", "node2", "node3"]
    # state=configured: no start; an existing CIB: no seed
    actions = c.cluster_actions(plan, wanted, running=False, online=[], current_exists=False, state="configured",
                                initial_properties={"dc-deadtime": "3s"}, cib_seed_exists=True)
    assert _texts(actions) == ["create cluster hsc with nodes node1, node2, node3"]


def test_cluster_actions_running_cluster_starts_only_offline_nodes():
    wanted = c.desired_config(params())
    assert c.cluster_actions([], wanted, running=True, online=["node1", "node2", "node3"]) == []
    [start] = c.cluster_actions([], wanted, running=True, online=["node1", "node3"], wait=0)
    assert start["argv"] == ["cluster", "start", "node2"] and start["started"] == ["node2"]
    # nothing runs on this node: start them all
    [start] = c.cluster_actions([], wanted, running=False, online=[])
    assert start["argv"] == ["cluster", "start", "--all", "--wait=120"]


def test_cluster_actions_restart_refused_then_wrapped_around_the_change():
    wanted = c.desired_config(params(quorum={"wait_for_all": False}))
    plan = c.plan_cluster(live_3node(), wanted)
    with pytest.raises(c.PlanError, match="need the whole cluster stopped.*running on node1, node2"):
        c.cluster_actions(plan, wanted, running=True, online=["node1", "node2"])
    actions = c.cluster_actions(plan, wanted, running=True, online=["node1", "node2", "node3"], wait=60,
                                allow_cluster_restart=True)
    assert actions[0]["argv"] == ["cluster", "stop", "--all", "--wait=60"]
    assert actions[1]["argv"] == plan[0]["argv"] and actions[1]["message"] == "pcs could not %s" % plan[0]["text"]
    assert actions[-1]["argv"] == ["cluster", "start", "--all", "--wait=60"]
    # a stopped cluster is changed as it is, then started
    actions = c.cluster_actions(plan, wanted, running=False, online=[], state="configured")
    assert [a["argv"] for a in actions] == [a["argv"] for a in plan]
