# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The multipath role's template, its WWID pattern and the multipath_portal filter."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import jinja2
import pytest
import yaml

from ansible.plugins.filter.core import regex_escape

from ansible_collections.hastorage.cluster.plugins.filter.multipath_portal import multipath_portal
from ansible_collections.hastorage.cluster.plugins.module_utils import _multipath

ROLE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles", "multipath"))
LUN1 = "360014056b3e2a1000014a00800000000"
LUN2 = "360014056b3e2a1000024a00800000000"


def load(rel):
    with open(os.path.join(ROLE, rel)) as f:
        return yaml.safe_load(f)


def render(**overrides):
    values = load("defaults/main.yml")
    values.update(overrides)
    values["ansible_managed"] = "Ansible managed"
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(ROLE, "templates")),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["regex_escape"] = regex_escape
    return env.get_template("multipath.conf.j2").render(**values)


def section(text, name):
    """The body of a top-level ``name { ... }`` section (nested braces included)."""
    start = text.index("\n%s {" % name) + len(name) + 3
    depth, i = 1, start
    while depth:
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
    return text[start:i - 1]


def test_role_pattern_is_the_module_pattern():
    assert load("vars/main.yml")["__multipath_wwid_re"] == _multipath.WWID_PATTERN


def test_template_whitelists_only_the_luns_with_a_bounded_retry_per_map():
    text = render(multipath_luns=[{"wwid": LUN1, "alias": "lun1"}, {"wwid": LUN2, "alias": "lun2"}])
    defaults = section(text, "defaults")
    assert re.search(r"^\s+find_multipaths strict$", defaults, re.M)
    assert re.search(r"^\s+no_path_retry 6$", defaults, re.M)
    assert re.search(r"^\s+polling_interval 5$", defaults, re.M)
    assert section(text, "blacklist").split() == ["wwid", '".*"']
    assert re.findall(r'wwid "(.*)"', section(text, "blacklist_exceptions")) == ["^%s$" % LUN1, "^%s$" % LUN2]
    maps = section(text, "multipaths")
    assert re.findall(r"multipath \{\s+wwid (\S+)\s+alias (\S+)\s+no_path_retry (\d+)\s+\}", maps) == [
        (LUN1, "lun1", "6"), (LUN2, "lun2", "6")]
    assert "queue" not in re.sub(r"#.*", "", text)
    assert "about 30 s" in text


def test_template_escapes_nvme_wwids_in_the_exception_regex():
    text = render(multipath_luns=[{"wwid": "eui.0025388b71c0a1b2", "alias": "nvme1"}])
    assert 'wwid "^eui\\.0025388b71c0a1b2$"' in text


def test_template_with_other_timing():
    text = render(multipath_luns=[{"wwid": LUN1, "alias": "a"}], multipath_no_path_retry=3,
                  multipath_polling_interval=2)
    assert "about 6 s" in text and re.search(r"^\s+no_path_retry 3$", section(text, "multipaths"), re.M)


@pytest.mark.parametrize("portal,want", [
    ("10.89.141.11:3260", {"address": "10.89.141.11", "port": 3260}),
    ("[fd00::0011]:3261", {"address": "fd00::11", "port": 3261}),
    ("10.89.141.11", False),
    ("san1.example:3260", False),
    ("fd00::11:3260", False),
    ("10.89.141.11:0", False),
    ("10.89.141.11:65536", False),
    ("10.89.141.300:3260", False),
    ("[10.0.0.1]:3260", False),
    (None, False),
    (3260, False),
])
def test_multipath_portal(portal, want):
    assert multipath_portal(portal) == want
