#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: config_files
short_description: Write many small configuration files and their directories in one run
description:
  - One module run per node for a role's whole set of small text files (units, agents, each group's
    configuration file) and the directories that hold them, where C(ansible.builtin.template) and
    C(ansible.builtin.copy) take two runs per file even when nothing changes. Measured on the 3-node lab, a
    re-run's file tasks took about 1 s each.
  - Reads every path, plans, and changes only what differs, in this order, directories first. A new content
    goes to a synced temporary file in the same directory, with its owner and mode, is checked with
    O(files[].validate) when given, then renamed over the old file and the directory synced, so a power
    loss leaves the old file or the whole new one and a content that fails validation is never installed.
  - "Refused before anything changes: a path listed twice, a relative path, a path that is a symbolic link or
    another kind of file than wanted (it is not replaced), a file whose directory neither exists nor is
    listed, an unknown owner or group, a mode that is not octal."
  - Text files only (UTF-8). The action plugin of the same name fills O(files[].content) from a role's
    template (O(files[].template), rendered on the controller with the task's variables, as
    C(ansible.builtin.template) does) or file (O(files[].src)).
version_added: 0.2.0
author:
  - hastorage.cluster contributors (@hastorage)
options:
  directories:
    description: Directories to create when missing (parents too) and to give their mode and owner.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path.
        type: path
        required: true
      mode:
        description: Octal mode, as a string.
        type: str
        default: "0755"
      owner:
        description: User name or number.
        type: str
        default: root
      group:
        description: Group name or number.
        type: str
        default: root
  files:
    description: The files, in the order they are written.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path of the file.
        type: path
        required: true
      content:
        description:
          - The whole text of the file; shown in diff mode unless O(files[].sensitive=true).
          - Exactly one of O(files[].content), O(files[].template) and O(files[].src) (the last two through the
            action plugin).
        type: str
      template:
        description: A Jinja2 template of the role (its C(templates/) folder), rendered on the controller.
        type: str
      src:
        description: A file of the role (its C(files/) folder), copied as it is.
        type: str
      vars:
        description: Variables for this file's O(files[].template) only, over the task's (a group's file rendered
          with that group).
        type: dict
      mode:
        description: Octal mode, as a string.
        type: str
        default: "0644"
      owner:
        description: User name or number.
        type: str
        default: root
      group:
        description: Group name or number.
        type: str
        default: root
      validate:
        description:
          - A command, as an argv list, that checks a new content before it is installed; the element V(%s)
            is replaced by the temporary file's path. A non-zero exit fails the task and leaves the file as it was.
        type: list
        elements: str
      sensitive:
        description:
          - The file holds a secret. Its content is masked wherever the result would show it (the module's
            arguments at -vvv, messages) and never shown in diff mode.
        type: bool
        default: false
attributes:
  action:
    support: full
    description: The action plugin renders templates and reads role files on the controller.
  check_mode:
    support: full
    description: Reads and plans; nothing is written. RV(changed_paths) lists what would change.
  diff_mode:
    support: full
    description: Before and after of every file whose content changes.
  idempotent:
    support: full
    description: A run after a run changes nothing.
notes:
  - Handlers notified by the task run when any path changed; a task that must react to one file uses
    RV(changed_paths).
seealso:
  - module: ansible.builtin.template
  - module: ansible.builtin.copy
"""

EXAMPLES = r"""
- name: Write the agents and each group's share file
  hastorage.cluster.config_files:
    directories:
      - {path: /etc/samba/hastorage}
    files:
      - {path: /usr/lib/ocf/resource.d/hastorage/samba_shares, src: samba_shares, mode: "0755"}
      - path: /etc/samba/smb.conf
        template: smb.conf.j2
        validate: [testparm, -s, --suppress-prompt, "%s"]
  register: __written

- name: Reload systemd when a unit changed
  ansible.builtin.systemd_service:
    daemon_reload: true
  when: "'/etc/systemd/system/x.service' in __written.changed_paths"
"""

RETURN = r"""
changed_paths:
  description: The directories and files that were (in check mode, would be) created or changed, in order.
  returned: always
  type: list
  elements: str
  sample: [/etc/samba/hastorage, /etc/samba/hastorage/share1.conf]
actions:
  description: What was (would be) done to each changed path.
  returned: always
  type: dict
  sample: {/etc/samba/hastorage: [mkdir], /etc/krb5.conf: [chmod]}
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hastorage.cluster.plugins.module_utils import _config_files as cf
from ansible_collections.hastorage.cluster.plugins.module_utils._runner import C_LOCALE

ARGUMENT_SPEC = dict(
    directories=dict(type="list", elements="dict", default=[], options=dict(
        path=dict(type="path", required=True),
        mode=dict(type="str", default="0755"),
        owner=dict(type="str", default="root"),
        group=dict(type="str", default="root"),
    )),
    files=dict(type="list", elements="dict", default=[], options=dict(
        path=dict(type="path", required=True),
        content=dict(type="str"),
        template=dict(type="str"),
        src=dict(type="str"),
        vars=dict(type="dict"),
        mode=dict(type="str", default="0644"),
        owner=dict(type="str", default="root"),
        group=dict(type="str", default="root"),
        validate=dict(type="list", elements="str"),
        sensitive=dict(type="bool", default=False),
    ), mutually_exclusive=[["content", "template", "src"]]),
)


def run_module(module):
    params = module.params
    for item in params["files"]:
        if any(item.get(k) is not None for k in ("template", "src", "vars")):
            module.fail_json(msg="files[%s]: template, src and vars are read by the action plugin on the controller; "
                                 "call the module as hastorage.cluster.config_files" % item["path"])
        if item.get("sensitive") and item.get("content"):
            # masked in everything the module returns, its arguments included
            module.no_log_values.add(item["content"])
    try:
        dirs, files = cf.normalise(params["directories"], params["files"])
        state = cf.read_state(dirs, files)
        steps = cf.plan(dirs, files, state)
    except cf.ConfigFilesError as e:
        module.fail_json(msg=str(e), changed=False)
    result = {"changed": bool(steps), "changed_paths": [p for p, _a in steps],
              "actions": dict((p, a) for p, a in steps)}
    if module._diff:
        result["diff"] = cf.diffs(files, state, steps)
    if steps and not module.check_mode:

        def run_validate(argv):
            return module.run_command(argv, environ_update=C_LOCALE)

        try:
            cf.apply(dirs, files, steps, run_validate)
        except cf.ConfigFilesError as e:
            module.fail_json(msg=str(e), **result)
        except OSError as e:
            module.fail_json(msg="writing %s failed: %s" % (getattr(e, "filename", None) or "a file", e), **result)
    module.exit_json(**result)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    os.umask(0o022)
    run_module(module)


if __name__ == "__main__":
    main()
