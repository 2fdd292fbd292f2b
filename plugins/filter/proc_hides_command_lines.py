# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The proc_hides_command_lines filter (docs in proc_hides_command_lines.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.six import string_types

from ansible_collections.hastorage.cluster.plugins.module_utils._graid import proc_hides_command_lines as _hides


def proc_hides_command_lines(text):
    if not isinstance(text, string_types):
        raise AnsibleFilterError("proc_hides_command_lines takes the text of /proc/self/mounts")
    return _hides(text)


class FilterModule(object):
    def filters(self):
        return {"proc_hides_command_lines": proc_hides_command_lines}
