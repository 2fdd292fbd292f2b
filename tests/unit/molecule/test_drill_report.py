# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""molecule/shared_uml/drill_report.py: RTO per protocol from the drill clients' acknowledgements, and
where the time went from the journal of the node that took over (--phases)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")
SCRIPT = os.path.join(ROOT, "molecule", "shared_uml", "drill_report.py")
SUM = "a" * 64


@pytest.fixture(scope="module")
def drill(load_file_module):
    return load_file_module("nas_integrated_drill_report", SCRIPT)


def test_parse_keeps_only_ack_lines_sorted(drill):
    text = "smb 100.5 2 %s\nnfs 100.0 1 %s\nnoise\nnfs 99.0 0 %s\nnfs 101 x %s\n" % (SUM, SUM, SUM, SUM)
    acks = drill.parse_acks(text)
    assert acks["nfs"] == [(99.0, 0, SUM), (100.0, 1, SUM)]
    assert acks["smb"] == [(100.5, 2, SUM)]


def test_parse_tells_nfs3_from_nfs(drill):
    acks = drill.parse_acks("nfs3 100.0 1 %s\nnfs 100.1 1 %s\nnfs4 100.2 1 %s\n" % (SUM, SUM, SUM))
    assert acks == {"nfs3": [(100.0, 1, SUM)], "nfs": [(100.1, 1, SUM)]}


def test_downtime_spans_the_kill(drill):
    assert drill.downtime([1.0, 1.3, 1.6, 9.9, 10.2], 1.7) == 8.3
    # nothing before the kill: from the kill
    assert drill.downtime([5.0], 2.0) == 3.0
    # nothing after the kill: it never came back
    assert drill.downtime([1.0, 1.2], 2.0) is None
    assert drill.downtime([], 2.0) is None


def test_report_per_protocol(drill):
    text = "\n".join(["nfs %.1f %d %s" % (t, n, SUM) for n, t in enumerate((10.0, 10.3, 21.0, 21.3))]
                     + ["smb %.1f %d %s" % (t, n, SUM) for n, t in enumerate((10.1, 10.4))])
    result = drill.report(text, 10.5)
    assert result["nfs"] == {"acked": 4, "after_kill": 2, "rto_s": 10.7}
    assert result["smb"] == {"acked": 2, "after_kill": 0, "rto_s": None}
    # a protocol with no record at all is reported, and never came back
    assert result["nfs3"] == {"acked": 0, "after_kill": 0, "rto_s": None}


def test_usage(drill, capsys):
    assert drill.main([]) == 2
    assert "usage" in capsys.readouterr().err


# journalctl -o short-unix of node2 after node1 was frozen (the lab, 2026-12-03),
# node2's clock 2 s ahead of dc1's; the failure at 1000.0 on dc1's clock
JOURNAL = """\
999.5 node2 pacemaker-controld[1682]:  notice: Result of start operation for vip_share1 on node2: ok
1003.3 node2 corosync[1620]:   [TOTEM ] Token has not been received in 750 ms
1004.8 node2 corosync[1620]:   [TOTEM ] A new membership (2.16) was formed. Members left: 1
1009.1 node2 pacemaker-fenced[1678]:  notice: Operation 'reboot' [2690] targeting node1 using fence_lab_node1 returned 0
1009.2 node2 pacemaker-fenced[1678]:  notice: Operation 'reboot' targeting node1 by node2 for pacemaker-controld.1682@node2: OK (complete)
1014.2 node2 pacemaker-controld[1682]:  notice: Result of promote operation for drbd_r0 on node2: ok
1015.4 node2 pacemaker-controld[1682]:  notice: Result of notify operation for drbd_r0 on node2: ok
1028.7 node2 pacemaker-controld[1682]:  notice: Result of start operation for lvm_nas on node2: ok
1029.0 node2 pacemaker-controld[1682]:  notice: Result of monitor operation for lvm_nas on node2: ok
1071.4 node2 pacemaker-controld[1682]:  notice: Result of start operation for nfsserver on node2: ok
1090.0 node2 pacemaker-controld[1682]:  notice: Result of start operation for vip_share1 on node2: ok
1091.0 node2 pacemaker-controld[1682]:  notice: Result of start operation for exp_share2_201_1 on node2: error
not a journal line
"""


def test_phases_in_order_first_of_each_on_dc1s_clock(drill):
    events = drill.phases(JOURNAL, 1000.0, 2.0)
    assert events == [["membership", 2.8], ["fenced", 7.1], ["drbd_r0 promote", 12.2],
                      ["lvm_nas start", 26.7], ["nfsserver start", 69.4], ["vip_share1 start", 88.0]]


def test_phases_nothing_before_the_failure_and_no_failed_or_monitor_results(drill):
    events = dict(drill.phases(JOURNAL, 1000.0, 2.0))
    # vip_share1's start before the failure (999.5 < 1002.0) is not this drill's
    assert events["vip_share1 start"] == 88.0
    assert "exp_share2_201_1 start" not in events and "lvm_nas monitor" not in events
    assert drill.phases("", 1000.0, 0.0) == []


def test_phases_link_down_of_a_client_link_cut(drill):
    journal = ("2000.0 node1 pacemaker-attrd[900]:  notice: Setting ethmonitor-vec0[node2]: 1 -> 0\n"
               "2001.0 node1 pacemaker-attrd[900]:  notice: Setting ethmonitor-vec0[node2]: 0 -> 1\n"
               "2012.0 node1 pacemaker-controld[902]:  notice: Result of promote operation for drbd_r0 on node1: ok\n")
    assert drill.phases(journal, 1980.0, 0.0) == [["link_down", 20.0], ["drbd_r0 promote", 32.0]]


def test_phases_command_line():
    proc = subprocess.run([sys.executable, SCRIPT, "--phases", "1000", "2"], input=JOURNAL, capture_output=True,
                          text=True, check=True)
    assert json.loads(proc.stdout)[0] == ["membership", 2.8]
    bad = subprocess.run([sys.executable, SCRIPT, "--phases", "1000"], input="", capture_output=True, text=True,
                         check=False)
    assert bad.returncode == 2 and "--phases FAILED_AT OFFSET" in bad.stderr
