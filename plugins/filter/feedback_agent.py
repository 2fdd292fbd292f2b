# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The feedback agent's settings checked with the agent's own rules.

The rules live in the agent (roles/feedback_agent/files/hastorage_feedback.py,
``config_problems``), which runs on the backend servers with the standard
library only; this filter loads that file so the role refuses exactly what
the agent would refuse, before anything changes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import os

from ansible.errors import AnsibleFilterError

AGENT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "roles",
                          "feedback_agent", "files", "hastorage_feedback.py")

_AGENT = []


def feedback_agent_module(path=AGENT_PATH):
    """The agent's code as a module (loaded once)."""
    if not _AGENT:
        spec = importlib.util.spec_from_file_location("hastorage_feedback_agent", path)
        if spec is None or not os.path.isfile(path):
            raise AnsibleFilterError("feedback_agent_problems: the agent's code is missing (%s)" % path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _AGENT.append(module)
    return _AGENT[0]


def feedback_agent_problems(settings, reserved_ports=None):
    """Messages for every setting the agent would refuse, and for a port in RESERVED_PORTS."""
    if not isinstance(settings, dict):
        raise AnsibleFilterError("feedback_agent_problems: expected the agent's settings as a dictionary")
    agent = feedback_agent_module()
    config = dict(agent.DEFAULTS)
    config.update(settings)
    problems = agent.config_problems(config)
    for item in reserved_ports or []:
        if not isinstance(item, dict) or "port" not in item:
            raise AnsibleFilterError("feedback_agent_problems: reserved ports must be dictionaries {port, owner}")
        try:
            port = int(item["port"])
        except (TypeError, ValueError):
            raise AnsibleFilterError("feedback_agent_problems: reserved port %r is not a number" % (item["port"],))
        if port == config.get("port"):
            problems.append("port %d is also %s's; give the agent another port"
                            % (port, item.get("owner") or "another service"))
    return problems


class FilterModule(object):
    def filters(self):
        return {"feedback_agent_problems": feedback_agent_problems}
