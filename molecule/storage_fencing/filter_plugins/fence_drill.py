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
    """``[(time, device, rc)]`` of the fence operations the journal (short-unix) shows against ``target``."""
    pattern = re.compile(r"^(\S+) .*Operation '\w+' \[\d+\] targeting %s using (\S+) returned (-?\d+)" % re.escape(target))
    operations = []
    for line in (journal or "").splitlines():
        match = pattern.search(line)
        if match:
            try:
                when = float(match.group(1))
            except ValueError:
                when = None
            operations.append((when, match.group(2), int(match.group(3))))
    return operations


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
    """``[(started, ended, device, rc, error)]`` from the writer's log.

    The writer logs ``<time> <device> begin`` before each write and
    ``<time> <device> <rc> <error>`` when it returns; a write whose node was
    reset before it returned (held by the path layer or the array) has
    ``ended`` and ``rc`` None. Lines without a ``begin`` (an older writer)
    count as writes that began when they ended.
    """
    writes = []
    pending = {}
    for line in (text or "").splitlines():
        parts = line.split(None, 3)
        if len(parts) < 3:
            continue
        try:
            when = float(parts[0])
        except ValueError:
            continue
        device = parts[1]
        if parts[2] == "begin":
            pending[device] = when
            continue
        try:
            rc = int(parts[2])
        except ValueError:
            continue
        writes.append((pending.pop(device, when), when, device, rc, parts[3] if len(parts) > 3 else ""))
    writes.extend((started, None, device, None, "") for device, started in pending.items())
    return sorted(writes, key=lambda w: w[0])


def fence_drill_report(writes_text, journal, failed_at, reset_by, target, lun_fences=None):
    """One drill's facts: which levels ran, when the target was fenced, how its writes fared.

    ``failed_at``: the host time of the failure; ``reset_by``: when the
    target was seen powered off after resetting itself (None: not looked at);
    ``lun_fences``: ``{device name: fence device}``, the device whose success
    cut the target off that LUN (its journal time is the LUN's fence time;
    a LUN not named is cut when the target counts as fenced).

    A write that began after its LUN was fenced must not be accepted: it is
    either refused (a reservation conflict) or held until the node is reset
    (a write the array aborted with the preempting command waits for the
    initiator's command timeout, longer than the reset takes). Both count
    as cut; ``first_cut_after`` gives, per LUN, when the first refused write
    returned or the held write began.
    """
    failed_at = float(failed_at)
    ops = _operations(journal, target)
    power = "fence_lab_%s" % target
    fenced_at = _first_time(journal, TERMINATED.format(t=target))
    writes = _writes(writes_text)
    devices = sorted(set(w[2] for w in writes))
    lun_fenced_at = {}
    for device in devices:
        fence = (lun_fences or {}).get(device)
        times = [t for t, d, rc in ops if fence is not None and d == fence and rc == 0 and t is not None]
        lun_fenced_at[device] = min(times) if times else fenced_at
    after_fence = [w for w in writes if lun_fenced_at[w[2]] is not None and w[0] > lun_fenced_at[w[2]]]
    refused = [w for w in writes if w[3] is not None and w[3] != 0]
    held = [w for w in writes if w[3] is None]
    first_refused, first_cut = {}, {}
    for device in devices:
        times = [w[1] for w in refused if w[2] == device and w[1] >= failed_at]
        first_refused[device] = round(min(times) - failed_at, 2) if times else None
        times += [w[0] for w in held if w[2] == device and w[0] >= failed_at]
        first_cut[device] = round(min(times) - failed_at, 2) if times else None
    return {
        "operations": [(d, rc) for _t, d, rc in ops],
        "power_failed": any(d == power and rc != 0 for _t, d, rc in ops),
        "power_fenced": any(d == power and rc == 0 for _t, d, rc in ops),
        "storage_fenced": all(any(d == agent and rc == 0 for _t, d, rc in ops) for agent in ("fence_scsi", "fence_mpath")),
        "sbd_fenced": any(d == "fence_sbd" and rc == 0 for _t, d, rc in ops),
        "fenced_after": round(fenced_at - failed_at, 2) if fenced_at is not None else None,
        "lun_fenced_after": dict((d, round(t - failed_at, 2) if t is not None else None) for d, t in lun_fenced_at.items()),
        "writes": len(writes),
        "writes_before_ok": bool(devices) and all(
            any(w[2] == d and w[3] == 0 and w[1] < failed_at for w in writes) for d in devices),
        "accepted_after_fence": len([w for w in after_fence if w[3] == 0]),
        "refused_after_fence": len([w for w in after_fence if w[3] not in (None, 0)]),
        "held": dict((w[2], round(w[0] - failed_at, 2)) for w in held),
        "first_refused_after": first_refused,
        "first_cut_after": first_cut,
        # EBADE ("Invalid exchange") is what the block layer returns for a SCSI
        # reservation conflict (BLK_STS_NEXUS): the array refused the write
        "refused_as_reservation_conflict": bool(refused) and all("Invalid exchange" in w[4] for w in refused),
        "reset_within": round(float(reset_by) - failed_at, 2) if reset_by is not None else None,
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
