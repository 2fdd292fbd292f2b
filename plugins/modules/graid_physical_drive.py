#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: graid_physical_drive
short_description: Claim an NVMe or SCSI drive as a Graid SupremeRAID physical drive, mark hot spares, release it
version_added: 0.1.0
description:
  - Finds the drive among the physical drives (C(graidctl ls pd)) and the unclaimed NVMe and SCSI drives
    (C(graidctl ls nd), C(graidctl ls sd)) by NQN, WWID, device path or PD id.
  - O(state=present) creates the physical drive (C(graidctl create pd <NQN|WWID|device>)) when it is not one yet.
    Creating a PD unbinds the drive from the OS, so C(/dev/nvmeXn1) disappears and C(/dev/gpdN) appears.
  - O(hotspare) marks or unmarks it as a global hot spare (C(graidctl edit pd <id> hotspare global|none)).
  - O(state=absent) releases the drive back to the OS (C(graidctl del pd <id>)); refused while the PD belongs to a
    drive group.
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
    support: full
  idempotent:
    support: partial
    description: Running the module again with the same options changes nothing.
    details:
      - Fully idempotent when the drive is named by O(nqn), O(wwid) or O(pd_id).
      - An OS device path (O(device=/dev/nvme0n1)) vanishes once the drive is claimed, so a second run cannot find
        it and fails with a message; name drives by NQN or WWID in playbooks that run more than once.
options:
  nqn:
    description: NVMe qualified name of the drive (stable).
    type: str
  wwid:
    description: WWID of a SAS/SATA drive (stable).
    type: str
  device:
    description:
      - OS device path of an unclaimed drive (C(/dev/nvme0n1), C(/dev/sdb)) or the PD's own path (C(/dev/gpd0)).
    type: path
  pd_id:
    description: Id of an existing physical drive (C(PdId)); cannot create one.
    type: int
  state:
    description: V(present) claims the drive, V(absent) gives it back to the OS.
    type: str
    choices: [present, absent]
    default: present
  hotspare:
    description:
      - V(global) makes the PD a global hot spare, V(none) removes that; unset leaves it as it is.
      - Only for a PD in no drive group.
      - The value V(none) and the C(HotSpare) key of C(ls pd) are assumptions (unverified on a real card).
    type: str
    choices: [global, none]
  wipe_metadata:
    description: Pass C(--wipe-meta) when creating the PD, which erases foreign SupremeRAID metadata on the drive.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Claim an NVMe drive by its NQN
  hastorage.cluster.graid_physical_drive:
    nqn: nqn.2014.08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555

- name: Make PD 4 a global hot spare
  hastorage.cluster.graid_physical_drive:
    pd_id: 4
    hotspare: global

- name: Give a drive back to the OS
  hastorage.cluster.graid_physical_drive:
    nqn: nqn.2014.08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555
    state: absent
"""

RETURN = r"""
physical_drive:
  description: The PD after the run (empty after a release; in check mode the planned PD has C(id=null)).
  returned: always
  type: dict
  sample: {id: 0, dg_id: null, state: ONLINE, dev_path: /dev/gpd0, hotspare: none,
           nqn: "nqn.2014.08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555", wwid: null,
           model: KIOXIA KCM7XRUG3T84, capacity: 3840755982336, numa: "0"}
commands:
  description: The graidctl commands that changed (or in check mode would change) something.
  returned: always
  type: list
  elements: str
  sample: ["graidctl create pd nqn.2014.08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hastorage.cluster.plugins.module_utils._graid import (
    GraidError,
    GraidOutputError,
    Graidctl,
    fail,
    negative_id_errors,
    resolve_drive,
)
from ansible_collections.hastorage.cluster.plugins.module_utils._runner import CommandError


def selector_of(params):
    for key in ("nqn", "wwid", "device", "pd_id"):
        if params.get(key) is not None:
            return key, params[key]
    raise GraidError("one of nqn, wwid, device, pd_id is required")


def find_new_pd(pds_before, pds_after, stable_id):
    known = set(p["id"] for p in pds_before)
    new = [p for p in pds_after if p["id"] not in known]
    for pd in new:
        if stable_id and stable_id in (pd.get("nqn"), pd.get("wwid")):
            return pd
    if len(new) == 1:
        return new[0]
    raise GraidOutputError("graidctl create pd succeeded but no single new PD for %s appears in ls pd" % stable_id)


def run(module, graid):
    params = module.params
    key, value = selector_of(params)
    pds = graid.physical_drives()
    candidates = graid.nvme_drives() + graid.scsi_drives()
    kind, found = resolve_drive(value, pds, [] if key == "pd_id" else candidates)
    result = dict(changed=False, physical_drive={}, commands=graid.commands)
    before = found if kind == "pd" else {}

    if params["state"] == "absent":
        if kind != "pd":
            result["physical_drive"] = {}
            return result, before, {}
        if found["dg_id"] is not None:
            raise GraidError("physical drive %d belongs to drive group %d; delete the group first "
                             "(graid_drive_group state=absent confirm_destroy=true)" % (found["id"], found["dg_id"]))
        graid.change("del", "pd", found["id"])
        result["changed"] = True
        return result, before, {}

    if kind is None:
        if key == "device":
            raise GraidError("%s is neither an unclaimed drive (ls nd / ls sd) nor a physical drive (ls pd). "
                             "A claimed drive's /dev/nvme* path disappears: name it by nqn or wwid" % value)
        raise GraidError("no drive with %s=%s in ls pd, ls nd or ls sd" % (key, value))

    if kind == "candidate":
        argv = ["create", "pd", found["stable_id"] if key != "device" else found["dev_path"]]
        if params["wipe_metadata"]:
            argv.append("--wipe-meta")
        graid.change(*argv)
        result["changed"] = True
        if module.check_mode:
            pd = {"id": None, "dg_id": None, "state": "ONLINE", "dev_path": None,
                  "nqn": found.get("nqn"), "wwid": found.get("wwid"), "model": found.get("model"),
                  "capacity": found.get("capacity"), "numa": found.get("numa"), "hotspare": "none"}
        else:
            pd = find_new_pd(pds, graid.physical_drives(), found["stable_id"])
    else:
        pd = found

    if params["hotspare"] is not None:
        if pd["hotspare"] is None and pd["id"] is not None:
            raise GraidOutputError("graidctl ls pd has no 'HotSpare' key, so whether physical drive %d is a hot "
                                   "spare cannot be read (ASSUMPTION of this collection, unverified on a real card)"
                                   % pd["id"])
        if (pd["hotspare"] or "none") != params["hotspare"]:
            if pd["dg_id"] is not None:
                raise GraidError("physical drive %d belongs to drive group %d and cannot be a hot spare"
                                 % (pd["id"], pd["dg_id"]))
            graid.change("edit", "pd", pd["id"] if pd["id"] is not None else "<new>", "hotspare", params["hotspare"])
            result["changed"] = True
            if module.check_mode:
                pd = dict(pd, hotspare=params["hotspare"])
            else:
                pd = [p for p in graid.physical_drives() if p["id"] == pd["id"]][0]
    result["physical_drive"] = pd
    return result, before, pd


def main():
    module = AnsibleModule(
        argument_spec=dict(
            nqn=dict(type="str"),
            wwid=dict(type="str"),
            device=dict(type="path"),
            pd_id=dict(type="int"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            hotspare=dict(type="str", choices=["global", "none"]),
            wipe_metadata=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("nqn", "wwid", "device", "pd_id")],
        required_one_of=[("nqn", "wwid", "device", "pd_id")],
        supports_check_mode=True,
    )
    if module.params["state"] == "absent" and module.params["hotspare"] is not None:
        module.fail_json(msg="hotspare cannot be combined with state=absent")
    errors = negative_id_errors(module.params, ["pd_id"])
    if errors:
        module.fail_json(msg="; ".join(errors))
    graid = Graidctl(module)
    try:
        result, before, after = run(module, graid)
    except (CommandError, GraidError) as e:
        fail(module, e, commands=graid.commands)
    if module._diff:
        result["diff"] = dict(before=before, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
