# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""lab/uml/fence_uml_lab.py against umlctl's real power API handler on 127.0.0.1.

The agent runs as pacemaker-fenced runs it (options on stdin) with the real
fencing library from fence-agents. The HTTP server is umlctl.PowerHandler;
only the host-side power functions (which kill and start UML processes) are
replaced by a fake that records what was asked.
"""

from __future__ import absolute_import, division, print_function

import contextlib
import os
import subprocess
import sys
import threading
from http.server import HTTPServer

import pytest

LAB_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "lab"))
sys.path.insert(0, LAB_DIR)
import umlctl  # noqa: E402  pylint: disable=wrong-import-position,import-error

__metaclass__ = type  # pylint: disable=invalid-name

AGENT = os.path.join(LAB_DIR, "uml", "fence_uml_lab.py")
FENCING = "/usr/share/fence/fencing.py"
SYSTEM_PYTHON = "/usr/bin/python3"

pytestmark = pytest.mark.skipif(not os.path.exists(FENCING), reason="fence-agents is not installed")


class FakePower:
    """Power state of the lab's nodes as the host would see it."""

    def __init__(self):
        self.power = {"node1": "on", "node2": "on"}
        self.calls = []

    def power_state(self, node):
        return self.power[node["name"]]

    def kill_node(self, node):
        self.calls.append(("off", node["name"]))
        self.power[node["name"]] = "off"  # a frozen node dies too

    def start_node(self, state, node):
        del state
        self.calls.append(("on", node["name"]))
        if self.power[node["name"]] == "off":
            self.power[node["name"]] = "on"


@pytest.fixture(name="api")
def fixture_api(monkeypatch):
    fake = FakePower()
    monkeypatch.setattr(umlctl, "power_state", fake.power_state)
    monkeypatch.setattr(umlctl, "kill_node", fake.kill_node)
    monkeypatch.setattr(umlctl, "start_node", fake.start_node)
    monkeypatch.setattr(umlctl, "lab_lock", lambda name: contextlib.nullcontext())
    monkeypatch.setattr(umlctl, "log", lambda msg: None)
    monkeypatch.setattr(umlctl.PowerHandler, "lab_state",
                        {"name": "t", "nodes": [{"name": "node1"}, {"name": "node2"}]})
    server = HTTPServer(("127.0.0.1", 0), umlctl.PowerHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, fake
    server.shutdown()
    server.server_close()


def run_agent(tmp_path, options, server=None):
    stub = tmp_path / "stub"
    stub.mkdir(exist_ok=True)
    try:
        import pycurl  # noqa: F401  pylint: disable=unused-import,import-outside-toplevel
    except ImportError:
        (stub / "pycurl.py").write_text("# stand-in: fencing.py imports pycurl, this agent never uses it\n")
    env = dict(os.environ, PYTHONPATH=str(stub), LC_ALL="C", PCMK_service="pacemaker-fenced")
    lines = dict(options)
    if server is not None:
        lines.update(ip="127.0.0.1", ipport=str(server.server_address[1]))
    stdin = "".join("%s=%s\n" % kv for kv in lines.items())
    return subprocess.run([SYSTEM_PYTHON, AGENT], input=stdin, capture_output=True, text=True,
                          env=env, timeout=120, check=False)


def test_status_on_off_and_frozen(api, tmp_path):
    server, fake = api
    assert run_agent(tmp_path, {"action": "status", "plug": "node1"}, server).returncode == 0
    fake.power["node1"] = "frozen"  # a frozen node is on: fencing must still kill it
    assert run_agent(tmp_path, {"action": "status", "plug": "node1"}, server).returncode == 0
    fake.power["node1"] = "off"
    # fencing library: status of a powered-off plug exits 2
    assert run_agent(tmp_path, {"action": "status", "plug": "node1"}, server).returncode == 2


def test_off_of_a_frozen_node(api, tmp_path):
    server, fake = api
    fake.power["node2"] = "frozen"
    proc = run_agent(tmp_path, {"action": "off", "plug": "node2"}, server)
    assert proc.returncode == 0, proc.stderr
    assert fake.calls == [("off", "node2")]
    assert fake.power == {"node1": "on", "node2": "off"}


def test_reboot_is_off_then_on(api, tmp_path):
    server, fake = api
    proc = run_agent(tmp_path, {"action": "reboot", "plug": "node1"}, server)
    assert proc.returncode == 0, proc.stderr
    assert fake.calls == [("off", "node1"), ("on", "node1")]
    assert fake.power["node1"] == "on"


def test_reboot_cycle_method(api, tmp_path):
    server, fake = api
    proc = run_agent(tmp_path, {"action": "reboot", "plug": "node2", "method": "cycle"}, server)
    assert proc.returncode == 0, proc.stderr
    assert fake.calls == [("off", "node2"), ("on", "node2")]


def test_on_starts(api, tmp_path):
    server, fake = api
    fake.power["node2"] = "off"
    proc = run_agent(tmp_path, {"action": "on", "plug": "node2"}, server)
    assert proc.returncode == 0, proc.stderr
    assert fake.calls == [("on", "node2")] and fake.power["node2"] == "on"


def test_list_and_monitor(api, tmp_path):
    server, fake = api
    fake.power["node2"] = "off"
    proc = run_agent(tmp_path, {"action": "list"}, server)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["node1,node1", "node2,node2"]
    assert run_agent(tmp_path, {"action": "monitor"}, server).returncode == 0


def test_unknown_node_fails_and_nothing_is_powered(api, tmp_path):
    server, fake = api
    proc = run_agent(tmp_path, {"action": "off", "plug": "node9"}, server)
    assert proc.returncode != 0
    assert "the lab has no node node9" in proc.stderr
    assert not fake.calls


def test_unreachable_api_fails(tmp_path):
    proc = run_agent(tmp_path, {"action": "status", "plug": "node1", "ip": "127.0.0.1", "ipport": "1"})
    assert proc.returncode != 0
    assert "cannot reach the lab power API" in proc.stderr


def test_metadata_names_the_agent(tmp_path):
    proc = run_agent(tmp_path, {"action": "metadata"})
    assert proc.returncode == 0, proc.stderr
    # the library names the agent after its file: fence_uml_lab in the guests
    assert '<resource-agent name="fence_uml_lab.py"' in proc.stdout
    assert "User-mode Linux" in proc.stdout
