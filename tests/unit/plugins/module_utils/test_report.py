# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The published cluster report (_report): built from recorded crm_mon,
cibadmin and stonith_admin output, rendered as text and HTML."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from html.parser import HTMLParser

from ansible_collections.hastorage.cluster.plugins.module_utils import _crm_mon as m
from ansible_collections.hastorage.cluster.plugins.module_utils import _report as r

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "cluster")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def report(crm_mon, cib="report-cib.xml", history=None):
    return r.build_report(m.parse_crm_mon(fixture(crm_mon)),
                          cib=m.parse_cib(fixture(cib)) if cib else None,
                          fence_history=m.parse_fence_history(fixture(history)) if history else None)


def stack(rep, stack_id):
    return [s for s in rep["stacks"] if s["id"] == stack_id][0]


def test_every_stack_kind_from_the_cib():
    rep = report("report-crm_mon-up.xml")
    assert rep["cluster"] == "hsc-report" and rep["running"] is True
    assert [(s["id"], s["kind"]) for s in rep["stacks"]] == [
        ("g_g1", "group"), ("g_g2", "group"), ("g_api-clone", "clone"), ("mgmt_vip", "primitive")]
    g1 = stack(rep, "g_g1")
    assert g1["start_order"] == ["fs_g1", "smb_g1", "vip_g1"]
    assert [(la["agent"], la["state"], la["on"]) for la in g1["layers"]] == [
        ("ocf:heartbeat:Dummy", "started", {"node1": "Started"}),
        ("ocf:heartbeat:Dummy", "started", {"node1": "Started"}),
        ("ocf:heartbeat:IPaddr2", "started", {"node1": "Started"})]
    assert g1["state"] == "started" and g1["together"] and g1["node"] == "node1" and g1["nodes"] == ["node1"]
    assert g1["vips"] == ["192.0.2.11"] and g1["vip_last"] is True
    assert g1["layers"][2]["params"] == {"ip": "192.0.2.11", "cidr_netmask": "24", "nic": "eth0"}
    assert g1["prefers"] == [{"node": "node1", "score": "50", "id": "location-g_g1-node1-50", "temporary": False}]
    assert [(a["node"], a["score"]) for a in g1["avoids"]] == [("node3", "-INFINITY")]
    api = stack(rep, "g_api-clone")
    assert api["group"] == "g_api" and api["clone"] == "g_api-clone" and api["after"] == ["g_g1"]
    assert api["nodes"] == ["node1", "node2", "node3"] and api["node"] is None and api["together"]
    lone = stack(rep, "mgmt_vip")
    assert lone["node"] == "node3" and lone["vips"] == ["192.0.2.20"] and lone["layers"][0]["id"] == "mgmt_vip"
    g2 = stack(rep, "g_g2")
    assert g2["state"] == "partial" and g2["node"] is None and not g2["together"]
    assert [(la["id"], la["state"], la["disabled"]) for la in g2["layers"]] == [
        ("fs_g2", "started", False), ("vip_g2", "stopped", True)]
    assert rep["problems"] == ["quorum unknown (no DC)", "stack g_g2 is partial (disabled: vip_g2)"]
    assert rep["fencing"]["enabled"] is True
    assert rep["fencing"]["devices"] == [{"id": "fence_all", "agent": "stonith:fence_dummy",
                                          "targets": ["node1", "node2", "node3"], "state": "started",
                                          "nodes": ["node1"]}]
    assert [n["state"] for n in rep["nodes"]] == ["online", "online", "online"]


def test_a_tickle_after_the_vip_keeps_the_vip_last():
    # the dual-controller and integrated designs end a group with ocf:hastorage:tcp_tickle after its VIP; the
    # failover drill counts a group back only with vip_last
    vip = """      <resource id="vip_g1" resource_agent="ocf:heartbeat:IPaddr2" role="Started" active="true" \
orphaned="false" blocked="false" managed="true" failed="false" failure_ignored="false" nodes_running_on="1">
        <node name="node1" id="node1" cached="true"/>
      </resource>
"""
    text = fixture("report-crm_mon-up.xml")
    assert vip in text
    for agent, last in (("ocf:hastorage:tcp_tickle", True), ("ocf:heartbeat:portblock", True),
                        ("ocf:heartbeat:Dummy", False)):
        tickle = vip.replace("vip_g1", "tickle_g1").replace("ocf:heartbeat:IPaddr2", agent)
        rep = r.build_report(m.parse_crm_mon(text.replace(vip, vip + tickle)),
                             cib=m.parse_cib(fixture("report-cib.xml")))
        g1 = stack(rep, "g_g1")
        assert g1["start_order"] == ["fs_g1", "smb_g1", "vip_g1", "tickle_g1"]
        assert g1["vip_last"] is last, agent
    # a tickle alone is no VIP
    assert r._vip_last([{"agent": "ocf:hastorage:tcp_tickle"}]) is False
    assert r._vip_last([]) is False


def test_node_lost():
    rep = report("report-crm_mon-node1-lost.xml")
    assert [(n["name"], n["state"]) for n in rep["nodes"]] == [
        ("node1", "offline"), ("node2", "online"), ("node3", "online")]
    assert stack(rep, "g_g1")["node"] == "node2" and stack(rep, "g_g1")["state"] == "started"
    api = stack(rep, "g_api-clone")
    assert api["state"] == "partial" and api["layers"][0]["on"] == {"node2": "Started", "node3": "Started"}
    assert "node node1 is offline" in rep["problems"] and "stack g_api-clone is partial" in rep["problems"]
    assert rep["fencing"]["devices"][0]["nodes"] == ["node2"]


def test_promotable_clone_and_constraints_between_stacks():
    rep = report("crm_mon-A-output-as-xml.xml", cib="cib-nfs-ha.xml", history="live-stonith_admin-history.xml")
    drbd = stack(rep, "drbd_r0-clone")
    assert drbd["kind"] == "promotable" and drbd["layers"][0]["on"] == {"node1": "Promoted", "node2": "Unpromoted"}
    assert drbd["layers"][0]["params"] == {"drbd_resource": "r0"}
    nfs = stack(rep, "g_nfs")
    assert nfs["after"] == ["drbd_r0-clone"] and nfs["with"] == ["drbd_r0-clone"]
    assert nfs["vips"] == ["192.168.10.100"] and nfs["vip_last"] is False  # this CIB's VIP is not last
    assert nfs["nfs"] and nfs["smb"] and nfs["nfs_exports"] == ["/srv/nfs/data"] and nfs["smb_shares"] == []
    assert [d["id"] for d in rep["fencing"]["devices"]] == [
        "fence_node1", "fence_node2", "scsi_fence", "mpath_fence", "sbd_fence"]
    assert rep["fencing"]["last_events"][0]["target"] == "node3"
    assert rep["problems"] == ["quorum unknown (no DC)"]


def test_nas_stack_services():
    rep = report("report-nas-crm_mon.xml", cib="report-nas-cib.xml")
    g1 = stack(rep, "g_g1")
    assert rep["cluster"] == "hsc-nas" and g1["node"] == "node1"
    assert g1["smb_shares"] == ["g1data", "g1more"] and g1["nfs_exports"] == ["/srv/g1/nfs"]
    assert g1["smb"] and g1["nfs"] and g1["vips"] == ["192.0.2.31"] and g1["vip_last"]
    assert g1["layers"][0]["params"] == {"device": "/dev/sdb", "directory": "/srv/g1", "fstype": "ext4"}
    # the shares layer's config file and mountpoint are not shown parameters
    assert g1["layers"][2]["params"] == {"shares": "g1data g1more", "directories": "1777:/srv/g1/smb 0755:/srv/g1/more"}


def test_failed_action_is_a_problem():
    rep = report("crm_mon-failed-op.xml", cib="cib-nfs-ha.xml")
    assert rep["failures"][0]["op_key"] == "fs_r0_monitor_20000"
    assert "failed action fs_r0_monitor_20000 on node1: not running" in rep["problems"]


def test_live_cluster_without_cib():
    rep = report("live-crm_mon-3node.xml", cib=None)
    assert rep["quorum"] is True and rep["dc"] == "node2" and rep["cluster"] is None
    assert [n["is_dc"] for n in rep["nodes"]] == [False, True, False]
    assert rep["fencing"]["enabled"] is None
    assert rep["fencing"]["devices"] == [{"id": "fence_lab", "agent": "stonith:fence_podman_lab", "targets": [],
                                          "state": "started", "nodes": ["node1"]}]
    assert rep["stacks"] == [] and rep["problems"] == []


def test_not_running():
    rep = r.build_report(m.parse_crm_mon(fixture("crm_mon-not-running.xml")))
    assert rep["running"] is False and rep["stacks"] == [] and rep["nodes"] == []
    assert rep["problems"] == ["Pacemaker does not run on the node read (Not connected)"]


def test_fencing_problems():
    facts = m.parse_crm_mon(fixture("live-crm_mon-3node.xml"))
    cib = m.parse_cib(fixture("cibadmin-empty.xml"))
    cib["properties"]["stonith-enabled"] = "false"
    events = [{"target": "node%d" % i, "action": "reboot", "status": "success"} for i in range(7)]
    events[1] = {"target": "node3", "action": "reboot", "status": "failed", "exit_reason": "timed out"}
    rep = r.build_report(facts, cib=cib, fence_history=events)
    assert len(rep["fencing"]["last_events"]) == 5 and rep["fencing"]["enabled"] is False
    assert rep["fencing"]["devices"] == []
    assert rep["problems"] == ["fencing is disabled (stonith-enabled=false)", "no fence device is configured",
                               "fencing of node3 failed (timed out)"]


def test_node_states():
    states = [r._node_state(n) for n in (
        {"online": True}, {"online": True, "standby": True}, {"online": True, "maintenance": True, "standby": True},
        {"online": False}, {"online": False, "unclean": True})]
    assert states == ["online", "standby", "maintenance", "offline", "unclean"]


def test_scores():
    assert [r._score(v) for v in ("50", "-INFINITY", "INFINITY", "+INFINITY", None, "x")] == [
        50, -1000000, 1000000, 1000000, 0, 0]


def test_find_stack():
    rep = report("report-crm_mon-up.xml")
    assert r.find_stack(rep, "g1")["id"] == "g_g1"
    assert r.find_stack(rep, "g_g1")["id"] == "g_g1"
    assert r.find_stack(rep, "g_api")["id"] == "g_api-clone"
    assert r.find_stack(rep, "api")["id"] == "g_api-clone"
    assert r.find_stack(rep, "mgmt_vip")["kind"] == "primitive"
    assert r.find_stack(rep, "g9") is None


def test_text_table():
    lines = r.report_lines(report("report-crm_mon-node1-lost.xml"))
    assert lines[0] == "cluster hsc-report: quorum -, DC -, fencing enabled, 1 fence device(s)"
    assert lines[1] == "nodes: node1 offline, node2 online, node3 online"
    header = [ln for ln in lines if ln.startswith("stack ")][0]
    assert header.split() == ["stack", "layer", "agent", "state", "node1", "node2", "node3"]
    row = [ln for ln in lines if ln.startswith("g_g1 (group)")][0]
    assert "on node2 vip 192.0.2.11 prefers node1 avoids node3" in row and row.rstrip().endswith("*")
    vip = [ln for ln in lines if ln.split()[:1] == ["vip_g1"]][0]
    # the role stands in node2's column
    assert vip.index("Started") == header.index("node2")
    assert lines[-1] == "PROBLEM: stack g_api-clone is partial"


class _Page(HTMLParser):
    """Collects the open/close tag balance, data-* cells and external references."""

    VOID = ("br", "meta", "link", "img", "input", "hr")

    def __init__(self):
        HTMLParser.__init__(self, convert_charrefs=True)
        self.stack, self.errors, self.cells, self.external, self.text = [], [], [], [], []
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "link", "img", "iframe") or "src" in attrs or "href" in attrs:
            self.external.append((tag, attrs))
        if tag not in self.VOID:
            self.stack.append(tag)
        if tag == "td" and "data-node" in attrs and "data-layer" in attrs:
            self._cell = [attrs["data-layer"], attrs["data-node"], ""]

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("unexpected </%s> in %s" % (tag, self.stack))
        else:
            self.stack.pop()
        if tag == "td" and self._cell:
            self.cells.append(tuple(self._cell))
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell:
            self._cell[2] += data


def parse(page):
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


def test_html_page():
    page = r.report_html(report("report-crm_mon-node1-lost.xml"), generated="2026-12-03T13:00:00Z")
    parsed = parse(page)
    assert page.startswith("<!DOCTYPE html>") and parsed.errors == [] and parsed.stack == []
    assert parsed.external == []
    assert "url(" not in page and "@import" not in page
    cells = dict(((layer, node), text) for layer, node, text in parsed.cells)
    assert cells[("vip_g1", "node2")] == "Started" and cells[("vip_g1", "node1")] == ""
    assert cells[("haproxy_api", "node3")] == "Started" and cells[("vip_g2", "node3")] == ""
    assert '<th class="node state-offline" data-node="node1" data-state="offline">' in page
    assert '<tbody class="stack" data-stack="g_g2" data-state="partial">' in page
    assert '<td class="warn" data-value="unknown" id="quorum">unknown (no DC)</td>' in page
    assert '<td class="ok" data-value="true" id="fencing">enabled</td>' in page
    assert "<li>node node1 is offline</li>" in page
    assert "<title>Cluster report: hsc-report</title>" in page and "2026-12-03T13:00:00Z" in page
    # quorum and fencing come before the stacks
    assert page.index('id="quorum"') < page.index('id="fencing"') < page.index('class="stacks"')


def test_html_escapes_everything():
    rep = report("report-crm_mon-up.xml")
    rep["cluster"] = '<script>alert("x")</script>'
    rep["stacks"][0]["layers"][0]["on"]["node1"] = "<b>&'"
    rep["problems"].append('fence "x" <img src=y>')
    rep["fencing"]["last_events"] = [{"target": "<i>", "action": "reboot", "status": "failed",
                                      "delegate": "a&b", "completed": None}]
    page = r.report_html([rep, report("report-crm_mon-node1-lost.xml")], title="A & B")
    parsed = parse(page)
    assert parsed.errors == [] and parsed.external == []
    assert "<script>" not in page and "<img" not in page and "<b>" not in page and "<i>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&lt;b&gt;&amp;&#x27;" in page and "a&amp;b" in page and "<title>A &amp; B</title>" in page
    assert page.count('<section class="cluster"') == 2


def test_html_quorum_and_dc():
    rep = report("live-crm_mon-3node.xml", cib=None)
    page = r.report_html(rep)
    assert '<td class="ok" data-value="true" id="quorum">yes</td>' in page
    assert '<td id="dc">node2</td>' in page
    assert '<td class="warn" data-value="none" id="fencing">not read</td>' in page
    assert '<p class="ok" id="no-problems">No problems found.</p>' in page
    rep["quorum"] = False
    assert '<td class="bad" data-value="false" id="quorum">NO</td>' in r.report_html(rep)


def test_escape():
    assert r.escape(None) == "" and r.escape(5) == "5"
    assert r.escape("<a href='x'>&\"") == "&lt;a href=&#x27;x&#x27;&gt;&amp;&quot;"


def test_choose_readers():
    hosts = [
        {"host": "a1", "cluster": "a", "reachable": False},
        {"host": "a2", "cluster": "a", "reachable": True},
        {"host": "a3", "cluster": "a", "reachable": True},
        {"host": "b1", "cluster": "b", "reachable": False},
        {"host": "c1", "reachable": True},
    ]
    assert r.choose_readers(hosts) == {"a": "a2", "b": None, "": "c1"}
    # Pacemaker with quorum first, then running, then reachable
    ranked = [
        {"host": "n1", "cluster": "x", "reachable": True, "running": False},
        {"host": "n2", "cluster": "x", "reachable": True, "running": True, "quorum": False},
        {"host": "n3", "cluster": "x", "reachable": True, "running": True, "quorum": True},
        {"host": "n4", "cluster": "x", "reachable": True, "running": True, "quorum": True},
    ]
    assert r.choose_readers(ranked) == {"x": "n3"}
    assert r.choose_readers(ranked[:2]) == {"x": "n2"}
    assert r.choose_readers(ranked[:1]) == {"x": "n1"}
    assert r.choose_readers([]) == {}
