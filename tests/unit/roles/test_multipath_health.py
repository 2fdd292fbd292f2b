# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The multipath-health OCF agent (roles/multipath/files), run for real as a process.

multipathd and attrd_updater are small fakes on PATH: multipathd replays a
JSON answer recorded on the UML lab (fixtures/multipath/), attrd_updater
writes its arguments to a log. FC HBAs cannot exist on the lab, so the
fc_host tree is a fake sysfs under tmp_path.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.machinery
import importlib.util
import os
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils import _multipath

HERE = os.path.dirname(os.path.abspath(__file__))
AGENT = os.path.join(HERE, "..", "..", "..", "roles", "multipath", "files", "multipath-health")
FIX = os.path.join(HERE, "..", "fixtures", "multipath")
LUN1 = "360014056b3e2a1000014a00800000000"
LUN2 = "360014056b3e2a1000024a00800000000"
LUNS = "lun1=%s lun2=%s" % (LUN1, LUN2)
RECORDED = ["maps-all-up.json", "maps-one-path-down.json", "maps-all-down-queueing.json",
            "maps-all-down-failed.json", "maps-recovered.json"]


@pytest.fixture(scope="module")
def agent():
    # no .py suffix: spec_from_file_location needs the loader named
    loader = importlib.machinery.SourceFileLoader("multipath_health", AGENT)
    spec = importlib.util.spec_from_loader("multipath_health", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def fixture(name):
    with open(os.path.join(FIX, name)) as f:
        return f.read()


def executable(path, text):
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


class Lab(object):
    """A PATH with fake multipathd and attrd_updater, a fake sysfs and an HA_RSCTMP."""

    def __init__(self, tmp_path):
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        self.sys = tmp_path / "sys"
        self.sys.mkdir()
        self.rsctmp = tmp_path / "rsc"
        self.answer = tmp_path / "answer.json"
        self.rc = tmp_path / "answer.rc"
        self.attrd_log = tmp_path / "attrd.log"
        self.queue_log = tmp_path / "queue.log"
        self.peers = tmp_path / "peers"
        self.peers.mkdir()
        self.set_answer(fixture("maps-all-up.json"))
        # multipathd: "show maps json" replays the answer; "disablequeueing|restorequeueing map M" is logged
        executable(self.bin / "multipathd",
                   '#!/bin/sh\n[ "$LC_ALL" = C ] || exit 98\n'
                   'case "$1 $2" in\n'
                   '  "disablequeueing map"|"restorequeueing map") echo "$*" >> "%s"; echo ok; exit 0;;\n'
                   'esac\n'
                   '[ "$*" = "show maps json" ] || exit 99\n'
                   'cat "%s"\nexit $(cat "%s")\n' % (self.queue_log, self.answer, self.rc))
        # attrd_updater: -Q -A -n NAME --output-as=xml answers peers/NAME (rc 1 without it); the rest is logged
        executable(self.bin / "attrd_updater",
                   '#!/bin/sh\nif [ "$1" = -Q ]; then\n'
                   '  [ "$1 $2 $3 $5" = "-Q -A -n --output-as=xml" ] || exit 97\n'
                   '  [ -f "%s/$4" ] || { echo "Could not query value of $4: attribute does not exist" >&2; exit 105; }\n'
                   '  cat "%s/$4"; exit 0\nfi\necho "$*" >> "%s"\n' % (self.peers, self.peers, self.attrd_log))

    def set_peers(self, attribute, **values):
        """What attrd holds for ATTRIBUTE on each node (the agent's own node included)."""
        lines = ['<pacemaker-result api-version="2.25" request="attrd_updater -Q -A -n %s --output-as=xml">'
                 % attribute]
        lines.extend('  <attribute name="%s" value="%s" host="%s"/>' % (attribute, v, n) for n, v in values.items())
        lines.append('  <status code="0" message="OK"/>\n</pacemaker-result>')
        (self.peers / attribute).write_text("\n".join(lines) + "\n")

    @staticmethod
    def drain(log):
        """The lines a fake wrote to ``log`` since the last call (the log is emptied)."""
        if not log.exists():
            return []
        calls = log.read_text().splitlines()
        log.write_text("")
        return calls

    def queue_calls(self):
        return self.drain(self.queue_log)

    def set_answer(self, text, rc=0):
        self.answer.write_text(text)
        self.rc.write_text("%d\n" % rc)

    def fc_host(self, host, state):
        d = self.sys / "class" / "fc_host" / host
        d.mkdir(parents=True)
        (d / "port_state").write_text(state + "\n")

    def run(self, action, **params):
        env = {"PATH": "%s:/usr/bin:/bin" % self.bin, "HA_RSCTMP": str(self.rsctmp),
               "OCF_RESOURCE_INSTANCE": "mp_health:0", "OCF_RESKEY_luns": LUNS,
               "OCF_RESKEY_sysfs_root": str(self.sys), "OCF_RESKEY_CRM_meta_on_node": "head1"}
        for key, value in params.items():
            env["OCF_RESKEY_" + key] = value
        proc = subprocess.run([sys.executable, AGENT, action], env=env, capture_output=True, text=True, check=False)
        return proc.returncode, proc.stdout, proc.stderr

    def attrd_calls(self):
        return self.drain(self.attrd_log)


@pytest.fixture
def lab(tmp_path):
    return Lab(tmp_path)


def test_meta_data_is_valid_xml_with_every_action_and_parameter(lab):
    rc, out, dummy = lab.run("meta-data")
    assert rc == 0
    root = ET.fromstring(out)
    assert root.get("name") == "multipath-health"
    assert sorted(a.get("name") for a in root.iter("action")) == [
        "meta-data", "monitor", "start", "stop", "validate-all"]
    assert sorted(p.get("name") for p in root.iter("parameter")) == [
        "attribute_prefix", "dampen", "fail_queue", "fail_queue_after", "fc_prefix", "luns", "multipathd",
        "sysfs_root"]


def test_lifecycle_sets_and_deletes_the_attributes(lab):
    assert lab.run("monitor")[0] == 7                     # probe before start: not running
    assert lab.attrd_calls() == []
    rc, dummy, err = lab.run("start")
    assert rc == 0, err
    assert lab.attrd_calls() == ["-n hsc_paths_lun1 -U 2 -d 5s", "-n hsc_paths_lun2 -U 2 -d 5s"]
    lab.set_answer(fixture("maps-one-path-down.json"))
    assert lab.run("monitor")[0] == 0
    assert lab.attrd_calls() == ["-n hsc_paths_lun1 -U 1 -d 5s", "-n hsc_paths_lun2 -U 1 -d 5s"]
    lab.set_answer(fixture("maps-all-down-queueing.json"))
    assert lab.run("monitor")[0] == 0                     # a lost LUN is an attribute, not a failure
    assert lab.attrd_calls() == ["-n hsc_paths_lun1 -U 0 -d 5s", "-n hsc_paths_lun2 -U 0 -d 5s"]
    assert lab.run("stop")[0] == 0
    assert lab.attrd_calls() == ["-n hsc_paths_lun1 -D", "-n hsc_paths_lun2 -D"]
    assert lab.run("monitor")[0] == 7
    assert lab.run("stop")[0] == 0                        # stop twice is fine


def test_a_lun_without_a_map_counts_zero(lab):
    other = "3" + "b" * 32
    rc, dummy, err = lab.run("start", luns="lun1=%s gone=%s" % (LUN1, other), attribute_prefix="p_", dampen="0")
    assert rc == 0, err
    assert lab.attrd_calls() == ["-n p_lun1 -U 2 -d 0", "-n p_gone -U 0 -d 0"]


def test_fc_ports_from_a_fake_sysfs(lab):
    lab.fc_host("host10", "Online")
    lab.fc_host("host2", "Linkdown")
    lab.fc_host("host3", "Online")
    assert lab.run("start", luns="lun1=%s" % LUN1)[0] == 0
    assert lab.attrd_calls() == ["-n hsc_paths_lun1 -U 2 -d 5s", "-n hsc_fc_host2 -U 0 -d 5s",
                                 "-n hsc_fc_host3 -U 1 -d 5s", "-n hsc_fc_host10 -U 1 -d 5s",
                                 "-n hsc_fc_online -U 2 -d 5s"]
    assert lab.run("stop", luns="lun1=%s" % LUN1)[0] == 0
    assert lab.attrd_calls() == ["-n hsc_paths_lun1 -D", "-n hsc_fc_host2 -D", "-n hsc_fc_host3 -D",
                                 "-n hsc_fc_host10 -D", "-n hsc_fc_online -D"]


def test_monitor_fails_when_multipathd_does_not_answer(lab):
    assert lab.run("start")[0] == 0
    lab.attrd_calls()
    lab.set_answer("", rc=1)                              # recorded: daemon stopped, rc 1, no output
    rc, dummy, err = lab.run("monitor")
    assert rc == 1 and "multipathd does not answer" in err
    assert lab.attrd_calls() == []                        # nothing written from a failed read
    lab.set_answer("multipath-tools v0.9.4 (12/19, 2022)\nCLI commands reference:\n")
    rc, dummy, err = lab.run("monitor")
    assert rc == 1 and "did not print JSON" in err


@pytest.mark.parametrize("busy, monitor_rc, written", [
    # multipathd busy for one or two answers (its client's uxsock timeout): asked again, the monitor passes
    (1, 0, True),
    (2, 0, True),
    # busy for three: the monitor fails as for a daemon that is down, and writes nothing
    (3, 1, False),
])
def test_monitor_asks_a_busy_multipathd_again(lab, busy, monitor_rc, written):
    assert lab.run("start")[0] == 0
    lab.attrd_calls()
    real = (lab.bin / "multipathd").read_text()
    count = lab.bin / "busy-count"
    count.write_text("%d\n" % busy)
    # the first BUSY answers are multipathd's client timing out; then the recorded answer
    executable(lab.bin / "multipathd",
               '#!/bin/sh\nn=$(cat "%s")\nif [ "$n" -gt 0 ]; then echo $((n - 1)) > "%s"; '
               'echo "timeout receiving packet" >&2; exit 1; fi\n' % (count, count)
               + real.split("\n", 1)[1])
    rc, dummy, err = lab.run("monitor")
    assert rc == monitor_rc
    assert err.count("asking again") == min(busy, 2)
    assert "timeout receiving packet" in err
    assert bool(lab.attrd_calls()) is written


@pytest.mark.parametrize("params,rc,words", [
    ({"luns": ""}, 6, "luns is empty"),
    ({"luns": "lun1=/dev/sda"}, 6, "not alias=WWID"),
    ({"luns": "1lun=%s" % LUN1}, 6, "not alias=WWID"),
    ({"luns": "a=%s b=%s" % (LUN1, LUN1)}, 6, "more than once"),
    ({"attribute_prefix": "bad prefix"}, 6, "attribute_prefix"),
    ({"dampen": "soon"}, 6, "dampen"),
    ({"sysfs_root": "/nonexistent/sys"}, 6, "sysfs_root"),
    ({"multipathd": "/nonexistent/multipathd"}, 5, "not found"),
])
def test_validate_all_and_start_refuse_bad_parameters(lab, params, rc, words):
    got_rc, dummy, err = lab.run("validate-all", **params)
    assert got_rc == rc and words in err
    assert lab.run("start", **params)[0] == rc
    assert lab.attrd_calls() == []


def test_validate_all_accepts_good_parameters(lab):
    assert lab.run("validate-all")[0] == 0


def test_unknown_action(lab):
    assert lab.run("promote")[0] == 3


@pytest.mark.parametrize("name", RECORDED)
def test_agent_counts_like_multipath_info(agent, name):
    text = fixture(name)
    by_module = dict((m["wwid"], m["usable_paths"]) for m in (
        _multipath.summarize_map(r) for r in _multipath.parse_maps_json(0, text, "")))
    assert agent.usable_counts(text) == by_module


def test_agent_accepts_the_wwid_forms_of_the_module(agent):
    assert agent.WWID_RE.pattern == _multipath.WWID_PATTERN


def test_a_start_without_multipathd_fails_and_leaves_it_stopped(lab):
    lab.set_answer("", rc=1)
    rc, dummy, err = lab.run("start")
    assert rc == 1 and "multipathd does not answer" in err
    assert lab.run("monitor")[0] == 7


def test_runs_from_its_shebang_as_pacemaker_runs_it():
    # sh reads the first lines and execs /usr/bin/python3 on the file
    proc = subprocess.run([AGENT, "meta-data"], capture_output=True, text=True, check=False,
                          env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0 and ET.fromstring(proc.stdout).get("name") == "multipath-health"


def test_fail_queue_only_when_another_node_reaches_the_lun(lab):
    # recorded: both LUNs without a usable path on this node, still queueing
    assert lab.run("start", fail_queue_after="0")[0] == 0
    lab.attrd_calls()
    lab.set_answer(fixture("maps-all-down-queueing.json"))
    lab.set_peers("hsc_paths_lun1", head1=0, head2=2, head3=0)   # head2 still reaches lun1
    lab.set_peers("hsc_paths_lun2", head1=2, head2=0)            # only this node's (stale) value says 2
    rc, dummy, err = lab.run("monitor", fail_queue_after="0")
    assert rc == 0, err
    assert lab.queue_calls() == ["disablequeueing map lun1"]
    assert "lun1: disablequeueing map lun1 (no usable path here for 0 s; head2 still reach it)" in err
    assert lab.attrd_calls() == ["-n hsc_paths_lun1 -U 0 -d 5s", "-n hsc_paths_lun2 -U 0 -d 5s"]
    # done once: the next monitor does not ask again
    assert lab.run("monitor", fail_queue_after="0")[0] == 0
    assert lab.queue_calls() == []
    # head2 reports lun2 too now: its queue goes as well
    lab.set_peers("hsc_paths_lun2", head1=0, head2=1)
    assert lab.run("monitor", fail_queue_after="0")[0] == 0
    assert lab.queue_calls() == ["disablequeueing map lun2"]
    # the paths come back: queueing back on both maps, once
    lab.set_answer(fixture("maps-recovered.json"))
    assert lab.run("monitor", fail_queue_after="0")[0] == 0
    assert sorted(lab.queue_calls()) == ["restorequeueing map lun1", "restorequeueing map lun2"]
    assert lab.run("monitor", fail_queue_after="0")[0] == 0
    assert lab.queue_calls() == []


def test_a_lun_no_other_node_reaches_keeps_queueing(lab):
    assert lab.run("start", fail_queue_after="0")[0] == 0
    lab.set_answer(fixture("maps-all-down-queueing.json"))
    lab.set_peers("hsc_paths_lun1", head1=0, head2=0)            # a SAN-wide outage
    # no value at all for lun2 (attrd_updater fails): not a reason to fail its queue
    assert lab.run("monitor", fail_queue_after="0")[0] == 0
    assert lab.queue_calls() == []


def test_fail_queue_waits_fail_queue_after_seconds(lab):
    assert lab.run("start")[0] == 0                               # default: 10 s
    lab.set_answer(fixture("maps-all-down-queueing.json"))
    lab.set_peers("hsc_paths_lun1", head2=2)
    assert lab.run("monitor")[0] == 0
    assert lab.queue_calls() == []                                # just lost: the other nodes may not know yet


def lun1_queue_failed(lab):
    """Started, then lun1 lost here while head2 still reaches it: the agent fails lun1's queue."""
    assert lab.run("start", fail_queue_after="0")[0] == 0
    lab.set_answer(fixture("maps-all-down-queueing.json"))
    lab.set_peers("hsc_paths_lun1", head2=2)
    assert lab.run("monitor", fail_queue_after="0")[0] == 0
    assert lab.queue_calls() == ["disablequeueing map lun1"]


def test_stop_gives_the_queue_back_and_fail_queue_false_never_touches_it(lab):
    lun1_queue_failed(lab)
    assert lab.run("stop")[0] == 0
    assert lab.queue_calls() == ["restorequeueing map lun1"]
    assert lab.run("start", fail_queue="false", fail_queue_after="0")[0] == 0
    assert lab.run("monitor", fail_queue="false", fail_queue_after="0")[0] == 0
    assert lab.queue_calls() == []


def test_a_state_file_of_the_earlier_agent_still_reads_as_started(lab):
    lab.rsctmp.mkdir()
    (lab.rsctmp / "multipath-health-mp_health_0.state").write_text("started\n")
    assert lab.run("monitor")[0] == 0
    assert lab.run("stop")[0] == 0 and lab.run("monitor")[0] == 7


def test_queue_actions_times_and_retries(agent):
    luns = [("lun1", LUN1)]
    names = {LUN1: "lun1"}
    state = {}
    asked = []

    def peers_of(alias):
        asked.append(alias)
        return ["head2"]

    assert agent.queue_actions(luns, {LUN1: 0}, names, state, 100.0, 10, peers_of) == []
    assert agent.queue_actions(luns, {LUN1: 0}, names, state, 109.0, 10, peers_of) == []
    assert asked == []                                            # not asked before the time is up
    assert agent.queue_actions(luns, {LUN1: 0}, names, state, 110.0, 10, peers_of) == [
        ("disablequeueing", "lun1", "lun1", "no usable path here for 10 s; head2 still reach it")]
    assert state == {"zero_since": {"lun1": 100.0}, "disabled": ["lun1"]}
    # one path back, then lost again: the clock starts over
    assert agent.queue_actions(luns, {LUN1: 1}, names, state, 111.0, 10, peers_of)[0][0] == "restorequeueing"
    assert agent.queue_actions(luns, {LUN1: 0}, names, state, 112.0, 10, peers_of) == []
    assert state["zero_since"] == {"lun1": 112.0}
    # no map for the LUN: nothing to fail
    assert agent.queue_actions(luns, {}, {}, {}, 500.0, 0, peers_of) == []


@pytest.mark.parametrize("params, words", [
    ({"fail_queue": "maybe"}, "fail_queue must be true or false"),
    ({"fail_queue_after": "10s"}, "fail_queue_after must be a number of seconds"),
    ({"fail_queue_after": "-1"}, "fail_queue_after must be a number of seconds"),
])
def test_fail_queue_parameters_are_checked(lab, params, words):
    rc, dummy, err = lab.run("validate-all", **params)
    assert rc == 6 and words in err


def test_peer_values_from_attrd_xml(agent):
    xml = ('<pacemaker-result><attribute name="a" value="2" host="n2"/><attribute name="a" value="0" host="n1"/>'
           '<attribute name="a" value="" host="n3"/><attribute name="a" value="x" host="n4"/></pacemaker-result>')
    assert agent.peer_values(xml, "n1") == {"n2": 2}
    assert agent.peer_values("not xml", "n1") == {}


def test_fail_queue_turned_off_gives_the_queue_back(lab):
    lun1_queue_failed(lab)
    # the operator sets fail_queue=false (a parameter change reloads the agent: the next monitor sees it)
    rc, dummy, err = lab.run("monitor", fail_queue="false")
    assert rc == 0 and lab.queue_calls() == ["restorequeueing map lun1"]
    assert "restorequeueing map lun1 (fail_queue is off)" in err
    assert lab.run("monitor", fail_queue="false")[0] == 0 and lab.queue_calls() == []
