# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: pcs_cluster_errors
short_description: What pcs would refuse in a cluster definition, before anything runs
version_added: 0.1.0
author:
  - hastorage.cluster contributors
description:
  - Takes the parameters of M(hastorage.cluster.pcs_cluster) (C(name), C(nodes), C(transport),
    C(transport_options), C(links), C(crypto), C(compression), C(totem), C(quorum)) and returns the list
    of what is wrong with them, the same checks the module makes before it contacts any node; an
    empty list when pcs would accept them.
  - The rules are pcs 0.11.5's for a new cluster (cluster name, node names and addresses, the options
    and values each section knows), so a role can refuse a bad definition before it installs anything.
options:
  _input:
    description: The M(hastorage.cluster.pcs_cluster) parameters.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Check the cluster definition before anything changes
  ansible.builtin.assert:
    that: __errors | length == 0
    fail_msg: "{{ __errors | join('; ') }}"
  vars:
    __errors: "{{ {'name': 'c1', 'nodes': [{'name': 'n1', 'addresses': ['10.0.0.1']}], 'totem': {'token': 'soon'}}
                  | hastorage.cluster.pcs_cluster_errors }}"
  # -> totem.token must be a non-negative integer, got 'soon'
"""

RETURN = r"""
_value:
  description: One message per problem, naming the field; empty when there is none.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.hastorage.cluster.plugins.module_utils._corosync import params_errors


def pcs_cluster_errors(params):
    if not isinstance(params, dict):
        raise AnsibleFilterError("pcs_cluster_errors expects the pcs_cluster parameters as a dict, got %s"
                                 % type(params).__name__)
    p = dict(params)
    for key in ("transport_options", "crypto", "compression", "totem", "quorum"):
        p[key] = p.get(key) or {}
    p["links"] = p.get("links") or []
    p["transport"] = p.get("transport") or "knet"
    nodes = []
    for node in p.get("nodes") or []:
        node = dict(node or {})
        node["name"] = to_text(node.get("name") or "")
        node["addresses"] = [to_text(a) for a in node.get("addresses") or []]
        nodes.append(node)
    p["nodes"] = nodes
    p["name"] = to_text(p.get("name") or "")
    return params_errors(p)


class FilterModule(object):
    def filters(self):
        return {"pcs_cluster_errors": pcs_cluster_errors}
