# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: ip
short_description: Check and normalise an IP address
version_added: 0.1.0
author:
  - hastorage.cluster contributors
description:
  - Returns the address in its normal form when the input is a valid IPv4 or IPv6 address
    (without a prefix length), and V(false) otherwise. Uses Python's C(ipaddress) module, so
    it needs neither C(ansible.utils) nor C(netaddr).
options:
  _input:
    description: The text to check.
    type: raw
    required: true
  version:
    description: Accept only this IP version (V(4) or V(6)); V(0) accepts both.
    type: int
    default: 0
"""

EXAMPLES = r"""
- name: Every link address is an IP address
  ansible.builtin.assert:
    that: (pacemaker_node_addresses | map('hastorage.cluster.ip') | select('equalto', false) | list) == []

# "10.0.0.1" | hastorage.cluster.ip            -> "10.0.0.1"
# "fe80::0001" | hastorage.cluster.ip          -> "fe80::1"
# "node1" | hastorage.cluster.ip               -> false
# "10.0.0.1" | hastorage.cluster.ip(version=6) -> false
"""

RETURN = r"""
_value:
  description: The normalised address, or V(false).
  type: raw
"""

import ipaddress

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text


def ip(value, version=0):
    if version not in (0, 4, 6):
        raise AnsibleFilterError("hastorage.cluster.ip: version must be 0, 4 or 6, not %r" % (version,))
    if value is None or isinstance(value, bool):
        return False
    try:
        address = ipaddress.ip_address(to_text(value).strip())
    except ValueError:
        return False
    if version and address.version != version:
        return False
    return str(address)


class FilterModule(object):
    def filters(self):
        return {"ip": ip}
