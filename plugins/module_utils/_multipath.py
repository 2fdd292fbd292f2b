# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: device-mapper multipath (multipathd).

Pure functions only: they parse what ``multipathd show maps json`` prints
(multipath-tools 0.9.4 on Debian 12, JSON ``major_version`` 0, ``minor_version``
1) and the map's sysfs ``size``, and summarise each map with its usable path
count. Nothing here starts a process or reads a file; the module does that and
hands the text over. The fixtures in ``tests/unit/fixtures/multipath/`` were
recorded on the UML lab with one LIO iSCSI target and two portals.

The ``multipath-health`` OCF agent of the ``multipath`` role counts usable
paths with the same rule (:func:`path_usable`); it cannot import this file
(it is installed on its own), and a unit test runs both over the same
fixtures.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

# The forms of WWID the collection accepts in an inventory, as multipath
# prints them (lower case): SCSI NAA (type 3: 16 or 32 hex digits), SCSI
# EUI-64 (type 2: 16, 24 or 32 hex digits) and NVMe EUI-64/NGUID ("eui.").
# T10 vendor IDs (type 1) carry free text and are refused: they are not
# unique enough to pin a LUN across heads. The role's vars/main.yml holds the
# same pattern (a unit test compares them).
WWID_PATTERN = r"^(3([0-9a-f]{16}|[0-9a-f]{32})|2([0-9a-f]{16}|[0-9a-f]{24}|[0-9a-f]{32})|eui\.([0-9a-f]{16}|[0-9a-f]{32}))$"
WWID_RE = re.compile(WWID_PATTERN)

# chk_st of a path whose checker says it can carry I/O: "ready", and "ghost"
# (an ALUA standby path: up, used when the active group fails).
CHECKER_UP = ("ready", "ghost")
# Values multipath-tools 0.9.4 prints (libmultipath/print.c, checkers.c).
CHECKER_STATES = ("undef", "faulty", "ready", "shaky", "ghost", "i/o pending", "i/o timeout", "delayed")
QUEUE_CHECKS_RE = re.compile(r"^(\d+) chk$")
QUEUE_SECONDS_RE = re.compile(r"^(\d+) sec$")
NOT_RUNNING = ("multipathd does not answer on its socket (%s: rc %s, no output): is multipathd.service running? "
               "(systemctl status multipathd)")


class MultipathError(Exception):
    """multipathd gave no usable answer; the message says what came back."""


def parse_maps_json(rc, stdout, stderr, command="multipathd show maps json"):
    """The ``maps`` list of ``multipathd show maps json`` (or ``show map X json``).

    multipathd 0.9.4 exits 1 with no output when the daemon does not run, prints
    ``fail`` (rc 1) for a map it does not know, and prints its command reference
    with rc 0 for a command it does not know: anything but a JSON object with a
    ``maps`` list (or one ``map``) is an error.
    """
    out = (stdout or "").strip()
    err = (stderr or "").strip()
    if rc != 0 and not out and not err:
        raise MultipathError(NOT_RUNNING % (command, rc))
    if rc != 0:
        raise MultipathError("%s failed (rc %s): %s" % (command, rc, err or out))
    try:
        data = json.loads(out)
    except ValueError:
        raise MultipathError("%s did not print JSON (is this multipath-tools 0.7 or later?): %s"
                             % (command, out[:200] or err[:200] or "no output"))
    if not isinstance(data, dict):
        raise MultipathError("%s printed JSON without the maps list: %s" % (command, out[:200]))
    if isinstance(data.get("maps"), list):
        return data["maps"]
    if isinstance(data.get("map"), dict):
        return [data["map"]]
    raise MultipathError("%s printed JSON without the maps list: %s" % (command, out[:200]))


def parse_features(features):
    """``"1 queue_if_no_path"`` (dm's count, then the words) to ``["queue_if_no_path"]``."""
    words = (features or "").split()
    if words and words[0].isdigit():
        words = words[1:]
    return words


def parse_queueing(queueing):
    """multipathd's ``queueing`` column to a dict.

    * ``"6 chk"``: queueing is armed: when the last path fails, I/O is queued for
      6 more path checks (``no_path_retry 6``) -> ``{"mode": "checks", "value": 6}``;
    * ``"23 sec"``: every path has failed and I/O is being queued, 23 seconds
      are left before it fails -> ``{"mode": "queueing", "value": 23}``;
    * ``"off"``: I/O fails when no path is left (``no_path_retry fail``, or the
      countdown above ran out) -> ``{"mode": "off"}``;
    * ``"on"``: I/O is queued for ever (``no_path_retry queue``) -> ``{"mode": "forever"}``;
    * ``"-"``: not set -> ``{"mode": "undef"}``.
    """
    text = (queueing or "").strip()
    match = QUEUE_CHECKS_RE.match(text)
    if match:
        return {"mode": "checks", "value": int(match.group(1))}
    match = QUEUE_SECONDS_RE.match(text)
    if match:
        return {"mode": "queueing", "value": int(match.group(1))}
    if text == "off":
        return {"mode": "off", "value": None}
    if text == "on":
        return {"mode": "forever", "value": None}
    return {"mode": "undef", "value": None}


def lun_number(lun_hex):
    """SCSI LUN from the 8-byte ``lun_hex`` (``0x0001000000000000`` -> 1).

    Peripheral and flat addressing keep the LUN in the first two bytes (the
    two top bits are the method); anything else gives ``None``.
    """
    text = (lun_hex or "").lower()
    if not re.match(r"^0x[0-9a-f]{16}$", text):
        return None
    first = int(text[2:6], 16)
    method = first >> 14
    if method in (0, 1):
        return first & 0x3FFF
    return None


def _undef(value):
    return None if value in (None, "[undef]", "undef", "") else value


def path_usable(path):
    """A path can carry I/O: device-mapper has it active and its checker says up."""
    return path.get("dm_st") == "active" and path.get("chk_st") in CHECKER_UP


def summarize_path(raw):
    """One path of the JSON, with the names the module returns."""
    return {
        "dev": raw.get("dev"),
        "dev_t": raw.get("dev_t"),
        "dm_st": raw.get("dm_st"),
        "dev_st": raw.get("dev_st"),
        "chk_st": raw.get("chk_st"),
        "checker": raw.get("checker"),
        "priority": raw.get("pri"),
        "online": raw.get("dev_st") == "running",
        "usable": path_usable(raw),
        "marginal": raw.get("marginal_st") == "marginal",
        "host_adapter": _undef(raw.get("host_adapter")),
        "host_wwnn": _undef(raw.get("host_wwnn")),
        "host_wwpn": _undef(raw.get("host_wwpn")),
        "target_wwnn": _undef(raw.get("target_wwnn")),
        "target_wwpn": _undef(raw.get("target_wwpn")),
        "lun": lun_number(raw.get("lun_hex")),
    }


def size_bytes(sysfs_size):
    """``/sys/block/dm-N/size`` (512-byte sectors) to bytes; None when unknown."""
    text = (sysfs_size or "").strip()
    return int(text) * 512 if text.isdigit() else None


def summarize_map(raw, sysfs_size=None):
    """One map of the JSON: identity, state, queueing and its paths.

    ``usable_paths`` counts the paths :func:`path_usable` accepts, over every
    path group. ``queue_if_no_path`` is what device-mapper does right now (the
    feature is dropped when the ``no_path_retry`` countdown runs out).
    """
    features = parse_features(raw.get("features"))
    groups = []
    paths = []
    for group in raw.get("path_groups") or []:
        members = [summarize_path(p) for p in group.get("paths") or []]
        paths.extend(members)
        groups.append({
            "group": group.get("group"),
            "selector": group.get("selector"),
            "priority": group.get("pri"),
            "dm_st": group.get("dm_st"),
            "marginal": group.get("marginal_st") == "marginal",
            "paths": members,
        })
    usable = sum(1 for p in paths if p["usable"])
    return {
        "wwid": raw.get("uuid"),
        "alias": raw.get("name"),
        "dm_name": raw.get("sysfs"),
        "size": size_bytes(sysfs_size),
        "vendor": raw.get("vend"),
        "product": raw.get("prod"),
        "dm_st": raw.get("dm_st"),
        "write_prot": raw.get("write_prot"),
        "features": features,
        "queue_if_no_path": "queue_if_no_path" in features,
        "queueing": parse_queueing(raw.get("queueing")),
        "hwhandler": raw.get("hwhandler"),
        "failback": raw.get("failback"),
        "path_faults": raw.get("path_faults"),
        "queue_timeouts": raw.get("q_timeouts"),
        "path_groups": groups,
        "total_paths": len(paths),
        "usable_paths": usable,
        "failed_paths": sum(1 for p in paths if p["dm_st"] == "failed"),
    }


def check_wwids(wwids):
    """Messages for filter WWIDs that are not in a form multipath prints (``[]``: fine)."""
    bad = [w for w in wwids or [] if not WWID_RE.match(w)]
    if not bad:
        return []
    return ["wwid must be a WWID as multipath prints it (lower case; NAA '3' + 16 or 32 hex digits, EUI-64 '2' + "
            "16, 24 or 32, or NVMe 'eui.' + 16 or 32), got %s" % ", ".join(repr(b) for b in bad)]


def select_maps(summaries, wwids=None):
    """``({wwid: summary}, missing)``: every map, or only ``wwids`` and those of them not found."""
    by_wwid = dict((m["wwid"], m) for m in summaries)
    if not wwids:
        return by_wwid, []
    wanted = []
    for wwid in wwids:
        if wwid not in wanted:
            wanted.append(wwid)
    return (dict((w, by_wwid[w]) for w in wanted if w in by_wwid),
            [w for w in wanted if w not in by_wwid])


# --------------------------------------------------------------------------
# SCSI disks by WWID, before any multipath map exists (the path census a
# design runs before it writes multipath.conf): the WWID multipath will use is
# udev's ID_SERIAL of the disk (multipath-tools' default uid_attribute for
# SCSI), read from udev's database; the disk's state from sysfs.

SCSI_DISK_RE = re.compile(r"^sd[a-z]+$")
# sysfs device/state of a SCSI disk that can carry I/O
SCSI_STATES_UP = ("running",)


def udev_property(db_text, name):
    """The value of ``E:NAME=...`` in a udev database file (``/run/udev/data/b<maj>:<min>``), or None."""
    prefix = "E:%s=" % name
    for line in (db_text or "").splitlines():
        if line.startswith(prefix):
            return line[len(prefix):].strip()
    return None


def scsi_disks_by_wwid(disks):
    """``{wwid: [{dev, dev_t, state, usable}]}`` of SCSI disks, sorted by device name.

    ``disks``: ``[{dev, dev_t, state, udev}]`` with the disk's name (``sda``),
    ``MAJ:MIN``, sysfs ``device/state`` and the text of its udev database
    file. Disks without an ID_SERIAL (udev has not seen them yet) are left out;
    ID_SERIAL is lower-cased as multipath prints WWIDs.
    """
    found = {}
    for disk in sorted(disks or [], key=lambda d: (len(d.get("dev") or ""), d.get("dev") or "")):
        dev = disk.get("dev") or ""
        if not SCSI_DISK_RE.match(dev):
            continue
        wwid = udev_property(disk.get("udev"), "ID_SERIAL")
        if not wwid:
            continue
        state = (disk.get("state") or "").strip() or "unknown"
        found.setdefault(wwid.lower(), []).append({
            "dev": dev, "dev_t": (disk.get("dev_t") or "").strip() or None, "state": state,
            "usable": state in SCSI_STATES_UP})
    return found
