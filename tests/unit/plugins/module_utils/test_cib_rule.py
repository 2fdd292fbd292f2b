# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""pcs rule text <-> CIB rule XML (module_utils/_cib_rule.py)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils._cib_rule import (
    RuleError,
    normalise_rule_text,
    parse_rule,
    rule_to_xml,
    rule_xml_to_text,
)


@pytest.mark.parametrize("text, tree", [
    ("ethmonitor-eth0 ne 1", ("expr", "ethmonitor-eth0", "ne", None, "1")),
    ("defined pingd", ("defined", "pingd")),
    ("not_defined pingd", ("not_defined", "pingd")),
    ("#uname eq node1", ("expr", "#uname", "eq", None, "node1")),
    ("pingd gt integer 0", ("expr", "pingd", "gt", "integer", "0")),
    ("a eq 1 and b eq 2 or c eq 3", ("or", [("and", [("expr", "a", "eq", None, "1"), ("expr", "b", "eq", None, "2")]),
                                            ("expr", "c", "eq", None, "3")])),
    ("a eq 1 and (b eq 2 or c eq 3)", ("and", [("expr", "a", "eq", None, "1"),
                                               ("or", [("expr", "b", "eq", None, "2"), ("expr", "c", "eq", None, "3")])])),
    ('site eq "data center 1"', ("expr", "site", "eq", None, "data center 1")),
])
def test_parse_rule(text, tree):
    assert parse_rule(text) == tree


@pytest.mark.parametrize("text, message", [
    ("", "empty rule"),
    ("a eq", "ends too early"),
    ("a frob 1", "expected one of lt/gt/lte/gte/eq/ne after 'a'"),
    ("(a eq 1", "ends too early"),
    ("a eq 1 b", "unexpected 'b'"),
    ("and a eq 1", "unexpected 'and'"),
    ("a in_range 1", "date expressions are not supported"),
])
def test_parse_rule_errors(text, message):
    with pytest.raises(RuleError, match=message):
        parse_rule(text)


def test_rule_to_xml_matches_pcs_shape():
    rule = rule_to_xml(parse_rule("ethmonitor-eth0 ne 1"), "location-g_nfs-rule", score="-INFINITY")
    assert ET.tostring(rule, encoding="unicode") == (
        '<rule id="location-g_nfs-rule" score="-INFINITY"><expression id="location-g_nfs-rule-expr" '
        'attribute="ethmonitor-eth0" operation="ne" value="1" /></rule>')


def test_nested_rule_ids_unique_and_round_trip():
    text = "(#uname eq node1 or #uname eq node2) and defined pingd and pingd gte number 1"
    rule = rule_to_xml(parse_rule(text), "r", score="10", role="Promoted")
    ids = [e.get("id") for e in rule.iter()]
    assert len(ids) == len(set(ids))
    assert rule.get("role") == "Promoted"
    assert rule_xml_to_text(rule) == text


def test_pcs_written_rule_reads_back():
    xml = ('<rule id="location-g_nfs-rule" score="-INFINITY"><expression id="x" operation="ne" '
           'attribute="ethmonitor-eth0" value="1"/></rule>')
    assert rule_xml_to_text(ET.fromstring(xml)) == "ethmonitor-eth0 ne 1"


@pytest.mark.parametrize("a, b", [
    ("a eq 1  and   b eq 2", "a eq 1 and b eq 2"),
    ("(a eq 1)", "a eq 1"),
    ("a eq string x", "a eq x"),
    ('a eq "x"', "a eq x"),
])
def test_normalise_rule_text(a, b):
    assert normalise_rule_text(a) == normalise_rule_text(b)


def test_quoted_value_survives_render():
    assert normalise_rule_text('site eq "a b"') == 'site eq "a b"'
