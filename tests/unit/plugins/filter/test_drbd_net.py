# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.hastorage.cluster.plugins.filter.drbd_net import FilterModule, drbd_duplicates, drbd_in_network


@pytest.mark.parametrize("address,network,expected", [
    ("10.77.0.11", "10.77.0.0/24", True),
    ("10.77.0.11/24", "10.77.0.0/24", False),  # the role adds the prefix: ADDR/24/24 is no address
    ("10.77.1.11", "10.77.0.0/24", False),
    ("10.77.0.0", "10.77.0.0/24", False),
    ("10.77.0.255", "10.77.0.0/24", False),
    ("10.77.0.1", "10.77.0.0/31", True),
    ("fd00::5", "fd00::/64", True),
    ("fd00::5", "10.77.0.0/24", False),
    ("node1", "10.77.0.0/24", False),
    (None, "10.77.0.0/24", False),
    (True, "10.77.0.0/24", False),
])
def test_drbd_in_network(address, network, expected):
    assert drbd_in_network(address, network) is expected


def test_drbd_in_network_bad_network():
    with pytest.raises(AnsibleFilterError, match="not a network"):
        drbd_in_network("10.0.0.1", "10.0.0.0/33")


def test_drbd_duplicates():
    assert drbd_duplicates([0, 1, 1, 2, 0, 1]) == [1, 0]
    assert drbd_duplicates([]) == []
    assert drbd_duplicates(None) == []


def test_registered():
    assert set(FilterModule().filters()) == {"drbd_in_network", "drbd_duplicates"}
