# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""benchmarks/drbd_failover.py: its readings of crm_resource and /proc/drbd, and its summary."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")
SCRIPT = os.path.join(ROOT, "benchmarks", "drbd_failover.py")

# /proc/drbd of DRBD 8.4.11 in a UML guest (the drbd_uml lab), minor 0
PROC_DRBD_SYNCED = """version: 8.4.11 (api:1/proto:86-101)
srcversion: 4A3D2C0E3F47D4A3B3A6B0C
 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----
    ns:1048 nr:0 dw:1048 dr:2353 al:3 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0
"""
PROC_DRBD_SYNCING = """version: 8.4.11 (api:1/proto:86-101)
 0: cs:SyncTarget ro:Secondary/Primary ds:Inconsistent/UpToDate C r-----
    ns:0 nr:2912 dw:2912 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:512
"""
PROC_DRBD_WAITING = """version: 8.4.11 (api:1/proto:86-101)
 0: cs:WFConnection ro:Primary/Unknown ds:UpToDate/DUnknown C r-----
"""


@pytest.fixture(scope="module")
def bench(load_file_module):
    return load_file_module("drbd_failover", SCRIPT)


def test_primary_from_locate(bench):
    assert bench.primary_from_locate("resource vip_data is running on: node2\n") == "node2"
    assert bench.primary_from_locate("resource vip_data is NOT running\n") is None
    assert bench.primary_from_locate("") is None


def test_proc_drbd_states(bench):
    assert bench.drbd_state(PROC_DRBD_SYNCED) == ("Connected", "Primary", "Secondary", "UpToDate", "UpToDate")
    assert bench.drbd_state(PROC_DRBD_WAITING) == ("WFConnection", "Primary", "Unknown", "UpToDate", "DUnknown")
    assert bench.drbd_state("version: 8.4.11\n") is None
    assert bench.in_sync(PROC_DRBD_SYNCED)
    assert not bench.in_sync(PROC_DRBD_SYNCING)
    assert not bench.in_sync(PROC_DRBD_WAITING)
    assert not bench.in_sync("")


def test_summary_median_and_missing_writes(bench):
    runs = [{"failover_seconds": s, "acked": 10, "missing": m} for s, m in ((9.0, 0), (12.5, 0), (7.1, 1))]
    assert bench.summary(runs) == {"runs": 3, "median_s": 9.0, "min_s": 7.1, "max_s": 12.5,
                                   "acked": 30, "missing": 1, "phase_medians_s": {}}
    assert bench.summary([])["median_s"] is None


# the survivor's journal (journalctl -o short-unix) of a drbd_uml run: node1
# killed at about 1796317615.7, node2 took over
JOURNAL = open(os.path.join(os.path.dirname(__file__), "fixtures", "drbd_failover_survivor_journal.txt"),
               encoding="utf-8").read()


def test_phases_from_the_survivors_journal(bench):
    assert bench.phases(JOURNAL, 1796317615.7) == {
        "membership": 2.5, "fenced": 4.5, "drbd_peer_lost": 5.2, "promoted": 9.3, "filesystem": 11.6, "vip": 12.9}


def test_phases_ignore_what_came_before_the_kill(bench):
    # the membership change came before this "kill": it is not counted
    found = bench.phases(JOURNAL, 1796317619.0)
    assert "membership" not in found
    assert found["fenced"] == 1.2
    assert bench.phases("", 0) == {}
    assert bench.phases("not a journal line\n", 0) == {}


def test_phase_medians(bench):
    runs = [{"phases": {"fenced": 4.0, "vip": 12.0}}, {"phases": {"fenced": 5.0, "vip": 10.0}},
            {"phases": {"fenced": 6.0}}]
    assert bench.phase_medians(runs) == {"fenced": 5.0, "vip": 11.0}


def test_runs_must_be_positive(bench):
    with pytest.raises(SystemExit):
        bench.parse_args(["--runs", "0"])
    assert bench.parse_args([]).runs == 5
