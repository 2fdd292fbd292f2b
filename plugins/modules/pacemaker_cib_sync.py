#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: pacemaker_cib_sync
short_description: Check that every node holds the DC's CIB, and on request make it so
version_added: 0.2.0
description:
  - Reads the DC from C(crm_mon) and every node's own CIB through the cluster (C(cibadmin --query --node N))
    and compares each node's configuration (admin_epoch, epoch and a digest of C(<configuration>)) with the
    DC's. Differences that last longer than O(settle) seconds (a join in progress copies the CIB to every
    node) are a B(divergence).
  - Pacemaker keeps CIBs equal by version numbers only; a node whose CIB reached the DC's version or a
    higher one with other content never takes the DC's copy, and every change pushed through that node is
    then refused by the DC, so nothing ever runs. Run this after forming or joining a cluster and before
    the first change.
  - Without O(repair) a divergence fails the task, naming each node's version and digest; nothing changes.
  - With O(repair=true) every diverged node is made to hold the DC's CIB, explicitly. First the CIB each
    diverged node holds is saved on this host under O(backup_dir); then the DC's C(admin_epoch) is raised
    by one (C(cibadmin --modify), which the DC's CIB manager applies), which puts the DC's CIB above every other copy, and its epoch
    bumped once more (C(cibadmin --bump)), so that a node that is now behind asks the DC for a full copy.
    A node still diverged after O(settle) seconds has Pacemaker restarted (C(pcs cluster stop NODE),
    C(pcs cluster start NODE --wait)) and takes the DC's CIB when it rejoins. The content only the diverged
    nodes had, never run by the cluster, is then only in the backups.
author:
  - hastorage.cluster contributors (@hastorage)
attributes:
  check_mode:
    support: full
    description: Reads and reports what a repair would do; changes nothing.
  diff_mode:
    support: none
    description: The versions before and after are returned instead.
  idempotent:
    support: full
    description: Nodes that hold the DC's CIB are left alone; a second run reports no change.
options:
  nodes:
    description:
      - Nodes whose CIB must be the DC's. Empty means every node C(crm_mon) reports online.
      - A listed node that is not online fails the task.
    type: list
    elements: str
    default: []
  repair:
    description: Make every diverged node hold the DC's CIB (see the description). Without it a divergence fails.
    type: bool
    default: false
  settle:
    description: Seconds to keep re-reading before a difference counts as a divergence, and after each repair step.
    type: int
    default: 30
  start_wait:
    description: Seconds C(pcs cluster start NODE --wait) waits for a restarted node.
    type: int
    default: 120
  backup_dir:
    description: Where the CIB of each diverged node is saved (mode 0600) before a repair. An absolute path.
    type: path
    default: /var/lib/pacemaker/cib/hastorage-diverged
seealso:
  - module: hastorage.cluster.pcs_cib
  - module: hastorage.cluster.pcs_cluster
notes:
  - Needs C(crm_mon) and C(cibadmin) (Debian C(pacemaker-cli-utils)), and C(pcs) with pcsd authenticated for a
    restart during a repair.
"""

EXAMPLES = r"""
- name: Every node holds the DC's CIB (fails and names the versions otherwise)
  hastorage.cluster.pacemaker_cib_sync:
  run_once: true

- name: A cluster formed in this run may be repaired (nothing of an operator's can be in it yet)
  hastorage.cluster.pacemaker_cib_sync:
    repair: "{{ cluster_formed_now }}"
  run_once: true
"""

RETURN = r"""
dc:
  description: The DC the nodes were compared with.
  returned: always
  type: str
  sample: node3
versions:
  description: Each node's CIB before any repair, as C(admin_epoch.epoch.num_updates (configuration DIGEST)).
  returned: always
  type: dict
  sample: {node1: "0.10.8 (configuration 1a2b3c4d5e6f7a8b)", node3: "0.5.8 (configuration 9f8e7d6c5b4a3f2e)"}
diverged:
  description: Nodes whose CIB was not the DC's after O(settle) seconds.
  returned: always
  type: list
  elements: str
  sample: [node1, node2]
actions:
  description: What the repair did (or, in check mode, would do), in order.
  returned: always
  type: list
  elements: str
  sample: ["save the CIB of node1 to /var/lib/pacemaker/cib/hastorage-diverged/node1-0.10.8.xml"]
backups:
  description: Files holding the CIB of each diverged node, saved before the repair.
  returned: when a repair ran
  type: list
  elements: str
versions_after:
  description: Each node's CIB after the repair.
  returned: when a repair ran
  type: dict
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hastorage.cluster.plugins.module_utils._runner import (
    CommandError,
    CommandRunner,
    fail_from_error,
)
from ansible_collections.hastorage.cluster.plugins.module_utils import _crm_mon
from ansible_collections.hastorage.cluster.plugins.module_utils import _cib_versions

POLL_SECONDS = 2


def sleep(seconds):
    """time.sleep (replaced in unit tests)."""
    time.sleep(seconds)


def monotonic():
    """time.monotonic (replaced in unit tests)."""
    return time.monotonic()


class CibSyncHandler:
    """Every command this module runs."""

    def __init__(self, module):
        self.module = module
        self.crm_mon = CommandRunner(module, "crm_mon")
        self.cibadmin = CommandRunner(module, "cibadmin")
        self._pcs = None

    @property
    def pcs(self):
        if self._pcs is None:
            self._pcs = CommandRunner(self.module, "pcs")
        return self._pcs

    def status(self):
        out = self.crm_mon.run(["--one-shot", "--output-as=xml"], ok_rc=(0, _crm_mon.NOT_CONNECTED),
                               message="crm_mon failed").stdout
        return _crm_mon.parse_crm_mon(out)

    def node_cib(self, node):
        """The node's own CIB text, or None when it does not answer."""
        res = self.cibadmin.run(["--query", "--node", node], ok_rc=None)
        return res.stdout if res.rc == 0 else None

    def raise_dc_above_all(self):
        """Raise the DC's admin_epoch, then bump its epoch.

        A change is always made by the DC's CIB manager (the writer), so no
        ``--node``: measured on Pacemaker 2.1.5, ``--node DC`` applies a
        change but its answer never comes back (rc 124, Timer expired).
        """
        self.cibadmin.run(["--modify", "--xml-text", '<cib admin_epoch="admin_epoch++"/>'],
                          mutating=True, message="cannot raise the admin_epoch of the DC's CIB")
        self.cibadmin.run(["--bump"], mutating=True, message="cannot bump the DC's CIB")

    def restart_node(self, node, wait):
        self.pcs.run(["cluster", "stop", node, "--wait"], mutating=True,
                     message="cannot stop the cluster on %s" % node)
        self.pcs.run(["cluster", "start", node, "--wait=%d" % wait], mutating=True,
                     message="cannot start the cluster on %s" % node)


class SyncError(Exception):
    """A state in which the nodes' CIBs cannot be compared."""


def read_state(handler, wanted):
    """(dc, {node: identity or None}, {node: CIB text or None}) as the cluster reports them now."""
    facts = handler.status()
    if not facts["connected"]:
        raise SyncError("Pacemaker does not run on this node: %s" % (facts.get("status_message") or "not connected"))
    online = _crm_mon.online_nodes(facts)
    nodes = wanted or online
    offline = [n for n in nodes if n not in online]
    if offline:
        raise SyncError("these nodes are not online, so their CIB cannot be compared: %s" % ", ".join(offline))
    identities = {}
    texts = {}
    for node in nodes:
        text = handler.node_cib(node)
        texts[node] = text
        try:
            identities[node] = _cib_versions.identity(text, "the CIB of %s" % node) if text else None
        except _cib_versions.CibVersionError:
            identities[node] = None
    return facts["dc"], identities, texts


def settle(handler, wanted, seconds):
    """Re-read until no node differs from the DC, or ``seconds`` have passed."""
    deadline = monotonic() + seconds
    while True:
        dc, identities, texts = read_state(handler, wanted)
        bad = _cib_versions.diverged(identities, dc)
        if not bad or monotonic() >= deadline:
            return dc, identities, texts, bad
        sleep(POLL_SECONDS)


def versions(identities):
    return dict((n, _cib_versions.version_text(i)) for n, i in sorted(identities.items()))


def save_backups(backup_dir, texts, nodes, identities):
    if not os.path.isdir(backup_dir):
        os.makedirs(backup_dir, 0o700)
    paths = []
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    for node in nodes:
        ident = identities.get(node)
        version = "unreadable" if ident is None else "%d.%d.%d" % (
            ident["admin_epoch"], ident["epoch"], ident["num_updates"])
        path = os.path.join(backup_dir, "%s-%s-%s.xml" % (node, version, stamp))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(texts.get(node) or "")
        paths.append(path)
    return paths


def run_module():
    module = AnsibleModule(
        argument_spec=dict(
            nodes=dict(type="list", elements="str", default=[]),
            repair=dict(type="bool", default=False),
            settle=dict(type="int", default=30),
            start_wait=dict(type="int", default=120),
            backup_dir=dict(type="path", default="/var/lib/pacemaker/cib/hastorage-diverged"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    errors = ["%s must be 0 or more seconds, not %d" % (key, params[key])
              for key in ("settle", "start_wait") if params[key] < 0]
    errors += _crm_mon.node_name_errors(params["nodes"])
    if not os.path.isabs(params["backup_dir"]):
        errors.append("backup_dir must be an absolute path, got %r" % params["backup_dir"])
    if errors:
        module.fail_json(msg="; ".join(errors))
    handler = CibSyncHandler(module)
    result = dict(changed=False, dc=None, versions={}, diverged=[], actions=[])
    try:
        dc, identities, texts, bad = settle(handler, params["nodes"], params["settle"])
        result.update(dc=dc, versions=versions(identities), diverged=bad)
        if not bad:
            module.exit_json(**result)
        message = _cib_versions.divergence_message(identities, dc)
        if dc is None or identities.get(dc) is None:
            module.fail_json(msg="cannot compare the nodes' CIBs: %s. Nothing was changed." % message, **result)
        if not params["repair"]:
            module.fail_json(
                msg="%s. The cluster refuses every change pushed through a node that is ahead of the DC, "
                    "and nothing was changed. With repair=true every diverged node is made to hold the "
                    "DC's CIB (its own copy is saved first under %s); content only those nodes had is "
                    "then dropped from the cluster." % (message, params["backup_dir"]), **result)
        result["changed"] = True
        result["actions"] = ["save the CIB of %s under %s" % (", ".join(bad), params["backup_dir"]),
                             "raise the admin_epoch of the DC's CIB (%s) above every node's and bump it" % dc]
        if module.check_mode:
            result["actions"].append("restart Pacemaker on every node still diverged after %d s" % params["settle"])
            module.exit_json(**result)
        result["backups"] = save_backups(params["backup_dir"], texts, bad, identities)
        handler.raise_dc_above_all()
        dc, identities, texts, still = settle(handler, params["nodes"], params["settle"])
        for node in still:
            if node == dc:
                continue
            result["actions"].append("restart Pacemaker on %s" % node)
            handler.restart_node(node, params["start_wait"])
        if still:
            dc, identities, texts, still = settle(handler, params["nodes"], params["settle"])
        result["versions_after"] = versions(identities)
        if still:
            module.fail_json(msg="the repair did not make every node hold the DC's CIB: %s"
                             % _cib_versions.divergence_message(identities, dc), **result)
    except SyncError as e:
        module.fail_json(msg=str(e), **result)
    except _crm_mon.StatusParseError as e:
        module.fail_json(msg=str(e), **result)
    except CommandError as e:
        fail_from_error(module, e)
    module.exit_json(**result)


def main():
    run_module()


if __name__ == "__main__":
    main()
