# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""benchmarks/speed.py: the recap, formation and drill parsers, the rows and the arguments."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")
SCRIPT = os.path.join(ROOT, "benchmarks", "speed.py")

RECAP = """
PLAY RECAP *********************************************************************
node1                      : ok=161  changed=0    unreachable=0    failed=0    skipped=70   rescued=0    ignored=0
node2                      : ok=150  changed=2    unreachable=0    failed=0    skipped=71   rescued=0    ignored=0
node3                      : ok=150  changed=0    unreachable=1    failed=1    skipped=71   rescued=0    ignored=0
"""

CRM_MON = """<pacemaker-result api-version="2.25" request="crm_mon --output-as=xml">
  <summary>
    <current_dc present="%s" version="2.1.5" name="node2" id="2" with_quorum="true"/>
  </summary>
  <nodes>
    <node name="node1" id="1" online="true" standby="false"/>
    <node name="node2" id="2" online="true" standby="false"/>
    <node name="node3" id="3" online="%s" standby="false"/>
  </nodes>
</pacemaker-result>"""


@pytest.fixture(scope="module")
def bench(load_file_module):
    return load_file_module("speed", SCRIPT)


def test_recap_totals(bench):
    assert bench.recap_totals(RECAP) == {"hosts": 3, "ok": 461, "changed": 2, "unreachable": 1, "failed": 1}
    assert bench.recap_totals("no recap here") is None
    assert bench.recap_totals(None) is None


PROFILE = """
Saturday 05 December 2026  09:10:01 +0000 (0:00:00.500)       0:01:39.000 *****
===============================================================================
hastorage.cluster.nas_services : Render the Samba shares -------------------- 6.80s
hastorage.cluster.pacemaker : Start the cluster at boot --------------------- 5.52s
Gathering Facts ------------------------------------------------------------- 2.10s
hastorage.cluster.feedback_agent : Install the agent ------------------------ 3.45s
"""


def test_slowest_tasks_from_the_profile(bench):
    assert bench.slowest_tasks(PROFILE, 3) == [
        (6.8, "hastorage.cluster.nas_services : Render the Samba shares"),
        (5.52, "hastorage.cluster.pacemaker : Start the cluster at boot"),
        (3.45, "hastorage.cluster.feedback_agent : Install the agent")]
    assert bench.slowest_tasks(RECAP) == []


def test_cluster_formed_needs_a_dc_and_every_node_online(bench):
    nodes = ["node1", "node2", "node3"]
    assert bench.cluster_formed(CRM_MON % ("true", "true"), nodes)
    assert not bench.cluster_formed(CRM_MON % ("true", "false"), nodes)
    assert not bench.cluster_formed(CRM_MON % ("false", "true"), nodes)
    assert not bench.cluster_formed(CRM_MON % ("true", "true"), nodes + ["node4"])
    assert not bench.cluster_formed("crm_mon: Error: cluster is not available on this node", nodes)


def test_drill_times_keeps_runs_that_never_came_back_apart(bench):
    summary = {"rto_seconds_smb": [7.5, None, 8.0], "rto_seconds_nfs": ["6.5", "7.0", "9.0"], "rpo_records_lost": "0"}
    assert bench.drill_times(summary) == {"smb": [7.5, 8.0], "nfs": [6.5, 7.0, 9.0], "lost": 0, "never_back": 1}
    assert bench.drill_times({}) == {"smb": [], "nfs": [], "lost": 0, "never_back": 0}


def test_rows_and_table(bench):
    results = {"up": [60.0], "deploy": [200.0], "status": [10.0], "rerun": [100.0, 98.0, 120.0],
               "kill": {"smb": [7.0, 8.0, 9.0], "nfs": [6.0], "lost": 0, "never_back": 0}}
    rows = dict((label, (goal, row)) for label, goal, row in bench.rows_from(results))
    assert rows["make lab, warm machine (up + deploy + status)"][1]["median_s"] == 270.0
    assert rows["first deploy on a formed lab"][1]["median_s"] == 200.0
    assert rows["re-run with nothing to change"] == (15.0, {"runs": 3, "median_s": 100.0, "min_s": 98.0,
                                                            "max_s": 120.0})
    assert rows["kill of the active node, SMB"][1]["median_s"] == 8.0
    assert rows["cluster formation, Pacemaker start to DC"][1] is None
    table = bench.format_table(bench.rows_from(results))
    assert "re-run with nothing to change" in table and "not met (6.7x)" in table
    assert "make lab, warm machine (up + deploy + status)     1   270.0s" in table and "<= 300 s: met" in table
    assert table.count("not measured in this run") == 6
    results["fresh"] = [330.0]
    rows = dict((label, (goal, row)) for label, goal, row in bench.rows_from(results))
    assert rows["make lab, fresh clone, cold caches, apt warm"] == (300.0, {"runs": 1, "median_s": 330.0,
                                                                            "min_s": 330.0, "max_s": 330.0})
    assert "not met (1.1x)" in bench.format_table(bench.rows_from(results))
    # without the status step there is no make-lab sum
    rows = dict((label, row) for label, _goal, row in bench.rows_from({"up": [60.0], "deploy": [200.0]}))
    assert rows["make lab, warm machine (up + deploy + status)"] is None


@pytest.mark.parametrize("argv, message", [
    (["--steps", "rerun,fast"], "--steps: each one of fresh, up, deploy"),
    (["--steps", ","], "not nothing"),
    (["--steps", "deploy"], "deploy measures the first deploy, so it needs up"),
    (["--runs", "0"], "--runs must be 1 to 10"),
    (["--runs", "11"], "--runs must be 1 to 10"),
])
def test_bad_arguments_refused(bench, capsys, argv, message):
    with pytest.raises(SystemExit):
        bench.parse_args(argv)
    assert message in capsys.readouterr().err


def test_arguments(bench):
    args = bench.parse_args(["--steps", "rerun kill", "--runs", "5"])
    assert (args.steps, args.runs, args.keep) == (["rerun", "kill"], 5, False)
    assert bench.parse_args([]).steps == list(bench.STEPS)


def test_fresh_environment_points_at_nothing_of_this_checkout(bench):
    venv = os.path.join(bench.ROOT, ".venv")
    environ = {"PATH": os.pathsep.join([os.path.join(venv, "bin"), "/usr/bin", "/bin"]), "HSC_VENV": venv,
               "VIRTUAL_ENV": venv, "ANSIBLE_COLLECTIONS_PATH": "/x", "HSC_CACHE_DIR": "/old", "HOME": "/root",
               "MAKEFLAGS": "-j2"}
    env = bench.fresh_environment(environ, "/tmp/empty-cache")
    assert env == {"PATH": os.pathsep.join(["/usr/bin", "/bin"]), "HSC_CACHE_DIR": "/tmp/empty-cache",
                   "HOME": "/root"}
    # a venv named by HSC_VENV elsewhere leaves PATH too
    environ = {"PATH": "/srv/venv/bin:/usr/bin", "HSC_VENV": "/srv/venv"}
    assert bench.fresh_environment(environ, "/c")["PATH"] == "/usr/bin"


def test_lab_image_tag_is_labctls(bench):
    tag = bench.lab_image_tag()
    assert tag.startswith("localhost/hsc-lab-node:") and len(tag.split(":")[1]) >= 8
