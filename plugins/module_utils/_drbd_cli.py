# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: run and parse the DRBD CLIs.

:class:`DrbdCli` only runs commands (through ``_runner.CommandRunner``) and
hands their output to the pure parsers in ``_drbd``; it decides nothing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.hastorage.cluster.plugins.module_utils import _drbd
from ansible_collections.hastorage.cluster.plugins.module_utils._runner import CommandRunner


class DrbdCli:
    """drbdadm, drbdsetup, drbdmeta, wipefs and dmesg for one module run."""

    PROC_DRBD = "/proc/drbd"
    LIB_DIRS = ["/usr/lib/drbd", "/lib/drbd"]

    def __init__(self, module, drbd_conf=None):
        self.module = module
        # "-c FILE" for drbdadm calls that read the configuration (None: /etc/drbd.conf)
        self.conf_args = ["-c", drbd_conf] if drbd_conf and drbd_conf != "/etc/drbd.conf" else []
        self.adm = CommandRunner(module, "drbdadm")
        self._setup = None
        self._meta = None
        self._adm84 = None
        self._wipefs = None
        self._dmesg = None

    # lazily found binaries -------------------------------------------------
    @property
    def setup(self):
        if self._setup is None:
            self._setup = CommandRunner(self.module, "drbdsetup")
        return self._setup

    @property
    def meta(self):
        if self._meta is None:
            self._meta = CommandRunner(self.module, "drbdmeta")
        return self._meta

    @property
    def adm84(self):
        if self._adm84 is None:
            self._adm84 = CommandRunner(self.module, "drbdadm-84", opt_dirs=self.LIB_DIRS)
        return self._adm84

    @property
    def wipefs(self):
        if self._wipefs is None:
            self._wipefs = CommandRunner(self.module, "wipefs")
        return self._wipefs

    @property
    def dmesg(self):
        if self._dmesg is None:
            self._dmesg = CommandRunner(self.module, "dmesg", required=False)
        return self._dmesg

    # queries -------------------------------------------------------------------
    def version(self):
        result = self.adm.run(["--version"], message="drbdadm --version failed")
        return _drbd.parse_version(result.stdout)

    def read_proc_drbd(self):
        try:
            with open(self.PROC_DRBD) as f:
                return _drbd.parse_proc_drbd(f.read())
        except (IOError, OSError):
            return _drbd.parse_proc_drbd("")

    def resource_state(self, name, minors, dialect, loaded):
        """Normalised state of one resource (``up: false`` when it is not running).

        :param minors: ``{volume: minor}``
        :param loaded: the loaded kernel dialect (None: no module, nothing runs)
        """
        if loaded is None:
            return _drbd._empty_resource(name)
        if dialect == _drbd.DIALECT_84:
            return _drbd.resource_from_proc(name, minors, self.read_proc_drbd())
        result = self.setup.run(["status", name, "--json"], ok_rc=(0, 10))
        if result.rc == 10:
            return _drbd._empty_resource(name)
        for res in _drbd.parse_status_json(result.stdout):
            if res["name"] == name:
                return res
        return _drbd._empty_resource(name)

    def all_resources(self, dialect, loaded):
        """Every resource this node knows: running ones and configured ones."""
        configured = self.configured_names()
        if loaded is None:
            return [_drbd._empty_resource(n) for n in configured]
        if dialect == _drbd.DIALECT_84:
            proc = self.read_proc_drbd()
            out = []
            for name in configured:
                minors = self.minors_of(name)
                out.append(_drbd.resource_from_proc(name, dict(enumerate(minors)), proc))
            return out
        result = self.setup.run(["status", "--json"], ok_rc=None)
        if result.rc == 0:
            running = _drbd.parse_status_json(result.stdout)
        else:
            # older drbd-utils without --json: events2 knows the same
            ev = self.setup.run(["events2", "--now", "--statistics", "all"],
                                message="drbdsetup status --json and events2 --now both failed")
            running = _drbd.parse_events2(ev.stdout)
        names = [r["name"] for r in running]
        return running + [_drbd._empty_resource(n) for n in configured if n not in names]

    def configured_names(self):
        result = self.adm.run(self.conf_args + ["sh-resources"], ok_rc=None)
        if result.rc != 0:
            return []
        return [n for n in result.stdout.split() if n]

    def minors_of(self, name):
        result = self.adm.run(self.conf_args + ["sh-minor", name], ok_rc=None)
        return _drbd.parse_sh_minor(result.stdout) if result.rc == 0 else []

    def dump_md(self, volume, fmt):
        result = self.meta.run(_drbd.drbdmeta_args(volume, fmt), ok_rc=None)
        return _drbd.parse_dump_md(result.rc, result.stdout, result.stderr, fmt=fmt)

    def signatures(self, disk):
        result = self.wipefs.run(["--no-act", "--json", disk],
                                 message="wipefs could not probe %s" % disk)
        return _drbd.parse_wipefs_json(result.stdout)

    def kernel_log(self):
        if not self.dmesg.available:
            return ""
        result = self.dmesg.run([], ok_rc=None)
        return result.stdout if result.rc == 0 else ""

    def get_gi(self, name, volume):
        result = self.adm.run(self.conf_args + ["get-gi", "%s/%d" % (name, volume)], ok_rc=None)
        if result.rc != 0:
            return {"error": (result.stderr or result.stdout).strip(), "rc": result.rc}
        return _drbd.parse_get_gi(result.stdout)

    @staticmethod
    def marker_present(marker_dir, name):
        return bool(marker_dir) and os.path.exists(os.path.join(marker_dir, "split-brain-%s" % name))
