# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: do the nodes' interfaces carry the VIPs' networks?

IPaddr2 puts a VIP on the interface its ``nic`` names, whatever network that
interface is on. A ``nic`` that is the client interface on one node and the
replication interface on another (names differ between machines, or change
when a machine starts again) puts the VIP on the wrong network on that node:
clients still reach it through the other interface (Linux answers ARP for any
local address on any interface), but its gratuitous ARPs go out on the wrong
network, so after a failover the clients keep the dead node's MAC until their
ARP entry expires (25 s outages measured on the lab). Without ``nic`` IPaddr2
finds the interface from the routing table and needs one that carries the
network.

:func:`vip_interface_problems` reads ``ip -j addr`` of every node and the
design's CIB objects and names, per node and VIP, what is wrong. Pure.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json

IPADDR2 = ("ocf:heartbeat:IPaddr2", "heartbeat:IPaddr2", "IPaddr2")


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return u"%s" % (value,)


def cib_vips(objects):
    """``[{id, ip, cidr_netmask, nic}]`` of the IPaddr2 primitives in pcs_cib input (or a list of resources)."""
    resources = objects.get("resources") if isinstance(objects, dict) else objects
    vips = []
    for resource in resources or []:
        if not isinstance(resource, dict) or resource.get("agent") not in IPADDR2:
            continue
        if resource.get("state") == "absent":
            continue
        options = resource.get("options") or {}
        if not options.get("ip"):
            continue
        vips.append({"id": resource.get("id"), "ip": _text(options["ip"]).strip(),
                     "cidr_netmask": _text(options["cidr_netmask"]).strip() if options.get("cidr_netmask") not in
                     (None, "") else None,
                     "nic": _text(options["nic"]).strip() if options.get("nic") else None})
    return vips


def parse_ip_addr(output):
    """``{interface: [ip_interface, ...]}`` from ``ip -j addr`` (its text, a parsed list, or a command result)."""
    if isinstance(output, dict):
        output = output.get("stdout", "")
    if not isinstance(output, list):
        text = _text(output).strip()
        try:
            output = json.loads(text) if text else []
        except ValueError:
            raise ValueError("not the JSON output of ip -j addr: %r" % text[:80])
    interfaces = {}
    for link in output:
        if not isinstance(link, dict) or not link.get("ifname"):
            continue
        addresses = interfaces.setdefault(_text(link["ifname"]), [])
        for info in link.get("addr_info") or []:
            if info.get("family") not in ("inet", "inet6") or not info.get("local"):
                continue
            try:
                addresses.append(ipaddress.ip_interface(u"%s/%s" % (info["local"], info.get("prefixlen", ""))))
            except ValueError:
                continue
    return interfaces


def _vip_network(vip):
    address = ipaddress.ip_address(vip["ip"])
    if vip["cidr_netmask"] is None:
        return address, None
    try:
        return address, ipaddress.ip_interface(u"%s/%s" % (vip["ip"], vip["cidr_netmask"])).network
    except ValueError:
        raise ValueError("VIP %s: cidr_netmask %r is not a prefix length or netmask" % (vip["id"], vip["cidr_netmask"]))


def _carriers(interfaces, address, network, vip_addresses):
    """Interfaces with an address (not a VIP's own) in ``network``, or, without one, whose network holds ``address``."""
    found = []
    for name, addresses in sorted(interfaces.items()):
        for item in addresses:
            if item.ip in vip_addresses or item.version != address.version:
                continue
            if (network is not None and item.ip in network) or (network is None and address in item.network):
                found.append((name, item))
                break
    return found


def vip_interface_problems(vips, hosts):
    """Messages, one per node and VIP that IPaddr2 would put on the wrong network or could not place.

    ``vips``: :func:`cib_vips` output; ``hosts``: ``{node: ip -j addr output}``.
    The VIPs' own addresses are left out of what an interface carries (a VIP
    that runs on the wrong interface would otherwise vouch for it). A ``nic``
    with no address at all in the VIP's network is accepted when no other
    interface has one either (an interface that carries only VIPs), as long
    as the VIP gives its cidr_netmask.
    """
    problems = []
    parsed = dict((host, parse_ip_addr(output)) for host, output in sorted(hosts.items()))
    addresses = set()
    for vip in vips:
        try:
            addresses.add(ipaddress.ip_address(vip["ip"]))
        except ValueError:
            problems.append("VIP %s: %r is not an IP address" % (vip["id"], vip["ip"]))
    if problems:
        return problems
    for vip in vips:
        address, network = _vip_network(vip)
        shown = "%s/%s" % (vip["ip"], vip["cidr_netmask"]) if vip["cidr_netmask"] else vip["ip"]
        where = _text(network) if network is not None else "the network of %s" % vip["ip"]
        for host, interfaces in parsed.items():
            carriers = _carriers(interfaces, address, network, addresses)
            names = ", ".join(sorted(interfaces)) or "none"
            if vip["nic"]:
                if vip["nic"] not in interfaces:
                    problems.append("VIP %s (%s): %s has no interface %s (its interfaces: %s)"
                                    % (vip["id"], shown, host, vip["nic"], names))
                    continue
                if vip["nic"] in [name for name, _item in carriers]:
                    continue
                own = [item for item in interfaces[vip["nic"]] if item.ip not in addresses
                       and item.version == address.version]
                if carriers:
                    problems.append(
                        "VIP %s (%s): on %s, nic %s is on %s but %s is on %s (%s): IPaddr2 would put the VIP on "
                        "another network than its clients' and its gratuitous ARPs would not reach them after a "
                        "failover; name the interface that carries %s (the same name on every node)"
                        % (vip["id"], shown, host, vip["nic"],
                           ", ".join(_text(item) for item in own) or "no address of its own",
                           where, carriers[0][0], _text(carriers[0][1]), where))
                elif vip["cidr_netmask"] is None:
                    problems.append("VIP %s (%s): on %s, no interface carries %s and the VIP has no cidr_netmask: "
                                    "IPaddr2 cannot tell the VIP's netmask; give cidr_netmask"
                                    % (vip["id"], shown, host, where))
            elif not carriers:
                problems.append("VIP %s (%s): on %s, no interface carries %s (interfaces: %s) and the VIP names no "
                                "nic: IPaddr2 finds its interface from the addresses; give nic and cidr_netmask"
                                % (vip["id"], shown, host, where, names))
    return problems


def report_vips(report):
    """:func:`cib_vips` of a cluster report's VIP layers, each with ``runs_on`` (the nodes Pacemaker runs it on).

    ``report``: the published report of ``pacemaker_info`` (its stacks'
    layers carry the IPaddr2 parameters ``ip``, ``cidr_netmask`` and ``nic``).
    """
    vips = []
    for stack in (report or {}).get("stacks") or []:
        for layer in stack.get("layers") or []:
            found = cib_vips([{"id": layer.get("id"), "agent": layer.get("agent"), "options": layer.get("params") or {}}])
            for vip in found:
                vip["runs_on"] = list(layer.get("nodes") or [])
                vips.append(vip)
    return vips


def vip_placement(vips, output, node):
    """Where the VIPs a node holds run on it: ``[{id, ip, interface, problem}]``, one per VIP address it holds.

    ``vips``: :func:`report_vips` (or :func:`cib_vips`, without ``runs_on``);
    ``output``: ``ip -j addr`` of the node; ``node``: its name in the cluster.
    ``problem`` (None when all is well) names a VIP running on an interface
    other than the one that carries its network (its gratuitous ARPs went to
    another network: what a NIC renamed after the start does), on another
    interface than its ``nic``, or held by a node Pacemaker does not run it on
    (a stray address: two nodes answer ARP for it).
    """
    interfaces = parse_ip_addr(output)
    addresses = set()
    for vip in vips:
        try:
            addresses.add(ipaddress.ip_address(vip["ip"]))
        except ValueError:
            raise ValueError("VIP %s: %r is not an IP address" % (vip["id"], vip["ip"]))
    placed = []
    for vip in vips:
        address, network = _vip_network(vip)
        holders = sorted(name for name, items in interfaces.items() if any(item.ip == address for item in items))
        if not holders:
            continue
        where = _text(network) if network is not None else "the network of %s" % vip["ip"]
        carriers = _carriers(interfaces, address, network, addresses)
        for holder in holders:
            wrong = []
            if carriers and holder not in [name for name, _item in carriers]:
                wrong.append("%s is on %s (%s): its gratuitous ARPs went to another network than its clients'"
                             % (where, carriers[0][0], _text(carriers[0][1])))
            if vip.get("nic") and holder != vip["nic"]:
                wrong.append("its nic is %s (an interface renamed since it started?)" % vip["nic"])
            if "runs_on" in vip and node not in vip["runs_on"]:
                wrong.append("Pacemaker runs it on %s: a stray address, two nodes answer ARP for it"
                             % (", ".join(vip["runs_on"]) or "no node"))
            problem = None
            if wrong:
                problem = "VIP %s (%s) is on %s's %s, but %s" % (vip["id"], vip["ip"], node, holder, "; ".join(wrong))
            placed.append({"id": vip["id"], "ip": vip["ip"], "interface": holder, "problem": problem})
    return placed
