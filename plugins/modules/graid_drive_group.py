#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: graid_drive_group
short_description: Create, tune, wait for or delete a Graid SupremeRAID drive group (RAID set)
version_added: 0.1.0
description:
  - Identifies a drive group by its member physical drives and RAID level. The members are read from the C(DgId)
    of each PD in C(graidctl ls pd).
  - When no member is in a group, creates one (C(graidctl create dg <level> <pd,pd,...> [-s strip] [-z] [-f])).
  - When the same members form a group of the same level, only the settings are compared and corrected with
    C(graidctl edit dg <id> <setting> <value>).
  - When any requested drive is in a group with another level or other members, the module B(fails); it never
    re-creates or reshapes a group.
  - The level is checked against the number of drives before anything runs. raid0 needs 2 or more, raid1 an even count of
    2 or more, raid5 3 or more, raid6 4 or more, raid10 an even count of 4 or more (32 at most).
  - Can wait until the group reaches one of the states in O(wait_for_state).
  - O(state=absent) with O(confirm_destroy=true) deletes the group's virtual drives and then the group, after
    checking that none of its volumes is in use.
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
    details: Plans creation, edits and deletion without running them; does not wait.
  diff_mode:
    support: full
  idempotent:
    support: full
    description: Running the module again with the same options changes nothing.
options:
  physical_drives:
    description:
      - The members, each a PD id (C(0)), an NQN, a WWID or a PD device path (C(/dev/gpd0)).
      - Required with O(state=present); with O(state=absent) either this or O(id).
      - Drives must already be physical drives (see M(hastorage.cluster.graid_physical_drive)).
    type: list
    elements: str
  level:
    description: RAID level. Required with O(state=present).
    type: str
    choices: [raid0, raid1, raid5, raid6, raid10]
  id:
    description:
      - Drive group id (C(DgId)). With O(state=absent) it selects the group to delete.
      - With O(state=present) it is an assertion; the module fails if the group found by its members has another id.
    type: int
  state:
    description: V(present) creates or keeps the group, V(absent) deletes it (needs O(confirm_destroy)).
    type: str
    choices: [present, absent]
    default: present
  strip_size:
    description:
      - Strip size in KiB, passed as C(-s) at creation. It cannot be changed later; a different value on an existing
        group fails.
      - The unit and allowed values are an assumption of this collection (unverified on a real card).
    type: int
    choices: [4, 8, 16, 32, 64, 128]
  foreground_init:
    description: Initialise in the foreground (C(-z)) at creation instead of fast or background initialisation.
    type: bool
    default: false
  force:
    description: Pass C(-f) at creation, which graidctl needs for SAS/SATA drives.
    type: bool
    default: false
  rebuild_speed:
    description: C(graidctl edit dg <id> rebuild_speed).
    type: str
    choices: [low, normal, high, extreme]
  init_speed:
    description: C(graidctl edit dg <id> init_speed).
    type: str
    choices: [low, normal, high, extreme]
  cc_speed:
    description: Consistency check speed, C(graidctl edit dg <id> cc_speed).
    type: str
    choices: [low, normal, high, extreme]
  resync_speed:
    description: C(graidctl edit dg <id> resync_speed).
    type: str
    choices: [low, normal, high, extreme]
  journal:
    description: Journal mode, C(graidctl edit dg <id> journal).
    type: str
    choices: [always_off, degrade_only, always_on]
  wait_for_state:
    description:
      - After creating or changing the group (or when it already exists), wait until its state is one of these, for
        example V([OPTIMAL]) or V([OPTIMAL, RECOVERY]). Unset does not wait.
    type: list
    elements: str
  wait_timeout:
    description: Seconds to wait for O(wait_for_state) before failing.
    type: int
    default: 600
  wait_interval:
    description: Seconds between two state reads while waiting.
    type: float
    default: 5
"""

EXAMPLES = r"""
- name: RAID5 over four PDs, wait until initialised
  hastorage.cluster.graid_drive_group:
    level: raid5
    physical_drives: [0, 1, 2, 3]
    strip_size: 64
    rebuild_speed: high
    journal: degrade_only
    wait_for_state: [OPTIMAL]
    wait_timeout: 3600

- name: Delete a drive group and its volumes
  hastorage.cluster.graid_drive_group:
    id: 0
    state: absent
    confirm_destroy: true
"""

RETURN = r"""
drive_group:
  description: The group after the run (in check mode, the planned group with C(id=null) when it would be created).
  returned: always
  type: dict
  sample: {id: 0, level: raid5, state: OPTIMAL, members: [0, 1, 2, 3], capacity: 11522267947008,
           free: 11522267947008, strip_size: 64, rebuild_speed: high, init_speed: normal, cc_speed: normal,
           resync_speed: normal, journal: degrade_only}
created:
  description: Whether the group was (or would be) created by this run.
  returned: always
  type: bool
  sample: true
deleted:
  description: Whether the group was (or would be) deleted by this run (only with O(state=absent)).
  returned: when O(state=absent)
  type: bool
  sample: false
waited:
  description: Seconds spent waiting for O(wait_for_state).
  returned: always
  type: float
  sample: 12.5
commands:
  description: The graidctl commands that changed (or in check mode would change) something, in order.
  returned: always
  type: list
  elements: str
  sample: ["graidctl create dg raid5 0,1,2,3 -s 64", "graidctl edit dg 0 rebuild_speed high"]
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hastorage.cluster.plugins.module_utils._graid import (
    GROUP_SETTINGS,
    GraidError,
    GraidOutputError,
    Graidctl,
    check_destroy_allowed,
    destroy_argument_spec,
    fail,
    find_group,
    group_members,
    level_drive_count_error,
    negative_id_errors,
    group_settings_actions,
    plan_create_group,
    plan_delete_group,
    plan_group_settings,
    predict_group,
    resolve_drive,
)
from ansible_collections.hastorage.cluster.plugins.module_utils._runner import CommandError, apply_actions


def resolve_members(selectors, pds):
    ids = []
    for selector in selectors:
        kind, pd = resolve_drive(selector, pds, [])
        if kind != "pd":
            raise GraidError("%s is not a physical drive (ls pd); claim it first with "
                             "hastorage.cluster.graid_physical_drive" % selector)
        if pd["id"] in ids:
            raise GraidError("physical drive %d is listed twice in physical_drives" % pd["id"])
        ids.append(pd["id"])
    return sorted(ids)


def describe(group, members):
    if not group:
        return {}
    out = dict(group)
    out["members"] = members.get(group["id"], [])
    return out


def wanted_settings(params):
    return dict((option, params[option]) for _s, option, _k in GROUP_SETTINGS)


def apply(module, graid, actions):
    """Carry out graidctl actions (argv lists); in check mode they are only recorded."""
    return apply_actions(module, actions, lambda argv: graid.change(*argv), lambda argv: graid.record(*argv))


def present(module, graid, pds, groups):
    """Query, plan, apply, re-query: the group over the members, created if none, then its settings."""
    params = module.params
    ids = resolve_members(params["physical_drives"], pds)
    group, conflict = find_group(groups, pds, params["level"], ids)
    if conflict:
        raise GraidError(conflict)
    members = group_members(pds)
    created = group is None
    if created:
        actions = plan_create_group(params["level"], ids, pds, strip_size=params["strip_size"],
                                    foreground_init=params["foreground_init"], force=params["force"])
        before_ids = set(g["id"] for g in groups)
        group_id, current = None, None
        if apply(module, graid, actions):
            new = [g for g in graid.drive_groups() if g["id"] not in before_ids]
            if len(new) != 1:
                raise GraidOutputError("graidctl create dg succeeded but %d new groups appear in ls dg" % len(new))
            group_id = new[0]["id"]
            current = graid.drive_group(group_id)
        members = {group_id: ids}
    else:
        group_id = group["id"]
        if params["id"] is not None and params["id"] != group_id:
            raise GraidError("the group over physical drives %s is drive group %d, not %d"
                             % (", ".join(str(i) for i in ids), group_id, params["id"]))
        current = graid.drive_group(group_id)
        if params["strip_size"] is not None:
            if current["strip_size"] is None:
                raise GraidOutputError("graidctl desc dg %d has no 'StripSize' key, so strip_size cannot be "
                                       "compared (ASSUMPTION of this collection, unverified on a real card)"
                                       % group_id)
            if int(current["strip_size"]) != params["strip_size"]:
                raise GraidError("drive group %d has strip size %s KiB, not %d; a strip size cannot be changed "
                                 "without re-creating the group, which this module never does"
                                 % (group_id, current["strip_size"], params["strip_size"]))
    edits = plan_group_settings(current, wanted_settings(params))
    if apply(module, graid, group_settings_actions(group_id, edits)):
        after = graid.drive_group(group_id)
    else:
        after = predict_group(current, edits, level=params["level"], strip_size=params["strip_size"])
    return describe(after, members), created


def absent(module, graid, pds, groups):
    params = module.params
    members = group_members(pds)
    group = None
    if params["id"] is not None:
        group = dict((g["id"], g) for g in groups).get(params["id"])
        if group and params["physical_drives"]:
            ids = resolve_members(params["physical_drives"], pds)
            if members.get(group["id"], []) != ids:
                raise GraidError("drive group %d has physical drives %s, not %s"
                                 % (group["id"], members.get(group["id"]), ids))
    else:
        ids = resolve_members(params["physical_drives"], pds)
        for candidate in groups:
            if members.get(candidate["id"], []) == ids:
                group = candidate
        if group and params["level"] and group["level"] != params["level"]:
            raise GraidError("drive group %d over %s is %s, not %s" % (group["id"], ids, group["level"], params["level"]))
    if group is None:
        return {}, False
    vds = [v for v in graid.virtual_drives() if v["dg_id"] == group["id"]]
    what = "drive group %d (%s over physical drives %s)" % (group["id"], group["level"], members.get(group["id"], []))
    if vds:
        what += " and its %d virtual drive(s) %s" % (len(vds), ", ".join(v["dev_path"] for v in vds))
    check_destroy_allowed(module, what, [v["dev_path"] for v in vds])
    apply(module, graid, plan_delete_group(group, vds))
    return describe(group, members), True


def wait_for_state(module, graid, step, result):
    """Wait until ``step["group"]`` is in one of ``step["states"]``; the group read last replaces it."""
    params = module.params
    group = step["group"]
    started = time.time()
    found, reached = graid.wait_for_group_state(group["id"], step["states"], params["wait_timeout"],
                                                params["wait_interval"])
    result["waited"] = round(time.time() - started, 1)
    step["group"] = describe(found, {group["id"]: group["members"]})
    if not reached:
        result.update(changed=bool(graid.commands), drive_group=step["group"])
        module.fail_json(msg="drive group %d is %s after %d s, not %s"
                             % (found["id"], found["state"], params["wait_timeout"], " or ".join(step["states"])),
                         **result)


def main():
    settings = dict((option, dict(type="str", choices=["always_off", "degrade_only", "always_on"]
                                  if option == "journal" else ["low", "normal", "high", "extreme"]))
                    for _s, option, _k in GROUP_SETTINGS)
    argument_spec = dict(
        physical_drives=dict(type="list", elements="str"),
        level=dict(type="str", choices=["raid0", "raid1", "raid5", "raid6", "raid10"]),
        id=dict(type="int"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        strip_size=dict(type="int", choices=[4, 8, 16, 32, 64, 128]),
        foreground_init=dict(type="bool", default=False),
        force=dict(type="bool", default=False),
        wait_for_state=dict(type="list", elements="str"),
        wait_timeout=dict(type="int", default=600),
        wait_interval=dict(type="float", default=5),
    )
    argument_spec.update(settings)
    argument_spec.update(destroy_argument_spec())
    module = AnsibleModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ("physical_drives", "level")),
                     ("state", "absent", ("id", "physical_drives"), True)],
        supports_check_mode=True,
    )
    params = module.params
    if params["state"] == "absent" and params["id"] is None and not params["physical_drives"]:
        # physical_drives: [] passes required_if (given, but selects nothing)
        module.fail_json(msg="state=absent needs id or physical_drives to select the group")
    if params["wait_timeout"] < 0 or params["wait_interval"] <= 0:
        module.fail_json(msg="wait_timeout must be >= 0 and wait_interval > 0")
    errors = negative_id_errors(params, ["id"])
    if params["state"] == "present":
        count_error = level_drive_count_error(params["level"], len(params["physical_drives"]))
        if count_error:
            errors.append("level and physical_drives: %s" % count_error)
    if errors:
        module.fail_json(msg="; ".join(errors))
    graid = Graidctl(module)
    result = dict(changed=False, created=False, waited=0.0, commands=graid.commands, drive_group={})
    try:
        pds = graid.physical_drives()
        groups = graid.drive_groups()
        members = group_members(pds)
        if params["state"] == "present":
            ids = None
            try:
                ids = resolve_members(params["physical_drives"], pds)
            except GraidError:
                pass
            before = {}
            if ids is not None:
                found, _conflict = find_group(groups, pds, params["level"], ids)
                before = describe(found, members) if found else {}
            after, created = present(module, graid, pds, groups)
            result["created"] = created
            if params["wait_for_state"]:
                # a step of its own, not performed in check mode (the group may not exist yet)
                step = {"group": after, "states": [state.upper() for state in params["wait_for_state"]]}
                apply_actions(module, [step], lambda action: wait_for_state(module, graid, action, result))
                after = step["group"]
        else:
            before, deleted = absent(module, graid, pds, groups)
            after = {}
            result["deleted"] = bool(deleted)
    except (CommandError, GraidError) as e:
        fail(module, e, commands=graid.commands)
    result["changed"] = bool(graid.commands)
    result["drive_group"] = after
    if module._diff:
        result["diff"] = dict(before=before, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
