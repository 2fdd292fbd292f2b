# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Python CIB builders (module_utils/_cib_build.py) give the objects the Jinja builders gave.

The fixtures in fixtures/jinja_cib/ were captured from the Jinja templates and
set_fact loops before they were removed (see its README). Both sides go
through pcs_cib's own input normaliser, so "the same" means "pcs_cib would
converge the same CIB": same ids, options, operations, meta and constraints,
in the same order.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os

import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils import _cib
from ansible_collections.hastorage.cluster.plugins.module_utils._cib_build import (
    BuildError,
    daemon_start_orders,
    fence_devices,
    drbd_cib,
    merge,
    nas_dual_controller_cib,
    nas_dual_controller_services_groups,
    nas_services_objects,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "jinja_cib")
NAS_SCENARIOS = ["molecule", "integration", "kernel_clone", "kernel_single", "none_nfs"]
STONITH_SCENARIOS = ["ipmi", "mpath", "lab"]


def load(name):
    with open(os.path.join(FIXTURES, name + ".json")) as f:
        return json.load(f)


def normalised(cib):
    return _cib.normalise_input(cib)


def build_nas(inp):
    services_groups = nas_dual_controller_services_groups(inp["groups"])
    services = nas_services_objects(services_groups, nfs_server=inp["nfs_server"], smb_enabled=inp["smb"])
    cib = nas_dual_controller_cib(inp["groups"], services, management=inp["mgmt"],
                                  location_score=inp["score"], stickiness=inp["stickiness"])
    return services_groups, services, cib


def without_daemon_start_orders(objects, daemons):
    """``objects`` less the optional daemon start orders (added after the capture, checked apart)."""
    orders = daemon_start_orders(daemons)
    out = dict(objects, constraints=[c for c in objects["constraints"] if c not in orders])
    assert len(out["constraints"]) == len(objects["constraints"]) - len(orders)
    return out


def without_ganesha_group_orders(objects):
    """``objects`` less the optional orders of the groups after the Ganesha clone (added after the
    capture, checked apart), in its constraints and in its group_constraints when it has them."""
    def keep(c):
        return not (c["type"] == "order" and c["first"] == "nas_ganesha-clone" and c.get("kind") == "Optional")
    out = dict(objects)
    if "constraints" in out:
        out["constraints"] = [c for c in out["constraints"] if keep(c)]
    if "group_constraints" in out:
        out["group_constraints"] = dict((g, [c for c in cs if keep(c)]) for g, cs in out["group_constraints"].items())
    return out


def without_tickle_removals(objects, groups):
    """``objects`` less the ``state: absent`` of each group's tickle layer (added after the capture)."""
    removals = [{"id": "tickle_%s" % g["name"], "state": "absent"} for g in groups]
    out = dict(objects, resources=[r for r in objects["resources"] if r not in removals])
    assert len(out["resources"]) == len(objects["resources"]) - len(removals)
    return out


@pytest.mark.parametrize("scenario", NAS_SCENARIOS)
def test_dual_controller_same_objects_as_jinja(scenario):
    fixture = load("nas_" + scenario)
    services_groups, services, cib = build_nas(fixture["input"])
    assert services_groups == fixture["services_groups"]
    daemons = [r["id"] for r in services["resources"]]
    # the Jinja builders had no optional orders between the daemon clones or from the Ganesha clone to
    # the groups, and no tickle layers (the deliberate differences: without tcp_tickle each group's
    # tickle is deleted, if an earlier run made one)
    assert json.loads(json.dumps(without_ganesha_group_orders(without_daemon_start_orders(services, daemons)))) \
        == fixture["nas_services_pacemaker"]
    cib = without_tickle_removals(without_ganesha_group_orders(without_daemon_start_orders(cib, daemons)),
                                  fixture["input"]["groups"])
    assert normalised(cib) == normalised(fixture["pcs_cib"])


@pytest.mark.parametrize("resources, expected", [
    (["nas_ganesha", "nas_winbind", "nas_smbd"], [("nas_smbd-clone", "nas_ganesha-clone")]),
    (["nas_nfsd", "nas_winbind", "nas_smbd"], [("nas_smbd-clone", "nas_nfsd-clone")]),
    (["nas_winbind", "nas_smbd"], []),
    (["nas_ganesha"], []),
    ([], []),
])
def test_daemon_clones_start_one_at_a_time(resources, expected):
    orders = daemon_start_orders(resources)
    assert [(o["first"], o["then"]) for o in orders] == expected
    for order in orders:
        # optional: binds only starts in the same transition, restarts nothing
        assert order["kind"] == "Optional" and order["first_action"] == order["then_action"] == "start"
        normalised({"constraints": [order]})


def test_nas_services_orders_every_daemon_start():
    groups = [{"name": "a", "mountpoint": "/a", "vip": "10.0.0.5", "nfs_exports": [{"id": 1, "path": "/a/x"}],
               "smb_shares": [{"name": "x", "path": "/a/y"}]},
              {"name": "b", "mountpoint": "/b", "vip": "10.0.0.6", "nfs_exports": [{"id": 2, "path": "/b/x"}]}]
    for nfs_server, nfs_daemon in (("kernel", "nas_nfsd-clone"), ("ganesha", "nas_ganesha-clone")):
        services = nas_services_objects(groups, nfs_server=nfs_server)
        starts = [(c["first"], c["then"]) for c in services["constraints"] if c["type"] == "order"]
        # each clone's start waits for the one before: no two daemons start side by side on a node
        assert starts == [("nas_winbind-clone", "nas_smbd-clone"), ("nas_smbd-clone", nfs_daemon)]


def test_ganesha_groups_start_after_ganesha_optionally():
    """Each group with Ganesha exports waits for Ganesha's start in the same transition (Optional: no
    restart, no wait on a failover); an SMB-only group and the kernel server's groups get no such order."""
    groups = [{"name": "a", "mountpoint": "/a", "vip": "10.0.0.5", "nfs_exports": [{"id": 1, "path": "/a/x"}],
               "smb_shares": [{"name": "x", "path": "/a/y"}]},
              {"name": "b", "mountpoint": "/b", "vip": "10.0.0.6", "smb_shares": [{"name": "y", "path": "/b/y"}]}]
    placed = nas_services_objects(groups)["group_constraints"]
    orders = [c for c in placed["a"] if c["type"] == "order"]
    assert orders == [{"type": "order", "first": "nas_ganesha-clone", "first_action": "start", "then": "g_a",
                       "then_action": "start", "kind": "Optional"}]
    assert {"type": "colocation", "resource": "g_a", "with": "nas_ganesha-clone", "score": "INFINITY"} in placed["a"]
    assert [c for c in placed["b"] if c["type"] == "order"] == []
    kernel = nas_services_objects(groups + [dict(groups[1], name="c", nfs_exports=[{"id": 3, "path": "/c/x"}])],
                                  nfs_server="kernel")["group_constraints"]
    assert [c for cs in kernel.values() for c in cs if c["type"] == "order"] == []
    normalised({"constraints": orders})


def test_dual_controller_fixture_is_not_trivial():
    # the comparison above would pass on two empty inputs: check what the molecule capture holds
    desired = normalised(load("nas_molecule")["pcs_cib"])
    assert [g["id"] for g in desired["groups"]] == ["g_g1", "g_g2", "g_mgmt"]
    assert desired["groups"][0]["members"] == ["fs_g1", "nfs_g1", "smb_g1", "vip_g1"]
    assert len(desired["constraints"]) == 9
    vip = [p for p in desired["primitives"] if p["id"] == "vip_g1"][0]
    assert vip["options"] == {"ip": "10.88.0.200", "cidr_netmask": "24", "nic": "eth0"}


def test_dual_controller_differences_are_seen():
    fixture = load("nas_integration")
    inp = copy.deepcopy(fixture["input"])
    inp["stickiness"] = 101
    assert normalised(build_nas(inp)[2]) != normalised(fixture["pcs_cib"])


@pytest.mark.parametrize("scenario", STONITH_SCENARIOS)
def test_fence_devices_same_as_jinja(scenario):
    fixture = load("stonith_" + scenario)
    inp = fixture["input"]
    nodes = [{"name": n, "ipmi": inp["ipmi"].get(n, {})} for n in inp["nodes"]]
    out = fence_devices(nodes, inp["fence_scsi_devices"], inp["fence_mpath_devices"], inp["stonith_devices"],
                        inp["properties"])
    assert out["stonith"] == fixture["stonith"]
    assert out["constraints"] == fixture["ipmi_constraints"]
    assert out["properties"] == fixture["properties"]
    assert out["targets"] == fixture["fence_targets"]
    assert out["untargeted"] == fixture["untargeted_devices"]


def test_fence_devices_ipmi_needs_credentials():
    with pytest.raises(BuildError, match="pacemaker_ipmi of node n1 has no password"):
        fence_devices([{"name": "n1", "ipmi": {"ip": "10.0.0.1", "username": "u"}}])


def test_drbd_same_as_jinja():
    fixture = load("drbd_default")
    out = drbd_cib(fixture["input"]["resources"], fixture["input"]["hosts"])
    assert normalised(out) == normalised(fixture["pcs_cib"])
    assert [c["id"] for c in out["clones"]] == ["drbd_r0-clone", "eth_data-clone", "drbd_r1-clone"]


def test_drbd_stacks_relate_to_each_other():
    fs = {"kind": "filesystem", "id": "fs_a", "options": {"device": "/dev/drbd0", "directory": "/a", "fstype": "xfs"}}
    resources = [
        {"name": "r0", "stack": {"name": "a", "layers": [fs]}},
        {"name": "r1", "stack": {"name": "b", "after": ["a"], "layers": [dict(fs, id="fs_b")]}},
    ]
    out = drbd_cib(resources, ["n1", "n2"], timeouts={"start": "300s"})
    assert {"type": "order", "first": "g_a", "first_action": "start", "then": "g_b", "then_action": "start"} \
        in out["constraints"]
    start = [op for op in out["resources"][0]["operations"] if op["action"] == "start"][0]
    assert start["timeout"] == "300s"
    with pytest.raises(BuildError, match="resource r0: its stack runs on the resource"):
        drbd_cib([{"name": "r0", "stack": {"name": "a", "drbd": "r9", "layers": [fs]}}], ["n1"])


def test_merge_one_input_for_one_push():
    fencing = {"stonith": [{"id": "f1", "agent": "fence_dummy"}], "properties": {"stonith-enabled": True},
               "constraints": [{"type": "location", "resource": "f1", "node": "n1", "score": "-INFINITY"}],
               "resources": [], "groups": [], "clones": [], "fencing_levels": [],
               "resource_defaults": {}, "operation_defaults": {"timeout": "60s"}}
    design = {"resources": [{"id": "r1", "agent": "ocf:heartbeat:Dummy"}], "groups": [{"id": "g", "members": ["r1"]}],
              "constraints": [{"type": "location", "resource": "g", "node": "n1", "score": 50}]}
    out = merge([fencing, design, None])
    assert [c["resource"] for c in out["constraints"]] == ["f1", "g"]
    assert out["properties"] == {"stonith-enabled": True}
    assert out["operation_defaults"] == {"timeout": "60s"}
    normalised(out)
    with pytest.raises(BuildError, match="id r1 is in part 1 and part 2"):
        merge([design, {"resources": [{"id": "r1", "agent": "x"}]}])
    with pytest.raises(BuildError, match="properties stonith-enabled is True in one part and false in part 2"):
        merge([fencing, {"properties": {"stonith-enabled": "false"}}])
    assert merge([fencing, {"properties": {"stonith-enabled": "TRUE"}}])["properties"] == {"stonith-enabled": "TRUE"}
    with pytest.raises(BuildError, match="part 1 has unknown keys bogus"):
        merge([{"bogus": []}])


@pytest.mark.parametrize("change, message", [
    (lambda g: g.pop("device"), "nas_dual_controller_groups: group g1 needs device"),
    (lambda g: g["vip"].pop("cidr_netmask"), "nas_dual_controller_groups: group g1 vip needs cidr_netmask"),
    (lambda g: g.pop("vip"), "nas_dual_controller_groups: group g1 needs vip.address"),
    (lambda g: g["nfs_exports"][0].pop("path"), "g1: export 101 needs path"),
    (lambda g: g["nfs_exports"][0]["clients"][0].pop("network"), None),
    (lambda g: g["smb_shares"][0].pop("path"), "g1: SMB share g1data needs path"),
    (lambda g: g.pop("name"), "nas_dual_controller_groups: every group needs a name"),
])
def test_incomplete_groups_are_named(change, message):
    inp = copy.deepcopy(load("nas_integration")["input"])
    change(inp["groups"][0])
    if message is None:  # a ganesha export ignores its clients here (nas_services' validation checks them)
        build_nas(inp)
        inp["nfs_server"] = "kernel"
        message = "g1: a client of export 101 needs network"
    with pytest.raises(BuildError) as e:
        build_nas(inp)
    assert str(e.value).startswith(message)


def test_management_vip_is_required():
    inp = copy.deepcopy(load("nas_integration")["input"])
    inp["mgmt"]["vip"] = {"address": "192.0.2.100"}
    with pytest.raises(BuildError, match="nas_dual_controller_management_group vip needs cidr_netmask"):
        build_nas(inp)
    inp["mgmt"]["enabled"] = False
    assert "g_mgmt" not in [g["id"] for g in build_nas(inp)[2]["groups"]]


def test_sbd_fencing_as_sbd_yml_built_it():
    nodes = [{"name": "n1", "ipmi": {}}, {"name": "n2", "ipmi": {}}]
    # watchdog only: stonith-watchdog-timeout twice SBD_WATCHDOG_TIMEOUT unless the user set a longer one
    out = fence_devices(nodes, sbd={"enabled": True, "devices": [], "options": {"SBD_WATCHDOG_TIMEOUT": "7"}})
    assert out["stonith"] == []
    assert out["properties"] == {"stonith-enabled": True, "stonith-watchdog-timeout": "14s"}
    out = fence_devices(nodes, properties={"stonith-watchdog-timeout": "20s"},
                        sbd={"enabled": True, "devices": [], "options": {"SBD_WATCHDOG_TIMEOUT": "7"}})
    assert out["properties"]["stonith-watchdog-timeout"] == "20s"
    assert fence_devices(nodes, sbd={"enabled": True})["properties"]["stonith-watchdog-timeout"] == "10s"
    # poison-pill disks: fence_sbd after every other device, untargeted
    extra = [{"id": "fence_x", "agent": "fence_dummy", "options": {"pcmk_host_list": "n1"}}]
    out = fence_devices(nodes, extra_devices=extra, sbd={"enabled": True, "devices": ["/dev/sdx", "/dev/sdy"]})
    assert out["stonith"][-1] == {"id": "fence_sbd", "agent": "fence_sbd", "options": {"devices": "/dev/sdx,/dev/sdy"}}
    assert out["untargeted"] == ["fence_sbd"]
    assert "stonith-watchdog-timeout" not in out["properties"]
    # disabled: nothing
    assert fence_devices(nodes, sbd={"enabled": False, "devices": ["/dev/sdx"]})["stonith"] == []
    with pytest.raises(BuildError, match="SBD_WATCHDOG_TIMEOUT must be whole seconds, got '5s'"):
        fence_devices(nodes, sbd={"enabled": True, "options": {"SBD_WATCHDOG_TIMEOUT": "5s"}})
