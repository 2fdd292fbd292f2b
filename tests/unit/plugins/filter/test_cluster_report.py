# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The cluster_report_html, cluster_report_text and cluster_readers filters."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.hastorage.cluster.plugins.filter import cluster_report as f
from ansible_collections.hastorage.cluster.plugins.module_utils import _crm_mon as m
from ansible_collections.hastorage.cluster.plugins.module_utils import _report as r

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "cluster")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as fh:
        return fh.read()


@pytest.fixture(name="rep")
def fixture_rep():
    return r.build_report(m.parse_crm_mon(fixture("report-crm_mon-up.xml")), cib=m.parse_cib(fixture("report-cib.xml")))


def test_filters_are_registered():
    assert sorted(f.FilterModule().filters()) == [
        "cluster_readers", "cluster_report_html", "cluster_report_text", "cluster_stack"]


def test_text_of_one_and_of_several(rep):
    one = f.cluster_report_text(rep)
    assert one == r.report_lines(rep)
    two = f.cluster_report_text([rep, rep])
    assert two == one + [""] + one


def test_html(rep):
    page = f.cluster_report_html(rep, title="t", generated="g")
    assert page == r.report_html([rep], title="t", generated="g")
    assert 'data-stack="mgmt_vip"' in page


def test_stack(rep):
    assert f.cluster_stack(rep, "g1")["id"] == "g_g1"
    assert f.cluster_stack(rep, "api")["kind"] == "clone"
    assert f.cluster_stack(rep, "nope") == {} and f.cluster_stack(rep, "") == {}
    with pytest.raises(AnsibleFilterError, match="one cluster report expected, got 2"):
        f.cluster_stack([rep, rep], "g1")


@pytest.mark.parametrize("value", [{"running": True}, ["x"], "text"])
def test_not_a_report(value):
    with pytest.raises(AnsibleFilterError, match="cluster report expected"):
        f.cluster_report_text(value)


def test_readers_skip_the_unreachable_first_host():
    hostvars = {
        "node1": {"pacemaker_cluster_name": "c1", "ping": {"unreachable": True, "msg": "Failed to connect"}},
        "node2": {"pacemaker_cluster_name": "c1", "ping": {"ping": "pong"},
                  "info": {"running": True, "quorum": False}},
        "node3": {"pacemaker_cluster_name": "c1", "ping": {"ping": "pong"},
                  "info": {"running": True, "quorum": True}},
        "other1": {"pacemaker_cluster_name": "c2", "ping": {"ping": "pong"},
                   "info": {"failed": True, "msg": "crm_mon failed"}},
        "lone": {"ping": {"skipped": True}},
    }
    hosts = ["node1", "node2", "node3", "other1", "lone"]
    assert f.cluster_readers(hosts, hostvars, "ping") == {"c1": "node2", "c2": "other1", "": None}
    assert f.cluster_readers(hosts, hostvars, "ping", "info") == {"c1": "node3", "c2": "other1", "": None}
    assert f.cluster_readers(["node1"], hostvars, "ping") == {"c1": None}
    with pytest.raises(AnsibleFilterError, match="no hostvars for nodeX"):
        f.cluster_readers(["nodeX"], hostvars, "ping")
