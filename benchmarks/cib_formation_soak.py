# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Soak: form a fresh cluster N times in a row and count CIB divergences.

Lab only (the podman lab of lab/labctl). Each run:

1. ``lab/labctl up`` a fresh lab of ``--nodes`` nodes (no AD DC, no disks);
2. ``ansible-playbook benchmarks/cib_formation_soak.yml``: the pacemaker role
   forms the cluster and makes its one pcs_cib push (fence device, test VIP);
3. reads every node's own CIB (``cibadmin --query --local`` through podman
   exec, independent of what the play checked) and the DC (``crm_mon``): a
   run *diverged* when any node's admin_epoch, epoch or configuration
   (canonical XML, SHA-256) differs from the DC's;
4. waits for the transition (``crm_resource --wait`` on the node that pushed,
   bounded by ``--settle-timeout``) and checks that the test VIP runs;
5. keeps the play's output, the CIBs and the Pacemaker logs of every run that
   diverged, did not settle or failed, then ``lab/labctl down``.

Prints one line per run and a summary (runs, diverged, not settled, play
failed, median formation time). ``--collections`` points the play at another
copy of the collection (for example a ``git worktree`` of an older commit) to
measure before and after a change with the same driver. Usage, from the
collection root after ``make bootstrap``::

    .venv/bin/python benchmarks/cib_formation_soak.py --runs 20 --nodes 3
    .venv/bin/python benchmarks/cib_formation_soak.py --runs 20 --nodes 2 \\
        --collections /tmp/old/build/collections --logs /tmp/soak-old
"""

from __future__ import absolute_import, division, print_function

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LABCTL = os.path.join(ROOT, "lab", "labctl")
PLAYBOOK = os.path.join(ROOT, "benchmarks", "cib_formation_soak.yml")
# The comparison is this tree's, whatever collection the play runs
# (build/collections links the tree after `make unit`).
sys.path.insert(0, os.path.join(ROOT, "build", "collections"))
from ansible_collections.hastorage.cluster.plugins.module_utils import _cib_versions  # noqa: E402
from ansible_collections.hastorage.cluster.plugins.module_utils import _crm_mon  # noqa: E402
# the benchmarks' shared helpers beside this script
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab_env  # noqa: E402  pylint: disable=wrong-import-position,import-error


def cluster_facts(crm_mon_xml):
    """The collection's reading of ``crm_mon --output-as=xml``, or None when it is not XML."""
    try:
        return _crm_mon.parse_crm_mon(crm_mon_xml)
    except _crm_mon.StatusParseError:
        return None


def current_dc(crm_mon_xml):
    facts = cluster_facts(crm_mon_xml)
    return facts["dc"] if facts else None


def summarize(records):
    runs = len(records)
    lines = ["runs %d, diverged %d, not settled %d, play failed %d"
             % (runs, sum(1 for r in records if r["diverged"]),
                sum(1 for r in records if not r["settled"]),
                sum(1 for r in records if r["play_rc"] != 0))]
    times = [r["play_seconds"] for r in records if r["play_rc"] == 0]
    if times:
        lines.append("formation + push (play) median %.1f s, min %.1f s, max %.1f s over %d runs"
                     % (statistics.median(times), min(times), max(times), len(times)))
    return lines


def sh(argv, env, timeout=900, **kw):
    return subprocess.run(argv, env=env, timeout=timeout, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, check=False, **kw)


def podman_exec(env, container, *argv, timeout=200):
    return sh(["podman", "exec", container] + list(argv), env, timeout=timeout)


def write_inventory(path, name, state):
    hosts = {n["name"]: {"ansible_host": n["container"]} for n in state["nodes"]}
    inventory = {"all": {"children": {"lab_nodes": {"hosts": hosts}},
                         "vars": {"lab_name": name,
                                  "ansible_connection": "containers.podman.podman",
                                  "ansible_python_interpreter": "/usr/bin/python3"}}}
    with open(path, "w") as f:
        json.dump(inventory, f)


def one_run(index, args, env, logdir):
    record = {"run": index, "diverged": [], "settled": False, "play_rc": None,
              "play_seconds": 0.0, "dc": None, "versions": {}}
    up = sh([LABCTL, "up", "--name", args.name, "--nodes", str(args.nodes), "--no-dc",
             "--disks", "0"], env)
    if up.returncode != 0:
        raise SystemExit("labctl up failed:\n%s" % up.stdout[-3000:])
    state_file = os.path.join(ROOT, "lab", "state", args.name, "lab.json")
    with open(state_file) as f:
        state = json.load(f)
    containers = {n["name"]: n["container"] for n in state["nodes"]}
    inventory = os.path.join(logdir, "inventory.json")
    write_inventory(inventory, args.name, state)
    t0 = time.monotonic()
    play = sh(["ansible-playbook", "-i", inventory, PLAYBOOK, "-e", "lab_state_file=%s" % state_file],
              env, timeout=args.play_timeout)
    record["play_seconds"] = time.monotonic() - t0
    record["play_rc"] = play.returncode

    identities = {}
    cibs = {}
    for node, container in sorted(containers.items()):
        res = podman_exec(env, container, "cibadmin", "--query", "--local")
        cibs[node] = res.stdout
        try:
            identities[node] = _cib_versions.identity(res.stdout) if res.returncode == 0 else None
        except _cib_versions.CibVersionError:
            identities[node] = None
    first = containers[sorted(containers)[0]]
    mon = podman_exec(env, first, "crm_mon", "--one-shot", "--output-as=xml")
    record["dc"] = current_dc(mon.stdout) if mon.returncode == 0 else None
    record["versions"] = {n: _cib_versions.version_text(i) for n, i in identities.items()}
    record["diverged"] = _cib_versions.diverged(identities, record["dc"])
    wait = podman_exec(env, first, "crm_resource", "--wait", "--timeout=%ds" % args.settle_timeout,
                       timeout=args.settle_timeout + 60)
    facts = cluster_facts(podman_exec(env, first, "crm_mon", "--one-shot", "--output-as=xml").stdout)
    vip_running = bool(facts) and any(r["id"] == "soak_vip" and r["role"] == "Started"
                                      for r in facts["resources"])
    record["settled"] = wait.returncode == 0 and vip_running

    if args.keep_all or record["diverged"] or not record["settled"] or record["play_rc"] != 0:
        rundir = os.path.join(logdir, "run%02d" % index)
        os.makedirs(rundir, exist_ok=True)
        with open(os.path.join(rundir, "play.log"), "w") as f:
            f.write(play.stdout)
        with open(os.path.join(rundir, "crm_resource-wait.log"), "w") as f:
            f.write(wait.stdout)
        for node, container in containers.items():
            with open(os.path.join(rundir, "%s-cib.xml" % node), "w") as f:
                f.write(cibs[node])
            log = podman_exec(env, container, "cat", "/var/log/pacemaker/pacemaker.log")
            with open(os.path.join(rundir, "%s-pacemaker.log" % node), "w") as f:
                f.write(log.stdout)
        record["logs"] = rundir
    down = sh([LABCTL, "down", "--name", args.name], env)
    if down.returncode != 0:
        raise SystemExit("labctl down failed:\n%s" % down.stdout[-3000:])
    return record


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--nodes", type=int, default=3, choices=(2, 3, 4, 5))
    parser.add_argument("--name", default=None, help="lab name (default hsc-soak<nodes>)")
    parser.add_argument("--collections", default=os.path.join(ROOT, "build", "collections"),
                        help="collections root holding ansible_collections/hastorage/cluster")
    parser.add_argument("--logs", default=None, help="where to keep the evidence of bad runs")
    parser.add_argument("--keep-all", action="store_true",
                        help="keep the evidence of every run, not only of the bad ones")
    parser.add_argument("--settle-timeout", type=int, default=120)
    parser.add_argument("--play-timeout", type=int, default=900)
    args = parser.parse_args(argv)
    args.name = args.name or "hsc-soak%d" % args.nodes
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if not os.path.isdir(os.path.join(args.collections, "ansible_collections", "hastorage", "cluster")):
        parser.error("%s holds no ansible_collections/hastorage/cluster (run make unit once to link "
                     "build/collections)" % args.collections)
    logdir = args.logs or tempfile.mkdtemp(prefix="hsc-soak-")
    os.makedirs(logdir, exist_ok=True)
    env = lab_env.tool_environment(ROOT, args.collections, LC_ALL="C.UTF-8", LANG="C.UTF-8", ANSIBLE_NOCOLOR="1",
                                   CONTAINERS_CONF=os.path.join(ROOT, "lab", "containers.conf"),
                                   MOLECULE_PROJECT_DIRECTORY=ROOT)
    records = []
    print("soak: %d fresh formations of %d nodes, collection %s, evidence in %s"
          % (args.runs, args.nodes, args.collections, logdir), flush=True)
    for i in range(1, args.runs + 1):
        rec = one_run(i, args, env, logdir)
        records.append(rec)
        print("run %2d: play rc %s in %.1f s, DC %s, CIB %s, diverged %s, settled %s%s"
              % (i, rec["play_rc"], rec["play_seconds"], rec["dc"],
                 " ".join("%s=%s" % kv for kv in sorted(rec["versions"].items())),
                 ",".join(rec["diverged"]) or "none", rec["settled"],
                 (", evidence " + rec["logs"]) if rec.get("logs") else ""), flush=True)
    with open(os.path.join(logdir, "records.json"), "w") as f:
        json.dump(records, f, indent=1)
    for line in summarize(records):
        print(line)
    return 1 if any(r["diverged"] or not r["settled"] or r["play_rc"] for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
