# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.hastorage.cluster.plugins.filter.proc_hides_command_lines import FilterModule


def hides(text):
    return FilterModule().filters()["proc_hides_command_lines"](text)


@pytest.mark.parametrize("text, hidden", [
    ("sysfs /sys sysfs rw 0 0\nproc /proc proc rw,nosuid,nodev,noexec,relatime,hidepid=invisible 0 0\n", True),
    ("proc /proc proc rw,relatime 0 0\n", False),
    ("proc /proc proc rw,hidepid=2 0 0\nproc /proc proc rw 0 0\n", False),
])
def test_filter_applies_the_modules_rule(text, hidden):
    assert hides(text) is hidden


def test_filter_refuses_what_is_not_text():
    with pytest.raises(AnsibleFilterError, match="text of /proc/self/mounts"):
        hides(None)
