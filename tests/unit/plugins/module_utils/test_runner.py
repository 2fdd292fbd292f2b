# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hastorage.cluster.plugins.module_utils._runner import (
    CommandError,
    CommandRunner,
    fail_from_error,
)
from ansible_collections.hastorage.cluster.tests.unit.fake_runner import run_module


def _probe_main(binary="pcs", mutating=False, ok_rc=(0,), data=None):
    def main():
        module = AnsibleModule(argument_spec=dict(args=dict(type="list", elements="str", default=[])),
                               supports_check_mode=True)
        runner = CommandRunner(module, binary)
        try:
            res = runner.run(module.params["args"], mutating=mutating, ok_rc=ok_rc, data=data)
        except CommandError as e:
            fail_from_error(module, e)
        module.exit_json(changed=mutating and not module.check_mode, rc=res.rc, out=res.stdout,
                         skipped_cmd=res.skipped, argv=res.argv)
    return main


def test_runs_argv_with_c_locale(monkeypatch):
    result = run_module(_probe_main(), {"args": ["status", "--full"]},
                        [{"command": ["pcs", "status", "--full"], "out": "ok\n"}], monkeypatch=monkeypatch)
    assert result["out"] == "ok\n"
    assert result["argv"] == ["/usr/sbin/pcs", "status", "--full"]


def test_mutating_call_skipped_in_check_mode(monkeypatch):
    result = run_module(_probe_main(mutating=True), {"args": ["resource", "delete", "x"]}, [],
                        check_mode=True, monkeypatch=monkeypatch)
    assert result["skipped_cmd"] is True
    assert result["_commands"] == []


def test_read_only_call_runs_in_check_mode(monkeypatch):
    result = run_module(_probe_main(mutating=False), {"args": ["status"]},
                        [{"command": ["pcs", "status"]}], check_mode=True, monkeypatch=monkeypatch)
    assert result["skipped_cmd"] is False


def test_failure_carries_command_rc_and_output(monkeypatch):
    result = run_module(_probe_main(), {"args": ["resource", "config", "nosuch"]},
                        [{"command": ["pcs", "resource", "config", "nosuch"], "rc": 1,
                          "err": "Error: No resource found\n"}], monkeypatch=monkeypatch)
    assert result["failed"]
    assert result["rc"] == 1
    assert result["stderr"] == "Error: No resource found\n"
    assert "pcs resource config nosuch" in result["cmd"]
    assert "Error: No resource found" in result["msg"]


def test_accepted_nonzero_rc(monkeypatch):
    result = run_module(_probe_main(ok_rc=(0, 78)), {"args": ["x"]},
                        [{"command": ["pcs", "x"], "rc": 78}], monkeypatch=monkeypatch)
    assert result["rc"] == 78


def test_missing_binary_fails_clearly(monkeypatch):
    result = run_module(_probe_main(binary="graidctl"), {"args": []}, [], monkeypatch=monkeypatch,
                        missing_binaries=["graidctl"])
    assert result["failed"]
    assert "graidctl" in result["msg"]


def test_string_commands_are_refused():
    class _M:
        check_mode = False

        def get_bin_path(self, *a, **k):
            return "/usr/sbin/pcs"
    runner = CommandRunner(_M(), "pcs")
    with pytest.raises(TypeError):
        runner.run("status --full")


def test_fake_runner_catches_wrong_command(monkeypatch):
    with pytest.raises(pytest.fail.Exception):
        run_module(_probe_main(), {"args": ["status"]}, [{"command": ["pcs", "cluster", "status"]}],
                   monkeypatch=monkeypatch)


def test_fake_runner_catches_commands_that_never_ran(monkeypatch):
    with pytest.raises(pytest.fail.Exception):
        run_module(_probe_main(), {"args": ["status"]},
                   [{"command": ["pcs", "status"]}, {"command": ["pcs", "status", "--full"]}],
                   monkeypatch=monkeypatch)


class _Mode:
    def __init__(self, check_mode):
        self.check_mode = check_mode


@pytest.mark.parametrize("check_mode", [False, True])
def test_apply_actions_performs_or_reports(check_mode):
    from ansible_collections.hastorage.cluster.plugins.module_utils._runner import apply_actions
    performed, reported = [], []
    applied = apply_actions(_Mode(check_mode), ["a", "b"], performed.append, reported.append)
    assert applied is not check_mode
    assert (performed, reported) == (([], ["a", "b"]) if check_mode else (["a", "b"], []))
    # nothing to do: nothing applied, in either mode
    assert apply_actions(_Mode(check_mode), [], performed.append) is False
