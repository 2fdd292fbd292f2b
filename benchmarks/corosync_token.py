# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: corosync token timeouts under bounded CPU stress: membership flaps per minute.

Lab only (the podman lab of lab/labctl, a cluster deployed on it: ``make lab``
or ``benchmarks/speed.py --keep``). For each token in ``--tokens``:

1. ``pcs cluster config update totem token=T`` on node1 and a check that
   every node's corosync runs with it (``corosync-cmapctl
   runtime.config.totem.token``: corosync 3 adds ``token_coefficient``, 650
   ms, per node above two, so T runs as T + 650 on three nodes; consensus
   is 1.2 x that);
2. a bounded CPU stress on every node for ``--seconds``: ``--burners`` busy
   loops per node, each under ``timeout`` (the lab's nodes share this
   machine's cores, so the load average shows how oversubscribed they were);
3. counted on every node from its corosync journal over the window: new
   memberships formed (a flap: the ring was lost and re-formed while every
   node was alive) and "Token has not been received" warnings (near misses).

Prints a table: the token set, the token corosync runs with, consensus, the
host's load average at the end of the window, flaps and near misses per
node, and the detection bound of a dead node (effective token +
consensus). A token is safe here when no node saw a flap.
The cluster's token is set back to ``--restore`` (default 1000, the lab
inventory's) at the end. Usage, from the collection root::

    .venv/bin/python benchmarks/corosync_token.py --tokens 500,750,1000,1500 --seconds 60
"""

from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LABCTL = os.path.join(ROOT, "lab", "labctl")
FLAP_RE = re.compile(r"A new membership \(")
NEAR_MISS_RE = re.compile(r"Token has not been received in")


def count_events(journal):
    """(flaps, near misses) in a corosync journal text."""
    return len(FLAP_RE.findall(journal or "")), len(NEAR_MISS_RE.findall(journal or ""))


def parse_tokens(text):
    """The tokens of ``--tokens`` (ms, ascending, each 200-30000); ValueError otherwise."""
    tokens = []
    for item in text.replace(",", " ").split():
        if not item.isdigit() or not 200 <= int(item) <= 30000:
            raise ValueError("each token is milliseconds from 200 to 30000, not %r" % item)
        tokens.append(int(item))
    if not tokens:
        raise ValueError("no token given")
    return sorted(set(tokens))


def verdict(flaps):
    """'safe here' when no node saw a flap, else how many."""
    total = sum(flaps.values())
    return "safe here" if total == 0 else "%d flap(s)" % total


def safe_from(rows):
    """The smallest token of ROWS at and above which no token flapped (a smaller token that did not flap
    while a larger one did is luck, not a margin), or None."""
    safe = None
    for row in sorted(rows, key=lambda r: -r["token"]):
        if sum(row["flaps"].values()):
            break
        safe = row["token"]
    return safe


def format_table(rows):
    """The table: one row per token."""
    header = ("token", "effective", "consensus", "load", "flaps per node", "near misses per node", "detection",
              "verdict")
    lines = ["%7s %9s %9s %6s  %-24s %-24s %-12s %s" % header]
    for row in rows:
        nodes = sorted(row["flaps"])
        lines.append("%5d ms %7d ms %7d ms %6.1f  %-24s %-24s %-12s %s" % (
            row["token"], row["effective"], row["consensus"], row["load"],
            " ".join("%s:%d" % (n, row["flaps"][n]) for n in nodes),
            " ".join("%s:%d" % (n, row["near_misses"][n]) for n in nodes),
            "<= %.1f s" % ((row["effective"] + row["consensus"]) / 1000.0), verdict(row["flaps"])))
    return "\n".join(lines)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--tokens", default="500,750,1000,1500", help="token timeouts in ms (default 500,750,1000,1500)")
    parser.add_argument("--seconds", type=int, default=60, help="stress window per token (default 60, at most 600)")
    parser.add_argument("--burners", type=int, default=2, help="busy loops per node (default 2, at most 8)")
    parser.add_argument("--restore", type=int, default=1000, help="token set at the end (default 1000)")
    args = parser.parse_args(argv)
    try:
        args.tokens = parse_tokens(args.tokens)
    except ValueError as e:
        parser.error("--tokens: %s" % e)
    if not 10 <= args.seconds <= 600:
        parser.error("--seconds must be 10 to 600")
    if not 1 <= args.burners <= 8:
        parser.error("--burners must be 1 to 8")
    return args


def podman(container, argv, check=True):
    return subprocess.run(["podman", "exec", container] + argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=check).stdout


def effective_token(token, nodes, coefficient=650):
    """The token corosync runs with: TOKEN + (NODES - 2) x token_coefficient (corosync 3, 3 nodes or more)."""
    return token + max(0, nodes - 2) * coefficient


def runtime_value(container, key):
    """An integer of corosync's runtime cmap on CONTAINER, or None."""
    text = podman(container, ["corosync-cmapctl", "-g", key], check=False).strip()
    value = text.rsplit("=", 1)[-1].strip()
    return int(value) if value.isdigit() else None


def set_token(containers, token, timeout=120):
    """Set the running cluster's token and wait until every node runs with it; (effective token, consensus)."""
    podman(containers[0], ["pcs", "cluster", "config", "update", "totem", "token=%d" % token])
    coefficient = runtime_value(containers[0], "runtime.config.totem.token_coefficient") or 650
    want = effective_token(token, len(containers), coefficient)
    t0 = time.monotonic()
    values = []
    while time.monotonic() - t0 < timeout:
        values = [runtime_value(c, "runtime.config.totem.token") for c in containers]
        if all(v == want for v in values):
            return want, runtime_value(containers[0], "runtime.config.totem.consensus")
        time.sleep(1)
    raise RuntimeError("the nodes do not run token %d (configured %d) after %d s: %s" % (want, token, timeout, values))


def stress_window(containers, seconds, burners):
    """Busy loops on every node for SECONDS; {container: (flaps, near misses)} from the journals."""
    since = podman(containers[0], ["date", "+%s"]).strip()
    procs = []
    for container in containers:
        for _i in range(burners):
            procs.append(subprocess.Popen(["podman", "exec", container, "timeout", str(seconds), "sh", "-c",
                                           "while :; do :; done"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    time.sleep(seconds - 1)
    load = os.getloadavg()[0]
    for proc in procs:
        proc.wait(timeout=seconds + 60)
    counts = {}
    for container in containers:
        journal = podman(container, ["journalctl", "-u", "corosync", "--no-pager", "-o", "cat", "--since", "@" + since])
        counts[container] = count_events(journal)
    return load, counts


def main(argv=None):
    args = parse_args(argv)
    state = json.loads(subprocess.run(["bash", LABCTL, "state"], stdout=subprocess.PIPE, universal_newlines=True,
                                      check=True).stdout)
    containers = [n["container"] for n in state["nodes"]]
    names = dict((n["container"], n["name"]) for n in state["nodes"])
    rows = []
    try:
        for token in args.tokens:
            effective, consensus = set_token(containers, token)
            time.sleep(5)  # let a reload's own membership settle before the window
            load, counts = stress_window(containers, args.seconds, args.burners)
            row = {"token": token, "effective": effective, "consensus": consensus, "load": load,
                   "flaps": dict((names[c], counts[c][0]) for c in containers),
                   "near_misses": dict((names[c], counts[c][1]) for c in containers)}
            rows.append(row)
            print("token %d ms: load %.1f, flaps %s, near misses %s" % (token, load, row["flaps"], row["near_misses"]),
                  flush=True)
    finally:
        set_token(containers, args.restore)
    print(format_table(rows))
    safe = safe_from(rows)
    print("smallest token from which no larger token flapped under this stress: %s"
          % ("%d ms" % safe if safe else "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
