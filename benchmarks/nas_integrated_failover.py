# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: the integrated NAS design's failover drills, N times each, medians per protocol.

Lab only (User-mode Linux nodes of lab/umlctl, the ``nas_integrated``
molecule scenario). Converges the scenario once (``molecule create`` and
``converge``: site.yml on two UML nodes, md RAID1, DRBD Protocol C with real
fencing, LVM, kernel NFS, Samba joined to the lab's AD DC), then runs the
scenario's verify with ``NAS_INT_DRILLS`` set to each asked drill ``--runs``
times (kill, freeze, client_link: ``molecule/nas_integrated/tasks/drill.yml``)
and without the replication-link drills. Every drill fails the node that
serves at the time while dc1 writes numbered records over NFS v4.2, NFS v3
and SMB, and measures each protocol's client-visible downtime; the drill
itself asserts RPO 0 (every acknowledged record on the node that took over).

Prints one line per run, then for each drill and protocol the median, min
and max downtime against the goals (issue #12: 10 s; issue #17: 3 s for a
kill, 6 s for a freeze), and the records acknowledged and missing.
``molecule destroy`` at the end unless ``--keep``. Usage, from the
collection root after ``make bootstrap``::

    .venv/bin/python benchmarks/nas_integrated_failover.py --runs 5 --drills kill,freeze
"""

from __future__ import absolute_import, division, print_function

import os
import statistics
import sys

# the benchmarks' shared helpers beside this script
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab_env  # noqa: E402  pylint: disable=wrong-import-position,import-error

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIO = "nas_integrated"
DRILLS = ("kill", "freeze", "client_link")
PROTOCOLS = (("nfs", "NFS v4.2"), ("nfs3", "NFS v3"), ("smb", "SMB"))
# client-visible downtime goals in seconds: (issue #12, issue #17)
GOALS = {"kill": (10.0, 3.0), "freeze": (10.0, 6.0), "client_link": (10.0, None)}


# the window in which the node that took over starts the stack: from the
# membership change to share1's VIP (drill_report.py --phases names)
CPU_WINDOW = ("membership", "vip_share1 start")


def cpu_busy(run, samples, cpu):
    """How busy the host CPU of the node that took over (CPU) was from the
    membership change to share1's VIP (lab_env.CpuSampler samples), or None
    (no failure time, no such phases, no samples)."""
    phases = dict((name, seconds) for name, seconds in run.get("phases") or [])
    failed_at = run.get("failed_at_host")
    if failed_at is None or any(name not in phases for name in CPU_WINDOW):
        return None
    start, end = (float(failed_at) + float(phases[name]) for name in CPU_WINDOW)
    return lab_env.busy_fraction(samples, cpu, start, end)


def summarize(runs):
    """{drill: {"runs", "records", "missing", "phases": [[event, median s], ...],
    protocol: {"median_s", "min_s", "max_s", "runs", "never_back"}}} from the scenario's
    NAS_INT_REPORT list (one dict per drill run; "phases" from drill_report.py --phases)."""
    result = {}
    for run in runs:
        entry = result.setdefault(run["kind"], {"runs": 0, "records": 0, "missing": 0})
        entry["runs"] += 1
        entry["records"] += int(run.get("records") or 0)
        entry["missing"] += int(run.get("missing") or 0)
        for proto, _label in PROTOCOLS:
            times = entry.setdefault(proto, {"times": [], "never_back": 0})
            rto = (run.get(proto) or {}).get("rto_s")
            if rto is None:
                times["never_back"] += 1
            else:
                times["times"].append(float(rto))
        for name, seconds in run.get("phases") or []:
            entry.setdefault("phase_times", {}).setdefault(name, []).append(float(seconds))
        if run.get("cpu_busy") is not None:
            entry.setdefault("cpu_busy", []).append(float(run["cpu_busy"]))
    for entry in result.values():
        # where the time went: the median of each event over the runs that show it,
        # in the order of those medians
        entry["phases"] = sorted(([name, round(statistics.median(times), 1)]
                                  for name, times in entry.pop("phase_times", {}).items()),
                                 key=lambda item: (item[1], item[0]))
        for proto, _label in PROTOCOLS:
            entry[proto].update(lab_env.spread(entry[proto].pop("times")))
        busy = [100 * b for b in entry.pop("cpu_busy", [])]
        entry["cpu_busy_pct"] = {"runs": len(busy), "median": round(statistics.median(busy)),
                                 "min": round(min(busy)), "max": round(max(busy))} if busy else None
    return result


def format_summary(summary):
    """The table the benchmark prints (one row per drill and protocol)."""
    lines = ["%-12s %-9s %5s %8s %8s %8s  %-24s %-24s" % (
        "drill", "protocol", "runs", "median", "min", "max", "goal #12", "goal #17")]
    for drill in [d for d in DRILLS if d in summary] + sorted(set(summary) - set(DRILLS)):
        entry = summary[drill]
        goals = GOALS.get(drill, (None, None))
        for proto, label in PROTOCOLS:
            row = entry[proto]

            def cell(key, row=row):
                return "-" if row[key] is None else "%.1f s" % row[key]
            lines.append("%-12s %-9s %5d %8s %8s %8s  %-24s %-24s" % (
                drill, label, row["runs"], cell("median_s"), cell("min_s"), cell("max_s"),
                lab_env.goal_text(row["median_s"], goals[0]), lab_env.goal_text(row["median_s"], goals[1])))
            if row["never_back"]:
                lines.append("%-12s %-9s never came back in %d run(s)" % (drill, label, row["never_back"]))
        lines.append("%-12s records acknowledged %d, missing %d (RPO)" % (drill, entry["records"], entry["missing"]))
        if entry.get("phases"):
            lines.append("%-12s median s after the failure: %s" % (
                drill, ", ".join("%s %.1f" % (name, seconds) for name, seconds in entry["phases"])))
        busy = entry.get("cpu_busy_pct")
        if busy:
            lines.append("%-12s host CPU of the node that took over, busy from the membership change to share1's "
                         "VIP: median %d %% (%d-%d %%, %d runs)" % (
                             drill, busy["median"], busy["min"], busy["max"], busy["runs"]))
    return "\n".join(lines)


def format_run(index, run):
    return "run %d %-11s %s failed, %s took over: %s; %s records, %s missing" % (
        index, run["kind"], run.get("failed"), run.get("served_by"),
        ", ".join("%s %s" % (label, "-" if (run.get(proto) or {}).get("rto_s") is None
                             else "%.1f s" % run[proto]["rto_s"]) for proto, label in PROTOCOLS),
        run.get("records"), run.get("missing")) + (
            "; tickle ACKs to %s of %s recorded connections" % (run["tickled"], run["tickle_recorded"])
            if run.get("tickle_recorded") is not None else "") + (
            "; %s" % ", ".join("%s %.1f" % (name, seconds) for name, seconds in run["phases"])
            if run.get("phases") else "") + (
            "; its CPU busy %.0f %% until share1's VIP" % (100 * run["cpu_busy"])
            if run.get("cpu_busy") is not None else "")


def parse_args(argv):
    parser = lab_env.drill_argument_parser(__doc__.split("\n\n", maxsplit=1)[0], SCENARIO, DRILLS, "kill")
    return lab_env.parse_drill_args(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    lab_name = lab_env.scenario_lab_name(ROOT, SCENARIO)
    node_cpus = {}

    def read_node_cpus():
        # while the lab (its lab.json) is still there
        node_cpus.update(lab_env.uml_node_cpus(ROOT, lab_name))
    sampler = lab_env.CpuSampler().start()
    try:
        runs = lab_env.run_drills(ROOT, SCENARIO, args, "NAS_INT_DRILLS", "NAS_INT_REPORT",
                                  extra={"NAS_INT_REPLICATION_DRILLS": "no"}, before_destroy=read_node_cpus)
    finally:
        samples = sampler.stop()
    for run in runs:
        run["cpu_busy"] = cpu_busy(run, samples, node_cpus.get(run.get("served_by")))
    for index, run in enumerate(runs, 1):
        print(format_run(index, run))
    summary = summarize(runs)
    print(format_summary(summary))
    return 0 if all(entry["missing"] == 0 for entry in summary.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
