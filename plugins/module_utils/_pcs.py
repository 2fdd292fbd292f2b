# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: reading, verifying and pushing a CIB.

:class:`CibSession` is the only part of pcs_cib that runs commands; all of
them go through :class:`CommandRunner`:

* read: ``cibadmin --query`` (live) or the ``cib_file`` itself;
* verify: ``crm_verify --xml-pipe -VV`` (the CIB on stdin, so no temporary
  file names end up in the argv);
* push (live): ``crm_diff --original O --new N`` gives a *versioned* patch
  and ``cibadmin --patch --xml-pipe`` applies it. The CIB manager refuses a
  patch whose source version is not the current one with rc 103 ("Update
  was older than existing configuration"), which is how a change made
  meanwhile is detected; :func:`converge` then re-reads, re-plans and
  pushes again, a bounded number of times;
* push (``cib_file``): the file is replaced atomically and durably
  (``_files.replace_durably``: a synced temporary file in the same
  directory, ``os.replace``, the directory synced), keeping its mode;
* DC check (live): before a push, the CIB this node planned on must be the
  DC's (``cibadmin --query --node DC``), and after it the DC must hold the
  pushed configuration. The cluster keeps CIBs equal by version numbers
  only, so a node whose CIB diverged from the DC's accepts a patch that the
  DC then refuses, and nothing ever runs: failing here names both versions
  instead of leaving the next wait to time out (see ``_cib_versions``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import tempfile
import time

from ansible_collections.hastorage.cluster.plugins.module_utils._runner import CommandRunner
from ansible_collections.hastorage.cluster.plugins.module_utils import _cib
from ansible_collections.hastorage.cluster.plugins.module_utils import _cib_versions
from ansible_collections.hastorage.cluster.plugins.module_utils import _files

RC_OLD_DATA = 103      # cibadmin: Update was older than existing configuration
CONFLICT_RC = (RC_OLD_DATA,)
# After a push, how often and how far apart the DC's CIB is read until it
# holds the pushed configuration (the patch reaches it through the cluster).
DC_CONFIRM_READS = 10
DC_CONFIRM_DELAY = 0.5


def sleep(seconds):
    """time.sleep (replaced in unit tests)."""
    time.sleep(seconds)


def make_workdir():
    """A private temporary directory (replaced in unit tests)."""
    return tempfile.mkdtemp(prefix="pcs_cib-")


# The daemons whose "metadata" lists the cluster options (Debian: /usr/lib/pacemaker, RHEL: /usr/libexec/pacemaker)
OPTION_DAEMONS = ("pacemaker-schedulerd", "pacemaker-controld", "pacemaker-based")
DAEMON_DIRS = ["/usr/lib/pacemaker", "/usr/libexec/pacemaker"]


def cluster_option_metadata(module):
    """The cluster options' metadata XML of this node's Pacemaker daemons; [] when they are not installed here."""
    texts = []
    for daemon in OPTION_DAEMONS:
        runner = CommandRunner(module, daemon, opt_dirs=DAEMON_DIRS, required=False)
        if not runner.available:
            return []
        texts.append(runner.run(["metadata"], message="cannot read %s's cluster options" % daemon).stdout)
    return texts


def agent_metadata(module, agents):
    """(found, missing, available) for the agent texts ``agents``.

    ``found``: ``{agent: metadata XML}`` read with ``crm_resource --show-metadata``; ``missing``: ``{agent: what
    crm_resource said}`` for the agents it could not find; ``available``: False when crm_resource is not
    installed here (nothing read).
    """
    runner = CommandRunner(module, "crm_resource", required=False)
    found, missing = {}, {}
    if not runner.available:
        return found, missing, False
    for agent in sorted(agents):
        result = runner.run(["--show-metadata", agent], ok_rc=None)
        if result.rc == 0 and result.stdout.strip():
            found[agent] = result.stdout
        else:
            said = (result.stderr or result.stdout).strip().splitlines()
            missing[agent] = said[0] if said else "rc %d" % result.rc
    return found, missing, True


class CibSession:
    def __init__(self, module, cib_file=None):
        self.module = module
        self.cib_file = cib_file
        self.verify_runner = CommandRunner(module, "crm_verify")
        if cib_file is None:
            self.cibadmin = CommandRunner(module, "cibadmin")
            self.crm_diff = CommandRunner(module, "crm_diff")
        self.workdir = None

    # -- read ---------------------------------------------------------------
    def read(self):
        if self.cib_file is not None:
            if not os.path.exists(self.cib_file):
                raise _cib.CibError("cib_file %s does not exist (create an empty one with "
                                    "'cibadmin --empty > %s')" % (self.cib_file, self.cib_file))
            if not os.path.isfile(self.cib_file):
                raise _cib.CibError("cib_file %s is not a file" % self.cib_file)
            try:
                with open(self.cib_file, "rb") as f:
                    text = f.read().decode("utf-8")
            except UnicodeDecodeError:
                raise _cib.CibError("cib_file %s is not a CIB (not UTF-8 text)" % self.cib_file)
            if not text.lstrip().startswith("<"):
                raise _cib.CibError("cib_file %s is not a CIB (not XML; 'cibadmin --empty > %s' makes an "
                                    "empty one)" % (self.cib_file, self.cib_file))
            return text
        return self.cibadmin.run(["--query"], message="cannot read the CIB").stdout

    def read_node(self, node):
        """The CIB of one node, read through the cluster (``cibadmin --query --node``)."""
        return self.cibadmin.run(["--query", "--node", node],
                                 message="cannot read the CIB of %s" % node).stdout

    # -- DC checks (live cluster only) ----------------------------------------
    def check_base_is_dc(self, original_text):
        """Raise when the CIB read here is not the DC's (live only).

        A CIB that names no DC (a cluster between elections) has nothing to
        be compared with and passes.
        """
        if self.cib_file is not None:
            return
        dc = _cib_versions.dc_name(original_text)
        if dc is None:
            return
        local = _cib_versions.identity(original_text)
        remote = _cib_versions.identity(self.read_node(dc), "the DC's CIB")
        if not _cib_versions.same_configuration(local, remote):
            raise _cib.CibError(
                "this node's CIB (%s) is not the DC's (%s %s): the nodes' CIBs diverged, so a "
                "change pushed here would not reach the cluster; nothing was pushed. Make every "
                "node hold the DC's CIB first (module hastorage.cluster.pacemaker_cib_sync)"
                % (_cib_versions.version_text(local), dc, _cib_versions.version_text(remote)))

    def confirm_on_dc(self, pushed_text):
        """After a push: wait until the DC holds the pushed configuration.

        Returns a warning text when the CIB names no DC; raises with both
        versions when the DC does not get the change.
        """
        if self.cib_file is not None:
            return None
        pushed = _cib_versions.identity(pushed_text, "the CIB read after the push")
        dc = None
        remote = None
        text = pushed_text
        for attempt in range(DC_CONFIRM_READS):
            if attempt:
                sleep(DC_CONFIRM_DELAY)
                text = self.read()
            dc = _cib_versions.dc_name(text)
            if dc is None:
                continue
            remote = _cib_versions.identity(self.read_node(dc), "the DC's CIB")
            if _cib_versions.same_configuration(pushed, remote):
                return None
        if dc is None:
            return ("the cluster had no DC for %.0f s after the push; the change was written to "
                    "this node's CIB (%s) and is not confirmed on a DC"
                    % (DC_CONFIRM_READS * DC_CONFIRM_DELAY, _cib_versions.version_text(pushed)))
        raise _cib.CibError(
            "the change was pushed (this node's CIB is now %s) but the DC %s still holds %s "
            "after %.0f s: the nodes' CIBs diverged and the cluster will not run the change. "
            "Make every node hold the DC's CIB (module hastorage.cluster.pacemaker_cib_sync)"
            % (_cib_versions.version_text(pushed), dc, _cib_versions.version_text(remote),
               DC_CONFIRM_READS * DC_CONFIRM_DELAY))

    # -- verify -------------------------------------------------------------
    def verify(self, text):
        """``(rc, problems)`` of ``crm_verify`` on the CIB text."""
        res = self.verify_runner.run(["--xml-pipe", "-VV"], data=text, ok_rc=(0, 78),
                                     message="crm_verify failed")
        return res.rc, _cib.verify_problems(res.stderr)

    # -- push ---------------------------------------------------------------
    def push(self, original_text, new_text):
        """Apply the change; returns ``"pushed"`` or ``"conflict"``."""
        if self.cib_file is not None:
            _files.replace_durably(self.cib_file, new_text)
            return "pushed"
        if self.workdir is None:
            self.workdir = make_workdir()
        orig = os.path.join(self.workdir, "original.xml")
        new = os.path.join(self.workdir, "new.xml")
        for path, text in ((orig, original_text), (new, new_text)):
            with open(path, "w") as f:
                f.write(text)
        diff = self.crm_diff.run(["--original", orig, "--new", new], ok_rc=(0, 1),
                                 message="crm_diff failed")
        if diff.rc == 0:
            return "pushed"
        res = self.cibadmin.run(["--patch", "--xml-pipe"], data=diff.stdout, mutating=True,
                                ok_rc=(0,) + CONFLICT_RC, message="cannot push the CIB patch")
        if res.rc in CONFLICT_RC:
            return "conflict"
        return "pushed"

    def cleanup(self):
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None


def check_verification(session, new_text, original_text):
    """Raise :class:`CibError` when the edit makes the configuration invalid.

    ``crm_verify`` rc 0 passes. With rc 78 the original CIB is verified as
    well; the edit passes only when every problem reported for the new CIB
    is (a) already reported for the original one, or (b) a warning every
    status-less CIB file gives ("Node X is unclean but cannot be fenced",
    "... disabled due to lack of quorum"). Anything else, schema errors
    included, fails with the messages.
    """
    rc, problems = session.verify(new_text)
    if rc == 0:
        return []
    _orc, original = session.verify(original_text)
    introduced = _cib.new_verify_problems(problems, original)
    if introduced or not problems:
        details = introduced or [("error", "crm_verify rc %d without details" % rc)]
        raise _cib.CibError("the new CIB does not pass crm_verify; nothing was changed: %s"
                            % "; ".join("%s: %s" % p for p in details))
    return problems


def converge(session, desired, check_mode, retries=5):
    """Query, plan, verify, push, re-query. Returns a result dict."""
    attempts = 0
    while True:
        original_text = session.read()
        original = _cib.parse_cib(original_text)
        before = _cib.snapshot(original)
        new = _cib.apply_desired(original, desired, before=before)
        changes = _cib.plan(before, _cib.snapshot(new))
        violations = _cib.ownership_violations(before, changes, desired.get("adopt"))
        if violations:
            raise _cib.CibError("; ".join(violations))
        if not changes:
            return {"changed": False, "changes": [], "observed": changes, "retries": attempts,
                    "warnings": []}
        _cib.bump_epoch(new)
        new_text = _cib.serialize(new)
        accepted = check_verification(session, new_text, original_text)
        session.check_base_is_dc(original_text)
        if check_mode:
            return {"changed": True, "changes": changes, "observed": changes, "retries": attempts,
                    "warnings": []}
        outcome = session.push(original_text, new_text)
        if outcome == "pushed":
            break
        attempts += 1
        if attempts > retries:
            raise _cib.CibError("the CIB changed while pcs_cib was pushing, %d times in a row; "
                                "nothing was changed, run again" % attempts)
    after_text = session.read()
    observed = _cib.plan(before, _cib.snapshot(_cib.parse_cib(after_text)))
    warnings = []
    unconfirmed = session.confirm_on_dc(after_text)
    if unconfirmed:
        warnings.append(unconfirmed)
    old_errors = [p for p in accepted if p[0] == "error"]
    if old_errors:
        warnings.append("crm_verify reports problems that were there before this change: %s"
                        % "; ".join(msg for _level, msg in old_errors))
    return {"changed": True, "changes": changes, "observed": observed, "retries": attempts,
            "warnings": warnings}
