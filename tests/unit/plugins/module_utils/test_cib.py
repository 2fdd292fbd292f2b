# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure parse/normalise/plan/edit functions of pcs_cib (module_utils/_cib.py and its _cib_* modules)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils import _cib, _cib_input
from ansible_collections.hastorage.cluster.plugins.module_utils._cib import CibError

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "pcs")
# built by pcs 0.11.5 itself (tests/unit/fixtures/pcs/pcs-built-nfs-ha.xml, copied from the
# shared reference fixtures, see its build-cib.sh)
PCS_BUILT = os.path.join(FIXTURES, "pcs-built-nfs-ha.xml")


def fx(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def converge(cib_text, params):
    root = _cib.parse_cib(cib_text)
    new = _cib.apply_desired(root, _cib.normalise_input(params))
    return root, new, _cib.plan(_cib.snapshot(root), _cib.snapshot(new))


# ---------------------------------------------------------------- normalisers

@pytest.mark.parametrize("given, expected", [
    ("INFINITY", "INFINITY"), ("+INFINITY", "INFINITY"), ("infinity", "INFINITY"), ("-INFINITY", "-INFINITY"),
    (50, "50"), ("+50", "50"), ("-0", "0"), ("007", "7"), ("-100", "-100"),
])
def test_normalise_score(given, expected):
    assert _cib.normalise_score(given) == expected


@pytest.mark.parametrize("bad", ["lots", "1.5", "INF", "", "50s"])
def test_normalise_score_rejects(bad):
    with pytest.raises(CibError, match="invalid score"):
        _cib.normalise_score(bad)


@pytest.mark.parametrize("given, expected", [
    ("Master", "Promoted"), ("Slave", "Unpromoted"), ("promoted", "Promoted"), ("Started", "Started"), (None, None),
])
def test_normalise_role(given, expected):
    assert _cib.normalise_role(given) == expected


def test_normalise_role_rejects():
    with pytest.raises(CibError, match="invalid role 'Boss'"):
        _cib.normalise_role("Boss")


@pytest.mark.parametrize("given, expected", [
    ("20s", "20s"), ("20", "20s"), ("1m", "60s"), ("90", "90s"), ("1500ms", "1500ms"), ("0", "0s"), ("1h", "3600s"),
    ("P1D", "P1D"),
])
def test_normalise_duration(given, expected):
    assert _cib.normalise_duration(given) == expected


@pytest.mark.parametrize("agent, stonith, expected", [
    ("ocf:heartbeat:IPaddr2", False, ("ocf", "heartbeat", "IPaddr2")),
    ("systemd:smbd", False, ("systemd", None, "smbd")),
    ("lsb:foo", False, ("lsb", None, "foo")),
    ("fence_ipmilan", True, ("stonith", None, "fence_ipmilan")),
    ("stonith:fence_scsi", True, ("stonith", None, "fence_scsi")),
])
def test_parse_agent(agent, stonith, expected):
    assert _cib.parse_agent(agent, stonith=stonith) == expected


@pytest.mark.parametrize("agent, message", [
    ("ocf:heartbeat", "invalid agent 'ocf:heartbeat'"),
    ("stonith:fence_x", "agent 'stonith:fence_x' is a fence agent: put it under stonith"),
    ("IPaddr2", "invalid agent 'IPaddr2'"),
])
def test_parse_agent_rejects(agent, message):
    with pytest.raises(CibError, match=message):
        _cib.parse_agent(agent)


def test_text_value_booleans_lower_case():
    assert _cib.text_value(True) == "true"
    assert _cib.text_value(False) == "false"
    assert _cib.text_value(24) == "24"


@pytest.mark.parametrize("name, secret", [
    ("password", True), ("passwd", True), ("snmp_password", True), ("pass", True), ("secret", True),
    ("username", False), ("key", False), ("ip", False), ("passive", False),
    # fence agents' secrets that are not *password (fence_aws, fence_apc_snmp, fence_ipmilan, fence_gce, ...)
    ("secret_key", True), ("access_key", True), ("snmp_priv_passwd", True), ("community", True),
    ("hexadecimal_kg", True), ("api_token", True), ("apikey", True), ("credentials_file", True),
    ("private-key", True), ("passwd_script", True),
    ("ssh_options", False), ("pcmk_host_map", False), ("tokenizer", False), ("keytab_path", False),
    ("monkey", False), ("login", False),
])
def test_is_secret(name, secret):
    assert _cib.is_secret(name) is secret


@pytest.mark.parametrize("cid, protected", [
    ("drbd-fence-by-handler-r0-drbd_r0-clone", True), ("cli-prefer-g", True), ("cli-ban-g-on-node1", True),
    ("location-g-node1-50", False), (None, False),
])
def test_is_protected(cid, protected):
    assert _cib.is_protected(cid) is protected


# ---------------------------------------------------------------- input

def test_default_constraint_ids_are_the_pcs_ones():
    desired = _cib.normalise_input({"constraints": [
        {"type": "order", "first": "drbd_r0-clone", "first_action": "promote", "then": "g_nfs", "then_action": "start"},
        {"type": "colocation", "resource": "g_nfs", "with": "drbd_r0-clone", "with_role": "Promoted"},
        {"type": "location", "resource": "g_nfs", "node": "node1", "score": 50},
        {"type": "location", "resource": "fence_node1", "node": "node1", "score": "-INFINITY"},
        {"type": "location", "resource": "g_nfs", "rule": "ethmonitor-eth0 ne 1", "score": "-INFINITY"},
        {"type": "order", "sets": [{"resources": ["a", "b"]}, {"resources": ["c"]}]},
    ]})
    assert [_cib.default_constraint_id(c) for c in desired["constraints"]] == [
        "order-drbd_r0-clone-g_nfs-mandatory",
        "colocation-g_nfs-drbd_r0-clone-INFINITY",
        "location-g_nfs-node1-50",
        "location-fence_node1-node1--INFINITY",
        "location-g_nfs",
        "order_set_ab_c",
    ]


@pytest.mark.parametrize("params, message", [
    ({"groups": [{"id": "g1", "members": ["a"]}, {"id": "g2", "members": ["a"]}]},
     "resource a is a member of both group g1 and group g2"),
    ({"groups": [{"id": "g", "members": ["a"]}], "clones": [{"resource": "a"}]},
     "clone a-clone: a is a member of group g; clone the group instead"),
    ({"clones": [{"resource": "a"}, {"id": "x", "resource": "a"}]}, "resource a is cloned by both a-clone and x"),
    ({"resources": [{"id": "a", "state": "absent"}], "groups": [{"id": "g", "members": ["a"]}]},
     "group g lists a, which is state: absent"),
    ({"groups": [{"id": "g", "members": []}]}, "group g: members must list at least one resource"),
    ({"constraints": [{"type": "location", "resource": "a", "node": "n1"},
                      {"type": "location", "resource": "a", "node": "n1", "score": 5}]},
     "constraint location a node n1 is given twice"),
    ({"constraints": [{"type": "order", "first": "a", "then": "b", "kind": "sometimes"}]},
     "constraint order: invalid kind 'sometimes', use Optional, Mandatory or Serialize"),
    ({"resources": [{"id": "1bad", "agent": "ocf:heartbeat:Dummy"}]},
     "invalid resources id '1bad': ids start with a letter or '_' and contain only letters, digits, '_', '.', "
     "':' and '-'"),
    ({"resources": [{"id": "a", "agent": "ocf:heartbeat:Dummy", "operations": [
        {"action": "monitor", "interval": "10"}, {"action": "monitor", "interval": "10s"}]}]},
     "a: operation monitor interval 10s listed twice"),
    ({"fencing_levels": [{"target": "n", "level": 1, "devices": ["f"]}, {"target": "n", "level": 1, "devices": ["g"]}]},
     "fencing level 1 for n is given twice"),
])
def test_normalise_input_rejects(params, message):
    with pytest.raises(CibError) as e:
        _cib.normalise_input(params)
    assert str(e.value) == message


def test_unsafe_order_allowed_on_request():
    params = {"resources": [{"id": "vip", "agent": "ocf:heartbeat:IPaddr2"}, {"id": "smb", "agent": "systemd:smbd"}],
              "groups": [{"id": "g", "members": ["vip", "smb"]}]}
    with pytest.raises(CibError, match="group g starts the VIP vip"):
        _cib.normalise_input(params)
    params["allow_unsafe_order"] = True
    assert _cib.normalise_input(params)["groups"][0]["members"] == ["vip", "smb"]


def test_unsafe_order_message_names_members():
    assert _cib.unsafe_order_message("g", [("fs", "Filesystem"), ("nfs", "nfsserver"), ("vip", "IPaddr2")]) is None
    msg = _cib.unsafe_order_message("g", [("vip", "IPaddr2"), ("ex", "exportfs")])
    assert "Put ex before vip" in msg


# ---------------------------------------------------------------- snapshot and adoption of pcs-built objects

PCS_EQUIVALENT = {
    "resources": [
        {"id": "drbd_r0", "agent": "ocf:linbit:drbd", "options": {"drbd_resource": "r0"},
         "operations": [{"action": "monitor", "interval": "29s", "role": "Master"},
                        {"action": "monitor", "interval": "31", "role": "Slave"}]},
        {"id": "fs_r0", "agent": "ocf:heartbeat:Filesystem",
         "options": {"device": "/dev/drbd0", "directory": "/srv/nfs", "fstype": "xfs"},
         "operations": [{"action": "monitor", "interval": "20s", "timeout": "40"}]},
    ],
    "clones": [{"resource": "drbd_r0", "promotable": True,
                "meta": {"promoted-max": 1, "promoted-node-max": 1, "clone-max": 2, "clone-node-max": 1,
                         "notify": True}}],
    "constraints": [
        {"type": "order", "first": "drbd_r0-clone", "first_action": "promote", "then": "g_nfs",
         "then_action": "start"},
        {"type": "colocation", "resource": "g_nfs", "with": "drbd_r0-clone", "with_role": "Master",
         "score": "+INFINITY"},
        {"type": "location", "resource": "g_nfs", "rule": "ethmonitor-eth0 ne 1", "score": "-INFINITY"},
        {"type": "location", "resource": "g_nfs", "node": "node1", "score": 50},
    ],
    "properties": {"stonith-enabled": True, "no-quorum-policy": "stop"},
    "resource_defaults": {"resource-stickiness": 100},
}


def test_objects_built_by_pcs_compare_equal():
    """pcs 0.11 wrote these objects; the same declaration plans nothing (Master=Promoted,
    +INFINITY=INFINITY, 31=31s, 40=40s, ids and pcs default ops ignored)."""
    _root, _new, changes = converge(fx("pcs-built-nfs-ha.xml"), PCS_EQUIVALENT)
    assert changes == []


def test_changed_score_updates_the_adopted_constraint_in_place():
    params = {"constraints": [{"type": "location", "resource": "g_nfs", "node": "node1", "score": 100}]}
    _root, new, changes = converge(fx("pcs-built-nfs-ha.xml"), params)
    assert _cib.action_lines(changes) == ["update constraint location-g_nfs-node1-50 (score)"]
    assert new.find(".//rsc_location[@id='location-g_nfs-node1-50']").get("score") == "100"


def test_snapshot_of_pcs_fixture():
    snap = _cib.snapshot(_cib.parse_cib(fx("pcs-built-nfs-ha.xml")))
    assert snap["clone drbd_r0-clone"]["promotable"] is True
    assert snap["group g_nfs"]["members"] == ["fs_r0", "vip", "nfsd", "export_data", "smb"]
    assert snap["constraint colocation-g_nfs-drbd_r0-clone-INFINITY"] == {
        "type": "colocation", "resource": "g_nfs", "with": "drbd_r0-clone", "with_role": "Promoted",
        "score": "INFINITY"}
    assert snap["constraint location-g_nfs"]["rule"] == "ethmonitor-eth0 ne 1"
    assert snap["operation_default timeout"] == {"value": "120s"}
    assert "monitor interval=29s role=Promoted" in snap["primitive drbd_r0"]["operations"]


def test_unsafe_pcs_group_is_refused_when_managed():
    with pytest.raises(CibError, match="group g_nfs starts the VIP vip .IPaddr2. before nfsd .nfsserver."):
        converge(fx("pcs-built-nfs-ha.xml"), {"groups": [{"id": "g_nfs", "members": [
            "fs_r0", "vip", "nfsd", "export_data", "smb"]}]})


def test_group_reorder_is_one_update():
    _root, new, changes = converge(fx("pcs-built-nfs-ha.xml"), {"groups": [{"id": "g_nfs", "members": [
        "fs_r0", "nfsd", "export_data", "smb", "vip"]}]})
    assert _cib.action_lines(changes) == ["update group g_nfs (members)"]
    assert [p.get("id") for p in new.find(".//group[@id='g_nfs']").findall("primitive")] == [
        "fs_r0", "nfsd", "export_data", "smb", "vip"]


def test_member_dropped_from_group_moves_to_top_level_and_keeps_constraints():
    _root, new, changes = converge(fx("pcs-built-nfs-ha.xml"), {"groups": [{"id": "g_nfs", "members": [
        "fs_r0", "nfsd", "export_data", "smb"]}]})
    assert _cib.action_lines(changes) == ["update group g_nfs (members)"]
    resources = new.find("configuration/resources")
    assert resources.find("primitive[@id='vip']") is not None
    assert len(new.find("configuration/constraints")) == 5


# ---------------------------------------------------------------- ownership

BASE_PARAMS = {
    "resources": [{"id": "d1", "agent": "ocf:pacemaker:Dummy", "meta": {"migration-threshold": 3}},
                  {"id": "d2", "agent": "ocf:pacemaker:Dummy"}],
    "groups": [{"id": "g", "members": ["d1", "d2"]}],
    "constraints": [{"type": "colocation", "resource": "g", "with": "drbd_r0-clone", "with_role": "Promoted"}],
}


def test_foreign_objects_and_drbd_fence_constraint_survive():
    base = fx("cib-base.xml")
    root, new, changes = converge(base, BASE_PARAMS)
    keys = set(ch["key"] for ch in changes)
    assert keys == {"primitive d1", "primitive d2", "group g", "constraint colocation-g-drbd_r0-clone-INFINITY"}
    before, after = _cib.snapshot(root), _cib.snapshot(new)
    for key in ("primitive foreign_dummy", "constraint drbd-fence-by-handler-r0-drbd_r0-clone",
                "constraint cli-ban-foreign_dummy-on-node2", "clone drbd_r0-clone"):
        assert before[key] == after[key]


def test_runtime_meta_kept_unless_named():
    base = fx("cib-base.xml")
    _root, first, _changes = converge(base, BASE_PARAMS)
    # an operator disables d1 (pcs resource disable d1)
    meta = first.find(".//primitive[@id='d1']/meta_attributes")
    ET.SubElement(meta, "nvpair", {"id": "d1-meta_attributes-target-role", "name": "target-role", "value": "Stopped"})
    new = _cib.apply_desired(first, _cib.normalise_input(BASE_PARAMS))
    assert _cib.plan(_cib.snapshot(first), _cib.snapshot(new)) == []
    params = dict(BASE_PARAMS, resources=[dict(BASE_PARAMS["resources"][0], meta={"target-role": "Started"}),
                                          BASE_PARAMS["resources"][1]])
    new = _cib.apply_desired(first, _cib.normalise_input(params))
    assert _cib.action_lines(_cib.plan(_cib.snapshot(first), _cib.snapshot(new))) == [
        "update primitive d1 (meta.migration-threshold, meta.target-role)"]


def test_operations_of_named_actions_are_replaced_others_kept():
    params = {"resources": [{"id": "fs_r0", "agent": "ocf:heartbeat:Filesystem",
                             "options": {"device": "/dev/drbd0", "directory": "/srv/nfs", "fstype": "xfs"},
                             "operations": [{"action": "monitor", "interval": "30s", "timeout": "60s"}]}]}
    _root, new, changes = converge(fx("pcs-built-nfs-ha.xml"), params)
    assert _cib.action_lines(changes) == ["update primitive fs_r0 (operations)"]
    ops = [(o.get("name"), o.get("interval")) for o in new.findall(".//primitive[@id='fs_r0']/operations/op")]
    assert sorted(ops) == [("monitor", "30s"), ("start", "0s"), ("stop", "0s")]


def test_absent_primitive_removes_constraints_that_reference_it():
    base = fx("cib-base.xml")
    _root, first, _changes = converge(base, dict(BASE_PARAMS, constraints=BASE_PARAMS["constraints"] + [
        {"type": "location", "resource": "d2", "node": "node1", "score": 10},
        {"type": "order", "sets": [{"resources": ["d2", "foreign_dummy"]}]}]))
    params = {"resources": [{"id": "d2", "state": "absent"}], "groups": [{"id": "g", "members": ["d1"]}]}
    new = _cib.apply_desired(first, _cib.normalise_input(params))
    lines = _cib.action_lines(_cib.plan(_cib.snapshot(first), _cib.snapshot(new)))
    assert lines == ["delete constraint location-d2-node1-10", "update constraint order_set_d2foreign_dummy (sets)",
                     "update group g (members)", "delete primitive d2"]
    assert [r.get("id") for r in new.iter("resource_ref")] == ["foreign_dummy"]


def test_absent_group_ungroups_and_drops_its_constraints():
    _root, first, _changes = converge(fx("cib-base.xml"), BASE_PARAMS)
    new = _cib.apply_desired(first, _cib.normalise_input({"groups": [{"id": "g", "state": "absent"}]}))
    lines = _cib.action_lines(_cib.plan(_cib.snapshot(first), _cib.snapshot(new)))
    assert lines == ["delete constraint colocation-g-drbd_r0-clone-INFINITY", "delete group g"]
    assert new.find("configuration/resources/primitive[@id='d1']") is not None


def test_absent_member_leaving_foreign_group_empty_is_refused():
    params = {"resources": [{"id": "d1", "agent": "ocf:pacemaker:Dummy"}], "groups": [{"id": "g", "members": ["d1"]}]}
    _root, first, _changes = converge(fx("cib-base.xml"), params)
    with pytest.raises(CibError, match="removing d1 would leave group g empty: remove the group as well"):
        _cib.apply_desired(first, _cib.normalise_input({"resources": [{"id": "d1", "state": "absent"}]}))
    both = _cib.normalise_input({"resources": [{"id": "d1", "state": "absent"}], "groups": [{"id": "g", "state": "absent"}]})
    new = _cib.apply_desired(first, both)
    assert _cib.action_lines(_cib.plan(_cib.snapshot(first), _cib.snapshot(new))) == [
        "delete group g", "delete primitive d1"]
    assert new.find(".//group[@id='g']") is None and new.find(".//primitive[@id='d1']") is None


def test_absent_constraint_by_key_and_protected_untouched():
    _root, first, _changes = converge(fx("cib-base.xml"), BASE_PARAMS)
    params = {"constraints": [{"type": "colocation", "resource": "g", "with": "drbd_r0-clone", "state": "absent"}]}
    new = _cib.apply_desired(first, _cib.normalise_input(params))
    assert _cib.action_lines(_cib.plan(_cib.snapshot(first), _cib.snapshot(new))) == [
        "delete constraint colocation-g-drbd_r0-clone-INFINITY"]


def test_clone_of_group_and_unclone():
    _root, first, changes = converge(fx("cib-base.xml"), dict(BASE_PARAMS, clones=[{"resource": "g"}], constraints=[]))
    assert "create clone g-clone" in _cib.action_lines(changes)
    assert first.find(".//clone[@id='g-clone']/group[@id='g']") is not None
    new = _cib.apply_desired(first, _cib.normalise_input({"clones": [{"resource": "g", "state": "absent"}]}))
    assert new.find("configuration/resources/group[@id='g']") is not None
    assert _cib.action_lines(_cib.plan(_cib.snapshot(first), _cib.snapshot(new))) == ["delete clone g-clone"]


def test_properties_defaults_node_attributes_and_levels():
    params = {"properties": {"no-quorum-policy": "stop", "stonith-enabled": None},
              "operation_defaults": {"timeout": "120s"},
              "node_attributes": [{"node": "node1", "name": "site", "value": "a"}],
              "stonith": [{"id": "f1", "agent": "fence_dummy", "options": {"pcmk_host_list": "node1"}}],
              "fencing_levels": [{"target": "node1", "level": 1, "devices": ["f1"]}]}
    _root, new, changes = converge(fx("cib-base.xml"), params)
    assert _cib.action_lines(changes) == [
        "create fencing_level node1 1", "create node_attribute node1 site", "create operation_default timeout",
        "create property no-quorum-policy", "delete property stonith-enabled", "create stonith f1"]
    assert new.find(".//node[@uname='node1']/instance_attributes/nvpair").get("id") == "nodes-1-site"
    assert new.find(".//fencing-level").attrib == {"id": "fl-node1-1", "target": "node1", "index": "1", "devices": "f1"}
    again = _cib.apply_desired(new, _cib.normalise_input(params))
    assert _cib.plan(_cib.snapshot(new), _cib.snapshot(again)) == []


def test_rule_location_and_role_location():
    params = {"constraints": [
        {"type": "location", "resource": "drbd_r0-clone", "role": "Master", "node": "node2", "score": 10},
        {"type": "location", "resource": "foreign_dummy",
         "rule": "(#uname eq node1 or #uname eq node2) and defined pingd", "score": 20}]}
    _root, new, changes = converge(fx("cib-base.xml"), params)
    snap = _cib.snapshot(new)
    assert snap["constraint location-drbd_r0-clone-node2-10"]["role"] == "Promoted"
    assert snap["constraint location-foreign_dummy"]["rule"] == "(#uname eq node1 or #uname eq node2) and defined pingd"
    assert len(changes) == 2


def test_render_object_redacts_secrets():
    text = _cib.render_object("stonith f", {"agent": "fence_ipmilan", "options": {"password": "x", "ip": "1"},
                                            "operations": ["monitor interval=60s"]})
    assert text == ("stonith f:\n  agent: fence_ipmilan\n  operations:\n    - monitor interval=60s\n"
                    "  options:\n    ip: 1\n    password: ********\n")
    assert _cib.redact_snapshot({"options": {"passwd": "x"}}) == {"options": {"passwd": "********"}}


# ---------------------------------------------------------------- crm_verify

def test_verify_problems_from_captured_output():
    assert _cib.verify_problems(fx("crm_verify-empty.stderr")) == [
        ("warning", "Fencing and resource management disabled due to lack of quorum"),
        ("error", "Resource start-up disabled since no STONITH resources have been defined"),
        ("error", "Either configure some or disable STONITH with the stonith-enabled option"),
        ("error", "NOTE: Clusters with shared data need STONITH to ensure data integrity"),
    ]
    schema = _cib.verify_problems(fx("crm_verify-invalid-new.stderr"))
    assert ("error", "CIB did not pass schema validation") in schema
    assert ("error", "element op: Relax-NG validity error : Expecting an element meta_attributes, got nothing") in schema


def test_new_verify_problems_accepts_only_old_or_statusless():
    old = [("error", "Resource start-up disabled since no STONITH resources have been defined")]
    new = old + [("warning", "Node node1 is unclean but cannot be fenced"),
                 ("warning", "Fencing and resource management disabled due to lack of quorum")]
    assert _cib.new_verify_problems(new, old) == []
    assert _cib.new_verify_problems(new + [("warning", "Something else")], old) == [("warning", "Something else")]
    assert _cib.new_verify_problems([("error", "CIB did not pass schema validation")], old) == [
        ("error", "CIB did not pass schema validation")]


def test_bump_epoch():
    root = _cib.parse_cib(fx("cibadmin-empty.xml"))
    _cib.bump_epoch(root)
    assert root.get("epoch") == "2" and root.get("num_updates") == "0"


def test_parse_cib_rejects_non_cib():
    with pytest.raises(CibError, match="not a CIB"):
        _cib.parse_cib("<foo><configuration/></foo>")
    with pytest.raises(CibError, match="cannot parse the CIB"):
        _cib.parse_cib("<cib")
    with pytest.raises(CibError, match="not a CIB: <cib> has no <configuration>"):
        _cib.parse_cib("<cib/>")


@pytest.mark.parametrize("constraint", [
    {"type": "location", "resource": "g", "node": "node1", "score": 50, "role": "Started"},
    {"type": "location", "resource": "g", "rule": "#uname eq node1", "score": 50, "role": "started"},
    {"type": "colocation", "resource": "g", "with": "foreign_dummy", "role": "Started", "with_role": "Started"},
])
def test_role_started_without_id_converges_once(constraint):
    # Started is Pacemaker's default role: a second run used to miss the constraint written in the first
    params = dict(BASE_PARAMS, constraints=[constraint])
    _root, first, changes = converge(fx("cib-base.xml"), params)
    assert [ch["key"].split()[0] for ch in changes].count("constraint") == 1
    second = _cib.apply_desired(first, _cib.normalise_input(params))
    assert _cib.plan(_cib.snapshot(first), _cib.snapshot(second)) == []


TWO_DEFAULT_SETS = """<cib epoch="1" num_updates="0" admin_epoch="0" validate-with="pacemaker-3.9"><configuration>
<crm_config/>
<rsc_defaults>
  <meta_attributes id="build-defaults"><nvpair id="bd-stick" name="resource-stickiness" value="100"/></meta_attributes>
  <meta_attributes id="ops-defaults"><nvpair id="od-stick" name="resource-stickiness" value="50"/>
    <nvpair id="od-mt" name="migration-threshold" value="3"/></meta_attributes>
</rsc_defaults>
<nodes/><resources/><constraints/></configuration><status/></cib>"""


def test_two_resource_defaults_sets_a_change_lands_where_pacemaker_reads_it():
    root = _cib.parse_cib(TWO_DEFAULT_SETS)
    # Pacemaker reads the first set that names a default: stickiness 100, migration-threshold 3
    snap = _cib.snapshot(root)
    assert snap["resource_default resource-stickiness"] == {"value": "100"}
    assert snap["resource_default migration-threshold"] == {"value": "3"}
    params = {"resource_defaults": {"migration-threshold": 5, "resource-stickiness": 200, "failure-timeout": "60s"}}
    new = _cib.apply_desired(root, _cib.normalise_input(params))
    after = _cib.snapshot(new)
    # each change is seen (it used to be written to the first set and compared against the second)
    assert after["resource_default migration-threshold"] == {"value": "5"}
    assert after["resource_default resource-stickiness"] == {"value": "200"}
    assert after["resource_default failure-timeout"] == {"value": "60s"}
    assert new.find(".//nvpair[@id='od-mt']").get("value") == "5"
    assert new.find(".//nvpair[@id='bd-stick']").get("value") == "200"
    assert len(_cib.plan(_cib.snapshot(root), after)) == 3
    again = _cib.apply_desired(new, _cib.normalise_input(params))
    assert _cib.plan(after, _cib.snapshot(again)) == []


def test_a_higher_scored_defaults_set_is_read_first():
    text = TWO_DEFAULT_SETS.replace('<meta_attributes id="ops-defaults">', '<meta_attributes id="ops-defaults" score="10">')
    root = _cib.parse_cib(text)
    assert _cib.snapshot(root)["resource_default resource-stickiness"] == {"value": "50"}
    new = _cib.apply_desired(root, _cib.normalise_input({"resource_defaults": {"resource-stickiness": 75}}))
    assert new.find(".//nvpair[@id='od-stick']").get("value") == "75"
    assert new.find(".//nvpair[@id='bd-stick']").get("value") == "100"


def test_secret_options_extend_the_names():
    assert not _cib.is_secret("bmc_code")
    _cib.register_secret_names(["BMC_code"])
    try:
        assert _cib.is_secret("bmc_code") and _cib.render_object("stonith f", {"options": {"bmc_code": "1234"}}).count("1234") == 0
    finally:
        _cib_input._EXTRA_SECRET_NAMES.clear()


# ---------------------------------------------------------------- ownership

# a CIB with objects made by hand (pcs resource create / pcs constraint / cibadmin), none recorded
HAND_MADE = """
<resources>
  <primitive id="fence_hand" class="stonith" type="fence_ipmilan">
    <instance_attributes id="fence_hand-ia">
      <nvpair id="fence_hand-ia-ip" name="ip" value="10.9.9.9"/>
      <nvpair id="fence_hand-ia-username" name="username" value="ops"/>
      <nvpair id="fence_hand-ia-password" name="password" value="hand-secret"/>
      <nvpair id="fence_hand-ia-lanplus" name="lanplus" value="1"/>
    </instance_attributes>
  </primitive>
  <group id="fg">
    <primitive id="fa" class="ocf" provider="pacemaker" type="Dummy"/>
    <primitive id="fb" class="ocf" provider="pacemaker" type="Dummy"/>
  </group>
  <clone id="pc">
    <meta_attributes id="pc-meta">
      <nvpair id="pc-meta-promotable" name="promotable" value="true"/>
      <nvpair id="pc-meta-notify" name="notify" value="true"/>
    </meta_attributes>
    <primitive id="pcr" class="ocf" provider="pacemaker" type="Stateful"/>
  </clone>
</resources>
"""
HAND_CONSTRAINTS = ('<rsc_location id="loc-hand" rsc="foreign_dummy" node="node1" score="50"/>',
                    '<rsc_colocation id="col-hand" rsc="foreign_dummy" with-rsc="fg" score="INFINITY"/>')


def hand_made_cib(owned=()):
    """cib-base.xml plus the hand-made objects; ``owned``: keys recorded as hastorage.cluster's."""
    root = _cib.parse_cib(fx("cib-base.xml"))
    resources = root.find("configuration/resources")
    for el in ET.fromstring(HAND_MADE):
        resources.append(el)
    constraints = root.find("configuration/constraints")
    for text in HAND_CONSTRAINTS:
        constraints.append(ET.fromstring(text))
    if owned:
        record = ET.SubElement(root.find("configuration/crm_config"), "cluster_property_set",
                               {"id": _cib.OWNER_SET_ID})
        for n, key in enumerate(owned):
            ET.SubElement(record, "nvpair", {"id": "o%d" % n, "name": key, "value": _cib.OWNER})
    return _cib.serialize(root)


def ownership(cib_text, params):
    """(violations, changes, new root) of a task on a CIB."""
    root, new, changes = converge(cib_text, params)
    desired = _cib.normalise_input(params)
    return _cib.ownership_violations(_cib.snapshot(root), changes, desired["adopt"]), changes, new


FENCE_HAND = {"id": "fence_hand", "agent": "fence_ipmilan",
              "options": {"ip": "10.0.0.1", "username": "admin", "password": "ours"}}


@pytest.mark.parametrize("params, named", [
    # a declared id equal to a foreign primitive / stonith device / constraint / promotable clone
    ({"resources": [{"id": "foreign_dummy", "agent": "ocf:pacemaker:Dummy", "options": {"fake": "1"}}]},
     "change options of primitive foreign_dummy"),
    ({"stonith": [FENCE_HAND]}, "change options of stonith fence_hand"),
    ({"constraints": [{"type": "location", "id": "loc-hand", "resource": "g", "node": "node1", "score": 50}],
      "resources": [{"id": "d1", "agent": "ocf:pacemaker:Dummy"}], "groups": [{"id": "g", "members": ["d1"]}]},
     "change resource of constraint loc-hand"),
    ({"clones": [{"id": "pc", "resource": "pcr", "promotable": True}]}, "change meta of clone pc"),
    # a member of a foreign group declared in a group of ours: moved out of the foreign group
    ({"resources": [{"id": "d1", "agent": "ocf:pacemaker:Dummy"}], "groups": [{"id": "g", "members": ["d1", "fb"]}]},
     "change members of group fg"),
    # a foreign stand-alone resource declared as a member: moved into our group
    ({"resources": [{"id": "d1", "agent": "ocf:pacemaker:Dummy"}],
      "groups": [{"id": "g", "members": ["d1", "foreign_dummy"]}]},
     "move primitive foreign_dummy into group g"),
    # a foreign resource wrapped into a clone of ours
    ({"clones": [{"id": "foreign_dummy-clone", "resource": "foreign_dummy"}]},
     "move primitive foreign_dummy into clone foreign_dummy-clone"),
    # state absent on foreign ids
    ({"resources": [{"id": "fa", "state": "absent"}]}, "delete primitive fa"),
    ({"constraints": [{"type": "location", "id": "loc-hand", "state": "absent"}]}, "delete constraint loc-hand"),
    ({"groups": [{"id": "fg", "state": "absent"}]}, "delete group fg"),
])
def test_foreign_objects_are_refused_naming_them(params, named):
    problems, _changes, _new = ownership(hand_made_cib(), params)
    assert len(problems) == 1
    assert named in problems[0]
    assert "add " in problems[0] and " to adopt" in problems[0]


def test_foreign_refusal_never_shows_the_secret():
    problems, _changes, _new = ownership(hand_made_cib(), {"stonith": [FENCE_HAND]})
    assert "hand-secret" not in problems[0] and "ours" not in problems[0]


def test_adopted_object_is_changed_and_recorded_then_owned():
    params = {"stonith": [FENCE_HAND], "adopt": ["fence_hand"]}
    problems, changes, new = ownership(hand_made_cib(), params)
    assert problems == []
    assert _cib.action_lines(changes) == ["update stonith fence_hand (options.ip, options.lanplus, options.password, "
                                          "options.username, owner)"]
    # the record is in the CIB: the next run needs no adopt, and changes nothing
    again = dict(params, adopt=[], stonith=[dict(FENCE_HAND, options=dict(FENCE_HAND["options"], ip="10.0.0.2"))])
    problems, changes, _new = ownership(_cib.serialize(new), again)
    assert problems == []
    assert _cib.action_lines(changes) == ["update stonith fence_hand (options.ip)"]


def test_foreign_object_already_as_declared_is_left_alone_and_not_recorded():
    params = {"resources": [{"id": "foreign_dummy", "agent": "ocf:pacemaker:Dummy"}],
              "constraints": [{"type": "location", "resource": "foreign_dummy", "node": "node1", "score": 50}]}
    problems, changes, new = ownership(hand_made_cib(), params)
    assert (problems, changes) == ([], [])
    assert new.find("configuration/crm_config/cluster_property_set[@id='%s']" % _cib.OWNER_SET_ID) is None


def test_created_objects_are_recorded_and_their_records_go_with_them():
    problems, changes, new = ownership(hand_made_cib(), BASE_PARAMS)
    assert problems == []
    assert all(ch["after"]["owner"] == _cib.OWNER for ch in changes)
    owned = _cib.owned_keys(_cib.snapshot(new))
    assert owned == {"primitive d1", "primitive d2", "group g", "constraint colocation-g-drbd_r0-clone-INFINITY"}
    # changing and then deleting what we made needs no adopt; the record goes with the object
    gone = {"resources": [{"id": "d2", "state": "absent"}]}
    problems, changes, after = ownership(_cib.serialize(new), gone)
    assert problems == []
    assert _cib.action_lines(changes) == ["update group g (members)", "delete primitive d2"]
    assert "primitive d2" not in _cib.owned_keys(_cib.snapshot(after))
    assert after.find(".//nvpair[@name='primitive d2']") is None


def test_deleting_our_resource_takes_it_out_of_foreign_constraints_and_groups():
    # an operator put our d9 into his group fg and made a constraint on it
    owned = ("primitive d9",)
    root = _cib.parse_cib(hand_made_cib(owned))
    ET.SubElement(root.find(".//group[@id='fg']"), "primitive",
                  {"id": "d9", "class": "ocf", "provider": "pacemaker", "type": "Dummy"})
    root.find("configuration/constraints").append(
        ET.fromstring('<rsc_order id="ord-hand" first="d9" then="foreign_dummy"/>'))
    problems, changes, _new = ownership(_cib.serialize(root), {"resources": [{"id": "d9", "state": "absent"}]})
    assert problems == []
    assert _cib.action_lines(changes) == ["delete constraint ord-hand", "update group fg (members)",
                                          "delete primitive d9"]


def test_a_foreign_fencing_level_is_refused_unless_adopted():
    root = _cib.parse_cib(hand_made_cib())
    topo = ET.SubElement(root.find("configuration"), "fencing-topology")
    ET.SubElement(topo, "fencing-level", {"id": "fl-node1-1", "target": "node1", "index": "1", "devices": "fence_hand"})
    params = {"fencing_levels": [{"target": "node1", "level": 1, "devices": ["fence_other"]}],
              "stonith": [{"id": "fence_other", "agent": "fence_dummy"}]}
    problems, _changes, _new = ownership(_cib.serialize(root), params)
    assert len(problems) == 1 and "change devices of fencing_level node1 1" in problems[0]
    problems, _changes, _new = ownership(_cib.serialize(root), dict(params, adopt=["node1 1"]))
    assert problems == []


def test_adopting_an_id_the_task_does_not_declare_records_nothing():
    problems, changes, new = ownership(hand_made_cib(), dict(BASE_PARAMS, adopt=["fence_hand", "fg"]))
    assert problems == []
    assert "stonith fence_hand" not in _cib.owned_keys(_cib.snapshot(new))
    assert not [ch for ch in changes if ch["key"] in ("stonith fence_hand", "group fg")]


def test_several_foreign_objects_are_named_in_one_refusal():
    params = {"stonith": [FENCE_HAND], "resources": [{"id": "fa", "state": "absent"}]}
    problems, _changes, _new = ownership(hand_made_cib(), params)
    assert len(problems) == 1
    assert "add fa, fence_hand to adopt to take them over" in problems[0]


@pytest.mark.parametrize("params, message", [
    ({"constraints": [{"type": "location", "resource": "foreign_dummy", "node": "node9", "score": 50}]},
     "constraint location-foreign_dummy-node9-50 (location of foreign_dummy): node node9 is not a node of the "
     "cluster (known: node1, node2)"),
    ({"fencing_levels": [{"target": "node9", "level": 1, "devices": ["f1"]}],
      "stonith": [{"id": "f1", "agent": "fence_dummy"}]},
     "fencing level 1 of node9: node9 is not a node of the cluster (known: node1, node2)"),
])
def test_a_node_the_cluster_does_not_have_is_refused(params, message):
    with pytest.raises(CibError) as e:
        converge(fx("cib-base.xml"), params)
    assert str(e.value) == message


def test_nodes_are_not_checked_in_a_cib_without_nodes():
    empty = fx("cibadmin-empty.xml")
    _root, _new, changes = converge(empty, {"constraints": [
        {"type": "location", "resource": "foreign_dummy", "node": "node9", "score": 50}]})
    assert _cib.action_lines(changes) == ["create constraint location-foreign_dummy-node9-50"]
