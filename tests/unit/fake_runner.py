# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test support: run a module with a fake process runner.

The fake replaces ``AnsibleModule.run_command`` (the one place
``plugins/module_utils/_runner.py`` starts a process) and
``AnsibleModule.get_bin_path``. Each test lists, in order, the exact argv it
expects and the rc/stdout/stderr to replay; the fake fails the test on the
first command that differs, on a command nobody expected, and on expected
commands that never ran.

Cases can live in YAML files (one list of cases per module)::

    - id: create-in-check-mode
      input: {name: r0, state: present}
      check_mode: true          # optional
      diff: true                # optional
      commands:
        - command: [drbdadm, --version]       # argv[0] is compared by basename
          rc: 0
          out: "DRBDADM_VERSION=9.22.0\\n"
          err: ""
          data: null                          # optional: expected stdin
          environ: {CIB_file: /tmp/x}         # optional: subset of the environment
      output: {changed: true}                 # subset the result must contain
      failed: false                           # optional
      msg_contains: "..."                     # optional, for failures
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json
import os

import pytest

from ansible.module_utils import basic

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    patch_module_args = None

try:
    import yaml
except ImportError:  # pragma: no cover
    yaml = None


class ModuleExit(Exception):
    def __init__(self, result):
        super(ModuleExit, self).__init__(result)
        self.result = result


class ModuleFail(Exception):
    def __init__(self, result):
        super(ModuleFail, self).__init__(result)
        self.result = result


class ExpectedCommand:
    def __init__(self, command, rc=0, out="", err="", data=None, environ=None, check_data=False):
        self.command = [str(c) for c in command]
        self.rc = rc
        self.out = out
        self.err = err
        self.data = data
        self.environ = environ or {}
        self.check_data = check_data or data is not None

    @classmethod
    def from_dict(cls, d):
        return cls(
            d["command"],
            rc=d.get("rc", 0),
            out=d.get("out", ""),
            err=d.get("err", ""),
            data=d.get("data"),
            environ=d.get("environ"),
        )


def _same_argv(expected, actual):
    if len(expected) != len(actual):
        return False
    first_e, first_a = expected[0], actual[0]
    if "/" not in first_e:
        first_a = os.path.basename(first_a)
    return first_e == first_a and list(expected[1:]) == list(actual[1:])


class FakeRunner:
    """The exact sequence of commands a module is expected to run."""

    def __init__(self, expected, bin_dir="/usr/sbin", missing_binaries=()):
        self.expected = [e if isinstance(e, ExpectedCommand) else ExpectedCommand.from_dict(e) for e in expected]
        self.calls = []
        self.bin_dir = bin_dir
        self.missing = set(missing_binaries)

    # replacements for AnsibleModule methods -------------------------------
    def run_command(self, module, args, check_rc=False, environ_update=None, data=None, **kwargs):
        if isinstance(args, (str, bytes)):
            pytest.fail("run_command got a string, not an argv list: %r" % (args,))
        argv = [str(a) for a in args]
        index = len(self.calls)
        self.calls.append(argv)
        if index >= len(self.expected):
            pytest.fail("unexpected command #%d: %r (only %d expected)" % (index + 1, argv, len(self.expected)))
        exp = self.expected[index]
        if not _same_argv(exp.command, argv):
            pytest.fail("command #%d differs\n expected: %r\n actual:   %r" % (index + 1, exp.command, argv))
        env = environ_update or {}
        if env.get("LC_ALL") != "C":
            pytest.fail("command #%d ran without LC_ALL=C: %r" % (index + 1, argv))
        for key, value in exp.environ.items():
            if env.get(key) != value:
                pytest.fail("command #%d: environment %s=%r, expected %r" % (index + 1, key, env.get(key), value))
        if exp.check_data and (data or None) != (exp.data or None):
            pytest.fail("command #%d: stdin %r, expected %r" % (index + 1, data, exp.data))
        if check_rc and exp.rc != 0:
            module.fail_json(msg="command failed", rc=exp.rc, stdout=exp.out, stderr=exp.err)
        return exp.rc, exp.out, exp.err

    def get_bin_path(self, module, arg, required=False, opt_dirs=None):
        name = os.path.basename(arg)
        if name in self.missing:
            if required:
                module.fail_json(msg="Failed to find required executable %s" % name)
            return None
        return arg if arg.startswith("/") else os.path.join(self.bin_dir, arg)

    def assert_all_ran(self):
        if len(self.calls) < len(self.expected):
            missing = [e.command for e in self.expected[len(self.calls):]]
            pytest.fail("%d expected command(s) never ran: %r" % (len(missing), missing))


def _exit_json(self, **kwargs):
    kwargs.setdefault("changed", False)
    raise ModuleExit(kwargs)


def _fail_json(self, msg=None, **kwargs):
    kwargs["msg"] = msg
    kwargs["failed"] = True
    raise ModuleFail(kwargs)


@contextlib.contextmanager
def _module_args(args):
    if patch_module_args is not None:
        with patch_module_args(args):
            yield
    else:  # pragma: no cover - older ansible-core
        from ansible.module_utils.common.text.converters import to_bytes
        old = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = old


def run_module(main, args, commands=(), check_mode=False, diff=False, monkeypatch=None,
               missing_binaries=(), strict=True):
    """Run ``main()`` of a module with ``args`` against the expected ``commands``.

    Returns the result dict; ``result['failed']`` is true when the module
    called ``fail_json``. ``monkeypatch`` is pytest's fixture.
    """
    if monkeypatch is None:
        raise ValueError("run_module needs pytest's monkeypatch fixture")
    fake = FakeRunner(commands, missing_binaries=missing_binaries)
    module_args = dict(args)
    if check_mode:
        module_args["_ansible_check_mode"] = True
    if diff:
        module_args["_ansible_diff"] = True

    def run_command(self, args, **kwargs):
        return fake.run_command(self, args, **kwargs)

    def get_bin_path(self, arg, required=False, opt_dirs=None):
        return fake.get_bin_path(self, arg, required=required, opt_dirs=opt_dirs)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", get_bin_path)
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", _exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", _fail_json)
    result = None
    with _module_args(module_args):
        try:
            main()
        except ModuleExit as e:
            result = e.result
        except ModuleFail as e:
            result = e.result
        else:
            pytest.fail("module returned without exit_json/fail_json")
    if result is None:  # pragma: no cover - pytest.fail raised above
        raise AssertionError("module returned without exit_json/fail_json")
    if strict and not result.get("failed"):
        fake.assert_all_ran()
    result["_commands"] = fake.calls
    return result


def load_cases(path):
    """Read a YAML list of cases; returns ``pytest.param`` objects with ids."""
    with open(path) as f:
        cases = yaml.safe_load(f)
    return [pytest.param(case, id=case["id"]) for case in cases]


def check_case(main, case, monkeypatch):
    """Run one YAML case and assert on its expectations."""
    result = run_module(
        main,
        case.get("input", {}),
        commands=case.get("commands", []),
        check_mode=case.get("check_mode", False),
        diff=case.get("diff", False),
        monkeypatch=monkeypatch,
    )
    want_failed = case.get("failed", False)
    assert bool(result.get("failed")) == want_failed, result
    for key, value in case.get("output", {}).items():
        assert key in result, "result has no %r: %r" % (key, result)
        assert result[key] == value, "result[%r] = %r, expected %r" % (key, result[key], value)
    if "msg_contains" in case:
        assert case["msg_contains"] in (result.get("msg") or ""), result.get("msg")
    return result
