# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The dual-controller design's tickle layers: after each group's VIP, the list on the group's own filesystem,
out of its clients' reach (refused when set so, left out when the default falls there), removed when off."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils import _cib
from ansible_collections.hastorage.cluster.plugins.module_utils._cib_build import (
    BuildError,
    merge,
    nas_dual_controller_cib,
    nas_dual_controller_services_groups,
    nas_dual_controller_stacks,
    nas_dual_controller_tickle_dir,
    nas_services_objects,
)

GROUPS = [
    {"name": "g1", "prefers": "node1", "device": "/dev/disk/by-id/d1", "fstype": "xfs", "mountpoint": "/srv/g1",
     "vip": {"address": "192.0.2.101", "cidr_netmask": 24},
     "nfs_exports": [{"id": 101, "path": "/srv/g1/nfs", "clients": [{"network": "192.0.2.0/24"}]}],
     "smb_shares": [{"name": "g1data", "path": "/srv/g1/smb"}]},
    {"name": "g2", "prefers": "node2", "device": "/dev/disk/by-id/d2", "fstype": "xfs", "mountpoint": "/srv/g2",
     "vip": {"address": "192.0.2.102", "cidr_netmask": 24},
     "smb_shares": [{"name": "g2data", "path": "/srv/g2/smb"}]},
]
MGMT = {"enabled": True, "name": "mgmt", "prefers": "node1", "vip": {"address": "192.0.2.100", "cidr_netmask": 24},
        "services": [{"id": "mgmt_status", "agent": "systemd:hastorage-nas-status"}]}


def groups(**changes):
    """GROUPS with ``changes`` ({group name: {key: value}}) applied to copies."""
    out = copy.deepcopy(GROUPS)
    for group in out:
        group.update(changes.get(group["name"]) or {})
    return out


def build(items=None, tcp_tickle=True, nfs_server="ganesha", smb=True, management=None):
    items = GROUPS if items is None else items
    management = MGMT if management is None else management
    services = nas_services_objects(nas_dual_controller_services_groups(items), nfs_server=nfs_server,
                                    smb_enabled=smb)
    return nas_dual_controller_cib(items, services, management=management, tcp_tickle=tcp_tickle)


def members(cib):
    return dict((g["id"], g["members"]) for g in cib["groups"])


def primitives(cib):
    return dict((r["id"], r) for r in cib["resources"] if r.get("state") != "absent")


def absent(cib):
    return [r["id"] for r in cib["resources"] if r.get("state") == "absent"]


def test_each_group_ends_with_its_tickle_after_the_vip_with_the_list_on_its_own_filesystem():
    cib = build()
    assert members(cib)["g_g1"] == ["fs_g1", "nfs_g1", "smb_g1", "vip_g1", "tickle_g1"]
    assert members(cib)["g_g2"] == ["fs_g2", "smb_g2", "vip_g2", "tickle_g2"]
    prims = primitives(cib)
    assert prims["tickle_g1"]["agent"] == "ocf:hastorage:tcp_tickle"
    # NFS and SMB clients of g1's VIP, only SMB for g2; each list on its group's filesystem, which the
    # agent makes the directory on (mountpoint) when it starts there
    assert prims["tickle_g1"]["options"] == {"ip": "192.0.2.101", "portno": "2049,445",
                                             "tickle_dir": "/srv/g1/.hastorage-tickle", "mountpoint": "/srv/g1"}
    assert prims["tickle_g2"]["options"] == {"ip": "192.0.2.102", "portno": "445",
                                             "tickle_dir": "/srv/g2/.hastorage-tickle", "mountpoint": "/srv/g2"}
    assert {"action": "monitor", "interval": "10s", "timeout": "20s"} in prims["tickle_g1"]["operations"]
    # the management group has none, and nothing is deleted
    assert members(cib)["g_mgmt"] == ["mgmt_status", "vip_mgmt"]
    assert absent(cib) == []
    # pcs_cib takes it
    _cib.normalise_input(merge([cib]))


def test_the_kernel_nfs_server_layers_give_the_nfs_port_too():
    prims = primitives(build(nfs_server="kernel"))
    assert prims["tickle_g1"]["options"]["portno"] == "2049,445"
    assert members(build(nfs_server="kernel"))["g_g1"][-2:] == ["vip_g1", "tickle_g1"]


def test_an_explicit_tickle_dir_inside_the_mountpoint_is_taken():
    cib = build(groups(g1={"tickle_dir": "/srv/g1/admin/tickle"}, g2={"tickle_dir": "/srv/g2/.t"}))
    prims = primitives(cib)
    assert prims["tickle_g1"]["options"]["tickle_dir"] == "/srv/g1/admin/tickle"
    assert prims["tickle_g2"]["options"]["tickle_dir"] == "/srv/g2/.t"
    # an empty value is the default
    assert nas_dual_controller_tickle_dir(dict(GROUPS[0], tickle_dir="")) == "/srv/g1/.hastorage-tickle"
    # a directory whose name only starts with an export's is outside it
    assert nas_dual_controller_tickle_dir(dict(GROUPS[0], tickle_dir="/srv/g1/nfs-tickle")) == "/srv/g1/nfs-tickle"


@pytest.mark.parametrize("tickle_dir, message", [
    ("/srv/g1/nfs", r"nas_dual_controller_groups\[g1\]\.tickle_dir /srv/g1/nfs is or lies inside the group's "
                    r"nfs_exports\[101\]\.path /srv/g1/nfs: clients could write"),
    ("/srv/g1/nfs/.tickle", r"nas_dual_controller_groups\[g1\]\.tickle_dir /srv/g1/nfs/\.tickle is or lies inside "
                            r"the group's nfs_exports\[101\]\.path /srv/g1/nfs"),
    ("/srv/g1/smb/x/y", r"nas_dual_controller_groups\[g1\]\.tickle_dir /srv/g1/smb/x/y is or lies inside the "
                        r"group's smb_shares\[g1data\]\.path /srv/g1/smb"),
    ("/srv/g1/smb", r"tickle_dir /srv/g1/smb is or lies inside the group's smb_shares\[g1data\]"),
    # a directory that holds a share would be made 0700 and close the share to its users
    ("/srv/g1/top", None),
    ("/srv/g2/tickle", r"nas_dual_controller_groups\[g1\]\.tickle_dir /srv/g2/tickle is not a directory inside "
                       r"the group's mountpoint /srv/g1"),
    ("/srv/g1", r"nas_dual_controller_groups\[g1\]\.tickle_dir /srv/g1 is not a directory inside the group's "
                r"mountpoint"),
    ("/srv/g10/tickle", r"tickle_dir /srv/g10/tickle is not a directory inside the group's mountpoint /srv/g1"),
    ("/tmp/tickle", r"tickle_dir /tmp/tickle is not a directory inside"),
    ("srv/g1/tickle", r"nas_dual_controller_groups\[g1\]\.tickle_dir must be an absolute path"),
    ("/srv/g1/../etc", r"nas_dual_controller_groups\[g1\]\.tickle_dir must be an absolute path .* or \.\. "
                       r"components"),
    ("/srv/g1//t", r"tickle_dir must be an absolute path without a trailing slash, empty"),
    ("/srv/g1/t/", r"tickle_dir must be an absolute path without a trailing slash"),
])
def test_a_tickle_dir_clients_could_reach_or_outside_the_mountpoint_is_refused(tickle_dir, message):
    items = groups(g1={"tickle_dir": tickle_dir})
    if message is None:
        items[0]["smb_shares"][0]["path"] = "/srv/g1/top/smb"
        message = (r"nas_dual_controller_groups\[g1\]\.tickle_dir /srv/g1/top holds the group's "
                   r"smb_shares\[g1data\]\.path /srv/g1/top/smb")
    # refused whether the switch is on or off, before anything is built, and by the stacks alone
    for tcp_tickle in (True, False):
        with pytest.raises(BuildError, match=message):
            build(items, tcp_tickle=tcp_tickle)
    with pytest.raises(BuildError, match=message):
        nas_dual_controller_stacks(items, nas_services_objects(nas_dual_controller_services_groups(items)),
                                   tcp_tickle=True)


def test_a_default_dir_inside_an_export_or_share_gives_that_group_no_tickle():
    # g1 exports its whole filesystem over NFS, g2 shares it over SMB: the default lists would be readable
    items = groups(g1={"nfs_exports": [{"id": 101, "path": "/srv/g1", "clients": [{"network": "192.0.2.0/24"}]}]},
                   g2={"smb_shares": [{"name": "g2data", "path": "/srv/g2/"}]})
    cib = build(items)
    assert members(cib)["g_g1"] == ["fs_g1", "nfs_g1", "smb_g1", "vip_g1"]
    assert members(cib)["g_g2"] == ["fs_g2", "smb_g2", "vip_g2"]
    assert absent(cib) == ["tickle_g1", "tickle_g2"]
    # the same groups with an explicit directory outside the exports keep theirs
    items[1]["smb_shares"][0]["path"] = "/srv/g2/smb"
    assert members(build(items))["g_g2"][-1] == "tickle_g2"
    assert absent(build(items)) == ["tickle_g1"]


def test_switched_off_or_nothing_to_tickle_means_absent():
    # off: every file-sharing group's tickle is deleted (the management group never had one)
    cib = build(tcp_tickle=False)
    assert members(cib)["g_g1"] == ["fs_g1", "nfs_g1", "smb_g1", "vip_g1"]
    assert absent(cib) == ["tickle_g1", "tickle_g2"]
    assert "tickle_mgmt" not in [r["id"] for r in cib["resources"]]
    # the role passes the switch as text through Jinja
    assert absent(build(tcp_tickle="False")) == ["tickle_g1", "tickle_g2"]
    assert absent(build(tcp_tickle="True")) == []
    # without Samba g2 has no protocol layer: no port to tickle
    cib = build(smb=False)
    assert members(cib)["g_g2"] == ["fs_g2", "vip_g2"]
    assert primitives(cib)["tickle_g1"]["options"]["portno"] == "2049"
    assert absent(cib) == ["tickle_g2"]
    # no NFS server either: g1 has nothing to tickle as well
    assert absent(build(smb=False, nfs_server="none")) == ["tickle_g1", "tickle_g2"]
    # tcp_tickle tickles IPv4 VIPs only
    items = groups(g2={"vip": {"address": "2001:db8::102", "cidr_netmask": 64}})
    assert absent(build(items)) == ["tickle_g2"]


def test_the_groups_with_a_tickle_and_their_directories():
    def dirs(items, **kwargs):
        cib = build(items, tcp_tickle=kwargs.get("tcp_tickle", True), smb=kwargs.get("smb", True))
        return dict((p["id"][len("tickle_"):], p["options"]["tickle_dir"]) for p in primitives(cib).values()
                    if p.get("agent") == "ocf:hastorage:tcp_tickle")

    assert dirs(GROUPS) == {"g1": "/srv/g1/.hastorage-tickle", "g2": "/srv/g2/.hastorage-tickle"}
    assert dirs(groups(g2={"tickle_dir": "/srv/g2/adm/t"})) == {"g1": "/srv/g1/.hastorage-tickle",
                                                                "g2": "/srv/g2/adm/t"}
    assert dirs(GROUPS, smb=False) == {"g1": "/srv/g1/.hastorage-tickle"}
    assert dirs(GROUPS, tcp_tickle=False) == {}
    assert dirs(groups(g1={"nfs_exports": [{"id": 101, "path": "/srv/g1"}]})) == {"g2": "/srv/g2/.hastorage-tickle"}


def test_a_management_service_with_a_tickle_id_is_refused():
    mgmt = dict(MGMT, services=[{"id": "tickle_g2", "agent": "systemd:x"}])
    for tcp_tickle in (True, False):
        with pytest.raises(BuildError, match="nas_dual_controller_management_group: service id tickle_g2 is the id "
                                             "of group g2's tickle layer"):
            build(management=mgmt, tcp_tickle=tcp_tickle)


EMPTY_CIB = """<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">
  <configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>"""


def test_turning_the_tickle_off_deletes_the_tickle_resources_it_made():
    root = _cib.parse_cib(EMPTY_CIB)
    first = _cib.apply_desired(root, _cib.normalise_input(merge([build()])))
    assert first.find("configuration/resources/group[@id='g_g1']/primitive[@id='tickle_g1']") is not None
    params = first.find("configuration/resources/group[@id='g_g2']/primitive[@id='tickle_g2']/instance_attributes")
    assert dict((n.get("name"), n.get("value")) for n in params) == {
        "ip": "192.0.2.102", "portno": "445", "tickle_dir": "/srv/g2/.hastorage-tickle", "mountpoint": "/srv/g2"}
    # again: nothing to do
    again = _cib.apply_desired(first, _cib.normalise_input(merge([build()])))
    assert _cib.plan(_cib.snapshot(first), _cib.snapshot(again)) == []
    second = _cib.apply_desired(first, _cib.normalise_input(merge([build(tcp_tickle=False)])))
    lines = _cib.action_lines(_cib.plan(_cib.snapshot(first), _cib.snapshot(second)))
    assert lines == ["update group g_g1 (members)", "update group g_g2 (members)",
                     "delete primitive tickle_g1", "delete primitive tickle_g2"]
    assert second.find(".//primitive[@id='tickle_g1']") is None
    # and the next run with it off changes nothing
    third = _cib.apply_desired(second, _cib.normalise_input(merge([build(tcp_tickle=False)])))
    assert _cib.plan(_cib.snapshot(second), _cib.snapshot(third)) == []
