# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""benchmarks/nas_integrated_failover.py: the drill order, the summary and its table."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")
SCRIPT = os.path.join(ROOT, "benchmarks", "nas_integrated_failover.py")


@pytest.fixture(scope="module")
def bench(load_file_module):
    return load_file_module("nas_integrated_failover", SCRIPT)


def run(kind, nfs, nfs3, smb, records=50, missing=0):
    def proto(rto):
        return {"acked": 10, "after_kill": 0 if rto is None else 5, "rto_s": rto}
    return {"kind": kind, "failed": "node1", "served_by": "node2", "records": records, "missing": missing,
            "nfs": proto(nfs), "nfs3": proto(nfs3), "smb": proto(smb)}


def test_drill_sequence_takes_the_drills_in_turn(bench):
    assert bench.lab_env.drill_sequence(["kill", "freeze"], 3) == ["kill", "freeze"] * 3
    assert bench.lab_env.drill_sequence(["client_link"], 1) == ["client_link"]


def test_summary_medians_per_drill_and_protocol(bench):
    runs = [run("kill", 9.0, 20.0, 8.0), run("freeze", 30.0, 40.0, 31.0), run("kill", 5.0, 12.0, 7.0),
            run("kill", 7.0, None, 9.5, missing=1)]
    summary = bench.summarize(runs)
    kill = summary["kill"]
    assert (kill["runs"], kill["records"], kill["missing"]) == (3, 150, 1)
    assert kill["nfs"] == {"runs": 3, "median_s": 7.0, "min_s": 5.0, "max_s": 9.0, "never_back": 0}
    # a protocol that never came back is counted, not averaged in
    assert kill["nfs3"] == {"runs": 2, "median_s": 16.0, "min_s": 12.0, "max_s": 20.0, "never_back": 1}
    assert kill["smb"]["median_s"] == 8.0
    assert summary["freeze"]["smb"] == {"runs": 1, "median_s": 31.0, "min_s": 31.0, "max_s": 31.0, "never_back": 0}


def test_phase_medians_in_the_order_they_happen(bench):
    first = dict(run("kill", 20.0, 20.0, 20.0), phases=[["membership", 1.5], ["fenced", 6.0], ["vip_share1 start", 25.0]])
    second = dict(run("kill", 30.0, 30.0, 30.0), phases=[["membership", 2.5], ["fenced", 5.0], ["lvm_nas start", 12.0]])
    third = dict(run("kill", 25.0, 25.0, 25.0), phases=[["membership", 2.0], ["fenced", 7.0]])
    summary = bench.summarize([first, second, third])
    assert summary["kill"]["phases"] == [["membership", 2.0], ["fenced", 6.0], ["lvm_nas start", 12.0],
                                         ["vip_share1 start", 25.0]]
    table = bench.format_summary(summary)
    assert "kill         median s after the failure: membership 2.0, fenced 6.0, lvm_nas start 12.0" in table
    assert bench.format_run(1, first).endswith("; membership 1.5, fenced 6.0, vip_share1 start 25.0")
    # runs without phases (an older report) summarize without them
    assert bench.summarize([run("kill", 1.0, 1.0, 1.0)])["kill"]["phases"] == []


def test_table_names_each_goal_met_or_not(bench):
    summary = bench.summarize([run("kill", 2.5, 12.0, None), run("client_link", 15.0, 15.0, 15.0)])
    table = bench.format_summary(summary).splitlines()
    nfs = next(line for line in table if line.startswith("kill") and "NFS v4.2" in line)
    assert "2.5 s" in nfs and "<= 10 s: met" in nfs and "<= 3 s: met" in nfs
    nfs3 = next(line for line in table if line.startswith("kill") and "NFS v3" in line and "s:" in line)
    assert "<= 10 s: not met (1.2x)" in nfs3 and "<= 3 s: not met (4.0x)" in nfs3
    assert any("SMB" in line and "never came back in 1 run(s)" in line for line in table)
    link = next(line for line in table if line.startswith("client_link") and "SMB" in line)
    assert "<= 10 s: not met (1.5x)" in link and link.rstrip().endswith("-")
    # drills in their fixed order, kill first
    assert table[1].startswith("kill")
    assert "kill         records acknowledged 50, missing 0 (RPO)" in table


def test_format_run(bench):
    line = bench.format_run(2, run("freeze", 30.04, None, 31.0, records=70))
    assert line == ("run 2 freeze      node1 failed, node2 took over: NFS v4.2 30.0 s, NFS v3 -, SMB 31.0 s; "
                    "70 records, 0 missing")
    tickled = dict(run("kill", 9.0, 9.1, 10.0), tickled=1, tickle_recorded=2)
    assert bench.format_run(1, tickled).endswith("50 records, 0 missing; tickle ACKs to 1 of 2 recorded connections")


@pytest.mark.parametrize("argv, message", [
    (["--runs", "0"], "--runs must be at least 1"),
    (["--drills", "kill,reboot"], "not reboot"),
    (["--drills", ","], "not nothing"),
])
def test_parse_args_refuses(bench, argv, message, capsys):
    with pytest.raises(SystemExit):
        bench.parse_args(argv)
    assert message in capsys.readouterr().err


def test_parse_args_defaults(bench):
    args = bench.parse_args(["--drills", "kill, freeze", "--runs", "3"])
    assert args.drills == ["kill", "freeze"] and args.runs == 3 and not args.keep


def test_cpu_busy_of_the_node_that_took_over(bench):
    # two CPUs sampled each second; CPU 1 busy 9 of 10 ticks from t=101 to t=104
    samples = [(100.0 + i, {0: (i, 10 * i), 1: (9 * max(0, i - 1), 10 * i)}) for i in range(8)]
    drill = dict(run("kill", 9.0, 9.0, 9.0), failed_at_host=99.5,
                 phases=[["membership", 1.5], ["fenced", 2.0], ["vip_share1 start", 4.5]])
    # the window 101.0-104.0: the samples at 101 and 104
    assert bench.cpu_busy(drill, samples, 1) == pytest.approx(0.9)
    assert bench.cpu_busy(drill, samples, 0) == pytest.approx(0.1)
    # no failure time, no VIP phase, a CPU never sampled, a window beyond the samples
    assert bench.cpu_busy(dict(drill, failed_at_host=None), samples, 1) is None
    assert bench.cpu_busy(dict(drill, phases=[["membership", 1.5]]), samples, 1) is None
    assert bench.cpu_busy(drill, samples, 2) is None
    assert bench.cpu_busy(dict(drill, failed_at_host=105.0), samples, 1) is None
    runs = [dict(drill, cpu_busy=0.9), dict(drill, cpu_busy=0.95), dict(drill, cpu_busy=None), dict(drill, cpu_busy=1.0)]
    summary = bench.summarize(runs)
    assert summary["kill"]["cpu_busy_pct"] == {"runs": 3, "median": 95, "min": 90, "max": 100}
    assert "busy from the membership change to share1's VIP: median 95 % (90-100 %, 3 runs)" in bench.format_summary(summary)
    assert bench.format_run(1, runs[0]).endswith("; its CPU busy 90 % until share1's VIP")
    assert bench.summarize([run("kill", 1.0, 1.0, 1.0)])["kill"]["cpu_busy_pct"] is None
