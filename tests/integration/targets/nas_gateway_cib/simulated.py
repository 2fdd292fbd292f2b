# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check a crm_simulate -S transcript of the gateway's groups (text output).

    python3 simulated.py FILE [--start] [--moved G,...] [--fenced NODE]
                         [--dot DOT --serial R1,R2,...] GROUP=WHERE...

GROUP=WHERE: where the group g_GROUP runs after the transition, every member
on one node: a node name, !NODE for "started, on another node than NODE",
or "stopped" (every member stopped).
--start: the transition starts each named group on that node bottom-up,
Filesystem first, the VIP last. --moved: the Transition Summary moves,
starts, stops or restarts members of these groups only (a failed node's
clone instances and fence devices aside); without --moved nothing of any
group changes. --fenced: the node is fenced before any group member starts
elsewhere. --serial (with --dot, the transition graph crm_simulate -D
wrote): on every node where the transition starts these resources (clone
instances by their resource name), each one's start waits for the one
before it on that node, so no two of them start side by side. Prints what
it found.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import re
import sys


def sections(text):
    summary = text.split("Transition Summary:")[1].split("Executing Cluster Transition:")[0]
    transition = text.split("Executing Cluster Transition:")[1].split("Revised Cluster Status:")[0]
    revised = text.split("Revised Cluster Status:")[1]
    return summary, transition, revised


def groups_of(status):
    """{group: [(member, agent, state-line)]} from a cluster status, in member order."""
    groups, current = {}, None
    for line in status.splitlines():
        m = re.match(r"\s*\* Resource Group: (\S+):", line)
        if m:
            current = groups.setdefault(m.group(1), [])
            continue
        m = re.match(r"\s*\* (\S+)\s+\((\S+)\):\s+(.*)$", line)
        if m and current is not None and line.startswith("      "):
            current.append((m.group(1), m.group(2), m.group(3).strip()))
        elif not line.startswith("      "):
            current = None
    return groups


def start_edges(dot):
    """{(resource, node): {(resource, node) whose start it waits for, directly}} from a transition graph."""
    action = r'"(\S+?)(?::\d+)?_start_0 (\S+)"'
    edges = {}
    for line in dot.splitlines():
        m = re.match(r"\s*%s\s*->\s*%s" % (action, action), line)
        if m:
            edges.setdefault((m.group(3), m.group(4)), set()).add((m.group(1), m.group(2)))
    return edges


def waits_for(edges, then, first):
    """Whether the start ``then`` waits for ``first``, directly or through other starts."""
    seen, todo = set(), [then]
    while todo:
        for before in edges.get(todo.pop(), ()):
            if before == first:
                return True
            if before not in seen:
                seen.add(before)
                todo.append(before)
    return False


def check_serial(dot, resources, transition):
    edges = start_edges(dot)
    starts = re.findall(r"Resource action: +(\S+?)(?::\d+)? +start on (\S+)", transition)
    nodes = sorted(set(node for r, node in starts if r in resources))
    assert nodes, "none of %s starts in this transition" % ", ".join(resources)
    for node in nodes:
        here = [r for r in resources if (r, node) in starts]
        for first, then in zip(here, here[1:]):
            assert waits_for(edges, (then, node), (first, node)), (
                "on %s the start of %s does not wait for %s's" % (node, then, first))
    return nodes


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--start", action="store_true")
    parser.add_argument("--moved", default="")
    parser.add_argument("--fenced", default="")
    parser.add_argument("--dot")
    parser.add_argument("--serial", default="")
    parser.add_argument("where", nargs="+")
    args = parser.parse_args()
    text = open(args.file).read()
    summary, transition, revised = sections(text)
    groups = groups_of(revised)
    members = dict((m[0], g) for g, ms in groups.items() for m in ms)
    placed = {}
    for g, ms in groups.items():
        if all(m[2] == "Stopped" for m in ms):
            placed[g[2:]] = "stopped"
            continue
        nodes = set()
        for member, agent, state in ms:
            m = re.match(r"Started (\S+)$", state)
            assert m, "%s: %s of %s is %r, not started\n%s" % (args.file, member, g, state, revised)
            nodes.add(m.group(1))
        assert len(nodes) == 1, "%s: the members of %s run on %s\n%s" % (args.file, g, nodes, revised)
        placed[g[2:]] = nodes.pop()
    for item in args.where:
        group, want = item.split("=")
        got = placed.get(group)
        ok = got != want[1:] if want.startswith("!") else got == want
        assert got and ok, "%s: g_%s runs on %s, expected %s\n%s" % (args.file, group, got, want, revised)

    # what the transition touched: only the members of the --moved groups
    moved = set("g_" + g for g in args.moved.split(",") if g)
    touched = set()
    for line in summary.splitlines():
        m = re.match(r"\s*\* (Move|Start|Stop|Restart|Recover|Migrate)\s+(\S+)", line)
        if m and m.group(2) in members:
            touched.add(members[m.group(2)])
    assert touched == moved, "%s: the transition changed %s, expected %s\n%s" % (
        args.file, sorted(touched) or "nothing", sorted(moved) or "nothing", summary)

    steps = re.findall(r"Resource action: +(\S+) +start on (\S+)", transition)
    if args.start:
        for g, ms in groups.items():
            order = [r for r, node in steps if members.get(r) == g]
            expected = [m[0] for m in ms]
            assert order == expected, "%s: %s started %s, expected %s" % (args.file, g, order, expected)
            agents = [m[1] for m in ms]
            assert agents[0] == "ocf:heartbeat:Filesystem" and agents[-1] == "ocf:heartbeat:IPaddr2", (g, agents)
            assert set(agents[1:-1]) <= {"ocf:heartbeat:exportfs", "ocf:hastorage:samba_shares"}, (g, agents)
            assert set(node for r, node in steps if members.get(r) == g) == {placed[g[2:]]}, (g, steps)
    if args.fenced:
        fence = transition.find("Fencing %s " % args.fenced)
        assert fence >= 0, "%s: %s was not fenced\n%s" % (args.file, args.fenced, transition)
        for r, node in steps:
            if r in members:
                first = re.search(r"Resource action: +%s +start on" % re.escape(r), transition).start()
                assert fence < first, "%s: %s started before %s was fenced" % (args.file, r, args.fenced)
    if args.serial:
        nodes = check_serial(open(args.dot).read(), args.serial.split(","), transition)
        print("%s: %s start one after the other on %s" % (args.file, args.serial, " ".join(nodes)))
    print("%s: %s; changed: %s" % (args.file, " ".join("%s@%s" % (g, n) for g, n in sorted(placed.items())),
                                   " ".join(sorted(touched)) or "nothing"))


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print("FAILED: %s" % e, file=sys.stderr)
        sys.exit(1)
