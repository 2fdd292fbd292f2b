# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: run and parse graidctl.

Three layers, used by every ``graid_*`` module:

* :class:`Graidctl` runs ``graidctl`` through the collection's
  :class:`CommandRunner` (argv lists, C locale, empty stdin, check-mode skip
  of mutating calls) and turns its ``{"Result": ...}`` JSON envelope into
  plain dicts with snake_case keys;
* pure ``parse_*``, ``normalize_*`` and ``plan_*`` functions that unit tests
  call directly;
* :class:`InUseChecker`, the safety check run before anything is deleted.

What we know of graidctl comes from ``reference/cli-contracts.md`` section 1;
no SupremeRAID card was available. Every assumption beyond what the contract
marks as observed is named in a comment starting with ``ASSUMPTION`` and,
when the output does not have what the assumption needs, the code raises
:class:`GraidOutputError` with a message that names the command and the
missing key instead of guessing (or dying with a ``KeyError``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import time

from ansible_collections.hastorage.cluster.plugins.module_utils import _block
from ansible_collections.hastorage.cluster.plugins.module_utils._runner import (
    CommandError,
    CommandRunner,
)

LEVELS = ("raid0", "raid1", "raid5", "raid6", "raid10")
SPEEDS = ("low", "normal", "high", "extreme")
JOURNAL_MODES = ("always_off", "degrade_only", "always_on")
# ASSUMPTION (contract 6: "exact flag names for strip size"): ``-s`` takes
# the strip size in KiB, one of these values.
STRIP_SIZES = (4, 8, 16, 32, 64, 128)
# Setting name on ``graidctl edit dg <id> <setting> <value>`` (contract 1.2,
# observed) -> module option -> ASSUMPTION: key of ``desc dg`` JSON that
# holds the current value (not observed; contract 6 "complete JSON key sets").
GROUP_SETTINGS = (
    ("rebuild_speed", "rebuild_speed", "RebuildSpeed"),
    ("init_speed", "init_speed", "InitSpeed"),
    ("cc_speed", "cc_speed", "CcSpeed"),
    ("resync_speed", "resync_speed", "ResyncSpeed"),
    ("journal", "journal", "Journal"),
)
# ASSUMPTION (contract 1.3 lists only OPTIMAL/DEGRADED/RECOVERY/OFFLINE and
# "init states"): healthy group states. RECOVERY (rebuilding) is usable but
# not healthy.
HEALTHY_GROUP_STATES = ("OPTIMAL",)
HEALTHY_PD_STATES = ("ONLINE",)
HEALTHY_CONTROLLER_STATES = ("ONLINE",)
LICENSED = "APPLIED"
# hidepid values under which other users cannot read a root process's
# /proc/<pid>/cmdline (proc(5)): 1 noaccess, 2 invisible, 4 ptraceable.
# graidctl takes the license key only on its command line.
HIDDEN_PIDS = frozenset(["1", "2", "4", "noaccess", "invisible", "ptraceable"])
# ASSUMPTION (contract 1.2 "Create VD"): sizes are binary units, "B" optional.
SIZE_UNITS = {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4, "P": 1024 ** 5}


class GraidError(Exception):
    """A request that cannot be done; the message says why."""


class GraidOutputError(GraidError):
    """graidctl printed something this collection does not understand."""


# ------------------------------------------------------------------ parsing
def proc_hides_command_lines(mounts_text):
    """Whether the proc filesystem mounted on /proc hides other users'
    processes (hidepid), read from the text of /proc/self/mounts; the last
    mount on /proc is the one in effect. The rule graid_license and the graid
    role (filter proc_hides_command_lines) apply before the key goes on
    graidctl's command line."""
    hidden = False
    for line in mounts_text.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[1] == "/proc" and fields[2] == "proc":
            options = dict((opt.split("=", 1) + [""])[:2] for opt in fields[3].split(","))
            hidden = options.get("hidepid", "0") in HIDDEN_PIDS
    return hidden


def parse_envelope(stdout, command="graidctl"):
    """The ``Result`` of a ``--format json`` answer.

    Some builds print a ``✔ ... successfully.`` line before the JSON
    (contract 1.3), so decoding starts at the first ``{``.
    """
    text = stdout or ""
    start = text.find("{")
    if start < 0:
        raise GraidOutputError("%s printed no JSON object (expected {\"Result\": ...}): %r"
                               % (command, text.strip()[:200]))
    try:
        data, _end = json.JSONDecoder().raw_decode(text[start:])
    except ValueError as e:
        raise GraidOutputError("%s printed invalid JSON (%s): %r" % (command, e, text[start:start + 200]))
    if not isinstance(data, dict) or "Result" not in data:
        raise GraidOutputError("%s printed JSON without a \"Result\" key: %r" % (command, text[start:start + 200]))
    return data["Result"]


def _need(item, key, what, command):
    if not isinstance(item, dict):
        raise GraidOutputError("%s: %s is not a JSON object: %r" % (command, what, item))
    if key not in item:
        keys = ", ".join(sorted(item)) or "none"
        raise GraidOutputError(
            "%s: %s has no %r key (keys: %s). The graidctl output contract (cli-contracts.md 1.3) "
            "is unverified on a real card; this collection needs %r." % (command, what, key, keys, key))
    return item[key]


def _need_list(result, command):
    if result is None:
        return []
    if not isinstance(result, list):
        raise GraidOutputError("%s: expected a JSON list in Result, got %r" % (command, type(result).__name__))
    return result


def _int(value, key, command):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise GraidOutputError("%s: %s=%r is not an integer" % (command, key, value))


def _dg_member(value):
    """A PD's ``DgId``: the group number, or None when it is in no group.

    ASSUMPTION (contract 6): how graidctl marks a PD in no group is not
    captured; -1, null, an empty string and "-" all mean "no group".
    """
    if value is None or value == "" or value == "-":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise GraidOutputError("ls pd: DgId=%r is neither a group number nor empty" % (value,))
    return number if number >= 0 else None


def normalize_controllers(result):
    command = "graidctl ls cx"
    items = []
    for item in _need_list(result, command):
        items.append({
            "id": _int(_need(item, "ControllerId", "a controller", command), "ControllerId", command),
            "name": item.get("Name"),
            "serial": item.get("Sn"),
            "state": _need(item, "State", "a controller", command),
        })
    return sorted(items, key=lambda c: c["id"])


def normalize_license(result):
    """``desc lic``: ``{controller id (int): LicenseState}`` and the features."""
    command = "graidctl desc lic"
    controllers = _need(result, "Controller", "the license", command)
    if not isinstance(controllers, dict):
        raise GraidOutputError("%s: Controller is not a JSON object: %r" % (command, controllers))
    states = {}
    for key, value in controllers.items():
        states[_int(key, "Controller id", command)] = _need(value, "LicenseState", "controller %s" % key, command)
    features = result.get("Features") if isinstance(result, dict) else None
    return {"controllers": states, "features": features or {}}


def normalize_drives(result, kind):
    """``ls nd`` (kind ``nvme``) or ``ls sd`` (kind ``scsi``)."""
    command = "graidctl ls %s" % ("nd" if kind == "nvme" else "sd")
    key = "NQN" if kind == "nvme" else "WWID"
    items = []
    for item in _need_list(result, command):
        items.append({
            "kind": kind,
            "dev_path": _need(item, "DevPath", "a drive", command),
            "nqn": item.get("NQN"),
            "wwid": item.get("WWID"),
            "stable_id": _need(item, key, "a drive", command),
            "model": item.get("Model"),
            "address": item.get("Address"),
            "numa": item.get("Numa"),
            "capacity": item.get("Capacity"),
        })
    return items


def normalize_pds(result):
    """``ls pd``. Observed keys: PdId, Numa. ASSUMPTION: DgId and State
    (required here), DevPath, NQN/WWID, Model, Capacity, HotSpare."""
    command = "graidctl ls pd"
    items = []
    for item in _need_list(result, command):
        hotspare = item.get("HotSpare")
        items.append({
            "id": _int(_need(item, "PdId", "a physical drive", command), "PdId", command),
            "dg_id": _dg_member(_need(item, "DgId", "a physical drive", command)),
            "state": _need(item, "State", "a physical drive", command),
            "dev_path": item.get("DevPath"),
            "nqn": item.get("NQN"),
            "wwid": item.get("WWID"),
            "model": item.get("Model"),
            "capacity": item.get("Capacity"),
            "numa": item.get("Numa"),
            # None: the output does not say (see require_hotspare_key).
            "hotspare": (hotspare or "none") if "HotSpare" in item else None,
        })
    return sorted(items, key=lambda p: p["id"])


def normalize_groups(result):
    """``ls dg``. Observed: DgId, State, Free. ASSUMPTION: Mode (RAID level,
    e.g. "RAID5"), Capacity, PdIds, StripSize and the speed/journal keys."""
    command = "graidctl ls dg"
    items = []
    for item in _need_list(result, command):
        items.append(normalize_group(item, command))
    return sorted(items, key=lambda g: g["id"])


def normalize_group(item, command="graidctl desc dg"):
    mode = _need(item, "Mode", "a drive group", command)
    group = {
        "id": _int(_need(item, "DgId", "a drive group", command), "DgId", command),
        "level": str(mode).lower(),
        "state": _need(item, "State", "a drive group", command),
        "free": _int(_need(item, "Free", "a drive group", command), "Free", command),
        "capacity": item.get("Capacity"),
        "strip_size": item.get("StripSize"),
    }
    for _setting, option, key in GROUP_SETTINGS:
        group[option] = item.get(key)
    return group


def normalize_vds(result):
    """``ls vd``. Observed: DgId, VdId, DevPath, Exported. ASSUMPTION: State, Size."""
    command = "graidctl ls vd"
    items = []
    for item in _need_list(result, command):
        items.append({
            "dg_id": _int(_need(item, "DgId", "a virtual drive", command), "DgId", command),
            "id": _int(_need(item, "VdId", "a virtual drive", command), "VdId", command),
            "dev_path": _need(item, "DevPath", "a virtual drive", command),
            "exported": item.get("Exported"),
            "state": item.get("State"),
            "size": item.get("Size"),
        })
    return sorted(items, key=lambda v: (v["dg_id"], v["id"]))


def parse_version(stdout):
    """``graidctl version`` prints a line containing ``graidctl version: <ver>``."""
    match = re.search(r"graidctl version:\s*(\S+)", stdout or "")
    return match.group(1) if match else None


def parse_size(text):
    """``500G``/``2T``/``500GB``/``1048576`` -> bytes (binary units, see SIZE_UNITS)."""
    match = re.match(r"^\s*([0-9]+)\s*([KMGTP]?)(?:I?B)?\s*$", str(text).upper())
    if not match:
        raise GraidError("size %r is not a number with an optional K, M, G, T or P unit (for example 500G)" % (text,))
    return int(match.group(1)) * SIZE_UNITS[match.group(2)]


# ------------------------------------------------------------------ planning
def level_drive_count_error(level, count):
    """None when ``count`` drives can form ``level``; else the reason.

    raid0 needs 2 or more (a decision of this collection: a one-drive
    "RAID" has no benefit and the card's minimum is unverified), raid1 an
    even count >= 2, raid10 an even count >= 4, raid5 >= 3, raid6 >= 4.
    """
    minimum = {"raid0": 2, "raid1": 2, "raid5": 3, "raid6": 4, "raid10": 4}
    if level not in minimum:
        return "unknown RAID level %r (one of %s)" % (level, ", ".join(LEVELS))
    if count < minimum[level]:
        return "%s needs at least %d drives, %d given" % (level, minimum[level], count)
    if level in ("raid1", "raid10") and count % 2:
        return "%s needs an even number of drives, %d given" % (level, count)
    if count > 32:
        return "a drive group holds at most 32 drives, %d given" % count
    return None


def group_members(pds):
    """{dg_id: sorted [pd ids]} from ``ls pd`` (membership is read from the
    PDs' DgId, which is steadier than a guessed list key on the group)."""
    groups = {}
    for pd in pds:
        if pd["dg_id"] is not None:
            groups.setdefault(pd["dg_id"], []).append(pd["id"])
    return dict((k, sorted(v)) for k, v in groups.items())


def find_group(groups, pds, level, pd_ids):
    """Match the wanted group against what exists.

    Returns ``(group, None)`` for an exact match (same member set and
    level), ``(None, None)`` when none of the drives is in a group, and
    ``(None, reason)`` when a wanted drive is in a group with another level
    or other members: the caller must fail, never re-create.
    """
    wanted = sorted(pd_ids)
    members = group_members(pds)
    by_id = dict((g["id"], g) for g in groups)
    for dg_id, member_ids in sorted(members.items()):
        overlap = sorted(set(member_ids) & set(wanted))
        if not overlap:
            continue
        group = by_id.get(dg_id)
        level_now = group["level"] if group else "unknown"
        if member_ids == wanted and level_now == level:
            return group, None
        return None, ("physical drive(s) %s already belong to drive group %d (%s over physical drives %s); "
                      "this task asks for %s over %s. Refusing to re-create or change an existing group: "
                      "delete it explicitly (state=absent, confirm_destroy=true) if that is what you want"
                      % (", ".join(str(i) for i in overlap), dg_id, level_now,
                         ", ".join(str(i) for i in member_ids), level, ", ".join(str(i) for i in wanted)))
    return None, None


def plan_group_settings(group, wanted):
    """[(setting, value)] for ``edit dg`` where ``wanted`` differs.

    ``group`` None (a group still to be created) plans every wanted value.
    A missing current value (key absent from ``desc dg``) raises.
    """
    edits = []
    for setting, option, key in GROUP_SETTINGS:
        value = wanted.get(option)
        if value is None:
            continue
        if group is None:
            edits.append((setting, value))
            continue
        current = group.get(option)
        if current is None:
            raise GraidOutputError(
                "graidctl desc dg %d: no %r key, so the current %s cannot be compared (ASSUMPTION of this "
                "collection, unverified on a real card; contract 6 'complete JSON key sets')"
                % (group["id"], key, option))
        if str(current).lower() != value:
            edits.append((setting, value))
    return edits


# graid_drive_group's action lists: each action is the argv of one mutating
# graidctl call, carried out by _runner.apply_actions (reported, not run, in
# check mode). A group still to be created has no id yet: its edits name it
# NEW_GROUP.
NEW_GROUP = "<new>"


def plan_create_group(level, pd_ids, pds, strip_size=None, foreground_init=False, force=False):
    """The ``create dg`` action for a new group of ``level`` over ``pd_ids``.

    Refuses (:class:`GraidError`) a member that is a hot spare or not ONLINE.
    """
    by_id = dict((p["id"], p) for p in pds)
    for pd_id in pd_ids:
        pd = by_id[pd_id]
        if pd["hotspare"] not in (None, "none"):
            raise GraidError("physical drive %d is a hot spare; unmark it (hotspare: none) first" % pd_id)
        if pd["state"] != "ONLINE":
            raise GraidError("physical drive %d is %s, not ONLINE" % (pd_id, pd["state"]))
    argv = ["create", "dg", level, ",".join(str(i) for i in pd_ids)]
    if strip_size is not None:
        argv += ["-s", str(strip_size)]
    if foreground_init:
        argv.append("-z")
    if force:
        argv.append("-f")
    return [argv]


def group_settings_actions(group_id, edits):
    """``edit dg`` actions for :func:`plan_group_settings`'s edits (``group_id`` None: the new group)."""
    target = NEW_GROUP if group_id is None else str(group_id)
    return [["edit", "dg", target, setting, value] for setting, value in edits]


def predict_group(group, edits, level=None, strip_size=None):
    """The group after ``edits``, as check mode reports it.

    ``group`` None is a group still to be created: no id, capacity or free
    space yet, state INIT, every setting unset but the edited ones.
    """
    if group is None:
        group = {"id": None, "level": level, "state": "INIT", "free": None, "capacity": None,
                 "strip_size": strip_size}
        group.update((option, None) for _s, option, _k in GROUP_SETTINGS)
    predicted = dict(group)
    options = dict((setting, option) for setting, option, _k in GROUP_SETTINGS)
    predicted.update((options[setting], value) for setting, value in edits)
    return predicted


def plan_delete_group(group, vds):
    """Delete the group's virtual drives, then the group."""
    actions = [["del", "vd", str(vd["dg_id"]), str(vd["id"]), "--confirm-to-delete"] for vd in vds]
    actions.append(["del", "dg", str(group["id"]), "--confirm-to-delete"])
    return actions


def resolve_drive(selector, pds, candidates):
    """Find a drive by NQN, WWID, device path or PD id.

    Returns ``("pd", pd)`` when it is already a physical drive,
    ``("candidate", drive)`` when it is an unclaimed NVMe/SCSI drive, or
    ``(None, None)``.
    """
    text = str(selector)
    for pd in pds:
        if text in (pd.get("nqn"), pd.get("wwid"), pd.get("dev_path")) or text == str(pd["id"]):
            return "pd", pd
    for drive in candidates:
        if text in (drive["dev_path"], drive.get("nqn"), drive.get("wwid")):
            # A candidate found by path may already be a PD under its stable id.
            for pd in pds:
                if drive["stable_id"] and drive["stable_id"] in (pd.get("nqn"), pd.get("wwid")):
                    return "pd", pd
            return "candidate", drive
    return None, None


def plan_virtual_drives(existing, count, size_bytes, free):
    """How many VDs to create (and of what size) so the group holds ``count``.

    ``existing`` is the list of VDs of the group; ``size_bytes`` None means
    "all remaining space" (only for a single new VD). Raises
    :class:`GraidError` on a request that cannot be met, before anything runs.
    """
    have = len(existing)
    if have > count:
        raise GraidError(
            "the drive group has %d virtual drives and count is %d; this module never deletes a volume "
            "implicitly: raise count, or delete one with state=absent, vd_id=<id>, confirm_destroy=true"
            % (have, count))
    missing = count - have
    if missing == 0:
        return []
    if size_bytes is None:
        if missing > 1:
            raise GraidError("%d virtual drives are missing but no size was given: without a size only one "
                             "volume can take the remaining space" % missing)
        if free <= 0:
            raise GraidError("the drive group has no free space for another virtual drive")
        return [None]
    if size_bytes <= 0:
        raise GraidError("size must be larger than 0")
    if size_bytes * missing > free:
        raise GraidError("%d new virtual drive(s) of %d bytes need %d bytes, but the drive group has only %d "
                         "bytes free" % (missing, size_bytes, size_bytes * missing, free))
    return [size_bytes] * missing


def format_size(size_bytes):
    """bytes -> the shortest exact ``graidctl create vd`` size (``500G``)."""
    for unit in ("P", "T", "G", "M", "K"):
        factor = SIZE_UNITS[unit]
        if size_bytes % factor == 0:
            return "%d%s" % (size_bytes // factor, unit)
    return str(size_bytes)


def health_problems(controllers, license_states, pds, groups, vds):
    """Human-readable list of everything not healthy (empty when all is well)."""
    problems = []
    for cx in controllers:
        if cx["state"] not in HEALTHY_CONTROLLER_STATES:
            problems.append("controller %d is %s" % (cx["id"], cx["state"]))
    for cx_id, state in sorted(license_states.items()):
        if state != LICENSED:
            problems.append("controller %d license is %s" % (cx_id, state))
    for pd in pds:
        if pd["state"] not in HEALTHY_PD_STATES:
            problems.append("physical drive %d is %s" % (pd["id"], pd["state"]))
    for group in groups:
        if group["state"] not in HEALTHY_GROUP_STATES:
            problems.append("drive group %d is %s" % (group["id"], group["state"]))
    for vd in vds:
        if vd.get("state") not in (None, "OPTIMAL"):
            problems.append("virtual drive %d of drive group %d is %s" % (vd["id"], vd["dg_id"], vd["state"]))
    return problems


# ------------------------------------------------------------------ running
def clock():
    """Monotonic seconds (a function so unit tests can replace it)."""
    return time.monotonic()


def sleep(seconds):
    """``time.sleep`` (a function so unit tests can replace it)."""
    time.sleep(seconds)


class Graidctl:
    """Runs graidctl for a module. Reads use ``--format json``."""

    def __init__(self, module, runner=None):
        self.module = module
        self.runner = runner or CommandRunner(module, "graidctl", opt_dirs=["/usr/bin", "/usr/local/bin"])
        self.commands = []

    def query(self, *args):
        argv = list(args) + ["--format", "json"]
        result = self.runner.run(argv, message="graidctl %s failed" % " ".join(args))
        return parse_envelope(result.stdout, "graidctl %s" % " ".join(args))

    def record(self, *args):
        """Add ``graidctl args`` to ``commands`` (what changed, or in check mode would change); returns the argv."""
        argv = [str(a) for a in args]
        self.commands.append(" ".join(["graidctl"] + argv))
        return argv

    def change(self, *args):
        """A mutating call: skipped in check mode, recorded in ``commands``."""
        argv = self.record(*args)
        return self.runner.run(argv, mutating=True, message="graidctl %s failed" % " ".join(argv))

    def version(self):
        return parse_version(self.runner.run(["version"], message="graidctl version failed").stdout)

    def controllers(self):
        return normalize_controllers(self.query("ls", "cx"))

    def license(self):
        return normalize_license(self.query("desc", "lic"))

    def nvme_drives(self):
        return normalize_drives(self.query("ls", "nd"), "nvme")

    def scsi_drives(self):
        return normalize_drives(self.query("ls", "sd"), "scsi")

    def physical_drives(self):
        return normalize_pds(self.query("ls", "pd"))

    def drive_groups(self):
        return normalize_groups(self.query("ls", "dg"))

    def drive_group(self, dg_id):
        return normalize_group(self.query("desc", "dg", str(dg_id)), "graidctl desc dg %d" % dg_id)

    def virtual_drives(self):
        return normalize_vds(self.query("ls", "vd"))

    def wait_for_group_state(self, dg_id, states, timeout, interval):
        """Poll ``desc dg`` until the group is in one of ``states``.

        Returns ``(group, reached)``; ``reached`` is False after ``timeout``.
        """
        deadline = clock() + timeout
        while True:
            group = self.drive_group(dg_id)
            if group["state"] in states:
                return group, True
            if clock() >= deadline:
                return group, False
            sleep(interval)


def command_error_text(error):
    """A one-line message for a failed graidctl call (``not found`` named)."""
    text = (error.stderr or error.stdout or "").strip()
    if "not found" in text.lower():
        return "graidctl reports an unknown object: %s (%s, rc=%s)" % (text, error.cmd, error.rc)
    return error.describe()


def fail(module, error, **extra):
    """``fail_json`` for any error of this module family."""
    if isinstance(error, CommandError):
        result = error.as_result()
        result["msg"] = command_error_text(error)
        result.update(extra)
        module.fail_json(**result)
    module.fail_json(msg=str(error), **extra)


# ------------------------------------------------------------------ in use
def mounts_using(dev_paths, mounts_text):
    """[(device, mount point)] from /proc/mounts (or /proc/swaps) text: the devices and their partitions."""
    return [(source, target) for source, target in _block.mount_entries(mounts_text)
            for dev_path in dev_paths if _block.is_device_or_partition(dev_path, source)]


def pvs_using(dev_paths, pvs_json_text):
    """[(pv, vg)] from ``pvs --reportformat json -o pv_name,vg_name``."""
    try:
        data = json.loads(pvs_json_text or "{}")
        rows = [row for report in data.get("report", []) for row in report.get("pv", [])]
    except (ValueError, AttributeError):
        raise GraidOutputError("pvs --reportformat json printed something that is not its JSON report: %r"
                               % (pvs_json_text or "")[:200])
    users = []
    for row in rows:
        for dev_path in dev_paths:
            if _block.is_device_or_partition(dev_path, row.get("pv_name", "")):
                users.append((row.get("pv_name"), row.get("vg_name") or ""))
    return users


class InUseChecker:
    """Why a block device must not be destroyed now.

    Four checks, each named in the result: mounted (``/proc/mounts``) or
    swap (``/proc/swaps``); an LVM physical volume (``pvs --reportformat
    json`` when the LVM tools are installed); a kernel holder such as
    device-mapper or md (``/sys/block/<dev>/holders``, also of its
    partitions); held open by a process (a scan of ``/proc/<pid>/fd``, the
    check ``fuser`` does, done here without depending on psmisc).
    Paths are attributes so unit tests can point them at fixtures.
    """

    proc = "/proc"
    sys_block = "/sys/block"

    def __init__(self, module, pvs_runner=None):
        self.module = module
        if pvs_runner is None:
            pvs_runner = CommandRunner(module, "pvs", required=False)
        self.pvs_runner = pvs_runner

    def _read(self, path):
        return _block.read_text(path) or ""

    def holders(self, dev_path):
        """[(device or partition name, holder)] (``_block.holders``)."""
        return _block.holders(os.path.basename(dev_path), self.sys_block, partitions=True)

    def open_by(self, dev_paths):
        """[(pid, comm, device)] (``_block.open_by``, partitions too)."""
        return _block.open_by(dev_paths, self.proc, partitions=True)

    def reasons(self, dev_paths):
        """Every reason, one string each; empty when all devices are unused."""
        dev_paths = [p for p in dev_paths if p]
        reasons = []
        for source, target in mounts_using(dev_paths, self._read(os.path.join(self.proc, "mounts"))):
            reasons.append("%s is mounted on %s (/proc/mounts)" % (source, target))
        for source, _target in mounts_using(dev_paths, self._read(os.path.join(self.proc, "swaps"))):
            reasons.append("%s is in use as swap (/proc/swaps)" % source)
        if self.pvs_runner is not None and self.pvs_runner.available:
            try:
                out = self.pvs_runner.run(["--reportformat", "json", "-o", "pv_name,vg_name"],
                                          message="pvs failed; cannot tell whether the device is an LVM PV").stdout
            except CommandError as e:
                reasons.append("cannot tell whether the device is an LVM physical volume: %s" % e.describe())
            else:
                for pv, vg in pvs_using(dev_paths, out):
                    reasons.append("%s is an LVM physical volume%s (pvs)" % (pv, " of volume group %s" % vg if vg else ""))
        for dev_path in dev_paths:
            for part, holder in self.holders(dev_path):
                reasons.append("%s is held by %s (/sys/block/%s holders)" % (part, holder, part))
        for pid, comm, link in self.open_by(dev_paths):
            reasons.append("%s is held open by process %d (%s) (/proc/%d/fd)" % (link, pid, comm or "?", pid))
        return reasons


# ------------------------------------------------------------------ shared options
def negative_id_errors(params, names):
    """Messages for the id options in ``names`` that are negative (graidctl numbers from 0)."""
    return ["%s must be 0 or more, got %d" % (name, value) for name, value in
            ((n, params.get(n)) for n in names) if value is not None and value < 0]


def license_key_errors(key):
    """Messages for a license key graidctl would misread; they never hold the key.

    The key is an argument of ``graidctl apply license``: one starting with
    ``-`` would be read as an option, a blank would split it in two.
    """
    if key is None:
        return []
    if key == "" or key.startswith("-") or re.search(r"\s", key):
        return ["key must be the license key as issued: not empty, no blank, not starting with -"]
    return []


def destroy_argument_spec():
    """Options of the doc fragment ``hastorage.cluster.graid.DESTROY``."""
    return dict(confirm_destroy=dict(type="bool", default=False))


def check_destroy_allowed(module, what, dev_paths, checker=None):
    """Fail unless ``confirm_destroy`` is set and no device is in use.

    ``what`` names the object ("drive group 0 and its 2 virtual drives").
    """
    if not module.params.get("confirm_destroy"):
        module.fail_json(msg="refusing to delete %s: deleting destroys its data; set confirm_destroy=true "
                             "together with state=absent to do it" % what,
                         devices=list(dev_paths))
    checker = checker or InUseChecker(module)
    reasons = checker.reasons(dev_paths)
    if reasons:
        module.fail_json(msg="refusing to delete %s: %s" % (what, "; ".join(reasons)),
                         devices=list(dev_paths), in_use=reasons)
