# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible.module_utils import basic

from ansible_collections.hastorage.cluster.plugins.modules import graid_license
from ansible_collections.hastorage.cluster.tests.unit.fake_runner import run_module
from ansible_collections.hastorage.cluster.tests.unit.fixtures.graid.helpers import change, query

KEY = "EMULATOR-KEY-0000-1111"
UNLICENSED = [query(["desc", "lic"], "desc-lic-unlicensed.out"), query(["ls", "cx"], "ls-cx-unlicensed.out")]
LICENSED = [query(["desc", "lic"], "desc-lic.out"), query(["ls", "cx"], "ls-cx.out")]
PROC_HIDDEN = "sysfs /sys sysfs rw,nosuid 0 0\nproc /proc proc rw,nosuid,nodev,noexec,relatime,hidepid=invisible 0 0\n"
PROC_OPEN = "sysfs /sys sysfs rw,nosuid 0 0\nproc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"


@pytest.fixture(autouse=True)
def proc_mounts(monkeypatch):
    """/proc/self/mounts of the host under test: hidepid=invisible unless a test says otherwise."""
    mounts = {"text": PROC_HIDDEN}
    monkeypatch.setattr(graid_license, "read_proc_mounts", lambda: mounts["text"])
    return mounts


def test_applies_key_and_verifies(monkeypatch):
    result = run_module(graid_license.main, {"key": KEY},
                        UNLICENSED + [change(["apply", "license", KEY], "Apply license")] + LICENSED,
                        diff=True, monkeypatch=monkeypatch)
    assert result["changed"] is True
    assert result["licensed"] == [0]
    assert result["commands"] == ["graidctl apply license ********"]
    assert result["controllers"][0]["license_state"] == "APPLIED"
    assert result["diff"] == {"before": {"0": "UNLICENSED"}, "after": {"0": "APPLIED"}}


def test_already_licensed_is_unchanged(monkeypatch):
    result = run_module(graid_license.main, {"key": KEY}, LICENSED, monkeypatch=monkeypatch)
    assert result["changed"] is False and result["commands"] == []


def test_check_mode_plans_without_applying(monkeypatch):
    result = run_module(graid_license.main, {"key": KEY}, UNLICENSED, check_mode=True, diff=True,
                        monkeypatch=monkeypatch)
    assert result["changed"] is True
    assert result["diff"]["after"] == {"0": "APPLIED"}
    assert len(result["_commands"]) == 2


def test_unlicensed_without_key_fails(monkeypatch):
    result = run_module(graid_license.main, {}, UNLICENSED, monkeypatch=monkeypatch)
    assert result["failed"]
    assert "controller(s) 0 not licensed (0: UNLICENSED) and no key was given" in result["msg"]


def test_unknown_controller_fails(monkeypatch):
    result = run_module(graid_license.main, {"key": KEY, "controllers": [1]}, LICENSED, monkeypatch=monkeypatch)
    assert result["failed"] and "controller(s) 1 not found" in result["msg"]


def test_rejected_key_is_not_echoed(monkeypatch):
    result = run_module(graid_license.main, {"key": KEY},
                        UNLICENSED + [change(["apply", "license", KEY], rc=1,
                                             err="\u2716 Apply license failed: invalid license key\n")],
                        monkeypatch=monkeypatch)
    assert result["failed"]
    assert KEY not in str(dict((k, v) for k, v in result.items() if k != "_commands"))
    assert "invalid license key" in result["msg"] and result["rc"] == 1


def test_key_accepted_but_still_unlicensed_fails(monkeypatch):
    result = run_module(graid_license.main, {"key": KEY},
                        UNLICENSED + [change(["apply", "license", KEY], "Apply license")] + UNLICENSED,
                        monkeypatch=monkeypatch)
    assert result["failed"] and "still not licensed" in result["msg"]


def test_key_is_no_log():
    from ansible.module_utils.basic import AnsibleModule  # noqa: F401 - documents the spec source
    import inspect
    assert 'key=dict(type="str", no_log=True)' in inspect.getsource(graid_license.main)


def test_graidctl_error_is_reported(monkeypatch):
    result = run_module(graid_license.main, {"key": KEY},
                        [query(["desc", "lic"], None, rc=1, err="\u2716 graid service is not running\n")],
                        monkeypatch=monkeypatch)
    assert result["failed"] and "graid service is not running" in result["msg"] and result["rc"] == 1


@pytest.mark.parametrize("text, hidden", [
    (PROC_HIDDEN, True),
    (PROC_OPEN, False),
    ("proc /proc proc rw,hidepid=2 0 0\n", True),
    ("proc /proc proc rw,hidepid=1 0 0\n", True),
    ("proc /proc proc rw,hidepid=noaccess 0 0\n", True),
    ("proc /proc proc rw,hidepid=ptraceable 0 0\n", True),
    ("proc /proc proc rw,hidepid=0 0 0\n", False),
    ("proc /proc proc rw,hidepid=off 0 0\n", False),
    # the last mount on /proc is in effect; a proc elsewhere does not count
    ("proc /proc proc rw,hidepid=2 0 0\nproc /proc proc rw 0 0\n", False),
    ("proc /proc proc rw 0 0\nproc /run/x/proc proc rw,hidepid=2 0 0\n", False),
    ("", False),
])
def test_proc_hides_command_lines(text, hidden):
    assert graid_license.proc_hides_command_lines(text) is hidden


@pytest.mark.parametrize("check_mode", [False, True])
def test_refuses_to_expose_the_key_in_the_process_list(monkeypatch, proc_mounts, check_mode):
    proc_mounts["text"] = PROC_OPEN
    result = run_module(graid_license.main, {"key": KEY}, UNLICENSED, check_mode=check_mode, monkeypatch=monkeypatch)
    assert result["failed"]
    assert "refusing to apply the license key" in result["msg"]
    assert "hidepid=invisible" in result["msg"] and "allow_key_in_process_list" in result["msg"]
    assert KEY not in str(result)
    # only the two queries ran
    assert len(result["_commands"]) == 2
    assert not any("apply" in " ".join(c) for c in result["_commands"])


def warnings_of(monkeypatch):
    seen = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, text: seen.append(text))
    return seen


def test_exposure_accepted_applies_and_warns(monkeypatch, proc_mounts):
    proc_mounts["text"] = PROC_OPEN
    warned = warnings_of(monkeypatch)
    result = run_module(graid_license.main, {"key": KEY, "allow_key_in_process_list": True},
                        UNLICENSED + [change(["apply", "license", KEY], "Apply license")] + LICENSED,
                        monkeypatch=monkeypatch)
    assert result["changed"] is True and result["licensed"] == [0]
    assert any("command line" in w for w in warned)


def test_hidden_command_lines_apply_without_warning(monkeypatch):
    warned = warnings_of(monkeypatch)
    result = run_module(graid_license.main, {"key": KEY},
                        UNLICENSED + [change(["apply", "license", KEY], "Apply license")] + LICENSED,
                        monkeypatch=monkeypatch)
    assert result["changed"] is True
    assert not any("command line" in w for w in warned)


def test_licensed_host_needs_no_hidden_proc(monkeypatch, proc_mounts):
    proc_mounts["text"] = PROC_OPEN
    result = run_module(graid_license.main, {"key": KEY}, LICENSED, monkeypatch=monkeypatch)
    assert result["changed"] is False and not result.get("failed")
