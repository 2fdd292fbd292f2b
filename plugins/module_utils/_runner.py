# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: the one way modules run a CLI.

Every command a module of this collection runs goes through
:meth:`CommandRunner.run`:

* the binary is looked up once (``module.get_bin_path``) and the command is
  always an argv list, never a shell string;
* the environment forces the C locale so output can be parsed;
* mutating calls are skipped in check mode (the planner still decides what
  *would* change);
* a planner's action list is carried out by :func:`apply_actions`, the one
  place a module's check mode is decided: in check mode every action is
  reported, none is performed, and the module shows the planner's
  prediction instead of re-reading the state;
* every failure raises :class:`CommandError`, which carries the exact argv,
  rc, stdout and stderr, and :func:`fail_from_error` turns it into a
  ``fail_json`` with all of them.

Unit tests replace ``AnsibleModule.run_command`` (see
``tests/unit/fake_runner.py``), which is the only place a process is started.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import shlex

C_LOCALE = {"LC_ALL": "C", "LANG": "C", "LANGUAGE": "C"}


class CommandError(Exception):
    """A command ended with an exit code it was not expected to give."""

    def __init__(self, argv, rc, stdout, stderr, message=None):
        self.argv = list(argv)
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.message = message or "command failed"
        super(CommandError, self).__init__(self.describe())

    @property
    def cmd(self):
        return " ".join(shlex.quote(str(a)) for a in self.argv)

    def describe(self):
        text = "%s: %s (rc=%s)" % (self.message, self.cmd, self.rc)
        detail = (self.stderr or self.stdout or "").strip()
        if detail:
            text += ": " + detail
        return text

    def as_result(self):
        """Keyword arguments for ``module.fail_json``."""
        return {
            "msg": self.describe(),
            "cmd": self.cmd,
            "rc": self.rc,
            "stdout": self.stdout,
            "stderr": self.stderr,
        }


class CommandResult:
    """What one command gave back. ``skipped`` is true in check mode."""

    def __init__(self, argv, rc, stdout, stderr, skipped=False):
        self.argv = list(argv)
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.skipped = skipped

    def __repr__(self):
        return "CommandResult(argv=%r, rc=%r, skipped=%r)" % (self.argv, self.rc, self.skipped)


class CommandRunner:
    """Run one CLI (``binary``) for a module.

    :param module: the AnsibleModule
    :param binary: executable name (looked up on PATH and ``opt_dirs``) or
        an absolute path
    :param opt_dirs: extra directories to search (``/usr/sbin`` etc.)
    :param environ: extra environment variables for every call (for example
        ``CIB_file`` for Pacemaker tools)
    """

    DEFAULT_DIRS = ["/usr/sbin", "/sbin", "/usr/local/sbin"]

    def __init__(self, module, binary, opt_dirs=None, environ=None, required=True):
        self.module = module
        self.binary = binary
        dirs = list(opt_dirs or []) + self.DEFAULT_DIRS
        self.path = module.get_bin_path(binary, required=required, opt_dirs=dirs)
        self.environ = dict(C_LOCALE)
        if environ:
            self.environ.update(environ)
        self.history = []

    @property
    def available(self):
        return self.path is not None

    def argv(self, args):
        if isinstance(args, (str, bytes)):
            raise TypeError("CommandRunner takes an argv list, not a string: %r" % (args,))
        return [self.path] + [str(a) for a in args]

    def run(self, args, mutating=False, ok_rc=(0,), data=None, environ=None, message=None,
            binary_data=False):
        """Run ``binary args...``.

        :param mutating: the call changes state; in check mode it is not run
            and a skipped result with rc 0 is returned
        :param ok_rc: exit codes that are not an error; anything else raises
            :class:`CommandError`. ``None`` accepts every exit code.
        :param data: text to send on stdin; otherwise stdin is empty
        :param environ: extra environment for this call only
        :param message: the first words of the error if it fails
        """
        argv = self.argv(args)
        if mutating and self.module.check_mode:
            result = CommandResult(argv, 0, "", "", skipped=True)
            self.history.append(result)
            return result
        env = dict(self.environ)
        if environ:
            env.update(environ)
        rc, out, err = self.module.run_command(
            argv,
            check_rc=False,
            environ_update=env,
            data=data,
            binary_data=binary_data,
        )
        result = CommandResult(argv, rc, out, err)
        self.history.append(result)
        if ok_rc is not None and rc not in ok_rc:
            raise CommandError(argv, rc, out, err, message=message or "%s failed" % self.binary)
        return result


def apply_actions(module, actions, perform, report=None):
    """Carry out a planner's action list, in order.

    ``actions`` is what a pure planner returned (dicts; their shape belongs to
    the module). Outside check mode ``perform(action)`` carries each one out:
    it records what it runs (the command line, the ``actions`` text) and runs
    it through a :class:`CommandRunner`. In check mode nothing is performed:
    ``report(action)`` records the same lines instead, so ``commands`` and
    ``actions`` read the same in both modes.

    Returns True when the actions were performed (the caller re-queries the
    state), False in check mode or with nothing to do (the caller keeps what
    it read, or shows the planner's prediction).
    """
    for action in actions:
        if module.check_mode:
            if report is not None:
                report(action)
        else:
            perform(action)
    return bool(actions) and not module.check_mode


def fail_from_error(module, error, **extra):
    """``fail_json`` for a :class:`CommandError`, keeping every detail."""
    result = error.as_result()
    result.update(extra)
    module.fail_json(**result)
