# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: roundrobin, leastconn and feedback (dynamic weights from the
collection's feedback agent) side by side, under skewed and even load.

Lab only: three User-mode Linux nodes of lab/umlctl (lab hsc-bench-fb), each
running the test backend (benchmarks/feedback_backend.py: fixed CPU work per
request, one request at a time) and the feedback agent (role
hastorage.cluster.feedback_agent, its default coefficients). HAProxy runs on
this machine on loopback and balances the three backends; the load generator
sends requests open-loop at a fixed rate to HAProxy (loopback) and so only to
the lab's own nodes, measuring each request from its scheduled start (so a
queue shows). Per round:

1. skewed: node3 runs a bounded CPU and I/O burner (two processes at a 90 %
   busy duty cycle, and direct 1 MiB writes, under timeout) for the round;
   roundrobin, leastconn, feedback in turn;
2. even: no burner; leastconn and feedback.

Each mode runs --duration seconds after HAProxy and, for feedback, the
agents' weights have settled (--settle). Prints p50/p95/p99 latency, errors
and each node's share of requests per mode, the medians over --runs rounds,
and the goals of issue 15: feedback's p95 at least 30 % below roundrobin's
under skew, and no worse than leastconn's with even load. Usage, from the
collection root after ``make bootstrap``::

    .venv/bin/python benchmarks/feedback_balancing.py [--runs 1] [--rate 70] [--duration 40] [--keep] [--reuse]
"""

from __future__ import absolute_import, division, print_function

import argparse
import concurrent.futures
import http.client
import importlib.util
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab_env  # noqa: E402  pylint: disable=wrong-import-position,import-error

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# the agent's own HAProxy socket helpers (show stat, its parser, the agent status)
_SPEC = importlib.util.spec_from_file_location(
    "hastorage_feedback", os.path.join(ROOT, "roles", "feedback_agent", "files", "hastorage_feedback.py"))
AGENT = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(AGENT)
UMLCTL = os.path.join(ROOT, "lab", "umlctl")
PLAYBOOK = os.path.join(ROOT, "benchmarks", "feedback_balancing.yml")
LAB_NAME = "hsc-bench-fb"
NODES = ("node1", "node2", "node3")
LOADED = "node3"
BACKEND_PORT = 8080
AGENT_PORT = 9777
SKEWED_MODES = ("roundrobin", "leastconn", "feedback")
EVEN_MODES = ("leastconn", "feedback")
# the burner: two processes each 90 ms busy and 10 ms idle (so the node's
# scheduler gives the backend a third of the CPU at best), and direct 1 MiB
# writes, each under timeout; the brackets in STOP_BURNER keep pkill from
# matching (and killing) the shell that runs it
BURNER = ("nohup timeout {seconds} sh -c 'while :; do dd if=/dev/zero of=/var/tmp/hsc-burn bs=1M count=32 "
          "oflag=direct 2>/dev/null; done' >/dev/null 2>&1 & "
          "for i in 1 2; do nohup timeout {seconds} python3 -c 'import time  # hsc-spin\n"
          "while True:\n t = time.monotonic() + 0.09\n while time.monotonic() < t: pass\n time.sleep(0.01)' "
          ">/dev/null 2>&1 & done")
STOP_BURNER = "pkill -f '[h]sc-spin'; pkill -f 'of=/var/tmp/[h]sc-burn'; rm -f /var/tmp/hsc-bur[n]; true"


# --- pure parts (unit tests) -------------------------------------------------------

def percentile(values, share):
    """The SHARE (0-1) percentile of VALUES by nearest rank; None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, int(-(-share * len(ordered) // 1)))  # ceil
    return ordered[min(rank, len(ordered)) - 1]


def summarize(latencies, errors, shares):
    """{"requests", "errors", "p50_ms", "p95_ms", "p99_ms", "shares"} of one mode's run."""
    def ms(value):
        return None if value is None else round(value * 1000.0, 1)
    return {"requests": len(latencies) + errors, "errors": errors,
            "p50_ms": ms(percentile(latencies, 0.50)), "p95_ms": ms(percentile(latencies, 0.95)),
            "p99_ms": ms(percentile(latencies, 0.99)), "shares": shares}


def request_shares(before, after):
    """{server: share of the requests} from HAProxy's per-server totals before and after a run."""
    counts = {name: after.get(name, 0) - before.get(name, 0) for name in after}
    total = float(sum(counts.values()))
    return {name: round(count / total, 3) if total else 0.0 for name, count in sorted(counts.items())}


def haproxy_config(mode, servers, port, socket_path, pid_path):
    """HAProxy's configuration for MODE (roundrobin, leastconn or feedback) and SERVERS [(name, address)]."""
    lines = ["global", "    stats socket %s mode 600 level admin" % socket_path, "    pidfile %s" % pid_path,
             "    daemon", "    maxconn 2000", "defaults", "    mode http", "    timeout connect 2s",
             "    timeout client 30s", "    timeout server 30s", "    timeout check 2s", "    timeout queue 30s",
             "frontend bench", "    bind 127.0.0.1:%d" % port, "    default_backend bench_servers",
             "backend bench_servers",
             "    balance %s" % ("roundrobin" if mode == "feedback" else mode),
             "    option httpchk", "    http-check send meth GET uri / ver HTTP/1.1 hdr Host bench"]
    for name, address in servers:
        line = "    server %s %s:%d check inter 2s weight 100" % (name, address, BACKEND_PORT)
        if mode == "feedback":
            line += " agent-check agent-addr %s agent-port %d agent-inter 1s" % (address, AGENT_PORT)
        lines.append(line)
    return "\n".join(lines) + "\n"


def goals(skewed, even):
    """The issue's goals from the medians: [(text, met or None)]."""
    result = []
    rr, fb = skewed.get("roundrobin"), skewed.get("feedback")
    if rr and fb and rr["p95_ms"] and fb["p95_ms"] is not None:
        reduction = 1.0 - fb["p95_ms"] / rr["p95_ms"]
        result.append(("skewed: feedback p95 %.0f ms vs roundrobin %.0f ms, %.0f %% lower (goal >= 30 %%)"
                       % (fb["p95_ms"], rr["p95_ms"], reduction * 100), reduction >= 0.30))
    lc, fb = even.get("leastconn"), even.get("feedback")
    if lc and fb and lc["p95_ms"] and fb["p95_ms"] is not None:
        ratio = fb["p95_ms"] / lc["p95_ms"]
        result.append(("even: feedback p95 %.0f ms vs leastconn %.0f ms, ratio %.2f (goal <= 1.10)"
                       % (fb["p95_ms"], lc["p95_ms"], ratio), ratio <= 1.10))
    return result


def median_summary(runs):
    """The medians over rounds of each figure of one mode; shares of the last round."""
    if not runs:
        return None

    def med(key):
        values = [run[key] for run in runs if run[key] is not None]
        return round(statistics.median(values), 1) if values else None
    return {"requests": int(statistics.median([r["requests"] for r in runs])),
            "errors": int(sum(r["errors"] for r in runs)), "p50_ms": med("p50_ms"),
            "p95_ms": med("p95_ms"), "p99_ms": med("p99_ms"), "shares": runs[-1]["shares"]}


def table(title, results):
    header = ("mode", "requests", "errors", "p50 ms", "p95 ms", "p99 ms", "share node1/node2/node3")
    rows = [title, "  %-11s %8s %7s %9s %9s %9s  %s" % header]
    for mode, summary in results.items():
        shares = "/".join("%.2f" % summary["shares"].get(node, 0.0) for node in NODES)
        rows.append("  %-11s %8d %7d %9s %9s %9s  %s" % (mode, summary["requests"], summary["errors"],
                                                         summary["p50_ms"], summary["p95_ms"], summary["p99_ms"],
                                                         shares))
    return "\n".join(rows)


# --- the lab ------------------------------------------------------------------------

def lab_state():
    with open(os.path.join(ROOT, "lab", "state", LAB_NAME, "lab.json"), encoding="utf-8") as handle:
        return json.load(handle)


def ssh(node, remote, timeout=60):
    proc = subprocess.run([UMLCTL, "--name", LAB_NAME, "ssh", node, remote], capture_output=True, text=True,
                          timeout=timeout, check=False)
    if proc.returncode != 0:
        raise RuntimeError("ssh %s %r: rc %d %s" % (node, remote, proc.returncode, proc.stderr.strip()))
    return proc.stdout


def inventory(state, path):
    key = os.path.join(ROOT, "lab", "state", LAB_NAME, state["ssh"]["private_key"])
    hosts = {}
    for node in state["nodes"]:
        hosts[node["name"]] = {"ansible_host": node["ip"], "ansible_user": "root",
                               "ansible_ssh_private_key_file": key,
                               "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
                               "ansible_python_interpreter": "/usr/bin/python3"}
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"all": {"hosts": hosts}}, handle)


class HAProxy(object):
    """HAProxy on loopback for one mode, started and stopped by the benchmark."""

    def __init__(self, mode, servers, workdir):
        self.mode = mode
        self.port = free_port()
        self.socket = os.path.join(workdir, "admin-%s.sock" % mode)
        self.pid = os.path.join(workdir, "haproxy-%s.pid" % mode)
        self.config = os.path.join(workdir, "haproxy-%s.cfg" % mode)
        with open(self.config, "w", encoding="utf-8") as handle:
            handle.write(haproxy_config(mode, servers, self.port, self.socket, self.pid))

    def __enter__(self):
        subprocess.run([shutil.which("haproxy") or "/usr/sbin/haproxy", "-f", self.config], check=True)
        return self

    def __exit__(self, *exc):
        with open(self.pid, encoding="utf-8") as handle:
            os.kill(int(handle.read().split()[0]), 15)

    def servers(self):
        """{server: {"status", "weight", "lbtot", "agent"}} from show stat."""
        result = {}
        for row in AGENT.parse_show_stat(AGENT.haproxy_command(self.socket, "show stat")):
            if row.get("svname") in NODES:
                result[row["svname"]] = {"status": row["status"], "weight": int(row["weight"] or 0),
                                         "lbtot": int(row["lbtot"] or 0),
                                         "agent": AGENT.agent_status(row)}
        return result


def free_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def load(port, rate, duration, timeout=10.0):
    """Open-loop requests at RATE per second for DURATION seconds; (latencies in s, errors)."""
    latencies, errors, lock = [], [0], threading.Lock()

    def one(scheduled):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
            conn.request("GET", "/")
            response = conn.getresponse()
            response.read()
            conn.close()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
        with lock:
            if ok:
                latencies.append(time.monotonic() - scheduled)
            else:
                errors[0] += 1

    with concurrent.futures.ThreadPoolExecutor(max_workers=400) as pool:
        start = time.monotonic()
        count = int(rate * duration)
        for i in range(count):
            scheduled = start + i / float(rate)
            delay = scheduled - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, scheduled)
    return latencies, errors[0]


def run_mode(mode, servers, workdir, args):
    with HAProxy(mode, servers, workdir) as proxy:
        deadline = time.monotonic() + 60
        while True:
            state = proxy.servers()
            ready = len(state) == len(servers) and all(s["status"].startswith("UP") for s in state.values())
            if mode == "feedback":
                ready = ready and all(s["agent"] == "CHECKED" for s in state.values())
            if ready:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("%s: HAProxy's servers are not ready: %s" % (mode, state))
            time.sleep(0.5)
        if mode == "feedback":
            # the weights settle under the load itself: warm up at the rate first
            load(proxy.port, args.rate, args.settle)
        before_state = proxy.servers()
        weights_before = {name: s["weight"] for name, s in before_state.items()}
        before = {name: s["lbtot"] for name, s in before_state.items()}
        latencies, errors = load(proxy.port, args.rate, args.duration)
        after_state = proxy.servers()
        after = {name: s["lbtot"] for name, s in after_state.items()}
        summary = summarize(latencies, errors, request_shares(before, after))
        summary["weights"] = {"before": weights_before, "after": {n: s["weight"] for n, s in after_state.items()}}
        return summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="rounds (default 1)")
    # 70: about a third of each backend's capacity when idle on this machine kind
    # (20000 SHA-256 rounds: 8-9 ms a request), so the burning node queues under round robin
    parser.add_argument("--rate", type=float, default=70.0, help="requests per second (default 70)")
    parser.add_argument("--duration", type=float, default=40.0, help="seconds measured per mode (default 40)")
    parser.add_argument("--settle", type=float, default=15.0,
                        help="seconds of load before feedback is measured, for the weights (default 15)")
    parser.add_argument("--iterations", type=int, default=20000, help="SHA-256 rounds per request (default 20000)")
    parser.add_argument("--mem", type=int, default=384, help="MiB per lab node (default 384)")
    parser.add_argument("--keep", action="store_true", help="leave the lab up")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse the lab an earlier run left up (--keep); the backends and agents are deployed again")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.rate <= 0 or args.duration <= 0:
        parser.error("--runs, --rate and --duration must be positive")

    env = lab_env.tool_environment(ROOT)
    workdir = tempfile.mkdtemp(prefix="hsc-bench-fb-")
    t0 = time.monotonic()
    if not args.reuse:
        subprocess.run([UMLCTL, "--name", LAB_NAME, "up", "--nodes", str(len(NODES)), "--mem", str(args.mem)],
                       check=True)
    state = lab_state()
    servers = [(node["name"], node["ip"]) for node in state["nodes"] if node["name"] in NODES]
    inventory_path = os.path.join(workdir, "inventory.json")
    inventory(state, inventory_path)
    subprocess.run(["ansible-playbook", "-i", inventory_path, PLAYBOOK, "-e",
                    "bench_iterations=%d" % args.iterations], cwd=ROOT, env=env, check=True)
    print("lab ready in %.0f s" % (time.monotonic() - t0), flush=True)

    rounds = {"skewed": {m: [] for m in SKEWED_MODES}, "even": {m: [] for m in EVEN_MODES}}
    try:
        for number in range(1, args.runs + 1):
            burn = int(args.duration + args.settle + 60) * len(SKEWED_MODES)
            ssh(LOADED, BURNER.format(seconds=burn))
            try:
                time.sleep(5)
                for mode in SKEWED_MODES:
                    summary = run_mode(mode, servers, workdir, args)
                    rounds["skewed"][mode].append(summary)
                    print("round %d skewed %-10s %s" % (number, mode, json.dumps(summary, sort_keys=True)),
                          flush=True)
            finally:
                ssh(LOADED, STOP_BURNER)
            time.sleep(10)
            for mode in EVEN_MODES:
                summary = run_mode(mode, servers, workdir, args)
                rounds["even"][mode].append(summary)
                print("round %d even   %-10s %s" % (number, mode, json.dumps(summary, sort_keys=True)), flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if not args.keep:
            subprocess.run([UMLCTL, "--name", LAB_NAME, "down"], check=False)

    skewed = {mode: median_summary(runs) for mode, runs in rounds["skewed"].items()}
    even = {mode: median_summary(runs) for mode, runs in rounds["even"].items()}
    print()
    print("rate %g req/s, %g s per mode, %d round(s), medians; node3 burns CPU and disk in the skewed runs"
          % (args.rate, args.duration, args.runs))
    print(table("skewed (node3 loaded)", skewed))
    print(table("even", even))
    for text, met in goals(skewed, even):
        print("%s: %s" % (text, "met" if met else "NOT met"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
