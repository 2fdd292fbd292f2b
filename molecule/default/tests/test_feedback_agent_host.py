# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Host state of the feedback agents (hastorage.cluster.feedback_agent) after
converge: the script, its settings and the agent's unit on every node, the
agent listening on the node's lab address; the fallback on node1 only, next
to the HAProxy that asks the agents."""

from __future__ import absolute_import, division, print_function

import json

import pytest

__metaclass__ = type  # pylint: disable=invalid-name

AGENT_PORT = 9777


@pytest.fixture(scope="module")
def feedback_vars(project_yaml):
    return project_yaml("molecule/default/vars/feedback.yml")


def test_the_script_and_its_settings(stat, host, node, feedback_vars):
    code = "/usr/local/lib/hastorage-feedback/hastorage_feedback.py"
    files = stat("/usr/local/sbin/hastorage-feedback", code, "/etc/hastorage/feedback-agent.json")
    assert files["/usr/local/sbin/hastorage-feedback"].mode == 0o755
    assert files[code].mode == 0o644
    # the command operators type runs the code
    assert host.run("/usr/local/sbin/hastorage-feedback state").stdout.strip() in ("ready", "drain", "maint")
    assert files["/etc/hastorage/feedback-agent.json"].mode == 0o644
    settings = json.loads(host.file("/etc/hastorage/feedback-agent.json").content_string)
    assert settings["address"] == node["ip"]
    assert settings["port"] == AGENT_PORT
    assert settings["connection_ports"] == [feedback_vars["feedback_backend_port"]]
    assert settings["coefficients"] == {"connections": 1}
    assert isinstance(settings["interval"], float) and settings["interval"] == 1.0


def test_the_agent_runs_and_listens_on_the_lab_address(units, listening, node):
    unit = units("hastorage-feedback-agent")["hastorage-feedback-agent"]
    assert unit.enabled and unit.active
    assert "tcp://%s:%d" % (node["ip"], AGENT_PORT) in listening()


def test_the_fallback_runs_next_to_haproxy_only(units, node, feedback_vars):
    found = units("hastorage-feedback-fallback", "haproxy")
    on_haproxy_node = node["name"] == feedback_vars["feedback_haproxy_node"]
    assert found["hastorage-feedback-fallback"].active == on_haproxy_node
    assert found["hastorage-feedback-fallback"].enabled == on_haproxy_node
    if on_haproxy_node:
        assert found["haproxy"].active and found["haproxy"].enabled
