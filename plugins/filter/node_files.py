# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: lines_to_set
short_description: The setting lines ansible.builtin.lineinfile would still change, from one node_state read
version_added: 0.2.0
author:
  - hastorage.cluster contributors (@hastorage)
description:
  - "Given the settings a role writes with M(ansible.builtin.lineinfile) (state present, a O(_input[].regexp),
    the line added at the end when none matches) and what M(hastorage.cluster.node_state) read of the files
    (O(paths[].content=true)), returns the settings the module would change: a file missing, larger than
    node_state reads, not plain ASCII, whose last line matching O(_input[].regexp) is not O(_input[].line), or
    whose owner, group or mode differs. A role loops lineinfile over this list: nothing runs on a node where
    every line is in place (each lineinfile run costs a node about 0.3 s of CPU)."
  - An item is left out only when the file certainly stays as it is; the module decides about the others.
positional: _input, paths
options:
  _input:
    description: The settings, one lineinfile run each.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: The file (absolute).
        type: str
        required: true
      line:
        description: The line wanted (no newline).
        type: str
        required: true
      regexp:
        description: The Python regular expression of the line to replace, as given to lineinfile.
        type: str
      owner:
        description: The file's owner, when the task sets one.
        type: str
      group:
        description: The file's group, when the task sets one.
        type: str
      mode:
        description: The file's mode (octal text such as V(0644)), when the task sets one.
        type: raw
  paths:
    description: The RV(hastorage.cluster.node_state#module:paths) result of a read with O(paths[].content=true).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Set only the lines that differ
  ansible.builtin.lineinfile:
    path: "{{ item.path }}"
    regexp: "{{ item.regexp }}"
    line: "{{ item.line }}"
    create: true
  loop: "{{ settings | hastorage.cluster.lines_to_set(state.paths) }}"
  vars:
    settings:
      - {path: /etc/watchdog.conf, regexp: '^\s*#?\s*interval\s*=', line: "interval = 2"}
"""

RETURN = r"""
_value:
  description: The items of O(_input) lineinfile would change, in their order.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.hastorage.cluster.plugins.module_utils import _node_files


def lines_to_set(settings, paths):
    try:
        return _node_files.lines_to_set(settings, paths)
    except ValueError as e:
        raise AnsibleFilterError(str(e))


def files_to_write(files, paths):
    try:
        return _node_files.files_to_write(files, paths)
    except ValueError as e:
        raise AnsibleFilterError(str(e))


class FilterModule(object):
    def filters(self):
        return {"lines_to_set": lines_to_set, "files_to_write": files_to_write}
