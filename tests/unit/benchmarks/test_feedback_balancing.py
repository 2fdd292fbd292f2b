# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pure parts of benchmarks/feedback_balancing.py: percentiles, shares,
HAProxy's configuration per mode (checked by haproxy -c) and the goals."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess

import pytest

BENCH = os.path.join(os.path.dirname(__file__), "..", "..", "..", "benchmarks", "feedback_balancing.py")


@pytest.fixture(scope="module")
def fb(load_file_module):
    return load_file_module("feedback_balancing", BENCH)


def test_percentile_by_nearest_rank(fb):
    values = list(range(1, 101))
    assert fb.percentile(values, 0.50) == 50
    assert fb.percentile(values, 0.95) == 95
    assert fb.percentile(values, 0.99) == 99
    assert fb.percentile([3.0], 0.99) == 3.0
    assert fb.percentile([], 0.5) is None
    assert fb.percentile([5, 1, 3], 0.5) == 3


def test_summarize_in_milliseconds(fb):
    summary = fb.summarize([0.010, 0.020, 0.030, 0.040], 2, {"node1": 1.0})
    assert summary == {"requests": 6, "errors": 2, "p50_ms": 20.0, "p95_ms": 40.0, "p99_ms": 40.0,
                       "shares": {"node1": 1.0}}
    assert fb.summarize([], 3, {})["p95_ms"] is None


def test_request_shares(fb):
    assert fb.request_shares({"node1": 10, "node2": 10, "node3": 10},
                             {"node1": 60, "node2": 50, "node3": 20}) == {"node1": 0.5, "node2": 0.4, "node3": 0.1}
    assert fb.request_shares({}, {"node1": 0}) == {"node1": 0.0}


@pytest.mark.parametrize("mode, balance", [("roundrobin", "roundrobin"), ("leastconn", "leastconn"),
                                           ("feedback", "roundrobin")])
def test_haproxy_config_per_mode(fb, tmp_path, mode, balance):
    text = fb.haproxy_config(mode, [("node1", "10.0.0.11"), ("node2", "10.0.0.12")], 18000,
                             str(tmp_path / "admin.sock"), str(tmp_path / "pid"))
    assert "    balance %s\n" % balance in text
    servers = [line.strip() for line in text.splitlines() if line.strip().startswith("server ")]
    assert len(servers) == 2
    assert all(("agent-check agent-addr" in line) == (mode == "feedback") for line in servers)
    assert "agent-addr 10.0.0.12 agent-port 9777" in servers[1] or mode != "feedback"
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    path = tmp_path / "haproxy.cfg"
    path.write_text(text)
    result = subprocess.run([haproxy, "-c", "-f", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def run(p95, requests=100, errors=0):
    return {"requests": requests, "errors": errors, "p50_ms": p95 / 2, "p95_ms": p95, "p99_ms": p95 * 2,
            "shares": {"node1": 0.5}}


def test_goals(fb):
    met = fb.goals({"roundrobin": run(1000.0), "feedback": run(600.0)}, {"leastconn": run(100.0),
                                                                         "feedback": run(105.0)})
    assert [flag for _text, flag in met] == [True, True]
    assert "40 % lower" in met[0][0]
    missed = fb.goals({"roundrobin": run(1000.0), "feedback": run(800.0)}, {"leastconn": run(100.0),
                                                                            "feedback": run(130.0)})
    assert [flag for _text, flag in missed] == [False, False]
    assert fb.goals({}, {}) == []


def test_median_summary(fb):
    summary = fb.median_summary([run(100.0, errors=1), run(300.0, errors=2), run(200.0)])
    assert summary["p95_ms"] == 200.0 and summary["errors"] == 3 and summary["requests"] == 100
    assert fb.median_summary([]) is None


def test_table_has_one_row_per_mode(fb):
    text = fb.table("skewed", {"roundrobin": run(10.0), "feedback": run(5.0)})
    lines = text.splitlines()
    assert lines[0] == "skewed" and len(lines) == 4
    assert lines[2].split()[0] == "roundrobin" and lines[3].split()[0] == "feedback"
