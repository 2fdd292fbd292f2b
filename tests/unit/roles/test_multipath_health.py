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
        self.set_answer(fixture("maps-all-up.json"))
        executable(self.bin / "multipathd",
                   '#!/bin/sh\n[ "$*" = "show maps json" ] || exit 99\n'
                   '[ "$LC_ALL" = C ] || exit 98\ncat "%s"\nexit $(cat "%s")\n' % (self.answer, self.rc))
        executable(self.bin / "attrd_updater", '#!/bin/sh\necho "$*" >> "%s"\n' % self.attrd_log)

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
               "OCF_RESKEY_sysfs_root": str(self.sys)}
        for key, value in params.items():
            env["OCF_RESKEY_" + key] = value
        proc = subprocess.run([sys.executable, AGENT, action], env=env, capture_output=True, text=True, check=False)
        return proc.returncode, proc.stdout, proc.stderr

    def attrd_calls(self):
        if not self.attrd_log.exists():
            return []
        calls = self.attrd_log.read_text().splitlines()
        self.attrd_log.write_text("")
        return calls


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
        "attribute_prefix", "dampen", "fc_prefix", "luns", "multipathd", "sysfs_root"]


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
