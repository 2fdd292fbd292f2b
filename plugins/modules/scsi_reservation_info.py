#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: scsi_reservation_info
short_description: Read the SCSI-3 persistent reservation keys and reservation of block devices
description:
  - For each device, whether it answers PERSISTENT RESERVE IN (what C(fence_scsi) and C(fence_mpath) need),
    the reservation keys registered on it and the reservation held, if any.
  - Runs only the read-only C(--in --read-keys) and C(--in --read-reservation) calls of C(sg_persist)
    (sg3-utils, what C(fence_scsi) uses) or C(mpathpersist) (multipath-tools, what C(fence_mpath) uses), with
    C(LC_ALL=C). A device that does not exist, is not SCSI or does not implement persistent reservations is
    reported with RV(devices.supported) false and the reason, not as a module failure, so a play can refuse it
    with its own message.
  - The C(hastorage.cluster.pacemaker) role probes its C(fence_scsi) and C(fence_mpath) devices with it on
    every node before it forms or changes the cluster.
version_added: 0.1.0
author:
  - hastorage.cluster contributors (@hastorage)
extends_documentation_fragment:
  - hastorage.cluster.read_only
options:
  devices:
    description: Block devices to read (for example V(/dev/mapper/lun1), V(/dev/disk/by-id/wwn-0x...)).
    type: list
    elements: path
    required: true
  tool:
    description:
      - V(sg_persist) for devices C(fence_scsi) fences (a dm-multipath map is read through one of its paths; the
        keys are the LUN's), V(mpathpersist) for devices C(fence_mpath) fences.
    type: str
    choices: [sg_persist, mpathpersist]
    default: sg_persist
notes:
  - Runs as root. The tool must be installed (the module fails and names the package when it is not).
  - Keys are returned as fence agents compare them, lower-case hexadecimal without C(0x) and leading zeros.
seealso:
  - module: hastorage.cluster.multipath_info
"""

EXAMPLES = r"""
- name: Read the keys on the fence_mpath LUN
  hastorage.cluster.scsi_reservation_info:
    devices: [/dev/mapper/fence1]
    tool: mpathpersist
  register: pr

- name: Only this cluster's keys are registered
  ansible.builtin.assert:
    that: pr.devices[0].keys | difference(['1', '2', '3']) | length == 0
"""

RETURN = r"""
devices:
  description: One entry per device of O(devices), in that order.
  returned: always
  type: list
  elements: dict
  contains:
    device:
      description: The device as given.
      type: str
      sample: /dev/mapper/fence1
    exists:
      description: Whether it is a block device on this host.
      type: bool
      sample: true
    supported:
      description: Whether it answered READ KEYS (and READ RESERVATION) as a device with persistent reservations does.
      type: bool
      sample: true
    keys:
      description: Registered keys (one per registered I_T nexus, so a key can repeat).
      type: list
      elements: str
      sample: ["1", "2", "1", "2"]
    reservation:
      description: The reservation held, C({key, type}), or null.
      type: dict
      sample: {key: "1", type: "Write Exclusive, registrants only"}
    error:
      description: Why RV(devices.supported) is false; null otherwise.
      type: str
      sample: null
"""


from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hastorage.cluster.plugins.module_utils import _scsi_pr
from ansible_collections.hastorage.cluster.plugins.module_utils._files import is_block_device
from ansible_collections.hastorage.cluster.plugins.module_utils._runner import CommandRunner

PACKAGES = {"sg_persist": "sg3-utils", "mpathpersist": "multipath-tools"}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            devices=dict(type="list", elements="path", required=True),
            tool=dict(type="str", choices=list(_scsi_pr.TOOLS), default="sg_persist"),
        ),
        supports_check_mode=True,
    )
    tool = module.params["tool"]
    if not module.params["devices"]:
        module.fail_json(msg="devices must name at least one block device")
    bad = [d for d in module.params["devices"] if not d.startswith("/")]
    if bad:
        module.fail_json(msg="devices: every device is an absolute path such as /dev/mapper/lun1, got %s"
                         % ", ".join(repr(d) for d in bad))
    runner = CommandRunner(module, tool, required=False)
    if not runner.available:
        module.fail_json(msg="%s was not found (install %s)" % (tool, PACKAGES[tool]))
    reports = []
    for device in module.params["devices"]:
        if not is_block_device(device):
            reports.append(_scsi_pr.device_report(device, False))
            continue
        keys = runner.run(_scsi_pr.read_argv(tool, device, "keys"), ok_rc=None)
        reservation = None
        if keys.rc == 0:
            result = runner.run(_scsi_pr.read_argv(tool, device, "reservation"), ok_rc=None)
            reservation = (result.rc, result.stdout, result.stderr)
        reports.append(_scsi_pr.device_report(device, True, (keys.rc, keys.stdout, keys.stderr), reservation))
    module.exit_json(changed=False, devices=reports)


if __name__ == "__main__":
    main()
