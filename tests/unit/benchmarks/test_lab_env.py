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
