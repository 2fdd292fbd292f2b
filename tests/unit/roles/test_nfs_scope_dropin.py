# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""roles/nas_integrated/files/hastorage-nfs-scope-dropin, run for real as a process.

It must write the drop-in ocf:heartbeat:nfsserver (resource-agents 4.12.0)
writes at its first start after a boot, so that the agent finds its end tag
and skips its own write and its `systemctl daemon-reload`. `systemctl` is a
fake on PATH that prints the recorded unit and logs the reloads.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "..", "roles", "nas_integrated", "files", "hastorage-nfs-scope-dropin")
FIX = os.path.join(HERE, "..", "fixtures", "nfs_scope")
DROPIN = os.path.join("systemd", "system", "nfs-server.service.d", "51-resource-agents-unshare-uts.conf")

FAKE_SYSTEMCTL = """#!/bin/sh
case "$1" in
  cat) cat "$FAKE_UNIT";;
  daemon-reload) echo daemon-reload >> "$FAKE_LOG";;
  *) echo "unexpected: $*" >&2; exit 1;;
esac
"""


@pytest.fixture
def env(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "systemctl"
    fake.write_text(FAKE_SYSTEMCTL)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return dict(os.environ, PATH="%s:%s" % (bindir, os.environ["PATH"]), NFS_SERVER_SCOPE="hsc-nas",
                HSC_NFS_SCOPE_RUN_DIR=str(tmp_path / "run"), FAKE_UNIT=os.path.join(FIX, "nfs-server.service.txt"),
                FAKE_LOG=str(tmp_path / "reloads"))


def run(env):
    return subprocess.run(["sh", SCRIPT], env=env, capture_output=True, text=True, check=False)


def reloads(env):
    path = env["FAKE_LOG"]
    return open(path).read().split() if os.path.exists(path) else []


def test_writes_the_agents_own_drop_in_and_reloads_once(env):
    result = run(env)
    assert result.returncode == 0, result.stderr
    run_dir = env["HSC_NFS_SCOPE_RUN_DIR"]
    with open(os.path.join(run_dir, DROPIN)) as f:
        written = f.read().replace(run_dir + "/", "/run/")
    with open(os.path.join(FIX, "agent-4.12.0-dropin.conf")) as f:
        assert written == f.read()
    with open(os.path.join(run_dir, "sysconfig", "nfs-server-scope")) as f:
        assert f.read() == "NFS_SERVER_SCOPE=hsc-nas\n"
    assert reloads(env) == ["daemon-reload"]
    assert not os.path.exists(os.path.join(run_dir, DROPIN) + ".tmp")


def test_a_second_run_finds_the_end_tag_and_does_not_reload(env):
    assert run(env).returncode == 0
    env["NFS_SERVER_SCOPE"] = "other-scope"
    assert run(env).returncode == 0
    assert reloads(env) == ["daemon-reload"]
    with open(os.path.join(env["HSC_NFS_SCOPE_RUN_DIR"], "sysconfig", "nfs-server-scope")) as f:
        assert f.read() == "NFS_SERVER_SCOPE=other-scope\n"


def test_refuses_without_a_scope(env):
    del env["NFS_SERVER_SCOPE"]
    result = run(env)
    assert result.returncode != 0 and "NFS_SERVER_SCOPE is not set" in result.stderr
    assert reloads(env) == []
