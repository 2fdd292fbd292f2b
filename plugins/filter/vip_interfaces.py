# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: vip_interface_problems
short_description: The nodes on which a VIP would go onto the wrong network, or could not be placed
version_added: 0.2.0
author:
  - hastorage.cluster contributors (@hastorage)
description:
  - "Compares the C(ocf:heartbeat:IPaddr2) primitives of a design's CIB objects with every node's interfaces
    (the JSON of C(ip -j addr)) and returns one message per node and VIP that is wrong: a O(_input) VIP whose
    C(nic) does not exist on a node, or whose C(nic) is on another network while a different interface of that
    node carries the VIP's network (IPaddr2 would put the VIP there; its gratuitous ARPs would not reach the
    clients after a failover, which keep the dead node's MAC until their ARP entry expires); a VIP without
    C(nic) when no interface carries its network; a VIP without C(cidr_netmask) that no interface's network
    holds."
  - "The VIPs' own addresses are not counted as an interface's network (a VIP running on the wrong interface
    would vouch for it). A C(nic) without any address in the VIP's network is accepted when no other interface
    has one either (an interface that carries only VIPs) and the VIP gives C(cidr_netmask)."
positional: _input, hosts
options:
  _input:
    description: The design's pcs_cib input (a dictionary with C(resources)) or a list of resources.
    type: raw
    required: true
  hosts:
    description: Node to the output of C(ip -j addr) on it (its text, or the registered command result).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Read every node's interfaces
  ansible.builtin.command:
    argv: [ip, -j, addr]
  register: __addr
  changed_when: false
  check_mode: false

- name: Check that each VIP's interface carries its network on every node
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join('; ') }}"
  vars:
    __problems: >-
      {{ design_objects | hastorage.cluster.vip_interface_problems(
           dict(ansible_play_hosts | zip(ansible_play_hosts | map('extract', hostvars, '__addr')))) }}
  run_once: true
"""

RETURN = r"""
_value:
  description: One message per node and VIP that is wrong; empty when every VIP fits every node.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.hastorage.cluster.plugins.module_utils._vip_interfaces import (
    cib_vips, report_vips, vip_interface_problems as _problems, vip_placement as _placement)


def vip_interface_problems(objects, hosts):
    if not isinstance(objects, (dict, list)):
        raise AnsibleFilterError("vip_interface_problems: the input must be pcs_cib input or a list of resources, "
                                 "got %s" % type(objects).__name__)
    if not isinstance(hosts, dict):
        raise AnsibleFilterError("vip_interface_problems: hosts must map each node to its ip -j addr output, got %s"
                                 % type(hosts).__name__)
    try:
        return _problems(cib_vips(objects), hosts)
    except ValueError as exc:
        raise AnsibleFilterError("vip_interface_problems: %s" % exc)


def vip_placement(report, addresses, node):
    if not isinstance(report, dict):
        raise AnsibleFilterError("vip_placement: the input must be the report of pacemaker_info, got %s"
                                 % type(report).__name__)
    if not node or not isinstance(node, str):
        raise AnsibleFilterError("vip_placement: node must be the node's name in the cluster, got %r" % (node,))
    try:
        return _placement(report_vips(report), addresses, node)
    except ValueError as exc:
        raise AnsibleFilterError("vip_placement: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"vip_interface_problems": vip_interface_problems, "vip_placement": vip_placement}
