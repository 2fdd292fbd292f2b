# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters for the drbd role's validation: network membership and duplicates.

Python's ``ipaddress`` does the work, so neither ``ansible.utils`` nor
``netaddr`` is needed on the controller. Docs: drbd_in_network.yml,
drbd_duplicates.yml beside this file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text


def drbd_in_network(address, network):
    """True when ``address`` (an IP address, no /prefix) is a host address inside ``network`` (CIDR).

    An address written with a prefix length is refused: the role appends the
    replication network's prefix itself (ADDR/24/24 would not be an address).
    """
    try:
        net = ipaddress.ip_network(to_text(network).strip(), strict=False)
    except ValueError as e:
        raise AnsibleFilterError("hastorage.cluster.drbd_in_network: %r is not a network: %s" % (network, e))
    if address is None or isinstance(address, bool):
        return False
    try:
        addr = ipaddress.ip_address(to_text(address).strip())
    except ValueError:
        return False
    if addr.version != net.version or addr not in net:
        return False
    if net.version == 4 and net.prefixlen < 31:
        # the network and broadcast addresses cannot be a host's address
        return addr not in (net.network_address, net.broadcast_address)
    return True


def drbd_duplicates(values):
    """The values that occur more than once, in first-seen order."""
    seen, dups = set(), []
    for value in values or []:
        key = to_text(value)
        if key in seen and value not in dups:
            dups.append(value)
        seen.add(key)
    return dups


class FilterModule(object):
    def filters(self):
        return {
            "drbd_in_network": drbd_in_network,
            "drbd_duplicates": drbd_duplicates,
        }
