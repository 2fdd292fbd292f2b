# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The integrated DRBD NAS design in Python: its refusals (each names the field) and its stacks."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils import _cib
from ansible_collections.hastorage.cluster.plugins.module_utils._cib_build import (
    BuildError,
    drbd_usable,
    lvm_global_filter,
    merge,
    nas_integrated_check,
    nas_integrated_cib,
    nas_integrated_services_groups,
    nas_services_objects,
    parse_size,
    vg_capacity,
)

GIB = 1 << 30


def node(host, address, members=("/dev/sdb", "/dev/sdc"), device="/dev/md0", **extra):
    item = {"host": host, "name": host, "replication_address": address,
            "raid": {"type": "md", "device": device, "level": 1, "members": list(members)}}
    item.update(extra)
    return item


CONFIG = {
    "nodes": [node("nas1", "10.77.0.11"), node("nas2", "10.77.0.12")],
    "replication_network": "10.77.0.0/24",
    "client_network": "192.0.2.0/24",
    "client_interface": "eth1",
    "drbd_resource": "r0",
    "vg_name": "vg_nas",
    "vg_size": "",
    "volumes": [{"name": "lv_home", "size": "200g", "fstype": "xfs", "fs_options": "noatime"},
                {"name": "lv_proj", "size": "100g", "fstype": "ext4"}],
    "groups": [
        {"name": "home", "volume": "lv_home", "mountpoint": "/srv/home", "dns_name": "nas-home",
         "vip": {"address": "192.0.2.101", "cidr_netmask": 24},
         "nfs_exports": [{"id": 101, "path": "/srv/home/unix",
                          "clients": [{"network": "192.0.2.0/24"}, {"network": "198.51.100.7"}]}],
         "smb_shares": [{"name": "home", "path": "/srv/home/users"}]},
        {"name": "proj", "volume": "lv_proj", "mountpoint": "/srv/proj",
         "vip": {"address": "192.0.2.102", "cidr_netmask": 24, "nic": "bond1"},
         "smb_shares": [{"name": "projects", "path": "/srv/proj"}]},
    ],
    "nfs_state": {"volume": "nfsstate", "size": "512m", "mountpoint": "/srv/nfs-state", "fstype": "ext4"},
    "nfs_server_scope": "nas01",
    "stickiness": 100,
}


def services(config=None, smb=True):
    config = config or CONFIG
    return nas_services_objects(nas_integrated_services_groups(config["groups"]), nfs_server="kernel",
                                smb_enabled=smb, kernel_layout="shared")


def changed(path, value):
    """CONFIG with the item at ``path`` (keys and indexes) set to ``value``."""
    config = copy.deepcopy(CONFIG)
    target = config
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return config


def refused(config, match):
    with pytest.raises(BuildError, match=match):
        nas_integrated_check(config)
    # the builder refuses the same input before it builds anything
    with pytest.raises(BuildError, match=match):
        nas_integrated_cib(config, services(config) if config.get("groups") else {})


# --- the objects -----------------------------------------------------------------------------


def test_base_stack_on_the_drbd_promoted_then_the_groups_vip_last():
    cib = nas_integrated_cib(CONFIG, services())
    groups = dict((g["id"], g["members"]) for g in cib["groups"])
    assert list(groups) == ["g_nas", "g_home", "g_proj"]
    assert groups["g_nas"] == ["lvm_nas", "fs_nfsstate", "nfsserver"]
    assert groups["g_home"] == ["fs_home", "exp_home_101_1", "exp_home_101_2", "smb_home", "vip_home"]
    assert groups["g_proj"] == ["fs_proj", "smb_proj", "vip_proj"]
    constraints = cib["constraints"]
    # the base stack: colocated with the Promoted DRBD instance, started after promote
    assert {"type": "colocation", "resource": "g_nas", "with": "drbd_r0-clone", "score": "INFINITY",
            "with_role": "Promoted"} in constraints
    assert {"type": "order", "first": "drbd_r0-clone", "first_action": "promote", "then": "g_nas",
            "then_action": "start"} in constraints
    # each group: after and with the base stack, so everything runs on the DRBD Primary
    for gid in ("g_home", "g_proj"):
        assert {"type": "order", "first": "g_nas", "first_action": "start", "then": gid,
                "then_action": "start"} in constraints
        assert {"type": "colocation", "resource": gid, "with": "g_nas", "score": "INFINITY"} in constraints
        assert {"type": "location", "resource": gid, "score": "-INFINITY",
                "rule": "not_defined ethmonitor-eth1 or ethmonitor-eth1 ne 1"} in constraints
    # the client link's monitor: a clone on both nodes and the base stack's rule
    assert {"id": "ethmonitor_eth1-clone", "resource": "ethmonitor_eth1"} in cib["clones"]
    assert {"type": "location", "resource": "g_nas", "score": "-INFINITY",
            "rule": "not_defined ethmonitor-eth1 or ethmonitor-eth1 ne 1"} in constraints
    # Samba: the daemons cloned, each group's shares placed with smbd; no kernel NFS clone
    assert [c["id"] for c in cib["clones"]] == ["nas_winbind-clone", "nas_smbd-clone", "ethmonitor_eth1-clone"]
    assert {"type": "colocation", "resource": "g_home", "with": "nas_smbd-clone", "score": "INFINITY"} in constraints
    # pcs_cib accepts it
    _cib.normalise_input(merge([cib]))


def test_resource_options():
    cib = nas_integrated_cib(CONFIG, services())
    prims = dict((r["id"], r) for r in cib["resources"])
    assert prims["lvm_nas"]["agent"] == "ocf:heartbeat:LVM-activate"
    assert prims["lvm_nas"]["options"] == {"vgname": "vg_nas", "vg_access_mode": "system_id"}
    assert prims["fs_nfsstate"]["options"] == {"device": "/dev/vg_nas/nfsstate", "directory": "/srv/nfs-state",
                                               "fstype": "ext4", "force_unmount": "true"}
    assert prims["nfsserver"]["agent"] == "ocf:heartbeat:nfsserver"
    # the scope (CONFIG's nfs_server_scope nas01) is not the agent's option: the role's drop-in carries it,
    # so the agent never reloads systemd in a failover
    assert prims["nfsserver"]["options"] == {"nfs_shared_infodir": "/srv/nfs-state/nfsinfo",
                                             "nfs_ip": "192.0.2.101"}
    assert prims["fs_home"]["options"] == {"device": "/dev/vg_nas/lv_home", "directory": "/srv/home",
                                           "fstype": "xfs", "force_unmount": "true", "options": "noatime"}
    assert prims["fs_proj"]["options"]["fstype"] == "ext4"
    assert prims["exp_home_101_2"]["options"]["clientspec"] == "198.51.100.7"
    assert prims["exp_home_101_1"]["options"]["fsid"] == "101"
    # the VIP goes on the client interface unless the group names its own
    assert prims["vip_home"]["options"] == {"ip": "192.0.2.101", "cidr_netmask": "24", "nic": "eth1"}
    assert prims["vip_proj"]["options"]["nic"] == "bond1"
    # the design's quicker dead-link detection (about 15 s instead of a minute)
    assert prims["ethmonitor_eth1"]["options"] == {"interface": "eth1", "repeat_count": "3", "repeat_interval": "5",
                                                   "pktcnt_timeout": "2", "arping_cache_entries": "3"}
    meta = dict((g["id"], g.get("meta")) for g in cib["groups"])
    assert meta == dict((g, {"resource-stickiness": "100"}) for g in ("g_nas", "g_home", "g_proj"))


def test_tickle_acks_after_each_vip_on_the_nfs_state_filesystem():
    config = changed(["tcp_tickle"], True)
    cib = nas_integrated_cib(config, services(config))
    groups = dict((g["id"], g["members"]) for g in cib["groups"])
    assert groups["g_home"][-2:] == ["vip_home", "tickle_home"]
    assert groups["g_proj"][-2:] == ["vip_proj", "tickle_proj"]
    prims = dict((r["id"], r) for r in cib["resources"])
    assert prims["tickle_home"]["agent"] == "ocf:hastorage:tcp_tickle"
    # NFS and SMB clients of home's VIP; only SMB for proj
    assert prims["tickle_home"]["options"] == {"portno": "2049,445", "ip": "192.0.2.101",
                                               "tickle_dir": "/srv/nfs-state/tickle"}
    assert prims["tickle_proj"]["options"]["portno"] == "445"
    assert prims["tickle_proj"]["options"]["ip"] == "192.0.2.102"
    assert {"action": "monitor", "interval": "10s", "timeout": "20s"} in prims["tickle_home"]["operations"]
    _cib.normalise_input(merge([cib]))
    # without Samba, proj has no protocol layer and so nothing to tickle
    cib = nas_integrated_cib(config, services(config, smb=False))
    groups = dict((g["id"], g["members"]) for g in cib["groups"])
    assert groups["g_proj"] == ["fs_proj", "vip_proj"]
    prims = dict((r["id"], r) for r in cib["resources"])
    assert prims["tickle_home"]["options"]["portno"] == "2049"
    # off, and without the NFS state filesystem (no group exports NFS): no tickle layers, and the ones an
    # earlier run made are deleted
    absent = [{"id": "tickle_home", "state": "absent"}, {"id": "tickle_proj", "state": "absent"}]
    for config in (changed(["tcp_tickle"], False), CONFIG):
        assert [r for r in nas_integrated_cib(config, services(config))["resources"]
                if r["id"].startswith("tickle")] == absent
    config = changed(["tcp_tickle"], True)
    config["groups"][0]["nfs_exports"] = []
    config["nfs_state"] = {}
    assert [r for r in nas_integrated_cib(config, services(config))["resources"]
            if r["id"].startswith("tickle")] == absent


EMPTY_CIB = """<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">
  <configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>"""


def test_turning_the_tickle_off_deletes_the_tickle_resources_it_made():
    drbd = {"resources": [{"id": "drbd_r0", "agent": "ocf:linbit:drbd", "options": {"drbd_resource": "r0"}}],
            "clones": [{"id": "drbd_r0-clone", "resource": "drbd_r0", "promotable": True}]}
    on = changed(["tcp_tickle"], True)
    root = _cib.parse_cib(EMPTY_CIB)
    first = _cib.apply_desired(root, _cib.normalise_input(merge([drbd, nas_integrated_cib(on, services(on))])))
    assert first.find("configuration/resources/group[@id='g_home']/primitive[@id='tickle_home']") is not None
    off = changed(["tcp_tickle"], False)
    second = _cib.apply_desired(first, _cib.normalise_input(merge([drbd, nas_integrated_cib(off, services(off))])))
    lines = _cib.action_lines(_cib.plan(_cib.snapshot(first), _cib.snapshot(second)))
    assert lines == ["update group g_home (members)", "update group g_proj (members)",
                     "delete primitive tickle_home", "delete primitive tickle_proj"]
    # and the next run with it off changes nothing
    third = _cib.apply_desired(second, _cib.normalise_input(merge([drbd, nas_integrated_cib(off, services(off))])))
    assert _cib.plan(_cib.snapshot(second), _cib.snapshot(third)) == []


def test_without_nfs_exports_there_is_no_nfs_server_and_no_state_volume():
    config = copy.deepcopy(CONFIG)
    config["groups"][0]["nfs_exports"] = []
    config["nfs_state"] = {}
    cib = nas_integrated_cib(config, services(config))
    assert cib["groups"][0]["members"] == ["lvm_nas"]
    assert not [r for r in cib["resources"] if r["id"] in ("nfsserver", "fs_nfsstate")]


def test_the_drbd_clone_comes_from_the_drbd_role_and_merges():
    # the drbd role publishes drbd_r0 and its promotable clone; the design only refers to it
    cib = nas_integrated_cib(CONFIG, services())
    assert "drbd_r0" not in [r["id"] for r in cib["resources"]]
    drbd = {"resources": [{"id": "drbd_r0", "agent": "ocf:linbit:drbd", "options": {"drbd_resource": "r0"}}],
            "clones": [{"id": "drbd_r0-clone", "resource": "drbd_r0", "promotable": True}]}
    merged = merge([{"stonith": [], "properties": {"stonith-enabled": True}}, drbd, cib])
    assert [c["id"] for c in merged["clones"]][0] == "drbd_r0-clone"


def test_dual_controller_kernel_layouts_unchanged():
    groups = [{"name": "a", "mountpoint": "/a", "vip": "192.0.2.1",
               "nfs_exports": [{"id": 1, "path": "/a", "clients": [{"network": "192.0.2.0/24"}]}]}]
    auto = nas_services_objects(groups, nfs_server="kernel", smb_enabled=False)
    assert [x["id"] for x in auto["group_layers"]["a"]] == ["nfsd_a", "exp_a_1_1"]
    shared = nas_services_objects(groups, nfs_server="kernel", smb_enabled=False, kernel_layout="shared")
    assert [x["id"] for x in shared["group_layers"]["a"]] == ["exp_a_1_1"]
    two = groups + [{"name": "b", "mountpoint": "/b", "vip": "192.0.2.2",
                     "nfs_exports": [{"id": 2, "path": "/b", "clients": [{"network": "192.0.2.0/24"}]}]}]
    assert [c["id"] for c in nas_services_objects(two, nfs_server="kernel", smb_enabled=False)["clones"]] == [
        "nas_nfsd-clone"]
    shared_two = nas_services_objects(two, nfs_server="kernel", smb_enabled=False, kernel_layout="shared")
    assert shared_two["clones"] == [] and shared_two["group_constraints"] == {"a": [], "b": []}
    with pytest.raises(BuildError, match="kernel_layout must be auto or shared"):
        nas_services_objects(groups, nfs_server="kernel", kernel_layout="clone")


# --- sizes -----------------------------------------------------------------------------------


def test_sizes():
    assert parse_size("200g", "x") == 200 * GIB
    assert parse_size("512", "x") == 512 << 20
    assert parse_size("1.5T", "x") == 1536 * GIB
    assert parse_size("4096s", "x") == 2 << 20
    for bad in ("100%FREE", "", None, "12 GB", "0", "-1g"):
        with pytest.raises(BuildError, match="^x must be"):
            parse_size(bad, "x")


def test_vg_capacity_from_the_smaller_backing_device():
    assert vg_capacity("", {}) == (None, None)
    assert vg_capacity("300g", {"nas1": 10 * GIB})[0] == 300 * GIB
    cap, where = vg_capacity("", {"nas1": 100 * GIB, "nas2": 90 * GIB})
    assert "nas2" in where
    # DRBD keeps its bitmap (1/32768) and 36 KiB at the end, LVM 1 MiB at the start, extents of 4 MiB
    assert drbd_usable(90 * GIB) == 90 * GIB - (90 * GIB // 32768) - (36 << 10)
    assert cap == (drbd_usable(90 * GIB) - (1 << 20)) // (4 << 20) * (4 << 20)
    assert 90 * GIB - cap < (8 << 20) + 90 * GIB // 32768


# --- refusals, each naming the field ---------------------------------------------------------


def test_exactly_two_nodes():
    refused(changed(["nodes"], CONFIG["nodes"][:1]), r"exactly two nodes in the play .* got 1: nas1")
    refused(changed(["nodes"], CONFIG["nodes"] + [node("nas3", "10.77.0.13")]), "exactly two nodes .* got 3")


def test_replication_address_on_the_replication_network():
    refused(changed(["nodes", 1, "replication_address"], "10.78.0.12"),
            r"drbd_replication_address of nas2 10.78.0.12 is not on 10.77.0.0/24")
    refused(changed(["nodes", 1, "replication_address"], "10.77.0.255"),
            r"drbd_replication_address of nas2 10.77.0.255 is the network or broadcast address")
    refused(changed(["nodes", 1, "replication_address"], ""), "drbd_replication_address of nas2 is not set")
    refused(changed(["nodes", 1, "replication_address"], "10.77.0.11"),
            "drbd_replication_address of nas2 is 10.77.0.11, the same as nas1's")
    refused(changed(["nodes", 0, "replication_address"], "nas1-rep"), "drbd_replication_address of nas1 must be an IP")


def test_networks():
    refused(changed(["replication_network"], "10.77.0.1/24"), "nas_integrated_replication_network must be a network")
    refused(changed(["client_network"], ""), "nas_integrated_client_network must be a network")
    refused(changed(["client_network"], "10.0.0.0/8"),
            "nas_integrated_replication_network 10.77.0.0/24 overlaps nas_integrated_client_network 10.0.0.0/8")
    refused(changed(["client_interface"], ""), "nas_integrated_client_interface must name")


@pytest.mark.parametrize("scope", ["nas cluster", "-nas", "nas-", "x" * 65, "nas;reboot", "n\u00e4s"])
def test_nfs_server_scope_must_be_a_host_name(scope):
    refused(changed(["nfs_server_scope"], scope), "is not a valid NFS server scope: nfs-server starts in a UTS")


@pytest.mark.parametrize("scope", ["", "nas", "nas-cluster.example", "n1", "x" * 64])
def test_nfs_server_scope_accepted(scope):
    nas_integrated_check(changed(["nfs_server_scope"], scope))


def test_vip_on_the_client_network():
    refused(changed(["groups", 1, "vip", "address"], "198.51.100.9"),
            r"nas_integrated_groups\[proj\].vip.address 198.51.100.9 is not on 192.0.2.0/24")
    refused(changed(["groups", 1, "vip", "cidr_netmask"], 16),
            r"nas_integrated_groups\[proj\].vip.cidr_netmask is 16 but nas_integrated_client_network 192.0.2.0/24 is /24")
    refused(changed(["groups", 1, "vip", "address"], "192.0.2.101"),
            r"nas_integrated_groups\[proj\].vip.address 192.0.2.101 is also group home's VIP")
    refused(changed(["groups", 1, "vip"], {}), r"nas_integrated_groups\[proj\].vip needs address")


def test_group_on_an_undeclared_volume():
    refused(changed(["groups", 1, "volume"], "lv_data"),
            r"nas_integrated_groups\[proj\].volume lv_data is not declared in nas_integrated_volumes "
            r"\(declared: lv_home, lv_proj\)")
    refused(changed(["groups", 1, "volume"], "lv_home"),
            r"nas_integrated_groups\[proj\].volume lv_home is also the volume of group home")
    refused(changed(["groups", 1, "volume"], None), r"nas_integrated_groups\[proj\].volume must name")


def test_filesystem_larger_than_the_volume_group():
    big = changed(["vg_size"], "250g")
    refused(big, r"nas_integrated_volumes: the logical volumes need 300.5 GiB in total \(lv_home 200.0 GiB, "
                 r"lv_proj 100.0 GiB, nfsstate 512.0 MiB\), more than the volume group vg_nas holds \(250.0 GiB, "
                 r"from nas_integrated_vg_size 250g\)")
    refused(changed(["vg_size"], "150g"),
            r"nas_integrated_volumes\[lv_home\].size \(200.0 GiB\) is larger than the volume group vg_nas \(150.0 GiB")
    # read from the backing devices when the role could: the smaller one counts
    config = copy.deepcopy(CONFIG)
    config["nodes"][0]["device_size"] = 1024 * GIB
    config["nodes"][1]["device_size"] = 290 * GIB
    refused(config, r"more than the volume group vg_nas holds \(290.0 GiB, from the DRBD device on nas2's "
                    r"290.0 GiB backing device\)")
    config["nodes"][1]["device_size"] = 301 * GIB
    assert nas_integrated_check(config)["vg_capacity"] > 300 * GIB
    refused(changed(["volumes", 0, "size"], "100%FREE"), r"nas_integrated_volumes\[lv_home\].size must be a size")
    refused(changed(["nfs_state", "size"], "lots"), r"nas_integrated_nfs_state.size must be a size")


def test_raid_members_and_the_drbd_disk():
    refused(changed(["nodes", 1, "raid", "members"], ["/dev/sdb", "/dev/md0"]),
            r"nas_integrated_raid of nas2.members lists /dev/md0, the array DRBD sits on: the DRBD disk must be the md "
            r"device, not one of its members")
    refused(changed(["nodes", 0, "raid", "device"], "/dev/sdb"),
            r"nas_integrated_raid of nas1.device /dev/sdb must be an md array .* not on one of its members")
    refused(changed(["nodes", 1, "raid", "members"], ["/dev/sdb", "/dev/sdb"]),
            r"nas_integrated_raid of nas2.members lists /dev/sdb, which is already listed as /dev/sdb \(members\)")
    spare = changed(["nodes", 1, "raid", "spares"], ["/dev/sdc"])
    refused(spare, r"nas_integrated_raid of nas2.spares lists /dev/sdc, which is already listed as /dev/sdc \(members\)")
    refused(changed(["nodes", 1, "raid", "members"], ["/dev/sdb", "/dev/sdb1"]),
            r"nas_integrated_raid of nas2.members: /dev/sdb1 and /dev/sdb \(members\) overlap")
    refused(changed(["nodes", 1, "raid", "members"], ["/dev/nvme0n1p1", "/dev/nvme0n1"]),
            r"/dev/nvme0n1 and /dev/nvme0n1p1 \(members\) overlap")
    refused(changed(["nodes", 1, "raid", "members"], ["/dev/sdb", "/dev/drbd0"]),
            r"nas_integrated_raid of nas2.members lists /dev/drbd0: a member must be a local disk")
    refused(changed(["nodes", 1, "raid", "members"], ["/dev/sdb"]),
            r"nas_integrated_raid of nas2.members: RAID level 1 needs at least 2 members")
    refused(changed(["nodes", 1, "raid", "level"], 3), r"nas_integrated_raid of nas2.level must be one of 0, 1, 4")
    refused(changed(["nodes", 1, "raid", "device"], "/dev/drbd0"), r"nas_integrated_raid of nas2.device /dev/drbd0 is a "
                                                                   r"DRBD device")
    refused(changed(["nodes", 1, "raid"], {}), r"nas_integrated_raid of nas2 is not set")
    refused(changed(["nodes", 1, "raid", "type"], "zfs"), r"nas_integrated_raid of nas2.type must be md, graid or none")
    refused(changed(["nodes", 1, "raid"], {"type": "none", "device": "/dev/sdd", "members": ["/dev/sde"]}),
            r"nas_integrated_raid of nas2: members and spares are for type md")
    # a member named through a symlink of the array or of another member (resolved by the role with stat)
    aliased = changed(["nodes", 0, "resolved"], {"/dev/disk/by-id/ata-A": "/dev/sdb"})
    aliased["nodes"][0]["raid"]["members"] = ["/dev/sdb", "/dev/disk/by-id/ata-A"]
    refused(aliased, r"nas_integrated_raid of nas1.members lists /dev/disk/by-id/ata-A, which is already listed as "
                     r"/dev/sdb")
    by_name = changed(["nodes", 0, "resolved"], {"/dev/md/data": "/dev/md127", "/dev/disk/by-id/md-name-data": "/dev/md127"})
    by_name["nodes"][0]["raid"].update(device="/dev/md/data", members=["/dev/sdb", "/dev/disk/by-id/md-name-data"])
    refused(by_name, r"lists /dev/disk/by-id/md-name-data, the array DRBD sits on")
    # RAID10 with four members and graid/none with a device alone pass
    ok = copy.deepcopy(CONFIG)
    ok["nodes"][0]["raid"] = {"type": "md", "device": "/dev/md/nas", "level": "raid10",
                              "members": ["/dev/sdb", "/dev/sdc", "/dev/sdd", "/dev/sde"]}
    ok["nodes"][1]["raid"] = {"type": "graid", "device": "/dev/gdg0n1"}
    nas_integrated_check(ok)
    ok["nodes"][1]["raid"] = {"type": "none", "device": "/dev/vdb"}
    nas_integrated_check(ok)


def test_names_ids_and_paths():
    refused(changed(["groups", 1, "name"], "home"), "nas_integrated_groups: two groups are named home")
    refused(changed(["groups", 1, "name"], "nas"), r"nas_integrated_groups\[nas\]: nas is the name of the design's base")
    refused(changed(["groups", 1, "name"], "Proj"), r"nas_integrated_groups\[Proj\]: the name must match")
    refused(changed(["groups"], []), "nas_integrated_groups: the design needs at least one sharing group")
    refused(changed(["groups", 0, "nfs_exports", 0, "path"], "/srv/proj/x"),
            r"nas_integrated_groups\[home\].nfs_exports\[101\].path /srv/proj/x is not inside the group's mountpoint "
            r"/srv/home")
    refused(changed(["groups", 0, "nfs_exports", 0, "path"], "/srv/homework"),
            r"nfs_exports\[101\].path /srv/homework is not inside")
    refused(changed(["groups", 1, "smb_shares", 0, "path"], "/srv"),
            r"nas_integrated_groups\[proj\].smb_shares\[projects\].path /srv is not inside")
    refused(changed(["groups", 1, "smb_shares", 0, "name"], "HOME"),
            r"nas_integrated_groups\[proj\].smb_shares: share HOME is also a share of group home")
    dup = copy.deepcopy(CONFIG)
    dup["groups"][1]["nfs_exports"] = [{"id": 101, "path": "/srv/proj/x", "clients": [{"network": "192.0.2.0/24"}]}]
    refused(dup, r"nas_integrated_groups\[proj\].nfs_exports: export id 101 is also used by group home")
    refused(changed(["groups", 1, "mountpoint"], "/srv/home/proj"),
            r"nas_integrated_groups\[proj\].mountpoint /srv/home/proj and group home's /srv/home are nested")
    refused(changed(["groups", 1, "mountpoint"], "/srv/proj/"), r"nas_integrated_groups\[proj\].mountpoint must be")
    refused(changed(["nfs_state", "mountpoint"], "/srv/home/.nfs"),
            r"nas_integrated_nfs_state.mountpoint /srv/home/.nfs and group home's /srv/home are nested")
    refused(changed(["nfs_state", "volume"], "lv_proj"), r"nas_integrated_nfs_state.volume lv_proj is also in")
    refused(changed(["volumes", 1, "name"], "lv_home"), "nas_integrated_volumes: lv_home is declared twice")
    refused(changed(["volumes", 1, "name"], "-x"), r"nas_integrated_volumes\[-x\]: '-x' is not a valid logical volume")
    refused(changed(["volumes", 1, "fstype"], "btrfs"), r"nas_integrated_volumes\[lv_proj\].fstype must be xfs or ext4")
    refused(changed(["vg_name"], "vg nas"), "nas_integrated_vg_name must be a volume group name")


# --- the LVM filter --------------------------------------------------------------------------

UDEV_MD0 = """DEVPATH=/devices/virtual/block/md0
DEVNAME=/dev/md0
MAJOR=9
MINOR=0
DEVLINKS=/dev/md/nas /dev/disk/by-id/md-name-nas1:nas /dev/disk/by-id/md-uuid-0a1b2c3d:4e5f6071:8293a4b5:c6d7e8f9
"""


def test_lvm_filter_rejects_every_name_of_the_backing_devices():
    patterns = lvm_global_filter([{"rc": 0, "stdout": UDEV_MD0}, {"rc": 1, "stdout": ""}, "DEVNAME=/dev/sdb\n"],
                                 ["/dev/md0", "/dev/sdb", "/dev/sdc"])
    # the inventory's names first, then udev's, sorted
    assert patterns == ["a|^/dev/drbd[0-9]+$|", "r|^/dev/md0$|", "r|^/dev/sdb$|", "r|^/dev/sdc$|",
                        "r|^/dev/block/9:0$|", "r|^/dev/disk/by-id/md-name-nas1:nas$|",
                        "r|^/dev/disk/by-id/md-uuid-0a1b2c3d:4e5f6071:8293a4b5:c6d7e8f9$|",
                        "r|^/dev/md/nas$|", "a|.*|"]
    assert lvm_global_filter([], ["/dev/disk/by-path/pci-0000:00:1f.2-ata-1"])[1] == \
        r"r|^/dev/disk/by-path/pci-0000:00:1f\.2-ata-1$|"
    with pytest.raises(BuildError, match="/dev/drbd0 is a DRBD device"):
        lvm_global_filter([], ["/dev/drbd0"])


def test_lvm_filter_does_not_depend_on_the_order_udev_lists_links_in():
    # two reads of one device on the UML lab, a second apart
    first = "DEVNAME=/dev/ubdb\nMAJOR=98\nMINOR=16\nDEVLINKS=/dev/disk/by-path/platform-uml-blkdev.1 /dev/disk/by-diskseq/2\n"
    second = "DEVNAME=/dev/ubdb\nMAJOR=98\nMINOR=16\nDEVLINKS=/dev/disk/by-diskseq/2 /dev/disk/by-path/platform-uml-blkdev.1\n"
    assert lvm_global_filter([first], ["/dev/md0"]) == lvm_global_filter([second], ["/dev/md0"])


def test_ethmonitor_options():
    config = changed(["ethmonitor_options"], {"link_status_only": "true", "repeat_count": 3})
    prims = dict((r["id"], r) for r in nas_integrated_cib(config, services())["resources"])
    # the inventory's options win over the design's, the others stay
    assert prims["ethmonitor_eth1"]["options"] == {"link_status_only": "true", "repeat_count": 3, "interface": "eth1",
                                                   "repeat_interval": "5", "pktcnt_timeout": "2",
                                                   "arping_cache_entries": "3"}
    with pytest.raises(BuildError, match="nas_integrated_ethmonitor_options: interface and name are the design's"):
        nas_integrated_cib(changed(["ethmonitor_options"], {"interface": "eth9"}), services())
