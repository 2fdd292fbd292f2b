# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: the speed issue's rows in one run, on the podman lab (dual-controller design, 3 nodes).

Lab only (the podman lab of lab/labctl, inventories/lab, as ``make lab``
builds it). In one run, each step timed on this machine:

0. ``fresh``: ``make lab`` in a fresh clone of this repository's HEAD (a
   temporary directory) with every cache of the collection empty: a new
   cache directory (pip's downloads, the test-time collections), a new venv,
   and the lab's node image removed from podman first, so it is built again
   with debootstrap; then ``make lab-down`` there. What a new user's first
   ``make lab`` does, except apt: the machine's Debian packages stay
   installed (the bootstrap only finds them there). Commit first: the clone
   has HEAD, not the working tree;
1. ``up``: ``lab/labctl up`` (the nodes and the AD DC running, nothing
   deployed; the node image cached);
2. ``deploy``: the first ``playbooks/site.yml`` on that formed lab; then
   ``playbooks/status.yml`` (``make lab`` is up + deploy + status: printed as
   their sum, on a warm machine: the venv and the image were there);
3. ``rerun``: ``site.yml`` again, ``--runs`` times; each run's PLAY RECAP must
   say changed=0 (a run that changed something is reported, and the
   benchmark exits 1);
4. ``formation``: ``pcs cluster stop --all`` on node1, then ``pcs cluster
   start --all`` and the clock runs until ``crm_mon`` shows a DC and every
   node online (Pacemaker start to DC), ``--runs`` times; after each the
   resources are waited for (``crm_resource --wait``);
5. ``move``, ``kill``, ``freeze``: ``playbooks/failover_drill.yml`` with that
   ``drill_mode`` and ``drill_runs=--runs``: the lab's DC container writes
   numbered records over SMB and NFS to a group's VIP while the group is
   moved away (the switchover's ``crm_resource --move``), or its node is
   killed or frozen (real fencing through the lab's power API); the drill
   reports each protocol's client-visible downtime and fails on a lost
   record.

Prints one line per step and a table: median (min-max) of each row against
the issue's goals. ``--steps`` picks steps (default all; without
``up``/``deploy`` a lab already deployed is reused), ``--keep`` leaves the
lab up. Usage, from the collection root after ``make bootstrap``::

    .venv/bin/python benchmarks/speed.py --runs 3
    .venv/bin/python benchmarks/speed.py --steps rerun,kill --runs 5 --keep
"""

from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

# the benchmarks' shared helpers beside this script
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab_env  # noqa: E402  pylint: disable=wrong-import-position,import-error

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LABCTL = os.path.join(ROOT, "lab", "labctl")
INVENTORY = os.path.join(ROOT, "inventories", "lab")
PLAYBOOKS = os.path.join(ROOT, "playbooks")
STEPS = ("fresh", "up", "deploy", "rerun", "formation", "move", "kill", "freeze")
DRILLS = ("move", "kill", "freeze")
# (row, goal in seconds or None, what it is)
ROWS = (
    ("make lab, fresh clone, cold caches, apt warm", 300.0),
    ("make lab, warm machine (up + deploy + status)", 300.0),
    ("first deploy on a formed lab", 90.0),
    ("re-run with nothing to change", 15.0),
    ("cluster formation, Pacemaker start to DC", 5.0),
    ("planned switchover (move), SMB", 2.0),
    ("planned switchover (move), NFS", 2.0),
    ("kill of the active node, SMB", 3.0),
    ("kill of the active node, NFS", 3.0),
    ("freeze of the active node, SMB", 6.0),
    ("freeze of the active node, NFS", 6.0),
)
PROFILE_RE = re.compile(r"^(\S.*?) -{2,} (\d+\.\d+)s\s*$", re.M)
RECAP_RE = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def recap_totals(output):
    """{"hosts", "ok", "changed", "unreachable", "failed"} summed over the PLAY RECAP lines of an
    ansible-playbook OUTPUT; None when it has no recap."""
    matches = RECAP_RE.findall(output or "")
    if not matches:
        return None
    totals = {"hosts": len(matches), "ok": 0, "changed": 0, "unreachable": 0, "failed": 0}
    for _host, ok, changed, unreachable, failed in matches:
        totals["ok"] += int(ok)
        totals["changed"] += int(changed)
        totals["unreachable"] += int(unreachable)
        totals["failed"] += int(failed)
    return totals


def slowest_tasks(output, count=10):
    """[(seconds, task)] of the COUNT slowest tasks in profile_tasks' summary at the end of OUTPUT."""
    tasks = [(float(seconds), name.strip()) for name, seconds in PROFILE_RE.findall(output or "")]
    return sorted(tasks, key=lambda item: -item[0])[:count]


def cluster_formed(crm_mon_xml, nodes):
    """True when ``crm_mon --output-as=xml`` shows a DC and every one of NODES online."""
    try:
        root = ET.fromstring(crm_mon_xml)
    except ET.ParseError:
        return False
    dc = root.find("./summary/current_dc")
    if dc is None or dc.get("present") != "true":
        return False
    online = set(n.get("name") for n in root.findall("./nodes/node") if n.get("online") == "true")
    return set(nodes) <= online


def drill_times(summary):
    """{"smb": [s, ...], "nfs": [s, ...], "lost": n, "never_back": n} from failover_drill.yml's JSON summary
    (drill_output_file): a run whose client never came back counts in never_back, not in the times."""
    result = {"lost": int(summary.get("rpo_records_lost") or 0), "never_back": 0}
    for proto in ("smb", "nfs"):
        values = summary.get("rto_seconds_%s" % proto) or []
        result[proto] = [float(v) for v in values if v is not None]
        result["never_back"] += len([v for v in values if v is None])
    return result


def rows_from(results):
    """The table's rows [(label, goal, spread or None)] from RESULTS ({step: [seconds] or drill_times})."""
    def spread(times):
        return lab_env.spread(times) if times else None
    make_lab = None
    if results.get("up") and results.get("deploy") and results.get("status"):
        make_lab = spread([results["up"][0] + results["deploy"][0] + results["status"][0]])
    values = {
        ROWS[0][0]: spread(results.get("fresh")),
        ROWS[1][0]: make_lab,
        ROWS[2][0]: spread(results.get("deploy")),
        ROWS[3][0]: spread(results.get("rerun")),
        ROWS[4][0]: spread(results.get("formation")),
    }
    for i, drill in enumerate(DRILLS):
        times = results.get(drill) or {}
        values[ROWS[5 + 2 * i][0]] = spread(times.get("smb"))
        values[ROWS[6 + 2 * i][0]] = spread(times.get("nfs"))
    return [(label, goal, values[label]) for label, goal in ROWS]


def format_table(rows):
    """The table the benchmark prints."""
    lines = ["%-46s %4s %8s %8s %8s  %s" % ("row", "runs", "median", "min", "max", "goal")]
    for label, goal, row in rows:
        if row is None:
            lines.append("%-46s %4s %8s %8s %8s  %s" % (label, 0, "-", "-", "-", "not measured in this run"))
            continue
        lines.append("%-46s %4d %7.1fs %7.1fs %7.1fs  %s" % (
            label, row["runs"], row["median_s"], row["min_s"], row["max_s"],
            lab_env.goal_text(row["median_s"], goal)))
    return "\n".join(lines)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each repeated row (default 3, at most 10)")
    parser.add_argument("--steps", default=",".join(STEPS),
                        help="comma-separated, of %s (default all)" % ", ".join(STEPS))
    parser.add_argument("--keep", action="store_true", help="leave the lab up at the end")
    args = parser.parse_args(argv)
    args.steps = [s for s in args.steps.replace(",", " ").split() if s]
    unknown = [s for s in args.steps if s not in STEPS]
    if unknown or not args.steps:
        parser.error("--steps: each one of %s, not %s" % (", ".join(STEPS), ", ".join(unknown) or "nothing"))
    if "deploy" in args.steps and "up" not in args.steps:
        parser.error("--steps: deploy measures the first deploy, so it needs up (a fresh lab)")
    if not 1 <= args.runs <= 10:
        parser.error("--runs must be 1 to 10 (the drill playbook's bound)")
    return args


class Lab(object):
    """The commands the benchmark runs, each timed."""

    def __init__(self, env, log_dir):
        self.env = env
        self.log_dir = log_dir

    def run(self, name, argv, check=True, env=None):
        """Run ARGV (in ENV, default the lab's), keep its output in LOG_DIR/NAME.log; (seconds, output)."""
        t0 = time.monotonic()
        proc = subprocess.run(argv, cwd=ROOT, env=env or self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, check=False)
        seconds = time.monotonic() - t0
        with open(os.path.join(self.log_dir, "%s.log" % name), "w", encoding="utf-8") as handle:
            handle.write(proc.stdout)
        if check and proc.returncode != 0:
            raise RuntimeError("%s failed (exit %d); its output is in %s/%s.log"
                               % (" ".join(argv[:3]), proc.returncode, self.log_dir, name))
        return seconds, proc.stdout

    def playbook(self, name, playbook, *extra):
        return self.run(name, ["ansible-playbook", "-i", INVENTORY, os.path.join(PLAYBOOKS, playbook)] + list(extra))

    def node(self, argv):
        """ARGV on node1 (podman exec), its output; raises when it fails."""
        return subprocess.run(["podman", "exec", "hsc-lab-node1"] + argv, env=self.env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, universal_newlines=True, check=True).stdout


def fresh_environment(environ, cache_dir):
    """The environment of a fresh clone's ``make lab``: ENVIRON without what points at this checkout's venv,
    caches or collections, and HSC_CACHE_DIR an empty CACHE_DIR."""
    env = dict((key, value) for key, value in environ.items()
               if key not in ("HSC_VENV", "VIRTUAL_ENV", "ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_COLLECTIONS_PATHS",
                              "PYTHONPATH", "MAKEFLAGS", "MAKELEVEL"))
    venv_bin = os.path.join(os.path.realpath(environ.get("HSC_VENV") or os.path.join(ROOT, ".venv")), "bin")
    env["PATH"] = os.pathsep.join(p for p in environ.get("PATH", "").split(os.pathsep)
                                  if p and os.path.realpath(p) != venv_bin)
    env["HSC_CACHE_DIR"] = cache_dir
    return env


def lab_image_tag():
    """The podman tag of the lab's node image, as lab/labctl.py names it."""
    sys.path.insert(0, os.path.join(ROOT, "lab"))
    try:
        import labctl  # pylint: disable=import-outside-toplevel,import-error
    finally:
        sys.path.pop(0)
    with open(labctl.PACKAGES_FILE, encoding="utf-8") as handle:
        return "%s:%s" % (labctl.IMAGE_REPO, labctl.image_key(handle.read()))


def fresh_make_lab(lab, work_dir):
    """``make lab`` in a fresh clone of HEAD with empty caches and the node image removed; its seconds."""
    clone = os.path.join(work_dir, "clone")
    lab.run("fresh-clone", ["git", "clone", "--quiet", ROOT, clone])
    lab.run("fresh-rmi", ["podman", "rmi", "--force", lab_image_tag()], check=False)
    env = fresh_environment(os.environ, os.path.join(work_dir, "cache"))
    try:
        return lab.run("fresh-make-lab", ["make", "-C", clone, "lab"], env=env)[0]
    finally:
        lab.run("fresh-lab-down", ["make", "-C", clone, "lab-down"], env=env, check=False)


def formation(lab, nodes, timeout=300):
    """Stop the cluster, start it and return the seconds until a DC and every node online."""
    lab.node(["pcs", "cluster", "stop", "--all"])
    t0 = time.monotonic()
    lab.node(["pcs", "cluster", "start", "--all"])
    while time.monotonic() - t0 < timeout:
        try:
            if cluster_formed(lab.node(["crm_mon", "--one-shot", "--output-as=xml"]), nodes):
                seconds = time.monotonic() - t0
                lab.node(["crm_resource", "--wait", "--timeout=%ds" % timeout])
                return seconds
        except subprocess.CalledProcessError:
            pass
        time.sleep(0.2)
    raise RuntimeError("no DC with every node online %d s after pcs cluster start --all" % timeout)


def drill(lab, mode, runs):
    """failover_drill.yml in MODE, RUNS runs: drill_times of its summary."""
    fd, out = tempfile.mkstemp(prefix="speed-%s-" % mode, suffix=".json")
    os.close(fd)
    try:
        lab.playbook("drill-%s" % mode, "failover_drill.yml", "-e", "drill_mode=%s" % mode,
                     "-e", "drill_runs=%d" % runs, "-e", "drill_output_file=%s" % out)
        with open(out, encoding="utf-8") as handle:
            return drill_times(json.load(handle))
    finally:
        os.unlink(out)


def main(argv=None):
    args = parse_args(argv)
    # profile_tasks: where a re-run's time goes, printed after the table
    env = lab_env.tool_environment(ROOT, ANSIBLE_FORCE_COLOR="0",
                                   ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks")
    log_dir = tempfile.mkdtemp(prefix="hsc-speed-")
    lab = Lab(env, log_dir)
    results, problems = {}, []
    print("logs in %s" % log_dir, flush=True)
    try:
        if "fresh" in args.steps:
            lab.run("down-before-fresh", ["bash", LABCTL, "down"])
            results["fresh"] = [fresh_make_lab(lab, log_dir)]
            print("fresh make lab: %.1f s" % results["fresh"][0], flush=True)
        if "up" in args.steps:
            lab.run("down", ["bash", LABCTL, "down"])
            results["up"] = [lab.run("up", ["bash", LABCTL, "up"])[0]]
            print("up: %.1f s" % results["up"][0], flush=True)
        if "deploy" in args.steps:
            results["deploy"] = [lab.playbook("deploy", "site.yml")[0]]
            results["status"] = [lab.playbook("status", "status.yml")[0]]
            print("deploy: %.1f s, status: %.1f s" % (results["deploy"][0], results["status"][0]), flush=True)
        if "rerun" in args.steps:
            results["rerun"] = []
            for i in range(args.runs):
                seconds, output = lab.playbook("rerun-%d" % (i + 1), "site.yml")
                totals = recap_totals(output)
                results["rerun"].append(seconds)
                results["rerun_slowest"] = slowest_tasks(output)
                print("rerun %d: %.1f s, %s" % (i + 1, seconds, totals), flush=True)
                if not totals or totals["changed"]:
                    problems.append("re-run %d changed something (%s): see %s/rerun-%d.log"
                                    % (i + 1, totals, log_dir, i + 1))
        if "formation" in args.steps:
            nodes = json.loads(lab.run("state", ["bash", LABCTL, "state"])[1])["nodes"]
            names = [n["name"] for n in nodes]
            results["formation"] = []
            for i in range(args.runs):
                results["formation"].append(formation(lab, names))
                print("formation %d: %.1f s" % (i + 1, results["formation"][-1]), flush=True)
        for mode in DRILLS:
            if mode in args.steps:
                results[mode] = drill(lab, mode, args.runs)
                print("%s: SMB %s, NFS %s, records lost %d" % (mode, results[mode]["smb"], results[mode]["nfs"],
                                                               results[mode]["lost"]), flush=True)
                if results[mode]["lost"] or results[mode]["never_back"]:
                    problems.append("%s: %d records lost, %d client(s) never back"
                                    % (mode, results[mode]["lost"], results[mode]["never_back"]))
    finally:
        if not args.keep and "up" in args.steps:
            lab.run("down-end", ["bash", LABCTL, "down"], check=False)
    print(format_table(rows_from(results)))
    if results.get("rerun_slowest"):
        print("the last re-run's slowest tasks (profile_tasks):")
        for seconds, task in results["rerun_slowest"]:
            print("  %6.2f s  %s" % (seconds, task))
    for problem in problems:
        print("PROBLEM: %s" % problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
