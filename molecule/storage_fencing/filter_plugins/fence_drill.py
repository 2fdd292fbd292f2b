# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The storage_fencing scenario's drill report: what the fence daemons logged and what the writer saw."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

TERMINATED = "Peer {t} was terminated"


def _operations(journal, target):
    """``[(device, rc)]`` of the fence operations the journal shows against ``target``."""
    pattern = re.compile(r"Operation '\w+' \[\d+\] targeting %s using (\S+) returned (-?\d+)" % re.escape(target))
    return [(m.group(1), int(m.group(2))) for m in pattern.finditer(journal or "")]


def _first_time(journal, needle):
    """The short-unix time of the first journal line that holds ``needle``, or None."""
    for line in (journal or "").splitlines():
        if needle in line:
            try:
                return float(line.split(None, 1)[0])
            except (ValueError, IndexError):
                continue
    return None


def _writes(text):
    """``[(time, device, rc, error)]`` from the writer's log."""
    writes = []
    for line in (text or "").splitlines():
        parts = line.split(None, 3)
        if len(parts) >= 3:
            writes.append((float(parts[0]), parts[1], int(parts[2]), parts[3] if len(parts) > 3 else ""))
    return writes


def fence_drill_report(writes_text, journal, failed_at, reset_by, target):
    """One drill's facts: which levels ran, when the target was fenced, how its writes fared.

    ``failed_at``: the host time of the failure; ``reset_by``: when the
    target was seen powered off after resetting itself (None: not looked at).
    """
    ops = _operations(journal, target)
    power = "fence_lab_%s" % target
    fenced_at = _first_time(journal, TERMINATED.format(t=target))
    writes = _writes(writes_text)
    devices = sorted(set(w[1] for w in writes))
    before = [w for w in writes if w[0] < float(failed_at)]
    after_fence = [w for w in writes if fenced_at is not None and w[0] > fenced_at + 0.5]
    refused = [w for w in writes if w[2] != 0]
    first_refused = {}
    for device in devices:
        times = [w[0] for w in refused if w[1] == device]
        first_refused[device] = round(min(times) - float(failed_at), 2) if times else None
    return {
        "operations": ops,
        "power_failed": any(d == power and rc != 0 for d, rc in ops),
        "power_fenced": any(d == power and rc == 0 for d, rc in ops),
        "storage_fenced": all(any(d == agent and rc == 0 for d, rc in ops) for agent in ("fence_scsi", "fence_mpath")),
        "sbd_fenced": any(d == "fence_sbd" and rc == 0 for d, rc in ops),
        "fenced_after": round(fenced_at - float(failed_at), 2) if fenced_at is not None else None,
        "writes": len(writes),
        "writes_before_ok": bool(devices) and all(any(w[1] == d and w[2] == 0 for w in before) for d in devices),
        "accepted_after_fence": len([w for w in after_fence if w[2] == 0]),
        "refused_after_fence": len([w for w in after_fence if w[2] != 0]),
        "first_refused_after": first_refused,
        # EBADE ("Invalid exchange") is what the block layer returns for a SCSI
        # reservation conflict (BLK_STS_NEXUS): the array refused the write
        "refused_as_reservation_conflict": bool(refused) and all("Invalid exchange" in w[3] for w in refused),
        "reset_within": round(float(reset_by) - float(failed_at), 2) if reset_by is not None else None,
    }


# What the guest kernel prints on its console when it is reset, by what reset it:
# sbd resets through sysrq (a poison pill read, or its own self-fence), softdog
# when nothing fed the watchdog in time, and the storage check
# (fence_scsi_check_hardreboot) through the reboot system call.
RESET_MARKS = (
    ("sysrq: Resetting", "sbd"),
    ("softdog: Initiating system reboot", "watchdog"),
    ("reboot: Restarting system", "storage check"),
)


def console_resets(text):
    """The reset causes a node's console shows, in order (see RESET_MARKS)."""
    causes = []
    for line in (text or "").splitlines():
        for mark, cause in RESET_MARKS:
            if mark in line:
                causes.append(cause)
    return causes


class FilterModule(object):
    def filters(self):
        return {"fence_drill_report": fence_drill_report, "console_resets": console_resets}
