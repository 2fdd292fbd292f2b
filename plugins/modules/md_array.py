#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: md_array
short_description: Create, assemble, stop and configure one Linux software RAID (md) array idempotently
description:
  - Makes one md array (C(mdadm)) run with the given level and members, or stops it.
  - Reads the state with machine-readable output only (C(mdadm --detail --export), C(mdadm --examine --export)
    per member, C(blkid -p -o export) per member, the array's sysfs attributes), plans, applies the plan, then
    reads the state again. C(changed) comes from the plan.
  - An array that runs with these members is left alone. An array that does not run but whose members all
    hold its superblock (same array UUID, same level and number of devices) is assembled, never re-created.
    Blank members get a new array (C(mdadm --create --run)).
  - A partly assembled, inactive array (what udev's C(mdadm --incremental) leaves when members are missing,
    for example C(/dev/md127) with no C(/dev/md/<name>) link) that holds only devices listed here is stopped
    first; one that also holds other devices is refused.
  - Refused, before anything changes, with a message that names the device and what it holds or why
    - a member that does not exist; a member that is mounted, is a member of another running array or is
    held by device-mapper (LVM, multipath, crypt), whatever the options;
    - a member that holds a filesystem, partition table, LVM PV, DRBD metadata, swap or an md superblock of
    another array, unless O(wipe_existing=true);
    - a running array whose level, number of raid devices, device set, metadata, name, chunk or bitmap differ
    from the options (this module does not reshape, grow, rebuild or convert arrays);
    - stopping an array that is mounted or held by another block device.
  - With O(conf_file), keeps exactly one C(ARRAY) line for the array in the mdadm configuration (the line of
    C(mdadm --detail --brief), matched by device or UUID); every other line is kept.
version_added: 0.1.0
author:
  - hastorage.cluster contributors (@hastorage)
options:
  device:
    description: The array, V(/dev/mdN) or V(/dev/md/<name>).
    type: str
    required: true
  state:
    description:
      - V(present) makes the array run with O(level), O(members) and O(spares).
      - V(absent) stops it and removes its C(ARRAY) line. Its members keep their superblocks (the array can be
        assembled again) unless O(allow_destroy=true).
    type: str
    choices: [present, absent]
    default: present
  level:
    description:
      - RAID level. Required with O(state=present).
      - The fewest O(members) per level are 2 for 0, 1 and 10 (mdadm's near-2 layout), 3 for 4 and 5, 4 for 6.
    type: int
    choices: [0, 1, 4, 5, 6, 10]
  members:
    description:
      - The active devices (the raid devices, C(--raid-devices) is their number). Required, not empty, with
        O(state=present). Paths are compared by the kernel device they lead to, so C(/dev/disk/by-id/...)
        links work.
      - With O(state=absent) and O(allow_destroy=true), the devices whose superblocks are zeroed besides the
        array's own components (a device that failed and was removed still holds the superblock), or, when
        the array does not run, instead of them.
    type: list
    elements: str
  spares:
    description:
      - Hot spares, added at creation (C(--spare-devices)). Not with level 0; not overlapping O(members).
      - On a running array, a spare that took over from a failed member (and the other way round) gives a
        warning, not a change.
    type: list
    elements: str
    default: []
  metadata:
    description: Superblock format at creation; a running array with another one is refused. Quote it in YAML.
    type: str
    choices: ['0.90', '1.0', '1.1', '1.2']
    default: '1.2'
  name:
    description:
      - Array name stored in the superblock (C(--name)); mdadm keeps it as C(homehost:name). A running or
        assemblable array with another name is refused. Unset, the name is not compared.
    type: str
  chunk:
    description: Chunk size in KiB (a power of two, at least 4) for levels 0, 4, 5, 6 and 10. Unset, mdadm's default.
    type: int
  bitmap:
    description:
      - Write-intent bitmap at creation. Unset, V(internal) for levels above 0 and none for level 0 (which
        cannot have one).
      - Only compared with a running array when set.
    type: str
    choices: [internal, none]
  wipe_existing:
    description:
      - Erase what the members hold before creating the array (C(mdadm --zero-superblock) for md superblocks,
        C(wipefs -a) for every other signature). Destructive; never applies to mounted or held devices.
      - Members that all hold the superblock of the array asked for are assembled, not wiped.
    type: bool
    default: false
  assume_clean:
    description:
      - Create with C(--assume-clean), which skips the initial sync. Allowed only for levels 1 and 10 and only
        when C(blkid) finds every member blank (new disks), so no old data can appear on one mirror and not on
        the other. Blocks that were never written may still differ between the mirrors, which a later
        C(check) counts in C(mismatch_cnt); a filesystem never reads blocks it has not written.
      - Refused for levels 4, 5 and 6, where blank is not zeroed and parity that was never computed corrupts
        data on the first rebuild; refused with O(wipe_existing).
    type: bool
    default: false
  conf_file:
    description:
      - mdadm configuration file that gets exactly one C(ARRAY) line for the array (created if missing).
        V("") leaves every file alone. An absolute path.
      - The line is what C(mdadm --detail --brief) prints, with C(spares=) set to the number of O(spares)
        (mdadm prints the spares present at that moment, and a new RAID5 counts the disk it is building as
        one, so the line would change when the build ends).
      - On Debian, rebuild the initramfs (C(update-initramfs -u)) after a change if the array is needed at boot;
        this module does not.
    type: path
    default: /etc/mdadm/mdadm.conf
  allow_destroy:
    description:
      - With O(state=absent), also zero the md superblocks of the members (C(mdadm --zero-superblock)), which
        destroys the array. Without it, V(absent) only stops and unconfigures, and says so.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Nothing is run that changes state; the plan is returned in RV(actions) and RV(commands).
  diff_mode:
    support: full
    description: Level, members, spares, state and the C(ARRAY) line before and after.
  idempotent:
    support: full
    description: A second run with the same options plans nothing.
notes:
  - Runs on the host that has the disks, as root. Needs C(mdadm), C(blkid) and, with O(wipe_existing), C(wipefs).
  - All commands run with C(LC_ALL=C) and as argv lists.
seealso:
  - name: mdadm(8)
    description: The mdadm manual.
    link: https://man7.org/linux/man-pages/man8/mdadm.8.html
"""

EXAMPLES = r"""
- name: A RAID1 under DRBD on each node
  hastorage.cluster.md_array:
    device: /dev/md0
    level: 1
    members: [/dev/sdb, /dev/sdc]
    name: drbd0

- name: RAID6 with one hot spare, on disks that held something before (erased)
  hastorage.cluster.md_array:
    device: /dev/md/data
    level: 6
    members: [/dev/sdb, /dev/sdc, /dev/sdd, /dev/sde]
    spares: [/dev/sdf]
    chunk: 512
    wipe_existing: true

- name: Stop the array and forget it, keeping the superblocks
  hastorage.cluster.md_array:
    device: /dev/md0
    state: absent

- name: Destroy it
  hastorage.cluster.md_array:
    device: /dev/md0
    state: absent
    allow_destroy: true
"""

RETURN = r"""
array:
  description: The array as read after the run (before it, in check mode); empty when it does not run.
  returned: always
  type: dict
  contains:
    level:
      description: RAID level as mdadm prints it.
      type: str
      sample: raid1
    uuid:
      description: Array UUID.
      type: str
      sample: 8a7d1f0e:4c2b9a31:0d5e6f70:12ab34cd
    name:
      description: Name in the superblock (C(homehost:name)).
      type: str
      sample: node1:drbd0
    metadata:
      description: Superblock format.
      type: str
      sample: "1.2"
    raid_devices:
      description: Number of raid devices.
      type: int
      sample: 2
    devices:
      description: Every component with its role (slot number, C(spare), C(faulty) or C(journal)).
      type: list
      elements: dict
      sample: [{device: /dev/sdb, role: "0"}, {device: /dev/sdc, role: "1"}]
    members:
      description: Active components.
      type: list
      elements: str
      sample: [/dev/sdb, /dev/sdc]
    spares:
      description: Spare components.
      type: list
      elements: str
      sample: []
    faulty:
      description: Faulty components.
      type: list
      elements: str
      sample: []
    state:
      description: sysfs C(array_state) (C(clean), C(active), C(readonly) ...).
      type: str
      sample: clean
    degraded:
      description: Number of missing raid devices (sysfs C(degraded)).
      type: int
      sample: 0
    sync_action:
      description: sysfs C(sync_action) (C(idle), C(resync), C(recover), C(check) ...).
      type: str
      sample: resync
    sync_progress:
      description: Percentage of the running sync action, null when idle.
      type: float
      sample: 42.5
    chunk_kib:
      description: Chunk size in KiB (null for RAID1).
      type: int
      sample: 512
    bitmap:
      description: V(internal), V(none) or the bitmap file.
      type: str
      sample: internal
  sample:
    level: raid1
    uuid: 8a7d1f0e:4c2b9a31:0d5e6f70:12ab34cd
    state: clean
    degraded: 0
    sync_action: idle
actions:
  description: The plan, one line per change (also in check mode).
  returned: always
  type: list
  elements: str
  sample: ["create /dev/md0: raid1 of 2 device(s) on /dev/sdb, /dev/sdc", "add the ARRAY line of /dev/md0 to /etc/mdadm/mdadm.conf"]
commands:
  description: The changing commands, in order (in check mode, those that would run).
  returned: always
  type: list
  elements: str
  sample: ["/usr/sbin/mdadm --create /dev/md0 --run --level=1 --raid-devices=2 --metadata=1.2 --bitmap=internal /dev/sdb /dev/sdc"]
conf_line:
  description: The C(ARRAY) line of the array in O(conf_file) after the run (predicted in check mode).
  returned: when O(conf_file) is set and O(state=present)
  type: str
  sample: ARRAY /dev/md0 metadata=1.2 name=node1:drbd0 UUID=8a7d1f0e:4c2b9a31:0d5e6f70:12ab34cd
"""

import os
import stat

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hastorage.cluster.plugins.module_utils import _block
from ansible_collections.hastorage.cluster.plugins.module_utils import _files
from ansible_collections.hastorage.cluster.plugins.module_utils import _md
from ansible_collections.hastorage.cluster.plugins.module_utils._runner import CommandError, CommandRunner, fail_from_error

SYSFS_ATTRS = ("array_state", "degraded", "sync_action", "sync_completed", "chunk_size", "bitmap/location")


class MdHost:
    """Runs mdadm, blkid and wipefs and reads sysfs and /proc; decides nothing."""

    SYS_ROOT = "/sys"
    PROC_ROOT = "/proc"

    def __init__(self, module):
        self.module = module
        self.mdadm = CommandRunner(module, "mdadm")
        self._blkid = None
        self._wipefs = None

    @property
    def blkid(self):
        if self._blkid is None:
            self._blkid = CommandRunner(self.module, "blkid")
        return self._blkid

    @property
    def wipefs(self):
        if self._wipefs is None:
            self._wipefs = CommandRunner(self.module, "wipefs")
        return self._wipefs

    def runner(self, binary):
        return {"mdadm": self.mdadm, "wipefs": self.wipefs}[binary]

    # queries -------------------------------------------------------------------
    def detail(self, device):
        result = self.mdadm.run(["--detail", "--export", device], ok_rc=None)
        if result.rc != 0:
            return None
        detail = _md.parse_detail(result.stdout)
        return detail if detail["uuid"] else None

    def brief(self, device, spares):
        """The ARRAY line for mdadm.conf (see ``_md.conf_line``)."""
        result = self.mdadm.run(["--detail", "--brief", device], message="mdadm --detail --brief failed")
        return _md.conf_line(_md.parse_brief(result.stdout), spares)

    def examine(self, path):
        result = self.mdadm.run(["--examine", "--export", path], ok_rc=None)
        return _md.parse_examine(result.rc, result.stdout)

    def signatures(self, path):
        result = self.blkid.run(["-p", "-o", "export", path], ok_rc=None)
        found = _md.parse_blkid(result.rc, result.stdout, result.stderr, path)
        return [s for s in found if s["type"] != _md.MD_MEMBER_TYPE]

    @staticmethod
    def block_device(path):
        """Kernel name of the block device ``path`` leads to, None when it is not one."""
        real = os.path.realpath(path)
        try:
            mode = os.stat(real).st_mode
        except OSError:
            return None
        return os.path.basename(real) if stat.S_ISBLK(mode) else None

    @staticmethod
    def kernel_name(device):
        """``md0`` for ``/dev/md0`` and for a ``/dev/md/name`` link to it."""
        return os.path.basename(os.path.realpath(device))

    def _read(self, *parts):
        try:
            with open(os.path.join(*parts)) as f:
                return f.read().strip()
        except (IOError, OSError):
            return None

    def md_sysfs(self, kernel):
        """The array's attributes and ``dev-<component>/state`` of each component."""
        base = os.path.join(self.SYS_ROOT, "block", kernel, "md")
        values = dict((attr, self._read(base, attr)) for attr in SYSFS_ATTRS)
        try:
            entries = sorted(os.listdir(base))
        except OSError:
            entries = []
        for entry in entries:
            if entry.startswith("dev-"):
                values["%s/state" % entry] = self._read(base, entry, "state")
        return values

    def holders(self, kernel):
        return [holder for _name, holder in _block.holders(kernel, os.path.join(self.SYS_ROOT, "class", "block"))]

    def slaves(self, kernel):
        return _block.slaves(kernel, os.path.join(self.SYS_ROOT, "class", "block"))

    def uses(self, path, kernel):
        """Mount points of (and swap on) the device."""
        found = []
        for table in ("mounts", "swaps"):
            for source, target in _block.mounts(self.PROC_ROOT, table):
                if source.startswith("/dev/") and (source == path or os.path.basename(os.path.realpath(source)) == kernel):
                    found.append(target if table == "mounts" else "swap")
        return found

    def device(self, path):
        kernel = self.block_device(path)
        holders = self.holders(kernel) if kernel else []
        md_holders = [h for h in holders if h.startswith("md")]
        return {"path": path, "kernel": kernel, "holders": holders,
                "holder_states": dict((h, self._read(self.SYS_ROOT, "block", h, "md", "array_state"))
                                      for h in md_holders),
                "holder_slaves": dict((h, self.slaves(h)) for h in md_holders),
                "mounts": self.uses(path, kernel) if kernel else []}


class ArrayRun:
    """One run of the module: query, plan, apply, re-query."""

    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.host = MdHost(module)
        self.actions = []
        self.commands = []
        self.warnings = []
        self.steps = []
        self.result = {"changed": False}

    def fail(self, msg, **extra):
        self.module.fail_json(msg=msg, actions=self.actions, commands=self.commands, **extra)

    def plan(self, binary, argv, action):
        self.steps.append((binary, argv, action))
        self.actions.append(action)

    def apply(self):
        for binary, argv, dummy in self.steps:
            runner = self.host.runner(binary)
            self.commands.append(" ".join([runner.path] + [str(a) for a in argv]))
            runner.run(argv, mutating=True, message="%s failed" % binary)

    # conf file -----------------------------------------------------------------
    def read_conf(self):
        path = self.p["conf_file"]
        if not path or not os.path.exists(path):
            return ""
        with open(path) as f:
            return f.read()

    def plan_conf(self, text, uuid, line, verb):
        """Add a conf action when the file would change; returns the new text (None: unchanged)."""
        if not self.p["conf_file"]:
            return None
        new = _md.plan_conf(text, self.p["device"], uuid, line)
        if new == text:
            return None
        self.actions.append("%s the ARRAY line of %s %s %s" % (verb, self.p["device"],
                                                               "in" if verb != "remove" else "from",
                                                               self.p["conf_file"]))
        return new

    def write_conf(self, text):
        path = self.p["conf_file"]
        directory = os.path.dirname(path) or "."
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o755)
        # synced before it replaces the old file and the directory after: after a power loss the
        # node must not boot with an empty mdadm.conf (ext4 delays the data of a new file)
        tmp = _files.synced_temp(directory, os.path.basename(path), text)
        if not os.path.exists(path):
            os.chmod(tmp, 0o644)
        self.module.atomic_move(tmp, path)
        _files.fsync_directory(directory)

    # state ---------------------------------------------------------------------
    def observe(self):
        """(summary of the running array or {}, inactive flag, own kernel name)."""
        kernel = self.host.kernel_name(self.p["device"])
        detail = self.host.detail(self.p["device"])
        if not detail:
            return {}, False, kernel
        sysfs = self.host.md_sysfs(kernel)
        summary = _md.summarize(detail, sysfs)
        if summary["state"] in ("inactive", "clear") or not summary["level"]:
            return summary, True, kernel
        return summary, False, kernel

    @staticmethod
    def view(state, level=None, members=None, spares=None, conf_line=None):
        return {"state": state, "level": level, "members": list(members or []), "spares": list(spares or []),
                "conf_line": conf_line}

    def run(self):
        before_conf = self.read_conf()
        summary, inactive, kernel = self.observe()
        if self.p["state"] == "absent":
            before, after, new_conf = self.absent(summary, inactive, kernel, before_conf)
        else:
            before, after, new_conf = self.present(summary, inactive, kernel, before_conf)
        if not self.module.check_mode:
            self.apply()
            if self.steps and self.p["state"] == "present" and self.p["conf_file"]:
                # the array runs now: the line mdadm prints replaces the prediction
                line = self.host.brief(self.p["device"], len(self.p["spares"]))
                planned_conf = new_conf is not None
                new_conf = _md.plan_conf(before_conf, self.p["device"], self._uuid_of(line), line)
                conf_action = "write the ARRAY line of %s in %s" % (self.p["device"], self.p["conf_file"])
                if new_conf == before_conf:
                    new_conf = None
                    if planned_conf:
                        self.actions.remove(conf_action)
                elif not planned_conf:
                    self.actions.append(conf_action)
                after["conf_line"] = line
                self.result["conf_line"] = line
            if new_conf is not None:
                self.write_conf(new_conf)
            if self.steps:
                summary, inactive, kernel = self.observe()
                if self.p["state"] == "present":
                    after.update(state="running" if summary and not inactive else "not running",
                                 level=summary.get("level"), members=summary.get("members"),
                                 spares=summary.get("spares"))
                else:
                    after["state"] = "absent" if not summary else "still running"
        else:
            for binary, argv, dummy in self.steps:
                self.commands.append(" ".join([self.host.runner(binary).path] + [str(a) for a in argv]))
        self.result["changed"] = bool(self.actions)
        self.result["array"] = summary
        self.result["actions"] = self.actions
        self.result["commands"] = self.commands
        if self.module._diff:
            self.result["diff"] = {"before": before, "after": after}
        if self.warnings:
            self.result["warnings"] = self.warnings
        self.module.exit_json(**self.result)

    @staticmethod
    def _uuid_of(line):
        for token in (line or "").split():
            if token.lower().startswith("uuid="):
                return token.split("=", 1)[1]
        return None

    def conf_line_now(self, text):
        found = _md.conf_lines_for(text, self.p["device"], getattr(self, "uuid", None))
        return found[0] if found else None

    # present ---------------------------------------------------------------------
    def present(self, summary, inactive, kernel, conf_text):
        p = self.p
        self.uuid = summary.get("uuid") if summary else None
        before = self.view("running" if summary and not inactive else ("inactive" if inactive else "absent"),
                           summary.get("level"), summary.get("members"), summary.get("spares"),
                           self.conf_line_now(conf_text))
        if summary and not inactive:
            return self.present_running(summary, conf_text, before)
        if inactive:
            # a half-assembled array (udev incremental assembly with members missing): nothing can use it
            self.plan("mdadm", ["--stop", p["device"]], "stop the inactive (partly assembled) %s" % p["device"])
        devices = [self.host.device(path) for path in list(p["members"]) + list(p["spares"])]
        try:
            stale = _md.stale_inactive_arrays(devices, kernel)
            _md.check_devices(p, devices, kernel, ignore=stale)
            for holder in stale:
                self.plan("mdadm", ["--stop", "/dev/%s" % holder],
                          "stop the inactive (partly assembled) /dev/%s, which holds only devices listed here "
                          "(udev's incremental assembly)" % holder)
            for dev in devices:
                dev["examine"] = self.host.examine(dev["path"])
                dev["signatures"] = self.host.signatures(dev["path"])
            planned = _md.plan_stopped(p, devices)
        except _md.MdError as e:
            self.actions = []
            self.fail(str(e))
        if planned["mode"] == "assemble":
            self.uuid = planned["uuid"]
            before.update(state="stopped", level=_md.level_name(p["level"]),
                          members=list(p["members"]), spares=list(p["spares"]))
        for step in planned["steps"]:
            self.plan(*step)
        line = _md.predicted_brief(p, self.uuid or _md.NEW_UUID, planned["name"] or p.get("name"))
        new_conf = self.plan_conf(conf_text, self.uuid, line, "write")
        if p["conf_file"]:
            self.result["conf_line"] = line
        after = self.view("running", _md.level_name(p["level"]), p["members"], p["spares"],
                          line if p["conf_file"] else None)
        return before, after, new_conf

    def present_running(self, summary, conf_text, before):
        p = self.p
        paths = list(p["members"]) + list(p["spares"]) + [d["device"] for d in summary["devices"]]
        kernels = dict((path, self.host.block_device(path) or path) for path in paths)
        diffs = _md.compare_running(p, summary, kernels)
        if diffs:
            self.fail("refusing to change the running array %s: %s; nothing was changed (md_array does not reshape, "
                      "grow, rebuild or convert arrays: do it with mdadm, or change the options)"
                      % (p["device"], "; ".join(diffs)), array=summary)
        self.warnings.extend(_md.role_warnings(p, summary, kernels))
        after = dict(before)
        new_conf = None
        if p["conf_file"]:
            line = self.host.brief(p["device"], len(p["spares"]))
            new_conf = self.plan_conf(conf_text, summary["uuid"], line, "write")
            after["conf_line"] = line
            self.result["conf_line"] = line
        return before, after, new_conf

    # absent --------------------------------------------------------------------------
    def absent(self, summary, inactive, kernel, conf_text):
        p = self.p
        self.uuid = summary.get("uuid") if summary else None
        if not self.uuid:
            self.uuid = self._uuid_of(self.conf_line_now(conf_text))
        before = self.view("running" if summary and not inactive else ("inactive" if inactive else "absent"),
                           summary.get("level"), summary.get("members"), summary.get("spares"),
                           self.conf_line_now(conf_text))
        kept = []
        if summary:
            uses = ["%s is mounted on %s" % (p["device"], m) for m in self.host.uses(p["device"], kernel)]
            uses += ["%s is held by %s" % (p["device"], h) for h in self.host.holders(kernel)]
            if uses:
                self.fail("refusing to stop %s: %s; nothing was changed" % (p["device"], "; ".join(uses)), array=summary)
            self.plan("mdadm", ["--stop", p["device"]], "stop %s" % p["device"])
            components = [d["device"] for d in summary["devices"]]
            if p["allow_destroy"]:
                # listed devices that left the array (failed and removed) still hold its superblock
                inside = set(self.host.block_device(c) or c for c in components)
                for path in list(p["members"] or []) + list(p["spares"]):
                    kernel = self.host.block_device(path)
                    if kernel and kernel not in inside:
                        sb = self.host.examine(path)
                        if sb and _md.uuid_key(sb["uuid"]) == _md.uuid_key(self.uuid):
                            components.append(path)
                for path in components:
                    self.plan("mdadm", ["--zero-superblock", path],
                              "zero the md superblock on %s (allow_destroy: %s is destroyed)" % (path, p["device"]))
            else:
                kept = components
        elif p["members"] or p["spares"]:
            devices = []
            for path in list(p["members"] or []) + list(p["spares"]):
                dev = self.host.device(path)
                if not dev["kernel"]:
                    self.warnings.append("%s does not exist, nothing to zero there" % path)
                    continue
                dev["examine"] = self.host.examine(path)
                devices.append(dev)
            try:
                busy = [problem for dev in devices if dev["examine"] for problem in _md.in_use_problems(dev, None)]
                if busy and p["allow_destroy"]:
                    raise _md.MdError("refusing to zero superblocks: %s; nothing was changed" % "; ".join(busy))
                if p["allow_destroy"]:
                    for step in _md.plan_destroy_stopped(p, devices, self.uuid):
                        self.plan(*step)
                else:
                    kept = [d["path"] for d in devices if d["examine"] and (
                        not self.uuid or _md.uuid_key(d["examine"]["uuid"]) == _md.uuid_key(self.uuid))]
            except _md.MdError as e:
                self.actions = []
                self.fail(str(e))
        new_conf = self.plan_conf(conf_text, self.uuid, None, "remove")
        if kept:
            self.result["msg"] = ("state=absent only stops and unconfigures %s: %s keep%s the md superblock and the "
                                  "array can be assembled again (allow_destroy: true zeroes it)"
                                  % (p["device"], ", ".join(kept), "s" if len(kept) == 1 else ""))
        after = self.view("absent", conf_line=None)
        return before, after, new_conf


def argument_spec():
    return dict(
        device=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        level=dict(type="int", choices=list(_md.LEVELS)),
        members=dict(type="list", elements="str"),
        spares=dict(type="list", elements="str", default=[]),
        metadata=dict(type="str", default="1.2", choices=list(_md.METADATA_VERSIONS)),
        name=dict(type="str"),
        chunk=dict(type="int"),
        bitmap=dict(type="str", choices=["internal", "none"]),
        wipe_existing=dict(type="bool", default=False),
        assume_clean=dict(type="bool", default=False),
        conf_file=dict(type="path", default="/etc/mdadm/mdadm.conf"),
        allow_destroy=dict(type="bool", default=False),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_if=[("state", "present", ("level", "members"))])
    errors = _md.check_params(module.params)
    if errors:
        module.fail_json(msg="; ".join(errors))
    run = ArrayRun(module)
    try:
        run.run()
    except _md.MdError as e:
        module.fail_json(msg=str(e), actions=run.actions, commands=run.commands)
    except CommandError as e:
        fail_from_error(module, e, actions=run.actions, commands=run.commands)


if __name__ == "__main__":
    main()
