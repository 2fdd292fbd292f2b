# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils import _crm_mon as m

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "cluster")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def test_full_status():
    facts = m.parse_crm_mon(fixture("crm_mon-A-output-as-xml.xml"))
    assert facts["connected"] is True
    assert facts["dc"] is None  # a CIB file has no DC
    assert [n["name"] for n in facts["nodes"]] == ["node1", "node2"]
    assert m.online_nodes(facts) == ["node1", "node2"]
    assert facts["cluster_options"]["no-quorum-policy"] == "stop"
    drbd = [r for r in facts["resources"] if r["id"] == "drbd_r0"]
    assert [(r["role"], r["nodes"]) for r in drbd] == [("Promoted", ["node1"]), ("Unpromoted", ["node2"])]
    assert drbd[0]["clone"] == "drbd_r0-clone" and drbd[0]["group"] is None
    assert facts["groups"] == [{"id": "g_nfs", "members": ["fs_r0", "vip", "nfsd", "export_data", "smb"],
                                "clone": None, "managed": True, "disabled": False}]
    assert [c["id"] for c in facts["clones"]] == ["drbd_r0-clone", "ethmon-clone"]
    assert facts["clones"][0]["promotable"] is True and facts["clones"][1]["promotable"] is False
    assert facts["node_attributes"]["node1"]["master-drbd_r0"] == "10000"
    assert facts["bans"][0]["resource"] == "fence_node1" and facts["bans"][0]["weight"] == -1000000
    assert facts["failures"] == []
    fence = [r for r in facts["resources"] if r["agent"] == "stonith:fence_ipmilan"]
    assert [(r["id"], r["nodes"]) for r in fence] == [("fence_node1", ["node2"]), ("fence_node2", ["node1"])]


def test_not_running():
    facts = m.parse_crm_mon(fixture("crm_mon-not-running.xml"))
    assert facts["connected"] is False
    assert facts["status_code"] == 102
    assert facts["status_message"] == "Not connected"
    assert "crm_mon: Connection to cluster failed: Connection refused" in facts["errors"]
    assert facts["nodes"] == [] and m.stack_report(facts) == []


def test_node_lost_and_stopped_instances():
    facts = m.parse_crm_mon(fixture("crm_mon-node1-lost.xml"))
    node1 = [n for n in facts["nodes"] if n["name"] == "node1"][0]
    assert node1["online"] is False and node1["unclean"] is False
    assert m.online_nodes(facts) == ["node2"]
    stopped = [r for r in facts["resources"] if r["role"] == "Stopped"]
    assert sorted(r["id"] for r in stopped) == ["drbd_r0", "ethmon"]
    assert all(r["nodes"] == [] and not r["active"] for r in stopped)


def test_failures():
    facts = m.parse_crm_mon(fixture("crm_mon-failed-op.xml"))
    assert facts["failures"] == [{
        "op_key": "fs_r0_monitor_20000", "node": "node1", "task": "monitor", "interval_ms": 20000,
        "exitcode": 7, "exitstatus": "not running", "exitreason": "Simulated action result",
        "status": "complete", "last_rc_change": "2026-11-22 03:59:16Z"}]


def test_stack_report_together():
    report = m.stack_report(m.parse_crm_mon(fixture("crm_mon-A-output-as-xml.xml")))
    assert len(report) == 1
    stack = report[0]
    assert stack["group"] == "g_nfs"
    assert stack["start_order"] == ["fs_r0", "vip", "nfsd", "export_data", "smb"]
    assert stack["node"] == "node1" and stack["nodes"] == ["node1"]
    assert stack["started"] and stack["together"] and stack["state"] == "started"
    assert stack["members"][1] == {"id": "vip", "agent": "ocf:heartbeat:IPaddr2", "role": "Started",
                                   "active": True, "failed": False, "nodes": ["node1"]}


def _status(group_members):
    """A crm_mon document with one group whose members are (id, role, node|None)."""
    parts = []
    for rid, role, node in group_members:
        inner = '<node name="%s" id="1" cached="true"/>' % node if node else ""
        parts.append('<resource id="%s" resource_agent="ocf:heartbeat:Dummy" role="%s" active="%s" orphaned="false" '
                     'blocked="false" managed="true" failed="false" failure_ignored="false">%s</resource>'
                     % (rid, role, "true" if node else "false", inner))
    return ('<pacemaker-result api-version="2.25"><summary><current_dc present="true" name="n1" with_quorum="true"/>'
            '</summary><nodes/><resources><group id="g" number_resources="%d" managed="true" disabled="false">%s'
            '</group></resources><status code="0" message="OK"/></pacemaker-result>'
            % (len(group_members), "".join(parts)))


def test_stack_report_partial_split_and_stopped():
    partial = m.stack_report(m.parse_crm_mon(_status([("a", "Started", "n1"), ("b", "Stopped", None)])))[0]
    assert partial["state"] == "partial" and not partial["started"] and partial["together"]
    split = m.stack_report(m.parse_crm_mon(_status([("a", "Started", "n1"), ("b", "Started", "n2")])))[0]
    assert split["state"] == "started" and not split["together"] and split["node"] is None
    stopped = m.stack_report(m.parse_crm_mon(_status([("a", "Stopped", None), ("b", "Stopped", None)])))[0]
    assert stopped["state"] == "stopped" and not stopped["together"] and stopped["nodes"] == []


def test_dc_and_quorum():
    facts = m.parse_crm_mon(_status([("a", "Started", "n1")]))
    assert facts["dc"] == "n1" and facts["quorum"] is True


def test_roles_normalised():
    facts = m.parse_crm_mon(_status([("a", "Master", "n1")]))
    assert facts["resources"][0]["role"] == "Promoted"
    assert m.role("Slave") == "Unpromoted"


def test_bad_xml():
    with pytest.raises(m.StatusParseError, match="did not print XML"):
        m.parse_crm_mon("Error: not xml")
    with pytest.raises(m.StatusParseError, match="expected <pacemaker-result>"):
        m.parse_crm_mon("<cib/>")
    with pytest.raises(m.StatusParseError, match="no <configuration>"):
        m.parse_cib("<cib/>")


def test_parse_cib():
    cib = m.parse_cib(fixture("cib-nfs-ha.xml"))
    assert cib["properties"]["stonith-enabled"] == "true"
    assert cib["properties"]["no-quorum-policy"] == "stop"
    assert cib["resource_defaults"] == {"resource-stickiness": "100"}
    devices = dict((d["id"], d) for d in cib["stonith_devices"])
    assert devices["fence_node1"]["targets"] == ["node1"]
    assert devices["fence_node1"]["agent"] == "stonith:fence_ipmilan"
    assert devices["mpath_fence"]["targets"] == ["node1", "node2"]
    assert devices["scsi_fence"]["targets"] == ["node1", "node2"]
    assert devices["scsi_fence"]["meta"].get("provides") == "unfencing"
    assert "ocf:heartbeat:IPaddr2" in [p["agent"] for p in cib["primitives"]]
    types = sorted(set(c["type"] for c in cib["constraints"]))
    assert types == ["colocation", "location", "order"]


def test_fence_targets():
    assert m.fence_targets({"pcmk_host_list": "a,b c"}) == ["a", "b", "c"]
    assert m.fence_targets({"pcmk_host_map": "a:1;b:2"}) == ["a", "b"]
    assert m.fence_targets({}) == []


def test_fence_history_live():
    """Captured after ``pcs stonith fence node3`` on the 3-node lab cluster."""
    events = m.parse_fence_history(fixture("live-stonith_admin-history.xml"))
    assert events == [{
        "target": "node3", "action": "reboot", "status": "success", "exit_reason": None, "delegate": "node1",
        "client": "stonith_admin.3210", "origin": "node1", "completed": "2026-11-22 04:46:45Z",
        "extended_status": None}]
    assert m.parse_fence_history(fixture("live-stonith_admin-history-empty.xml")) == []


def test_live_three_node_cluster():
    facts = m.parse_crm_mon(fixture("live-crm_mon-3node.xml"))
    assert facts["connected"] and facts["quorum"] is True
    assert facts["dc"] in ("node1", "node2", "node3")
    assert sorted(m.online_nodes(facts)) == ["node1", "node2", "node3"]
    assert [r["id"] for r in facts["resources"]] == ["fence_lab"]
    assert facts["resources"][0]["agent"] == "stonith:fence_podman_lab"
    assert m.stack_report(facts) == []


def test_cib_structure_and_shown_params():
    cib = m.parse_cib(fixture("cib-nfs-ha.xml"))
    assert cib["groups"] == [{"id": "g_nfs", "members": ["fs_r0", "vip", "nfsd", "export_data", "smb"], "clone": None}]
    assert cib["clones"] == [{"id": "drbd_r0-clone", "child": "drbd_r0", "promotable": True},
                             {"id": "ethmon-clone", "child": "ethmon", "promotable": False}]
    by_id = dict((p["id"], p) for p in cib["primitives"])
    assert (by_id["vip"]["group"], by_id["vip"]["clone"]) == ("g_nfs", None)
    assert (by_id["drbd_r0"]["group"], by_id["drbd_r0"]["clone"]) == (None, "drbd_r0-clone")
    assert by_id["vip"]["params"] == {"ip": "192.168.10.100", "cidr_netmask": "24", "nic": "eth0"}
    # only the shown parameters: never a fence device's (they are not primitives here) or other attributes
    assert all(set(p["params"]) <= m.SHOWN_PARAMS for p in cib["primitives"])
    assert "fence_node1" not in by_id


def test_cib_group_in_a_clone():
    cib = m.parse_cib(fixture("report-cib.xml"))
    assert [g for g in cib["groups"] if g["id"] == "g_api"] == [
        {"id": "g_api", "members": ["haproxy_api"], "clone": "g_api-clone"}]
    assert [c for c in cib["clones"] if c["id"] == "g_api-clone"] == [
        {"id": "g_api-clone", "child": "g_api", "promotable": False}]
    by_id = dict((p["id"], p) for p in cib["primitives"])
    assert (by_id["haproxy_api"]["group"], by_id["haproxy_api"]["clone"]) == ("g_api", "g_api-clone")
    assert cib["properties"]["cluster-name"] == "hsc-report"


def test_cib_ownership_record_is_listed_not_counted_as_properties():
    text = fixture("cib-nfs-ha.xml").replace(
        "</crm_config>",
        '<cluster_property_set id="hastorage-cluster-owned">'
        '<nvpair id="o1" name="primitive vip" value="hastorage.cluster"/>'
        '<nvpair id="o2" name="group g_nfs" value="hastorage.cluster"/></cluster_property_set></crm_config>', 1)
    assert text != fixture("cib-nfs-ha.xml")
    cib = m.parse_cib(text)
    assert cib["owned"] == ["group g_nfs", "primitive vip"]
    assert "primitive vip" not in cib["properties"]
    assert cib["properties"]["stonith-enabled"] == "true"
    assert m.parse_cib(fixture("cib-nfs-ha.xml"))["owned"] == []


def test_parse_cib_reads_through_the_one_cib_parser(monkeypatch):
    """pacemaker_info's facts and pcs_cib's snapshot start from the same parse (_cib_snapshot.parse_cib)."""
    from ansible_collections.hastorage.cluster.plugins.module_utils import _cib_snapshot
    seen = []
    real = _cib_snapshot.parse_cib
    monkeypatch.setattr(_cib_snapshot, "parse_cib", lambda text: seen.append(text) or real(text))
    m.parse_cib(fixture("cib-nfs-ha.xml"))
    assert seen == [fixture("cib-nfs-ha.xml")]
    with pytest.raises(m.StatusParseError, match="cibadmin --query: cannot parse the CIB"):
        m.parse_cib("Error: not xml")
    with pytest.raises(m.StatusParseError, match="not a CIB: the root element is <foo>"):
        m.parse_cib("<foo><configuration/></foo>")


def test_parse_cib_skips_comments():
    text = fixture("cib-nfs-ha.xml")
    commented = text.replace("<constraints>", "<constraints><!-- placed by hand -->", 1)
    assert commented != text
    assert m.parse_cib(commented) == m.parse_cib(text)


def test_cib_file_errors(tmp_path):
    cib = tmp_path / "cib.xml"
    cib.write_text("<cib/>")
    assert m.cib_file_errors(None) == [] and m.cib_file_errors(str(cib)) == []
    assert m.cib_file_errors("cib.xml") == ["cib_file must be an absolute path, got 'cib.xml'"]
    assert m.cib_file_errors(str(tmp_path / "none.xml")) == ["cib_file %s does not exist" % (tmp_path / "none.xml")]


@pytest.mark.parametrize("nodes, bad", [([], None), (["node1", "node-2"], None), (["--all"], "'--all'"),
                                        (["node1", ""], "''"), (["a b"], "'a b'")])
def test_node_name_errors(nodes, bad):
    errors = m.node_name_errors(nodes)
    if bad is None:
        assert errors == []
    else:
        assert errors == ["nodes: node names must not be empty, hold blanks or start with -, got %s" % bad]
