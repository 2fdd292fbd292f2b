# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""_cib_versions: CIB identity, the DC's name, divergence, on a real captured CIB."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils import _cib_versions as cv

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "cib_sync",
                       "cibadmin-query-formed-3node.xml")


def formed():
    with open(FIXTURE) as f:
        return f.read()


def with_epoch(text, epoch):
    return text.replace(' epoch="6"', ' epoch="%d"' % epoch, 1)


def test_identity_of_a_real_cib():
    ident = cv.identity(formed())
    assert (ident["admin_epoch"], ident["epoch"], ident["num_updates"]) == (0, 6, 8)
    assert len(ident["digest"]) == 16
    assert ident["version"] == "0.6.8 (configuration %s)" % ident["digest"]


def test_digest_ignores_layout_and_status_but_not_content():
    text = formed()
    base = cv.identity(text)["digest"]
    # whitespace between elements and the status section do not count
    reflowed = text.replace("\n    ", "\n").replace("<status>", "<status><node_state id='9'/>", 1)
    assert cv.identity(reflowed)["digest"] == base
    # attribute order does not count
    swapped = text.replace('name="dc-deadtime" value="3s"', 'value="3s" name="dc-deadtime"', 1)
    assert swapped != text
    assert cv.identity(swapped)["digest"] == base
    # a value does
    changed = text.replace('name="dc-deadtime" value="3s"', 'name="dc-deadtime" value="20s"', 1)
    assert cv.identity(changed)["digest"] != base


def test_dc_name_from_dc_uuid_and_nodes():
    text = formed()
    assert cv.dc_name(text) == "node1"
    assert cv.dc_name(text.replace(' dc-uuid="1"', ' dc-uuid="3"', 1)) == "node3"
    assert cv.dc_name(text.replace(' dc-uuid="1"', "", 1)) is None
    # a DC id the nodes section does not know
    assert cv.dc_name(text.replace(' dc-uuid="1"', ' dc-uuid="7"', 1)) is None


def test_num_updates_alone_is_not_a_divergence():
    a = cv.identity(formed())
    b = cv.identity(formed().replace(' num_updates="8"', ' num_updates="20"', 1))
    assert cv.same_configuration(a, b)
    assert cv.diverged({"node1": a, "node2": b}, "node1") == []


def test_the_issue_shape_is_diverged_both_ways():
    """The DC behind (epoch 5) and a node ahead (epoch 10), and equal versions with other content."""
    dc = cv.identity(with_epoch(formed(), 5))
    ahead = cv.identity(with_epoch(formed(), 10))
    same_version_other_content = cv.identity(
        with_epoch(formed(), 5).replace('value="3s"', 'value="4s"', 1))
    identities = {"node1": ahead, "node2": same_version_other_content, "node3": dc}
    assert cv.diverged(identities, "node3") == ["node1", "node2"]
    message = cv.divergence_message(identities, "node3")
    assert message.startswith("the CIB of node1, node2 differs from the DC's (node3 0.5.8 (configuration ")
    assert "node1 0.10.8 (configuration " in message
    assert "node2 0.5.8 (configuration " in message


def test_no_dc_or_unreadable_dc_counts_every_node():
    ident = cv.identity(formed())
    assert cv.diverged({"node1": ident, "node2": ident}, None) == ["node1", "node2"]
    assert cv.diverged({"node1": None, "node2": ident}, "node1") == ["node1", "node2"]
    assert cv.divergence_message({"node1": None}, None) == "no DC CIB to compare with (DC none); nodes: node1 unreadable"
    assert cv.divergence_message({"node1": ident}, "node1") == ""


@pytest.mark.parametrize("text, message", [
    ("not xml", "did not return XML"),
    ("<status/>", "returned <status>, not <cib>"),
])
def test_unreadable_cib(text, message):
    with pytest.raises(cv.CibVersionError, match=message):
        cv.identity(text)
