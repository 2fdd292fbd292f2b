# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Service stack order and its pcs_cib input (module_utils/_stack.py)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils import _cib
from ansible_collections.hastorage.cluster.plugins.module_utils._stack import (
    StackError,
    check_layers,
    ethmonitor_attribute,
    stack_to_cib,
    stacks_to_cib,
    vip_addresses,
)

FS = {"kind": "filesystem", "id": "fs_share1", "agent": "ocf:heartbeat:Filesystem",
      "options": {"device": "/dev/drbd0", "directory": "/srv/share1", "fstype": "xfs"}}
NFS = {"kind": "nfs", "id": "nfs_share1", "agent": "systemd:nfs-ganesha"}
SMB = {"kind": "smb", "id": "smb_share1", "agent": "systemd:smbd"}
AD = {"kind": "ad", "id": "winbind_share1", "agent": "systemd:winbind"}
ETH = {"kind": "ethmonitor", "id": "eth_share1", "agent": "ocf:heartbeat:ethmonitor", "options": {"interface": "eth0"}}
VIP = {"kind": "vip", "id": "vip_share1", "agent": "ocf:heartbeat:IPaddr2", "options": {"ip": "10.1.1.10", "cidr_netmask": 24}}
LVM = {"kind": "volume", "id": "lvm_share1", "agent": "ocf:heartbeat:LVM-activate", "options": {"vgname": "vg1"}}
BLOCK = {"kind": "block", "id": "drbd_r0", "agent": "ocf:linbit:drbd"}
HAPROXY = {"kind": "haproxy", "id": "haproxy_share1"}
TICKLE = {"kind": "tickle", "id": "tickle_share1",
          "options": {"portno": "2049,445", "ip": "10.1.1.10", "tickle_dir": "/srv/state/tickle"}}
PORTBLOCK = dict(TICKLE, agent="ocf:heartbeat:portblock",
                 options=dict(TICKLE["options"], protocol="tcp", action="unblock"))
ORDER = ("block (block/multipath/iscsi/graid), volume (volume/lvm/md), filesystem, "
         "service (service/nfs/smb/ad/haproxy), health (ethmonitor/ping), vip, reconnect (tickle)")


def stack(layers, **extra):
    s = {"name": "share1", "layers": copy.deepcopy(layers)}
    s.update(extra)
    return s


def test_full_stack_output():
    out = stack_to_cib(stack([LVM, FS, NFS, SMB, AD, ETH, VIP], prefers="node1",
                             below={"resource": "drbd_r0-clone", "role": "Promoted"}))
    assert out["groups"] == [{"id": "g_share1", "members": [
        "lvm_share1", "fs_share1", "nfs_share1", "smb_share1", "winbind_share1", "vip_share1"]}]
    assert out["clones"] == [{"id": "eth_share1-clone", "resource": "eth_share1"}]
    assert out["constraints"] == [
        {"type": "colocation", "resource": "g_share1", "with": "drbd_r0-clone", "score": "INFINITY",
         "with_role": "Promoted"},
        {"type": "order", "first": "drbd_r0-clone", "first_action": "promote", "then": "g_share1",
         "then_action": "start"},
        {"type": "location", "resource": "g_share1", "score": "-INFINITY",
         "rule": "not_defined ethmonitor-eth0 or ethmonitor-eth0 ne 1"},
        {"type": "location", "resource": "g_share1", "node": "node1", "score": 50},
    ]
    assert [r["id"] for r in out["resources"]] == [
        "lvm_share1", "fs_share1", "nfs_share1", "smb_share1", "winbind_share1", "eth_share1", "vip_share1"]
    # the output is valid pcs_cib input
    desired = _cib.normalise_input(out)
    assert desired["groups"][0]["members"][-1] == "vip_share1"


def test_below_without_promoted_role_orders_start():
    out = stack_to_cib(stack([FS, VIP], below={"resource": "mpath-clone"}))
    assert out["constraints"] == [
        {"type": "colocation", "resource": "g_share1", "with": "mpath-clone", "score": "INFINITY"},
        {"type": "order", "first": "mpath-clone", "first_action": "start", "then": "g_share1", "then_action": "start"}]
    assert "clones" not in out


@pytest.mark.parametrize("layers, message", [
    ([FS, VIP, NFS], "stack share1: layer 'vip' (vip_share1) must be the last layer; 'nfs' (nfs_share1) comes after it"),
    ([FS, BLOCK], "stack share1: filesystem fs_share1 comes before its block layer drbd_r0; layers go bottom-up: "
                  + ORDER),
    ([NFS, FS, VIP], "stack share1: layer 'filesystem' (fs_share1) must come before 'nfs' (nfs_share1); layers go "
                     "bottom-up: " + ORDER),
    ([FS, ETH, SMB], "stack share1: layer 'smb' (smb_share1) must come before 'ethmonitor' (eth_share1)"),
    ([FS, LVM], "stack share1: layer 'volume' (lvm_share1) must come before 'filesystem' (fs_share1)"),
    ([], "stack share1 has no layers"),
    ([dict(FS, kind="disk")], "stack share1: layer 1 (fs_share1) has unknown kind 'disk'; use one of " + ORDER),
    ([dict(FS, id=None)], "stack share1: layer 1 (filesystem) has no id"),
    ([dict(NFS, agent=None)], "stack share1: layer 'nfs' (nfs_share1) has no agent"),
    ([dict(FS, kind="drbd")], "stack share1: layer 1 (fs_share1) has kind 'drbd': a DRBD resource is a promotable clone"),
    ([dict(FS, opts={})], "stack share1: layer 'filesystem' (fs_share1): unknown key opts; known keys: kind, id"),
    ([dict(FS, options="x")], "stack share1: layer 'filesystem' (fs_share1): options must be a dictionary"),
    ([HAPROXY, dict(LVM, kind="lvm")], "stack share1: layer 'lvm' (lvm_share1) must come before 'haproxy'"),
    ([FS, dict(BLOCK, kind="multipath")], "stack share1: filesystem fs_share1 comes before its block layer drbd_r0"),
    ([FS, VIP, dict(ETH, kind="ping")], "stack share1: layer 'vip' (vip_share1) must be the last layer; 'ping'"),
    ([FS, dict(NFS, id="fs_share1")], "stack share1: id fs_share1 is used by two layers"),
])
def test_wrong_order_refused(layers, message):
    with pytest.raises(StackError) as e:
        check_layers("share1", copy.deepcopy(layers))
    assert str(e.value).startswith(message)


def tickle(**options):
    layer = copy.deepcopy(TICKLE)
    layer["options"].update(options)
    return layer


def portblock(**options):
    layer = copy.deepcopy(PORTBLOCK)
    layer["options"].update(options)
    return layer


def test_tickle_follows_its_vip_as_the_last_group_member():
    out = stack_to_cib(stack([FS, NFS, VIP, TICKLE]))
    assert out["groups"][0]["members"] == ["fs_share1", "nfs_share1", "vip_share1", "tickle_share1"]
    prims = dict((r["id"], r) for r in out["resources"])
    assert prims["tickle_share1"]["agent"] == "ocf:hastorage:tcp_tickle"
    # two VIPs, the tickle for the second
    check_layers("share1", [FS, VIP, dict(VIP, id="vip2", options={"ip": "10.1.1.11"}),
                            dict(TICKLE, options={"portno": "2049", "ip": "10.1.1.11", "tickle_dir": "/t"})])
    # portblock's unblock is a tickle layer too; its action and protocol may be left to its defaults
    check_layers("share1", [FS, VIP, PORTBLOCK])
    check_layers("share1", [FS, VIP, dict(PORTBLOCK, options=TICKLE["options"])])


@pytest.mark.parametrize("layers, message", [
    ([FS, TICKLE, VIP], "stack share1: layer 'vip' (vip_share1) must come before 'tickle' (tickle_share1)"),
    ([FS, NFS, TICKLE], "stack share1: layer 'tickle' (tickle_share1) tickles clients of 10.1.1.10, which is no VIP "
                        "before it in the stack (none)"),
    ([FS, VIP, tickle(ip="10.1.1.99")], "stack share1: layer 'tickle' (tickle_share1) tickles clients of 10.1.1.99, "
                                        "which is no VIP before it in the stack (10.1.1.10)"),
    ([FS, VIP, tickle(tickle_dir=None, portno="")], "stack share1: layer 'tickle' (tickle_share1) needs options "
                                                    "portno, tickle_dir"),
    ([FS, VIP, tickle(portno="nfs")], "stack share1: layer 'tickle' (tickle_share1): portno must be ports separated"),
    ([FS, VIP, tickle(portno="1:100")], "stack share1: layer 'tickle' (tickle_share1): portno must be ports separated"),
    ([FS, VIP, tickle(portno="2049;445")], "stack share1: layer 'tickle' (tickle_share1): portno must be ports"),
    ([FS, VIP, tickle(tickle_dir="tickle")], "stack share1: layer 'tickle' (tickle_share1): tickle_dir must be an "
                                             "absolute path, got 'tickle'"),
    ([FS, VIP, portblock(action="block")], "stack share1: layer 'tickle' (tickle_share1): action must be unblock (a "
                                           "tickle unblocks TCP ports), got 'block'"),
    ([FS, VIP, portblock(protocol="udp")], "stack share1: layer 'tickle' (tickle_share1): protocol must be tcp"),
    ([FS, VIP, TICKLE, SMB], "stack share1: layer 'vip' (vip_share1) must be the last layer; 'smb' (smb_share1) comes "
                             "after it"),
])
def test_bad_tickle_refused(layers, message):
    with pytest.raises(StackError) as e:
        check_layers("share1", copy.deepcopy(layers))
    assert str(e.value).startswith(message)


def test_nfs_smb_ad_any_order_and_two_vips():
    check_layers("s", [FS, SMB, AD, NFS, VIP, dict(VIP, id="vip6")])


def test_ethmonitor_attribute():
    assert ethmonitor_attribute(ETH) == "ethmonitor-eth0"
    assert ethmonitor_attribute(dict(ETH, options={"interface": "eth1", "name": "link"})) == "link"
    with pytest.raises(StackError, match="needs options.interface"):
        ethmonitor_attribute(dict(ETH, options={}))


def test_only_ethmonitor_is_refused():
    with pytest.raises(StackError, match="has no layer that belongs in its group"):
        stack_to_cib(stack([ETH]))


def test_stack_errors():
    with pytest.raises(StackError, match="the stack has no name"):
        stack_to_cib({"layers": [FS]})
    with pytest.raises(StackError, match="below needs a resource"):
        stack_to_cib(stack([FS], below={"role": "Promoted"}))
    with pytest.raises(StackError, match="a stack is a dictionary"):
        stack_to_cib(["x"])


def test_stacks_merge_and_clash():
    a = stack([FS, VIP])
    b = {"name": "share2", "layers": [dict(FS, id="fs2"), dict(VIP, id="vip2")]}
    out = stacks_to_cib([a, b])
    assert [g["id"] for g in out["groups"]] == ["g_share1", "g_share2"]
    with pytest.raises(StackError, match="id fs_share1 is used by stack share1 and stack share2"):
        stacks_to_cib([a, dict(b, layers=[FS, dict(VIP, id="vip2")])])


def test_vip_addresses():
    assert vip_addresses(stack([FS, VIP])) == [("vip_share1", "10.1.1.10", 24)]


def test_new_kinds_and_default_agents():
    layers = [{"kind": "iscsi", "id": "lun1", "agent": "ocf:heartbeat:iSCSILogicalUnit"},
              {"kind": "md", "id": "md0", "options": {"mdadm_conf": "/etc/mdadm.conf", "md_dev": "/dev/md0"}},
              {"kind": "lvm", "id": "vg1", "options": {"vgname": "vg1", "vg_access_mode": "system_id"}},
              {"kind": "filesystem", "id": "fs1"},
              {"kind": "haproxy", "id": "hap"},
              {"kind": "service", "id": "glance", "agent": "systemd:glance-api"},
              {"kind": "ping", "id": "ping_gw", "options": {"host_list": "10.0.0.1", "name": "gw"}, "threshold": 2},
              {"kind": "vip", "id": "vip1", "options": {"ip": "10.0.0.10"}}]
    out = stack_to_cib({"name": "cp", "layers": layers})
    agents = dict((r["id"], r["agent"]) for r in out["resources"])
    assert agents == {"lun1": "ocf:heartbeat:iSCSILogicalUnit", "md0": "ocf:heartbeat:mdraid",
                      "vg1": "ocf:heartbeat:LVM-activate", "fs1": "ocf:heartbeat:Filesystem",
                      "hap": "systemd:haproxy", "glance": "systemd:glance-api", "ping_gw": "ocf:pacemaker:ping",
                      "vip1": "ocf:heartbeat:IPaddr2"}
    assert out["groups"][0]["members"] == ["lun1", "md0", "vg1", "fs1", "hap", "glance", "vip1"]
    assert out["clones"] == [{"id": "ping_gw-clone", "resource": "ping_gw"}]
    assert out["constraints"] == [{"type": "location", "resource": "g_cp", "score": "-INFINITY",
                                   "rule": "not_defined gw or gw lt 2"}]
    _cib.normalise_input(out)


def test_clone_stack_is_a_cloned_group_with_interleave():
    out = stack_to_cib({"name": "api", "type": "clone", "clone_meta": {"clone-max": 2, "interleave": "false"},
                        "prefers": ["node1", {"node": "node2", "score": 20}], "prefers_score": 10,
                        "health": [{"attribute": "pingd"}, {"attribute": "path-ok", "op": "ne", "value": 1}],
                        "layers": [HAPROXY]})
    assert out["groups"] == [{"id": "g_api", "members": ["haproxy_share1"]}]
    assert out["clones"] == [{"id": "g_api-clone", "resource": "g_api",
                              "meta": {"interleave": "false", "clone-max": 2}}]
    # two rules on one stack: each its own id (the default, location-<resource>, would be shared)
    assert out["constraints"] == [
        {"type": "location", "resource": "g_api-clone", "score": "-INFINITY", "rule": "not_defined pingd or pingd lt 1",
         "id": "location-g_api-clone-pingd"},
        {"type": "location", "resource": "g_api-clone", "score": "-INFINITY",
         "rule": "not_defined path-ok or path-ok ne 1", "id": "location-g_api-clone-path-ok"},
        {"type": "location", "resource": "g_api-clone", "node": "node1", "score": 10},
        {"type": "location", "resource": "g_api-clone", "node": "node2", "score": 20}]
    _cib.normalise_input(out)


def test_health_item_that_allows_unreported_nodes():
    out = stack_to_cib({"name": "g", "layers": [FS, VIP],
                        "health": [{"attribute": "hsc_paths_lun1", "allow_unreported": True},
                                   {"attribute": "link", "op": "ne", "value": 1}]})
    rules = [(c.get("id"), c["score"], c["rule"]) for c in out["constraints"] if "rule" in c]
    assert rules == [("location-g_g-hsc_paths_lun1", "-INFINITY", "hsc_paths_lun1 lt 1"),
                     ("location-g_g-link", "-INFINITY", "not_defined link or link ne 1")]
    _cib.normalise_input(out)
    with pytest.raises(StackError, match="allow_unreported must be true or false"):
        stack_to_cib({"name": "g", "layers": [FS, VIP], "health": [{"attribute": "a", "allow_unreported": "yes"}]})
    with pytest.raises(StackError, match="allow_unreported with op ne would not allow anything"):
        stack_to_cib({"name": "g", "layers": [FS, VIP],
                      "health": [{"attribute": "a", "op": "ne", "allow_unreported": True}]})


def test_drbd_under_a_stack():
    out = stack_to_cib(stack([FS, VIP], drbd={"resource": "r0", "clone_max": 2, "timeouts": {"start": "300s"}}))
    assert out["resources"][0]["id"] == "drbd_r0"
    assert out["resources"][0]["options"] == {"drbd_resource": "r0"}
    assert out["clones"] == [{"id": "drbd_r0-clone", "resource": "drbd_r0", "promotable": True,
                              "meta": {"promoted-max": 1, "promoted-node-max": 1, "clone-max": 2,
                                       "clone-node-max": 1, "notify": True}}]
    assert out["constraints"] == [
        {"type": "colocation", "resource": "g_share1", "with": "drbd_r0-clone", "score": "INFINITY",
         "with_role": "Promoted"},
        {"type": "order", "first": "drbd_r0-clone", "first_action": "promote", "then": "g_share1",
         "then_action": "start"}]
    assert stack_to_cib(stack([FS], drbd="r1"))["clones"][0]["meta"].get("clone-max") is None
    _cib.normalise_input(out)


def test_relations_between_stacks():
    fs = stack([FS], name="fs")
    api = {"name": "api", "type": "clone", "after": ["fs"], "with": "fs", "layers": [HAPROXY]}
    vip = {"name": "vip", "after": ["api"], "with": ["api"], "avoid": ["other"], "layers": [VIP]}
    other = {"name": "other", "avoid": ["vip"], "avoid_score": "-INFINITY",
             "layers": [dict(VIP, id="vip2", options={"ip": "10.1.1.11"})]}
    out = stacks_to_cib([fs, api, vip, other])
    assert [c for c in out["constraints"] if c["type"] != "location"] == [
        {"type": "order", "first": "g_fs", "first_action": "start", "then": "g_api-clone", "then_action": "start"},
        {"type": "colocation", "resource": "g_api-clone", "with": "g_fs", "score": "INFINITY"},
        {"type": "order", "first": "g_api-clone", "first_action": "start", "then": "g_vip", "then_action": "start"},
        {"type": "colocation", "resource": "g_vip", "with": "g_api-clone", "score": "INFINITY"},
        {"type": "colocation", "resource": "g_vip", "with": "g_other", "score": -100},
        {"type": "colocation", "resource": "g_other", "with": "g_vip", "score": "-INFINITY"}]
    _cib.normalise_input(out)


@pytest.mark.parametrize("stacks, message", [
    ([{"name": "a", "after": ["b"], "layers": [FS]}],
     "stack a: after names stack b, which does not exist (stacks: a)"),
    ([{"name": "a", "with": ["a"], "layers": [FS]}], "stack a: with names the stack itself"),
    ([{"name": "a", "after": ["c"], "layers": [FS]}, {"name": "b", "after": ["a"], "layers": [dict(FS, id="f2")]},
      {"name": "c", "after": ["b"], "layers": [dict(FS, id="f3")]}],
     "stacks form a cycle in 'after': a -> c -> b -> a"),
    ([{"name": "a", "with": ["b"], "layers": [FS]}, {"name": "b", "with": ["a"], "layers": [dict(FS, id="f2")]}],
     "stacks form a cycle in 'with': a -> b -> a"),
    ([{"name": "a", "with": ["b"], "avoid": ["b"], "layers": [FS]}, {"name": "b", "layers": [dict(FS, id="f2")]}],
     "stack a: b is in both with and avoid"),
    ([{"name": "a", "avoid": ["b"], "avoid_score": 10, "layers": [FS]}, {"name": "b", "layers": [dict(FS, id="f2")]}],
     "stack a: avoid_score must be negative (anti-affinity), got 10"),
    ([{"name": "a", "layers": [FS]}, {"name": "a", "layers": [dict(FS, id="f2")]}], "two stacks are named a"),
    ([{"name": "a", "type": "clone", "layers": [FS, VIP]}],
     "stack a: a clone stack runs on every node and cannot hold the VIP vip_share1"),
    ([{"name": "a", "type": "active", "layers": [FS]}], "stack a: type 'active'; use group"),
    ([{"name": "a", "prefer": "n1", "layers": [FS]}], "stack a: unknown key prefer; known keys: name, type"),
    ([{"name": "a", "clone_meta": {"clone-max": 2}, "layers": [FS]}], "stack a: clone_meta is only for type: clone"),
    ([{"name": "a", "drbd": {"res": "r0"}, "layers": [FS]}], "stack a: drbd needs the DRBD resource name"),
    ([{"name": "a", "drbd": "r0", "below": {"resource": "x"}, "layers": [FS]}],
     "stack a: drbd and below both say what the stack runs on"),
    ([{"name": "a", "type": "clone", "drbd": "r0", "layers": [FS]}],
     "stack a: a clone stack cannot run on a DRBD resource"),
    ([{"name": "a", "health": [{"attribute": "x", "op": "gt"}], "layers": [FS]}],
     "stack a: health item x has op 'gt'; use one of lt, lte, ne, eq"),
    ([{"name": "a", "health": [{"op": "lt"}], "layers": [FS]}], "stack a: a health item needs an attribute"),
    ([{"name": "a", "prefers": "n1", "prefers_score": "high", "layers": [FS]}],
     "stack a: prefers_score must be an integer or INFINITY, got 'high'"),
    ([{"name": "a", "layers": [FS]}, {"name": "b", "drbd": "r0", "layers": [dict(FS, id="drbd_r0")]}],
     "id drbd_r0 is used by stack b and stack b"),
])
def test_bad_stacks_refused_before_anything(stacks, message):
    with pytest.raises(StackError) as e:
        stacks_to_cib(copy.deepcopy(stacks))
    assert str(e.value).startswith(message), str(e.value)
