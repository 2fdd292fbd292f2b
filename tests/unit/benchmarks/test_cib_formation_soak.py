# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""benchmarks/cib_formation_soak.py: its DC reading, inventory and summary (the lab part runs in the lab)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")
SCRIPT = os.path.join(ROOT, "benchmarks", "cib_formation_soak.py")
FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures", "cluster")


@pytest.fixture(scope="module")
def soak(load_file_module):
    return load_file_module("cib_formation_soak", SCRIPT)


def test_current_dc_from_real_crm_mon(soak):
    with open(os.path.join(FIXTURES, "live-crm_mon-3node.xml")) as f:
        assert soak.current_dc(f.read()) == "node2"
    with open(os.path.join(FIXTURES, "crm_mon-not-running.xml")) as f:
        assert soak.current_dc(f.read()) is None


def test_inventory_reaches_each_container(soak, tmp_path):
    state = {"nodes": [{"name": "node1", "container": "hsc-soak3-node1"},
                       {"name": "node2", "container": "hsc-soak3-node2"}]}
    path = str(tmp_path / "inventory.json")
    soak.write_inventory(path, "hsc-soak3", state)
    with open(path) as f:
        inv = json.load(f)
    assert inv["all"]["children"]["lab_nodes"]["hosts"] == {
        "node1": {"ansible_host": "hsc-soak3-node1"}, "node2": {"ansible_host": "hsc-soak3-node2"}}
    assert inv["all"]["vars"]["lab_name"] == "hsc-soak3"
    assert inv["all"]["vars"]["ansible_connection"] == "containers.podman.podman"


def test_summary_counts_every_kind_of_bad_run(soak):
    records = [
        {"diverged": [], "settled": True, "play_rc": 0, "play_seconds": 100.0},
        {"diverged": ["node1"], "settled": False, "play_rc": 0, "play_seconds": 110.0},
        {"diverged": [], "settled": False, "play_rc": 2, "play_seconds": 30.0},
        {"diverged": [], "settled": True, "play_rc": 0, "play_seconds": 120.0},
    ]
    lines = soak.summarize(records)
    assert lines[0] == "runs 4, diverged 1, not settled 2, play failed 1"
    # the failed play's time is not a formation time
    assert lines[1] == "formation + push (play) median 110.0 s, min 100.0 s, max 120.0 s over 3 runs"


def test_arguments_are_checked_before_any_lab(soak, tmp_path):
    with pytest.raises(SystemExit):
        soak.main(["--runs", "0", "--collections", str(tmp_path)])
    with pytest.raises(SystemExit):
        soak.main(["--runs", "1", "--collections", str(tmp_path)])
