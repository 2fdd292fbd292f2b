# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""molecule/storage_fencing/filter_plugins/fence_drill.py: which levels fenced, the writes, what reset a node."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")
SCRIPT = os.path.join(ROOT, "molecule", "storage_fencing", "filter_plugins", "fence_drill.py")

JOURNAL = """100.0 node1 pacemaker-fenced[1]: notice: Operation 'reboot' [10] targeting node3 using fence_lab_node3 returned 1
101.0 node1 pacemaker-fenced[1]: notice: Operation 'reboot' [11] targeting node3 using fence_scsi returned 0
102.0 node1 pacemaker-fenced[1]: notice: Operation 'reboot' [12] targeting node3 using fence_mpath returned 0
113.0 node1 pacemaker-fenced[1]: notice: Operation 'reboot' [13] targeting node3 using fence_sbd returned 0
113.5 node1 pacemaker-controld[2]: notice: Peer node3 was terminated (reboot) by node1 on behalf of node2: OK
"""


@pytest.fixture(scope="module")
def drill(load_file_module):
    return load_file_module("storage_fencing_fence_drill", SCRIPT)


def test_levels_and_times(drill):
    report = drill.fence_drill_report("", JOURNAL, 96.0, 102.5, "node3")
    assert report["power_failed"] and not report["power_fenced"]
    assert report["storage_fenced"] and report["sbd_fenced"]
    assert report["fenced_after"] == 17.5 and report["reset_within"] == 6.5


def test_sbd_not_fenced_when_its_operation_failed(drill):
    report = drill.fence_drill_report("", JOURNAL.replace("fence_sbd returned 0", "fence_sbd returned -62"), 96.0,
                                      None, "node3")
    assert report["storage_fenced"] and not report["sbd_fenced"]


def test_console_resets_names_what_reset_the_node(drill):
    console = ("[   12.1] sysrq: Resetting\n[    0.0] Linux version 7.2\n"
               "[   30.2] softdog: Initiating system reboot\n[   50.0] reboot: Restarting system\nnoise\n")
    assert drill.console_resets(console) == ["sbd", "watchdog", "storage check"]
    assert drill.console_resets("") == []


# node3's writer: both LUNs fine before the failure at 96.0; fence_scsi cut its
# LUN at 101.0 (the write begun at 101.2 refused), fence_mpath at 102.0; the
# fence_mpath LUN's write begun at 101.3 was held until the reset (no result)
WRITES = """95.0 prscsi begin
95.1 prscsi 0
95.1 prmpath begin
95.2 prmpath 0
100.9 prscsi begin
101.0 prscsi 0
101.0 prmpath begin
101.1 prmpath 0
101.2 prscsi begin
101.25 prscsi 1 dd: error writing '/dev/mapper/prscsi': Invalid exchange
101.3 prmpath begin
"""


def test_a_held_write_counts_as_cut_and_not_accepted(drill):
    report = drill.fence_drill_report(WRITES, JOURNAL, 96.0, 110.0, "node3",
                                      {"prscsi": "fence_scsi", "prmpath": "fence_mpath"})
    assert report["lun_fenced_after"] == {"prscsi": 5.0, "prmpath": 6.0}
    assert report["writes_before_ok"]
    assert report["writes"] == 6
    assert report["accepted_after_fence"] == 0 and report["refused_after_fence"] == 1
    assert report["held"] == {"prmpath": 5.3}
    assert report["first_refused_after"] == {"prscsi": 5.25, "prmpath": None}
    assert report["first_cut_after"] == {"prscsi": 5.25, "prmpath": 5.3}
    assert report["refused_as_reservation_conflict"]


def test_a_write_begun_after_its_lun_was_fenced_and_accepted_is_counted(drill):
    late = WRITES.replace("101.3 prmpath begin\n", "102.4 prmpath begin\n102.5 prmpath 0\n")
    report = drill.fence_drill_report(late, JOURNAL, 96.0, 110.0, "node3",
                                      {"prscsi": "fence_scsi", "prmpath": "fence_mpath"})
    assert report["accepted_after_fence"] == 1
    assert report["held"] == {} and report["first_cut_after"]["prmpath"] is None


def test_without_lun_fences_the_lun_counts_as_cut_when_the_node_is_fenced(drill):
    report = drill.fence_drill_report(WRITES, JOURNAL, 96.0, 110.0, "node3")
    assert report["lun_fenced_after"] == {"prscsi": 17.5, "prmpath": 17.5}
    assert report["accepted_after_fence"] == 0 and report["refused_after_fence"] == 0


def test_a_refusal_other_than_a_reservation_conflict_is_named(drill):
    report = drill.fence_drill_report(WRITES.replace("Invalid exchange", "Input/output error"), JOURNAL, 96.0, None,
                                      "node3", {"prscsi": "fence_scsi", "prmpath": "fence_mpath"})
    assert not report["refused_as_reservation_conflict"]
    assert report["reset_within"] is None


def test_no_write_before_the_failure_is_not_ok(drill):
    report = drill.fence_drill_report("101.2 prscsi begin\n101.25 prscsi 0\n", JOURNAL, 96.0, None, "node3")
    assert not report["writes_before_ok"]
