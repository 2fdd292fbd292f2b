# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: the NAS gateway design's drills, N times each, medians per group and protocol.

Lab only (User-mode Linux heads of lab/umlctl in front of the lab's iSCSI
SAN target, the ``nas_gateway`` molecule scenario). Converges the scenario
once (``molecule create`` and ``converge``: site.yml on two heads, multipath
over two SAN networks, one sharing group per LUN, kernel NFS and Samba joined
to the lab's AD DC), then runs the scenario's verify with ``NAS_GW_DRILLS``
set to the asked drills, ``--runs`` rounds (path, lun, kill:
``molecule/nas_gateway/tasks/drill.yml``). Each drill fails something under
share1 while dc1 writes numbered records over NFS v4.2, NFS v3 and SMB to
share1 and to a bystander group: one SAN path of its head (nothing may
move), every path of its LUN on its head (only share1 may move), the head
itself (fenced; every group of the head moves). The drill asserts RPO 0 and
that exactly the groups that had to move moved.

Prints one line per run, then for each drill, group (share1, bystander) and
protocol the median, min and max client-visible downtime, against issue
#17's goal for a kill (3 s), and the records acknowledged and missing.
``molecule destroy`` at the end unless ``--keep``. Usage, from the
collection root after ``make bootstrap``::

    .venv/bin/python benchmarks/nas_gateway_failover.py --runs 5 --drills path,lun,kill
"""

from __future__ import absolute_import, division, print_function

import os
import sys

# the benchmarks' shared helpers beside this script
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab_env  # noqa: E402  pylint: disable=wrong-import-position,import-error

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIO = "nas_gateway"
DRILLS = ("path", "lun", "kill")
# the report's keys: the failed group, the bystander group on the same head
GROUPS = (("share1", "share1"), ("bystander_rto", "bystander"))
PROTOCOLS = (("nfs", "NFS v4.2"), ("nfs3", "NFS v3"), ("smb", "SMB"))
# client-visible downtime goal of the failed group, seconds (issue #17)
GOALS = {"kill": 3.0}


def summarize(runs):
    """{drill: {"runs", "records", "missing", "misplaced", group: {protocol: {"median_s", "min_s",
    "max_s", "runs", "never_back"}}}} from the scenario's NAS_GW_REPORT list (one dict per drill
    run). ``misplaced`` counts runs whose groups did not end where they had to."""
    result = {}
    for run in runs:
        entry = result.setdefault(run["kind"], {"runs": 0, "records": 0, "missing": 0, "misplaced": 0})
        entry["runs"] += 1
        entry["records"] += int(run.get("records") or 0)
        entry["missing"] += int(run.get("missing") or 0)
        if run.get("after") != run.get("expected"):
            entry["misplaced"] += 1
        for group, _label in GROUPS:
            for proto, _plabel in PROTOCOLS:
                times = entry.setdefault(group, {}).setdefault(proto, {"times": [], "never_back": 0})
                rto = ((run.get(group) or {}).get(proto) or {}).get("rto_s")
                if rto is None:
                    times["never_back"] += 1
                else:
                    times["times"].append(float(rto))
    for entry in result.values():
        for group, _label in GROUPS:
            for proto, _plabel in PROTOCOLS:
                row = entry[group][proto]
                row.update(lab_env.spread(row.pop("times")))
    return result


def format_summary(summary):
    """The table the benchmark prints (one row per drill, group and protocol)."""
    lines = ["%-6s %-10s %-9s %5s %8s %8s %8s  %-24s" % (
        "drill", "group", "protocol", "runs", "median", "min", "max", "goal #17")]
    for drill in [d for d in DRILLS if d in summary] + sorted(set(summary) - set(DRILLS)):
        entry = summary[drill]
        for group, glabel in GROUPS:
            for proto, label in PROTOCOLS:
                row = entry[group][proto]

                def cell(key, row=row):
                    return "-" if row[key] is None else "%.1f s" % row[key]
                goal = GOALS.get(drill) if group == "share1" else None
                lines.append("%-6s %-10s %-9s %5d %8s %8s %8s  %-24s" % (
                    drill, glabel, label, row["runs"], cell("median_s"), cell("min_s"), cell("max_s"),
                    lab_env.goal_text(row["median_s"], goal)))
                if row["never_back"]:
                    lines.append("%-6s %-10s %-9s never came back in %d run(s)" % (
                        drill, glabel, label, row["never_back"]))
        lines.append("%-6s records acknowledged %d, missing %d (RPO); groups where they had to be in %d of %d run(s)"
                     % (drill, entry["records"], entry["missing"], entry["runs"] - entry["misplaced"],
                        entry["runs"]))
    return "\n".join(lines)


def format_run(index, run):
    def rto(group, proto):
        value = ((run.get(group) or {}).get(proto) or {}).get("rto_s")
        return "-" if value is None else "%.1f s" % value
    return "run %d %-4s on %s: groups %s -> %s; share1 %s; bystander %s %s; %s records, %s missing" % (
        index, run["kind"], run.get("failed"), run.get("before"), run.get("after"),
        ", ".join("%s %s" % (label, rto("share1", proto)) for proto, label in PROTOCOLS),
        run.get("bystander"),
        ", ".join("%s %s" % (label, rto("bystander_rto", proto)) for proto, label in PROTOCOLS),
        run.get("records"), run.get("missing"))


def parse_args(argv):
    parser = lab_env.drill_argument_parser(__doc__.split("\n\n", maxsplit=1)[0], SCENARIO, DRILLS,
                                           ",".join(DRILLS))
    return lab_env.parse_drill_args(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    runs = lab_env.run_drills(ROOT, SCENARIO, args, "NAS_GW_DRILLS", "NAS_GW_REPORT")
    for index, run in enumerate(runs, 1):
        print(format_run(index, run))
    summary = summarize(runs)
    print(format_summary(summary))
    return 0 if all(entry["missing"] == 0 and entry["misplaced"] == 0 for entry in summary.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
