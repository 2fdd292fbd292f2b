#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: graid_license
short_description: Apply a Graid SupremeRAID license key where a controller is not licensed
version_added: 0.1.0
description:
  - Reads the license state of every SupremeRAID controller (C(graidctl desc lic)) and the controllers
    (C(graidctl ls cx)).
  - When a controller in O(controllers) is not licensed (C(LicenseState) other than C(APPLIED)), runs
    C(graidctl apply license <key>) once, reads the state again and fails if a controller is still not licensed.
  - A controller that is already licensed is never touched, so re-running with the same key reports no change.
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
    details: Reports the controllers that would be licensed without applying the key.
  diff_mode:
    support: full
    details: Shows the license state per controller before and after.
  idempotent:
    support: full
    description: Running the module again with the same options changes nothing.
options:
  key:
    description:
      - The license key. Keys are tied to a GPU serial number; driver 2.0.0 and later need a V2 key.
      - Only needed when a controller is not licensed; without it the module fails and names those controllers.
      - A key that is empty, holds a blank or starts with C(-) (which graidctl would read as an option) is refused
        before anything runs.
    type: str
  allow_key_in_process_list:
    description:
      - C(graidctl) takes the key only as an argument (C(graidctl apply license <key>); the CLI has no stdin or file
        form), so while it runs the key is in its command line, which any local user can read
        (C(/proc/<pid>/cmdline), C(ps)) unless C(/proc) is mounted with C(hidepid) (V(1)/C(noaccess),
        V(2)/C(invisible) or V(4)/C(ptraceable)).
      - With V(false) (the default) the module refuses to apply a key on a host whose C(/proc) lets other users read
        command lines, before anything runs (also in check mode), and says how to hide them. V(true) accepts the
        exposure for the moments C(graidctl) runs and warns.
      - Not needed when every controller is licensed already (the key is never used then).
    type: bool
    default: false
  controllers:
    description:
      - Controller ids (C(ControllerId)) that must be licensed. Default is every controller C(graidctl ls cx) lists.
      - With two controllers that need different keys, call the module once per controller.
    type: list
    elements: int
"""

EXAMPLES = r"""
- name: License the SupremeRAID controller
  hastorage.cluster.graid_license:
    key: "{{ vault_graid_license_key }}"

- name: License the second controller of a dual-controller host with its own key
  hastorage.cluster.graid_license:
    key: "{{ vault_graid_license_key_cx1 }}"
    controllers: [1]

- name: Only check that every controller is licensed
  hastorage.cluster.graid_license:
  check_mode: true
"""

RETURN = r"""
controllers:
  description: Every controller after the run, with its license state.
  returned: always
  type: list
  elements: dict
  sample:
    - {id: 0, name: SR1010, serial: "1234567890123", state: ONLINE, license_state: APPLIED}
licensed:
  description: Controller ids that were (or in check mode would be) licensed by this run.
  returned: always
  type: list
  elements: int
  sample: [0]
features:
  description: The C(Features) map of C(graidctl desc lic) (for example the maximum PD count).
  returned: always
  type: dict
  sample: {"NVMe/NVMe-oFPDNumber": "32"}
commands:
  description: The graidctl commands that changed something (the key is masked).
  returned: always
  type: list
  elements: str
  sample: ["graidctl apply license ********"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hastorage.cluster.plugins.module_utils._graid import (
    LICENSED,
    GraidError,
    Graidctl,
    fail,
    license_key_errors,
    negative_id_errors,
    proc_hides_command_lines,
)
from ansible_collections.hastorage.cluster.plugins.module_utils._runner import CommandError


def merge(controllers, license_info):
    states = license_info["controllers"]
    merged = []
    for cx in controllers:
        item = dict(cx)
        item["license_state"] = states.get(cx["id"])
        merged.append(item)
    known = set(cx["id"] for cx in controllers)
    for cx_id in sorted(set(states) - known):
        merged.append({"id": cx_id, "name": None, "serial": None, "state": None, "license_state": states[cx_id]})
    return merged


PROC_MOUNTS = "/proc/self/mounts"


def read_proc_mounts():
    with open(PROC_MOUNTS) as fd:
        return fd.read()


def key_exposure_error(allow, mounts_text):
    """The refusal to put the key on graidctl's command line where other users
    can read it, or None (hidden, or the exposure accepted)."""
    if allow or proc_hides_command_lines(mounts_text):
        return None
    return ("refusing to apply the license key: graidctl takes it only as an argument (graidctl apply license KEY), "
            "and /proc on this host is mounted without hidepid, so any local user could read it in graidctl's "
            "command line while it runs. Mount /proc with hidepid=invisible (hidepid=2; for example "
            "'proc /proc proc defaults,hidepid=invisible 0 0' in /etc/fstab, then mount -o remount /proc), or set "
            "allow_key_in_process_list: true to accept that exposure")


def plan_license(merged, wanted_ids):
    """Controller ids that need a key; raises when a wanted id does not exist."""
    known = dict((cx["id"], cx) for cx in merged)
    if wanted_ids is None:
        wanted_ids = sorted(known)
    missing = [i for i in wanted_ids if i not in known]
    if missing:
        raise GraidError("controllers: controller(s) %s not found; graidctl knows %s"
                         % (", ".join(str(i) for i in missing), ", ".join(str(i) for i in sorted(known)) or "none"))
    return [i for i in wanted_ids if known[i]["license_state"] != LICENSED]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            key=dict(type="str", no_log=True),
            allow_key_in_process_list=dict(type="bool", default=False),
            controllers=dict(type="list", elements="int"),
        ),
        supports_check_mode=True,
    )
    errors = license_key_errors(module.params["key"]) + [
        e for c in module.params["controllers"] or [] for e in negative_id_errors({"controllers": c}, ["controllers"])]
    if errors:
        module.fail_json(msg="; ".join(errors))
    graid = Graidctl(module)
    result = dict(changed=False, licensed=[], commands=[], controllers=[], features={})
    try:
        info = graid.license()
        before = merge(graid.controllers(), info)
        need = plan_license(before, module.params["controllers"])
        after = before
        features = info["features"]
        if need:
            if not module.params["key"]:
                raise GraidError("controller(s) %s not licensed (%s) and no key was given"
                                 % (", ".join(str(i) for i in need),
                                    ", ".join("%d: %s" % (c["id"], c["license_state"]) for c in before if c["id"] in need)))
            mounts = read_proc_mounts()
            exposure = key_exposure_error(module.params["allow_key_in_process_list"], mounts)
            if exposure:
                module.fail_json(msg=exposure, controllers=before)
            if not module.check_mode and not proc_hides_command_lines(mounts):
                module.warn("the license key is on graidctl's command line, readable by local users while it runs "
                            "(allow_key_in_process_list: true; mount /proc with hidepid=invisible to hide it)")
            result["changed"] = True
            result["licensed"] = need
            result["commands"] = ["graidctl apply license ********"]
            try:
                graid.runner.run(["apply", "license", module.params["key"]], mutating=True)
            except CommandError as e:
                # never echo the argv: it holds the key
                module.fail_json(msg="graidctl apply license ******** failed (rc=%s): %s"
                                     % (e.rc, (e.stderr or e.stdout or "").strip()),
                                 rc=e.rc, stdout=e.stdout, stderr=e.stderr, controllers=before)
            if module.check_mode:
                after = [dict(c, license_state=LICENSED) if c["id"] in need else c for c in before]
            else:
                info = graid.license()
                features = info["features"]
                after = merge(graid.controllers(), info)
                still = [c for c in after if c["id"] in need and c["license_state"] != LICENSED]
                if still:
                    module.fail_json(
                        msg="graidctl accepted the key but controller(s) %s are still not licensed (%s); "
                            "a key is tied to one GPU serial number: give each controller its own key"
                            % (", ".join(str(c["id"]) for c in still),
                               ", ".join("%d: %s" % (c["id"], c["license_state"]) for c in still)),
                        controllers=after, changed=True)
        result["controllers"] = after
        result["features"] = features
        if module._diff:
            result["diff"] = dict(
                before=dict((str(c["id"]), c["license_state"]) for c in before),
                after=dict((str(c["id"]), c["license_state"]) for c in after))
    except (CommandError, GraidError) as e:
        fail(module, e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
