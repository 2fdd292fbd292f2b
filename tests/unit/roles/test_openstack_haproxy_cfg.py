# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""roles/openstack_control_plane/templates/haproxy.cfg.j2, rendered from the design's data and checked by haproxy -c.

haproxy is a required tool of the unit tests (scripts/apt-packages.txt lists
it): the check runs with -dW, so a warning fails it like an error.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os
import re
import shutil
import subprocess

import jinja2
import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils._cib_build_openstack import (
    openstack_control_plane_haproxy,
)
from ansible_collections.hastorage.cluster.tests.unit.plugins.module_utils.test_openstack_control_plane import CONFIG

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
TEMPLATE = os.path.join(ROOT, "roles", "openstack_control_plane", "templates", "haproxy.cfg.j2")
TIMEOUTS = {"connect": "5s", "client": "5m", "server": "5m", "check": "5s", "queue": "1m", "http_request": "30s"}


def render(config=None, timeouts=None):
    # the template module's environment: trim_blocks on, undefined variables fail
    env = jinja2.Environment(trim_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    with open(TEMPLATE) as f:
        template = env.from_string(f.read())
    return template.render(ansible_managed="Ansible managed",
                           __openstack_control_plane_haproxy_proxies=openstack_control_plane_haproxy(config or CONFIG),
                           openstack_control_plane_haproxy_maxconn=4096,
                           openstack_control_plane_haproxy_timeouts=timeouts or TIMEOUTS)


def haproxy_check(text, tmp_path):
    binary = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.path.exists("/usr/sbin/haproxy") else None)
    assert binary, "haproxy is not installed: scripts/apt-packages.txt lists it (make bootstrap installs it)"
    path = tmp_path / "haproxy.cfg"
    path.write_text(text)
    return subprocess.run([binary, "-c", "-dW", "-f", str(path)], capture_output=True, text=True, check=False)


def sections(text):
    """{'frontend keystone': [lines], 'backend keystone_servers': [lines], ...}, comments left out."""
    result, current = {}, None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not line.startswith(" "):
            current = stripped
            result[current] = []
        else:
            result[current].append(stripped)
    return result


def test_haproxy_accepts_the_rendered_configuration(tmp_path):
    result = haproxy_check(render(), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_haproxy_refuses_a_broken_one(tmp_path):
    # the check can fail: a timeout haproxy cannot parse
    result = haproxy_check(render(timeouts=dict(TIMEOUTS, connect="5 parsecs")), tmp_path)
    assert result.returncode != 0
    assert "timeout" in (result.stdout + result.stderr)


def test_global_and_defaults():
    conf = sections(render())
    assert "stats socket /run/haproxy/admin.sock mode 660 level admin" in conf["global"]
    assert "maxconn 4096" in conf["global"]
    for line in ("retries 3", "option redispatch", "timeout connect 5s", "timeout client 5m", "timeout server 5m",
                 "timeout check 5s", "timeout queue 1m", "timeout http-request 30s"):
        assert line in conf["defaults"], line


@pytest.mark.parametrize("name,bind,check", [
    ("keystone", "10.40.0.10:5000", "http-check send meth GET uri /v3 ver HTTP/1.1 hdr Host 10.40.0.10"),
    ("glance", "10.40.0.10:9292", "http-check send meth GET uri /healthcheck ver HTTP/1.1 hdr Host 10.40.0.10"),
    ("nova_api", "10.40.0.10:8774", "http-check send meth GET uri / ver HTTP/1.1 hdr Host 10.40.0.10"),
    ("neutron_api", "10.40.0.10:9696", "http-check send meth GET uri / ver HTTP/1.1 hdr Host 10.40.0.10"),
    ("horizon", "192.0.2.10:80", "http-check send meth GET uri /auth/login/ ver HTTP/1.1 hdr Host 192.0.2.10"),
])
def test_each_api_on_its_vip_with_its_health_check(name, bind, check):
    conf = sections(render())
    assert "bind %s" % bind in conf["frontend %s" % name]
    backend = conf["backend %s_servers" % name]
    assert check in backend and "mode http" in backend
    port = bind.split(":")[1]
    assert "server ctl-a 10.40.0.11:%s check weight 100" % port in backend
    assert "server ctl-b 10.40.0.12:%s check weight 100" % port in backend


def test_mariadb_is_a_tcp_proxy_with_a_connect_check():
    conf = sections(render())
    assert "mode tcp" in conf["frontend mariadb"] and "bind 10.40.0.10:3306" in conf["frontend mariadb"]
    assert not [line for line in conf["backend mariadb_servers"] if line.startswith("option httpchk")]


def test_a_basic_service_has_only_its_nodes_as_servers():
    backend = sections(render())["backend novncproxy_servers"]
    assert [line for line in backend if line.startswith("server")] == ["server ctl-a 10.40.0.11:6080 check weight 100"]


def test_the_weight_of_each_controller(tmp_path):
    config = copy.deepcopy(CONFIG)
    config["nodes"][1]["weight"] = 0
    text = render(config)
    assert "server ctl-b 10.40.0.12:8774 check weight 0" in text
    assert haproxy_check(text, tmp_path).returncode == 0


def test_no_frontend_for_a_port_without_vip():
    assert not [s for s in sections(render()) if re.match(r"^(frontend|backend) memcached", s)]


def test_feedback_backend_asks_each_controllers_agent(tmp_path):
    config = copy.deepcopy(CONFIG)
    nova = [s for s in config["services"] if s["name"] == "nova_api"][0]
    nova["ports"][0]["balance"] = "feedback"
    neutron = [s for s in config["services"] if s["name"] == "neutron_api"][0]
    neutron["ports"][0]["balance"] = "leastconn"
    config["feedback"] = {"port": 9801, "interval": 2}
    text = render(config)
    result = haproxy_check(text, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    conf = sections(text)
    assert "balance roundrobin" in conf["backend nova_api_servers"]
    assert [line for line in conf["backend nova_api_servers"] if line.startswith("server")] == [
        "server ctl-a 10.40.0.11:8774 check weight 100 agent-check agent-addr 10.40.0.11 agent-port 9801 "
        "agent-inter 2000ms",
        "server ctl-b 10.40.0.12:8774 check weight 100 agent-check agent-addr 10.40.0.12 agent-port 9801 "
        "agent-inter 2000ms"]
    assert "balance leastconn" in conf["backend neutron_api_servers"]
    assert not [line for line in conf["backend neutron_api_servers"] if "agent" in line]
    assert "balance source" in conf["backend mariadb_servers"]
