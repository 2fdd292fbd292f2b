# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""benchmarks/corosync_token.py: the journal counts, the tokens, the table and the arguments."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")
SCRIPT = os.path.join(ROOT, "benchmarks", "corosync_token.py")

JOURNAL = """[TOTEM ] Token has not been received in 375 ms
[TOTEM ] A processor failed, forming new configuration: token timed out (500ms), waiting 600ms for consensus.
[QUORUM] Sync members[3]: 1 2 3
[TOTEM ] A new membership (1.2c) was formed. Members
[TOTEM ] Token has not been received in 375 ms
[TOTEM ] A new membership (1.30) was formed. Members
[KNET  ] link: host: 2 link: 0 is down
"""


@pytest.fixture(scope="module")
def bench(load_file_module):
    return load_file_module("corosync_token", SCRIPT)


def test_count_events(bench):
    assert bench.count_events(JOURNAL) == (2, 2)
    assert bench.count_events("") == (0, 0)
    assert bench.count_events(None) == (0, 0)


def test_effective_token_adds_the_coefficient_per_node_above_two(bench):
    assert bench.effective_token(500, 2) == 500
    assert bench.effective_token(500, 3) == 1150
    assert bench.effective_token(1000, 5, coefficient=100) == 1300


def test_safe_from_needs_every_larger_token_quiet(bench):
    def row(token, flaps):
        return {"token": token, "flaps": {"node1": flaps}}
    assert bench.safe_from([row(250, 0), row(500, 2), row(1000, 0)]) == 1000
    assert bench.safe_from([row(500, 0), row(1000, 0)]) == 500
    assert bench.safe_from([row(500, 0), row(1000, 1)]) is None
    assert bench.safe_from([]) is None


def test_parse_tokens(bench):
    assert bench.parse_tokens("1000,500 750 500") == [500, 750, 1000]
    for bad in ("", "0", "100", "40000", "1s", "500,x"):
        with pytest.raises(ValueError):
            bench.parse_tokens(bad)


def test_table_and_verdict(bench):
    rows = [{"token": 500, "effective": 1150, "consensus": 1380, "load": 6.3, "flaps": {"node1": 3, "node2": 2, "node3": 0},
             "near_misses": {"node1": 9, "node2": 7, "node3": 1}},
            {"token": 1000, "effective": 1650, "consensus": 1980, "load": 6.1, "flaps": {"node1": 0, "node2": 0, "node3": 0},
             "near_misses": {"node1": 1, "node2": 0, "node3": 0}}]
    table = bench.format_table(rows).splitlines()
    assert table[1].split() == ["500", "ms", "1150", "ms", "1380", "ms", "6.3", "node1:3", "node2:2", "node3:0",
                                "node1:9", "node2:7", "node3:1", "<=", "2.5", "s", "5", "flap(s)"]
    assert table[2].endswith("<= 3.6 s     safe here")
    assert bench.verdict({"a": 0, "b": 0}) == "safe here"


@pytest.mark.parametrize("argv, message", [
    (["--tokens", "fast"], "--tokens: each token is milliseconds"),
    (["--seconds", "5"], "--seconds must be 10 to 600"),
    (["--burners", "0"], "--burners must be 1 to 8"),
    (["--burners", "9"], "--burners must be 1 to 8"),
])
def test_bad_arguments_refused(bench, capsys, argv, message):
    with pytest.raises(SystemExit):
        bench.parse_args(argv)
    assert message in capsys.readouterr().err


def test_defaults(bench):
    args = bench.parse_args([])
    assert (args.tokens, args.seconds, args.burners, args.restore) == ([500, 750, 1000, 1500], 60, 2, 1000)
