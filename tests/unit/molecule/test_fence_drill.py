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
