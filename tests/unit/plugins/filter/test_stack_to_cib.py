# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The stack_to_cib filter plugin (network check with netaddr)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.hastorage.cluster.plugins.filter.stack_to_cib import FilterModule

stack_to_cib = FilterModule().filters()["stack_to_cib"]

STACK = {"name": "share1", "layers": [
    {"kind": "filesystem", "id": "fs1", "agent": "ocf:heartbeat:Filesystem"},
    {"kind": "vip", "id": "vip1", "agent": "ocf:heartbeat:IPaddr2", "options": {"ip": "10.1.1.10", "cidr_netmask": 24}},
]}


def test_filter_returns_pcs_cib_input():
    out = stack_to_cib(STACK)
    assert out["groups"] == [{"id": "g_share1", "members": ["fs1", "vip1"]}]
    assert set(out) == {"resources", "groups", "constraints"}


def test_filter_accepts_a_list():
    assert len(stack_to_cib([STACK])["groups"]) == 1


def test_vip_on_network():
    assert stack_to_cib(STACK, networks=["192.0.2.0/24", "10.1.1.0/24"])["resources"][1]["id"] == "vip1"


@pytest.mark.parametrize("networks, message", [
    (["192.0.2.0/24"], "stack share1: VIP vip1 address 10.1.1.10 is on none of the networks 192.0.2.0/24"),
    (["10.1.0.0/16"], "stack share1: VIP vip1 has cidr_netmask 24 but its network 10.1.0.0/16 is /16"),
    (["not-a-net"], "networks:"),
])
def test_vip_network_errors(networks, message):
    with pytest.raises(AnsibleFilterError) as e:
        stack_to_cib(STACK, networks=networks)
    assert str(e.value).startswith(message)


def test_order_error_is_a_filter_error():
    bad = {"name": "s", "layers": list(reversed(STACK["layers"]))}
    with pytest.raises(AnsibleFilterError, match="layer 'vip' .vip1. must be the last layer; 'filesystem' .fs1. comes after it"):
        stack_to_cib(bad)
