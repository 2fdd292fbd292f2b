# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: systemd_units_to_change
short_description: The units whose boot or run state differs from what a role wants
version_added: 0.2.0
author:
  - hastorage.cluster contributors (@hastorage)
description:
  - "Reads the output of one C(systemctl show --property=Id,LoadState,UnitFileState,ActiveState -- UNIT...) for
    the units of O(wanted) and returns the names of those that need C(ansible.builtin.systemd_service): a role
    asks systemd once and runs the module only for those, instead of one module run per unit on every re-run
    (about 1 s a unit on the 3-node lab)."
  - "A unit is left out only when its state is certainly the wanted one: C(enabled) for O(wanted[].enabled=true);
    C(disabled), C(masked) or no such unit for V(false); C(active) for O(wanted[].state=started); C(inactive),
    C(failed) or no such unit for V(stopped). Any other state (static, indirect, generated, a unit missing
    that must be enabled, an output that does not name it) keeps the unit in the list, and the module decides."
positional: _input, wanted
options:
  _input:
    description: The standard output of that C(systemctl show) (blocks separated by empty lines, one per unit,
      in the order given).
    type: str
    required: true
  wanted:
    description: Unit name (with its suffix, as given to C(systemctl show)) to what the role wants.
    type: dict
    required: true
    suboptions:
      enabled:
        description: Started at boot or not; omitted means not managed.
        type: bool
      state:
        description: V(started) or V(stopped); omitted means not managed.
        type: str
"""

EXAMPLES = r"""
- name: Read the units' boot and run state
  ansible.builtin.command:
    argv: [systemctl, show, "--property=Id,LoadState,UnitFileState,ActiveState", --, smbd.service, rpcbind.service]
  register: __units
  changed_when: false
  check_mode: false

- name: Change only the units that differ
  ansible.builtin.systemd_service:
    name: "{{ item }}"
    enabled: "{{ wanted[item].enabled | default(omit) }}"
    state: "{{ wanted[item].state | default(omit) }}"
  loop: "{{ __units.stdout | hastorage.cluster.systemd_units_to_change(wanted) }}"
  vars:
    wanted: {smbd.service: {enabled: false}, rpcbind.service: {enabled: true, state: started}}
"""

RETURN = r"""
_value:
  description: The unit names to hand to C(ansible.builtin.systemd_service), in the order of O(wanted).
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible_collections.hastorage.cluster.plugins.module_utils._node_state import parse_show_blocks

ENABLED_STATES = {True: ("enabled",), False: ("disabled", "masked")}
ACTIVE_STATES = {"started": ("active",), "stopped": ("inactive", "failed")}


def parse_show(text):
    """The blocks of ``systemctl show``, in order: [{property: value}]."""
    return parse_show_blocks(to_text(text))


def _satisfied(props, want):
    missing = props.get("LoadState") == "not-found"
    if "enabled" in want and want["enabled"] is not None:
        # a templated "False" (ansible-core without native types) is false
        try:
            enabled = boolean(want["enabled"], strict=True)
        except TypeError:
            raise AnsibleFilterError("systemd_units_to_change: enabled must be a boolean, got %r" % (want["enabled"],))
        if missing:
            if enabled:
                return False
        elif props.get("UnitFileState") not in ENABLED_STATES[enabled]:
            return False
    if want.get("state") is not None:
        if want["state"] not in ACTIVE_STATES:
            raise AnsibleFilterError("systemd_units_to_change: state must be started or stopped, got %r"
                                     % (want["state"],))
        if missing:
            if want["state"] == "started":
                return False
        elif props.get("ActiveState") not in ACTIVE_STATES[want["state"]]:
            return False
    return True


def systemd_units_to_change(show_output, wanted):
    if not isinstance(wanted, dict):
        raise AnsibleFilterError("systemd_units_to_change: wanted must be a dictionary of unit names, got %s"
                                 % type(wanted).__name__)
    blocks = parse_show(show_output)
    by_id = dict((b.get("Id"), b) for b in blocks if b.get("Id"))
    order = list(wanted)
    # systemctl names an unknown unit by the name asked for; an alias by its
    # own Id: fall back to the block at the same position
    change = []
    for i, unit in enumerate(order):
        props = by_id.get(unit)
        if props is None and len(blocks) == len(order):
            props = blocks[i]
        if props is None or not _satisfied(props, wanted[unit] or {}):
            change.append(unit)
    return change


class FilterModule(object):
    def filters(self):
        return {"systemd_units_to_change": systemd_units_to_change}
