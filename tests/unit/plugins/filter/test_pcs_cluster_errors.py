# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pcs_cluster_errors filter: the pcs_cluster module's own checks, for a role's validation."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.hastorage.cluster.plugins.filter.corosync import FilterModule, pcs_cluster_errors

NODES = [{"name": "n1", "addresses": ["10.0.0.1"], "ipmi": {"password": "x"}},
         {"name": "n2", "addresses": ["10.0.0.2"], "cluster_name": "c1"}]


def test_a_good_definition_has_no_errors():
    # the role passes what each host published (extra keys are ignored) and empty sections as {} or None
    assert pcs_cluster_errors({"name": "c1", "nodes": NODES, "transport": "knet", "totem": None,
                               "quorum": {"wait_for_all": True}, "links": None}) == []


@pytest.mark.parametrize("change, message", [
    ({"totem": {"token": "soon"}}, "totem.token must be a non-negative integer, got 'soon'"),
    ({"name": "a.b"}, "name 'a.b': a cluster name is 1 to 32"),
    ({"links": [{"mcastport": 5405}]}, "links: every item needs a linknumber"),
    ({"nodes": NODES + [{"name": "n3", "addresses": ["10.0.0.1"]}]}, "addresses used twice: 10.0.0.1"),
])
def test_errors_name_the_field(change, message):
    params = dict({"name": "c1", "nodes": NODES}, **change)
    errors = pcs_cluster_errors(params)
    assert any(message in e for e in errors), errors
    assert all("password" not in e for e in errors)


def test_not_a_dict():
    with pytest.raises(AnsibleFilterError, match="expects the pcs_cluster parameters as a dict, got list"):
        pcs_cluster_errors([])
    assert FilterModule().filters() == {"pcs_cluster_errors": pcs_cluster_errors}
