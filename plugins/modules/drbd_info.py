#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: drbd_info
short_description: Read the state of DRBD resources, including split brain
description:
  - Returns, per resource, the role, disk and peer-disk states, connection and replication
    state, out-of-sync amount, sync percentage and a C(split_brain) flag.
  - DRBD 9 is read from C(drbdsetup status --json) (falling back to C(drbdsetup events2 --now)
    with older utilities); DRBD 8.4 from C(/proc/drbd), with resource names and minors from
    C(drbdadm sh-resources)/C(sh-minor). With no kernel module loaded, configured resources are
    returned with C(up=false).
  - "Split brain is reported only while the resource is not connected, and only on reliable
    evidence: the marker file written by the split-brain handler the C(hastorage.cluster.drbd)
    role installs (C(<split_brain_marker_dir>/split-brain-<resource>)), or a kernel log line
    C(Split-Brain detected) for the resource that no later reconnection superseded.
    C(StandAlone) with out-of-sync UpToDate data is listed as a hint in C(split_brain_evidence)
    but does not set the flag on its own."
version_added: 0.1.0
author:
  - hastorage.cluster contributors (@hastorage)
options:
  name:
    description: Only this resource (default all configured and running resources).
    type: str
  drbd_conf:
    description: The top-level configuration drbdadm reads (passed as C(-c) when not the default).
    type: path
    default: /etc/drbd.conf
  split_brain_marker_dir:
    description: Where the role's split-brain handler writes its markers.
    type: path
    default: /var/lib/hastorage/drbd
  kernel_log:
    description: Read the kernel log (C(dmesg)) for split-brain messages.
    type: bool
    default: true
  generations:
    description: Also return the data generation identifiers (C(drbdadm get-gi)) per volume.
    type: bool
    default: false
extends_documentation_fragment:
  - hastorage.cluster.read_only
"""

EXAMPLES = r"""
- name: Read DRBD state
  hastorage.cluster.drbd_info:
    generations: true
  register: drbd

- name: Stop when r0 is in split brain
  ansible.builtin.assert:
    that: not drbd.resources.r0.split_brain
"""

RETURN = r"""
dialect:
  description: Dialect of the loaded kernel module (V(9), V(8.4)) or null.
  returned: always
  type: str
  sample: "8.4"
resources:
  description: One entry per resource, keyed by name.
  returned: always
  type: dict
  sample:
    r0:
      up: true
      role: Primary
      disk_state: UpToDate
      peer: node2
      peer_role: Secondary
      peer_disk_state: UpToDate
      connection_state: Connected
      replication_state: Established
      out_of_sync_kib: 0
      sync_percent: 100.0
      split_brain: false
      split_brain_evidence: []
      volumes: [{volume: 0, minor: 0, disk_state: UpToDate}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hastorage.cluster.plugins.module_utils import _drbd
from ansible_collections.hastorage.cluster.plugins.module_utils._drbd_cli import DrbdCli
from ansible_collections.hastorage.cluster.plugins.module_utils._runner import CommandError, fail_from_error


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str"),
            drbd_conf=dict(type="path", default="/etc/drbd.conf"),
            split_brain_marker_dir=dict(type="path", default="/var/lib/hastorage/drbd"),
            kernel_log=dict(type="bool", default=True),
            generations=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if p["name"] is not None and _drbd.name_error(p["name"]):
        module.fail_json(msg=_drbd.name_error(p["name"]))
    cli = DrbdCli(module, p["drbd_conf"])
    try:
        info = cli.version()
        loaded = _drbd.kernel_dialect(info)
        dialect = loaded or _drbd.DIALECT_9
        resources = cli.all_resources(dialect, loaded)
        if p["name"]:
            resources = [r for r in resources if r["name"] == p["name"]]
        log = None
        out = {}
        for res in resources:
            summary = _drbd.summarize(res)
            minors = [v["minor"] for v in res["devices"]]
            from_log = False
            if p["kernel_log"] and summary["up"] and summary["connection_state"] != "Connected":
                if log is None:
                    log = cli.kernel_log()
                from_log = _drbd.split_brain_from_kernel_log(log, res["name"], minors)
            marker = cli.marker_present(p["split_brain_marker_dir"], res["name"])
            evidence = _drbd.split_brain_evidence(summary, marker, from_log)
            summary["split_brain_evidence"] = evidence
            summary["split_brain"] = any(not e.startswith("StandAlone") for e in evidence)
            if p["generations"] and summary["up"]:
                summary["generations"] = dict(
                    (str(v["volume"]), cli.get_gi(res["name"], v["volume"])) for v in res["devices"])
            out[res["name"]] = summary
    except CommandError as e:
        fail_from_error(module, e)
    except _drbd.DrbdError as e:
        module.fail_json(msg=str(e))
    module.exit_json(changed=False, dialect=loaded, kernel_version=_drbd.kernel_version(info),
                     utils_version=info.get("DRBDADM_VERSION"), resources=out)


if __name__ == "__main__":
    main()
