# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""molecule/nas_integrated/drill_report.py: RTO per protocol from the drill clients' acknowledgements."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")
SCRIPT = os.path.join(ROOT, "molecule", "nas_integrated", "drill_report.py")
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
