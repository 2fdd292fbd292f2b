# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fence_probe_problems filter (docs in fence_probe_problems.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.hastorage.cluster.plugins.module_utils._scsi_pr import probe_problems


def fence_probe_problems(probed, expected):
    if not isinstance(probed, list) or not isinstance(expected, list):
        raise AnsibleFilterError("fence_probe_problems takes two lists (probe reports, expected keys)")
    return probe_problems(probed, expected)


class FilterModule(object):
    def filters(self):
        return {"fence_probe_problems": fence_probe_problems}
