# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Agents' metadata checks of pcs_cib (module_utils/_agent_meta.py), on recorded metadata."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils import _agent_meta as am
from ansible_collections.hastorage.cluster.plugins.module_utils import _cib

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "pcs")


def recorded(agent):
    with open(os.path.join(FIXTURES, "metadata-agent-%s.xml" % agent.replace(":", "-"))) as f:
        return f.read()


def test_parse_fence_ipmilan_knows_deprecated_names_and_what_obsoletes_them():
    params = am.parse_metadata(recorded("stonith:fence_ipmilan"))
    assert params["ipaddr"] == {"required": False, "deprecated": True, "private": False, "obsoletes": None}
    assert params["ip"]["obsoletes"] == "ipaddr"
    assert params["password"]["obsoletes"] == "passwd"


@pytest.mark.parametrize("text, message", [
    ("not xml", "the metadata is not XML"),
    ("<html/>", "not a resource-agent document (root <html>)"),
])
def test_parse_refuses_what_is_no_metadata(text, message):
    with pytest.raises(am.MetadataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        am.parse_metadata(text)


SYNTHETIC = """<resource-agent name="x"><parameters>
<parameter name="new" required="1" obsoletes="old"/><parameter name="old" required="1" deprecated="1"/>
<parameter name="port" required="1"/><parameter name="extra" required="0"/></parameters></resource-agent>"""


@pytest.mark.parametrize("options, stonith, errors", [
    # a required option is satisfied by the deprecated name it obsoletes
    ({"old": "1"}, True, []),
    ({"new": "1"}, True, []),
    # the fencer supplies port; an OCF agent does not get it for free
    ({"new": "1"}, False, ["resources[r].options: ocf:x:x requires option 'port'"]),
    ({}, True, ["stonith[r].options: ocf:x:x requires option 'new'"]),
    # None removes an option: it does not count as given
    ({"new": None}, True, ["stonith[r].options: ocf:x:x requires option 'new'"]),
    ({"new": "1", "pcmk_host_list": "a"}, True, []),
    ({"new": "1", "port": "p", "pcmk_host_list": "a"}, False,
     ["resources[r].options: ocf:x:x has no option 'pcmk_host_list'"]),
    ({"new": "1", "port": "p", "trace_ra": "1"}, False, []),
    ({"new": "1", "trace_ra": "1"}, True, ["stonith[r].options: ocf:x:x has no option 'trace_ra'"]),
    ({"new": "1", "extar": "1"}, True, ["stonith[r].options: ocf:x:x has no option 'extar' (did you mean extra?)"]),
])
def test_option_errors(options, stonith, errors):
    params = am.parse_metadata(SYNTHETIC)
    field = "stonith" if stonith else "resources"
    assert am.option_errors(field, "r", "ocf:x:x", options, params, stonith) == errors


def test_input_errors_check_only_read_agents_and_present_ocf_or_stonith_resources():
    desired = _cib.normalise_input({
        "resources": [{"id": "vip", "agent": "ocf:heartbeat:IPaddr2", "options": {"cidr_netmask": 24}},
                      {"id": "gone", "state": "absent"},
                      {"id": "smb", "agent": "systemd:smbd", "options": {"whatever": 1}},
                      {"id": "fs", "agent": "ocf:heartbeat:Filesystem", "options": {"bogus": 1}}],
        "stonith": [{"id": "f1", "agent": "fence_ipmilan", "options": {"ip": "10.0.0.1"}}]})
    assert sorted(am.agents_to_check(desired)) == ["ocf:heartbeat:Filesystem", "ocf:heartbeat:IPaddr2",
                                                   "stonith:fence_ipmilan"]
    metadata = {"ocf:heartbeat:IPaddr2": recorded("ocf:heartbeat:IPaddr2"),
                "stonith:fence_ipmilan": recorded("stonith:fence_ipmilan")}
    assert am.input_errors(desired, metadata) == ["resources[vip].options: ocf:heartbeat:IPaddr2 requires option 'ip'"]
    assert am.input_errors(desired, {"ocf:heartbeat:IPaddr2": "garbage"}) == [
        "ocf:heartbeat:IPaddr2: the metadata is not XML (syntax error: line 1, column 0)"]


def test_private_names_from_the_agents_metadata():
    text = ('<resource-agent name="v"><parameters><parameter name="a" private="1"/><parameter name="b"/>'
            '<parameter name="c" private="true"/></parameters></resource-agent>')
    assert am.parse_metadata(text)["a"]["private"] is True
    assert am.private_names({"ocf:x:v": text, "ocf:x:bad": "garbage"}) == ["a", "c"]
    # the recorded agents of Debian 12 mark none (Pacemaker then treats password, passwd and user as private)
    assert am.private_names({"stonith:fence_ipmilan": recorded("stonith:fence_ipmilan")}) == []
