# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""_cib_build.nfs_scope_dropin: the start commands of ocf:heartbeat:nfsserver's scope drop-in.

The fixture is what resource-agents v4.12.0's nfsserver wrote under /run for
nfs_server_scope=hsc-nas from Debian 12's nfs-server.service (recorded on the
UML lab; fixtures/nfs_scope/README.md): the drop-in here must start the same
commands, with the scope written in instead of the agent's environment file.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils._cib_build import BuildError, nfs_scope_dropin

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "nfs_scope")


def fixture(name):
    with open(os.path.join(FIX, name)) as f:
        return f.read()


def exec_starts(text):
    return [line for line in text.splitlines() if line.startswith("ExecStart=")]


def test_the_agents_start_commands_with_the_scope_written_in():
    ours = nfs_scope_dropin(fixture("nfs-server.service.txt"), "hsc-nas")
    agent = fixture("agent-4.12.0-dropin.conf").replace("${NFS_SERVER_SCOPE}", "hsc-nas")
    assert exec_starts(ours) == exec_starts(agent)
    assert exec_starts(ours) == [
        "ExecStart=",
        "ExecStart=/usr/bin/unshare --uts /bin/sh -c 'hostname hsc-nas; exec \"$@\"' -- /usr/sbin/rpc.nfsd"]
    # a unit file systemd reads: one [Service] section, no environment file needed
    assert "[Service]" in ours.splitlines() and "EnvironmentFile" not in ours and ours.endswith("\n")


def test_an_empty_execstart_resets_and_prefixes_are_kept():
    unit = ("[Service]\nExecStartPre=-/usr/sbin/exportfs -r\nExecStart=/usr/sbin/old\nExecStart=\n"
            "ExecStart=/usr/sbin/rpc.nfsd\nExecStart=-/bin/sh -c 'true'\nExecStopPost=/usr/sbin/exportfs -f\n")
    assert exec_starts(nfs_scope_dropin(unit, "nas01")) == [
        "ExecStart=",
        "ExecStart=/usr/bin/unshare --uts /bin/sh -c 'hostname nas01; exec \"$@\"' -- /usr/sbin/rpc.nfsd",
        "ExecStart=-/usr/bin/unshare --uts /bin/sh -c 'hostname nas01; exec \"$@\"' -- /bin/sh -c 'true'"]


@pytest.mark.parametrize("unit, scope, message", [
    ("[Service]\nExecStart=/usr/sbin/rpc.nfsd\n", "nas 01", "is not a host name"),
    ("[Service]\nExecStart=/usr/sbin/rpc.nfsd\n", "nas;reboot", "is not a host name"),
    ("[Service]\nExecStartPre=/bin/true\n", "nas01", "has no ExecStart= line"),
    ("[Service]\nExecStart=/usr/sbin/rpc.nfsd\nExecStart=\n", "nas01", "has no ExecStart= line"),
])
def test_refusals(unit, scope, message):
    with pytest.raises(BuildError, match=message):
        nfs_scope_dropin(unit, scope)
