#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: node_state
short_description: Read the packages, systemd units, files and a user's password hash a role decides on, in one run
description:
  - "Reads, in one module run on the node, what a role would otherwise read with one task each
    (C(dpkg-query), C(systemctl show), M(ansible.builtin.stat), M(ansible.builtin.find), or a module run that
    only compares): which of O(packages) are installed, the state of O(units), the metadata of O(paths), and
    whether the password hash of O(shadow.user) in C(/etc/shadow) is O(shadow.hash)."
  - Each module run costs a node about 0.3 s of CPU (AnsiballZ compiles ansible-core's module_utils every time),
    so a role that reads once and then runs a module only for what differs re-runs in a fraction of the time.
  - Never changes anything; the same in check mode.
version_added: 0.2.0
author:
  - hastorage.cluster contributors (@hastorage)
extends_documentation_fragment:
  - hastorage.cluster.read_only
options:
  packages:
    description:
      - Debian package names; RV(packages) says which are installed (one C(dpkg-query -W)). Needs C(dpkg-query);
        without it RV(dpkg) is V(false) and RV(packages) empty.
    type: list
    elements: str
    default: []
  units:
    description:
      - systemd unit names, with their suffix; RV(units) has their O(unit_properties) (one C(systemctl show)).
    type: list
    elements: str
    default: []
  unit_properties:
    description: The properties read for each unit.
    type: list
    elements: str
    default: [Id, LoadState, UnitFileState, ActiveState]
  paths:
    description: Absolute paths whose metadata RV(paths) gives (a symbolic link is not followed unless O(paths[].follow)).
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The path.
        type: str
        required: true
      checksum:
        description: Also the SHA-256 of a regular file's content.
        type: bool
        default: false
      follow:
        description: Describe what a symbolic link points to (as M(ansible.builtin.stat) with C(follow)), for example a
          device under C(/dev/mapper) or C(/dev/disk/by-id); a dangling link is then C(exists=false).
        type: bool
        default: false
      content:
        description:
          - Also the text of a regular file (UTF-8, undecodable bytes replaced), for a file of at most 256 KiB;
            a larger file's C(content) is null. For settings files a role compares line by line
            (P(hastorage.cluster.lines_to_set#filter)); never for a file that holds a secret.
        type: bool
        default: false
  shadow:
    description:
      - Compare the password field of O(shadow.user) in C(/etc/shadow) with O(shadow.hash)
        (RV(password_matches)); the hash is never returned or logged.
    type: dict
    suboptions:
      user:
        description: The user.
        type: str
        required: true
      hash:
        description: The wanted hash, as C(password_hash) makes it.
        type: str
        required: true
notes:
  - Runs as root (C(/etc/shadow)); C(LC_ALL=C) for every command.
seealso:
  - module: ansible.builtin.stat
  - module: ansible.builtin.package_facts
  - module: ansible.builtin.service_facts
"""

EXAMPLES = r"""
- name: Read the cluster's packages, units, files and the hacluster password in one run
  hastorage.cluster.node_state:
    packages: [pacemaker, corosync, pcs]
    units: [pcsd.service, corosync.service, pacemaker.service]
    paths:
      - {path: /etc/corosync/corosync.conf}
      - {path: /etc/corosync/authkey, checksum: true}
    shadow:
      user: hacluster
      hash: "{{ hacluster_password | password_hash('sha512', 'stablesalt') }}"
  register: state

- name: Start pcsd only when it does not run or does not start at boot
  ansible.builtin.systemd_service:
    name: pcsd
    state: started
    enabled: true
  when: state.units_show | hastorage.cluster.systemd_units_to_change(wanted) | length > 0
  vars:
    wanted:
      pcsd.service: {enabled: true, state: started}
"""

RETURN = r"""
dpkg:
  description: Whether C(dpkg-query) was found (a Debian-like node).
  returned: always
  type: bool
  sample: true
packages:
  description: Per name of O(packages), C(installed), dpkg's C(status) (null for a package dpkg does not know) and the
    installed C(version).
  returned: always
  type: dict
  sample: {pacemaker: {installed: true, status: installed, version: "2.1.5-1+deb12u1"}}
units:
  description: Per unit of O(units), its O(unit_properties) as systemd prints them.
  returned: always
  type: dict
  sample: {pcsd.service: {Id: pcsd.service, LoadState: loaded, UnitFileState: enabled, ActiveState: active}}
units_show:
  description: The output of the C(systemctl show) (what P(hastorage.cluster.systemd_units_to_change#filter) reads).
  returned: always
  type: str
paths:
  description:
    - Per path of O(paths), C(exists), and when it does C(isdir), C(isreg), C(islnk), C(isblk), C(ischr), C(mode) (octal text, as
      M(ansible.builtin.stat) gives it), C(pw_name), C(gr_name), C(size), C(lnk_target) (what a symbolic link
      points to, as written; null for anything else), and C(checksum) and C(content) when asked.
  returned: always
  type: dict
  sample: {/etc/corosync/authkey: {exists: true, isdir: false, isreg: true, islnk: false, mode: "0400",
           pw_name: root, gr_name: root, size: 256, lnk_target: null, checksum: 5f1e...}}
password_matches:
  description: Whether the user's hash is O(shadow.hash); null without O(shadow) or when the user has no entry.
  returned: always
  type: bool
  sample: true
"""

import grp
import hashlib
import os
import pwd
import stat

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hastorage.cluster.plugins.module_utils import _node_state
from ansible_collections.hastorage.cluster.plugins.module_utils._runner import CommandRunner, fail_from_error, CommandError

SHADOW = "/etc/shadow"
CONTENT_LIMIT = 256 * 1024


def path_facts(path, checksum=False, content=False, follow=False):
    """Metadata of ``path`` (a symbolic link itself unless ``follow``), as ansible.builtin.stat names it."""
    try:
        st = os.stat(path) if follow else os.lstat(path)
    except OSError:
        return {"exists": False}
    facts = {
        "exists": True,
        "isdir": stat.S_ISDIR(st.st_mode),
        "isreg": stat.S_ISREG(st.st_mode),
        "islnk": stat.S_ISLNK(st.st_mode),
        "isblk": stat.S_ISBLK(st.st_mode),
        "ischr": stat.S_ISCHR(st.st_mode),
        "mode": "%04o" % stat.S_IMODE(st.st_mode),
        "size": st.st_size,
        "lnk_target": os.readlink(path) if stat.S_ISLNK(st.st_mode) else None,
    }
    try:
        facts["pw_name"] = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        facts["pw_name"] = None
    try:
        facts["gr_name"] = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        facts["gr_name"] = None
    if checksum and facts["isreg"]:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(65536), b""):
                digest.update(block)
        facts["checksum"] = digest.hexdigest()
    if content:
        facts["content"] = None
        if facts["isreg"] and st.st_size <= CONTENT_LIMIT:
            with open(path, "rb") as handle:
                facts["content"] = handle.read(CONTENT_LIMIT + 1).decode("utf-8", "replace")
    return facts


def main():
    module = AnsibleModule(
        argument_spec=dict(
            packages=dict(type="list", elements="str", default=[]),
            units=dict(type="list", elements="str", default=[]),
            unit_properties=dict(type="list", elements="str", default=list(_node_state.DEFAULT_UNIT_PROPERTIES)),
            paths=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="str", required=True),
                checksum=dict(type="bool", default=False),
                content=dict(type="bool", default=False),
                follow=dict(type="bool", default=False),
            )),
            shadow=dict(type="dict", options=dict(
                user=dict(type="str", required=True),
                hash=dict(type="str", required=True, no_log=True),
            )),
        ),
        supports_check_mode=True,
    )
    params = module.params
    errors = _node_state.params_errors(params["packages"], params["units"], params["paths"],
                                       params["unit_properties"])
    if errors:
        module.fail_json(msg="; ".join(errors))
    result = dict(changed=False, dpkg=False, packages={}, units={}, units_show="", paths={}, password_matches=None)
    try:
        dpkg = CommandRunner(module, "dpkg-query", required=False)
        result["dpkg"] = dpkg.available
        if params["packages"] and dpkg.available:
            # rc 1: some name is not known to dpkg (said on stderr), the others are printed
            out = dpkg.run(["-W", "-f=" + _node_state.DPKG_FORMAT] + params["packages"], ok_rc=(0, 1),
                           message="dpkg-query failed").stdout
            result["packages"] = _node_state.parse_dpkg_query(out, params["packages"])
        if params["units"]:
            systemctl = CommandRunner(module, "systemctl")
            out = systemctl.run(["show", "--property=" + ",".join(params["unit_properties"]), "--"] + params["units"],
                                message="systemctl show failed").stdout
            try:
                result["units"] = _node_state.parse_systemctl_show(out, params["units"])
            except ValueError as e:
                module.fail_json(msg=str(e), stdout=out)
            result["units_show"] = out
    except CommandError as e:
        fail_from_error(module, e)
    for item in params["paths"]:
        result["paths"][item["path"]] = path_facts(item["path"], item["checksum"], item["content"], item["follow"])
    if params["shadow"]:
        try:
            with open(SHADOW) as handle:
                current = _node_state.shadow_hash(handle.read(), params["shadow"]["user"])
        except (IOError, OSError) as e:
            module.fail_json(msg="cannot read %s: %s" % (SHADOW, e))
        result["password_matches"] = None if current is None else current == params["shadow"]["hash"]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
