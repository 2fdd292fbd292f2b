# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The sbd_config_changes filter (docs in sbd_config_changes.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.six import string_types

from ansible_collections.hastorage.cluster.plugins.module_utils._sbd import config_changes


def sbd_config_changes(text, wanted):
    if not isinstance(text, string_types) or not isinstance(wanted, dict):
        raise AnsibleFilterError("sbd_config_changes takes the file's text and a dict of wanted settings")
    return config_changes(text, wanted)


class FilterModule(object):
    def filters(self):
        return {"sbd_config_changes": sbd_config_changes}
