# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: multipath_portal
short_description: Split an iSCSI portal written as IP:port
version_added: 0.1.0
author:
  - hastorage.cluster contributors
description:
  - Returns C({address, port}) for an iSCSI portal written C(IPv4:port) or C([IPv6]:port) with a port from 1 to
    65535, and V(false) for anything else (a host name, a missing port, an IPv6 address without brackets).
  - The C(hastorage.cluster.multipath) role checks its portals with it and passes the parts to
    M(community.general.open_iscsi).
options:
  _input:
    description: The portal.
    type: raw
    required: true
"""

EXAMPLES = r"""
# "10.89.141.11:3260" | hastorage.cluster.multipath_portal  -> {"address": "10.89.141.11", "port": 3260}
# "[fd00::11]:3260" | hastorage.cluster.multipath_portal    -> {"address": "fd00::11", "port": 3260}
# "san1:3260" | hastorage.cluster.multipath_portal          -> false
# "10.89.141.11" | hastorage.cluster.multipath_portal       -> false
"""

RETURN = r"""
_value:
  description: C(address) (normalised) and C(port) (an integer), or V(false).
  type: raw
"""

import ipaddress
import re

from ansible.module_utils.common.text.converters import to_text

_PORTAL = re.compile(r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<v4>[0-9.]+)):(?P<port>[0-9]{1,5})$")


def multipath_portal(value):
    if value is None or isinstance(value, bool):
        return False
    match = _PORTAL.match(to_text(value).strip())
    if not match:
        return False
    port = int(match.group("port"))
    if not 1 <= port <= 65535:
        return False
    try:
        if match.group("v6") is not None:
            address = ipaddress.IPv6Address(match.group("v6"))
        else:
            address = ipaddress.IPv4Address(match.group("v4"))
    except ValueError:
        return False
    return {"address": str(address), "port": port}


class FilterModule(object):
    def filters(self):
        return {"multipath_portal": multipath_portal}
