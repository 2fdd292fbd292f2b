# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The NAS gateway design's checks and stacks (plugins/module_utils/_cib_build_gateway.py)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils import _cib_build_gateway as gw
from ansible_collections.hastorage.cluster.plugins.module_utils._cib_build import BuildError, nas_services_objects

LUN1 = "360014056b3e2a1000014a00800000000"
LUN2 = "360014056b3e2a1000024a00800000000"
LUN3 = "360014056b3e2a1000034a00800000000"


def group(name, wwid, host, **extra):
    item = {"name": name, "wwid": wwid, "mountpoint": "/srv/%s" % name,
            "vip": {"address": "10.40.0.%d" % host, "cidr_netmask": 24},
            "nfs_exports": [{"id": host, "path": "/srv/%s/nfs" % name,
                             "clients": [{"network": "10.40.0.0/24"}]}],
            "smb_shares": [{"name": name, "path": "/srv/%s/smb" % name}]}
    item.update(extra)
    return item


def paths(*states):
    return [{"dev": "sd%s" % chr(ord("a") + i), "state": s, "usable": s == "running"} for i, s in enumerate(states)]


def config(**extra):
    cfg = {"heads": [{"host": "gw-a", "name": "gw-a"}, {"host": "gw-b", "name": "gw-b"}, {"host": "gw-c"}],
           "client_network": "10.40.0.0/24", "client_interface": "bond0", "expected_paths": 2,
           "queue_seconds": 30,
           "groups": [group("home", LUN1, 101, prefers="gw-b"), group("projects", LUN2, 102),
                      group("media", LUN3, 103, alias="lun_media", nfs_exports=[])]}
    cfg.update(extra)
    return cfg


def services(cfg):
    return nas_services_objects(gw.nas_gateway_services_groups(cfg["groups"]), nfs_server="kernel")


def refused(cfg, *words):
    with pytest.raises(BuildError) as info:
        gw.nas_gateway_check(cfg)
    for word in words:
        assert word in str(info.value), str(info.value)
    return str(info.value)


def test_summary():
    assert gw.nas_gateway_check(config()) == {"luns": {LUN1: "home", LUN2: "projects", LUN3: "media"},
                                              "heads": ["gw-a", "gw-b", "gw-c"]}


def test_luns_and_services_groups():
    cfg = config()
    cfg["groups"][0]["wwid"] = LUN1.upper()
    expected = [{"wwid": LUN1, "alias": "home"}, {"wwid": LUN2, "alias": "projects"},
                {"wwid": LUN3, "alias": "lun_media"}]
    assert gw.nas_gateway_luns(cfg["groups"]) == expected
    assert [g["vip"] for g in gw.nas_gateway_services_groups(cfg["groups"])] == ["10.40.0.101", "10.40.0.102",
                                                                                 "10.40.0.103"]


@pytest.mark.parametrize("change, words", [
    (lambda c: c.update(heads=[{"host": "gw-a"}]), ["at least two heads", "got 1"]),
    (lambda c: c.update(client_network="10.40.0.1/24"), ["nas_gateway_client_network"]),
    (lambda c: c.update(client_interface=""), ["nas_gateway_client_interface"]),
    (lambda c: c.update(expected_paths=0), ["nas_gateway_expected_paths"]),
    (lambda c: c.update(groups=[]), ["at least one sharing group"]),
    (lambda c: c["groups"][1].update(wwid=LUN1), ["nas_gateway_groups[projects].wwid", LUN1, "group home"]),
    (lambda c: c["groups"][1].update(wwid="/dev/sdb"), ["nas_gateway_groups[projects].wwid", "'/dev/sdb'"]),
    (lambda c: c["groups"][1].update(wwid=LUN2.upper()), ["nas_gateway_groups[projects].wwid"]),
    (lambda c: c["groups"][1].update(alias="lun_media"),
     ["nas_gateway_groups[media].alias lun_media", "group projects"]),
    (lambda c: c["groups"][2].update(alias="home"), ["nas_gateway_groups[media].alias home is also group home"]),
    (lambda c: c["groups"][1].update(alias="9lun"), ["nas_gateway_groups[projects].alias '9lun'"]),
    (lambda c: c["groups"][1].update(name="home"), ["two groups are named home"]),
    (lambda c: c["groups"][1].update(name="Projects"), ["nas_gateway_groups[Projects]", "must match"]),
    (lambda c: c["groups"][1].update(fstype="btrfs"), ["nas_gateway_groups[projects].fstype"]),
    (lambda c: c["groups"][1].update(mountpoint="/srv/home/p"),
     ["nas_gateway_groups[projects].mountpoint", "nested"]),
    (lambda c: c["groups"][1]["vip"].update(address="10.41.0.9"),
     ["nas_gateway_groups[projects].vip.address", "is not on 10.40.0.0/24"]),
    (lambda c: c["groups"][1]["vip"].update(cidr_netmask=16), ["nas_gateway_client_network 10.40.0.0/24 is /24"]),
    (lambda c: c["groups"][1]["vip"].update(address="10.40.0.101"), ["10.40.0.101 is also group home's VIP"]),
    (lambda c: c["groups"][1].update(prefers="gw-x"), ["nas_gateway_groups[projects].prefers gw-x"]),
    (lambda c: c["groups"][1]["nfs_exports"][0].update(path="/srv/other"), ["nfs_exports[102].path /srv/other"]),
    (lambda c: c["groups"][1]["nfs_exports"][0].update(id=101), ["export id 101 is also used by group home"]),
    (lambda c: c["groups"][1]["smb_shares"][0].update(name="HOME"), ["share HOME is also a share of group home"]),
])
def test_bad_input_named(change, words):
    cfg = config()
    change(cfg)
    refused(cfg, *words)


def test_census_group_on_a_wwid_no_head_sees():
    cfg = config()
    for head in cfg["heads"]:
        head["scsi_disks"] = {LUN1: paths("running", "running"), LUN2: paths("running", "running")}
    refused(cfg, "nas_gateway_groups[media].wwid %s" % LUN3, "head gw-a sees no SCSI disk", LUN1)


def test_census_no_lun_at_all():
    cfg = config()
    cfg["heads"][1]["scsi_disks"] = {}
    refused(cfg, "head gw-b sees no SCSI disk", "no SAN LUN at all")


def test_census_one_path_when_two_expected():
    cfg = config()
    full = {LUN1: paths("running", "running"), LUN2: paths("running", "running"), LUN3: paths("running", "running")}
    for head in cfg["heads"]:
        head["scsi_disks"] = copy.deepcopy(full)
    cfg["heads"][2]["scsi_disks"][LUN2] = paths("running", "transport-offline")
    message = refused(cfg, "nas_gateway_groups[projects].wwid", "head gw-c has 1 usable path(s)",
                      "sdb transport-offline", "expected_paths is 2")
    cfg["heads"][2]["scsi_disks"][LUN2] = paths("running")
    assert "has 1 usable" in refused(cfg)
    cfg["expected_paths"] = 1
    assert gw.nas_gateway_check(cfg)["heads"] == ["gw-a", "gw-b", "gw-c"]
    assert message


def test_census_skipped_for_heads_not_counted():
    cfg = config()
    cfg["heads"][0]["scsi_disks"] = None
    assert gw.nas_gateway_check(cfg)["luns"][LUN1] == "home"


def test_stacks_rules_and_placement():
    cfg = config()
    stacks = gw.nas_gateway_stacks(cfg, services(cfg))
    assert [s["name"] for s in stacks] == ["home", "projects", "media"]
    # home prefers gw-b; the others take the heads in turn from the first
    assert [s["prefers"] for s in stacks] == ["gw-b", "gw-a", "gw-b"]
    media = stacks[2]
    assert media["health"] == [{"attribute": "hsc_paths_lun_media", "op": "lt", "value": 1, "allow_unreported": True},
                               {"attribute": "ethmonitor-bond0", "op": "lt", "value": 1, "allow_unreported": True}]
    assert [layer["kind"] for layer in stacks[0]["layers"]] == ["filesystem", "nfs", "smb", "vip"]
    fs = stacks[0]["layers"][0]
    assert fs["options"]["device"] == "/dev/mapper/home" and fs["options"]["fstype"] == "xfs"
    assert stacks[0]["layers"][-1]["options"] == {"ip": "10.40.0.101", "cidr_netmask": "24", "nic": "bond0"}


def test_filesystem_stop_outlasts_the_queue():
    ops = dict((o["action"], o["timeout"]) for o in gw.filesystem_ops(30))
    assert ops == {"monitor": "60s", "start": "60s", "stop": "120s"}
    ops = dict((o["action"], o["timeout"]) for o in gw.filesystem_ops(300))
    assert ops["stop"] == "660s" and ops["monitor"] == "330s"


def test_cib_health_clones_and_daemon_order():
    cfg = config()
    cib = gw.nas_gateway_cib(cfg, services(cfg))
    ids = [r["id"] for r in cib["resources"]]
    assert "path_health" in ids and "ethmonitor_bond0" in ids and "nas_nfsd" in ids
    health = [r for r in cib["resources"] if r["id"] == "path_health"][0]
    assert health["agent"] == "ocf:hastorage:multipath-health"
    assert health["options"] == {"luns": "home=%s projects=%s lun_media=%s" % (LUN1, LUN2, LUN3),
                                 "fail_queue": "true"}
    clones = dict((c["id"], c) for c in cib["clones"])
    assert clones["path_health-clone"]["meta"] == {"interleave": "true"}
    assert "ethmonitor_bond0-clone" in clones
    rules = [c for c in cib["constraints"] if c["type"] == "location" and c.get("rule")
             and c.get("resource") == "g_media"]
    # forbidden where the LUN has no path or the link is down; allowed where an agent has not reported
    assert [(c["id"], c["score"], c["rule"]) for c in rules] == [
        ("location-g_media-hsc_paths_lun_media", "-INFINITY", "hsc_paths_lun_media lt 1"),
        ("location-g_media-ethmonitor-bond0", "-INFINITY", "ethmonitor-bond0 lt 1")]
    orders = [(c["first"], c["then"], c.get("kind")) for c in cib["constraints"] if c["type"] == "order"]
    # two NFS groups share the cloned nfs-server: it starts before each group's exports (a restarted
    # nfs-server drops them), not before the whole group (no remount); nothing waits for smbd or winbind
    # but nfs-server's first start on a head, optionally (never a restart)
    assert sorted(orders, key=str) == [("nas_nfsd-clone", "exp_home_101_1", None),
                                       ("nas_nfsd-clone", "exp_projects_102_1", None),
                                       ("nas_smbd-clone", "nas_nfsd-clone", "Optional"),
                                       ("nas_winbind-clone", "nas_smbd-clone", None)]


def test_one_nfs_group_carries_its_own_nfsserver():
    cfg = config()
    cfg["groups"][1]["nfs_exports"] = []
    cib = gw.nas_gateway_cib(cfg, services(cfg))
    nfsd = [r for r in cib["resources"] if r["agent"] == "ocf:heartbeat:nfsserver"]
    assert [r["id"] for r in nfsd] == ["nfsd_home"]
    assert nfsd[0]["options"]["nfs_shared_infodir"] == "/srv/home/.nfs-state"
    home = [g for g in cib["groups"] if g["id"] == "g_home"][0]
    assert home["members"][0] == "fs_home" and home["members"][1] == "nfsd_home" and home["members"][-1] == "vip_home"


def test_ethmonitor_interface_is_the_designs():
    cfg = config(ethmonitor_options={"interface": "eth9"})
    with pytest.raises(BuildError, match="nas_gateway_ethmonitor_options"):
        gw.nas_gateway_cib(cfg, services(cfg))


@pytest.mark.parametrize("value, option", [(False, "false"), ("no", "false"), ("True", "true"), (1, "true")])
def test_fail_queue_elsewhere_reaches_the_path_health_agent(value, option):
    cfg = config(fail_queue_elsewhere=value)
    health = [r for r in gw.nas_gateway_cib(cfg, services(cfg))["resources"] if r["id"] == "path_health"][0]
    assert health["options"]["fail_queue"] == option


def test_fail_queue_elsewhere_must_be_a_boolean():
    cfg = config(fail_queue_elsewhere="sometimes")
    with pytest.raises(BuildError, match="nas_gateway_fail_queue_elsewhere must be true or false, got 'sometimes'"):
        gw.nas_gateway_cib(cfg, services(cfg))


@pytest.mark.parametrize("path", ["/srv/home/../../etc", "/srv/home/./x/..", "/srv/home/a/../../proj/x"])
def test_an_export_path_that_may_climb_out_is_not_inside_its_group(path):
    cfg = config()
    cfg["groups"][0]["nfs_exports"][0]["path"] = path
    with pytest.raises(BuildError, match="is not inside the group's mountpoint /srv/home"):
        gw.nas_gateway_cib(cfg, services(cfg))
