# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# SPDX-License-Identifier: GPL-3.0-or-later
"""A stateful fake of drbdadm, drbdsetup, drbdmeta, wipefs and dmesg.

It follows the facts in ``cli-contracts.md`` §4 (exact messages and exit
codes) so module sequences can be tested: the create-md matrix, up versus
adjust, primary refusals, secondary on an open device. The peer is a
simulated second node whose state the test sets.

Use :func:`run_stateful` to run a module's ``main()`` against it. It also
points ``DrbdCli.PROC_DRBD`` at a file the fake keeps current for 8.4.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

from ansible.module_utils import basic

from ansible_collections.hastorage.cluster.plugins.module_utils._drbd_cli import DrbdCli
from ansible_collections.hastorage.cluster.tests.unit.fake_runner import (
    ModuleExit,
    ModuleFail,
    _exit_json,
    _fail_json,
    _module_args,
)

FAILED_MODPROBE = "Failed to modprobe drbd (No such file or directory)\n"


class FakeDisk:
    def __init__(self, signatures=None, md=None, uuid="0x0000000000000004"):
        self.signatures = list(signatures or [])   # e.g. [{"type": "ext4", "offset": "0x438"}]
        self.md = md                               # None, "v08" or "v09"
        self.uuid = uuid


class FakeDrbd:
    """One node (``local``) and what it sees of its peer."""

    def __init__(self, kernel="9", resource="r0", volumes=None, peer="node2", tmpdir="/tmp"):
        self.kernel = kernel                       # "9", "8.4" or None (no module)
        self.name = resource
        self.volumes = volumes or {0: {"minor": 0, "disk": "/dev/vdb"}}
        self.disks = {}
        self.peer = peer
        self.up = False
        self.role = "Secondary"
        self.disk_state = {}
        self.peer_up = True                        # the peer has the resource up
        self.peer_disk = "Inconsistent"            # what the peer holds
        self.peer_role = "Secondary"
        self.connection = "StandAlone"
        self.pending_adjust = ""                   # what "-d adjust" prints while up
        self.open_devices = set()
        self.reject_config = None                  # text of a parse error for "-c X dump"
        self.kernel_log = ""
        self.calls = []
        self.proc_path = os.path.join(tmpdir, "proc_drbd")
        self.write_proc()

    # helpers ---------------------------------------------------------------
    def disk(self, path):
        return self.disks.setdefault(path, FakeDisk())

    def kernel_version(self):
        return {"9": "9.2.12", "8.4": "8.4.11", None: "0"}[self.kernel]

    def connect(self):
        if self.up and self.peer_up:
            self.connection = "Connected"
        else:
            self.connection = "Connecting"

    def write_proc(self):
        lines = []
        if self.kernel == "8.4":
            lines.append("version: 8.4.11 (api:1/proto:86-101)")
            lines.append("GIT-hash: 66145a308421e9c124ec391a7848ac20203bb03c build by fake")
            for vol, v in sorted(self.volumes.items()):
                if not self.up:
                    continue
                cs = {"Connected": "Connected", "Connecting": "WFConnection", "StandAlone": "StandAlone"}[self.connection]
                peer_disk = self.peer_disk if self.connection == "Connected" else "DUnknown"
                peer_role = self.peer_role if self.connection == "Connected" else "Unknown"
                lines.append(" %d: cs:%s ro:%s/%s ds:%s/%s C r-----" % (
                    v["minor"], cs, self.role, peer_role, self.disk_state[vol], peer_disk))
                lines.append("    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0")
        with open(self.proc_path, "w") as f:
            f.write("\n".join(lines) + ("\n" if lines else ""))

    def status_json(self):
        devices, peer_devices = [], []
        for vol, v in sorted(self.volumes.items()):
            devices.append({"volume": vol, "minor": v["minor"], "disk-state": self.disk_state[vol],
                            "client": False, "quorum": True, "size": 1024})
            peer_devices.append({"volume": vol, "replication-state": "Established" if self.connection == "Connected" else "Off",
                                 "peer-disk-state": self.peer_disk if self.connection == "Connected" else "DUnknown",
                                 "peer-client": False, "resync-suspended": "no", "out-of-sync": 0,
                                 "percent-in-sync": 100.0})
        return json.dumps([{
            "name": self.name, "node-id": 0, "role": self.role, "suspended": False,
            "devices": devices,
            "connections": [{"peer-node-id": 1, "name": self.peer, "connection-state": self.connection,
                             "congested": False,
                             "peer-role": self.peer_role if self.connection == "Connected" else "Unknown",
                             "peer_devices": peer_devices}],
        }], indent=2)

    def volume_of(self, spec):
        """``r0/1`` -> 1."""
        m = re.match(r"^%s/(\d+)$" % re.escape(self.name), spec)
        return int(m.group(1)) if m else None

    # dispatch ------------------------------------------------------------------
    def __call__(self, argv, data=None):
        self.calls.append(list(argv))
        tool = os.path.basename(argv[0])
        args = list(argv[1:])
        result = getattr(self, "_" + tool.replace("-", "_"))(args, data)
        self.write_proc()
        return result

    def _dmesg(self, args, data):
        return 0, self.kernel_log, ""

    def _wipefs(self, args, data):
        if args[:2] == ["--no-act", "--json"]:
            sigs = self.disk(args[2]).signatures
            if not sigs:
                return 0, "", ""
            return 0, json.dumps({"signatures": [dict(device=os.path.basename(args[2]), uuid=None, label=None, **s)
                                                 for s in sigs]}), ""
        if args[0] == "--all":
            self.disk(args[1]).signatures = []
            return 0, "", ""
        raise AssertionError("unexpected wipefs %r" % args)

    def _drbdmeta(self, args, data):
        minor, fmt, disk = int(args[0]), args[1], args[2]
        verb = args[-1]
        d = self.disk(disk)
        if verb == "dump-md":
            if d.md != fmt:
                return 1, "", "No valid meta data found\n"
            return 0, ("# DRBD meta data dump\n# fake> drbdmeta %d %s %s internal dump-md\n#\n\n"
                       'version "%s";\n\ncurrent-uuid %s;\n' % (minor, fmt, disk, fmt, d.uuid)), ""
        raise AssertionError("unexpected drbdmeta %r" % args)

    def _drbdadm_84(self, args, data):
        return self._drbdadm(args, data)

    def _drbdsetup(self, args, data):
        if self.kernel is None:
            return 20, "", FAILED_MODPROBE
        if args[0] == "status" and "--json" in args:
            if self.kernel != "9":
                return 20, "", "drbdsetup: unrecognized option '--json'\n"
            if not self.up:
                return 10, "", "%s: No such resource\n" % self.name
            return 0, self.status_json(), ""
        raise AssertionError("unexpected drbdsetup %r" % args)

    def _drbdadm(self, args, data):
        if args == ["--version"]:
            code = {"9": "0x09020c", "8.4": "0x08040b", None: "0x000000"}[self.kernel]
            # like drbdadm 9.22: with an 8.4 module only the _CODE line is printed
            kernel_line = "" if self.kernel == "8.4" else "DRBD_KERNEL_VERSION=%s\n" % self.kernel_version()
            return 0, ("DRBDADM_BUILDTAG=GIT-hash:\\ 409097fe\\ reproducible\\ build\n"
                       "DRBDADM_API_VERSION=2\nDRBD_KERNEL_VERSION_CODE=%s\n%s"
                       "DRBDADM_VERSION_CODE=0x091600\nDRBDADM_VERSION=9.22.0\n" % (code, kernel_line)), ""
        if args[0] == "-c" and args[2] == "dump":
            if self.reject_config:
                return 10, "", self.reject_config
            return 0, "# resource %s on node1: not ignored, not stacked\n" % args[3], ""
        dry = False
        if args[0] == "-d":
            dry, args = True, args[1:]
        verb = args[0]
        if verb == "sh-resources":
            return 0, self.name + "\n", ""
        if verb == "sh-minor":
            return 0, "".join("%d\n" % self.volumes[vol]["minor"] for vol in sorted(self.volumes)), ""
        if verb not in ("down",) and self.kernel is None:
            return 20, "", FAILED_MODPROBE + "Command 'drbdsetup %s %s' terminated with exit code 20\n" % (verb, self.name)
        if verb == "adjust":
            if dry:
                return 0, (self.pending_adjust if self.up else "drbdsetup new-resource %s\n" % self.name), ""
            self.pending_adjust = ""
            if not self.up:
                return self._bring_up()
            return 0, "", ""
        if verb == "up":
            if self.up:
                return 10, "", ("new-minor r0 0 0: sysfs node '/sys/devices/virtual/block/drbd0' (already? still?) exists\n"
                                "r0: Failure: (161) Minor or volume exists already (delete it first)\n"
                                "Command 'drbdsetup new-minor r0 0 0' terminated with exit code 10\n")
            return self._bring_up()
        if verb == "down":
            self.up = False
            self.connection = "StandAlone"
            return 0, "", ""
        if verb == "create-md":
            vol = self.volume_of(args[-1])
            d = self.disk(self.volumes[vol]["disk"])
            fmt = "v08" if self.kernel == "8.4" else "v09"
            if self.up:
                return 20, "", "Device '%d' is configured!\n" % self.volumes[vol]["minor"]
            if d.md is not None:
                return 1, "Operation cancelled.\n", ("There appears to be a %s flexible-size internal meta data block\n"
                                                     "Do you really want to overwrite the existing meta-data?\n" % d.md)
            if any(s["type"] not in ("drbd",) for s in d.signatures):
                return 40, "Found %s filesystem\nOperation refused.\n" % d.signatures[0]["type"], \
                    "Command 'drbdmeta ...' terminated with exit code 40\n"
            d.md, d.uuid = fmt, "0x0000000000000004"
            return 0, "initializing activity log\nWriting meta data...\nNew drbd meta data block successfully created.\n", ""
        if verb == "new-current-uuid":
            assert "--clear-bitmap" in args
            vol = self.volume_of(args[-1])
            if self.connection != "Connected":
                return 11, "", "State change failed: not connected\n"
            self.disk_state[vol] = "UpToDate"
            self.peer_disk = "UpToDate"
            return 0, "", ""
        if verb == "primary":
            force = "--force" in args
            if self.role == "Primary":
                return 0, "", ""
            if any(s != "UpToDate" for s in self.disk_state.values()) and not force:
                return 17, "", "%s: State change failed: (-2) Need access to UpToDate data\n" % self.name
            self.role = "Primary"
            if force:
                for vol in self.disk_state:
                    self.disk_state[vol] = "UpToDate"
            return 0, "", ""
        if verb == "secondary":
            if any(v["device"] in self.open_devices for v in self.volumes.values() if "device" in v) \
                    or self.open_devices:
                return 11, "", "%s: State change failed: (-12) Device is held open by someone\n" % self.name
            self.role = "Secondary"
            return 0, "", ""
        if verb == "get-gi":
            vol = self.volume_of(args[-1])
            d = self.disk(self.volumes[vol]["disk"])
            return 0, "%s:0000000000000000:0000000000000000:0000000000000000:1:1:0:1:0:0:0\n" % d.uuid[2:].upper(), ""
        raise AssertionError("unexpected drbdadm %r" % args)

    def _bring_up(self):
        for vol, v in self.volumes.items():
            d = self.disk(v["disk"])
            fmt = "v08" if self.kernel == "8.4" else "v09"
            if d.md is None:
                return 10, "", "No valid meta data found\nCommand 'drbdmeta %d %s %s internal apply-al' terminated with exit code 255\n" % (
                    v["minor"], fmt, v["disk"])
            self.disk_state[vol] = "Inconsistent" if d.uuid == "0x0000000000000004" else "UpToDate"
        self.up = True
        self.connect()
        return 0, "", ""


def run_stateful(main, args, fake, monkeypatch, check_mode=False, diff=False):
    """Run ``main()`` with every command answered by ``fake``; returns the result dict."""
    module_args = dict(args)
    if check_mode:
        module_args["_ansible_check_mode"] = True
    if diff:
        module_args["_ansible_diff"] = True

    def run_command(self, argv, check_rc=False, environ_update=None, data=None, **kwargs):
        assert not isinstance(argv, (str, bytes)), "argv list expected"
        assert (environ_update or {}).get("LC_ALL") == "C", "C locale expected"
        return fake([str(a) for a in argv], data=data)

    def get_bin_path(self, arg, required=False, opt_dirs=None):
        return "/usr/sbin/" + os.path.basename(arg)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", get_bin_path)
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", _exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", _fail_json)
    monkeypatch.setattr(DrbdCli, "PROC_DRBD", fake.proc_path)
    with _module_args(module_args):
        try:
            main()
        except ModuleExit as e:
            return e.result
        except ModuleFail as e:
            return e.result
    raise AssertionError("module returned without exit_json/fail_json")
