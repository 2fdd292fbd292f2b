# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: converge N primitives (with groups and constraints) on a CIB file.

Compares, in the same run and on the same machine:

* pcs_cib: ONE module run (the real module, started the way Ansible starts
  it: a Python process with the arguments as JSON) that reads the file,
  edits a copy, runs crm_verify and writes the file;
* per-object pcs: one ``pcs -f FILE resource create ... --group G`` per
  primitive and one ``pcs -f FILE constraint ...`` per constraint, which is
  how modules that wrap pcs one object at a time work;
* the no-change re-run of both (pcs_cib: plan is empty, nothing written;
  per-object pcs: every create is run again and fails with "already exists",
  which is how those modules detect "no change").

Objects for N primitives: N ``ocf:pacemaker:Dummy`` primitives in groups of 5
(N/5 groups, members in order), one location preference per group and an
order constraint between consecutive groups.

pcs takes 0.3-0.5 s per call on an idle machine (3-10 s on a loaded shared
one), so N=500 per object is minutes to an hour; the default repetitions
shrink with N (``--reps 10=5,100=3,500=1``), the pcs no-change re-run is
timed only up to ``--pcs-rerun-max`` (100), and above ``--pcs-full-max``
the per-object time is ESTIMATED, and printed as such: ``--pcs-sample`` calls
are timed on the empty CIB and as many on a CIB that already holds the N
objects (built by pcs_cib), and the mean of both times the number of calls
is the estimate (pcs re-reads and re-writes the whole CIB per call, so its
cost grows with the CIB; the mean of the two ends assumes linear growth).
Prints medians and the ratio. Usage (from the collection root, after ``make unit`` linked
build/collections)::

    PYTHONPATH=build/collections .venv/bin/python benchmarks/pcs_cib_converge.py
    PYTHONPATH=build/collections .venv/bin/python benchmarks/pcs_cib_converge.py --sizes 10 --reps 10=2
"""

from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ENV = dict(os.environ, LC_ALL="C", LANG="C")
GROUP_SIZE = 5


def objects(n):
    groups = []
    resources = []
    for i in range(n):
        resources.append({"id": "d%d" % i, "agent": "ocf:pacemaker:Dummy", "options": {"fake": "v%d" % i}})
    for g in range(0, n, GROUP_SIZE):
        groups.append({"id": "g%d" % (g // GROUP_SIZE), "members": ["d%d" % i for i in range(g, min(n, g + GROUP_SIZE))]})
    constraints = [{"type": "location", "resource": g["id"], "node": "node1", "score": 50} for g in groups]
    constraints += [{"type": "order", "first": a["id"], "then": b["id"]} for a, b in zip(groups, groups[1:])]
    return {"resources": resources, "groups": groups, "constraints": constraints,
            "properties": {"stonith-enabled": False}}


def empty_cib(path):
    with open(path, "w") as f:
        subprocess.run(["cibadmin", "--empty"], stdout=f, check=True, env=ENV)
    env = dict(ENV, CIB_file=path)
    for i in (1, 2):
        subprocess.run(["cibadmin", "-C", "-o", "nodes", "-X", '<node id="%d" uname="node%d"/>' % (i, i)],
                       check=True, env=env)
    subprocess.run(["crm_attribute", "-n", "stonith-enabled", "-v", "false"], check=True, env=env)


def run_pcs_cib(cib, spec, workdir):
    args = dict(spec, cib_file=cib)
    path = os.path.join(workdir, "args.json")
    with open(path, "w") as f:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, f)
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "ansible_collections.hastorage.cluster.plugins.modules.pcs_cib", path],
                          capture_output=True, text=True, env=ENV, check=False)
    elapsed = time.monotonic() - start
    result = json.loads(proc.stdout)
    if result.get("failed"):
        raise SystemExit("pcs_cib failed: %s" % result.get("msg"))
    return elapsed, result["changed"], len(result["actions"])


def pcs_commands(cib, spec):
    cmds = []
    group_of = {}
    for g in spec["groups"]:
        for m in g["members"]:
            group_of[m] = g["id"]
    for r in spec["resources"]:
        cmds.append(["pcs", "-f", cib, "resource", "create", r["id"], r["agent"]]
                    + ["%s=%s" % kv for kv in r["options"].items()] + ["--group", group_of[r["id"]]])
    for c in spec["constraints"]:
        if c["type"] == "location":
            cmds.append(["pcs", "-f", cib, "constraint", "location", c["resource"], "prefers",
                         "%s=%s" % (c["node"], c["score"])])
        else:
            cmds.append(["pcs", "-f", cib, "constraint", "order", "start", c["first"], "then", "start", c["then"]])
    return cmds


def run_pcs(cmds, expect_ok=True):
    start = time.monotonic()
    failures = 0
    for cmd in cmds:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=ENV, check=False)
        if proc.returncode != 0:
            failures += 1
            if expect_ok:
                raise SystemExit("%s failed: %s" % (" ".join(cmd), proc.stderr))
    return time.monotonic() - start, failures


def estimate_pcs(cib, spec, cmds, sample, workdir):
    """Per-object pcs time for all ``cmds``, from ``sample`` calls at each end."""
    k = min(sample, len(cmds))
    small, _f = run_pcs(cmds[:k])
    # the same objects, built by pcs_cib, then the extra calls on the full CIB
    big = os.path.join(workdir, "cib-pcs-big.xml")
    empty_cib(big)
    run_pcs_cib(big, spec, workdir)
    extra = objects(k)
    extra["resources"] = [dict(r, id="x" + r["id"]) for r in extra["resources"]]
    extra["groups"] = [{"id": "x" + g["id"], "members": ["x" + m for m in g["members"]]} for g in extra["groups"]]
    extra["constraints"] = []
    large, _f = run_pcs(pcs_commands(big, extra)[:k])
    return (small + large) / (2.0 * k) * len(cmds)


def parse_reps(text):
    reps = {}
    for part in text.split(","):
        n, r = part.split("=")
        reps[int(n)] = int(r)
    return reps


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--sizes", default="10,100,500")
    parser.add_argument("--reps", default="10=5,100=3,500=1",
                        help="repetitions per size for the per-object pcs runs (pcs_cib runs 3 times at least)")
    parser.add_argument("--pcs-rerun-max", type=int, default=100,
                        help="largest N for which the per-object no-change re-run is timed")
    parser.add_argument("--pcs-full-max", type=int, default=500,
                        help="largest N for which every per-object pcs call is run; above, sample and estimate")
    parser.add_argument("--pcs-sample", type=int, default=15,
                        help="calls timed at each end of the CIB size when estimating")
    opts = parser.parse_args()
    sizes = [int(s) for s in opts.sizes.split(",")]
    reps = parse_reps(opts.reps)
    workdir = tempfile.mkdtemp(prefix="pcs_cib_bench-")
    rows = []
    try:
        for n in sizes:
            spec = objects(n)
            n_objects = len(spec["resources"]) + len(spec["groups"]) + len(spec["constraints"])
            r_pcs = reps.get(n, 1)
            r_cib = max(3, r_pcs)
            t_cib, t_cib_again, t_pcs, t_pcs_again = [], [], [], []
            for _rep in range(r_cib):
                cib = os.path.join(workdir, "cib-pcs_cib.xml")
                empty_cib(cib)
                elapsed, changed, actions = run_pcs_cib(cib, spec, workdir)
                assert changed and actions >= n_objects, (changed, actions)
                t_cib.append(elapsed)
                elapsed, changed, actions = run_pcs_cib(cib, spec, workdir)
                assert not changed and actions == 0
                t_cib_again.append(elapsed)
            estimated = n > opts.pcs_full_max
            for _rep in range(r_pcs):
                cib = os.path.join(workdir, "cib-pcs.xml")
                empty_cib(cib)
                cmds = pcs_commands(cib, spec)
                if estimated:
                    t_pcs.append(estimate_pcs(cib, spec, cmds, opts.pcs_sample, workdir))
                    continue
                elapsed, _f = run_pcs(cmds)
                t_pcs.append(elapsed)
                if n <= opts.pcs_rerun_max:
                    elapsed, failures = run_pcs(cmds, expect_ok=False)
                    t_pcs_again.append(elapsed)
            row = {"n": n, "objects": n_objects, "pcs_calls": len(pcs_commands("x", spec)),
                   "pcs_cib": statistics.median(t_cib), "pcs_cib_again": statistics.median(t_cib_again),
                   "pcs": statistics.median(t_pcs),
                   "pcs_again": statistics.median(t_pcs_again) if t_pcs_again else None,
                   "reps_cib": r_cib, "reps_pcs": r_pcs, "estimated": estimated}
            rows.append(row)
            print_row(row)
            sys.stdout.flush()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print("summary (medians, seconds): N | objects | pcs_cib converge | pcs_cib no-change | "
          "pcs per object (calls) | pcs no-change re-run | ratio converge | ratio no-change")
    for row in rows:
        again = "%.2f" % row["pcs_again"] if row["pcs_again"] is not None else "not timed"
        ratio_again = ("%.1fx" % (row["pcs_again"] / row["pcs_cib_again"])) if row["pcs_again"] else "-"
        print("%4d | %4d | %6.2f | %6.2f | %7.2f%s (%d) | %s | %.1fx | %s" % (
            row["n"], row["objects"], row["pcs_cib"], row["pcs_cib_again"], row["pcs"],
            " est." if row["estimated"] else "", row["pcs_calls"],
            again, row["pcs"] / row["pcs_cib"], ratio_again))


def print_row(row):
    print("N=%d (%d objects): pcs_cib converge median %.2fs (%d runs), no-change %.2fs; "
          "pcs per object %s %.2fs (%d calls, %d runs)%s; ratio %.1fx"
          % (row["n"], row["objects"], row["pcs_cib"], row["reps_cib"], row["pcs_cib_again"],
             "ESTIMATED from sampled calls" if row["estimated"] else "median", row["pcs"],
             row["pcs_calls"], row["reps_pcs"],
             "" if row["pcs_again"] is None else ", pcs no-change re-run %.2fs" % row["pcs_again"],
             row["pcs"] / row["pcs_cib"]))


if __name__ == "__main__":
    main()
