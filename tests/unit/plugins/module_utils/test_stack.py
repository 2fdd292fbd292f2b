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
                  "block, volume, filesystem, nfs/smb/ad, ethmonitor, vip"),
    ([NFS, FS, VIP], "stack share1: layer 'filesystem' (fs_share1) must come before 'nfs' (nfs_share1); layers go "
                     "bottom-up: block, volume, filesystem, nfs/smb/ad, ethmonitor, vip"),
    ([FS, ETH, SMB], "stack share1: layer 'smb' (smb_share1) must come before 'ethmonitor' (eth_share1)"),
    ([FS, LVM], "stack share1: layer 'volume' (lvm_share1) must come before 'filesystem' (fs_share1)"),
    ([], "stack share1 has no layers"),
    ([dict(FS, kind="disk")], "stack share1: layer 1 (fs_share1) has unknown kind 'disk'; use one of block, volume"),
    ([dict(FS, id=None)], "stack share1: layer 1 (filesystem) has no id"),
    ([dict(FS, agent=None)], "stack share1: layer 'filesystem' (fs_share1) has no agent"),
    ([FS, dict(NFS, id="fs_share1")], "stack share1: id fs_share1 is used by two layers"),
])
def test_wrong_order_refused(layers, message):
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
