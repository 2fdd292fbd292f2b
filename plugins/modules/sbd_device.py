#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sbd_device
short_description: Check, and when asked initialize, the shared disks SBD uses for its poison pills
description:
  - Reads the SBD header of each device (C(sbd -d DEVICE dump)) and reports its timeouts.
  - With O(initialize=true), a device without a header gets one (C(sbd -d DEVICE -1 WATCHDOG -4 MSGWAIT create))
    when it is blank, that is no signature C(wipefs --no-act) knows (filesystem, LVM, RAID, partition table) and
    only zero bytes in its first 2 MiB. Then the header is read again and must show the wanted timeouts.
  - "Refused, with the reason and before anything is written: a device that holds a signature or data, and
    a device whose header has other timeouts than O(watchdog_timeout) and O(msgwait_timeout) (a new header
    clears every node's slot). Both are written only for devices listed in O(overwrite)."
  - Without O(initialize), a device must already have a header; the module only reads.
  - Runs C(sbd) and C(wipefs) with argv lists and C(LC_ALL=C). C(sbd) has no machine-readable output; its dump
    is one line per header field, name and value separated by a colon.
version_added: 0.1.0
author:
  - hastorage.cluster contributors (@hastorage)
options:
  devices:
    description:
      - The SBD disks, by a path every cluster node sees alike (V(/dev/disk/by-id/...), a dm-multipath alias).
      - They are shared, so run the module on one node (C(run_once)).
    type: list
    elements: path
    required: true
  initialize:
    description: Write a header to each blank device that has none. Off, the module only reads.
    type: bool
    default: false
  watchdog_timeout:
    description:
      - The header's watchdog timeout in seconds (C(sbd -1)), that is how long a node's SBD may go without a good
        read of the disk before its watchdog resets the node. Used only with O(initialize).
    type: int
    default: 5
  msgwait_timeout:
    description:
      - The header's msgwait timeout in seconds (C(sbd -4)), that is how long the fencing node waits after writing a
        poison pill before it counts the target as fenced. At least twice O(watchdog_timeout); default twice
        it. Pacemaker's C(stonith-timeout) must leave room for it.
    type: int
  overwrite:
    description:
      - Devices (as given in O(devices)) whose content may be lost to a new header, with O(initialize), such as a
        filesystem, other data, or an SBD header with other timeouts. Stop the cluster on every node before
        re-initializing a header SBD uses.
    type: list
    elements: path
    default: []
attributes:
  check_mode:
    support: full
    description: Reads and plans; nothing is written. C(changed) says whether a header would be written.
  diff_mode:
    support: full
    description: Before and after, each device's header timeouts (or what it holds instead).
  idempotent:
    support: full
    description: A device that has the wanted header is left alone.
notes:
  - Runs as root. Needs C(sbd) (package sbd) and C(wipefs) (util-linux) on the node.
seealso:
  - module: hastorage.cluster.scsi_reservation_info
"""

EXAMPLES = r"""
- name: Give the SBD LUN its header (only if it is blank)
  hastorage.cluster.sbd_device:
    devices: [/dev/mapper/sbd1]
    initialize: true
    watchdog_timeout: 5
    msgwait_timeout: 10
  run_once: true
"""

RETURN = r"""
devices:
  description: One entry per device of O(devices), in that order.
  returned: always
  type: list
  elements: dict
  contains:
    device:
      description: The device as given.
      type: str
      sample: /dev/mapper/sbd1
    header:
      description: The header after the run (in check mode, the one found); null when the device has none.
      type: dict
      sample: {version: "2.1", slots: 255, sector_size: 512, watchdog_timeout: 5, msgwait_timeout: 10}
    action:
      description: V(none), V(create) (a blank device got a header) or V(recreate) (a header was replaced).
      type: str
      sample: create
    content:
      description: What a device without a header holds, in words.
      type: str
      sample: nothing (all zero)
"""


from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hastorage.cluster.plugins.module_utils import _sbd
from ansible_collections.hastorage.cluster.plugins.module_utils._files import is_block_device
from ansible_collections.hastorage.cluster.plugins.module_utils._runner import CommandError, CommandRunner, fail_from_error


def read_start(path):
    """Whether the first BLANK_CHECK_BYTES of the device are all zero."""
    with open(path, "rb") as fd:
        data = fd.read(_sbd.BLANK_CHECK_BYTES)
    return not data.strip(b"\0")


class SbdDevices:
    def __init__(self, module):
        self.module = module
        self.sbd = CommandRunner(module, "sbd", required=False)
        self.wipefs = CommandRunner(module, "wipefs", required=False)

    def header(self, device):
        result = self.sbd.run(_sbd.dump_argv(device), ok_rc=None)
        return _sbd.parse_header(result.rc, result.stdout)

    def content(self, device):
        result = self.wipefs.run(_sbd.wipefs_argv(device), message="wipefs could not read %s" % device)
        return _sbd.parse_signatures(result.stdout), read_start(device)

    def run(self):
        p = self.module.params
        try:
            watchdog, msgwait = _sbd.check_timeouts(p["watchdog_timeout"], p["msgwait_timeout"])
        except ValueError as e:
            self.module.fail_json(msg=str(e))
        wanted = {"watchdog_timeout": watchdog, "msgwait_timeout": msgwait}
        devices = p["devices"]
        problems = []
        if not devices:
            problems.append("devices must name at least one block device")
        if len(set(devices)) != len(devices):
            problems.append("devices lists a device twice: %s" % ", ".join(sorted(set(d for d in devices
                                                                                      if devices.count(d) > 1))))
        stray = [d for d in p["overwrite"] if d not in devices]
        if stray:
            problems.append("overwrite names devices that are not in devices: %s" % ", ".join(stray))
        relative = [d for d in devices if not d.startswith("/")]
        if relative:
            problems.append("devices: every device is an absolute path such as /dev/mapper/sbd1, got %s"
                            % ", ".join(repr(d) for d in relative))
        missing = [d for d in devices if d.startswith("/") and not is_block_device(d)]
        if missing:
            problems.append("not a block device on this node: %s" % ", ".join(missing))
        for runner, package in ((self.sbd, "sbd"), (self.wipefs, "util-linux")):
            if not runner.available:
                problems.append("%s was not found (install %s)" % (runner.binary, package))
        if problems:
            self.module.fail_json(msg="; ".join(problems))

        plans, refusals = [], []
        for device in devices:
            header = self.header(device)
            signatures, blank = ([], True) if header is not None else self.content(device)
            action, refusal = _sbd.plan_device(device, header, signatures, blank, wanted, p["initialize"],
                                               device in p["overwrite"])
            if refusal:
                refusals.append(refusal)
            plans.append({"device": device, "header": header, "action": action,
                          "content": None if header is not None else _sbd.describe_content(signatures, blank)})
        if refusals:
            self.module.fail_json(msg="; ".join(refusals), devices=plans)

        before = {d["device"]: self.describe(d["header"], d["content"]) for d in plans}
        after = dict(before)
        for plan in plans:
            if plan["action"] == "none":
                continue
            after[plan["device"]] = self.describe(wanted, None)
            self.sbd.run(_sbd.create_argv(plan["device"], watchdog, msgwait), mutating=True,
                         message="sbd could not write the header of %s" % plan["device"])
            if self.module.check_mode:
                continue
            header = self.header(plan["device"])
            if header is None or any(header.get(k) != v for k, v in wanted.items()):
                self.module.fail_json(msg="%s: sbd create ran, but the header read back is %r, not %s"
                                      % (plan["device"], header, wanted), devices=plans)
            plan["header"], plan["content"] = header, None
        changed = any(d["action"] != "none" for d in plans)
        result = {"changed": changed, "devices": plans}
        if self.module._diff:
            result["diff"] = {"before": self.lines(before), "after": self.lines(after)}
        self.module.exit_json(**result)

    @staticmethod
    def describe(header, content):
        if header is None:
            return "no SBD header, holds %s" % content
        return "SBD header, watchdog %ss, msgwait %ss" % (header["watchdog_timeout"], header["msgwait_timeout"])

    @staticmethod
    def lines(states):
        return "".join("%s: %s\n" % item for item in states.items())


def main():
    module = AnsibleModule(
        argument_spec=dict(
            devices=dict(type="list", elements="path", required=True),
            initialize=dict(type="bool", default=False),
            watchdog_timeout=dict(type="int", default=5),
            msgwait_timeout=dict(type="int"),
            overwrite=dict(type="list", elements="path", default=[]),
        ),
        supports_check_mode=True,
    )
    try:
        SbdDevices(module).run()
    except CommandError as e:
        fail_from_error(module, e)
    except _sbd.SbdError as e:
        module.fail_json(msg=str(e))


if __name__ == "__main__":
    main()
