#!/usr/bin/env python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""hastorage-feedback: dynamic-feedback weights for HAProxy (hastorage.cluster).

The cluster-storage paper's LVS scheme on HAProxy: each backend server runs
an agent that measures its own load and answers HAProxy's ``agent-check``
with a weight, so a busy server gets less; HAProxy's weighted balancing does
the rest. Python standard library only.

  hastorage-feedback agent    [--config FILE]   serve agent-check (the daemon)
  hastorage-feedback state    [--config FILE] [ready|drain|maint]
                                                show or set the state the agent announces
  hastorage-feedback show     [--config FILE]   the last sample: loads, weight, state (JSON)
  hastorage-feedback fallback --socket SOCK [--interval S] [--once]
                                                on a HAProxy node: a server whose agent does
                                                not answer goes back to its static weight
  hastorage-feedback servers  --socket SOCK     on a HAProxy node: every server with an agent
                                                check, its status, weight and agent (JSON)

Protocol (HAProxy's agent-check): HAProxy connects to the agent's TCP port
every agent-inter; the agent sends one line and closes. The line is the
weight as a percentage of the server's configured (static) weight, ``73%``.
After ``state drain`` or ``state maint`` it is ``drain`` or ``maint``; after
``state ready`` it is ``ready 73%`` for ready_announce seconds (so every
HAProxy that asks in that time cancels the agent's drain or maint), then
the percentage alone again. The agent never sends ``ready`` otherwise: a
drain or maintenance an operator set through HAProxy's own socket stays.

The weight, every ``interval`` seconds:
  1. loads, each a fraction in [0, 1] over the last interval:
     cpu          busy share of all CPUs' time (/proc/stat, idle and iowait not busy)
     disk         the busiest disk's utilisation, time with I/O in flight (/proc/diskstats)
     network      bytes received and sent per second / network_capacity (/proc/net/dev)
     connections  established TCP connections on connection_ports / connection_capacity
  2. mean = sum(coefficient * load) / sum(coefficients) (the paper's weighted
     sum), busiest = the largest load with a coefficient above 0, and
     aggregate = (1 - bottleneck) * mean + bottleneck * busiest: one
     saturated resource slows every request, however idle the others are
  3. smoothed = smoothed + a * (aggregate - smoothed), a = 1 - exp(-interval / window)
  4. target = max_weight - (max_weight - min_weight) * smoothed, rounded
  5. the weight moves to the target only when they differ by hysteresis or
     more, and by at most max_step per interval: weights do not oscillate.
The first sample (half an interval at start) sets the weight directly.
"""
from __future__ import absolute_import, division, print_function

import argparse
import json
import math
import os
import socket
import socketserver
import sys
import tempfile
import threading
import time

DEFAULT_CONFIG = "/etc/hastorage/feedback-agent.json"

DEFAULTS = {
    "address": "0.0.0.0",
    "port": 9777,
    "interval": 2.0,
    "window": 6.0,
    "min_weight": 10,
    "max_weight": 100,
    "max_step": 25,
    "hysteresis": 5,
    "coefficients": {"cpu": 0.5, "disk": 0.2, "network": 0.1, "connections": 0.2},
    "bottleneck": 0.5,
    "network_interfaces": [],
    "network_capacity": 125000000,
    "connection_ports": [],
    "connection_capacity": 200,
    "disks": [],
    "ready_announce": 60,
    "state_file": "/var/lib/hastorage-feedback/state",
    "status_file": "/run/hastorage-feedback/status.json",
    "proc_root": "/proc",
    "sys_root": "/sys",
}

LOADS = ("cpu", "disk", "network", "connections")
# a weight older than this many intervals is not announced (the sampler is stuck)
STALE_INTERVALS = 5
STATES = ("ready", "drain", "maint")
# TCP state ESTABLISHED in /proc/net/tcp{,6}
TCP_ESTABLISHED = "01"
# block devices that are never a server's disks
VIRTUAL_DISK_PREFIXES = ("loop", "ram", "zram", "nbd", "sr", "fd")


# --- configuration ----------------------------------------------------------

def config_problems(config):
    """Messages for every setting that is out of range (empty: valid)."""
    problems = []
    unknown = sorted(set(config) - set(DEFAULTS))
    if unknown:
        problems.append("unknown settings: %s" % ", ".join(unknown))

    def number(name, low, high=None, integer=False):
        value = config.get(name)
        kinds = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds):
            problems.append("%s must be %s (got %r)" % (name, "an integer" if integer else "a number", value))
            return None
        if value < low or (high is not None and value > high):
            problems.append("%s must be %s (got %r)" % (
                name, "at least %s" % low if high is None else "between %s and %s" % (low, high), value))
            return None
        return value

    number("port", 1, 65535, integer=True)
    number("interval", 1)
    number("window", 0)
    low = number("min_weight", 0, 256, integer=True)
    high = number("max_weight", 1, 256, integer=True)
    if low is not None and high is not None and low > high:
        problems.append("min_weight %d is above max_weight %d" % (low, high))
    number("max_step", 1, 256, integer=True)
    number("hysteresis", 0, 256, integer=True)
    number("bottleneck", 0, 1)
    number("network_capacity", 1)
    number("connection_capacity", 1, integer=True)
    number("ready_announce", 0)
    coefficients = config.get("coefficients")
    if not isinstance(coefficients, dict) or not coefficients:
        problems.append("coefficients must be a mapping of %s to numbers" % ", ".join(LOADS))
    else:
        for name, value in sorted(coefficients.items()):
            if name not in LOADS:
                problems.append("coefficients: unknown load %r (known: %s)" % (name, ", ".join(LOADS)))
            elif isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                problems.append("coefficients.%s must be a number of 0 or more (got %r)" % (name, value))
        if not problems and sum(coefficients.values()) <= 0:
            problems.append("coefficients: at least one must be above 0")
    for name in ("network_interfaces", "disks"):
        value = config.get(name)
        if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
            problems.append("%s must be a list of names (got %r)" % (name, value))
    ports = config.get("connection_ports")
    if not isinstance(ports, list) or not all(
            isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536 for port in ports):
        problems.append("connection_ports must be a list of TCP ports (got %r)" % (ports,))
    elif config.get("port") in ports:
        problems.append("connection_ports must not hold the agent's own port %s" % config.get("port"))
    for name in ("address", "state_file", "status_file", "proc_root", "sys_root"):
        if not isinstance(config.get(name), str) or not config.get(name):
            problems.append("%s must be a non-empty string" % name)
    return problems


def load_config(path):
    """DEFAULTS updated with the JSON object in PATH (a missing file: the defaults)."""
    config = json.loads(json.dumps(DEFAULTS))
    if path and os.path.exists(path):
        with open(path) as stream:
            data = json.load(stream)
        if not isinstance(data, dict):
            raise ValueError("%s: expected a JSON object" % path)
        config.update(data)
    problems = config_problems(config)
    if problems:
        raise ValueError("%s: %s" % (path, "; ".join(problems)))
    return config


# --- counters from /proc ----------------------------------------------------

def parse_cpu(text):
    """(busy, total) jiffies of all CPUs from /proc/stat's ``cpu`` line."""
    for line in text.splitlines():
        fields = line.split()
        if fields and fields[0] == "cpu":
            # user nice system idle iowait irq softirq steal (guest is inside user)
            values = [int(value) for value in fields[1:9]]
            total = sum(values)
            idle = values[3] + (values[4] if len(values) > 4 else 0)
            return total - idle, total
    raise ValueError("no cpu line in /proc/stat")


def parse_diskstats(text, disks):
    """{disk: milliseconds with I/O in flight} from /proc/diskstats for DISKS."""
    ticks = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 13 and fields[2] in disks:
            ticks[fields[2]] = int(fields[12])
    return ticks


def parse_net_dev(text, interfaces):
    """Bytes received plus sent by INTERFACES (empty: every interface but lo)."""
    total = 0
    for line in text.splitlines():
        if ":" not in line:
            continue
        name, _sep, rest = line.partition(":")
        name = name.strip()
        if (interfaces and name not in interfaces) or (not interfaces and name == "lo"):
            continue
        fields = rest.split()
        if len(fields) >= 9:
            total += int(fields[0]) + int(fields[8])
    return total


def count_established(texts, ports, exclude_port=None):
    """Established TCP connections whose local port is in PORTS (empty: any
    but EXCLUDE_PORT), from the text of /proc/net/tcp and /proc/net/tcp6."""
    count = 0
    for text in texts:
        for line in text.splitlines()[1:]:
            fields = line.split()
            if len(fields) < 4 or fields[3] != TCP_ESTABLISHED:
                continue
            port = int(fields[1].rsplit(":", 1)[1], 16)
            if (ports and port in ports) or (not ports and port != exclude_port):
                count += 1
    return count


def whole_disks(sys_root):
    """The block devices of SYS_ROOT/block that are disks (not loop, ram, ...)."""
    try:
        names = os.listdir(os.path.join(sys_root, "block"))
    except OSError:
        return []
    return sorted(name for name in names if not name.startswith(VIRTUAL_DISK_PREFIXES))


def _read(path):
    try:
        with open(path) as stream:
            return stream.read()
    except OSError:
        return ""


def read_counters(config, now):
    """The cumulative counters the loads are computed from, at NOW (seconds)."""
    proc = config["proc_root"]
    disks = config["disks"] or whole_disks(config["sys_root"])
    busy, total = parse_cpu(_read(os.path.join(proc, "stat")))
    return {
        "time": now,
        "cpu_busy": busy,
        "cpu_total": total,
        "disk_ticks": parse_diskstats(_read(os.path.join(proc, "diskstats")), disks),
        "net_bytes": parse_net_dev(_read(os.path.join(proc, "net", "dev")), config["network_interfaces"]),
        "connections": count_established(
            [_read(os.path.join(proc, "net", "tcp")), _read(os.path.join(proc, "net", "tcp6"))],
            config["connection_ports"], exclude_port=config["port"]),
    }


# --- the formula ------------------------------------------------------------

def _fraction(value):
    return min(1.0, max(0.0, value))


def compute_loads(previous, current, config):
    """{load: fraction in [0, 1]} over the time between two counter readings."""
    seconds = current["time"] - previous["time"]
    if seconds <= 0:
        raise ValueError("counter readings out of order")
    cpu_total = current["cpu_total"] - previous["cpu_total"]
    cpu = (current["cpu_busy"] - previous["cpu_busy"]) / cpu_total if cpu_total > 0 else 0.0
    disk = 0.0
    for name, ticks in current["disk_ticks"].items():
        if name in previous["disk_ticks"]:
            disk = max(disk, (ticks - previous["disk_ticks"][name]) / (seconds * 1000.0))
    network = (current["net_bytes"] - previous["net_bytes"]) / seconds / config["network_capacity"]
    connections = current["connections"] / float(config["connection_capacity"])
    return {"cpu": _fraction(cpu), "disk": _fraction(disk), "network": _fraction(network),
            "connections": _fraction(connections)}


def aggregate_load(loads, coefficients, bottleneck=0.0):
    """The load of the server, in [0, 1]: the coefficients' weighted mean of
    the loads, blended with the busiest load that has a coefficient (BOTTLENECK
    its share: 0 the mean alone, 1 the busiest alone)."""
    total = float(sum(coefficients.values()))
    mean = sum(coefficients.get(name, 0) * loads[name] for name in LOADS) / total
    busiest = max([loads[name] for name in LOADS if coefficients.get(name, 0) > 0] or [0.0])
    return _fraction((1.0 - bottleneck) * mean + bottleneck * busiest)


def smoothing_factor(interval, window):
    """The share of a new sample in the smoothed load (1: no smoothing)."""
    return 1.0 if window <= 0 else 1.0 - math.exp(-float(interval) / window)


def smooth(previous, value, factor):
    return value if previous is None else previous + factor * (value - previous)


def target_weight(load, min_weight, max_weight):
    """The weight for a smoothed load: max_weight idle, min_weight fully loaded."""
    return int(round(max_weight - (max_weight - min_weight) * _fraction(load)))


def next_weight(current, target, max_step, hysteresis):
    """The weight after one interval: toward TARGET by at most MAX_STEP, and
    unchanged while it is less than HYSTERESIS away."""
    if current is None:
        return target
    difference = target - current
    if abs(difference) < max(hysteresis, 1):
        return current
    return current + max(-max_step, min(max_step, difference))


class WeightTracker(object):
    """The agent's weight, one sample per interval (steps 1 to 5 of the formula)."""

    def __init__(self, config):
        self.config = config
        self.factor = smoothing_factor(config["interval"], config["window"])
        self.previous = None
        self.smoothed = None
        self.weight = None
        self.loads = None
        self.aggregate = None
        self.target = None

    def sample(self, counters):
        """Take a counter reading; returns the weight (None before two readings)."""
        if self.previous is not None:
            self.loads = compute_loads(self.previous, counters, self.config)
            self.aggregate = aggregate_load(self.loads, self.config["coefficients"], self.config["bottleneck"])
            self.smoothed = smooth(self.smoothed, self.aggregate, self.factor)
            self.target = target_weight(self.smoothed, self.config["min_weight"], self.config["max_weight"])
            self.weight = next_weight(self.weight, self.target, self.config["max_step"], self.config["hysteresis"])
        self.previous = counters
        return self.weight

    def status(self, state):
        return {"loads": self.loads, "aggregate": self.aggregate, "smoothed": self.smoothed,
                "target": self.target, "weight": self.weight, "state": state,
                "time": self.previous["time"] if self.previous else None}


# --- what the agent announces -----------------------------------------------

def read_state(path):
    """{"state": ready|drain|maint, "since": seconds} from the state file (none: ready, long ago)."""
    try:
        with open(path) as stream:
            data = json.load(stream)
    except (OSError, ValueError):
        return {"state": "ready", "since": 0}
    if not isinstance(data, dict) or data.get("state") not in STATES:
        return {"state": "ready", "since": 0}
    since = data.get("since")
    return {"state": data["state"], "since": since if isinstance(since, (int, float)) else 0}


def agent_reply(weight, state, now, ready_announce, max_weight):
    """The line the agent sends HAProxy."""
    if state["state"] in ("drain", "maint"):
        return "%s\n" % state["state"]
    percent = "%d%%" % (max_weight if weight is None else weight)
    if now - state["since"] < ready_announce:
        return "ready %s\n" % percent
    return "%s\n" % percent


def write_json_atomically(path, data, mode=0o644):
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(handle, "w") as stream:
            json.dump(data, stream, sort_keys=True)
            stream.write("\n")
        os.chmod(temporary, mode)
        os.rename(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


class Agent(object):
    def __init__(self, config):
        self.config = config
        self.tracker = WeightTracker(config)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.sampled_at = None

    def sample_once(self):
        """One sample; a failure to read the counters is logged and leaves the weight as it was."""
        now = time.time()
        try:
            counters = read_counters(self.config, now)
        except (OSError, ValueError, IndexError) as error:
            sys.stderr.write("hastorage-feedback: cannot read the load: %s\n" % error)
            return
        with self.lock:
            self.tracker.sample(counters)
            self.sampled_at = now
            status = self.tracker.status(read_state(self.config["state_file"])["state"])
        try:
            write_json_atomically(self.config["status_file"], status)
        except OSError as error:
            sys.stderr.write("hastorage-feedback: cannot write %s: %s\n" % (self.config["status_file"], error))

    def sampler(self):
        self.sample_once()
        self.stop.wait(min(1.0, self.config["interval"] / 2.0))
        self.sample_once()  # the first weight, set directly
        while not self.stop.wait(self.config["interval"]):
            self.sample_once()

    def reply(self, now=None):
        """The line for HAProxy, or None while the weight is stale (no sample for
        STALE_INTERVALS intervals): then the agent closes without a word, HAProxy
        counts a failed agent check and the fallback restores the static weight."""
        now = time.time() if now is None else now
        with self.lock:
            weight = self.tracker.weight
            sampled_at = self.sampled_at
        if sampled_at is not None and now - sampled_at > STALE_INTERVALS * self.config["interval"]:
            return None
        return agent_reply(weight, read_state(self.config["state_file"]), now,
                           self.config["ready_announce"], self.config["max_weight"])


def make_server(agent):
    config = agent.config

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            line = agent.reply()
            if line is None:
                return
            try:
                self.request.sendall(line.encode("ascii"))
            except OSError:
                pass

    family = socket.AF_INET6 if ":" in config["address"] else socket.AF_INET

    class Server(socketserver.ThreadingTCPServer):
        address_family = family
        allow_reuse_address = True
        daemon_threads = True

    return Server((config["address"], config["port"]), Handler)


def run_agent(config):
    agent = Agent(config)
    server = make_server(agent)
    thread = threading.Thread(target=agent.sampler, name="sampler")
    thread.daemon = True
    thread.start()
    sys.stderr.write("hastorage-feedback: agent on %s port %d, interval %ss\n"
                     % (config["address"], config["port"], config["interval"]))
    try:
        server.serve_forever()
    finally:
        agent.stop.set()
        server.server_close()


# --- the HAProxy side: static weight when an agent does not answer -----------

# agent_status values (show stat) of an agent that answered, or that has not
# been asked yet; anything else (L4CON, L4TOUT, SOCKERR, ...) is a failure
AGENT_STATUS_ANSWERED = ("CHECKED", "INI", "UNK")


def parse_show_stat(text):
    """Rows of HAProxy's ``show stat`` CSV as dicts keyed by its header."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("# "):
        raise ValueError("not the output of show stat: %r" % text[:80])
    header = lines[0][2:].split(",")
    return [dict(zip(header, line.split(","))) for line in lines[1:] if line.strip()]


def parse_servers_state(text):
    """{(backend, server): {"uweight": int, "iweight": int}} from ``show servers state``."""
    lines = [line for line in text.splitlines() if line.strip()]
    headers = [index for index, line in enumerate(lines) if line.startswith("# ")]
    if not headers:
        raise ValueError("not the output of show servers state: %r" % text[:80])
    header = lines[headers[0]][2:].split()
    servers = {}
    for line in lines[headers[0] + 1:]:
        row = dict(zip(header, line.split()))
        if "be_name" in row and "srv_name" in row:
            servers[(row["be_name"], row["srv_name"])] = {
                "uweight": int(row["srv_uweight"]), "iweight": int(row["srv_iweight"])}
    return servers


def agent_status(row):
    """A row's agent status without the "* " HAProxy marks a running check with."""
    return row.get("agent_status", "").replace("*", "").strip()


def agent_checked_servers(stat_rows, servers):
    """[(row, status, weights)] of the servers with an agent check: their
    ``show stat`` row, agent status and parse_servers_state's weights ({}
    when SERVERS does not list them)."""
    checked = []
    for row in stat_rows:
        status = agent_status(row)
        if row.get("svname") in ("FRONTEND", "BACKEND") or not status:
            continue
        checked.append((row, status, servers.get((row.get("pxname"), row.get("svname")), {})))
    return checked


def read_agent_checked_servers(path):
    """agent_checked_servers of the HAProxy whose admin socket is PATH."""
    servers = parse_servers_state(haproxy_command(path, "show servers state"))
    return agent_checked_servers(parse_show_stat(haproxy_command(path, "show stat")), servers)


def plan_fallback(stat_rows, servers):
    """[(backend, server, weight)]: servers whose agent does not answer and
    whose weight is not their configured (initial) one, from ``show stat``
    rows and parse_servers_state's SERVERS. A server in maintenance or
    drain, or without an agent, is left alone."""
    return [(row["pxname"], row["svname"], weights["iweight"])
            for row, status, weights in agent_checked_servers(stat_rows, servers)
            if status not in AGENT_STATUS_ANSWERED
            and not row.get("status", "").startswith(("MAINT", "DRAIN"))
            and weights and weights["uweight"] != weights["iweight"]]


def haproxy_command(path, command, timeout=5.0):
    """Send one command to HAProxy's stats socket; its whole answer."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
        sock.sendall(command.encode("ascii") + b"\n")
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        sock.close()
    return b"".join(chunks).decode("utf-8", "replace")


def fallback_once(path):
    """Put every server whose agent does not answer back to its static weight; the plan applied."""
    plan = plan_fallback(parse_show_stat(haproxy_command(path, "show stat")),
                         parse_servers_state(haproxy_command(path, "show servers state")))
    for backend, server, weight in plan:
        haproxy_command(path, "set weight %s/%s %d" % (backend, server, weight))
        sys.stderr.write("hastorage-feedback: %s/%s: agent does not answer, static weight %d\n"
                         % (backend, server, weight))
    return plan


def servers_report(path):
    """[{backend, server, status, weight, static_weight, agent}] of every server with an agent check."""
    return [{"backend": row["pxname"], "server": row["svname"], "status": row.get("status", ""),
             "weight": weights.get("uweight"), "static_weight": weights.get("iweight"), "agent": status}
            for row, status, weights in read_agent_checked_servers(path)]


def run_fallback(path, interval):
    failing = None
    while True:
        try:
            fallback_once(path)
            failing = None
        except (OSError, ValueError) as error:
            if str(error) != failing:  # say it once, not every interval
                sys.stderr.write("hastorage-feedback: %s: %s\n" % (path, error))
                failing = str(error)
        time.sleep(interval)


# --- command line -----------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(prog="hastorage-feedback", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command")
    agent = commands.add_parser("agent", help="serve HAProxy's agent-check")
    agent.add_argument("--config", default=DEFAULT_CONFIG)
    state = commands.add_parser("state", help="show or set the state the agent announces")
    state.add_argument("--config", default=DEFAULT_CONFIG)
    state.add_argument("state", nargs="?", choices=STATES)
    show = commands.add_parser("show", help="the agent's last sample (JSON)")
    show.add_argument("--config", default=DEFAULT_CONFIG)
    fallback = commands.add_parser("fallback", help="static weight for servers whose agent does not answer")
    fallback.add_argument("--socket", default="/run/haproxy/admin.sock")
    fallback.add_argument("--interval", type=float, default=2.0)
    fallback.add_argument("--once", action="store_true", help="one pass, print the plan applied (JSON)")
    servers = commands.add_parser("servers", help="HAProxy's servers with an agent check (JSON)")
    servers.add_argument("--socket", default="/run/haproxy/admin.sock")
    args = parser.parse_args(argv)
    if args.command is None:
        parser.error("a command is required: agent, state, show, fallback or servers")

    if args.command == "servers":
        print(json.dumps(servers_report(args.socket), sort_keys=True))
        return 0

    if args.command == "fallback":
        if args.interval < 1:
            parser.error("--interval must be at least 1 second")
        if args.once:
            print(json.dumps(fallback_once(args.socket)))
            return 0
        run_fallback(args.socket, args.interval)
        return 0

    try:
        config = load_config(args.config)
    except (OSError, ValueError) as error:
        sys.stderr.write("hastorage-feedback: %s\n" % error)
        return 2
    if args.command == "agent":
        run_agent(config)
    elif args.command == "state":
        if args.state:
            write_json_atomically(config["state_file"], {"state": args.state, "since": time.time()})
        print(read_state(config["state_file"])["state"])
    else:
        try:
            with open(config["status_file"]) as stream:
                sys.stdout.write(stream.read())
        except OSError as error:
            sys.stderr.write("hastorage-feedback: no sample yet (%s)\n" % error)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
