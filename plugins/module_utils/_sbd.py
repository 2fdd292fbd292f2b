# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: SBD disks as ``sbd`` and ``wipefs`` report them.

Pure functions: the argv of ``sbd -d DEV dump`` (read the header) and
``sbd -d DEV -1 W -4 M create`` (write it), the parse of the dump (``sbd``
has no machine-readable output; its dump is one ``Name : value`` line per
header field between ``==Dumping header`` and ``==Header ... is dumped``),
the parse of ``wipefs --no-act --json`` and the plan for one device: what
the module would do, or why it refuses.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

# bytes read from the start of a device without an SBD header to call it
# blank: the header and the 255 message slots of sbd's default layout take
# 256 KiB with 512-byte sectors and 2 MiB with 4 KiB sectors
BLANK_CHECK_BYTES = 2 * 1024 * 1024
HEADER_FIELD_RE = re.compile(r"^([A-Za-z][A-Za-z ()]*?)\s*:\s*(.*?)\s*$")
DUMPED_RE = re.compile(r"^==Header on disk .* is dumped\s*$", re.MULTILINE)
FIELDS = {
    "Header version": "version",
    "UUID": "uuid",
    "Number of slots": "slots",
    "Sector size": "sector_size",
    "Timeout (watchdog)": "watchdog_timeout",
    "Timeout (allocate)": "allocate_timeout",
    "Timeout (loop)": "loop_timeout",
    "Timeout (msgwait)": "msgwait_timeout",
}
NUMERIC = ("slots", "sector_size", "watchdog_timeout", "allocate_timeout", "loop_timeout", "msgwait_timeout")


class SbdError(Exception):
    """Output that is not what the tool prints."""


def dump_argv(device):
    """The argv (after ``sbd``) that prints the header of ``device``."""
    return ["-d", device, "dump"]


def create_argv(device, watchdog_timeout, msgwait_timeout):
    """The argv (after ``sbd``) that writes a header with these timeouts and empty slots to ``device``."""
    return ["-d", device, "-1", str(int(watchdog_timeout)), "-4", str(int(msgwait_timeout)), "create"]


def wipefs_argv(device):
    """The argv (after ``wipefs``) that lists the signatures on ``device`` and changes nothing."""
    return ["--no-act", "--json", device]


def parse_header(rc, text):
    """The header fields in ``sbd dump`` output, or None when the device holds no SBD header.

    ``rc`` is sbd's exit code: 0 and the ``is dumped`` line for a header; 1
    and ``NOT dumped`` for a device without one (or one sbd cannot read).
    """
    if rc != 0 or not DUMPED_RE.search(text or ""):
        return None
    header = {}
    for line in (text or "").splitlines():
        if line.startswith("=="):
            continue
        match = HEADER_FIELD_RE.match(line)
        if match and match.group(1) in FIELDS:
            key = FIELDS[match.group(1)]
            value = match.group(2)
            if key in NUMERIC:
                try:
                    value = int(value)
                except ValueError:
                    raise SbdError("%s in the sbd dump is not a number: %r" % (match.group(1), value))
            header[key] = value
    missing = [name for name, key in FIELDS.items() if key in ("watchdog_timeout", "msgwait_timeout")
               and key not in header]
    if missing:
        raise SbdError("the sbd dump has no %s line: %r" % (" or ".join(missing), (text or "")[:300]))
    return header


def parse_signatures(text):
    """The signatures ``wipefs --no-act --json`` found: ``[{type, offset}]`` (empty output: none)."""
    if not (text or "").strip():
        return []
    try:
        data = json.loads(text)
    except ValueError:
        raise SbdError("wipefs --json printed no JSON: %r" % (text[:200],))
    if not isinstance(data, dict) or not isinstance(data.get("signatures", []), list):
        raise SbdError("wipefs --json printed no signatures list: %r" % (text[:200],))
    return [{"type": s.get("type"), "offset": s.get("offset")} for s in data.get("signatures", [])
            if isinstance(s, dict)]


def describe_content(signatures, blank):
    """What a device without an SBD header holds, in words."""
    if signatures:
        return "signatures " + ", ".join("%s at %s" % (s.get("type"), s.get("offset")) for s in signatures)
    if not blank:
        return "data (non-zero bytes in its first %d MiB)" % (BLANK_CHECK_BYTES // (1024 * 1024))
    return "nothing (all zero)"


def plan_device(device, header, signatures, blank, wanted, initialize, overwrite):
    """What to do with one SBD disk: ``(action, refusal)``.

    ``header`` is :func:`parse_header`'s result, ``signatures`` and ``blank``
    what the device holds when it has no header, ``wanted`` the
    ``{watchdog_timeout, msgwait_timeout}`` to write, ``initialize`` whether
    a blank device may be given a header and ``overwrite`` whether this
    device may lose what it holds (another header's timeouts and slots, a
    filesystem, data). ``action`` is ``none``, ``create`` or ``recreate``;
    ``refusal`` says why nothing may be done (then ``action`` is ``none``).
    """
    if header is not None:
        if not initialize:
            return "none", None
        differs = [k for k in ("watchdog_timeout", "msgwait_timeout") if header.get(k) != wanted[k]]
        if not differs:
            return "none", None
        if overwrite:
            return "recreate", None
        return "none", ("%s holds an SBD header with %s, not the wanted %s: writing a new header clears every "
                        "node's slot and message. Stop the cluster (sbd with it) on every node, then list the "
                        "device in overwrite (pacemaker_sbd_device_overwrite) to re-initialize it"
                        % (device, _timeouts(header), _timeouts(wanted)))
    content = describe_content(signatures, blank)
    if signatures or not blank:
        if overwrite and initialize:
            return "create", None
        return "none", ("%s has no SBD header and holds %s: an SBD disk must be a small LUN of its own. If that "
                        "content may be lost, set initialize (pacemaker_sbd_device_setup) and list the device in "
                        "overwrite (pacemaker_sbd_device_overwrite)" % (device, content))
    if not initialize:
        return "none", ("%s has no SBD header (it is blank): set initialize (pacemaker_sbd_device_setup) to "
                        "write one with %s, or run sbd -d %s create by hand" % (device, _timeouts(wanted), device))
    return "create", None


def _timeouts(values):
    return "watchdog %ss / msgwait %ss" % (values.get("watchdog_timeout"), values.get("msgwait_timeout"))


def check_timeouts(watchdog_timeout, msgwait_timeout):
    """``(watchdog, msgwait)`` as whole seconds; msgwait defaults to twice the watchdog timeout.

    Refused: a watchdog timeout under 1 s, and a msgwait under twice the
    watchdog timeout (a poison pill would count as delivered before the
    target's watchdog must have fired).
    """
    watchdog = int(watchdog_timeout)
    if watchdog < 1:
        raise ValueError("watchdog_timeout must be at least 1 second, got %r" % (watchdog_timeout,))
    msgwait = 2 * watchdog if msgwait_timeout is None else int(msgwait_timeout)
    if msgwait < 2 * watchdog:
        raise ValueError("msgwait_timeout (%ds) must be at least twice watchdog_timeout (%ds): the cluster counts "
                         "a node fenced msgwait after writing its poison pill, and the node's watchdog may take "
                         "the watchdog timeout to fire after the node stopped reading the disk"
                         % (msgwait, watchdog))
    return watchdog, msgwait


# --------------------------------------------------------------------------
# /etc/default/sbd (what `pcs stonith sbd enable` writes on Debian)

CONFIG_LINE_RE = re.compile(r"^\s*(SBD_[A-Z_]+)=(.*?)\s*$")


def parse_config(text):
    """``{KEY: value}`` of the active ``SBD_*=`` lines (quotes removed; the last of a key wins)."""
    settings = {}
    for line in (text or "").splitlines():
        match = CONFIG_LINE_RE.match(line)
        if match:
            value = match.group(2)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            settings[match.group(1)] = value
    return settings


def config_changes(text, wanted):
    """Keys of ``wanted`` whose value differs from the file ``text``; a None value is a key to remove."""
    current = parse_config(text)
    changes = []
    for key in sorted(wanted):
        value = wanted[key]
        if value is None:
            if key in current:
                changes.append(key)
        elif current.get(key) != (value if isinstance(value, str) else str(value)):
            changes.append(key)
    return changes
