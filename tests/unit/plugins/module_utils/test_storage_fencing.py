# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Storage fencing in the fence builder: reservation keys, the fencing topology, SBD's refusals."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib

import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils._cib_build import (
    BuildError,
    fence_devices,
    fence_mpath_keys,
    fence_scsi_keys,
    fencing_levels,
    pacemaker_seconds,
    sbd_fencing,
)

NODES = [{"name": "node1", "ipmi": {}}, {"name": "node2", "ipmi": {}}, {"name": "node3", "ipmi": {}}]
NAMES = ["node1", "node2", "node3"]


def power(node):
    return {"id": "fence_lab_" + node, "agent": "fence_uml_lab", "options": {"pcmk_host_map": "%s:%s" % (node, node)}}


def test_fence_scsi_hash_keys_follow_the_agents_rule():
    # fence_scsi generate_key with key_value=hash: "%.4s%.4s" % (md5(cluster), md5(node)), leading zeros stripped
    keys = fence_scsi_keys("hsc", NAMES)
    for node in NAMES:
        want = (hashlib.md5(b"hsc").hexdigest()[:4] + hashlib.md5(node.encode()).hexdigest()[:4]).lstrip("0")
        assert keys[node] == want
    assert len(set(keys.values())) == 3


def test_fence_scsi_colliding_hash_keys_are_refused():
    # find two names whose md5 share the first 4 hex digits
    seen = {}
    pair = None
    for i in range(200000):
        name = "n%d" % i
        prefix = hashlib.md5(name.encode()).hexdigest()[:4]
        if prefix in seen:
            pair = (seen[prefix], name)
            break
        seen[prefix] = name
    assert pair
    with pytest.raises(BuildError, match="nodes %s and %s get the same reservation key" % pair):
        fence_scsi_keys("c", list(pair))
    with pytest.raises(BuildError, match="same reservation key"):
        fence_devices([{"name": n} for n in pair], scsi_devices=["/dev/mapper/lun1"],
                      storage={"cluster_name": "c", "scsi_key_value": "hash"})
    # the node-id keys of key_value=id do not collide: no refusal
    out = fence_devices([{"name": n} for n in pair], scsi_devices=["/dev/mapper/lun1"],
                        storage={"cluster_name": "c", "scsi_key_value": "id"})
    assert out["stonith"][0]["options"]["key_value"] == "id"
    assert out["keys"] == [{"device": "/dev/mapper/lun1", "agent": "fence_scsi", "keys": None}]


def test_fence_mpath_keys_default_and_given():
    assert fence_mpath_keys(NAMES) == {"node1": "1", "node2": "2", "node3": "3"}
    keys = fence_mpath_keys(NAMES, {"node1": "0x00AB", "node2": "cd", "node3": 12})
    assert keys == {"node1": "ab", "node2": "cd", "node3": "12"}
    with pytest.raises(BuildError, match="nodes node1 and node3 have the same key ab"):
        fence_mpath_keys(NAMES, {"node1": "ab", "node2": "cd", "node3": "0xab"})
    with pytest.raises(BuildError, match="every node or none .missing: node3"):
        fence_mpath_keys(NAMES, {"node1": "1", "node2": "2"})
    with pytest.raises(BuildError, match="not in the cluster: node9"):
        fence_mpath_keys(NAMES, {"node1": "1", "node2": "2", "node3": "3", "node9": "9"})
    for bad in ("0", "0x0", "xyz", "1" * 17, ""):
        with pytest.raises(BuildError, match="non-zero hexadecimal reservation key"):
            fence_mpath_keys(["node1"], {"node1": bad})


def test_storage_devices_and_keys():
    out = fence_devices(NODES, scsi_devices=["/dev/mapper/lun1"], mpath_devices=["/dev/mapper/lun2"],
                        storage={"cluster_name": "hsc", "scsi_key_value": "hash",
                                 "mpath_keys": {"node1": "a1", "node2": "a2", "node3": "a3"}})
    scsi, mpath = out["stonith"]
    assert scsi["options"] == {"devices": "/dev/mapper/lun1", "pcmk_host_list": "node1 node2 node3",
                               "key_value": "hash"}
    assert mpath["options"]["pcmk_host_map"] == "node1:a1;node2:a2;node3:a3"
    assert out["keys"] == [
        {"device": "/dev/mapper/lun1", "agent": "fence_scsi", "keys": fence_scsi_keys("hsc", NAMES)},
        {"device": "/dev/mapper/lun2", "agent": "fence_mpath", "keys": {"node1": "a1", "node2": "a2", "node3": "a3"}},
    ]
    # storage only: one class, no topology
    assert out["levels"] == []


@pytest.mark.parametrize("scsi,mpath,message", [
    (["/dev/mapper/lun1"], ["/dev/mapper/lun1"], "in both pacemaker_fence_scsi_devices and pacemaker_fence_mpath"),
    (["/dev/sdb", "/dev/sdb"], [], "pacemaker_fence_scsi_devices lists /dev/sdb more than once"),
    (["sdb"], [], "every device is a path under /dev/"),
    ([], [None], "pacemaker_fence_mpath_devices: every device is a path under /dev/"),
])
def test_bad_storage_devices_are_refused(scsi, mpath, message):
    with pytest.raises(BuildError, match=message):
        fence_devices(NODES, scsi_devices=scsi, mpath_devices=mpath)


def test_power_first_then_storage():
    extra = [power(n) for n in NAMES]
    out = fence_devices(NODES, scsi_devices=["/dev/mapper/lun1"], mpath_devices=["/dev/mapper/lun2"],
                        extra_devices=extra, order=["power", "storage"])
    assert out["levels"] == [
        {"target": "node1", "level": 1, "devices": ["fence_lab_node1"]},
        {"target": "node1", "level": 2, "devices": ["fence_scsi", "fence_mpath"]},
        {"target": "node2", "level": 1, "devices": ["fence_lab_node2"]},
        {"target": "node2", "level": 2, "devices": ["fence_scsi", "fence_mpath"]},
        {"target": "node3", "level": 1, "devices": ["fence_lab_node3"]},
        {"target": "node3", "level": 2, "devices": ["fence_scsi", "fence_mpath"]},
    ]
    reverse = fence_devices(NODES, scsi_devices=["/dev/mapper/lun1"], extra_devices=extra,
                            order=["storage", "power"])["levels"]
    assert reverse[:2] == [{"target": "node1", "level": 1, "devices": ["fence_scsi"]},
                           {"target": "node1", "level": 2, "devices": ["fence_lab_node1"]}]


def test_levels_skip_what_cannot_fence_a_node_and_single_class():
    # IPMI on node1 only; SBD's fence_sbd (no host list) can fence every node
    nodes = [{"name": "node1", "ipmi": {"ip": "10.0.0.1", "username": "u", "password": "p"}}, {"name": "node2"}]
    out = fence_devices(nodes, sbd={"enabled": True, "devices": ["/dev/mapper/sbd"]}, order=["power", "storage"])
    assert out["levels"] == [
        {"target": "node1", "level": 1, "devices": ["fence_ipmi_node1"]},
        {"target": "node1", "level": 2, "devices": ["fence_sbd"]},
        {"target": "node2", "level": 1, "devices": ["fence_sbd"]},
    ]
    # one class: no levels, whatever the order
    assert fencing_levels(NAMES, [power(n) for n in NAMES], ["power", "storage"]) == []
    assert fence_devices(NODES, extra_devices=[power(n) for n in NAMES], order=["storage"])["levels"] == []
    # no order: no levels
    assert fence_devices(NODES, scsi_devices=["/dev/sdb"], extra_devices=[power("node1")])["levels"] == []


@pytest.mark.parametrize("order", [["power", "power"], ["disk"], "power"])
def test_bad_order_is_refused(order):
    with pytest.raises(BuildError, match="pacemaker_fencing_order must list power and/or storage"):
        fencing_levels(NAMES, [power("node1")], order)


def test_pacemaker_seconds():
    assert pacemaker_seconds("10s", "x") == 10
    assert pacemaker_seconds("1min", "x") == 60
    assert pacemaker_seconds("500ms", "x") == 0.5
    assert pacemaker_seconds(-1, "x") == -1
    with pytest.raises(BuildError, match="x must be a Pacemaker interval"):
        pacemaker_seconds("soon", "x")


def test_sbd_refusals():
    # the SBD disk is also a reservation device
    with pytest.raises(BuildError, match="/dev/mapper/lun1 is both an SBD disk and a fence_scsi/fence_mpath device"):
        fence_devices(NODES, scsi_devices=["/dev/mapper/lun1"],
                      sbd={"enabled": True, "devices": ["/dev/mapper/lun1"]})
    # stonith-watchdog-timeout not longer than the watchdog timeout
    for value in ("5s", "3", "5000ms"):
        with pytest.raises(BuildError, match=r"stonith-watchdog-timeout \(%s\) must be longer than SBD_WATCHDOG_TIMEOUT"
                           % value):
            sbd_fencing([], {"SBD_WATCHDOG_TIMEOUT": 5}, {"stonith-watchdog-timeout": value})
    with pytest.raises(BuildError, match="=0 turns watchdog fencing off"):
        sbd_fencing([], {}, {"stonith-watchdog-timeout": "0"})
    with pytest.raises(BuildError, match="at least 1 second"):
        sbd_fencing([], {"SBD_WATCHDOG_TIMEOUT": 0})
    # accepted: longer, negative (Pacemaker derives it), 0 with disks (fence_sbd fences)
    assert sbd_fencing([], {"SBD_WATCHDOG_TIMEOUT": 5}, {"stonith-watchdog-timeout": "6s"}) == ([], {})
    assert sbd_fencing([], {}, {"stonith-watchdog-timeout": "-1"}) == ([], {})
    pill, props = sbd_fencing(["/dev/mapper/sbd"], {}, {"stonith-watchdog-timeout": "0"})
    assert [d["id"] for d in pill] == ["fence_sbd"] and props == {}
    with pytest.raises(BuildError, match="pacemaker_sbd_devices lists /dev/sdz more than once"):
        sbd_fencing(["/dev/sdz", "/dev/sdz"])


def test_sbd_disk_timeouts_and_stonith_timeout():
    disk = ["/dev/mapper/sbd"]
    # the header's msgwait must be at least twice its watchdog timeout
    with pytest.raises(BuildError, match=r"msgwait_timeout \(9s\) must be at least twice watchdog_timeout \(5s\)"):
        sbd_fencing(disk, device_timeouts={"watchdog": 5, "msgwait": 9})
    # fence_sbd waits msgwait: stonith-timeout leaves it 20 % more
    with pytest.raises(BuildError, match=r"stonith-timeout \(20s\) must be at least msgwait plus 20 % \(24s\)"):
        sbd_fencing(disk, {}, {"stonith-timeout": "20s"}, device_timeouts={"watchdog": 10, "msgwait": 20})
    assert sbd_fencing(disk, {}, {"stonith-timeout": "24s"}, device_timeouts={"watchdog": 10, "msgwait": 20})[0]
    # no msgwait given: twice the watchdog timeout; 1min is 60 s
    assert sbd_fencing(disk, {}, {"stonith-timeout": "1min"}, device_timeouts={"watchdog": 20})[0]
    with pytest.raises(BuildError, match=r"\(48s\)"):
        sbd_fencing(disk, {}, {"stonith-timeout": "47"}, device_timeouts={"watchdog": 20})
    # watchdog-only SBD has no header: the device timeouts do not apply
    assert sbd_fencing([], {}, {"stonith-timeout": "5s"}, device_timeouts={"watchdog": 5, "msgwait": 1}) == (
        [], {"stonith-watchdog-timeout": "10s"})
    # through fence_devices, as the role passes them
    with pytest.raises(BuildError, match="at least twice"):
        fence_devices(NODES, sbd={"enabled": True, "devices": disk, "device_timeouts": {"watchdog": 5, "msgwait": 6}})


def test_no_cluster_name_no_hash_keys():
    # the role checks the cluster name first; the builder alone builds the device and knows no keys
    out = fence_devices(NODES, scsi_devices=["/dev/mapper/lun1"], storage={"scsi_key_value": "hash"})
    assert out["stonith"][0]["options"]["key_value"] == "hash"
    assert out["keys"] == [{"device": "/dev/mapper/lun1", "agent": "fence_scsi", "keys": None}]
    with pytest.raises(BuildError, match="fence_scsi keys need the cluster name"):
        fence_scsi_keys("", NAMES)


def test_fence_sbd_in_a_level_with_other_devices_resets_instead_of_powering_off():
    nodes = [{"name": "node1", "ipmi": {"ip": "192.0.2.1", "username": "u", "password": "p"}},
             {"name": "node2", "ipmi": {"ip": "192.0.2.2", "username": "u", "password": "p"}}]
    sbd = {"enabled": True, "devices": ["/dev/mapper/sbd"]}
    out = fence_devices(nodes, scsi_devices=["/dev/mapper/lun1"], sbd=sbd, storage={"cluster_name": "c"},
                        order=["power", "storage"])
    pill = [d for d in out["stonith"] if d["id"] == "fence_sbd"][0]
    assert pill["options"]["pcmk_off_action"] == "reboot"
    assert {"target": "node2", "level": 2, "devices": ["fence_scsi", "fence_sbd"]} in out["levels"]
    # alone in its level Pacemaker asks it to reboot: nothing to map
    alone = fence_devices(nodes, sbd=sbd, order=["power", "storage"])
    assert "pcmk_off_action" not in [d for d in alone["stonith"] if d["id"] == "fence_sbd"][0]["options"]
    # a cluster that powers fenced nodes off keeps off
    off = fence_devices(nodes, scsi_devices=["/dev/mapper/lun1"], sbd=sbd, storage={"cluster_name": "c"},
                        properties={"stonith-action": "off"}, order=["power", "storage"])
    assert "pcmk_off_action" not in [d for d in off["stonith"] if d["id"] == "fence_sbd"][0]["options"]

    # levels written by hand (pacemaker_fencing_levels) count the same way, and are returned as given
    mine = [{"target": "node1", "level": 1, "devices": ["fence_sbd", "fence_scsi"]}]
    hand = fence_devices(nodes, scsi_devices=["/dev/mapper/lun1"], sbd=sbd, storage={"cluster_name": "c"},
                         order=["power", "storage"], levels=mine)
    assert hand["levels"] == mine
    assert [d for d in hand["stonith"] if d["id"] == "fence_sbd"][0]["options"]["pcmk_off_action"] == "reboot"
