# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The cib_build filter plugin: the roles' CIB builders as filters, errors as AnsibleFilterError."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.hastorage.cluster.plugins.filter.cib_build import FilterModule

FILTERS = FilterModule().filters()

GROUPS = [{"name": "g1", "prefers": "node1", "device": "/dev/sdb", "mountpoint": "/srv/g1",
           "vip": {"address": "192.0.2.101", "cidr_netmask": 24},
           "nfs_exports": [{"id": 1, "path": "/srv/g1/x", "clients": [{"network": "192.0.2.0/24"}]}]}]
MGMT = {"enabled": True, "name": "mgmt", "prefers": "", "vip": {"address": "198.51.100.5", "cidr_netmask": 24},
        "services": []}


def test_every_documented_filter_is_there():
    assert sorted(FILTERS) == ["cib_merge", "drbd_cib", "fence_devices", "nas_dual_controller_cib",
                               "nas_dual_controller_services_groups",
                               "nas_gateway_check", "nas_gateway_cib",
                               "nas_gateway_luns", "nas_gateway_services_groups", "nas_integrated_cib",
                               "nas_integrated_lvm_filter", "nas_integrated_nfs_scope_dropin",
                               "nas_integrated_services_groups", "nas_services_cib"]


def test_nfs_scope_dropin_through_the_filter():
    text = "[Service]\nExecStart=/usr/sbin/rpc.nfsd\n"
    out = FILTERS["nas_integrated_nfs_scope_dropin"](text, "nas01")
    assert "ExecStart=/usr/bin/unshare --uts /bin/sh -c 'hostname nas01; exec \"$@\"' -- /usr/sbin/rpc.nfsd" in out
    with pytest.raises(AnsibleFilterError, match="is not a host name"):
        FILTERS["nas_integrated_nfs_scope_dropin"](text, "nas 01")


def test_dual_controller_through_the_filters():
    groups = FILTERS["nas_dual_controller_services_groups"](GROUPS)
    assert groups[0]["vip"] == "192.0.2.101"
    services = FILTERS["nas_services_cib"](groups, nfs_server="ganesha", smb_enabled=False)
    out = FILTERS["nas_dual_controller_cib"](GROUPS, services, management=MGMT, networks=["192.0.2.0/24",
                                                                                          "198.51.100.0/24"])
    assert [g["id"] for g in out["groups"]] == ["g_g1", "g_mgmt"]
    assert [c["id"] for c in out["clones"]] == ["nas_ganesha-clone"]
    # the tickle switch goes through (Jinja may pass it as text), the networks check sees the tickle layer
    out = FILTERS["nas_dual_controller_cib"](GROUPS, services, management=MGMT, tcp_tickle="True",
                                             networks=["192.0.2.0/24", "198.51.100.0/24"])
    assert out["groups"][0]["members"] == ["fs_g1", "nfs_g1", "vip_g1", "tickle_g1"]
    tickles = [r for r in out["resources"] if r.get("agent") == "ocf:hastorage:tcp_tickle"]
    assert [(r["id"], r["options"]["tickle_dir"]) for r in tickles] == [("tickle_g1", "/srv/g1/.hastorage-tickle")]
    off = FILTERS["nas_dual_controller_cib"](GROUPS, services, management=MGMT)
    assert [r for r in off["resources"] if r.get("agent") == "ocf:hastorage:tcp_tickle"] == []
    with pytest.raises(AnsibleFilterError, match=r"nas_dual_controller_groups\[g1\]\.tickle_dir /srv/g1/x is or "
                                                 r"lies inside the group's nfs_exports\[1\]\.path /srv/g1/x"):
        FILTERS["nas_dual_controller_cib"]([dict(GROUPS[0], tickle_dir="/srv/g1/x")], services)


def test_management_vip_is_checked_against_the_networks():
    services = FILTERS["nas_services_cib"](FILTERS["nas_dual_controller_services_groups"](GROUPS))
    with pytest.raises(AnsibleFilterError, match="stack mgmt: VIP vip_mgmt address 198.51.100.5 is on none"):
        FILTERS["nas_dual_controller_cib"](GROUPS, services, management=MGMT, networks=["192.0.2.0/24"])


def test_builder_errors_become_filter_errors():
    with pytest.raises(AnsibleFilterError, match="nas_services_nfs_server must be ganesha, kernel or none"):
        FILTERS["nas_services_cib"]([], nfs_server="knfsd")
    with pytest.raises(AnsibleFilterError, match="every node needs a name"):
        FILTERS["fence_devices"]([{"ipmi": {}}])
    with pytest.raises(AnsibleFilterError, match="stack d: layer 1 .* has unknown kind 'disk'"):
        FILTERS["drbd_cib"]([{"name": "r0", "stack": {"name": "d", "layers": [{"kind": "disk", "id": "x"}]}}],
                            ["n1", "n2"])
    with pytest.raises(AnsibleFilterError, match="id a is in part 1 and part 2"):
        FILTERS["cib_merge"]([{"resources": [{"id": "a"}]}, {"groups": [{"id": "a", "members": ["b"]}]}])


def test_integrated_through_the_filters():
    config = {"nodes": [{"host": "a", "replication_address": "10.77.0.1",
                         "raid": {"type": "none", "device": "/dev/vdb"}},
                        {"host": "b", "replication_address": "10.77.0.2",
                         "raid": {"type": "none", "device": "/dev/vdb"}}],
              "replication_network": "10.77.0.0/24", "client_network": "192.0.2.0/24", "client_interface": "eth1",
              "vg_name": "vg", "volumes": [{"name": "lv1", "size": "1g"}],
              "groups": [dict(GROUPS[0], volume="lv1")], "drbd_resource": "r0",
              "nfs_state": {"volume": "st", "size": "64m", "mountpoint": "/srv/st"}}
    groups = FILTERS["nas_integrated_services_groups"](config["groups"])
    services = FILTERS["nas_services_cib"](groups, nfs_server="kernel", smb_enabled=False, kernel_layout="shared")
    out = FILTERS["nas_integrated_cib"](config, services)
    assert [g["id"] for g in out["groups"]] == ["g_nas", "g_g1"]
    with pytest.raises(AnsibleFilterError, match=r"nas_integrated_groups\[g1\].volume lv2 is not declared"):
        FILTERS["nas_integrated_cib"](dict(config, groups=[dict(GROUPS[0], volume="lv2")]), services)


def test_gateway_through_the_filters():
    groups = [{"name": "lun1", "wwid": "360014056b3e2a1000014a00800000000", "mountpoint": "/srv/lun1",
               "vip": {"address": "192.0.2.101", "cidr_netmask": 24}}]
    config = {"heads": [{"host": "h1"}, {"host": "h2"}], "client_network": "192.0.2.0/24",
              "client_interface": "eth0", "groups": groups}
    assert FILTERS["nas_gateway_luns"](groups) == [{"wwid": groups[0]["wwid"], "alias": "lun1"}]
    services = FILTERS["nas_services_cib"](FILTERS["nas_gateway_services_groups"](groups), nfs_server="kernel",
                                           smb_enabled=False)
    assert FILTERS["nas_gateway_check"](config)["heads"] == ["h1", "h2"]
    assert [g["id"] for g in FILTERS["nas_gateway_cib"](config, services)["groups"]] == ["g_lun1"]
    with pytest.raises(AnsibleFilterError, match="at least two heads"):
        FILTERS["nas_gateway_check"](dict(config, heads=[{"host": "h1"}]))
