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
