# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the lab benchmarks share: the environment they run their tools in
(molecule, ansible-playbook; what the Makefile exports, so a benchmark
started with the venv's python finds the same tools and collections as
``make``), their common options (--runs, --keep, --no-converge) and their
molecule calls."""

from __future__ import absolute_import, division, print_function

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
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


def run_drills(root, scenario, args, drills_variable, report_variable, extra=None, run=None, before_destroy=None):
    """Converge SCENARIO once (unless args.no_converge), run its verify with
    DRILLS_VARIABLE set to the drill sequence and REPORT_VARIABLE to a
    temporary file, and return the drill runs the verify wrote there (a JSON
    list); ``molecule destroy`` at the end unless args.keep. EXTRA: more
    environment for the verify. RUN: the molecule call (tests).
    BEFORE_DESTROY: called after the verify while the lab is still up (to
    read its state)."""
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
        if before_destroy:
            before_destroy()
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


def read_cpu_ticks(text):
    """{cpu index: (busy ticks, all ticks)} from /proc/stat's text (idle and iowait are not busy)."""
    ticks = {}
    for line in text.splitlines():
        fields = line.split()
        if not fields or not fields[0].startswith("cpu") or fields[0] == "cpu":
            continue
        values = [int(v) for v in fields[1:]]
        idle = values[3] + (values[4] if len(values) > 4 else 0)
        ticks[int(fields[0][3:])] = (sum(values) - idle, sum(values))
    return ticks


def busy_fraction(samples, cpu, start, end):
    """How busy host CPU CPU was from START to END (host clock): busy ticks over
    all ticks between the last sample at or before START and the first at or
    after END; None when the samples do not cover the window or name no CPU."""
    if cpu is None or start is None or end is None or end <= start:
        return None
    before = [s for s in samples if s[0] <= start and cpu in s[1]]
    after = [s for s in samples if s[0] >= end and cpu in s[1]]
    if not before or not after:
        return None
    (busy0, all0), (busy1, all1) = before[-1][1][cpu], after[0][1][cpu]
    if all1 <= all0:
        return None
    return (busy1 - busy0) / (all1 - all0)


class CpuSampler:
    """Every host CPU's ticks (/proc/stat) every INTERVAL s, in a thread from
    start() to stop(): ``samples`` is [(time.time(), read_cpu_ticks)], for
    busy_fraction. What a drill's node spent its CPU on is the guest's
    affair; whether that CPU was the bound is the host's (a UML machine's
    whole process tree runs on one host CPU, umlctl's machine_cpu)."""

    def __init__(self, interval=0.2, path="/proc/stat"):
        self.interval = interval
        self.path = path
        self.samples = []
        self._stop = threading.Event()
        self._thread = None

    def sample(self):
        with open(self.path, encoding="utf-8") as handle:
            self.samples.append((time.time(), read_cpu_ticks(handle.read())))

    def _loop(self):
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def start(self):
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join()
        self.sample()
        return self.samples


def scenario_lab_name(root, scenario):
    """The lab_name a molecule scenario's molecule.yml gives its lab (None without one)."""
    path = os.path.join(root, "molecule", scenario, "molecule.yml")
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            if len(fields) == 2 and fields[0] == "lab_name:":
                return fields[1].strip("'\"")
    return None


def uml_node_cpus(root, lab_name, cpus=None, environ=None):
    """{node: the host CPU lab/umlctl pins it to} for every node of LAB_NAME
    (umlctl's machine_cpu over CPUS, default this process's; lab.json read
    once), or {} when umlctl does not pin (HSC_UML_CPU_PIN=0) or the lab is
    unknown."""
    environ = os.environ if environ is None else environ
    if environ.get("HSC_UML_CPU_PIN", "1") == "0" or not lab_name:
        return {}
    try:
        with open(os.path.join(root, "lab", "state", lab_name, "lab.json"), encoding="utf-8") as handle:
            state = json.load(handle)
    except (OSError, ValueError):
        return {}
    machine_cpu = _umlctl(root).machine_cpu
    cpus = os.sched_getaffinity(0) if cpus is None else cpus
    return dict((node["name"], machine_cpu(state, node, cpus)) for node in state.get("nodes") or [])


def _umlctl(root):
    """lab/umlctl.py as a module (its machine_cpu: where umlctl pins each machine)."""
    lab = os.path.join(root, "lab")
    if lab not in sys.path:
        sys.path.insert(0, lab)  # umlctl imports labctl beside it
    spec = importlib.util.spec_from_file_location("hsc_umlctl", os.path.join(lab, "umlctl.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
