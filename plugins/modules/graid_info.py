#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: graid_info
short_description: Report Graid SupremeRAID controllers, license, drives, groups, volumes and their health
version_added: 0.1.0
description:
  - Runs only read commands (C(graidctl version), C(ls cx), C(desc lic), C(ls nd), C(ls sd), C(ls pd), C(ls dg),
    C(ls vd), all with C(--format json)) and returns their content with snake_case keys.
  - RV(healthy) and RV(problems) summarise everything that is not C(ONLINE), C(APPLIED) or C(OPTIMAL), for example a
    degraded group after a drive failure or a group that is still rebuilding (C(RECOVERY)).
author:
  - hastorage.cluster contributors (@hastorage)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - hastorage.cluster.graid
attributes:
  platform:
    support: full
    platforms: posix
  check_mode:
    support: full
  diff_mode:
    support: none
  idempotent:
    support: full
    description: Running the module again with the same options changes nothing.
options:
  gather:
    description: What to read. V(drives) are the unclaimed NVMe and SCSI drives.
    type: list
    elements: str
    choices: [controllers, license, drives, physical_drives, drive_groups, virtual_drives]
    default: [controllers, license, drives, physical_drives, drive_groups, virtual_drives]
"""

EXAMPLES = r"""
- name: Read the SupremeRAID state
  hastorage.cluster.graid_info:
  register: graid

- name: Fail when a group is degraded
  ansible.builtin.assert:
    that: graid.healthy
    fail_msg: "{{ graid.problems | join('; ') }}"
"""

RETURN = r"""
version:
  description: The graidctl version (C(graidctl version)), or null when it cannot be read.
  returned: always
  type: str
  sample: 1.7.2
controllers:
  description: C(ls cx).
  returned: when gathered
  type: list
  elements: dict
  sample: [{id: 0, name: SR1010, serial: "1234567890123", state: ONLINE}]
license:
  description: C(desc lic); C(controllers) maps controller id to its C(LicenseState).
  returned: when gathered
  type: dict
  sample: {controllers: {"0": APPLIED}, features: {"NVMe/NVMe-oFPDNumber": "32"}}
drives:
  description: Unclaimed NVMe (C(ls nd)) and SCSI (C(ls sd)) drives.
  returned: when gathered
  type: list
  elements: dict
  sample: [{kind: nvme, dev_path: /dev/nvme4n1, nqn: "nqn.2014.08.org.nvmexpress:uuid:...", stable_id: "nqn...",
            model: KIOXIA, address: "0000:45:00.0", numa: "0", capacity: 3840755982336, wwid: null}]
physical_drives:
  description: C(ls pd).
  returned: when gathered
  type: list
  elements: dict
  sample: [{id: 0, dg_id: 0, state: ONLINE, dev_path: /dev/gpd0, hotspare: none, nqn: "nqn...", wwid: null,
            model: KIOXIA, capacity: 3840755982336, numa: "0"}]
drive_groups:
  description: C(ls dg), each with its C(members) (PD ids).
  returned: when gathered
  type: list
  elements: dict
  sample: [{id: 0, level: raid5, state: DEGRADED, members: [0, 1, 2, 3], free: 0, capacity: 11522267947008}]
virtual_drives:
  description: C(ls vd).
  returned: when gathered
  type: list
  elements: dict
  sample: [{dg_id: 0, id: 0, dev_path: /dev/gdg0n1, state: DEGRADED, size: 11522267947008, exported: false}]
healthy:
  description: True when RV(problems) is empty.
  returned: always
  type: bool
  sample: false
problems:
  description: One line per controller, license, PD, group or volume that is not healthy.
  returned: always
  type: list
  elements: str
  sample: ["physical drive 1 is FAILED", "drive group 0 is DEGRADED"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hastorage.cluster.plugins.module_utils._graid import (
    GraidError,
    Graidctl,
    fail,
    group_members,
    health_problems,
)
from ansible_collections.hastorage.cluster.plugins.module_utils._runner import CommandError


def main():
    everything = ["controllers", "license", "drives", "physical_drives", "drive_groups", "virtual_drives"]
    module = AnsibleModule(
        argument_spec=dict(gather=dict(type="list", elements="str", choices=everything, default=everything)),
        supports_check_mode=True,
    )
    gather = set(module.params["gather"])
    graid = Graidctl(module)
    result = dict(changed=False)
    try:
        result["version"] = graid.version()
        controllers = graid.controllers() if "controllers" in gather else []
        license_info = graid.license() if "license" in gather else {"controllers": {}, "features": {}}
        pds = graid.physical_drives() if gather & {"physical_drives", "drive_groups"} else []
        groups = graid.drive_groups() if "drive_groups" in gather else []
        vds = graid.virtual_drives() if "virtual_drives" in gather else []
        members = group_members(pds)
        for group in groups:
            group["members"] = members.get(group["id"], [])
        if "controllers" in gather:
            result["controllers"] = controllers
        if "license" in gather:
            result["license"] = {"controllers": dict((str(k), v) for k, v in license_info["controllers"].items()),
                                 "features": license_info["features"]}
        if "drives" in gather:
            result["drives"] = graid.nvme_drives() + graid.scsi_drives()
        if "physical_drives" in gather:
            result["physical_drives"] = pds
        if "drive_groups" in gather:
            result["drive_groups"] = groups
        if "virtual_drives" in gather:
            result["virtual_drives"] = vds
        result["problems"] = health_problems(controllers, license_info["controllers"],
                                             pds if "physical_drives" in gather else [], groups, vds)
        result["healthy"] = not result["problems"]
    except (CommandError, GraidError) as e:
        fail(module, e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
