#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: pcs_cluster
short_description: Form and maintain a Corosync/Pacemaker cluster with pcs
version_added: 0.1.0
description:
  - Authenticates pcsd on the cluster nodes, creates the cluster with C(pcs cluster setup)
    (knet links with several addresses per node, transport, totem, crypto, compression and
    quorum options), starts it, and on later runs compares the live
    C(/etc/corosync/corosync.conf) with the wanted configuration and changes only what differs
    (C(pcs cluster config update), C(pcs quorum update), C(pcs cluster link add|update|delete),
    C(pcs cluster node add|remove)).
  - Before it contacts any node (C(pcs host auth) included) it refuses what pcs 0.11 would refuse
    at setup, naming the field - a cluster name other than 1 to 32 letters, digits, C(_) or C(-), node
    names or addresses with blanks, braces or a prefix length, a link mixing IPv4 and IPv6, unknown
    options of O(totem), O(quorum), O(crypto), O(compression), O(transport_options) and O(links), and
    values they cannot take (a non-numeric or negative C(token), a port out of range, a C(cipher) pcs
    does not know). The filter P(hastorage.cluster.pcs_cluster_errors#filter) makes the same checks for a role.
  - The live configuration is read with C(pcs cluster config --output-format=json) and the
    file itself (for C(two_node), which pcs hides).
  - Options the user does not give are never changed or removed.
  - Run it on one node of the cluster (or of the future cluster).
author:
  - hastorage.cluster contributors (@hastorage)
attributes:
  check_mode:
    support: full
    description: Predicts every command from the plan; nothing is run that changes state.
  diff_mode:
    support: full
    description: Shows the cluster configuration (nodes, links, options) before and after.
  idempotent:
    support: full
    description: A second run with the same input plans nothing and runs no mutating command.
options:
  name:
    description: Cluster name. A live cluster with another name is never renamed.
    type: str
    required: true
  nodes:
    description: The cluster nodes. Link N of every node uses the node's N-th address.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Node name as the cluster knows it.
        type: str
        required: true
      addresses:
        description: Link addresses, link 0 first. All nodes need the same number.
        type: list
        elements: str
        default: []
      pcsd_address:
        description: Address pcs uses to reach pcsd on the node. Default the first link address, else the name.
        type: str
  transport:
    description: Corosync transport. It cannot be changed on a live cluster.
    type: str
    choices: [knet, udp, udpu]
    default: knet
  transport_options:
    description: Transport options (C(ip_version), C(link_mode), C(knet_pmtud_interval), C(netmtu)).
    type: dict
    default: {}
  links:
    description: Per-link options; each item has C(linknumber) and knet link options such as C(link_priority).
    type: list
    elements: dict
    default: []
  totem:
    description: Totem options such as C(token) and C(consensus) (milliseconds).
    type: dict
    default: {}
  crypto:
    description: Crypto options (C(cipher), C(hash), C(model)).
    type: dict
    default: {}
  compression:
    description: Compression options (C(model), C(level), C(threshold)).
    type: dict
    default: {}
  quorum:
    description:
      - Quorum options (C(wait_for_all), C(auto_tie_breaker), C(last_man_standing), C(last_man_standing_window)).
      - C(two_node) is managed by pcs (on with exactly two nodes and no auto_tie_breaker); giving a value that
        contradicts that is an error.
      - Changing quorum options needs the whole cluster stopped, see O(allow_cluster_restart).
    type: dict
    default: {}
  auth_username:
    description: pcsd user used by C(pcs host auth).
    type: str
    default: hacluster
  auth_password:
    description:
      - Password of O(auth_username). When given, nodes whose pcsd is unknown, known at another address or
        not C(Online) in C(pcs status pcsd) are authenticated with C(pcs host auth).
      - The password goes to C(pcs host auth) on its standard input, never on its command line (where every
        process of the node could read it).
    type: str
  pcsd_port:
    description: pcsd port.
    type: int
    default: 2224
  state:
    description:
      - V(started) also starts the cluster on every listed node where Pacemaker does not run.
      - V(configured) only writes the configuration.
    type: str
    choices: [started, configured]
    default: started
  enable:
    description: Enable the cluster at boot when it is created or a node is added.
    type: bool
    default: true
  wait:
    description: Seconds C(pcs cluster start --wait) and C(pcs cluster node add --wait) wait for the cluster.
    type: int
    default: 120
  no_keys_sync:
    description:
      - Pass C(--no-keys-sync) to C(pcs cluster setup), for when the corosync authkey and the pcsd certificates
        are distributed by other means (the pacemaker role does that).
    type: bool
    default: false
  initial_properties:
    description:
      - Cluster properties written into the CIB of this node B(before the first start) of a new cluster,
        for example C(dc-deadtime=3s), so the first DC election does not wait the default 20 s.
      - Written only when Pacemaker does not run here and O(cib_seed_file) does not exist (C(pcs cluster setup)
        removes it), so a cluster that ever ran is never touched; manage properties with
        M(hastorage.cluster.pcs_cib).
      - B(Every node must start from the same bytes.) Before the first DC exists, each node applies the
        cluster's CIB requests to its own copy, so a node that starts from another CIB stays a version
        ahead of the others; when one of the others becomes DC, its CIB is refused by that node for good
        and every change pushed through it fails on the DC. The text written is returned as
        RV(seeded_cib); copy it to the same path on every other node before the start (the pacemaker
        role does).
    type: dict
    default: {}
  allow_node_removal:
    description: Remove live cluster nodes that are not listed in O(nodes). Without it the module refuses.
    type: bool
    default: false
  allow_cluster_restart:
    description:
      - Some changes (quorum options, addresses or options of an existing link, C(ip_version)) need every node
        stopped. With V(true) the module stops the whole cluster, applies them and starts it again; without it
        the module refuses and names the changes.
    type: bool
    default: false
  setup_mode:
    description:
      - How a new cluster (no corosync.conf on this node) is created.
      - V(pcsd) runs C(pcs cluster setup) through pcsd, which first checks every node and destroys any earlier
        cluster configuration on it (C(pcs cluster destroy)), then sends corosync.conf to all of them. On slow
        nodes this takes 15 to 40 s, most of it the destroy.
      - V(local) writes corosync.conf on this node only (C(pcs cluster setup --corosync_conf), pcs's local only
        mode), sends it to every node with C(pcs cluster sync corosync) and, with O(enable), enables the
        cluster at boot with C(pcs cluster enable --all), in about 3 s. Nothing is destroyed, so B(the caller
        must make sure no node holds an earlier cluster's files) (a CIB in C(/var/lib/pacemaker/cib)); the
        pacemaker role looks for them and runs C(pcs cluster destroy) only on the nodes that hold them.
    type: str
    choices: [pcsd, local]
    default: pcsd
  corosync_conf:
    description: Path of the live corosync.conf.
    type: path
    default: /etc/corosync/corosync.conf
  known_hosts_file:
    description: pcs known-hosts file (only names and addresses are read, never the tokens).
    type: path
    default: /var/lib/pcsd/known-hosts
  cib_seed_file:
    description: Where Pacemaker reads its CIB at the first start (used for O(initial_properties)).
    type: path
    default: /var/lib/pacemaker/cib/cib.xml
  request_timeout:
    description:
      - Seconds pcs waits for each pcsd answer (C(--request-timeout)) in the commands that talk to pcsd;
        V(0) keeps the pcs default of 60 s. Raise it on slow or loaded hosts, where C(pcs cluster setup)
        (which first destroys any old cluster on every node) can take longer.
    type: int
    default: 0
seealso:
  - module: hastorage.cluster.pcs_cib
  - module: hastorage.cluster.pacemaker_info
notes:
  - Renaming a cluster or changing its transport needs C(pcs cluster destroy); the module never does that.
"""

EXAMPLES = r"""
- name: Form a three-node cluster with two knet links
  hastorage.cluster.pcs_cluster:
    name: nas
    nodes:
      - {name: node1, addresses: [10.0.0.11, 10.1.0.11]}
      - {name: node2, addresses: [10.0.0.12, 10.1.0.12]}
      - {name: node3, addresses: [10.0.0.13, 10.1.0.13]}
    links:
      - {linknumber: 1, link_priority: 10}
    totem: {token: 3000}
    quorum: {wait_for_all: true}
    auth_password: "{{ vault_hacluster_password }}"
    initial_properties: {dc-deadtime: 3s}
  run_once: true

- name: Change the token timeout on the running cluster (no restart needed)
  hastorage.cluster.pcs_cluster:
    name: nas
    nodes: "{{ cluster_nodes }}"
    totem: {token: 1000}
  run_once: true
"""

RETURN = r"""
actions:
  description: The planned changes, one line each.
  returned: always
  type: list
  elements: str
  sample: ["update totem.token", "add node node3"]
commands:
  description: The pcs commands run (or that would run in check mode); passwords are masked.
  returned: always
  type: list
  elements: str
  sample: ["pcs cluster config update totem token=1000"]
authenticated:
  description: Nodes that were (re-)authenticated with pcs host auth.
  returned: always
  type: list
  elements: str
  sample: [node3]
started:
  description: Nodes the cluster was started on.
  returned: always
  type: list
  elements: str
  sample: [node2]
online:
  description:
    - Nodes Pacemaker reported online before this run changed anything (empty when the cluster did not run).
      With every wanted node here and nothing stopped, a later O(state=started) call has nothing to start.
  returned: always
  type: list
  elements: str
  sample: [node1, node2]
created:
  description: This run created the cluster (C(pcs cluster setup) ran, or would run in check mode).
  returned: always
  type: bool
  sample: true
seeded_cib:
  description:
    - The CIB written to O(cib_seed_file) for O(initial_properties), byte for byte; every other node needs the
      same file before Pacemaker first starts there.
  returned: when the CIB was seeded on this node (not in check mode)
  type: str
  sample: '<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">...</cib>'
config:
  description: The cluster configuration after the run (predicted in check mode).
  returned: always
  type: dict
  sample: {cluster_name: nas, transport: knet, totem: {token: "1000"}, nodes: [{name: node1, addresses: [10.0.0.11]}]}
"""

import os
import shlex
import xml.etree.ElementTree as ET

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hastorage.cluster.plugins.module_utils._runner import (
    CommandError,
    CommandRunner,
    apply_actions,
)
from ansible_collections.hastorage.cluster.plugins.module_utils import _corosync
from ansible_collections.hastorage.cluster.plugins.module_utils import _crm_mon


def argument_spec():
    return dict(
        name=dict(type="str", required=True),
        nodes=dict(type="list", elements="dict", required=True, options=dict(
            name=dict(type="str", required=True),
            addresses=dict(type="list", elements="str", default=[]),
            pcsd_address=dict(type="str"),
        )),
        transport=dict(type="str", choices=["knet", "udp", "udpu"], default="knet"),
        transport_options=dict(type="dict", default={}),
        links=dict(type="list", elements="dict", default=[]),
        totem=dict(type="dict", default={}),
        crypto=dict(type="dict", default={}),
        compression=dict(type="dict", default={}),
        quorum=dict(type="dict", default={}),
        auth_username=dict(type="str", default="hacluster"),
        auth_password=dict(type="str", no_log=True),
        pcsd_port=dict(type="int", default=2224),
        state=dict(type="str", choices=["started", "configured"], default="started"),
        enable=dict(type="bool", default=True),
        wait=dict(type="int", default=120),
        no_keys_sync=dict(type="bool", default=False),
        initial_properties=dict(type="dict", default={}),
        allow_node_removal=dict(type="bool", default=False),
        allow_cluster_restart=dict(type="bool", default=False),
        setup_mode=dict(type="str", choices=["pcsd", "local"], default="pcsd"),
        corosync_conf=dict(type="path", default="/etc/corosync/corosync.conf"),
        known_hosts_file=dict(type="path", default="/var/lib/pcsd/known-hosts"),
        cib_seed_file=dict(type="path", default="/var/lib/pacemaker/cib/cib.xml"),
        request_timeout=dict(type="int", default=0),
    )


class ClusterHandler:
    """Runs and parses pcs / crm_mon / cibadmin; nothing here decides."""

    def __init__(self, module):
        self.module = module
        self.pcs = CommandRunner(module, "pcs")
        self.commands = []
        self.secret = module.params["auth_password"]
        self.request_timeout = module.params["request_timeout"]

    def _show(self, argv):
        text = "pcs " + " ".join(shlex.quote(a) for a in argv)
        if self.secret:
            text = text.replace(self.secret, "********")
        return text

    def full_argv(self, argv):
        argv = list(argv)
        if self.request_timeout and argv[:2] != ["cluster", "setup"]:
            # pcs 0.11 cluster setup has no --request-timeout (it uses 60 s)
            argv.append("--request-timeout=%d" % self.request_timeout)
        return argv

    def record(self, argv):
        """Add ``pcs argv`` (as it runs, the password masked) to ``commands``; returns the full argv."""
        argv = self.full_argv(argv)
        self.commands.append(self._show(argv))
        return argv

    def run(self, argv, message, data=None):
        argv = self.record(argv)
        return self.pcs.run(argv, mutating=True, message=message, data=data)

    def read_config(self, path):
        """The normalised model of the live corosync.conf, or None without one."""
        if not os.path.exists(path):
            return None
        with open(path) as handle:
            text = handle.read()
        try:
            tree = _corosync.parse_corosync_conf(text)
        except _corosync.CorosyncParseError as e:
            self.module.fail_json(msg="cannot parse %s: %s" % (path, e))
        two_node = _corosync.config_from_corosync_tree(tree)["quorum"].get("two_node")
        result = self.pcs.run(["cluster", "config", "--output-format=json", "--corosync_conf", path],
                              message="cannot read the cluster configuration")
        return _corosync.config_from_pcs_json(result.stdout, two_node=two_node)

    def pacemaker_status(self):
        """crm_mon facts, or None when Pacemaker does not run on this node."""
        crm_mon = CommandRunner(self.module, "crm_mon")
        result = crm_mon.run(["-1", "--inactive", "--output-as=xml"], ok_rc=(0, _crm_mon.NOT_CONNECTED),
                             message="crm_mon failed")
        facts = _crm_mon.parse_crm_mon(result.stdout)
        return facts if facts["connected"] else None

    def known_hosts(self, path):
        if not os.path.exists(path):
            return {}
        with open(path) as handle:
            return _corosync.parse_known_hosts(handle.read())

    def pcsd_status(self, names):
        argv = ["status", "pcsd"] + names
        if self.request_timeout:
            argv.append("--request-timeout=%d" % self.request_timeout)
        result = self.pcs.run(argv, ok_rc=(0, 1), message="pcs status pcsd failed")
        return _corosync.parse_pcsd_status(result.stdout)

    def seed_cib(self, path, properties):
        """Write the CIB Pacemaker loads at its first start, with ``properties`` set."""
        cibadmin = CommandRunner(self.module, "cibadmin")
        empty = cibadmin.run(["--empty"], message="cibadmin --empty failed").stdout
        root = ET.fromstring(empty)
        crm_config = root.find("configuration/crm_config")
        prop_set = ET.SubElement(crm_config, "cluster_property_set", {"id": "cib-bootstrap-options"})
        for name in sorted(properties):
            ET.SubElement(prop_set, "nvpair", {
                "id": "cib-bootstrap-options-%s" % name,
                "name": name,
                "value": _corosync.option_value(properties[name]),
            })
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o750)
        for stale in (path + ".sig",):
            if os.path.exists(stale):
                os.unlink(stale)
        text = ET.tostring(root, encoding="unicode")
        with open(path, "w") as handle:
            handle.write(text)
        os.chmod(path, 0o600)
        try:
            import grp
            import pwd
            uid = pwd.getpwnam("hacluster").pw_uid
            gid = grp.getgrnam("haclient").gr_gid
        except (ImportError, KeyError):
            return text
        if os.geteuid() == 0:
            os.chown(path, uid, gid)
        return text


def pcsd_nodes(params):
    nodes = []
    for node in params["nodes"]:
        address = node.get("pcsd_address") or (node["addresses"][0] if node["addresses"] else node["name"])
        nodes.append({"name": node["name"], "pcsd_address": address})
    return nodes


def run_module():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    handler = ClusterHandler(module)
    result = dict(changed=False, actions=[], commands=handler.commands, authenticated=[], started=[], online=[])

    # everything pcs would refuse, before any node is contacted (pcs host auth included)
    errors = _corosync.params_errors(params)
    if errors:
        module.fail_json(msg="; ".join(errors), **result)
    wanted = _corosync.desired_config(params)

    def perform(action):
        """One action of the plan, outside check mode."""
        if "started" in action:
            result["started"] = action["started"]
        if "seed" in action:
            result["seeded_cib"] = handler.seed_cib(params["cib_seed_file"], action["seed"])
        else:
            handler.run(action["argv"], action["message"], data=action.get("data"))
        if "authenticated" in action:
            result["authenticated"] = action["authenticated"]
        result["actions"].append(action["text"])

    def report(action):
        """The same action in check mode: recorded, not performed."""
        for key in ("started", "authenticated"):
            if key in action:
                result[key] = action[key]
        if "argv" in action:
            handler.record(action["argv"])
        result["actions"].append(action["text"])

    try:
        # 1. pcsd authentication: query, plan, apply
        if params["auth_password"]:
            nodes = pcsd_nodes(params)
            known = handler.known_hosts(params["known_hosts_file"])
            known_names = [n["name"] for n in nodes if n["name"] in known]
            status = handler.pcsd_status(known_names) if known_names else {}
            need = _corosync.plan_auth(nodes, known, status, port=params["pcsd_port"])
            apply_actions(module, _corosync.auth_actions(nodes, need, params["pcsd_port"], params["auth_username"],
                                                         params["auth_password"]), perform, report)

        # 2. configuration and start: query, plan, apply, re-query
        current = handler.read_config(params["corosync_conf"])
        try:
            plan = _corosync.plan_cluster(current, wanted, allow_node_removal=params["allow_node_removal"],
                                          wait=params["wait"], enable=params["enable"],
                                          no_keys_sync=params["no_keys_sync"],
                                          local_setup_path=(params["corosync_conf"]
                                                            if params["setup_mode"] == "local" else None))
        except _corosync.PlanError as e:
            module.fail_json(msg=str(e), **result)
        status = handler.pacemaker_status() if current is not None else None
        online = _crm_mon.online_nodes(status) if status else []
        result["online"] = sorted(online)
        try:
            actions = _corosync.cluster_actions(
                plan, wanted, running=status is not None, online=online, current_exists=current is not None,
                state=params["state"], wait=params["wait"], allow_cluster_restart=params["allow_cluster_restart"],
                initial_properties=params["initial_properties"],
                cib_seed_exists=os.path.exists(params["cib_seed_file"]))
        except _corosync.PlanError as e:
            module.fail_json(msg=str(e), **result)
        applied = apply_actions(module, actions, perform, report)
        if not plan:
            after = current
        elif applied:
            after = handler.read_config(params["corosync_conf"])
        else:
            after = _corosync.predict_config(current, wanted)
    except CommandError as e:
        failure = e.as_result()
        if handler.secret:
            for key in ("msg", "cmd"):
                failure[key] = failure[key].replace(handler.secret, "********")
        failure.update(result)
        module.fail_json(**failure)

    result["changed"] = bool(result["actions"])
    result["created"] = any(a["kind"] == "setup" for a in plan)
    result["config"] = _corosync.model_for_diff(after)
    if module._diff:
        result["diff"] = dict(before=_corosync.model_for_diff(current), after=result["config"])
    module.exit_json(**result)


def main():
    run_module()


if __name__ == "__main__":
    main()
