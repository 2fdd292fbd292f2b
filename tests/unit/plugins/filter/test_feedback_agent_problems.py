# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The feedback_agent_problems filter: the agent's own rules, plus reserved ports."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.hastorage.cluster.plugins.filter.feedback_agent import (FilterModule,
                                                                                 feedback_agent_problems)


def test_registered():
    assert FilterModule().filters()["feedback_agent_problems"] is feedback_agent_problems


def test_valid_settings_have_no_problems():
    assert feedback_agent_problems({"port": 9777, "interval": 2.0, "min_weight": 10, "max_weight": 100}) == []
    assert feedback_agent_problems({}, [{"port": 3306, "owner": "mariadb"}]) == []


@pytest.mark.parametrize("settings, message", [
    ({"min_weight": 80, "max_weight": 50}, "min_weight 80 is above max_weight 50"),
    ({"interval": 0.5}, "interval must be at least 1 (got 0.5)"),
    ({"port": "9777"}, "port must be an integer (got '9777')"),
    ({"connection_ports": [9777]}, "connection_ports must not hold the agent's own port 9777"),
])
def test_the_agents_rules(settings, message):
    assert message in feedback_agent_problems(settings)


def test_a_reserved_port_is_refused_with_its_owner():
    reserved = [{"port": 5000, "owner": "keystone"}, {"port": "3306", "owner": "mariadb"}]
    problems = feedback_agent_problems({"port": 3306}, reserved)
    assert problems == ["port 3306 is also mariadb's; give the agent another port"]


@pytest.mark.parametrize("settings, reserved", [
    ("port=1", None),
    ({}, ["3306"]),
    ({}, [{"port": "many"}]),
])
def test_bad_input_is_an_error(settings, reserved):
    with pytest.raises(AnsibleFilterError):
        feedback_agent_problems(settings, reserved)
