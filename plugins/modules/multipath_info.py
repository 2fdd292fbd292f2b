#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: multipath_info
short_description: Read device-mapper multipath maps and their paths from multipathd
description:
  - Returns, per multipath map, its WWID, alias, device-mapper name, size, features, queueing state, path groups
    and every path with its device-mapper, checker and device state, and the number of paths that can carry I/O
    (RV(maps.usable_paths)).
  - Reads C(multipathd show maps json) (one call, C(LC_ALL=C)) and the map's C(/sys/block/<dm>/size); no text
    is scraped. Needs a running C(multipathd); when it does not answer the module fails and says so.
  - A path is usable when device-mapper has it C(active) and its checker says C(ready) or C(ghost) (an ALUA
    standby path). The C(hastorage.cluster.multipath) role's C(multipath-health) Pacemaker agent counts with
    the same rule.
version_added: 0.1.0
author:
  - hastorage.cluster contributors (@hastorage)
extends_documentation_fragment:
  - hastorage.cluster.read_only
options:
  wwid:
    description:
      - Only these maps, by WWID as multipath prints it (lower case, for example
        V(360014056b3e2a1000014a00800000000)). RV(missing) lists those that have no map.
      - Empty returns every map.
    type: list
    elements: str
    default: []
  maps:
    description:
      - Read multipathd's maps (RV(maps), RV(missing)). V(false) skips multipathd, which need not run then.
    type: bool
    default: true
  scsi_disks:
    description:
      - Also return RV(scsi_disks), the SCSI disks of this host by the WWID multipath gives them (udev's
        C(ID_SERIAL), from its database under C(/run/udev/data)) with their sysfs state, whether or not a map
        holds them. A design counts the paths of each LUN with it before it writes C(multipath.conf).
      - With O(wwid), only those WWIDs.
    type: bool
    default: false
notes:
  - Runs on the host with the multipath maps, as root (multipathd's socket is root only).
  - Tested with multipath-tools 0.9.4 (Debian 12), whose JSON has no map size and no H:C:T:L of the paths.
seealso:
  - name: multipathd(8)
    description: The multipathd manual.
    link: https://man7.org/linux/man-pages/man8/multipathd.8.html
"""

EXAMPLES = r"""
- name: Read the multipath maps of the SAN LUNs
  hastorage.cluster.multipath_info:
    wwid:
      - 360014056b3e2a1000014a00800000000
      - 360014056b3e2a1000024a00800000000
  register: mp

- name: Every LUN is there with two usable paths
  ansible.builtin.assert:
    that:
      - mp.missing | length == 0
      - mp.maps.values() | map(attribute='usable_paths') | min >= 2
"""

RETURN = r"""
maps:
  description: One entry per map, keyed by WWID.
  returned: always
  type: dict
  contains:
    wwid:
      description: The WWID (multipathd's C(uuid)).
      type: str
      sample: 360014056b3e2a1000014a00800000000
    alias:
      description: Map name (the alias from C(multipath.conf), else the WWID or C(mpathN)).
      type: str
      sample: lun1
    dm_name:
      description: Kernel name of the device-mapper device.
      type: str
      sample: dm-0
    size:
      description: Size in bytes (from sysfs); null when it cannot be read.
      type: int
      sample: 268435456
    vendor:
      description: SCSI vendor of the LUN.
      type: str
      sample: LIO-ORG
    product:
      description: SCSI product of the LUN.
      type: str
      sample: lun1
    dm_st:
      description: Map state in device-mapper (C(active), C(suspend)).
      type: str
      sample: active
    write_prot:
      description: C(rw) or C(ro).
      type: str
      sample: rw
    features:
      description: Device-mapper features of the map.
      type: list
      elements: str
      sample: [queue_if_no_path]
    queue_if_no_path:
      description: Whether I/O is queued (not failed) right now when no path is left.
      type: bool
      sample: true
    queueing:
      description:
        - "multipathd's queueing state: C(mode) V(checks) (armed: C(value) path checks of queueing once the last
          path fails), V(queueing) (every path failed, C(value) seconds left), V(off) (I/O fails), V(forever)
          (C(no_path_retry queue)) or V(undef)."
      type: dict
      sample: {mode: checks, value: 6}
    hwhandler:
      description: Hardware handler.
      type: str
      sample: 1 alua
    failback:
      description: Failback policy.
      type: str
      sample: immediate
    path_faults:
      description: Path failures counted since the map was created.
      type: int
      sample: 1
    queue_timeouts:
      description: Times the C(no_path_retry) countdown ran out.
      type: int
      sample: 0
    path_groups:
      description: Path groups with C(group), C(selector), C(priority), C(dm_st), C(marginal) and C(paths).
      type: list
      elements: dict
    total_paths:
      description: Paths in the map, usable or not.
      type: int
      sample: 2
    usable_paths:
      description: Paths device-mapper has C(active) whose checker says C(ready) or C(ghost).
      type: int
      sample: 2
    failed_paths:
      description: Paths device-mapper has marked C(failed).
      type: int
      sample: 0
  sample:
    360014056b3e2a1000014a00800000000:
      wwid: 360014056b3e2a1000014a00800000000
      alias: lun1
      dm_name: dm-0
      size: 268435456
      queue_if_no_path: true
      queueing: {mode: checks, value: 6}
      total_paths: 2
      usable_paths: 1
      failed_paths: 1
      path_groups:
        - group: 1
          selector: service-time 0
          priority: 50
          dm_st: active
          marginal: false
          paths:
            - {dev: sda, dev_t: "8:0", dm_st: failed, chk_st: faulty, dev_st: running, online: true, usable: false,
               host_adapter: 10.89.141.12, target_wwnn: "iqn.2026-12.example.lab:san1", lun: 0}
            - {dev: sdc, dev_t: "8:32", dm_st: active, chk_st: ready, dev_st: running, online: true, usable: true,
               host_adapter: 10.89.142.12, target_wwnn: "iqn.2026-12.example.lab:san1", lun: 0}
scsi_disks:
  description:
    - "SCSI disks (C(sd*)) by WWID, each with C(dev), C(dev_t) (C(MAJ:MIN)), C(state) (sysfs C(device/state),
      for example C(running), C(offline), C(transport-offline)) and C(usable) (state C(running))."
    - Disks udev has no C(ID_SERIAL) for are left out.
  returned: when O(scsi_disks=true)
  type: dict
  sample:
    360014056b3e2a1000014a00800000000:
      - {dev: sda, dev_t: "8:0", state: running, usable: true}
      - {dev: sdc, dev_t: "8:32", state: running, usable: true}
missing:
  description: WWIDs of O(wwid) that have no map (empty when O(maps=false)).
  returned: always
  type: list
  elements: str
  sample: []
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hastorage.cluster.plugins.module_utils import _multipath
from ansible_collections.hastorage.cluster.plugins.module_utils._runner import CommandRunner

SYSFS_BLOCK = "/sys/block"
UDEV_DATA = "/run/udev/data"
SHOW_MAPS = ["show", "maps", "json"]


def read_text(*parts):
    """The text of the file at os.path.join(*PARTS), None when it cannot be read."""
    try:
        with open(os.path.join(*parts)) as f:
            return f.read()
    except (IOError, OSError):
        return None


def read_size(dm_name):
    """``/sys/block/<dm>/size`` as text, None when it cannot be read."""
    if not dm_name or "/" in dm_name:
        return None
    return read_text(SYSFS_BLOCK, dm_name, "size")


def read_scsi_disks():
    """``[{dev, dev_t, state, udev}]`` of every sd* disk in sysfs (texts None when unreadable)."""
    try:
        names = os.listdir(SYSFS_BLOCK)
    except OSError:
        return []
    disks = []
    for dev in names:
        if not _multipath.SCSI_DISK_RE.match(dev):
            continue
        dev_t = (read_text(SYSFS_BLOCK, dev, "dev") or "").strip()
        disks.append({"dev": dev, "dev_t": dev_t, "state": read_text(SYSFS_BLOCK, dev, "device", "state"),
                      "udev": read_text(UDEV_DATA, "b" + dev_t) if dev_t else None})
    return disks


def main():
    module = AnsibleModule(
        argument_spec=dict(
            wwid=dict(type="list", elements="str", default=[]),
            maps=dict(type="bool", default=True),
            scsi_disks=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    wwids = module.params["wwid"]
    errors = _multipath.check_wwids(wwids)
    if errors:
        module.fail_json(msg="; ".join(errors))
    extra = {}
    if module.params["scsi_disks"]:
        disks = _multipath.scsi_disks_by_wwid(read_scsi_disks())
        extra["scsi_disks"] = dict((w, d) for w, d in disks.items() if not wwids or w in wwids)
    if not module.params["maps"]:
        module.exit_json(changed=False, maps={}, missing=[], **extra)
    runner = CommandRunner(module, "multipathd", required=False)
    if not runner.available:
        module.fail_json(msg="multipathd was not found (install multipath-tools)")
    result = runner.run(SHOW_MAPS, ok_rc=None)
    try:
        raw_maps = _multipath.parse_maps_json(result.rc, result.stdout, result.stderr,
                                              command="multipathd " + " ".join(SHOW_MAPS))
    except _multipath.MultipathError as e:
        module.fail_json(msg=str(e), rc=result.rc, stdout=result.stdout, stderr=result.stderr)
    summaries = [_multipath.summarize_map(m, read_size(m.get("sysfs"))) for m in raw_maps]
    maps, missing = _multipath.select_maps(summaries, wwids)
    module.exit_json(changed=False, maps=maps, missing=missing, **extra)


if __name__ == "__main__":
    main()
