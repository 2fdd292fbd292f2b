# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""roles/nas_services/files/tcp_tickle, the OCF agent, run with resource-agents'
ocf-shellfuncs (a host package of the bootstrap) and a fake ss and tickle_tcp:
what it records, when it writes, whom it tickles, and that stop and monitor
never fail."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")
AGENT = os.path.abspath(os.path.join(ROOT, "roles", "nas_services", "files", "tcp_tickle"))
OCF_ROOT = "/usr/lib/ocf"

pytestmark = pytest.mark.skipif(not os.path.exists(os.path.join(OCF_ROOT, "lib", "heartbeat", "ocf-shellfuncs")),
                                reason="needs resource-agents (scripts/apt-packages.txt)")

# ss -Htn state established: Recv-Q Send-Q Local:Port Peer:Port
SS = """0      0      10.1.1.10:2049     10.1.2.7:871
0      0      10.1.1.10:2049     10.1.2.8:1002
0      0      [::ffff:10.1.1.10]:445   [::ffff:10.1.2.7]:50123
0      0      10.1.1.10:22       10.1.2.7:40000
0      0      10.1.1.11:2049     10.1.2.9:900
0      0      10.1.1.100:2049    10.1.2.9:901
0      0      [fe80::1]:445      [fe80::2]:40001
"""
RECORDED = "10.1.1.10:2049\t10.1.2.7:871\n10.1.1.10:2049\t10.1.2.8:1002\n10.1.1.10:445\t10.1.2.7:50123\n"


@pytest.fixture
def agent(tmp_path):
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "ss").write_text('#!/bin/sh\necho "$*" >> "$FAKE_LOG.ss"\ncat "$FAKE_SS"\n')
    (tools / "tickle_tcp").write_text('#!/bin/sh\necho "args: $*" >> "$FAKE_LOG"\ncat >> "$FAKE_LOG"\n')
    # sync: record what was synced, then sync it for real
    (tools / "sync").write_text('#!/bin/sh\necho "$*" >> "$FAKE_LOG.sync"\nexec /bin/sync "$@"\n')
    # findmnt -rn -o TARGET --mountpoint M: M when the test says M is mounted
    (tools / "findmnt").write_text('#!/bin/sh\nfor a; do last=$a; done\n'
                                   '[ -n "$FAKE_MOUNTED" ] && [ "$last" = "$FAKE_MOUNTED" ] && echo "$last"\nexit 0\n')
    for tool in ("ss", "tickle_tcp", "sync", "findmnt"):
        os.chmod(str(tools / tool), 0o755)
    tickle_dir = tmp_path / "state" / "tickle"
    tickle_dir.mkdir(parents=True)
    rsctmp = tmp_path / "run"
    rsctmp.mkdir()
    ss_out = tmp_path / "ss.out"
    ss_out.write_text(SS)

    def run(action, probe=False, no_tools=False, mounted="", **params):
        env = {"PATH": "%s:/usr/bin:/bin:/usr/sbin:/sbin" % tools, "OCF_ROOT": OCF_ROOT,
               "OCF_RESOURCE_INSTANCE": "tickle_share1", "HA_RSCTMP": str(rsctmp),
               "TICKLE_TCP": str(tools / "tickle_tcp"), "FAKE_SS": str(ss_out),
               "FAKE_LOG": str(tmp_path / "tickle.log"), "__OCF_ACTION": action,
               "OCF_RESKEY_CRM_meta_interval": "0" if probe else "10000", "FAKE_MOUNTED": mounted}
        options = {"ip": "10.1.1.10", "portno": "2049,445", "tickle_dir": str(tickle_dir)}
        options.update(params)
        env.update(("OCF_RESKEY_%s" % k, v) for k, v in options.items() if v is not None)
        if no_tools:
            env["OCF_TESTER_FAIL_HAVE_BINARY"] = "1"  # resource-agents' hook: have_binary finds nothing
        proc = subprocess.run(["/bin/sh", AGENT, action], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, universal_newlines=True, check=False)
        return proc.returncode, proc.stdout

    run.tickle_dir = tickle_dir
    run.list = tickle_dir / "10.1.1.10"
    run.ss = ss_out
    run.log = tmp_path / "tickle.log"
    run.rsctmp = rsctmp
    run.synced = tmp_path / "tickle.log.sync"
    return run


def test_meta_data_lists_the_parameters(agent):
    rc, out = agent("meta-data")
    assert rc == 0
    for name in ("ip", "portno", "tickle_dir", "mountpoint", "count"):
        assert '<parameter name="%s"' % name in out


def test_start_without_a_list_then_monitor_records_the_vips_service_connections(agent):
    assert agent("monitor")[0] == 7  # not running before start
    rc, out = agent("start")
    assert rc == 0 and "no recorded connection of 10.1.1.10" in out
    assert not agent.log.exists()
    # start recorded what this node holds: the VIP's NFS and SMB clients only (not port 22, not other
    # addresses, not an address that merely starts with the VIP's), IPv4-mapped ends written plainly, sorted
    assert agent.list.read_text() == RECORDED
    assert agent("monitor")[0] == 0
    assert agent.list.read_text() == RECORDED
    assert sorted(p.name for p in agent.tickle_dir.iterdir()) == ["10.1.1.10"]


def test_the_list_is_rewritten_only_when_it_changed(agent):
    agent("start")
    before = agent.list.stat()
    synced = agent.synced.read_text().splitlines()
    assert synced and set(synced) == {"-- %s" % agent.tickle_dir}  # start wrote the list: its directory synced
    os.utime(str(agent.list), (1, 1))
    assert agent("monitor")[0] == 0
    assert agent.list.stat().st_mtime == 1  # unchanged list: the replicated file is not touched
    assert agent.synced.read_text().splitlines() == synced  # ... nor its directory synced
    agent.ss.write_text("0 0 10.1.1.10:2049 10.1.2.7:871\n")
    assert agent("monitor")[0] == 0
    assert agent.list.read_text() == "10.1.1.10:2049\t10.1.2.7:871\n"
    assert agent.list.stat().st_ino != before.st_ino  # replaced by rename, never written in place
    # the rename made durable: the directory synced after it (a frozen node's last list must be
    # on the replicated disk, not only in its page cache)
    assert agent.synced.read_text().splitlines() == synced + ["-- %s" % agent.tickle_dir]
    # a probe (monitor with interval 0) records nothing
    agent.ss.write_text("")
    agent("monitor", probe=True)
    assert agent.list.read_text() == "10.1.1.10:2049\t10.1.2.7:871\n"


def test_start_after_a_failover_tickles_every_recorded_client(agent):
    agent.list.write_text(RECORDED)
    agent.ss.write_text("")  # the node that took over holds none of them
    rc, out = agent("start")
    assert rc == 0
    assert "sent tickle ACKs to 3 of 3 recorded connection(s) of 10.1.1.10" in out
    assert agent.log.read_text() == "args: -n 3\n" + RECORDED
    assert agent.list.read_text() == ""


def test_start_does_not_tickle_the_connections_this_node_holds(agent):
    agent.list.write_text(RECORDED)
    # this node holds one of them already (the stack came back before that client noticed)
    agent.ss.write_text("0 0 10.1.1.10:2049 10.1.2.8:1002\n")
    rc, out = agent("start", count="5")
    assert rc == 0
    assert "sent tickle ACKs to 2 of 3 recorded connection(s) of 10.1.1.10" in out
    assert agent.log.read_text() == "args: -n 5\n10.1.1.10:2049\t10.1.2.7:871\n10.1.1.10:445\t10.1.2.7:50123\n"
    # and what it holds now is the list from then on
    assert agent.list.read_text() == "10.1.1.10:2049\t10.1.2.8:1002\n"


def test_stop_records_for_the_node_that_takes_over(agent):
    agent("start")
    agent.ss.write_text("0 0 10.1.1.10:445 10.1.2.9:1234\n")
    assert agent("stop")[0] == 0
    assert agent.list.read_text() == "10.1.1.10:445\t10.1.2.9:1234\n"
    assert agent("monitor")[0] == 7
    # a second stop, or a stop of a stopped resource, records nothing and succeeds
    agent.ss.write_text("")
    assert agent("stop")[0] == 0
    assert agent.list.read_text() == "10.1.1.10:445\t10.1.2.9:1234\n"


@pytest.mark.parametrize("params, message", [
    ({"ip": "vip1"}, "ip must be an IPv4 address, got 'vip1'"),
    ({"ip": None}, "ip must be an IPv4 address, got ''"),
    ({"portno": "2049;445"}, "portno must be ports separated by commas"),
    ({"tickle_dir": "tickle"}, "tickle_dir must be an absolute path, got 'tickle'"),
    ({"count": "0"}, "count must be a positive number, got '0'"),
    ({"mountpoint": "srv/g1"}, "mountpoint must be an absolute path, got 'srv/g1'"),
    ({"mountpoint": "/srv/g1", "tickle_dir": "/srv/g10/tickle"}, "tickle_dir /srv/g10/tickle is not inside mountpoint /srv/g1"),
    ({"mountpoint": "/srv/g1", "tickle_dir": "/srv/g1"}, "tickle_dir /srv/g1 is not inside mountpoint /srv/g1"),
])
def test_bad_parameters_fail_start_but_never_stop_or_monitor(agent, params, message):
    rc, out = agent("start", **params)
    assert rc == 6 and message in out  # OCF_ERR_CONFIGURED
    assert agent("validate-all", **params)[0] == 6
    assert agent("stop", **params)[0] == 0
    assert agent("monitor", **params)[0] == 7


def test_missing_tools_fail_start_only_and_a_missing_directory_only_warns(agent, tmp_path):
    rc, out = agent("start", tickle_dir=str(tmp_path / "not-mounted"))
    assert rc == 0 and "is not a directory here; connections not recorded" in out
    rc, out = agent("start", no_tools=True)
    assert rc == 5 and "ss is not installed" in out  # OCF_ERR_INSTALLED
    os.unlink(str(tmp_path / "bin" / "tickle_tcp"))
    rc, out = agent("start")
    assert rc == 5 and "tickle_tcp is not installed (ss: iproute2, tickle_tcp: resource-agents)" in out
    agent.list.write_text(RECORDED)
    assert agent("monitor", no_tools=True)[0] == 0
    rc, out = agent("stop", no_tools=True)
    assert rc == 0 and "ss (iproute2) is not installed; connections not recorded" in out
    assert agent.list.read_text() == RECORDED  # not replaced by an empty list


def test_start_makes_the_directory_on_the_mounted_filesystem_only(agent, tmp_path):
    """With mountpoint, start makes a missing tickle_dir (0700, parents 0755) while that filesystem is
    mounted here, never on a node where it is not (the list would land on the root filesystem)."""
    mnt = tmp_path / "srv" / "g1"
    mnt.mkdir(parents=True)
    wanted = mnt / "meta" / ".hastorage-tickle"
    rc, out = agent("start", tickle_dir=str(wanted), mountpoint=str(mnt))
    assert rc == 0 and "is not mounted here; %s not made" % wanted in out
    assert not (mnt / "meta").exists()
    agent("stop", tickle_dir=str(wanted), mountpoint=str(mnt))
    rc, out = agent("start", tickle_dir=str(wanted), mountpoint=str(mnt), mounted=str(mnt))
    assert rc == 0 and "made %s" % wanted in out
    assert oct(wanted.stat().st_mode & 0o777) == "0o700" and oct((mnt / "meta").stat().st_mode & 0o777) == "0o755"
    assert (wanted / "10.1.1.10").read_text() == RECORDED  # and the list is recorded there at once


def test_start_leaves_an_existing_directory_as_it_is(agent, tmp_path):
    mnt = tmp_path / "srv" / "g2"
    existing = mnt / ".hastorage-tickle"
    existing.mkdir(parents=True)
    os.chmod(str(existing), 0o750)
    rc, out = agent("start", tickle_dir=str(existing), mountpoint=str(mnt), mounted=str(mnt))
    assert rc == 0 and "made" not in out
    assert oct(existing.stat().st_mode & 0o777) == "0o750"
