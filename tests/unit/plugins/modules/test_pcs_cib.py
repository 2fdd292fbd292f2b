# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""pcs_cib through the fake runner, replaying real cibadmin/crm_verify/crm_diff
output captured on the host (tests/unit/fixtures/pcs/capture.py)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil

import pytest

from ansible.module_utils import basic

from ansible_collections.hastorage.cluster.plugins.modules import pcs_cib
from ansible_collections.hastorage.cluster.plugins.module_utils import _pcs
from ansible_collections.hastorage.cluster.tests.unit.fake_runner import run_module

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "pcs")


def fx(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def replay(prefix, command, data=None):
    """An expected command answered with a captured rc/stdout/stderr."""
    cmd = {"command": command, "rc": int(fx(prefix + ".rc")), "out": fx(prefix + ".stdout"),
           "err": fx(prefix + ".stderr")}
    if data is not None:
        cmd["data"] = data
    return cmd


def with_dc(text, dc_id="1"):
    """A live CIB names its DC (dc-uuid); the captured offline ones do not."""
    head, rest = text.split(">", 1)
    return '%s dc-uuid="%s">%s' % (head, dc_id, rest)


def query(cib_name, dc_id="1"):
    return {"command": ["cibadmin", "--query"], "out": with_dc(fx(cib_name), dc_id)}


def query_node(node, cib_name, dc_id="1", text=None):
    """The CIB of ``node`` read through the cluster (cibadmin --query --node)."""
    return {"command": ["cibadmin", "--query", "--node", node],
            "out": text if text is not None else with_dc(fx(cib_name), dc_id)}


METADATA_DAEMONS = ("schedulerd", "controld", "based")


def metadata_texts():
    """What Pacemaker 2.1.5's daemons print for ``metadata`` (recorded on Debian 12)."""
    return [fx("metadata-pacemaker-%s.stdout" % d) for d in METADATA_DAEMONS]


def recorded_agent(agent):
    """What crm_resource --show-metadata printed for an agent on Debian 12 (resource-agents 4.12, fence-agents
    4.12, drbd-utils 9.22, Pacemaker 2.1.5), or None when it was not recorded."""
    name = os.path.join(FIXTURES, "metadata-agent-%s.xml" % agent.replace(":", "-"))
    return fx(name) if os.path.exists(name) else None


def recorded_agents(module, agents):
    """_pcs.agent_metadata from the recordings; an agent not recorded is left unchecked."""
    found = dict((a, recorded_agent(a)) for a in agents if recorded_agent(a) is not None)
    return found, {}, True


@pytest.fixture(autouse=True)
def recorded_metadata(monkeypatch, request):
    """Cluster options and agents' metadata come from recordings (their own tests read them through the runner)."""
    if not request.function.__name__.endswith("_through_the_runner"):
        monkeypatch.setattr(_pcs, "cluster_option_metadata", lambda module: metadata_texts())
        monkeypatch.setattr(_pcs, "agent_metadata", recorded_agents)


def capture_warnings(monkeypatch):
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, text: warnings.append(text))
    return warnings


def task():
    return json.loads(fx("task-nas.json"))


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.setattr(_pcs, "make_workdir", lambda: str(tmp_path))
    return str(tmp_path)


def diff_cmd(workdir, prefix):
    return replay(prefix, ["crm_diff", "--original", os.path.join(workdir, "original.xml"),
                           "--new", os.path.join(workdir, "new.xml")])


VERIFY = ["crm_verify", "--xml-pipe", "-VV"]


def nas_push(workdir, dc_node="node1", dc_id="1"):
    """The NAS task's push on a live cluster whose DC is ``dc_node``, up to the patch.

    Reads this node's CIB, verifies the edit, checks that the CIB planned on
    is the DC's, diffs and patches; the re-reads after the push follow.
    """
    return [
        query("cib-base.xml", dc_id),
        replay("crm_verify-nas-new", VERIFY, data=with_dc(fx("cib-nas-new.xml"), dc_id)),
        query_node(dc_node, "cib-base.xml", dc_id),
        diff_cmd(workdir, "crm_diff-nas"),
        replay("cibadmin-patch-nas", ["cibadmin", "--patch", "--xml-pipe"], data=fx("crm_diff-nas.stdout")),
    ]


def test_live_apply_pushes_one_versioned_patch(monkeypatch, workdir):
    commands = nas_push(workdir) + [
        query("cib-nas-after.xml"),
        # the DC holds the change
        query_node("node1", "cib-nas-after.xml"),
    ]
    result = run_module(pcs_cib.main, task(), commands, diff=True, monkeypatch=monkeypatch)
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert result["retries"] == 0
    assert result["actions"] == [
        "create constraint colocation-g_share1-drbd_r0-clone-INFINITY",
        "create constraint location-g_share1-node1-50",
        "create constraint order-drbd_r0-clone-g_share1-mandatory",
        "create group g_share1",
        "create primitive fs_share1",
        "create primitive nfs_share1",
        "create primitive vip_share1",
        "create property no-quorum-policy",
        "create stonith fence_node1",
    ]
    # the diff is what the re-query observed, and hides the IPMI password
    assert "group g_share1:\n  members:\n    - fs_share1\n    - nfs_share1\n    - vip_share1\n" in result["diff"]["after"]
    assert "Sup3rSecret" not in json.dumps(result)
    assert "password: ********" in result["diff"]["after"]
    # the captured patch really carries the version the CIB manager checks
    assert '<source admin_epoch="0" epoch="' in fx("crm_diff-nas.stdout")


def test_live_check_mode_predicts_without_pushing(monkeypatch, workdir):
    commands = [
        query("cib-base.xml"),
        replay("crm_verify-nas-new", VERIFY, data=with_dc(fx("cib-nas-new.xml"))),
        query_node("node1", "cib-base.xml"),
    ]
    result = run_module(pcs_cib.main, task(), commands, check_mode=True, diff=True, monkeypatch=monkeypatch)
    assert result["changed"] is True
    assert len(result["actions"]) == 9
    assert "vip_share1" in result["diff"]["after"]
    assert result["diff"]["before"] == ""


def test_live_no_change_runs_only_the_query(monkeypatch, workdir):
    result = run_module(pcs_cib.main, task(), [query("cib-nas-after.xml")], diff=True, monkeypatch=monkeypatch)
    assert result["changed"] is False
    assert result["actions"] == []
    assert result["diff"] == {"before": "", "after": "", "before_header": "CIB (changed objects)",
                              "after_header": "CIB (changed objects)"}


def test_live_retry_when_cib_changed_meanwhile(monkeypatch, workdir):
    commands = [
        query("cib-base.xml"),
        replay("crm_verify-nas-new", VERIFY, data=with_dc(fx("cib-nas-new.xml"))),
        query_node("node1", "cib-base.xml"),
        diff_cmd(workdir, "crm_diff-nas"),
        replay("cibadmin-patch-conflict", ["cibadmin", "--patch", "--xml-pipe"], data=fx("crm_diff-nas.stdout")),
        query("cib-base-raced.xml"),
        replay("crm_verify-nas-new-raced", VERIFY),
        query_node("node1", "cib-base-raced.xml"),
        diff_cmd(workdir, "crm_diff-nas-raced"),
        replay("cibadmin-patch-nas-raced", ["cibadmin", "--patch", "--xml-pipe"],
               data=fx("crm_diff-nas-raced.stdout")),
        query("cib-nas-after-raced.xml"),
        query_node("node1", "cib-nas-after-raced.xml"),
    ]
    result = run_module(pcs_cib.main, task(), commands, monkeypatch=monkeypatch)
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert result["retries"] == 1
    # the other writer's change survives
    assert 'name="maintenance-mode"' in fx("cib-nas-after-raced.xml")


def test_live_retry_is_bounded(monkeypatch, workdir):
    args = dict(task(), push_retries=1)
    round_trip = [
        query("cib-base.xml"),
        replay("crm_verify-nas-new", VERIFY),
        query_node("node1", "cib-base.xml"),
        diff_cmd(workdir, "crm_diff-nas"),
        replay("cibadmin-patch-conflict", ["cibadmin", "--patch", "--xml-pipe"]),
    ]
    result = run_module(pcs_cib.main, args, round_trip * 2, monkeypatch=monkeypatch)
    assert result["failed"]
    assert result["msg"] == ("the CIB changed while pcs_cib was pushing, 2 times in a row; "
                             "nothing was changed, run again")


def test_live_refuses_to_push_on_a_cib_that_is_not_the_dcs(monkeypatch, workdir):
    """The node planned on diverged from the DC: nothing is pushed, both versions are named."""
    dc_cib = with_dc(fx("cib-base.xml")).replace(' epoch="8"', ' epoch="5"', 1).replace(
        'value="false"', 'value="true"', 1)
    commands = [
        query("cib-base.xml", dc_id="2"),
        replay("crm_verify-nas-new", VERIFY, data=with_dc(fx("cib-nas-new.xml"), "2")),
        query_node("node2", None, text=dc_cib),
    ]
    result = run_module(pcs_cib.main, task(), commands, monkeypatch=monkeypatch)
    assert result["failed"]
    assert result["msg"].startswith("this node's CIB (0.8.0 (configuration ")
    assert ") is not the DC's (node2 0.5.0 (configuration " in result["msg"]
    assert "nothing was pushed" in result["msg"]
    assert "pacemaker_cib_sync" in result["msg"]


def test_live_fails_when_the_dc_never_gets_the_change(monkeypatch, workdir):
    """The issue's hang: the push lands on this node, the DC keeps its old CIB."""
    monkeypatch.setattr(_pcs, "sleep", lambda seconds: None)
    after = [query_node("node2", "cib-base.xml", dc_id="2")]
    for _attempt in range(_pcs.DC_CONFIRM_READS - 1):
        after += [query("cib-nas-after.xml", dc_id="2"), query_node("node2", "cib-base.xml", dc_id="2")]
    commands = nas_push(workdir, "node2", "2") + [query("cib-nas-after.xml", dc_id="2")] + after
    result = run_module(pcs_cib.main, task(), commands, monkeypatch=monkeypatch)
    assert result["failed"]
    assert result["msg"].startswith("the change was pushed (this node's CIB is now 0.10.0 (configuration ")
    assert "but the DC node2 still holds 0.8.0 (configuration " in result["msg"]


def test_live_confirmation_waits_for_the_dc(monkeypatch, workdir):
    """The DC gets the change on the second read: success, no warning."""
    monkeypatch.setattr(_pcs, "sleep", lambda seconds: None)
    # a new DC (node2) was elected during the push
    commands = nas_push(workdir) + [
        query("cib-nas-after.xml", dc_id="2"),
        query_node("node2", "cib-base.xml", dc_id="2"),
        query("cib-nas-after.xml", dc_id="2"),
        query_node("node2", "cib-nas-after.xml", dc_id="2"),
    ]
    warnings = capture_warnings(monkeypatch)
    result = run_module(pcs_cib.main, task(), commands, monkeypatch=monkeypatch)
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert warnings == []


def test_live_push_without_a_dc_warns(monkeypatch, workdir):
    """Between elections the CIB names no DC: the change is kept and the result says it is unconfirmed."""
    monkeypatch.setattr(_pcs, "sleep", lambda seconds: None)
    no_dc = {"command": ["cibadmin", "--query"], "out": fx("cib-nas-after.xml")}
    commands = [
        {"command": ["cibadmin", "--query"], "out": fx("cib-base.xml")},
        replay("crm_verify-nas-new", VERIFY, data=fx("cib-nas-new.xml")),
        diff_cmd(workdir, "crm_diff-nas"),
        replay("cibadmin-patch-nas", ["cibadmin", "--patch", "--xml-pipe"], data=fx("crm_diff-nas.stdout")),
    ] + [no_dc] * _pcs.DC_CONFIRM_READS
    warnings = capture_warnings(monkeypatch)
    result = run_module(pcs_cib.main, task(), commands, monkeypatch=monkeypatch)
    assert not result.get("failed"), result
    assert result["changed"] is True
    assert len(warnings) == 1 and "had no DC for 5 s after the push" in warnings[0]


def test_live_cluster_down(monkeypatch, workdir):
    commands = [replay("cibadmin-query-down", ["cibadmin", "--query"])]
    result = run_module(pcs_cib.main, task(), commands, monkeypatch=monkeypatch)
    assert result["failed"]
    assert result["rc"] == 102
    assert "Transport endpoint is not connected" in result["msg"]


def test_invalid_result_is_refused_before_push(monkeypatch, workdir):
    args = {"resources": [{"id": "broken", "agent": "ocf:heartbeat:Dummy", "operations": [
        {"action": "monitor", "interval": "10s", "options": {"on-fail": "explode"}}]}]}
    commands = [
        query("cib-base.xml"),
        replay("crm_verify-invalid-new", VERIFY, data=with_dc(fx("cib-invalid-new.xml"))),
        replay("crm_verify-base", VERIFY, data=with_dc(fx("cib-base.xml"))),
    ]
    result = run_module(pcs_cib.main, args, commands, monkeypatch=monkeypatch)
    assert result["failed"]
    assert result["msg"].startswith("the new CIB does not pass crm_verify; nothing was changed: ")
    assert "Relax-NG validity error" in result["msg"]
    assert "CIB did not pass schema validation" in result["msg"]


def test_cib_file_round_trip(monkeypatch, tmp_path):
    cib = tmp_path / "cib.xml"
    shutil.copy(os.path.join(FIXTURES, "cib-base.xml"), str(cib))
    args = dict(task(), cib_file=str(cib))
    result = run_module(pcs_cib.main, args, [replay("crm_verify-nas-new", VERIFY, data=fx("cib-nas-new.xml"))],
                        monkeypatch=monkeypatch)
    assert result["changed"] is True
    assert cib.read_text() == fx("cib-nas-new.xml")
    again = run_module(pcs_cib.main, args, [], monkeypatch=monkeypatch)
    assert again["changed"] is False


def test_cib_file_check_mode_leaves_file(monkeypatch, tmp_path):
    cib = tmp_path / "cib.xml"
    shutil.copy(os.path.join(FIXTURES, "cib-base.xml"), str(cib))
    args = dict(task(), cib_file=str(cib))
    result = run_module(pcs_cib.main, args, [replay("crm_verify-nas-new", VERIFY)], check_mode=True,
                        monkeypatch=monkeypatch)
    assert result["changed"] is True
    assert cib.read_text() == fx("cib-base.xml")


def test_cib_file_missing(monkeypatch, tmp_path):
    path = str(tmp_path / "nope.xml")
    result = run_module(pcs_cib.main, {"cib_file": path, "properties": {"stonith-enabled": True}}, [],
                        monkeypatch=monkeypatch)
    assert result["failed"]
    assert result["msg"] == ("cib_file %s does not exist (create an empty one with 'cibadmin --empty > %s')"
                             % (path, path))


def test_empty_cib_errors_that_were_there_are_accepted_with_a_warning(monkeypatch, tmp_path):
    cib = tmp_path / "cib.xml"
    shutil.copy(os.path.join(FIXTURES, "cibadmin-empty.xml"), str(cib))
    commands = [replay("crm_verify-empty", VERIFY), replay("crm_verify-empty", VERIFY)]
    result = run_module(pcs_cib.main, {"cib_file": str(cib), "resource_defaults": {"resource-stickiness": 100}},
                        commands, monkeypatch=monkeypatch)
    assert result["changed"] is True, result
    assert "rsc_defaults-meta_attributes-resource-stickiness" in cib.read_text()


@pytest.mark.parametrize("args, message", [
    ({"resources": [{"id": "a", "agent": "ocf:heartbeat:Dummy"}, {"id": "a", "agent": "ocf:heartbeat:Dummy"}]},
     "id a is given twice (in resources/stonith and in resources/stonith)"),
    ({"resources": [{"id": "a", "agent": "Dummy"}]},
     "invalid agent 'Dummy': use class:provider:type (ocf:heartbeat:IPaddr2) or class:type (systemd:smbd, lsb:foo)"),
    ({"resources": [{"id": "a"}]}, "resources a: agent is required"),
    ({"constraints": [{"type": "location", "resource": "a", "node": "n1", "score": "lots"}]},
     "invalid score 'lots': use an integer, INFINITY or -INFINITY"),
    ({"constraints": [{"type": "location", "resource": "a", "score": 5}]},
     "constraint location (a): give exactly one of node or rule"),
    ({"constraints": [{"type": "location", "resource": "a", "rule": "x frobs 1"}]},
     "constraint location (a): expected one of lt/gt/lte/gte/eq/ne after 'x' in rule 'x frobs 1', got 'frobs'"),
    ({"constraints": [{"type": "location", "id": "drbd-fence-by-handler-r0-x", "resource": "a", "node": "n"}]},
     "constraint drbd-fence-by-handler-r0-x: ids starting with drbd-fence-by-handler-, cli-prefer-, cli-ban- "
     "belong to DRBD and crm_resource; pcs_cib never manages them"),
    ({"resources": [{"id": "vip", "agent": "ocf:heartbeat:IPaddr2"}, {"id": "nfs", "agent": "ocf:heartbeat:nfsserver"}],
      "groups": [{"id": "g", "members": ["vip", "nfs"]}]},
     "group g starts the VIP vip (IPaddr2) before nfs (nfsserver): clients would reach an address whose service "
     "is not ready. Put nfs before vip (the VIP last), or set allow_unsafe_order: true"),
    ({"groups": [{"id": "g", "members": ["a", "a"]}]}, "groups[g].members lists a more than once"),
    ({"stonith": [{"id": "f", "agent": "ocf:heartbeat:Dummy"}]},
     "invalid stonith agent 'ocf:heartbeat:Dummy': use the fence agent name, e.g. fence_ipmilan"),
    ({"fencing_levels": [{"target": "n1", "level": 12, "devices": ["f"]}]},
     "fencing level 12 for n1: use 1 to 9"),
    ({"node_attributes": [{"node": "n1", "name": "site"}]},
     "node attribute site on n1: value is required (or state: absent)"),
])
def test_input_errors_before_any_command(monkeypatch, args, message):
    result = run_module(pcs_cib.main, args, [], monkeypatch=monkeypatch)
    assert result["failed"]
    assert result["msg"] == message
    assert result["_commands"] == []


@pytest.mark.parametrize("args, message", [
    ({"groups": [{"id": "g", "members": ["nosuch"]}]},
     "group g: member nosuch is neither in resources nor in the CIB"),
    ({"clones": [{"resource": "nosuch"}]},
     "clone nosuch-clone: resource nosuch is neither in resources/groups nor in the CIB"),
    ({"groups": [{"id": "g", "members": ["drbd_r0"]}]},
     "group g: member drbd_r0 is cloned by drbd_r0-clone; remove the clone first"),
    ({"resources": [{"id": "drbd_r0", "state": "absent"}]},
     "removing drbd_r0 would leave clone drbd_r0-clone empty: remove the clone as well "
     "(clones: [{id: drbd_r0-clone, state: absent}])"),
    ({"clones": [{"id": "drbd_r0-clone", "resource": "drbd_r0", "state": "absent"}]},
     "cannot remove drbd_r0-clone: constraint drbd-fence-by-handler-r0-drbd_r0-clone references it and belongs "
     "to DRBD or crm_resource; clear it first (pcs resource clear / the DRBD after-resync handler) and run again"),
    ({"node_attributes": [{"node": "node9", "name": "site", "value": "a"}]},
     "node attribute site: node node9 is not in the CIB (known: node1, node2)"),
    ({"resources": [{"id": "v", "agent": "ocf:heartbeat:IPaddr2", "options": {"ip": "192.0.2.10"}}],
      "groups": [{"id": "g", "members": ["v", "foreign_nfs"]}]}, None),
])
def test_errors_that_need_the_cib(monkeypatch, workdir, args, message):
    base = fx("cib-base.xml")
    if message is None:
        # a member that exists only in the CIB is checked for the VIP order too
        base = base.replace('<primitive id="foreign_dummy" class="ocf" provider="pacemaker" type="Dummy"/>',
                            '<primitive id="foreign_dummy" class="ocf" provider="pacemaker" type="Dummy"/>'
                            '<primitive id="foreign_nfs" class="ocf" provider="heartbeat" type="exportfs"/>')
        assert "foreign_nfs" in base
        message = ("group g starts the VIP v (IPaddr2) before foreign_nfs (exportfs): clients would reach an "
                   "address whose service is not ready. Put foreign_nfs before v (the VIP last), or set "
                   "allow_unsafe_order: true")
    result = run_module(pcs_cib.main, args, [{"command": ["cibadmin", "--query"], "out": base}],
                        monkeypatch=monkeypatch)
    assert result["failed"], result
    assert result["msg"] == message


def test_secrets_registered_as_no_log(monkeypatch, workdir):
    result = run_module(pcs_cib.main, task(), [query("cib-nas-after.xml")], monkeypatch=monkeypatch)
    assert result["changed"] is False
    assert "Sup3rSecret" not in json.dumps(result)


def test_argument_spec_matches_documentation():
    import yaml
    doc = yaml.safe_load(pcs_cib.DOCUMENTATION)

    def compare(spec, options, path):
        assert set(spec) == set(options), path
        for name, entry in spec.items():
            opt = options[name]
            assert entry.get("type", "str") == opt.get("type", "str"), "%s.%s" % (path, name)
            assert entry.get("required", False) == opt.get("required", False), "%s.%s" % (path, name)
            assert entry.get("default") == opt.get("default"), "%s.%s" % (path, name)
            assert entry.get("choices") == opt.get("choices"), "%s.%s" % (path, name)
            if "options" in entry:
                compare(entry["options"], opt["suboptions"], "%s.%s" % (path, name))

    compare(pcs_cib.ARGUMENT_SPEC, doc["options"], "options")


def test_cluster_options_come_from_the_daemons_metadata_through_the_runner(monkeypatch, tmp_path):
    path = str(tmp_path / "cib.xml")
    with open(path, "w") as f:
        f.write(fx("cib-base.xml"))
    commands = [{"command": ["pacemaker-%s" % d, "metadata"],
                 "out": fx("metadata-pacemaker-%s.stdout" % d)} for d in METADATA_DAEMONS]
    result = run_module(pcs_cib.main, {"cib_file": path, "properties": {"stonith-enabled": "maybe"}}, commands,
                        monkeypatch=monkeypatch)
    assert result["failed"] and result["msg"] == "properties: stonith-enabled must be true or false, got 'maybe'"


def test_without_the_daemons_properties_are_unchecked_metadata_through_the_runner(monkeypatch, tmp_path):
    warnings = capture_warnings(monkeypatch)
    path = str(tmp_path / "cib.xml")
    with open(path, "w") as f:
        f.write(fx("cib-base.xml"))
    commands = [{"command": VERIFY, "rc": 0, "out": "", "err": ""}]
    run_module(pcs_cib.main, {"cib_file": path, "properties": {"no-such-option": "1"}}, commands,
               monkeypatch=monkeypatch, missing_binaries=("pacemaker-schedulerd",), strict=False)
    assert any("the cluster properties were not checked" in w for w in warnings)


@pytest.mark.parametrize("properties, message", [
    ({"stonith-enabeld": "true"}, "properties: stonith-enabeld is not a Pacemaker cluster option"),
    ({"no-quorum-policy": "ignre"}, "properties: no-quorum-policy must be one of stop, freeze, ignore, demote, suicide"),
    ({"cluster-recheck-interval": "soon"}, "properties: cluster-recheck-interval must be a time such as 60s"),
    ({"node-action-limit": "two"}, "properties: node-action-limit must be an integer, got 'two'"),
    ({"load-threshold": "high"}, "properties: load-threshold must be a percentage such as 80%"),
    ({"dc-version": "2.1.5"}, "properties: dc-version is set by Pacemaker itself"),
    ({"stonith-enabled": {"a": 1}}, "properties: stonith-enabled must be a string, a number or a boolean"),
])
def test_bad_properties_refused_before_any_command(monkeypatch, properties, message):
    result = run_module(pcs_cib.main, {"properties": properties}, [], monkeypatch=monkeypatch)
    assert result["failed"] and message in result["msg"], result["msg"]


def test_good_properties_pass_the_check():
    from ansible_collections.hastorage.cluster.plugins.module_utils import _cib as cib
    rules = cib.cluster_option_rules(metadata_texts())
    assert cib.property_errors({"stonith-enabled": "true", "no-quorum-policy": "stop", "load-threshold": "400%",
                                "stonith-watchdog-timeout": "-1", "cluster-recheck-interval": "5min",
                                "batch-limit": "0", "pe-error-series-max": "-1", "shutdown-lock": "yes",
                                "dc-deadtime": "20"}, rules) == []
    # a removal (value none) is never refused: an option an older Pacemaker knew may go
    assert cib.property_errors({"default-resource-stickiness": None, "stonith-enabled": None}, rules) == []


@pytest.mark.parametrize("args, message", [
    ({"resources": [{"id": "r", "agent": "ocf:heartbeat:Dummy", "operations": [{"action": "monitor", "timeout": "soon"}]}]},
     "r: operation monitor timeout 'soon' is not a time Pacemaker reads"),
    ({"resources": [{"id": "r", "agent": "ocf:heartbeat:Dummy", "operations": [{"action": "monitor", "interval": "often"}]}]},
     "operation monitor interval 'often' is not a time"),
    ({"resources": [{"id": "r", "agent": "ocf:heartbeat:Dummy", "options": {"ip": ["10.0.0.1"]}}]},
     "r options: ip must be a string, a number or a boolean, got a list"),
    ({"resources": [{"id": "r", "agent": "ocf:heartbeat:Dummy", "meta": {"x": {"y": 1}}}]},
     "r meta: x must be a string, a number or a boolean, got a dictionary"),
    ({"node_attributes": [{"node": "n1", "name": "a", "value": 1}, {"node": "n1", "name": "a", "value": 2}]},
     "node attribute a on n1 is given twice"),
])
def test_more_input_errors_before_any_command(monkeypatch, args, message):
    result = run_module(pcs_cib.main, args, [], monkeypatch=monkeypatch)
    assert result["failed"] and message in result["msg"], result["msg"]


def test_iso_intervals_and_plain_durations_are_accepted():
    from ansible_collections.hastorage.cluster.plugins.module_utils import _cib as cib
    assert cib.check_duration("PT30S", "x", iso=True) == "PT30S"
    assert cib.check_duration("90", "x") == "90" and cib.check_duration("500ms", "x") == "500ms"
    with pytest.raises(cib.CibError):
        cib.check_duration("PT30S", "x")


@pytest.mark.parametrize("content, message", [
    (None, "is not a file"),
    (b"\xff\xfe\x00binary", "is not a CIB (not UTF-8 text)"),
    (b"hello", "is not a CIB (not XML"),
])
def test_cib_file_that_is_not_a_cib(monkeypatch, tmp_path, content, message):
    path = tmp_path / "cib"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    result = run_module(pcs_cib.main, {"cib_file": str(path), "properties": {"stonith-enabled": True}}, [],
                        monkeypatch=monkeypatch)
    assert result["failed"] and message in result["msg"], result["msg"]


def test_fence_agent_secrets_never_reach_the_result_or_the_diff(monkeypatch, tmp_path):
    cib = tmp_path / "cib.xml"
    shutil.copy(os.path.join(FIXTURES, "cib-base.xml"), str(cib))
    secrets = {"secret_key": "AWS-SECRET-123", "access_key": "AKIA-ACCESS-456", "bmc_code": "BMC-789"}
    args = {"cib_file": str(cib), "secret_options": ["bmc_code"],
            "stonith": [{"id": "fence_cloud", "agent": "fence_aws",
                         "options": dict(secrets, region="eu-west-1", pcmk_host_map="node1:i-1")}]}
    # crm_verify reads the edited CIB on stdin (the secrets are in the CIB, as Pacemaker needs them)
    commands = [{"command": VERIFY, "rc": 0, "out": "", "err": "", "data": None}]
    result = run_module(pcs_cib.main, args, commands, diff=True, monkeypatch=monkeypatch, strict=False)
    assert result["changed"] is True, result
    text = json.dumps(result)
    for value in secrets.values():
        assert value not in text
    assert "eu-west-1" in text


@pytest.mark.parametrize("check_mode", [False, True])
def test_live_foreign_object_is_refused_after_the_query_alone(monkeypatch, workdir, check_mode):
    # foreign_dummy in cib-base.xml was made with cibadmin, not by pcs_cib: no ownership record
    args = {"resources": [{"id": "foreign_dummy", "agent": "ocf:pacemaker:Dummy", "options": {"fake": "1"}}]}
    result = run_module(pcs_cib.main, args, [query("cib-base.xml")], check_mode=check_mode, monkeypatch=monkeypatch)
    assert result["failed"]
    assert result["msg"].startswith("refusing to change options of primitive foreign_dummy: it was not made by "
                                    "hastorage.cluster")
    assert "add foreign_dummy to adopt" in result["msg"]


def test_cib_file_adopt_records_and_then_owns(monkeypatch, tmp_path):
    cib = tmp_path / "cib.xml"
    shutil.copy(os.path.join(FIXTURES, "cib-base.xml"), str(cib))
    args = {"cib_file": str(cib), "resources": [{"id": "foreign_dummy", "agent": "ocf:pacemaker:Dummy",
                                                 "options": {"fake": "1"}}]}
    refused = run_module(pcs_cib.main, args, [], monkeypatch=monkeypatch)
    assert refused["failed"] and "foreign_dummy" in refused["msg"]
    assert cib.read_text() == fx("cib-base.xml")
    adopted = run_module(pcs_cib.main, dict(args, adopt=["foreign_dummy"]),
                         [{"command": VERIFY, "out": "", "err": "", "rc": 0, "data": None}], monkeypatch=monkeypatch)
    assert adopted["changed"] is True, adopted
    assert 'name="primitive foreign_dummy" value="hastorage.cluster"' in cib.read_text()
    again = run_module(pcs_cib.main, dict(args, resources=[dict(args["resources"][0], options={"fake": "2"})]),
                       [{"command": VERIFY, "out": "", "err": "", "rc": 0, "data": None}], monkeypatch=monkeypatch)
    assert again["changed"] is True, again


def show_metadata(agent, rc=0, err=""):
    """crm_resource --show-metadata AGENT, answered from the recording (or failing with ``rc``/``err``)."""
    return {"command": ["crm_resource", "--show-metadata", agent], "rc": rc,
            "out": recorded_agent(agent) if rc == 0 else "", "err": err}


NOPE_ERR = ("crm_resource: Metadata query for ocf:heartbeat:Nope failed: No such device or address\n"
            "Error performing operation: No such object\n")


@pytest.mark.parametrize("args, message", [
    ({"resources": [{"id": "vip", "agent": "ocf:heartbeat:IPaddr2", "options": {"ip": "192.0.2.10", "netmask": 24}}]},
     "resources[vip].options: ocf:heartbeat:IPaddr2 has no option 'netmask' (did you mean cidr_netmask?)"),
    ({"resources": [{"id": "vip", "agent": "ocf:heartbeat:IPaddr2", "options": {"cidr_netmask": 24}}]},
     "resources[vip].options: ocf:heartbeat:IPaddr2 requires option 'ip'"),
    ({"resources": [{"id": "r0", "agent": "ocf:linbit:drbd"}]},
     "resources[r0].options: ocf:linbit:drbd requires option 'drbd_resource'"),
    ({"stonith": [{"id": "f1", "agent": "fence_ipmilan", "options": {"ip": "10.0.0.1", "usrname": "admin"}}]},
     "stonith[f1].options: stonith:fence_ipmilan has no option 'usrname' (did you mean username?)"),
])
def test_agent_options_are_checked_through_the_runner(monkeypatch, args, message):
    agent = (args.get("resources") or args.get("stonith"))[0]["agent"]
    agent = agent if ":" in agent else "stonith:" + agent
    result = run_module(pcs_cib.main, args, [show_metadata(agent)], monkeypatch=monkeypatch)
    assert result["failed"]
    assert message in result["msg"]


def test_agent_options_accepted_through_the_runner(monkeypatch, tmp_path):
    # deprecated names the agent still lists, the fencer's pcmk_* options, an OCF agent's trace_ra
    fence_options = {"ipaddr": "10.0.0.1", "login": "admin", "passwd": "x", "pcmk_host_list": "node1",
                     "pcmk_delay_max": 5}
    args = {"stonith": [{"id": "f1", "agent": "fence_ipmilan", "options": fence_options}],
            "resources": [{"id": "vip", "agent": "ocf:heartbeat:IPaddr2", "options": {"ip": "192.0.2.10", "trace_ra": 1}},
                          {"id": "smb", "agent": "systemd:smbd"}]}
    cib = tmp_path / "cib.xml"
    shutil.copy(os.path.join(FIXTURES, "cib-base.xml"), str(cib))
    args["cib_file"] = str(cib)
    commands = [show_metadata("ocf:heartbeat:IPaddr2"), show_metadata("stonith:fence_ipmilan"),
                {"command": VERIFY, "out": "", "err": "", "rc": 0}]
    result = run_module(pcs_cib.main, args, commands, check_mode=True, monkeypatch=monkeypatch)
    assert not result.get("failed"), result
    assert "create stonith f1" in result["actions"]


def test_agent_not_installed_is_refused_live_and_warned_on_a_file_through_the_runner(monkeypatch, tmp_path):
    args = {"resources": [{"id": "x", "agent": "ocf:heartbeat:Nope"}]}
    result = run_module(pcs_cib.main, args, [show_metadata("ocf:heartbeat:Nope", rc=105, err=NOPE_ERR)],
                        monkeypatch=monkeypatch)
    assert result["failed"]
    assert result["msg"] == ("resources[x]: agent ocf:heartbeat:Nope is not installed on this node (crm_resource "
                             "--show-metadata: crm_resource: Metadata query for ocf:heartbeat:Nope failed: No such "
                             "device or address)")
    cib = tmp_path / "cib.xml"
    shutil.copy(os.path.join(FIXTURES, "cib-base.xml"), str(cib))
    warnings = capture_warnings(monkeypatch)
    result = run_module(pcs_cib.main, dict(args, cib_file=str(cib)),
                        [show_metadata("ocf:heartbeat:Nope", rc=105, err=NOPE_ERR),
                         {"command": VERIFY, "out": "", "err": "", "rc": 0}], check_mode=True,
                        monkeypatch=monkeypatch, strict=False)
    assert not result.get("failed"), result
    assert any("agent ocf:heartbeat:Nope is not installed here" in w for w in warnings)


def test_agent_check_without_crm_resource_warns_through_the_runner(monkeypatch, tmp_path):
    cib = tmp_path / "cib.xml"
    shutil.copy(os.path.join(FIXTURES, "cib-base.xml"), str(cib))
    warnings = capture_warnings(monkeypatch)
    args = {"cib_file": str(cib), "resources": [{"id": "vip", "agent": "ocf:heartbeat:IPaddr2", "options": {"x": 1}}]}
    result = run_module(pcs_cib.main, args, [{"command": VERIFY, "out": "", "err": "", "rc": 0}], check_mode=True,
                        monkeypatch=monkeypatch, missing_binaries=("crm_resource",), strict=False)
    assert not result.get("failed"), result
    assert "crm_resource is not installed here: the resource and fence agents' options were not checked" in warnings


PRIVATE_AGENT = ('<resource-agent name="Vault"><parameters><parameter name="endpoint" required="1"/>'
                 '<parameter name="opaque_blob" private="1"/></parameters></resource-agent>')


def test_options_an_agent_marks_private_are_hidden_through_the_runner(monkeypatch, tmp_path):
    cib = tmp_path / "cib.xml"
    shutil.copy(os.path.join(FIXTURES, "cib-base.xml"), str(cib))
    args = {"cib_file": str(cib), "resources": [{"id": "vault", "agent": "ocf:test:Vault",
                                                 "options": {"endpoint": "https://v", "opaque_blob": "Bl0bS3cret"}}]}
    commands = [{"command": ["crm_resource", "--show-metadata", "ocf:test:Vault"], "out": PRIVATE_AGENT},
                {"command": VERIFY, "out": "", "err": "", "rc": 0}]
    result = run_module(pcs_cib.main, args, commands, check_mode=True, diff=True, monkeypatch=monkeypatch)
    assert not result.get("failed"), result
    assert "Bl0bS3cret" not in json.dumps(result)
    assert "opaque_blob: ********" in result["diff"]["after"]
