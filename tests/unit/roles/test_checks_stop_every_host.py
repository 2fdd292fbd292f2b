# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every role checks its input on every host before its first change, and any host's bad input stops them all.

A role's checks are its validate.yml and, in the design roles, the building
blocks' validate.yml with the variables the design gives them. They must be
the first thing main.yml runs, all of them inside one block with
any_errors_fatal, so that a per-host check failing on one host stops the
play for every host before anything changes on any (the offline design
targets check the behaviour: hsc_stops_every_host).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

ROLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "roles")
WITH_CHECKS = sorted(r for r in os.listdir(ROLES) if os.path.exists(os.path.join(ROLES, r, "tasks", "validate.yml")))


# read-only checks on the nodes themselves, which the design roles run after the validate.yml files
NODE_CHECKS = (("hastorage.cluster.pacemaker", "vip_interfaces.yml"),)


def is_check(task):
    """A task that runs a validate.yml (the role's own or a building block's), or a node check of NODE_CHECKS."""
    include = task.get("ansible.builtin.include_tasks") or task.get("ansible.builtin.import_tasks")
    if include is not None:
        return include == "validate.yml"
    role = task.get("ansible.builtin.include_role") or task.get("ansible.builtin.import_role")
    return bool(role) and (role.get("tasks_from") == "validate.yml"
                           or (role.get("name"), role.get("tasks_from")) in NODE_CHECKS)


@pytest.mark.parametrize("role", ["nas_dual_controller", "nas_gateway", "nas_integrated", "openstack_control_plane"])
def test_designs_check_the_vip_interfaces_last_before_any_change(role):
    inside = load(role)[0]["block"]
    last = inside[-1]
    wanted = {"name": "hastorage.cluster.pacemaker", "tasks_from": "vip_interfaces.yml"}
    assert last["ansible.builtin.include_role"] == wanted
    assert last["vars"]["pacemaker_vip_interfaces_objects"] == "{{ __%s_precheck_objects }}" % role


def load(role):
    with open(os.path.join(ROLES, role, "tasks", "main.yml")) as f:
        return yaml.safe_load(f)


def test_every_role_with_checks_is_listed():
    assert set(WITH_CHECKS) >= {"drbd", "graid", "multipath", "nas_dual_controller", "nas_gateway",
                                "nas_integrated", "nas_services", "openstack_control_plane", "pacemaker"}


@pytest.mark.parametrize("role", WITH_CHECKS)
def test_checks_come_first_in_one_block_that_stops_every_host(role):
    tasks = load(role)
    first = tasks[0]
    assert "block" in first, "%s: main.yml does not start with the checks' block" % role
    assert first.get("any_errors_fatal") is True, "%s: the checks' block needs any_errors_fatal: true" % role
    inside = first["block"]
    assert inside and all(is_check(t) for t in inside), (
        "%s: the checks' block holds something other than validate.yml: %s"
        % (role, [t.get("name") for t in inside if not is_check(t)]))
    assert is_check(inside[0]) and (inside[0].get("ansible.builtin.include_tasks") == "validate.yml"), (
        "%s: the role's own validate.yml runs first" % role)
    later = [t.get("name") for t in tasks[1:] if is_check(t)]
    assert later == [], "%s: checks after the first change: %s" % (role, later)
