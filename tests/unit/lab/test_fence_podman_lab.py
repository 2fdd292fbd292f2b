# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""lab/fence_podman_lab.py against a fake libpod API on 127.0.0.1.

The agent runs as pacemaker-fenced runs it (options on stdin) with the real
fencing library from fence-agents; only pycurl, which the library imports but
this agent never uses, is stubbed when the host lacks it.
"""

from __future__ import absolute_import, division, print_function

import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

__metaclass__ = type  # pylint: disable=invalid-name

AGENT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "lab", "fence_podman_lab.py"))
FENCING = "/usr/share/fence/fencing.py"
# the agent runs with the system Python, as in the nodes (fencing.py needs python3-pexpect)
SYSTEM_PYTHON = "/usr/bin/python3"

pytestmark = pytest.mark.skipif(not os.path.exists(FENCING), reason="fence-agents is not installed")


class FakePodman(BaseHTTPRequestHandler):
    containers = {}
    calls = []

    def log_message(self, *args):  # pylint: disable=arguments-differ
        pass

    def _reply(self, status, body=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802  pylint: disable=invalid-name
        path = self.path.split("?", 1)[0]
        self.calls.append(("GET", self.path))
        if path == "/v4.0.0/libpod/containers/json":
            self._reply(200, [{"Names": [n], "State": "running" if c["Running"] else "exited"}
                              for n, c in sorted(self.containers.items())])
            return
        name = path.split("/")[4]
        if name not in self.containers:
            self._reply(404, {"message": "no such container"})
            return
        self._reply(200, {"State": dict(self.containers[name])})

    def do_POST(self):  # noqa: N802  pylint: disable=invalid-name
        path = self.path.split("?", 1)[0]
        self.calls.append(("POST", self.path))
        parts = path.split("/")
        name, verb = parts[4], parts[5]
        cont = self.containers.get(name)
        if cont is None:
            self._reply(404, {"message": "no such container"})
            return
        # like libpod: a paused container has Running=false, Paused=true
        if verb == "kill":
            if not (cont["Running"] or cont["Paused"]):
                self._reply(409, {"message": "not running"})
                return
            if cont["Paused"]:
                cont["KillPending"] = True  # the signal waits in the frozen cgroup
            else:
                cont["Running"] = False
        elif verb == "unpause":
            cont["Paused"] = False
            cont["Running"] = not cont.pop("KillPending", False)
        elif verb == "start":
            if cont["Running"]:
                self._reply(304)
                return
            cont.update(Running=True, Paused=False, Starts=cont.get("Starts", 0) + 1)
            cont.pop("KillPending", None)
        self._reply(204)


@pytest.fixture(name="api")
def fixture_api():
    FakePodman.containers = {
        "lab-node1": {"Running": True, "Paused": False},
        "lab-node2": {"Running": True, "Paused": False},
        "other": {"Running": False, "Paused": False},
    }
    FakePodman.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakePodman)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def run_agent(tmp_path, options, server=None, under_fenced=True):
    stub = tmp_path / "stub"
    stub.mkdir(exist_ok=True)
    try:
        import pycurl  # noqa: F401  pylint: disable=unused-import,import-outside-toplevel
    except ImportError:
        (stub / "pycurl.py").write_text("# stand-in: fencing.py imports pycurl, this agent never uses it\n")
    env = dict(os.environ, PYTHONPATH=str(stub), LC_ALL="C")
    if under_fenced:
        env["PCMK_service"] = "pacemaker-fenced"  # the fencing library then sets timeouts to 0
    lines = dict(options)
    if server is not None:
        lines.update(ip="127.0.0.1", ipport=str(server.server_address[1]))
    stdin = "".join("%s=%s\n" % kv for kv in lines.items())
    return subprocess.run([SYSTEM_PYTHON, AGENT], input=stdin, capture_output=True, text=True,
                          env=env, timeout=120, check=False)


def test_status_on_and_off(api, tmp_path):
    assert run_agent(tmp_path, {"action": "status", "plug": "lab-node1"}, api).returncode == 0
    FakePodman.containers["lab-node1"]["Running"] = False
    # fencing library: status of a powered-off plug exits 2
    assert run_agent(tmp_path, {"action": "status", "plug": "lab-node1"}, api).returncode == 2


def test_off_kills(api, tmp_path):
    proc = run_agent(tmp_path, {"action": "off", "plug": "lab-node2"}, api)
    assert proc.returncode == 0, proc.stderr
    assert FakePodman.containers["lab-node2"]["Running"] is False
    assert FakePodman.containers["lab-node1"]["Running"] is True
    assert ("POST", "/v4.0.0/libpod/containers/lab-node2/kill?signal=SIGKILL") in FakePodman.calls


def test_frozen_container_is_on(api, tmp_path):
    FakePodman.containers["lab-node2"].update(Running=False, Paused=True)
    assert run_agent(tmp_path, {"action": "status", "plug": "lab-node2"}, api).returncode == 0


def test_off_thaws_a_frozen_container_so_it_dies(api, tmp_path):
    FakePodman.containers["lab-node2"].update(Running=False, Paused=True)
    proc = run_agent(tmp_path, {"action": "off", "plug": "lab-node2"}, api)
    assert proc.returncode == 0, proc.stderr
    assert FakePodman.containers["lab-node2"]["Running"] is False
    assert FakePodman.containers["lab-node2"]["Paused"] is False
    assert ("POST", "/v4.0.0/libpod/containers/lab-node2/kill?signal=SIGKILL") in FakePodman.calls
    assert ("POST", "/v4.0.0/libpod/containers/lab-node2/unpause") in FakePodman.calls


def test_reboot_of_a_frozen_container_restarts_it(api, tmp_path):
    FakePodman.containers["lab-node2"].update(Running=False, Paused=True)
    proc = run_agent(tmp_path, {"action": "reboot", "plug": "lab-node2"}, api)
    assert proc.returncode == 0, proc.stderr
    assert FakePodman.containers["lab-node2"]["Running"] is True
    assert FakePodman.containers["lab-node2"]["Starts"] == 1


def test_reboot_kills_then_starts(api, tmp_path):
    proc = run_agent(tmp_path, {"action": "reboot", "plug": "lab-node1"}, api)
    assert proc.returncode == 0, proc.stderr
    cont = FakePodman.containers["lab-node1"]
    assert cont["Running"] is True and cont["Starts"] == 1
    posts = [c[1] for c in FakePodman.calls if c[0] == "POST"]
    assert posts == ["/v4.0.0/libpod/containers/lab-node1/kill?signal=SIGKILL",
                     "/v4.0.0/libpod/containers/lab-node1/start"]


def test_reboot_cycle_method(api, tmp_path):
    proc = run_agent(tmp_path, {"action": "reboot", "plug": "lab-node1", "method": "cycle"}, api)
    assert proc.returncode == 0, proc.stderr
    assert FakePodman.containers["lab-node1"]["Starts"] == 1


def test_on_starts(api, tmp_path):
    proc = run_agent(tmp_path, {"action": "on", "plug": "other"}, api)
    assert proc.returncode == 0, proc.stderr
    assert FakePodman.containers["other"]["Running"] is True


def test_list_and_monitor_with_prefix(api, tmp_path):
    proc = run_agent(tmp_path, {"action": "list", "container_prefix": "lab-node"}, api)
    assert proc.returncode == 0, proc.stderr
    listed = [c for c in FakePodman.calls if c[1].startswith("/v4.0.0/libpod/containers/json")]
    assert "filters=" in listed[0][1] and "lab-node" in listed[0][1]
    assert run_agent(tmp_path, {"action": "monitor"}, api).returncode == 0


def test_unknown_container_fails(api, tmp_path):
    proc = run_agent(tmp_path, {"action": "off", "plug": "nope"}, api)
    assert proc.returncode != 0
    assert "no container named nope" in proc.stderr


def test_unreachable_api_fails(tmp_path):
    proc = run_agent(tmp_path, {"action": "status", "plug": "lab-node1", "ip": "127.0.0.1", "ipport": "1"})
    assert proc.returncode != 0
    assert "cannot reach the podman API" in proc.stderr


def test_metadata(tmp_path):
    proc = run_agent(tmp_path, {"action": "metadata"})
    assert proc.returncode == 0
    for param in ("ip", "ipport", "plug", "container_prefix", "api_version"):
        assert 'name="%s"' % param in proc.stdout
