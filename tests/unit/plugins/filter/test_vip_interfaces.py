# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""vip_interface_problems: a VIP's nic must carry its network on every node (or no interface may)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.hastorage.cluster.plugins.filter.vip_interfaces import vip_interface_problems, vip_placement
from ansible_collections.hastorage.cluster.plugins.module_utils._vip_interfaces import (
    cib_vips, parse_ip_addr, report_vips)


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


def report(*layers):
    """A pacemaker_info report with one group stack holding ``layers`` ((id, agent, params, nodes))."""
    return {"stacks": [{"id": "g_g1", "layers": [
        {"id": lid, "agent": agent, "params": params, "nodes": nodes} for lid, agent, params, nodes in layers]}]}


IP2 = "ocf:heartbeat:IPaddr2"
RUNNING = report(("fs_g1", "ocf:heartbeat:Filesystem", {"device": "/dev/sdb"}, ["node2"]),
                 ("vip_g1", IP2, dict(G1[1]), ["node2"]), ("vip_g2", IP2, dict(G2[1]), ["node2"]),
                 ("vip_mgmt", IP2, dict(MGMT[1]), ["node2"]))


def test_report_vips_reads_the_layers_with_where_they_run():
    assert report_vips(RUNNING) == [
        {"id": "vip_g1", "ip": "10.89.37.100", "cidr_netmask": "24", "nic": "eth0", "runs_on": ["node2"]},
        {"id": "vip_g2", "ip": "10.89.37.101", "cidr_netmask": "24", "nic": "eth0", "runs_on": ["node2"]},
        {"id": "vip_mgmt", "ip": "10.89.37.102", "cidr_netmask": "24", "nic": "eth0", "runs_on": ["node2"]}]
    assert report_vips({}) == [] and report_vips(None) == []


def test_a_vip_on_its_network_is_placed_without_problem():
    # GOOD holds 10.89.37.101 (vip_g2) on eth0, the client network's interface
    assert vip_placement(RUNNING, GOOD, "node2") == [
        {"id": "vip_g2", "ip": "10.89.37.101", "interface": "eth0", "problem": None}]


def test_a_vip_running_on_the_replication_network_is_named():
    # SWAPPED: eth0 is now on the replication network and holds the VIPs, eth1 carries the clients' network
    placed = vip_placement(RUNNING, SWAPPED, "node2")
    assert [(p["id"], p["interface"]) for p in placed] == [("vip_g1", "eth0"), ("vip_mgmt", "eth0")]
    assert placed[0]["problem"] == (
        "VIP vip_g1 (10.89.37.100) is on node2's eth0, but 10.89.37.0/24 is on eth1 (10.89.37.11/24): its "
        "gratuitous ARPs went to another network than its clients'")


def test_a_vip_on_another_interface_than_its_nic_is_named():
    text = json.dumps([LO, link("eth0", "10.89.37.12/24"), link("ens3", "10.89.37.13/24", "10.89.37.100/24")])
    placed = vip_placement(RUNNING, text, "node2")
    assert placed == [{"id": "vip_g1", "ip": "10.89.37.100", "interface": "ens3",
                       "problem": "VIP vip_g1 (10.89.37.100) is on node2's ens3, but its nic is eth0 (an interface "
                                  "renamed since it started?)"}]


def test_a_stray_vip_on_a_node_pacemaker_does_not_run_it_on_is_named():
    placed = vip_placement(RUNNING, GOOD, "node1")
    assert placed[0]["problem"] == ("VIP vip_g2 (10.89.37.101) is on node1's eth0, but Pacemaker runs it on node2: "
                                    "a stray address, two nodes answer ARP for it")
    stopped = report(("vip_g2", IP2, dict(G2[1]), []))
    assert "Pacemaker runs it on no node" in vip_placement(stopped, GOOD, "node2")[0]["problem"]


def test_every_wrong_thing_in_one_sentence_and_a_node_without_vips():
    placed = vip_placement(RUNNING, SWAPPED, "node3")
    assert "; its nic" not in placed[0]["problem"]
    assert placed[0]["problem"].endswith("Pacemaker runs it on node2: a stray address, two nodes answer ARP for it")
    assert vip_placement(RUNNING, json.dumps([LO, link("eth0", "10.89.37.14/24")]), "node3") == []


@pytest.mark.parametrize("rep, addresses, node, match", [
    ([], GOOD, "node1", "the input must be the report"),
    (RUNNING, GOOD, "", "node must be"),
    (RUNNING, "not json", "node1", "not the JSON output of ip -j addr"),
    (report(("vip_x", IP2, {"ip": "10.0.0.300"}, [])), GOOD, "node1", "is not an IP address"),
])
def test_placement_bad_input_is_refused(rep, addresses, node, match):
    with pytest.raises(AnsibleFilterError, match=match):
        vip_placement(rep, addresses, node)
