# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""vip_interface_problems: a VIP's nic must carry its network on every node (or no interface may)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.hastorage.cluster.plugins.filter.vip_interfaces import vip_interface_problems
from ansible_collections.hastorage.cluster.plugins.module_utils._vip_interfaces import cib_vips, parse_ip_addr


def link(name, *addresses):
    """One interface as `ip -j addr` (iproute2 6.1) prints it; addresses as 'a.b.c.d/len'."""
    info = []
    for text in addresses:
        local, prefix = text.split("/")
        info.append({"family": "inet6" if ":" in local else "inet", "local": local, "prefixlen": int(prefix),
                     "scope": "global", "valid_life_time": 4294967295, "preferred_life_time": 4294967295})
    return {"ifindex": 2, "ifname": name, "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"], "mtu": 1500,
            "operstate": "UP", "link_type": "ether", "address": "02:68:0a:59:25:0b", "addr_info": info}


LO = link("lo", "127.0.0.1/8", "::1/128")
GOOD = json.dumps([LO, link("eth0", "10.89.37.12/24", "10.89.37.101/24", "fe80::68:aff:fe59:250c/64"),
                   link("eth1", "10.89.38.12/24")])
# what the podman lab did to a node a fence had powered on: the interfaces attached the other way round,
# and the VIPs (nic eth0) running on the replication network
SWAPPED = json.dumps([LO, link("eth0", "10.89.38.11/24", "10.89.37.100/24", "10.89.37.102/24"),
                      link("eth1", "10.89.37.11/24")])


def objects(*vips):
    resources = [{"id": "fs_g1", "agent": "ocf:heartbeat:Filesystem", "options": {"device": "/dev/sdb"}}]
    for rid, options in vips:
        resources.append({"id": rid, "agent": "ocf:heartbeat:IPaddr2", "options": options})
    return {"resources": resources, "groups": []}


G1 = ("vip_g1", {"ip": "10.89.37.100", "cidr_netmask": "24", "nic": "eth0"})
G2 = ("vip_g2", {"ip": "10.89.37.101", "cidr_netmask": 24, "nic": "eth0"})
MGMT = ("vip_mgmt", {"ip": "10.89.37.102", "cidr_netmask": "24", "nic": "eth0"})


def test_every_vip_on_its_network_everywhere():
    assert vip_interface_problems(objects(G1, G2), {"node1": GOOD, "node2": GOOD}) == []


def test_a_nic_on_the_wrong_network_is_named_with_the_interface_that_carries_it():
    problems = vip_interface_problems(objects(G1, G2, MGMT), {"node1": SWAPPED, "node2": GOOD})
    assert len(problems) == 3
    assert problems[0].startswith("VIP vip_g1 (10.89.37.100/24): on node1, nic eth0 is on 10.89.38.11/24 "
                                  "but 10.89.37.0/24 is on eth1 (10.89.37.11/24)")
    assert "gratuitous ARPs" in problems[0]
    # the VIPs running on eth0 do not make eth0 a carrier of their network
    assert problems[1].startswith("VIP vip_g2 (10.89.37.101/24): on node1, nic eth0")


def test_a_missing_nic_is_named_with_the_node_interfaces():
    vip = ("vip_g1", {"ip": "10.89.37.100", "cidr_netmask": "24", "nic": "bond0"})
    assert vip_interface_problems(objects(vip), {"node2": GOOD}) == [
        "VIP vip_g1 (10.89.37.100/24): node2 has no interface bond0 (its interfaces: eth0, eth1, lo)"]


def test_without_nic_some_interface_must_carry_the_network():
    vip = ("vip_x", {"ip": "192.0.2.10", "cidr_netmask": "24"})
    problems = vip_interface_problems(objects(vip), {"node2": GOOD})
    assert len(problems) == 1 and "on node2, no interface carries 192.0.2.0/24" in problems[0]
    assert vip_interface_problems(objects(("vip_y", {"ip": "10.89.38.50"})), {"node2": GOOD}) == []


def test_an_interface_that_carries_only_vips_is_accepted_with_a_netmask():
    # eth2 has no address of its own; nothing else carries 198.51.100.0/24: IPaddr2 places it with cidr_netmask
    text = json.dumps([LO, link("eth0", "10.89.37.12/24"), link("eth2")])
    vip = ("vip_dmz", {"ip": "198.51.100.7", "cidr_netmask": "24", "nic": "eth2"})
    assert vip_interface_problems(objects(vip), {"node1": text}) == []
    no_mask = ("vip_dmz", {"ip": "198.51.100.7", "nic": "eth2"})
    problems = vip_interface_problems(objects(no_mask), {"node1": text})
    assert problems and "give cidr_netmask" in problems[0]


def test_a_nic_with_another_network_is_accepted_when_nothing_carries_the_vips():
    # a VIP network on the same wire as the node's own (no node address in it): a deliberate layout
    vip = ("vip_alias", {"ip": "198.51.100.7", "cidr_netmask": "24", "nic": "eth0"})
    assert vip_interface_problems(objects(vip), {"node2": GOOD}) == []


def test_ipv6_vip():
    text = json.dumps([LO, link("eth0", "2001:db8:1::11/64"), link("eth1", "2001:db8:2::11/64")])
    good = ("vip6", {"ip": "2001:db8:1::100", "cidr_netmask": "64", "nic": "eth0"})
    wrong = ("vip6", {"ip": "2001:db8:1::100", "cidr_netmask": "64", "nic": "eth1"})
    assert vip_interface_problems(objects(good), {"n": text}) == []
    assert "nic eth1 is on 2001:db8:2::11/64 but 2001:db8:1::/64 is on eth0" in \
        vip_interface_problems(objects(wrong), {"n": text})[0]


def test_registered_results_and_parsed_lists_are_read():
    result = {"rc": 0, "stdout": SWAPPED, "changed": False}
    assert len(vip_interface_problems(objects(G1, MGMT), {"node1": result})) == 2
    assert vip_interface_problems(objects(G1), {"node1": json.loads(GOOD)}) == []
    assert parse_ip_addr("") == {}


def test_only_present_ipaddr2_primitives_count():
    resources = objects(G1)["resources"] + [
        {"id": "vip_old", "agent": "ocf:heartbeat:IPaddr2", "state": "absent", "options": {"ip": "192.0.2.1"}},
        {"id": "vip_other", "agent": "ocf:heartbeat:IPsrcaddr", "options": {"ipaddress": "192.0.2.2"}}]
    assert [v["id"] for v in cib_vips(resources)] == ["vip_g1"]
    assert cib_vips(objects(G1)) == [{"id": "vip_g1", "ip": "10.89.37.100", "cidr_netmask": "24", "nic": "eth0"}]


@pytest.mark.parametrize("objs, hosts, match", [
    ("text", {}, "the input must be pcs_cib input"),
    (objects(G1), ["node1"], "hosts must map each node"),
    (objects(G1), {"node1": "ip: command not found"}, "not the JSON output of ip -j addr"),
    (objects(("vip_bad", {"ip": "10.89.37.100", "cidr_netmask": "99", "nic": "eth0"})), {"node1": GOOD},
     "cidr_netmask '99' is not a prefix length"),
])
def test_bad_input_is_refused(objs, hosts, match):
    with pytest.raises(AnsibleFilterError, match=match):
        vip_interface_problems(objs, hosts)


def test_a_vip_that_is_no_address_is_named():
    problems = vip_interface_problems(objects(("vip_bad", {"ip": "10.89.37.300", "nic": "eth0"})), {"n": GOOD})
    assert problems == ["VIP vip_bad: '10.89.37.300' is not an IP address"]
