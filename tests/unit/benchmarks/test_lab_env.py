# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""benchmarks/lab_env.py: the environment the lab benchmarks run molecule and ansible in."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")
SCRIPT = os.path.join(ROOT, "benchmarks", "lab_env.py")


@pytest.fixture(scope="module")
def lab_env(load_file_module):
    return load_file_module("lab_env", SCRIPT)


def test_defaults_under_the_root(lab_env, monkeypatch):
    monkeypatch.delenv("HSC_VENV", raising=False)
    monkeypatch.delenv("HSC_CACHE_DIR", raising=False)
    monkeypatch.setenv("PATH", "/usr/bin")
    env = lab_env.tool_environment("/src")
    assert env["PATH"] == "/src/.venv/bin:/usr/bin"
    assert env["ANSIBLE_COLLECTIONS_PATH"] == "/src/build/collections:/src/.cache/collections"


def test_shared_venv_cache_collections_and_extra(lab_env, monkeypatch):
    monkeypatch.setenv("HSC_VENV", "/v")
    monkeypatch.setenv("HSC_CACHE_DIR", "/c")
    monkeypatch.setenv("PATH", "/bin")
    env = lab_env.tool_environment("/src", "/tmp/coll", LC_ALL="C.UTF-8")
    assert env["PATH"] == "/v/bin:/bin" and env["LC_ALL"] == "C.UTF-8"
    assert env["ANSIBLE_COLLECTIONS_PATH"] == "/tmp/coll:/c/collections"
    # the process's own environment is left alone
    assert os.environ["PATH"] == "/bin"


def test_lab_arguments_and_their_refusal(lab_env, capsys):
    parser = lab_env.lab_argument_parser("a lab benchmark", "drbd_uml", "kills (default 5)")
    args = lab_env.parse_lab_args(parser, [])
    assert (args.runs, args.keep, args.no_converge) == (5, False, False)
    args = lab_env.parse_lab_args(parser, ["--runs", "3", "--keep", "--no-converge"])
    assert (args.runs, args.keep, args.no_converge) == (3, True, True)
    assert "molecule converge -s drbd_uml" in " ".join(parser.format_help().split())
    with pytest.raises(SystemExit):
        lab_env.parse_lab_args(parser, ["--runs", "0"])
    assert "--runs must be at least 1" in capsys.readouterr().err


def test_molecule_runs_in_the_root(lab_env, monkeypatch):
    calls = []
    monkeypatch.setattr(lab_env.subprocess, "run", lambda argv, **kw: calls.append((argv, kw)))
    lab_env.molecule("/src", "nas_integrated", "converge", {"A": "1"})
    assert calls == [(["molecule", "converge", "-s", "nas_integrated"], {"cwd": "/src", "env": {"A": "1"}, "check": True})]


def test_drill_arguments_and_their_refusal(lab_env, capsys):
    parser = lab_env.drill_argument_parser("d", "sc", ("kill", "freeze"), "kill")
    args = lab_env.parse_drill_args(parser, ["--drills", "kill, freeze", "--runs", "2"])
    assert args.drills == ["kill", "freeze"] and args.runs == 2
    assert lab_env.parse_drill_args(parser, []).drills == ["kill"]
    for argv, message in ((["--drills", "kill,reboot"], "not reboot"), (["--drills", ","], "not nothing")):
        with pytest.raises(SystemExit):
            lab_env.parse_drill_args(parser, argv)
        assert message in capsys.readouterr().err


def test_run_drills_converges_once_and_reads_the_report(lab_env, monkeypatch, tmp_path):
    calls = []

    def fake(root, scenario, action, env):
        calls.append((action, env.get("DRILLS"), env.get("EXTRA")))
        if action == "verify":
            with open(env["REPORT"], "w") as handle:
                handle.write('[{"kind": "kill"}, {"kind": "freeze"}]')
    parser = lab_env.drill_argument_parser("d", "sc", ("kill", "freeze"), "kill")
    args = lab_env.parse_drill_args(parser, ["--drills", "kill,freeze", "--runs", "2"])
    runs = lab_env.run_drills(str(tmp_path), "sc", args, "DRILLS", "REPORT", extra={"EXTRA": "x"}, run=fake,
                              before_destroy=lambda: calls.append(("before_destroy", None, None)))
    assert runs == [{"kind": "kill"}, {"kind": "freeze"}]
    # the lab's state is read after the verify, before the destroy
    assert calls == [("create", None, None), ("converge", None, None),
                     ("verify", "kill freeze kill freeze", "x"), ("before_destroy", None, None),
                     ("destroy", "kill freeze kill freeze", "x")]
    # --keep --no-converge: the verify only; the report file is gone either way
    args = lab_env.parse_drill_args(parser, ["--keep", "--no-converge"])
    calls.clear()
    lab_env.run_drills(str(tmp_path), "sc", args, "DRILLS", "REPORT", run=fake)
    assert [c[0] for c in calls] == ["verify"]


def test_goal_text(lab_env):
    assert lab_env.goal_text(2.5, None) == "-"
    assert lab_env.goal_text(None, 3.0) == "<= 3 s: no figure"
    assert lab_env.goal_text(2.5, 3.0) == "<= 3 s: met"
    assert lab_env.goal_text(12.0, 3.0) == "<= 3 s: not met (4.0x)"


def test_spread(lab_env):
    assert lab_env.spread([3, 1.04, 2]) == {"runs": 3, "median_s": 2.0, "min_s": 1.0, "max_s": 3.0}
    assert lab_env.spread([]) == {"runs": 0, "median_s": None, "min_s": None, "max_s": None}


PROC_STAT = """cpu  500 0 100 1000 50 0 0 0 0 0
cpu0 300 0 50 400 10 0 5 0 0 0
cpu1 200 0 50 600 40 0 0 0 0 0
intr 12345
ctxt 999
"""


def test_read_cpu_ticks_counts_idle_and_iowait_as_not_busy(lab_env):
    assert lab_env.read_cpu_ticks(PROC_STAT) == {0: (355, 765), 1: (250, 890)}


def test_busy_fraction_between_the_samples_around_the_window(lab_env):
    samples = [(10.0, {0: (0, 0)}), (11.0, {0: (50, 100)}), (12.0, {0: (150, 200)}), (13.0, {0: (160, 300)})]
    assert lab_env.busy_fraction(samples, 0, 11.0, 12.0) == 1.0
    # from the last sample at or before the start to the first at or after the end
    assert lab_env.busy_fraction(samples, 0, 11.5, 12.5) == pytest.approx(110 / 200)
    for cpu, start, end in ((1, 11.0, 12.0), (None, 11.0, 12.0), (0, 9.0, 12.0), (0, 11.0, 14.0), (0, 12.0, 11.0)):
        assert lab_env.busy_fraction(samples, cpu, start, end) is None


def test_cpu_sampler_reads_until_stopped(lab_env, tmp_path):
    stat = tmp_path / "stat"
    stat.write_text(PROC_STAT)
    sampler = lab_env.CpuSampler(interval=0.01, path=str(stat)).start()
    samples = sampler.stop()
    assert len(samples) >= 2 and all(ticks == {0: (355, 765), 1: (250, 890)} for _t, ticks in samples)
    assert [t for t, _ticks in samples] == sorted(t for t, _ticks in samples)


def test_uml_node_cpus_follow_umlctl(lab_env, tmp_path, monkeypatch):
    root = tmp_path
    (root / "lab" / "state" / "lab1").mkdir(parents=True)
    (root / "lab" / "state" / "lab1" / "lab.json").write_text(
        '{"nodes": [{"name": "node1"}, {"name": "node2"}], "dc": {"name": "dc1"}}')
    calls = []

    class FakeUmlctl:
        @staticmethod
        def machine_cpu(state, machine, cpus):
            calls.append((machine["name"], sorted(cpus)))
            return 6 + len(calls)
    monkeypatch.setattr(lab_env, "_umlctl", lambda _root: FakeUmlctl)
    # every node of the lab (not its DC), each as umlctl places it
    assert lab_env.uml_node_cpus(str(root), "lab1", cpus={0, 1}, environ={}) == {"node1": 7, "node2": 8}
    assert calls == [("node1", [0, 1]), ("node2", [0, 1])]
    assert lab_env.uml_node_cpus(str(root), "lab1", cpus={0, 1}, environ={"HSC_UML_CPU_PIN": "0"}) == {}
    assert lab_env.uml_node_cpus(str(root), "nolab", cpus={0, 1}, environ={}) == {}
    assert lab_env.uml_node_cpus(str(root), None, cpus={0, 1}, environ={}) == {}


def test_uml_node_cpu_with_the_real_umlctl(lab_env):
    # the real lab/umlctl.py machine_cpu: nodes, then dc1, in turn over the CPUs
    module = lab_env._umlctl(ROOT)
    state = {"nodes": [{"name": "node1"}, {"name": "node2"}], "dc": {"name": "dc1"}}
    assert [module.machine_cpu(state, m, {0, 1}) for m in state["nodes"] + [state["dc"]]] == [0, 1, 0]


def test_scenario_lab_name(lab_env):
    assert lab_env.scenario_lab_name(ROOT, "nas_integrated") == "hsc-mol-nas-int"
