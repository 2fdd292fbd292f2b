# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.hastorage.cluster.plugins.filter.ip import FilterModule, ip


@pytest.mark.parametrize("value, version, expected", [
    ("10.0.0.1", 0, "10.0.0.1"),
    (" 10.0.0.1 ", 4, "10.0.0.1"),
    ("fe80::0001", 0, "fe80::1"),
    ("fe80::1", 4, False),
    ("10.0.0.1", 6, False),
    ("10.0.0.256", 0, False),
    ("10.0.0.0/24", 0, False),
    ("node1", 0, False),
    ("", 0, False),
    (None, 0, False),
    (True, 0, False),
])
def test_ip(value, version, expected):
    assert ip(value, version) == expected


def test_bad_version():
    with pytest.raises(AnsibleFilterError, match="version must be 0, 4 or 6"):
        ip("10.0.0.1", 5)


def test_registered():
    assert FilterModule().filters()["ip"] is ip
