# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the pytest-testinfra checks of the lab-backed molecule scenarios.

molecule/shared/tasks/testinfra.yml runs them from a scenario's verify.yml, with
testinfra's podman backend straight to the lab's node containers (no Ansible
in between):

    python -m pytest --hosts=podman://LAB-node1,podman://LAB-node2 \\
        --lab-state=lab/state/LAB/lab.json molecule/shared/tests/... molecule/SCENARIO/tests
"""

from __future__ import absolute_import, division, print_function

import collections
import json
import os

import pytest
import yaml

__metaclass__ = type  # pylint: disable=invalid-name

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# One command per question, not one per attribute: each command is a podman
# exec into the node (about 0.2 s on an idle host, seconds on a busy one).
# testinfra's modules (File, Service, User, MountPoint, Package) ask one
# attribute per command and first detect the system with several more, so the
# checks use these fixtures and host.run/check_output instead.
Stat = collections.namedtuple("Stat", "kind user group mode size")
Unit = collections.namedtuple("Unit", "enabled active")
Mount = collections.namedtuple("Mount", "device fstype")


def pytest_addoption(parser):
    parser.addoption("--lab-state", required=True,
                     help="the lab's state file (lab/state/LAB/lab.json): node names, addresses, disks")


@pytest.fixture(scope="session")
def lab_state(request):
    """The lab's state: what lab/labctl created (nodes, networks, disks, DC)."""
    with open(request.config.getoption("--lab-state"), encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def node(host, lab_state):
    """The lab's entry for the node ``host`` is: name, container, ip, repl_ip."""
    container = host.backend.name
    for entry in lab_state["nodes"]:
        if entry["container"] == container:
            return entry
    raise LookupError("%s is not a node of lab %s" % (container, lab_state["name"]))


@pytest.fixture(scope="session")
def project_yaml():
    """``project_yaml(path)``: a YAML file of the project (role defaults, scenario vars)."""
    def load(path):
        with open(os.path.join(PROJECT, path), encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    return load


def _placeholders(count):
    return " %s" * count


@pytest.fixture
def stat(host):
    """``stat(*paths)``: {path: Stat(kind, user, group, mode, size)} in one command;
    a missing path is left out."""
    def read(*paths):
        out = host.run("stat -c '%%n|%%F|%%U|%%G|%%a|%%s'" + _placeholders(len(paths)), *paths).stdout
        found = {}
        for line in out.splitlines():
            path, kind, user, group, mode, size = line.rsplit("|", 5)
            found[path] = Stat(kind, user, group, int(mode, 8), int(size))
        return found
    return read


@pytest.fixture
def units(host):
    """``units(*names)``: {name: Unit(enabled, active)} of systemd services in one command.
    enabled: UnitFileState is "enabled" (starts at boot); active: ActiveState is "active"."""
    def read(*names):
        ids = [name if "." in name else name + ".service" for name in names]
        out = host.check_output("systemctl show --property=Id,UnitFileState,ActiveState" + _placeholders(len(ids)), *ids)
        found = {}
        for block in out.strip().split("\n\n"):
            props = dict(line.split("=", 1) for line in block.splitlines())
            found[props["Id"]] = Unit(props.get("UnitFileState") == "enabled", props.get("ActiveState") == "active")
        return {name: found[unit_id] for name, unit_id in zip(names, ids)}
    return read


@pytest.fixture
def listening(host):
    """``listening()``: the node's listening sockets as {"tcp://ADDRESS:PORT", "udp://..."}
    in one command (IPv6 addresses without brackets, "::" for any)."""
    def read():
        sockets = set()
        for line in host.check_output("ss -Htuln").splitlines():
            fields = line.split()
            address, port = fields[4].rsplit(":", 1)
            address = address.strip("[]").split("%", 1)[0]
            sockets.add("%s://%s:%s" % (fields[0], "::" if address == "*" else address, port))
        return sockets
    return read


@pytest.fixture
def mounts(host):
    """``mounts()``: {mount point: Mount(device, fstype)} from /proc/mounts in one command."""
    def read():
        found = {}
        for line in host.check_output("cat /proc/mounts").splitlines():
            device, point, fstype = line.split()[:3]
            found[point] = Mount(device, fstype)
        return found
    return read
