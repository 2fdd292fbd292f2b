# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""A drill's figures: RTO per protocol, and where the time went.

    python3 drill_report.py KILLED_AT < acks
    python3 drill_report.py --phases FAILED_AT OFFSET < journal

``acks``: the lines clients.sh prints, ``<protocol> <epoch> <n> <sha256>``.
For each protocol: how many records were acknowledged, and the client-visible
downtime across the kill: the gap between the last acknowledgement before
``KILLED_AT`` and the first one after it (one record interval, 0.2 s plus
the write, is included: the figure errs on the long side). A protocol with
no acknowledgement after the kill never came back: ``rto_s`` is None.
Prints JSON.

With ``--phases``: ``journal`` is ``journalctl -o short-unix`` of the node
that took over, from before the failure; ``FAILED_AT`` the failure on dc1's
clock (the drill's ``__failed_at``), ``OFFSET`` that node's clock minus
dc1's, in seconds. Prints JSON ``[[event, seconds after the failure], ...]``
in the order they happened, the first of each event only:

* ``link_down``: ethmonitor's attribute of a node went to 0 (client link cut);
* ``membership``: corosync formed a membership without the failed node;
* ``fenced``: a fencing operation against a node succeeded;
* ``<resource> <operation>``: Pacemaker's result "ok" of every start and
  promote on this node (drbd_r0 promote, lvm_nas start, ..., vip_share1 start).
"""

from __future__ import absolute_import, division, print_function

import json
import re
import sys

PROTOCOLS = ("nfs", "nfs3", "smb")
ACK_RE = re.compile(r"^(nfs3|nfs|smb) (\d+(?:\.\d+)?) (\d+) ([0-9a-f]{64})$")


def parse_acks(text):
    """{protocol: [(epoch, n, sha256), ...]} sorted by time; other lines are ignored."""
    acks = {}
    for line in (text or "").splitlines():
        match = ACK_RE.match(line.strip())
        if match:
            acks.setdefault(match.group(1), []).append(
                (float(match.group(2)), int(match.group(3)), match.group(4)))
    for records in acks.values():
        records.sort()
    return acks


def downtime(times, killed_at):
    """Seconds between the last time before ``killed_at`` and the first after it, or None."""
    before = [t for t in times if t <= killed_at]
    after = [t for t in times if t > killed_at]
    if not after:
        return None
    start = before[-1] if before else killed_at
    return round(after[0] - start, 1)


def report(text, killed_at):
    acks = parse_acks(text)
    result = {}
    for protocol in PROTOCOLS:
        records = acks.get(protocol, [])
        result[protocol] = {
            "acked": len(records),
            "after_kill": len([r for r in records if r[0] > killed_at]),
            "rto_s": downtime([r[0] for r in records], killed_at),
        }
    return result


LINE_RE = re.compile(r"^(\d+(?:\.\d+)?) (.*)$")
MARKERS = (
    ("link_down", re.compile(r"pacemaker-attrd\[\d+\]: .*Setting ethmonitor-\S+\[\S+\]: \S+ -> 0\b")),
    ("membership", re.compile(r"corosync\[\d+\]: +\[TOTEM \] A new membership .* formed\. Members left")),
    ("fenced", re.compile(r"pacemaker-fenced\[\d+\]: .*Operation '(reboot|off)' .*(returned 0|OK)")),
)
RESULT_RE = re.compile(r"pacemaker-controld\[\d+\]: .*Result of (start|promote) operation for (\S+) on \S+: ok\b")


def phases(journal, failed_at, offset):
    """[[event, seconds], ...] after ``failed_at`` (dc1's clock) from a journal on a clock ``offset`` s ahead."""
    start = failed_at + offset
    seen, events = set(), []
    for line in (journal or "").splitlines():
        match = LINE_RE.match(line.strip())
        if not match or float(match.group(1)) < start:
            continue
        when, text = float(match.group(1)), match.group(2)
        name = None
        for marker, pattern in MARKERS:
            if pattern.search(text):
                name = marker
                break
        if name is None:
            result = RESULT_RE.search(text)
            if result:
                name = "%s %s" % (result.group(2), result.group(1))
        if name and name not in seen:
            seen.add(name)
            events.append([name, round(when - start, 1)])
    return events


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 3 and argv[0] == "--phases":
        print(json.dumps(phases(sys.stdin.read(), float(argv[1]), float(argv[2]))))
        return 0
    if len(argv) != 1:
        sys.stderr.write("usage: drill_report.py KILLED_AT < acks\n"
                         "       drill_report.py --phases FAILED_AT OFFSET < journal\n")
        return 2
    print(json.dumps(report(sys.stdin.read(), float(argv[0])), sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
