# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The stack_to_cib filter: a service stack -> pcs_cib input (docs in stack_to_cib.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.collections import is_sequence

from ansible_collections.hastorage.cluster.plugins.module_utils._stack import (
    StackError,
    stacks_to_cib,
    vip_addresses,
)

try:
    import netaddr
except ImportError:  # pragma: no cover - only needed with networks=
    netaddr = None


def check_vip_networks(stacks, networks):
    """Raise :class:`StackError` when a VIP is not inside one of ``networks``."""
    if netaddr is None:
        raise AnsibleFilterError("stack_to_cib(networks=...) needs the Python library netaddr on the controller")
    try:
        nets = [netaddr.IPNetwork(str(n)) for n in networks]
    except (netaddr.AddrFormatError, ValueError, TypeError) as e:
        raise StackError("networks: %s" % e)
    for stack in stacks:
        for layer_id, ip, prefix in vip_addresses(stack):
            if not ip:
                raise StackError("stack %s: VIP %s has no options.ip" % (stack.get("name"), layer_id))
            try:
                address = netaddr.IPAddress(str(ip))
            except (netaddr.AddrFormatError, ValueError) as e:
                raise StackError("stack %s: VIP %s has an invalid ip %r: %s" % (stack.get("name"), layer_id, ip, e))
            inside = [n for n in nets if address in n]
            if not inside:
                raise StackError("stack %s: VIP %s address %s is on none of the networks %s"
                                 % (stack.get("name"), layer_id, ip, ", ".join(str(n) for n in nets)))
            if prefix is not None and not any(str(n.prefixlen) == str(prefix) for n in inside):
                raise StackError("stack %s: VIP %s has cidr_netmask %s but its network %s is /%d"
                                 % (stack.get("name"), layer_id, prefix, inside[0], inside[0].prefixlen))


def stack_to_cib(stack, networks=None):
    stacks = list(stack) if is_sequence(stack) else [stack]
    try:
        if networks:
            check_vip_networks(stacks, networks)
        return stacks_to_cib(stacks)
    except StackError as e:
        raise AnsibleFilterError(str(e))


class FilterModule(object):
    def filters(self):
        return {"stack_to_cib": stack_to_cib}
