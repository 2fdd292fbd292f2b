# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Common to every graid_* module.
    DOCUMENTATION = r"""
options: {}
requirements:
  - C(graidctl) (Graid SupremeRAID) on E(PATH) or in C(/usr/bin), C(/usr/sbin), C(/usr/local/bin) or C(/usr/local/sbin).
notes:
  - The module reads C(graidctl ... --format json) and accepts a C(✔ ... successfully.) status line before the JSON.
  - Commands run with the C locale and an empty standard input; deletes pass C(--confirm-to-delete).
  - Developed against a graidctl emulator that follows the documented CLI contract, not against a SupremeRAID card.
    Where graidctl's output is not what the module expects (a missing JSON key, an unknown state), the module fails
    with a message that names the command and the key instead of guessing.
seealso:
  - name: SupremeRAID support in hastorage.cluster
    description: What was verified, what is assumed, and how the emulator behaves.
    link: https://github.com/hastorage/cluster/blob/main/docs/graid.md
"""

    # Modules that can destroy a drive group or a volume.
    DESTROY = r"""
options:
  confirm_destroy:
    description:
      - Must be V(true) for O(state=absent) to delete anything that holds data.
      - Even then the module refuses while a volume it would delete is mounted, used as swap, an LVM physical
        volume, held by device-mapper or md (C(/sys/block/*/holders)) or held open by a process (a scan of
        C(/proc/*/fd), like C(fuser)); the message says which check failed.
    type: bool
    default: false
"""
