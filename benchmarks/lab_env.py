# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the lab benchmarks share: the environment they run their tools in
(molecule, ansible-playbook; what the Makefile exports, so a benchmark
started with the venv's python finds the same tools and collections as
``make``), their common options (--runs, --keep, --no-converge) and their
molecule calls."""

from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time


def tool_environment(root, collections=None, **extra):
    """os.environ plus EXTRA, the venv's bin first on PATH (HSC_VENV, default
    ROOT/.venv) and ANSIBLE_COLLECTIONS_PATH: COLLECTIONS (default
    ROOT/build/collections, the working tree), then the test-time
    collections of the cache (HSC_CACHE_DIR, default ROOT/.cache)."""
    env = dict(os.environ, **extra)
    venv = env.get("HSC_VENV") or os.path.join(root, ".venv")
    cache = env.get("HSC_CACHE_DIR") or os.path.join(root, ".cache")
    env["PATH"] = os.path.join(venv, "bin") + os.pathsep + env.get("PATH", "")
    env["ANSIBLE_COLLECTIONS_PATH"] = os.pathsep.join(
        [collections or os.path.join(root, "build", "collections"), os.path.join(cache, "collections")])
    return env


def lab_argument_parser(description, scenario, runs_help="how many runs (default 5)"):
    """An ArgumentParser with the options every lab benchmark has: --runs N
    (default 5), --keep (leave the lab up), --no-converge (reuse a lab of
    SCENARIO molecule already converged). Parse with parse_lab_args."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--runs", type=int, default=5, help=runs_help)
    parser.add_argument("--keep", action="store_true", help="leave the lab up at the end")
    parser.add_argument("--no-converge", action="store_true",
                        help="reuse a lab molecule already converged (molecule converge -s %s)" % scenario)
    return parser


def parse_lab_args(parser, argv):
    """PARSER's arguments from ARGV; --runs below 1 is refused."""
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def molecule(root, scenario, action, env):
    """``molecule ACTION -s SCENARIO`` from ROOT in ENV; raises when it fails."""
    subprocess.run(["molecule", action, "-s", scenario], cwd=root, env=env, check=True)


def drill_sequence(drills, runs):
    """The drills in turn, RUNS rounds (kill freeze kill freeze ...), so every
    drill meets the lab in each state the others leave it in."""
    return [drill for _round in range(runs) for drill in drills]


def drill_argument_parser(description, scenario, drills, default):
    """lab_argument_parser plus --drills (comma- or space-separated, each one
    of DRILLS, default DEFAULT). Parse with parse_drill_args."""
    parser = lab_argument_parser(description, scenario, "rounds of the drills (default 5)")
    parser.add_argument("--drills", default=default, help="comma-separated, of %s (default %s)"
                        % (", ".join(drills), default))
    parser.set_defaults(known_drills=tuple(drills))
    return parser


def parse_drill_args(parser, argv):
    """parse_lab_args, and args.drills as a list; an unknown or no drill is refused."""
    args = parse_lab_args(parser, argv)
    args.drills = [d for d in args.drills.replace(",", " ").split() if d]
    unknown = [d for d in args.drills if d not in args.known_drills]
    if unknown or not args.drills:
        parser.error("--drills: each one of %s, not %s" % (", ".join(args.known_drills),
                                                           ", ".join(unknown) or "nothing"))
    return args


def run_drills(root, scenario, args, drills_variable, report_variable, extra=None, run=None):
    """Converge SCENARIO once (unless args.no_converge), run its verify with
    DRILLS_VARIABLE set to the drill sequence and REPORT_VARIABLE to a
    temporary file, and return the drill runs the verify wrote there (a JSON
    list); ``molecule destroy`` at the end unless args.keep. EXTRA: more
    environment for the verify. RUN: the molecule call (tests)."""
    run = run or molecule
    env = tool_environment(root)
    t0 = time.monotonic()
    if not args.no_converge:
        run(root, scenario, "create", env)
        run(root, scenario, "converge", env)
    print("lab converged in %.0f s" % (time.monotonic() - t0), flush=True)
    fd, report = tempfile.mkstemp(prefix="%s-drills-" % scenario, suffix=".json")
    os.close(fd)
    env.update(extra or {})
    env.update({drills_variable: " ".join(drill_sequence(args.drills, args.runs)), report_variable: report})
    try:
        run(root, scenario, "verify", env)
        with open(report, encoding="utf-8") as handle:
            return json.load(handle)
    finally:
        os.unlink(report)
        if not args.keep:
            run(root, scenario, "destroy", env)


def goal_text(median, goal):
    """A goal's cell: '-' without a goal, else met or not met (and how many times over)."""
    if goal is None:
        return "-"
    if median is None:
        return "<= %g s: no figure" % goal
    return "<= %g s: %s" % (goal, "met" if median <= goal else "not met (%.1fx)" % (median / goal))


def spread(times):
    """{"runs", "median_s", "min_s", "max_s"} of TIMES (seconds, rounded to 0.1; None without times)."""
    times = [float(t) for t in times]
    return {
        "runs": len(times),
        "median_s": round(statistics.median(times), 1) if times else None,
        "min_s": round(min(times), 1) if times else None,
        "max_s": round(max(times), 1) if times else None,
    }
