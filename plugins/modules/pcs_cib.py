#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: pcs_cib
short_description: Converge Pacemaker CIB objects declaratively, touching only the ones given
version_added: 0.1.0
description:
  - Converges the Pacemaker CIB objects it is given (primitives, stonith devices, groups, clones and
    promotable clones, fencing levels, constraints, cluster properties, resource and operation defaults,
    node attributes) and never touches any other object. Constraints whose ids start with
    C(drbd-fence-by-handler-), C(cli-prefer-) or C(cli-ban-) are never changed or removed.
  - Reads the live CIB with C(cibadmin --query) (or the O(cib_file)), edits a copy offline, compares
    every object in a normalised form, checks the copy with C(crm_verify), and pushes B(one) versioned
    patch (C(crm_diff) + C(cibadmin --patch)). When the CIB changed in the meantime the patch is refused
    by Pacemaker and the module reads, plans and pushes again, at most O(push_retries) times.
  - "Comparison rules: generated ids of nvpairs, operations and rules are ignored; V(Master)/V(Slave)
    equal V(Promoted)/V(Unpromoted); V(+INFINITY) equals V(INFINITY); durations compare by value
    (V(60) = V(60s) = V(1m)); rule text compares in a canonical form."
  - "Ownership rules inside an object: O(resources[].options) and O(resources[].meta) are the complete
    sets (keys not given are removed), except the meta attributes C(target-role) and C(is-managed),
    which an operator sets at run time (C(pcs resource disable), C(unmanage)) and which are kept unless
    given. For every action named in O(resources[].operations) the operations of that action are exactly
    the ones given; operations of actions not named (for example the default C(start)/C(stop) operations
    pcs adds) are kept."
  - "Ownership between objects: the module records every object it creates in the CIB itself (a
    cluster property set C(hastorage-cluster-owned), one entry per object, which Pacemaker ignores).
    An object that exists without that record was made by someone else (by hand, by C(pcs), by another
    tool): the module refuses, naming it, to change or delete it, to move a member out of or into it, or
    to move it into a group or clone of its own, unless O(adopt) names it. An object that already exists
    exactly as declared is left alone. A constraint or group of someone else's that only loses a
    resource the task deletes loses it, as with C(pcs resource delete)."
  - A constraint given without O(constraints[].id) adopts an existing constraint on the same resources
    (location on the same resource and node or rule, colocation of the same pair, order of the same
    pair, sets of the same resources), so scores can be changed without leaving a duplicate behind; a
    new one gets the id pcs would generate.
  - Refuses, before it reads the CIB, options a resource or fence agent does not take and required options
    that are missing, as its own metadata (C(crm_resource --show-metadata)) lists them, like C(pcs) without
    C(--force); deprecated names the agent still lists are accepted, and fence devices take Pacemaker's C(pcmk_*)
    options, OCF resources C(trace_ra) and C(trace_file). Options an agent's metadata marks C(private) are
    secrets, hidden like the ones recognised by name. An agent that is not installed on the node is refused;
    with O(cib_file) it is only warned about (the file may be meant for other nodes). Classes C(systemd), C(lsb)
    and C(service) have no options to check.
  - Refuses, before anything runs, a group that starts an C(IPaddr2) member before an C(nfsserver),
    C(exportfs), C(nfs-ganesha), C(samba), C(smbd) or C(winbind) member, unless O(allow_unsafe_order=true).
author:
  - hastorage.cluster contributors (@hastorage)
attributes:
  check_mode:
    support: full
    description: Reads and verifies, plans exactly what a real run changes, pushes nothing.
  diff_mode:
    support: full
    description: Before/after text of every changed object (YAML-like, one block per object, secrets redacted).
  idempotent:
    support: full
    description: A second run with the same input plans nothing and changes nothing.
options:
  cib_file:
    description:
      - Work on this CIB file instead of the live cluster (offline use, tests). It must exist
        (C(cibadmin --empty > file) makes an empty one). The file is replaced atomically.
    type: path
  secret_options:
    description:
      - More option names of O(resources) and O(stonith) whose values are secrets, hidden from every output
        and diff like the ones recognised by name - a word of the name that says so (C(password),
        C(passwd), C(passphrase), C(secret), C(token), C(apikey), C(community), C(credentials), as in
        C(snmp_priv_passwd) or C(api_token)), a key name of a secret kind (C(access_key), C(secret_key),
        C(private_key), C(api_key), C(auth_key), C(encryption_key)), C(pass) and C(hexadecimal_kg).
    type: list
    elements: str
    default: []
  adopt:
    description:
      - Ids of existing objects (resources, stonith devices, groups, clones, constraints; a fencing
        level as C(TARGET LEVEL)) made by someone else that this task may change, delete or regroup.
        Each one that the task declares is recorded as owned from then on; an id the task does not
        declare is ignored.
      - Clusters configured by a version of this collection that did not record ownership need their
        ids here once.
    type: list
    elements: str
    default: []
  allow_unsafe_order:
    description: Allow a group whose IPaddr2 member starts before an NFS, Samba or winbind member.
    type: bool
    default: false
  push_retries:
    description: How often to re-read, re-plan and push again when the live CIB changed meanwhile (0 or more).
    type: int
    default: 5
  resources:
    description: Primitive resources.
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: Resource id.
        type: str
        required: true
      agent:
        description:
          - The agent, C(class:provider:type) or C(class:type), for example V(ocf:heartbeat:IPaddr2),
            V(systemd:smbd), V(lsb:foo). For O(stonith) the fence agent name, for example V(fence_ipmilan).
          - Required with O(resources[].state=present).
        type: str
      options:
        description:
          - Instance attributes (the agent's parameters), the complete set. Values of names like
            C(password), C(passwd), C(secret) are hidden from logs and diffs.
        type: dict
        default: {}
      meta:
        description: Meta attributes, the complete set apart from C(target-role) and C(is-managed).
        type: dict
        default: {}
      operations:
        description: Operations. For each action named here the list is the complete set of that action.
        type: list
        elements: dict
        default: []
        suboptions:
          action:
            description: Operation name (V(monitor), V(start), V(promote), ...).
            type: str
            required: true
          interval:
            description: Interval (V(0s) when not given).
            type: str
          timeout:
            description: Timeout.
            type: str
          role:
            description: Role the operation applies to (V(Promoted), V(Unpromoted); V(Master)/V(Slave) accepted).
            type: str
          on_fail:
            description: C(on-fail) policy.
            type: str
          start_delay:
            description: C(start-delay).
            type: str
          interval_origin:
            description: C(interval-origin).
            type: str
          record_pending:
            description: C(record-pending).
            type: bool
          enabled:
            description: C(enabled).
            type: bool
          options:
            description: Further op attributes, name to value.
            type: dict
            default: {}
      state:
        description: V(absent) removes the resource and the constraints that would be left pointing at it.
        type: str
        choices: [present, absent]
        default: present
  stonith:
    description: Fencing devices; same fields as O(resources), O(stonith[].agent) is the fence agent name.
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: Resource id.
        type: str
        required: true
      agent:
        description:
          - The agent, C(class:provider:type) or C(class:type), for example V(ocf:heartbeat:IPaddr2),
            V(systemd:smbd), V(lsb:foo). For O(stonith) the fence agent name, for example V(fence_ipmilan).
          - Required with O(resources[].state=present).
        type: str
      options:
        description:
          - Instance attributes (the agent's parameters), the complete set. Values of names like
            C(password), C(passwd), C(secret) are hidden from logs and diffs.
        type: dict
        default: {}
      meta:
        description: Meta attributes, the complete set apart from C(target-role) and C(is-managed).
        type: dict
        default: {}
      operations:
        description: Operations. For each action named here the list is the complete set of that action.
        type: list
        elements: dict
        default: []
        suboptions:
          action:
            description: Operation name (V(monitor), V(start), V(promote), ...).
            type: str
            required: true
          interval:
            description: Interval (V(0s) when not given).
            type: str
          timeout:
            description: Timeout.
            type: str
          role:
            description: Role the operation applies to (V(Promoted), V(Unpromoted); V(Master)/V(Slave) accepted).
            type: str
          on_fail:
            description: C(on-fail) policy.
            type: str
          start_delay:
            description: C(start-delay).
            type: str
          interval_origin:
            description: C(interval-origin).
            type: str
          record_pending:
            description: C(record-pending).
            type: bool
          enabled:
            description: C(enabled).
            type: bool
          options:
            description: Further op attributes, name to value.
            type: dict
            default: {}
      state:
        description: V(absent) removes the resource and the constraints that would be left pointing at it.
        type: str
        choices: [present, absent]
        default: present
  groups:
    description: Groups. Members start in list order, bottom-up, and stop in reverse order.
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: Group id.
        type: str
        required: true
      members:
        description:
          - Primitive ids in start order; each one is in O(resources) or already in the CIB.
            A primitive is moved into the group; one no longer listed moves to the top level.
        type: list
        elements: str
        default: []
      meta:
        description: Meta attributes of the group.
        type: dict
        default: {}
      state:
        description: V(absent) ungroups (the members stay unless they are absent too).
        type: str
        choices: [present, absent]
        default: present
  clones:
    description: Clones and promotable clones of a primitive or a group.
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: Clone id. Default C(<resource>-clone).
        type: str
      resource:
        description: The primitive or group to clone.
        type: str
        required: true
      promotable:
        description: A promotable clone (meta C(promotable=true)).
        type: bool
        default: false
      meta:
        description: Meta attributes (C(promoted-max), C(clone-max), C(notify), ...).
        type: dict
        default: {}
      state:
        description: V(absent) unclones (the resource stays unless it is absent too).
        type: str
        choices: [present, absent]
        default: present
  fencing_levels:
    description: Fencing topology levels.
    type: list
    elements: dict
    default: []
    suboptions:
      target:
        description: Node name.
        type: str
        required: true
      level:
        description: Level index, 1 to 9.
        type: int
        required: true
      devices:
        description: Stonith device ids tried together at this level.
        type: list
        elements: str
        default: []
      state:
        description: Present or absent.
        type: str
        choices: [present, absent]
        default: present
  constraints:
    description: Location, colocation and order constraints.
    type: list
    elements: dict
    default: []
    suboptions:
      type:
        description: Constraint type.
        type: str
        required: true
        choices: [location, colocation, order]
      id:
        description:
          - Constraint id. Without it an existing constraint on the same resources is adopted, or the
            id pcs would generate is used. Ids starting with C(drbd-fence-by-handler-), C(cli-prefer-)
            or C(cli-ban-) are refused.
        type: str
      resource:
        description: The constrained resource (location, colocation).
        type: str
      node:
        description: Node of a location constraint (or use O(constraints[].rule)).
        type: str
      rule:
        description:
          - "pcs rule text of a location constraint, for example V(ethmonitor-eth0 ne 1),
            V(defined pingd and pingd gt 0), V(#uname eq node1 or #uname eq node2)."
          - "Supported are C(attr lt|gt|lte|gte|eq|ne [string|integer|number|version] value),
            C(defined attr), C(not_defined attr), C(and), C(or) and parentheses."
        type: str
      score:
        description: Score, an integer, V(INFINITY) or V(-INFINITY). Default V(INFINITY) (location, colocation).
        type: raw
      role:
        description: Role of O(constraints[].resource) (location, colocation).
        type: str
      resource_discovery:
        description: C(resource-discovery) of a location constraint.
        type: str
        choices: [always, never, exclusive]
      with:
        description: The resource O(constraints[].resource) is placed with (colocation).
        type: str
      with_role:
        description: Role of O(constraints[].with) (colocation), for example V(Promoted).
        type: str
      first:
        description: Resource that acts first (order).
        type: str
      first_action:
        description: Action of O(constraints[].first) (order); default V(start).
        type: str
        choices: [start, stop, promote, demote]
      then:
        description: Resource that acts after it (order).
        type: str
      then_action:
        description: Action of O(constraints[].then) (order); default the first action.
        type: str
        choices: [start, stop, promote, demote]
      kind:
        description: Order kind.
        type: str
        choices: [Optional, Mandatory, Serialize]
      symmetrical:
        description: Order is also applied in reverse for stopping.
        type: bool
      sets:
        description: Resource sets (colocation, order) instead of the single-resource fields.
        type: list
        elements: dict
        suboptions:
          resources:
            description: Resource ids in the set.
            type: list
            elements: str
            required: true
          sequential:
            description: Members are ordered/colocated among themselves.
            type: bool
          require_all:
            description: C(require-all).
            type: bool
          role:
            description: Role of the set members.
            type: str
          action:
            description: Action of the set members (order).
            type: str
            choices: [start, stop, promote, demote]
      state:
        description:
          - Present or absent. An absent constraint with an O(constraints[].id) is removed by that id
            alone (like C(pcs constraint delete ID)); without one, by what it constrains.
        type: str
        choices: [present, absent]
        default: present
  properties:
    description: Cluster properties (C(cib-bootstrap-options)); only the names given are managed, V(null) removes one.
    type: dict
    default: {}
  resource_defaults:
    description: Resource defaults (C(rsc_defaults)); only the names given are managed, V(null) removes one.
    type: dict
    default: {}
  operation_defaults:
    description: Operation defaults (C(op_defaults)); only the names given are managed, V(null) removes one.
    type: dict
    default: {}
  node_attributes:
    description: Permanent node attributes (C(nodes) section). The node must already be in the CIB.
    type: list
    elements: dict
    default: []
    suboptions:
      node:
        description: Node name (C(uname)).
        type: str
        required: true
      name:
        description: Attribute name.
        type: str
        required: true
      value:
        description: Attribute value (required when present).
        type: raw
      state:
        description: Present or absent.
        type: str
        choices: [present, absent]
        default: present
notes:
  - Bundles are not managed (they are left untouched).
  - Needs C(cibadmin), C(crm_diff) and C(crm_verify) (Debian C(pacemaker-cli-utils)); pcs is not needed.
seealso:
  - name: Pacemaker Explained, the CIB reference
    description: Meaning of every CIB element and attribute.
    link: https://clusterlabs.org/pacemaker/doc/2.1/Pacemaker_Explained/html/
"""

EXAMPLES = r"""
- name: NFS share on top of a DRBD promotable clone, VIP last
  hastorage.cluster.pcs_cib:
    resources:
      - id: drbd_r0
        agent: ocf:linbit:drbd
        options: {drbd_resource: r0}
        operations:
          - {action: monitor, interval: 29s, role: Promoted}
          - {action: monitor, interval: 31s, role: Unpromoted}
      - id: fs_data
        agent: ocf:heartbeat:Filesystem
        options: {device: /dev/drbd0, directory: /srv/data, fstype: xfs}
      - id: nfs_data
        agent: ocf:heartbeat:nfsserver
        options: {nfs_shared_infodir: /srv/data/nfsinfo}
      - id: vip_data
        agent: ocf:heartbeat:IPaddr2
        options: {ip: 192.0.2.10, cidr_netmask: 24}
    clones:
      - {resource: drbd_r0, promotable: true, meta: {promoted-max: 1, notify: true}}
    groups:
      - {id: g_data, members: [fs_data, nfs_data, vip_data]}
    constraints:
      - {type: colocation, resource: g_data, with: drbd_r0-clone, with_role: Promoted}
      - {type: order, first: drbd_r0-clone, first_action: promote, then: g_data, then_action: start}
      - {type: location, resource: g_data, node: node1, score: 50}
    properties: {stonith-enabled: true, no-quorum-policy: stop}
    resource_defaults: {resource-stickiness: 100}

- name: IPMI fencing, the password stays out of logs and diffs
  hastorage.cluster.pcs_cib:
    stonith:
      - id: fence_node1
        agent: fence_ipmilan
        options: {ip: 10.0.0.11, username: admin, password: "{{ ipmi_password }}", lanplus: 1, pcmk_host_list: node1}
    fencing_levels:
      - {target: node1, level: 1, devices: [fence_node1]}
    constraints:
      - {type: location, resource: fence_node1, node: node1, score: -INFINITY}

- name: Keep the group off nodes whose link is down
  hastorage.cluster.pcs_cib:
    constraints:
      - {type: location, resource: g_data, rule: "not_defined ethmonitor-eth0 or ethmonitor-eth0 ne 1", score: -INFINITY}

- name: Remove one resource (and the constraints that point at it), nothing else
  hastorage.cluster.pcs_cib:
    resources:
      - {id: old_vip, state: absent}

- name: Work on a CIB file offline
  hastorage.cluster.pcs_cib:
    cib_file: /tmp/cib.xml
    properties: {stonith-enabled: false}
"""

RETURN = r"""
actions:
  description: The planned changes, one line per object (secret values never appear).
  returned: always
  type: list
  elements: str
  sample:
    - "create primitive vip_data"
    - "update group g_data (members)"
    - "update property no-quorum-policy (value)"
    - "delete constraint location-old_vip-node1-50"
objects:
  description: Per changed object its key and its normalised state before and after (secrets redacted).
  returned: always
  type: list
  elements: dict
  sample:
    - key: primitive vip_data
      action: create
      before: null
      after: {agent: "ocf:heartbeat:IPaddr2", options: {ip: 192.0.2.10, cidr_netmask: "24"}, meta: {}, operations: []}
retries:
  description: How often the push was repeated because the live CIB changed meanwhile.
  returned: always
  type: int
  sample: 0
diff:
  description: With C(--diff), the changed objects as text before and after.
  returned: when diff mode is on
  type: dict
  sample:
    before: "group g_data:\n  members:\n    - fs_data\n"
    after: "group g_data:\n  members:\n    - fs_data\n    - vip_data\n"
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hastorage.cluster.plugins.module_utils._runner import CommandError, fail_from_error
from ansible_collections.hastorage.cluster.plugins.module_utils import _agent_meta
from ansible_collections.hastorage.cluster.plugins.module_utils import _cib
from ansible_collections.hastorage.cluster.plugins.module_utils import _pcs

STATE = dict(type="str", choices=["present", "absent"], default="present")


def _primitive_spec():
    return dict(
        id=dict(type="str", required=True),
        agent=dict(type="str"),
        options=dict(type="dict", default={}),
        meta=dict(type="dict", default={}),
        operations=dict(type="list", elements="dict", default=[], options=dict(
            action=dict(type="str", required=True),
            interval=dict(type="str"),
            timeout=dict(type="str"),
            role=dict(type="str"),
            on_fail=dict(type="str"),
            start_delay=dict(type="str"),
            interval_origin=dict(type="str"),
            record_pending=dict(type="bool"),
            enabled=dict(type="bool"),
            options=dict(type="dict", default={}),
        )),
        state=dict(STATE),
    )


ACTION_CHOICES = ["start", "stop", "promote", "demote"]

ARGUMENT_SPEC = dict(
    cib_file=dict(type="path"),
    secret_options=dict(type="list", elements="str", default=[], no_log=False),
    allow_unsafe_order=dict(type="bool", default=False),
    adopt=dict(type="list", elements="str", default=[]),
    push_retries=dict(type="int", default=5),
    resources=dict(type="list", elements="dict", default=[], options=_primitive_spec()),
    stonith=dict(type="list", elements="dict", default=[], options=_primitive_spec()),
    groups=dict(type="list", elements="dict", default=[], options=dict(
        id=dict(type="str", required=True),
        members=dict(type="list", elements="str", default=[]),
        meta=dict(type="dict", default={}),
        state=dict(STATE),
    )),
    clones=dict(type="list", elements="dict", default=[], options=dict(
        id=dict(type="str"),
        resource=dict(type="str", required=True),
        promotable=dict(type="bool", default=False),
        meta=dict(type="dict", default={}),
        state=dict(STATE),
    )),
    fencing_levels=dict(type="list", elements="dict", default=[], options=dict(
        target=dict(type="str", required=True),
        level=dict(type="int", required=True),
        devices=dict(type="list", elements="str", default=[]),
        state=dict(STATE),
    )),
    constraints=dict(type="list", elements="dict", default=[], options=dict(
        type=dict(type="str", required=True, choices=["location", "colocation", "order"]),
        id=dict(type="str"),
        resource=dict(type="str"),
        node=dict(type="str"),
        rule=dict(type="str"),
        score=dict(type="raw"),
        role=dict(type="str"),
        resource_discovery=dict(type="str", choices=["always", "never", "exclusive"]),
        with_role=dict(type="str"),
        first=dict(type="str"),
        first_action=dict(type="str", choices=ACTION_CHOICES),
        then=dict(type="str"),
        then_action=dict(type="str", choices=ACTION_CHOICES),
        kind=dict(type="str", choices=["Optional", "Mandatory", "Serialize"]),
        symmetrical=dict(type="bool"),
        sets=dict(type="list", elements="dict", options=dict(
            resources=dict(type="list", elements="str", required=True),
            sequential=dict(type="bool"),
            require_all=dict(type="bool"),
            role=dict(type="str"),
            action=dict(type="str", choices=ACTION_CHOICES),
        )),
        state=dict(STATE),
        **{"with": dict(type="str")}
    )),
    properties=dict(type="dict", default={}),
    resource_defaults=dict(type="dict", default={}),
    operation_defaults=dict(type="dict", default={}),
    node_attributes=dict(type="list", elements="dict", default=[], options=dict(
        node=dict(type="str", required=True),
        name=dict(type="str", required=True),
        value=dict(type="raw"),
        state=dict(STATE),
    )),
)


def hide_secrets(module):
    """Register secret option values so Ansible masks them in every output."""
    _cib.register_secret_names(module.params.get("secret_options"))
    for key in ("resources", "stonith"):
        for item in module.params.get(key) or []:
            for name, value in (item.get("options") or {}).items():
                if _cib.is_secret(name) and value not in (None, ""):
                    module.no_log_values.add(str(value))


def check_agents(module, desired):
    """Refuse options the resource and fence agents do not take, required ones missing, agents not installed."""
    agents = _agent_meta.agents_to_check(desired)
    if not agents:
        return
    try:
        found, missing, available = _pcs.agent_metadata(module, agents)
    except CommandError as e:
        fail_from_error(module, e)
    if not available:
        module.warn("crm_resource is not installed here: the resource and fence agents' options were not checked")
        return
    # options an agent marks private are secrets too: hidden from every output, like the ones known by name
    private = _agent_meta.private_names(found)
    if private:
        _cib.register_secret_names(private)
        for _field, p in [user for users in agents.values() for user in users]:
            for name, value in p["options"].items():
                if name in private and value not in (None, ""):
                    module.no_log_values.add(str(value))
    errors = []
    for agent, said in sorted(missing.items()):
        users = ", ".join("%s[%s]" % (field, p["id"]) for field, p in agents[agent])
        if module.params["cib_file"]:
            # an offline file may be meant for nodes with other agents than this host
            module.warn("%s: agent %s is not installed here (%s): its options were not checked" % (users, agent, said))
        else:
            errors.append("%s: agent %s is not installed on this node (crm_resource --show-metadata: %s)"
                          % (users, agent, said))
    errors.extend(_agent_meta.input_errors(desired, found))
    if errors:
        module.fail_json(msg="; ".join(errors))


def build_result(outcome, diff_mode):
    changes = outcome["observed"] if outcome["changed"] else []
    result = {
        "changed": outcome["changed"],
        "actions": _cib.action_lines(outcome["changes"]),
        "objects": [{"key": ch["key"], "action": ch["action"],
                     "before": _cib.redact_snapshot(ch["before"]),
                     "after": _cib.redact_snapshot(ch["after"])} for ch in outcome["changes"]],
        "retries": outcome["retries"],
    }
    if diff_mode:
        result["diff"] = _cib.render_diff(changes)
    return result


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    hide_secrets(module)
    if module.params["push_retries"] < 0:
        module.fail_json(msg="push_retries must be 0 or more, got %d" % module.params["push_retries"])
    try:
        desired = _cib.normalise_input(module.params)
    except _cib.CibError as e:
        module.fail_json(msg=str(e))
    if desired["properties"]:
        # every property checked against the options this node's Pacemaker knows, before anything is read
        try:
            metadata = _pcs.cluster_option_metadata(module)
            errors = _cib.property_errors(desired["properties"], _cib.cluster_option_rules(metadata)) \
                if metadata else []
        except CommandError as e:
            fail_from_error(module, e)
        except _cib.CibError as e:
            module.fail_json(msg=str(e))
        if not metadata:
            module.warn("Pacemaker's daemons are not installed here: the cluster properties were not checked")
        if errors:
            module.fail_json(msg="; ".join(errors))
    check_agents(module, desired)
    session = _pcs.CibSession(module, cib_file=module.params["cib_file"])
    try:
        outcome = _pcs.converge(session, desired, module.check_mode, retries=module.params["push_retries"])
    except _cib.CibError as e:
        module.fail_json(msg=str(e))
    except CommandError as e:
        fail_from_error(module, e)
    finally:
        session.cleanup()
    for warning in outcome["warnings"]:
        module.warn(warning)
    module.exit_json(**build_result(outcome, module._diff))


if __name__ == "__main__":
    main()
