# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""benchmarks/nas_gateway_failover.py: the drill order, the summary and its table."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")
SCRIPT = os.path.join(ROOT, "benchmarks", "nas_gateway_failover.py")


@pytest.fixture(scope="module")
def bench(load_file_module):
    return load_file_module("nas_gateway_failover", SCRIPT)


def run(kind, share1, bystander=(1.0, 1.0, 1.0), records=60, missing=0, moved_right=True):
    """One drill's NAS_GW_REPORT entry; share1 and bystander: (NFS v4.2, NFS v3, SMB) downtimes."""
    def rtos(values):
        return dict((proto, {"acked": 10, "after_kill": 0 if rto is None else 5, "rto_s": rto})
                    for proto, rto in zip(("nfs", "nfs3", "smb"), values))
    expected = {"share1": "node2", "share2": "node2", "share3": "node1"}
    return {"kind": kind, "failed": "node1", "before": {"share1": "node1"}, "expected": expected,
            "after": expected if moved_right else dict(expected, share3="node2"),
            "share1": rtos(share1), "bystander": "share3", "bystander_rto": rtos(bystander),
            "records": records, "missing": missing}


def test_drill_sequence_takes_the_drills_in_turn(bench):
    assert bench.lab_env.drill_sequence(["path", "lun", "kill"], 2) == ["path", "lun", "kill"] * 2
    assert bench.lab_env.drill_sequence(["lun"], 1) == ["lun"]


def test_summary_medians_per_drill_group_and_protocol(bench):
    runs = [run("lun", (45.0, 65.0, 44.0)), run("lun", (49.0, 67.0, 48.0), bystander=(None, 0.5, 2.0)),
            run("lun", (42.0, None, 46.0), missing=2, moved_right=False), run("path", (15.0, 15.0, 14.0))]
    summary = bench.summarize(runs)
    lun = summary["lun"]
    assert (lun["runs"], lun["records"], lun["missing"], lun["misplaced"]) == (3, 180, 2, 1)
    assert lun["share1"]["nfs"] == {"runs": 3, "median_s": 45.0, "min_s": 42.0, "max_s": 49.0, "never_back": 0}
    # a protocol that never came back is counted, not averaged in
    assert lun["share1"]["nfs3"] == {"runs": 2, "median_s": 66.0, "min_s": 65.0, "max_s": 67.0, "never_back": 1}
    assert lun["bystander_rto"]["nfs"]["never_back"] == 1 and lun["bystander_rto"]["nfs"]["median_s"] == 1.0
    assert lun["bystander_rto"]["nfs3"]["median_s"] == 1.0
    assert summary["path"]["share1"]["smb"]["median_s"] == 14.0 and summary["path"]["misplaced"] == 0


def test_table_names_the_goal_of_a_kill_only_for_the_failed_group(bench):
    summary = bench.summarize([run("kill", (2.5, 12.0, None)), run("path", (15.0, 15.0, 15.0))])
    table = bench.format_summary(summary).splitlines()
    assert table[1].startswith("path")
    kill_nfs = next(line for line in table if line.startswith("kill") and "share1" in line and "NFS v4.2" in line)
    assert "2.5 s" in kill_nfs and "<= 3 s: met" in kill_nfs
    kill_nfs3 = next(line for line in table if line.startswith("kill") and "share1" in line and "NFS v3" in line)
    assert "<= 3 s: not met (4.0x)" in kill_nfs3
    assert any("share1" in line and "SMB" in line and "never came back in 1 run(s)" in line for line in table)
    bystander = next(line for line in table if line.startswith("kill") and "bystander" in line and "SMB" in line)
    assert bystander.rstrip().endswith("-")
    path = next(line for line in table if line.startswith("path") and "share1" in line and "SMB" in line)
    assert path.rstrip().endswith("-")
    assert ("kill   records acknowledged 60, missing 0 (RPO); groups where they had to be in 1 of 1 run(s)"
            in table)


def test_format_run(bench):
    line = bench.format_run(3, run("lun", (45.04, None, 44.0), records=70))
    assert line.startswith("run 3 lun  on node1: groups {'share1': 'node1'} -> ")
    assert line.endswith("share1 NFS v4.2 45.0 s, NFS v3 -, SMB 44.0 s; bystander share3 NFS v4.2 1.0 s, "
                         "NFS v3 1.0 s, SMB 1.0 s; 70 records, 0 missing")


def test_parse_args_defaults_and_refusal(bench, capsys):
    """The options come from lab_env (tested there); this benchmark's drills and default."""
    args = bench.parse_args([])
    assert args.drills == ["path", "lun", "kill"] and args.runs == 5 and not args.keep
    assert bench.parse_args(["--drills", "lun, kill", "--runs", "3"]).drills == ["lun", "kill"]
    with pytest.raises(SystemExit):
        bench.parse_args(["--drills", "lun,freeze"])
    assert "not freeze" in capsys.readouterr().err
