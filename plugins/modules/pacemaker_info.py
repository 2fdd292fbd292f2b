#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: pacemaker_info
short_description: Read the state of a Pacemaker cluster
version_added: 0.1.0
description:
  - Reads C(crm_mon -1 --inactive --output-as=xml), C(cibadmin --query) and
    C(stonith_admin --history '*' --output-as=xml) and returns nodes (online, standby, maintenance,
    unclean), quorum, the DC, every resource instance with its role and node, groups and clones,
    failed actions, the fencing history and a computed stack report.
  - The stack report lists, for each group, its members in start order, where each runs, and whether
    the whole group runs together on one node.
  - RV(report) is the published cluster report, built from the cluster alone (no design variables),
    with quorum, DC, fencing, nodes and every stack (group, clone or lone resource) with its layers in
    start order, where it runs, its VIP addresses and node preferences. The day-2 playbooks read it,
    and the P(hastorage.cluster.cluster_report_html#filter) and P(hastorage.cluster.cluster_report_text#filter)
    filters render it.
  - When Pacemaker does not run on the node the module does not fail; it returns RV(running=false).
author:
  - hastorage.cluster contributors (@hastorage)
extends_documentation_fragment:
  - hastorage.cluster.read_only
options:
  fence_history:
    description: Also read the fencing history with stonith_admin.
    type: bool
    default: true
  cib:
    description: Also read configuration facts from the CIB (properties, defaults, stonith devices, constraints).
    type: bool
    default: true
  cib_file:
    description: Read a CIB file instead of the live cluster (C(CIB_file)); fencing history is then skipped. An
      absolute path to an existing file.
    type: path
"""

EXAMPLES = r"""
- name: Read the cluster state
  hastorage.cluster.pacemaker_info:
  register: cluster

- name: The share stack runs complete on one node
  ansible.builtin.assert:
    that:
      - (cluster.stacks | selectattr('group', 'eq', 'g_share1') | first).together

- name: Where each stack of the report runs, whatever the design
  ansible.builtin.debug:
    msg: "{{ cluster.report | hastorage.cluster.cluster_report_text }}"
"""

RETURN = r"""
running:
  description: Pacemaker runs on this node (crm_mon could connect).
  returned: always
  type: bool
  sample: true
dc:
  description: Name of the designated controller, or null.
  returned: always
  type: str
  sample: node1
quorum:
  description: The partition has quorum.
  returned: always
  type: bool
  sample: true
nodes:
  description: Cluster nodes with online, standby, maintenance, unclean, shutdown, is_dc.
  returned: always
  type: list
  elements: dict
  sample: [{name: node1, online: true, standby: false, maintenance: false, unclean: false, is_dc: true}]
online_nodes:
  description: Names of the online nodes.
  returned: always
  type: list
  elements: str
  sample: [node1, node2]
resources:
  description: One entry per resource instance (clone instances separately) with role, nodes, group and clone.
  returned: always
  type: list
  elements: dict
  sample: [{id: vip, agent: "ocf:heartbeat:IPaddr2", role: Started, nodes: [node1], group: g_data, clone: null}]
groups:
  description: Groups with their members in start order.
  returned: always
  type: list
  elements: dict
  sample: [{id: g_data, members: [fs_data, nfs_data, vip_data], clone: null}]
clones:
  description: Clones (promotable or not).
  returned: always
  type: list
  elements: dict
  sample: [{id: drbd_r0-clone, promotable: true}]
failures:
  description: Failed resource actions.
  returned: always
  type: list
  elements: dict
  sample: [{op_key: fs_r0_monitor_20000, node: node1, exitcode: 7, exitstatus: not running}]
fence_history:
  description: Fencing events, as stonith_admin reports them.
  returned: always
  type: list
  elements: dict
  sample: [{target: node2, action: reboot, status: success, delegate: node1, completed: "2026-11-22 04:10:01Z"}]
stacks:
  description: The stack report, one entry per group.
  returned: always
  type: list
  elements: dict
  sample:
    - group: g_data
      start_order: [fs_data, nfs_data, vip_data]
      node: node1
      nodes: [node1]
      started: true
      together: true
      state: started
cib:
  description:
    - Configuration facts (properties, resource_defaults, operation_defaults, stonith_devices with targets,
      primitives, groups, clones, constraints, fencing_levels), when O(cib=true).
    - C(owned) lists the objects M(hastorage.cluster.pcs_cib) made or adopted, as C(KIND ID) (C(primitive vip_share1),
      C(constraint order-drbd_r0-clone-g_share1-mandatory)), from its record in the CIB; that record is not
      counted among the C(properties).
    - Each entry of C(primitives) has C(id), C(agent), C(group), C(clone) and C(params), the instance
      attributes that say where the resource serves (C(ip), C(cidr_netmask), C(nic), C(device),
      C(directory), C(fstype), C(drbd_resource), C(shares), C(export_ids), C(directories), C(clientspec),
      C(fsid), C(host_list), C(interface)); other attributes, such as credentials, are not returned.
  returned: when Pacemaker runs and O(cib=true)
  type: dict
  sample: {properties: {stonith-enabled: "true"}, stonith_devices: [{id: fence_node1, targets: [node1]}]}
report:
  description:
    - The published cluster report, the same for every design. Without O(cib=true) it has no cluster name,
      VIPs, preferences or fence targets (C(fencing.enabled) is null); without O(fence_history=true) no fence events.
  returned: always
  type: dict
  contains:
    cluster:
      description: The C(cluster-name) property of the CIB, or null.
      type: str
      sample: hsc
    running:
      description: Pacemaker runs on the node read.
      type: bool
    quorum:
      description: The partition has quorum (null when there is no DC).
      type: bool
    dc:
      description: The designated controller.
      type: str
    fencing:
      description: C(enabled) (stonith-enabled), C(devices) (C(id), C(agent), C(targets), C(state), C(nodes))
        and C(last_events) (the five newest fence events).
      type: dict
    nodes:
      description: Each node with C(name), C(state) (V(online), V(standby), V(maintenance), V(offline) or V(unclean)),
        C(is_dc) and the flags it comes from.
      type: list
      elements: dict
    stacks:
      description:
        - One entry per group, clone or lone resource (fence devices aside), in configuration order.
        - C(id) (what a move or ban names), C(kind) (V(group), V(clone), V(promotable) or V(primitive)),
          C(group), C(clone), C(state) (V(started), V(partial), V(stopped) or V(failed)), C(nodes) (where it runs),
          C(node) (the one node a group or lone resource runs on, else null), C(together), C(start_order).
        - C(layers) in start order, each with C(id), C(agent), C(state), C(on) (node to role), C(nodes),
          C(params) and, for a VIP, C(address).
        - C(vips), C(vip_last) (the last layer is a VIP, tickle layers after it aside), C(smb) and C(nfs) (a layer
          serves SMB or NFS), C(smb_shares), C(nfs_exports),
          C(prefers) and C(avoids) (location constraints, C(temporary) for cli-prefer/cli-ban), C(after) and
          C(with) (order and colocation constraints on other resources).
      type: list
      elements: dict
    failures:
      description: Failed resource actions, as in RV(failures).
      type: list
      elements: dict
    problems:
      description: What needs an operator, one sentence each (no quorum, fencing off, a node or stack not as
        it should be, failed actions); empty when all is well.
      type: list
      elements: str
  sample:
    cluster: hsc
    running: true
    quorum: true
    dc: node2
    fencing: {enabled: true, devices: [{id: fence_lab, agent: "stonith:fence_podman_lab", targets: [node1, node2],
              state: started, nodes: [node1]}], last_events: []}
    nodes: [{name: node1, state: online, is_dc: false}, {name: node2, state: online, is_dc: true}]
    stacks:
      - id: g_g1
        kind: group
        state: started
        node: node1
        nodes: [node1]
        vips: [192.0.2.10]
        prefers: [{node: node1, score: "50", id: location-g_g1-node1-50, temporary: false}]
        layers: [{id: fs_g1, agent: "ocf:heartbeat:Filesystem", state: started, "on": {node1: Started}},
                 {id: vip_g1, agent: "ocf:heartbeat:IPaddr2", state: started, "on": {node1: Started},
                  address: 192.0.2.10}]
    failures: []
    problems: []
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hastorage.cluster.plugins.module_utils._runner import (
    CommandError,
    CommandRunner,
    fail_from_error,
)
from ansible_collections.hastorage.cluster.plugins.module_utils import _crm_mon
from ansible_collections.hastorage.cluster.plugins.module_utils import _report


def run_module():
    module = AnsibleModule(
        argument_spec=dict(
            fence_history=dict(type="bool", default=True),
            cib=dict(type="bool", default=True),
            cib_file=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    errors = _crm_mon.cib_file_errors(module.params["cib_file"])
    if errors:
        module.fail_json(msg="; ".join(errors))
    environ = {"CIB_file": module.params["cib_file"]} if module.params["cib_file"] else None
    crm_mon = CommandRunner(module, "crm_mon", environ=environ)
    result = dict(changed=False, running=False, dc=None, quorum=None, nodes=[], online_nodes=[], resources=[],
                  groups=[], clones=[], failures=[], fence_history=[], stacks=[])
    try:
        out = crm_mon.run(["-1", "--inactive", "--output-as=xml"], ok_rc=(0, _crm_mon.NOT_CONNECTED),
                          message="crm_mon failed").stdout
        try:
            facts = _crm_mon.parse_crm_mon(out)
        except _crm_mon.StatusParseError as e:
            module.fail_json(msg=str(e), stdout=out)
        if not facts["connected"]:
            result["status_message"] = facts["status_message"]
            result["errors"] = facts["errors"]
            result["report"] = _report.build_report(facts)
            module.exit_json(**result)
        result.update(
            running=True,
            dc=facts["dc"],
            quorum=facts["quorum"],
            cluster_options=facts["cluster_options"],
            nodes=facts["nodes"],
            online_nodes=_crm_mon.online_nodes(facts),
            resources=facts["resources"],
            groups=facts["groups"],
            clones=facts["clones"],
            failures=facts["failures"],
            node_attributes=facts["node_attributes"],
            bans=facts["bans"],
            stacks=_crm_mon.stack_report(facts),
        )
        if module.params["cib"]:
            cibadmin = CommandRunner(module, "cibadmin", environ=environ)
            out = cibadmin.run(["--query"], message="cibadmin --query failed").stdout
            result["cib"] = _crm_mon.parse_cib(out)
        if module.params["fence_history"] and not module.params["cib_file"]:
            stonith_admin = CommandRunner(module, "stonith_admin")
            out = stonith_admin.run(["--history", "*", "--output-as=xml"],
                                    message="stonith_admin --history failed").stdout
            result["fence_history"] = _crm_mon.parse_fence_history(out)
        result["report"] = _report.build_report(
            facts, cib=result.get("cib"),
            fence_history=result["fence_history"] if module.params["fence_history"] else None)
    except CommandError as e:
        fail_from_error(module, e)
    except _crm_mon.StatusParseError as e:
        module.fail_json(msg=str(e))
    module.exit_json(**result)


def main():
    run_module()


if __name__ == "__main__":
    main()
