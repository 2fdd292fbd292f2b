# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: DRBD failover with real fencing on UML nodes, N times, median.

Lab only (User-mode Linux nodes of lab/umlctl). Converges the ``drbd_uml``
molecule scenario once (``molecule create`` + ``converge``: a fenced 2-node
cluster, DRBD r0 Protocol C with ``fencing resource-and-stonith``, ext4 and a
VIP on top), then ``--runs`` times:

1. finds the node that runs the VIP (the DRBD primary);
2. runs ``molecule/drbd_uml/failover.sh``: fsync'ed writes stream through the
   primary, its UML process is killed (power loss), and the clock runs until
   the survivor serves (DRBD Primary, /srv/data mounted, VIP up);
3. checks every acknowledged write on the survivor (RPO: missing writes);
4. powers the killed node on (the fence devices power off and leave it off,
   ``pcmk_reboot_action=off``), waits until DRBD is Connected, UpToDate on
   both sides, before the next run.

Prints one line per run and the median, min and max failover time and the
total of missing writes; ``molecule destroy`` at the end (``--keep`` leaves
the lab up). The scenario's own ``verify`` runs the drill once; this runs it
N times. Usage, from the collection root after ``make bootstrap``::

    .venv/bin/python benchmarks/drbd_failover.py --runs 5
"""

from __future__ import absolute_import, division, print_function

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

# the benchmarks' shared helpers beside this script
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab_env  # noqa: E402  pylint: disable=wrong-import-position,import-error

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UMLCTL = os.path.join(ROOT, "lab", "umlctl")
SCENARIO = "drbd_uml"
FAILOVER = os.path.join(ROOT, "molecule", SCENARIO, "failover.sh")
LAB_NAME = "hsc-mol-drbd-uml"
LOCATE_RE = re.compile(r"running on: (\S+)")
PROC_DRBD_RE = re.compile(r"cs:(\S+) ro:(\S+)/(\S+) ds:(\S+)/(\S+)")


def primary_from_locate(text):
    """The node ``crm_resource --locate`` names, or None."""
    match = LOCATE_RE.search(text or "")
    return match.group(1) if match else None


def drbd_state(proc_drbd):
    """``(connection, role, peer_role, disk, peer_disk)`` of minor 0 in /proc/drbd (8.4), or None."""
    match = PROC_DRBD_RE.search(proc_drbd or "")
    return match.groups() if match else None


def in_sync(proc_drbd):
    state = drbd_state(proc_drbd)
    return bool(state) and state[0] == "Connected" and state[3] == "UpToDate" and state[4] == "UpToDate"


# What the survivor's journal says happened after the kill, in order; the
# first line matching each pattern after the kill is that step's time.
PHASES = (
    ("membership", re.compile(r"corosync\[\d+\]: +\[TOTEM \] A new membership .* formed\. Members left")),
    ("fenced", re.compile(r"pacemaker-fenced\[\d+\]: .*Operation '(reboot|off)' .*returned 0")),
    ("drbd_peer_lost", re.compile(r"kernel: drbd \S+: .*conn\( (Connected|WFReportParams) -> ")),
    ("promoted", re.compile(r"Result of promote operation for drbd_\S+ on \S+: ok")),
    ("filesystem", re.compile(r"Result of start operation for fs_\S+ on \S+: ok")),
    ("vip", re.compile(r"Result of start operation for vip_\S+ on \S+: ok")),
)
JOURNAL_LINE_RE = re.compile(r"^(\d+\.\d+) (.*)$")


def phases(journal, killed_at):
    """Seconds from the kill to each step of PHASES, from ``journalctl -o short-unix`` text.

    A step the journal does not show is absent from the result.
    """
    found = {}
    for line in (journal or "").splitlines():
        match = JOURNAL_LINE_RE.match(line)
        if not match or float(match.group(1)) < killed_at:
            continue
        for name, pattern in PHASES:
            if name not in found and pattern.search(match.group(2)):
                found[name] = round(float(match.group(1)) - killed_at, 1)
    return found


def phase_medians(results):
    """The median of each phase over the runs that show it."""
    medians = {}
    for name, _pattern in PHASES:
        values = [r["phases"][name] for r in results if name in r.get("phases", {})]
        if values:
            medians[name] = round(statistics.median(values), 1)
    return medians


def summary(results):
    """Median/min/max of the failover times and the missing writes of ``results`` (dicts)."""
    times = [r["failover_seconds"] for r in results]
    return {
        "runs": len(results),
        "median_s": round(statistics.median(times), 1) if times else None,
        "min_s": min(times) if times else None,
        "max_s": max(times) if times else None,
        "acked": sum(r["acked"] for r in results),
        "missing": sum(r["missing"] for r in results),
        "phase_medians_s": phase_medians(results),
    }


def ssh(node, remote, timeout=60, check=True):
    proc = subprocess.run([UMLCTL, "--name", LAB_NAME, "ssh", node, remote], capture_output=True,
                          text=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError("ssh %s %r: rc %d %s" % (node, remote, proc.returncode, proc.stderr.strip()))
    return proc.stdout


def wait(what, predicate, timeout, interval=2):
    """The first true value of ``predicate()``, polled every ``interval`` s for at most ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
        time.sleep(interval)
    raise RuntimeError("timed out after %d s waiting for %s" % (timeout, what))


def missing_writes(survivor, acked_file):
    """How many acknowledged writes are absent or different on the survivor."""
    lines = [line.split() for line in open(acked_file, encoding="utf-8").read().splitlines() if line.strip()]
    if not lines:
        return 0
    script = "".join("[ \"$(sha256sum < /srv/data/ack-%s 2>/dev/null | cut -d' ' -f1)\" = %s ] || echo x;"
                     % (n, digest) for n, digest in lines)
    return len(ssh(survivor, script, timeout=300).split())


def locate_primary():
    """The node running vip_data (the DRBD primary), read on whichever node answers, or None."""
    for node in ("node1", "node2"):
        try:
            primary = primary_from_locate(ssh(node, "crm_resource --locate --resource vip_data",
                                              timeout=20, check=False))
        except subprocess.TimeoutExpired:
            continue
        if primary in ("node1", "node2"):
            return primary
    return None


def clock_offset(node):
    """This host's clock minus ``node``'s, in seconds (a UML guest's clock can lag by seconds on a loaded host)."""
    before = time.time()
    guest = float(ssh(node, "date +%s.%N", timeout=30).strip())
    after = time.time()
    return (before + after) / 2 - guest


def one_run(index, vip, out_dir):
    # a fresh converge (or the previous run's rejoin) may still be starting the stack
    primary = wait("a node running vip_data", locate_primary, timeout=300)
    survivor = "node2" if primary == "node1" else "node1"
    run_dir = os.path.join(out_dir, "run%d" % index)
    proc = subprocess.run([FAILOVER, LAB_NAME, primary, survivor, vip, run_dir], capture_output=True,
                          text=True, timeout=600, check=False)
    lines = proc.stdout.strip().splitlines()
    result = json.loads(lines[-1]) if lines else {"error": proc.stderr.strip()}
    if proc.returncode != 0 or "error" in result:
        raise RuntimeError("run %d: %s" % (index, result.get("error") or proc.stderr.strip()))
    result["missing"] = missing_writes(survivor, os.path.join(run_dir, "acked.clean"))
    result.update({"killed": primary, "survivor": survivor})
    journal = ssh(survivor, "journalctl -o short-unix --no-pager --since @%d" % int(result["killed_at"] - 120),
                  timeout=120, check=False)
    result["phases"] = phases(journal, result["killed_at"] - clock_offset(survivor))
    # the fence devices power a node off (pcmk_reboot_action off): power it on
    # as an operator would, once the failover is measured
    subprocess.run([UMLCTL, "--name", LAB_NAME, "start", primary], capture_output=True, text=True,
                   timeout=300, check=True)
    t0 = time.monotonic()
    wait("%s back and DRBD UpToDate on both sides" % primary,
         lambda: in_sync(ssh(primary, "cat /proc/drbd", timeout=20)) and in_sync(ssh(survivor, "cat /proc/drbd")),
         timeout=600)
    result["back_seconds"] = round(time.monotonic() - t0, 1)
    return result


def molecule(action, env):
    lab_env.molecule(ROOT, SCENARIO, action, env)


def parse_args(argv):
    return lab_env.parse_lab_args(
        lab_env.lab_argument_parser(__doc__.split("\n\n", maxsplit=1)[0], SCENARIO, "kills (default 5)"), argv)


def main(argv=None):
    args = parse_args(argv)
    env = lab_env.tool_environment(ROOT)
    os.environ.update({"PATH": env["PATH"]})
    t0 = time.monotonic()
    if not args.no_converge:
        molecule("create", env)
        molecule("converge", env)
    print("lab converged in %.0f s" % (time.monotonic() - t0), flush=True)
    state = json.loads(subprocess.run([UMLCTL, "--name", LAB_NAME, "state"], capture_output=True, text=True,
                                      check=True).stdout)
    vip = state["vip_pool"][0]
    results = []
    out_dir = tempfile.mkdtemp(prefix="drbd-failover-")
    try:
        for index in range(1, args.runs + 1):
            result = one_run(index, vip, out_dir)
            results.append(result)
            print("run %d: killed %s, %s served after %.1f s; %d acknowledged writes, %d missing; "
                  "%s back in sync %.0f s later"
                  % (index, result["killed"], result["survivor"], result["failover_seconds"], result["acked"],
                     result["missing"], result["killed"], result["back_seconds"]), flush=True)
            print("  after the kill, on %s: %s" % (result["survivor"], ", ".join(
                "%s %.1f s" % (name, result["phases"][name]) for name, _p in PHASES if name in result["phases"])),
                flush=True)
    finally:
        print(json.dumps(summary(results), sort_keys=True), flush=True)
        if not args.keep:
            molecule("destroy", env)
    return 0 if results and summary(results)["missing"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
