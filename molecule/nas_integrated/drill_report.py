# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""RTO per protocol from the drill clients' acknowledgements (clients.sh).

    python3 drill_report.py KILLED_AT < acks

``acks``: the lines clients.sh prints, ``<protocol> <epoch> <n> <sha256>``.
For each protocol: how many records were acknowledged, and the client-visible
downtime across the kill: the gap between the last acknowledgement before
``KILLED_AT`` and the first one after it (one record interval, 0.2 s plus
the write, is included: the figure errs on the long side). A protocol with
no acknowledgement after the kill never came back: ``rto_s`` is None.
Prints JSON.
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


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.stderr.write("usage: drill_report.py KILLED_AT < acks\n")
        return 2
    print(json.dumps(report(sys.stdin.read(), float(argv[0])), sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
