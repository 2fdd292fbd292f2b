# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: SCSI-3 persistent reservations as sg_persist and mpathpersist report them.

Pure functions: the argv of the read-only PERSISTENT RESERVE IN calls
(READ KEYS, READ RESERVATION) and the parse of their output, the same for
``sg_persist`` (sg3-utils, what fence_scsi runs) and ``mpathpersist``
(multipath-tools, what fence_mpath runs). Neither tool has a machine-readable
output mode; both print one ``PR generation=0x..`` line and then the keys or
the reservation, one item a line, which is what is read here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

TOOLS = ("sg_persist", "mpathpersist")
GENERATION_RE = re.compile(r"PR generation\s*=\s*0x([0-9a-fA-F]+)")
KEY_LINE_RE = re.compile(r"^\s*0x([0-9a-fA-F]+)\s*$")
RESERVATION_KEY_RE = re.compile(r"\bKey\s*=\s*0x([0-9a-fA-F]+)")
RESERVATION_TYPE_RE = re.compile(r"\btype\s*[:=]\s*(.+?)\s*$", re.MULTILINE)
NO_RESERVATION_RE = re.compile(r"there is NO reservation held", re.IGNORECASE)


class PersistError(Exception):
    """Output that is not what the tool prints for a device that answered."""


def read_argv(tool, device, what):
    """The argv (after the binary) that reads ``what`` (``keys`` or ``reservation``) of ``device``."""
    if tool not in TOOLS:
        raise ValueError("tool must be one of %s, got %r" % (", ".join(TOOLS), tool))
    flag = {"keys": "--read-keys", "reservation": "--read-reservation"}[what]
    if tool == "sg_persist":
        # --no-inquiry: no INQUIRY first (a dm-multipath map forwards SG_IO to one path)
        return ["--in", "--no-inquiry", flag, device]
    return ["--in", flag, "--device=" + device]


def normalise(hex_digits):
    """A key as fence agents compare it: lower case, no leading zeros."""
    return hex_digits.lower().lstrip("0") or "0"


def parse_keys(text):
    """The registered keys in READ KEYS output, normalised, in the order printed."""
    if not GENERATION_RE.search(text or ""):
        raise PersistError("no 'PR generation' line in the READ KEYS output: %r" % ((text or "")[:200],))
    return [normalise(m.group(1)) for m in (KEY_LINE_RE.match(line) for line in text.splitlines()) if m]


def parse_reservation(text):
    """``{key, type}`` of the reservation in READ RESERVATION output, or None when none is held."""
    if not GENERATION_RE.search(text or ""):
        raise PersistError("no 'PR generation' line in the READ RESERVATION output: %r" % ((text or "")[:200],))
    if NO_RESERVATION_RE.search(text):
        return None
    key = RESERVATION_KEY_RE.search(text)
    kind = RESERVATION_TYPE_RE.search(text)
    if not key:
        raise PersistError("a reservation without a key in the READ RESERVATION output: %r" % (text[:200],))
    return {"key": normalise(key.group(1)), "type": kind.group(1).strip() if kind else None}


def device_report(device, exists, keys_result=None, reservation_result=None):
    """One device's entry from the two calls' ``(rc, stdout, stderr)``.

    ``supported`` is true when READ KEYS succeeded and printed what a device
    with persistent reservations prints; otherwise ``error`` says why.
    """
    report = {"device": device, "exists": bool(exists), "supported": False, "keys": [], "reservation": None,
              "error": None}
    if not exists:
        report["error"] = "%s is not a block device on this host" % device
        return report
    rc, out, err = keys_result
    if rc != 0:
        report["error"] = "READ KEYS failed (rc=%s): %s" % (rc, (err or out or "").strip()[:300])
        return report
    try:
        report["keys"] = parse_keys(out)
        if reservation_result is not None:
            rrc, rout, rerr = reservation_result
            if rrc != 0:
                report["error"] = "READ RESERVATION failed (rc=%s): %s" % (rrc, (rerr or rout or "").strip()[:300])
                return report
            report["reservation"] = parse_reservation(rout)
    except PersistError as exc:
        report["error"] = str(exc)
        return report
    report["supported"] = True
    return report


def probe_problems(probed, expected):
    """What stops storage fencing, from one node's probe of its devices.

    ``probed``: :func:`device_report` entries; ``expected``: the fence
    builder's ``keys`` (``[{device, agent, keys}]``, ``keys`` None when they
    cannot be known before the cluster exists), which also name the agent
    of each device (the builder gives a device to one agent only).
    A device that is missing or does not answer, and keys that are not the
    cluster's, are problems; the messages name the device and the agent.
    """
    wanted = dict((item.get("device"), item) for item in expected or [])
    problems = []
    for report in probed or []:
        device = report.get("device")
        agent = wanted.get(device, {}).get("agent")
        if not report.get("supported"):
            problems.append("%s device %s: %s; %s needs a device that supports SCSI-3 persistent reservations "
                            "(PERSISTENT RESERVE IN/OUT), seen by every node"
                            % (agent, device, report.get("error") or "no answer", agent))
            continue
        keys = wanted.get(device, {}).get("keys")
        if keys is None:
            continue
        ours = set(normalise(k) for k in keys.values())
        foreign = sorted(set(k for k in report.get("keys") or [] if k not in ours))
        if foreign:
            problems.append("%s device %s holds reservation keys that are not this cluster's (%s; this cluster's: "
                            "%s): another cluster or host is registered on it, or the keys were made with another "
                            "key scheme (pacemaker_fence_scsi_key_value, pacemaker_fence_mpath_keys); clear them "
                            "with sg_persist/mpathpersist --out --register-ignore only if that LUN is this "
                            "cluster's alone" % (agent, device, ", ".join(foreign), ", ".join(sorted(ours))))
    return problems
