#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: graid_virtual_drive
short_description: Make sure a Graid SupremeRAID drive group holds a number of virtual drives (volumes)
version_added: 0.1.0
description:
  - Counts the virtual drives of a drive group (C(graidctl ls vd)) and creates the missing ones with
    C(graidctl create vd <dg> [size]), so that the group holds O(count) volumes.
  - Refuses, before running anything, a request whose total size is larger than the group's free space
    (C(Free) of C(graidctl ls dg)), and never deletes a volume to reach O(count).
  - Returns the volumes' device paths (C(/dev/gdg<dg>n<vd+1>)).
  - O(state=absent) with O(confirm_destroy=true) deletes one volume (O(vd_id)) or all volumes of the group,
    after checking that none of them is in use.
author:
  - hastorage.cluster contributors (@hastorage)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - hastorage.cluster.graid
  - hastorage.cluster.graid.DESTROY
attributes:
  platform:
    support: full
    platforms: posix
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
    description: Running the module again with the same options changes nothing.
options:
  drive_group:
    description: Drive group id (C(DgId)), for example RV(hastorage.cluster.graid_drive_group#module:drive_group.id).
    type: int
    required: true
  count:
    description:
      - How many virtual drives the group must hold. Existing ones count; more existing than O(count) fails.
    type: int
    default: 1
  size:
    description:
      - Size of each new virtual drive, a number with an optional K, M, G, T or P unit (binary), for example V(500G).
      - Unset gives the remaining free space to a single new volume.
      - Existing volumes are not resized; a size different from theirs gives a warning.
    type: str
  vd_id:
    description: With O(state=absent), the virtual drive to delete (C(VdId)); unset deletes all of the group.
    type: int
  state:
    description: V(present) creates missing volumes, V(absent) deletes (needs O(confirm_destroy)).
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Two 2 TiB volumes in drive group 0
  hastorage.cluster.graid_virtual_drive:
    drive_group: 0
    count: 2
    size: 2T
  register: vols

- name: Show the device paths
  ansible.builtin.debug:
    msg: "{{ vols.devices }}"

- name: Delete volume 1 of group 0
  hastorage.cluster.graid_virtual_drive:
    drive_group: 0
    vd_id: 1
    state: absent
    confirm_destroy: true
"""

RETURN = r"""
virtual_drives:
  description: The group's virtual drives after the run (planned ones in check mode have C(id=null)).
  returned: always
  type: list
  elements: dict
  sample:
    - {dg_id: 0, id: 0, dev_path: /dev/gdg0n1, size: 2199023255552, state: OPTIMAL, exported: false}
devices:
  description: Device paths of the group's virtual drives after the run.
  returned: always
  type: list
  elements: str
  sample: [/dev/gdg0n1, /dev/gdg0n2]
size_mismatch:
  description: Ids of existing virtual drives whose size differs from O(size) by more than 1% (never resized).
  returned: always
  type: list
  elements: int
  sample: []
commands:
  description: The graidctl commands that changed (or in check mode would change) something.
  returned: always
  type: list
  elements: str
  sample: ["graidctl create vd 0 2T"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hastorage.cluster.plugins.module_utils._graid import (
    GraidError,
    Graidctl,
    check_destroy_allowed,
    destroy_argument_spec,
    fail,
    format_size,
    negative_id_errors,
    parse_size,
    plan_virtual_drives,
)
from ansible_collections.hastorage.cluster.plugins.module_utils._runner import CommandError


def in_group(vds, dg_id):
    return [v for v in vds if v["dg_id"] == dg_id]


def main():
    argument_spec = dict(
        drive_group=dict(type="int", required=True),
        count=dict(type="int", default=1),
        size=dict(type="str"),
        vd_id=dict(type="int"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    argument_spec.update(destroy_argument_spec())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    errors = negative_id_errors(params, ["drive_group", "vd_id", "count"])
    if errors:
        module.fail_json(msg="; ".join(errors))
    size_bytes = None
    if params["size"] is not None:
        try:
            size_bytes = parse_size(params["size"])
        except GraidError as e:
            module.fail_json(msg=str(e))
    if params["vd_id"] is not None and params["state"] == "present":
        module.fail_json(msg="vd_id selects a volume to delete; it needs state=absent")
    dg_id = params["drive_group"]
    graid = Graidctl(module)
    result = dict(changed=False, commands=graid.commands, virtual_drives=[], devices=[], size_mismatch=[])
    try:
        groups = dict((g["id"], g) for g in graid.drive_groups())
        if dg_id not in groups:
            if params["state"] == "absent":
                module.exit_json(**result)
            raise GraidError("drive group %d not found (graidctl ls dg knows %s)"
                             % (dg_id, ", ".join(str(i) for i in sorted(groups)) or "none"))
        before = in_group(graid.virtual_drives(), dg_id)
        after = before
        if params["state"] == "present":
            plan = plan_virtual_drives(before, params["count"], size_bytes, groups[dg_id]["free"])
            if size_bytes is not None:
                for vd in before:
                    if vd.get("size") is not None and abs(int(vd["size"]) - size_bytes) > size_bytes // 100:
                        result["size_mismatch"].append(vd["id"])
                        module.warn("virtual drive %d of drive group %d has %s bytes, not %s (%d bytes); volumes are "
                                    "never resized" % (vd["id"], dg_id, vd["size"], params["size"], size_bytes))
            for size in plan:
                argv = ["create", "vd", dg_id]
                if size is not None:
                    argv.append(format_size(size))
                graid.change(*argv)
            if plan:
                if module.check_mode:
                    free = groups[dg_id]["free"]
                    after = before + [{"dg_id": dg_id, "id": None, "dev_path": None, "state": None, "exported": False,
                                       "size": size if size is not None else free} for size in plan]
                else:
                    after = in_group(graid.virtual_drives(), dg_id)
                    if len(after) != params["count"]:
                        raise GraidError("created %d virtual drive(s) but drive group %d now has %d, not %d"
                                         % (len(plan), dg_id, len(after), params["count"]))
        else:
            doomed = [v for v in before if params["vd_id"] is None or v["id"] == params["vd_id"]]
            if doomed:
                what = "virtual drive(s) %s of drive group %d" % (", ".join(v["dev_path"] for v in doomed), dg_id)
                check_destroy_allowed(module, what, [v["dev_path"] for v in doomed])
                for vd in doomed:
                    graid.change("del", "vd", dg_id, vd["id"], "--confirm-to-delete")
                if module.check_mode:
                    after = [v for v in before if v not in doomed]
                else:
                    after = in_group(graid.virtual_drives(), dg_id)
    except (CommandError, GraidError) as e:
        fail(module, e, commands=graid.commands)
    result["changed"] = bool(graid.commands)
    result["virtual_drives"] = after
    result["devices"] = [v["dev_path"] for v in after if v["dev_path"]]
    if module._diff:
        result["diff"] = dict(before={"virtual_drives": before}, after={"virtual_drives": after})
    module.exit_json(**result)


if __name__ == "__main__":
    main()
