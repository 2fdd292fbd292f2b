# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The openstack_control_plane filter plugin: the design's builders as filters, refusals as AnsibleFilterError."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.hastorage.cluster.plugins.filter.openstack_control_plane import FilterModule
from ansible_collections.hastorage.cluster.tests.unit.plugins.module_utils.test_openstack_control_plane import CONFIG

FILTERS = FilterModule().filters()


def test_the_documented_filters_are_there():
    assert sorted(FILTERS) == ["openstack_control_plane_cib", "openstack_control_plane_feedback",
                               "openstack_control_plane_haproxy"]


def test_the_filters_build():
    assert "g_openstack" in [g["id"] for g in FILTERS["openstack_control_plane_cib"](CONFIG)["groups"]]
    assert "keystone" in [p["name"] for p in FILTERS["openstack_control_plane_haproxy"](CONFIG)]
    assert FILTERS["openstack_control_plane_feedback"](CONFIG)["hosts"] == {}


@pytest.mark.parametrize("name", ["openstack_control_plane_cib", "openstack_control_plane_haproxy",
                                  "openstack_control_plane_feedback"])
def test_a_refusal_is_a_filter_error_that_names_the_field(name):
    config = copy.deepcopy(CONFIG)
    config["services"][0]["tier"] = "silver"
    with pytest.raises(AnsibleFilterError, match=r"openstack_control_plane_services\[mariadb\]\.tier must be ha"):
        FILTERS[name](config)
