#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: drbd_resource
short_description: Configure, create, bring up and promote one DRBD resource idempotently
description:
  - Renders one DRBD resource file from structured options in the dialect of the loaded
    kernel module (DRBD 9 or 8.4, read from C(drbdadm --version)), validates it with
    C(drbdadm -c <copy> dump) together with the other installed resource files, and only
    then installs it. A file that drbdadm rejects is never installed.
  - Then, as requested, creates metadata (only on a disk with no DRBD metadata of either
    format and no other signature), brings the resource up with C(drbdadm adjust) (never a
    blind C(up)), performs the initial sync (C(full) or C(skip)) and sets the role.
  - Every change comes from a plan computed from the observed state; the state is read
    again after the changes and returned.
version_added: 0.1.0
author:
  - hastorage.cluster contributors (@hastorage)
options:
  name:
    description: Resource name (also the file name C(<config_dir>/<name>.res)).
    type: str
    required: true
  state:
    description:
      - V(present) installs the file and applies O(metadata), O(up), O(initial_sync), O(role).
      - V(absent) takes the resource down (C(drbdadm down)) and removes the file. Metadata and
        data on the disks are left untouched.
    type: str
    choices: [present, absent]
    default: present
  dialect:
    description:
      - Config dialect. V(auto) follows the loaded kernel module. When no module is loaded
        (C(DRBD_KERNEL_VERSION=0)), V(auto) renders DRBD 9 and says so in a warning; set
        V(8.4) to render for an 8.4 kernel (validated with C(drbdadm-84)).
      - A dialect that contradicts the loaded module is refused.
    type: str
    choices: [auto, '9', '8.4']
    default: auto
  config_dir:
    description: Directory holding the resource files (included by O(drbd_conf)).
    type: path
    default: /etc/drbd.d
  drbd_conf:
    description:
      - The top-level configuration drbdadm reads (it must include O(config_dir)). Anything but
        the default is passed to every drbdadm call as C(-c).
    type: path
    default: /etc/drbd.conf
  volumes:
    description: The volumes of the resource.
    type: list
    elements: dict
    required: true
    suboptions:
      volume:
        description: Volume number (default the position in the list).
        type: int
      minor:
        description: DRBD minor number (C(/dev/drbd<minor>)). One of O(volumes[].minor) and O(volumes[].device) is required.
        type: int
      device:
        description: Device path C(/dev/drbd<N>) (the minor then comes from it); defaults to C(/dev/drbd<minor>).
        type: str
      disk:
        description: Backing block device.
        type: str
        required: true
      meta_disk:
        description: V(internal), an external device (flexible size) or C(/dev/x [index]).
        type: str
        default: internal
  hosts:
    description: The hosts of the resource; C(name) must be the host's C(uname -n).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Host name as C(uname -n) prints it.
        type: str
        required: true
      address:
        description: Replication address (IPv4 or IPv6) of the host.
        type: str
        required: true
      port:
        description: TCP port; defaults to O(port).
        type: int
      node_id:
        description: DRBD 9 node id (ignored for 8.4). Give it on every host or none.
        type: int
  port:
    description: Default replication port.
    type: int
    default: 7789
  protocol:
    description: Replication protocol (C is synchronous).
    type: str
    choices: [A, B, C]
    default: C
  fencing:
    description:
      - DRBD fencing policy; placed in C(net) (9) or C(disk) (8.4).
      - With anything but V(dont-care) and O(crm_fence_handlers), the Pacemaker handlers of the
        dialect are configured (C(crm-fence-peer.9.sh)/C(crm-unfence-peer.9.sh) for 9,
        C(crm-fence-peer.sh) and C(after-resync-target crm-unfence-peer.sh) for 8.4).
    type: str
    choices: [dont-care, resource-only, resource-and-stonith]
    default: dont-care
  crm_fence_handlers:
    description: Configure the Pacemaker fence handlers that match O(fencing) and the dialect.
    type: bool
    default: true
  after_sb_0pri:
    description: Automatic split-brain policy with no primary.
    type: str
    default: discard-zero-changes
  after_sb_1pri:
    description: Automatic split-brain policy with one primary (the default never discards writes).
    type: str
    default: disconnect
  after_sb_2pri:
    description: Automatic split-brain policy with two primaries.
    type: str
    default: disconnect
  split_brain_handler:
    description: Command run by the C(split-brain) handler (for example a notifier that also writes a marker).
    type: str
  resync_rate:
    description: C(resync-rate) in the C(disk) section, for example V(100M).
    type: str
  shared_secret:
    description: Peer authentication secret (C(shared-secret)); never logged, masked in diffs. At most 64 characters
      (DRBD's limit), no line break.
    type: str
  cram_hmac_alg:
    description: Hash for peer authentication when O(shared_secret) is set.
    type: str
    default: sha256
  net_options:
    description: Extra C(net) options, rendered as C(key value;) and checked by drbdadm.
    type: dict
    default: {}
  disk_options:
    description: Extra C(disk) options.
    type: dict
    default: {}
  resource_options:
    description: C(options) section (DRBD 9 for example C(auto-promote no), C(quorum off)).
    type: dict
    default: {}
  auto_promote:
    description:
      - DRBD 9 C(auto-promote) resource option; unset leaves DRBD's default. Ignored for 8.4.
      - Under Pacemaker set it to V(false), the C(ocf:linbit:drbd) agent owns the role.
    type: bool
  handlers:
    description: Extra handlers (name to command).
    type: dict
    default: {}
  metadata:
    description:
      - Create DRBD metadata on volumes that have none (C(create-md)).
      - Existing metadata of either format (v08 or v09) counts as present and is never re-created.
      - A disk holding a filesystem, partition table or other signature is refused with what was
        found, unless O(wipe_existing).
    type: bool
    default: true
  wipe_existing:
    description: Erase foreign signatures (C(wipefs --all)) before creating metadata. Destructive.
    type: bool
    default: false
  up:
    description: Bring the resource up or apply config changes to it with C(drbdadm adjust).
    type: bool
    default: true
  initial_sync:
    description:
      - What to do while both sides are Inconsistent (a new resource).
      - V(full) makes this node the sync source with C(primary --force); needs O(force_primary)
        and is refused when the peer has data or cannot be checked.
      - V(skip) marks both sides UpToDate without a sync (C(new-current-uuid --clear-bitmap)), for
        new empty disks only.
      - Run it on one node only, after the resource is up on both.
    type: str
    choices: [none, full, skip]
    default: none
  force_primary:
    description: Confirms the forced first primary of O(initial_sync=full). Never used for role changes.
    type: bool
    default: false
  role:
    description:
      - V(primary) or V(secondary); unset leaves the role alone (under Pacemaker the
        C(ocf:linbit:drbd) agent owns the role).
      - Never forces. V(secondary) on a device that is still open fails and names the holder.
    type: str
    choices: [primary, secondary]
  wait_timeout:
    description: Seconds to wait for the peers to connect before the initial sync or a role change.
    type: int
    default: 120
extends_documentation_fragment: []
attributes:
  check_mode:
    support: full
    description: Nothing is written or run that changes state; the planned actions are returned.
  diff_mode:
    support: full
    description: Shows the resource file before and after (secret masked).
  idempotent:
    support: full
    description: A second run with the same options plans and changes nothing (metadata is never re-created).
notes:
  - The module runs on the DRBD node; drbdadm only accepts a config whose C(on <host>) section
    matches C(uname -n) and whose local address exists on the node.
seealso:
  - module: hastorage.cluster.drbd_info
"""

EXAMPLES = r"""
- name: Configure r0 and create its metadata on both nodes
  hastorage.cluster.drbd_resource:
    name: r0
    volumes:
      - {minor: 0, disk: /dev/vdb}
    hosts:
      - {name: node1, address: 10.99.0.11}
      - {name: node2, address: 10.99.0.12}
    fencing: resource-and-stonith

- name: On one node only, skip the initial sync of the new, empty disks
  hastorage.cluster.drbd_resource:
    name: r0
    volumes: [{minor: 0, disk: /dev/vdb}]
    hosts:
      - {name: node1, address: 10.99.0.11}
      - {name: node2, address: 10.99.0.12}
    fencing: resource-and-stonith
    initial_sync: skip
  when: inventory_hostname == 'node1'
"""

RETURN = r"""
dialect:
  description: The dialect the file was rendered in.
  returned: always
  type: str
  sample: "8.4"
config_path:
  description: The resource file.
  returned: always
  type: str
  sample: /etc/drbd.d/r0.res
actions:
  description: The planned changes, one line each (also in check mode).
  returned: always
  type: list
  elements: str
  sample: ["write /etc/drbd.d/r0.res", "create-md r0/0 on /dev/vdb", "adjust r0"]
metadata:
  description: Per volume, the metadata found before the run (format) and the decision.
  returned: when metadata was checked
  type: list
  elements: dict
  sample: [{volume: 0, disk: /dev/vdb, found: v08, decision: keep, signatures: []}]
status:
  description: State of the resource after the run (as hastorage.cluster.drbd_info returns it).
  returned: when state=present
  type: dict
  sample: {role: Secondary, disk_state: UpToDate, connection_state: Connected}
"""

import os
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hastorage.cluster.plugins.module_utils import _drbd
from ansible_collections.hastorage.cluster.plugins.module_utils import _files
from ansible_collections.hastorage.cluster.plugins.module_utils._drbd_cli import DrbdCli
from ansible_collections.hastorage.cluster.plugins.module_utils._runner import (
    CommandError,
    apply_actions,
    fail_from_error,
)

SPEC_KEYS = ("name", "volumes", "hosts", "port", "protocol", "fencing", "crm_fence_handlers",
             "after_sb_0pri", "after_sb_1pri", "after_sb_2pri", "split_brain_handler",
             "resync_rate", "shared_secret", "cram_hmac_alg", "net_options", "disk_options",
             "resource_options", "handlers")


def argument_spec():
    return dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        dialect=dict(type="str", default="auto", choices=["auto", "9", "8.4"]),
        config_dir=dict(type="path", default="/etc/drbd.d"),
        drbd_conf=dict(type="path", default="/etc/drbd.conf"),
        volumes=dict(type="list", elements="dict", required=True, options=dict(
            volume=dict(type="int"),
            minor=dict(type="int"),
            device=dict(type="str"),
            disk=dict(type="str", required=True),
            meta_disk=dict(type="str", default="internal"),
        ), required_one_of=[("minor", "device")]),
        hosts=dict(type="list", elements="dict", required=True, options=dict(
            name=dict(type="str", required=True),
            address=dict(type="str", required=True),
            port=dict(type="int"),
            node_id=dict(type="int"),
        )),
        port=dict(type="int", default=7789),
        protocol=dict(type="str", default="C", choices=["A", "B", "C"]),
        fencing=dict(type="str", default="dont-care",
                     choices=["dont-care", "resource-only", "resource-and-stonith"]),
        crm_fence_handlers=dict(type="bool", default=True),
        after_sb_0pri=dict(type="str", default="discard-zero-changes"),
        after_sb_1pri=dict(type="str", default="disconnect"),
        after_sb_2pri=dict(type="str", default="disconnect"),
        split_brain_handler=dict(type="str"),
        resync_rate=dict(type="str"),
        shared_secret=dict(type="str", no_log=True),
        cram_hmac_alg=dict(type="str", default="sha256"),
        net_options=dict(type="dict", default={}),
        disk_options=dict(type="dict", default={}),
        resource_options=dict(type="dict", default={}),
        handlers=dict(type="dict", default={}),
        auto_promote=dict(type="bool"),
        metadata=dict(type="bool", default=True),
        wipe_existing=dict(type="bool", default=False),
        up=dict(type="bool", default=True),
        initial_sync=dict(type="str", default="none", choices=["none", "full", "skip"]),
        force_primary=dict(type="bool", default=False),
        role=dict(type="str", choices=["primary", "secondary"]),
        wait_timeout=dict(type="int", default=120),
    )


class ResourceRun:
    """One run of the module: query, plan, apply, re-query."""

    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.cli = DrbdCli(module)
        self.actions = []
        self.warnings = []
        self.result = {"changed": False}

    # helpers -----------------------------------------------------------------
    def act(self, line):
        self.actions.append(line)
        self.result["changed"] = True

    def fail(self, msg, **extra):
        self.module.fail_json(msg=msg, actions=self.actions, **extra)

    def adm(self, args, **kwargs):
        """drbdadm (drbdadm-84 for the 8.4 dialect without a module), with -c when not the default."""
        runner = self.cli.adm84 if (self.dialect == _drbd.DIALECT_84 and self.loaded is None) else self.cli.adm
        if self.p["drbd_conf"] != "/etc/drbd.conf":
            args = ["-c", self.p["drbd_conf"]] + list(args)
        return runner.run(args, **kwargs)

    def minors(self):
        return dict((v["volume"], v["minor"]) for v in self.spec["volumes"])

    def state(self):
        res = self.cli.resource_state(self.p["name"], self.minors(), self.dialect, self.loaded)
        return _drbd.summarize(res)

    def other_files(self):
        cdir = self.p["config_dir"]
        files = []
        common = os.path.join(cdir, "global_common.conf")
        if os.path.exists(common):
            files.append(common)
        try:
            names = sorted(os.listdir(cdir))
        except OSError:
            names = []
        for fname in names:
            if fname.endswith(".res") and fname != self.p["name"] + ".res":
                files.append(os.path.join(cdir, fname))
        return files

    # steps ---------------------------------------------------------------------
    def run(self):
        p = self.p
        info = self.cli.version()
        self.loaded = _drbd.kernel_dialect(info)
        self.dialect, note = _drbd.choose_dialect(p["dialect"], self.loaded)
        if note:
            self.warnings.append(note)
        spec = dict((k, p[k]) for k in SPEC_KEYS)
        if p["auto_promote"] is not None and self.dialect == _drbd.DIALECT_9:
            spec["resource_options"] = dict(spec["resource_options"], **{"auto-promote": p["auto_promote"]})
        self.spec = _drbd.normalize_spec(spec)
        self.path = os.path.join(p["config_dir"], p["name"] + ".res")
        self.result.update(dialect=self.dialect, config_path=self.path,
                           kernel_version=_drbd.kernel_version(info),
                           utils_version=info.get("DRBDADM_VERSION"))
        if p["state"] == "absent":
            self.absent()
        else:
            self.present()
        self.result["actions"] = self.actions
        if self.warnings:
            self.result["warnings"] = self.warnings
        self.module.exit_json(**self.result)

    def absent(self):
        status = self.state()
        if status["up"] and status["role"] == "Primary":
            holders = _drbd.find_holders([v["device"] for v in self.spec["volumes"]])
            if holders:
                self.fail("refusing to take %s down: %s" % (self.p["name"], "; ".join(holders)))
        exists = os.path.exists(self.path)
        if exists and self.module._diff:
            with open(self.path) as f:
                self.result["diff"] = {"before": f.read(), "after": "",
                                       "before_header": self.path, "after_header": self.path}
        self.apply(_drbd.absent_actions(self.p["name"], self.path, status["up"], exists))

    def present(self):
        """Query, plan, apply, re-query: the file and metadata, then adjust, then the sync and role."""
        p = self.p
        text = _drbd.render_resource(self.spec, self.dialect)
        masked = _drbd.render_resource(self.spec, self.dialect, mask_secret=True)
        current = None
        if os.path.exists(self.path):
            with open(self.path) as f:
                current = f.read()
        self.validate(text, masked)
        config_changed = current != text
        status = self.state() if (p["up"] or p["metadata"]) else None
        was_up = bool(status and status["up"])
        attached = was_up and any(v["disk_state"] not in ("Diskless", None) for v in status["volumes"])
        # read-only metadata plan first: a refusal leaves everything as it was
        md_plan = self.plan_metadata() if (p["metadata"] and not attached) else []
        if config_changed and self.module._diff:
            before = current
            if current is not None and self.spec.get("shared_secret"):
                before = current.replace(self.spec["shared_secret"], "********")
            self.result["diff"] = {"before": before or "", "after": masked,
                                   "before_header": self.path, "after_header": self.path}
        written = self.apply(_drbd.config_actions(self.path, text, config_changed)
                             + _drbd.metadata_actions(p["name"], md_plan, p["wipe_existing"]))
        if not p["up"]:
            return
        pending = None
        if was_up and (written or not config_changed):
            # the file in place is the wanted one: drbdadm says what adjust would change
            dry = self.adm(["-d", "adjust", p["name"]], message="drbdadm -d adjust failed")
            pending = _drbd.adjust_pending(dry.stdout)
        up = self.apply(_drbd.adjust_actions(p["name"], was_up, pending)) or was_up
        if p["initial_sync"] != "none" or p["role"]:
            if up:
                self.sync_and_role()
            else:
                self.apply(_drbd.sync_and_role_later(p["initial_sync"], p["role"]))
        if up:
            self.result["status"] = self.state()

    # apply ---------------------------------------------------------------------
    def apply(self, actions):
        """Carry out the actions of a plan (in check mode, only report them)."""
        return apply_actions(self.module, actions, self.perform, self.report)

    def report(self, action):
        """An action's line in ``actions``, after its refusals (which read only)."""
        if action["kind"] == "secondary":
            holders = _drbd.find_holders([v["device"] for v in self.spec["volumes"]])
            if holders:
                self.fail("cannot make %s secondary: %s" % (self.p["name"], "; ".join(holders)))
        self.act(action["text"])

    def perform(self, action):
        """Report the action, then carry it out."""
        self.report(action)
        kind = action["kind"]
        if kind == "write":
            self.install(action["content"])
        elif kind == "remove":
            os.remove(action["path"])
        elif kind == "wipefs":
            self.cli.wipefs.run(action["argv"], mutating=True, message="wipefs failed")
        elif kind == "create-md":
            self.create_md(action["argv"], action["volume"])
        elif kind == "secondary":
            self.secondary(action["argv"])
        elif kind == "adm":
            self.adm(action["argv"], mutating=True, message=action["message"])

    def validate(self, text, masked):
        fd, tmp = tempfile.mkstemp(prefix="drbd-%s-" % self.p["name"], suffix=".conf")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(_drbd.validation_config(text, self.other_files()))
            if self.dialect == _drbd.DIALECT_84 and self.loaded is None:
                runner = self.cli.adm84
            else:
                runner = self.cli.adm
            check = runner.run(["-c", tmp, "dump", self.p["name"]], ok_rc=None)
        finally:
            os.remove(tmp)
        if check.rc != 0:
            err = "\n".join(line for line in (check.stderr or check.stdout).splitlines()
                            if "modinfo: not found" not in line)
            self.fail("drbdadm rejected the rendered %s configuration (rc %s); nothing was installed: %s"
                      % (self.dialect, check.rc, err.strip()), rendered=masked, rc=check.rc)

    def install(self, text):
        """Write the resource file durably (a node that loses power right after a run must still find it),
        0600 from the start: it may hold the shared secret."""
        cdir = self.p["config_dir"]
        if not os.path.isdir(cdir):
            os.makedirs(cdir, 0o755)
        _files.replace_durably(self.path, text, mode=0o600)

    def plan_metadata(self):
        """Per volume: what is on the disk and what to do (read-only; refusals fail here)."""
        report = []
        self.result["metadata"] = report
        for vol in self.spec["volumes"]:
            entry = {"volume": vol["volume"], "disk": vol["disk"]}
            try:
                v09 = self.cli.dump_md(vol, "v09")
                v08 = self.cli.dump_md(vol, "v08")
            except _drbd.DrbdError as e:
                self.fail("could not read DRBD metadata of %s: %s" % (vol["disk"], e))
            entry["found"] = v09["version"] if v09["present"] else (v08["version"] if v08["present"] else None)
            sigs = [] if entry["found"] else self.cli.signatures(vol["disk"])
            entry["signatures"] = sigs
            try:
                entry["decision"] = _drbd.plan_metadata(vol, v09, v08, sigs, self.p["wipe_existing"])
            except _drbd.DrbdError as e:
                entry["decision"] = "refused"
                report.append(entry)
                self.fail(str(e), metadata=report)
            report.append(entry)
            if entry["found"] and self.loaded and entry["found"] != self.md_format():
                self.warnings.append("%s holds %s metadata but the kernel module is DRBD %s; it was kept "
                                     "(never re-created)" % (vol["disk"], entry["found"], self.dialect))
        return [(vol, entry) for vol, entry in zip(self.spec["volumes"], report) if entry["decision"] != "keep"]

    def md_format(self):
        return {"9": "v09", "8.4": "v08"}[self.dialect]

    def create_md(self, argv, vol):
        res = self.adm(argv, mutating=True, ok_rc=None, data="no\n")
        if res.rc != 0:
            detail = "\n".join(line for line in (res.stderr + res.stdout).splitlines()
                               if line.strip() and "modinfo: not found" not in line)
            self.fail("drbdadm create-md %s/%d refused (rc %s); nothing was overwritten. Set "
                      "wipe_existing: true only if the data on %s is not needed: %s"
                      % (self.p["name"], vol["volume"], res.rc, vol["disk"], detail),
                      metadata=self.result["metadata"], rc=res.rc)
        after = self.cli.dump_md(vol, self.md_format())
        if not after["present"]:
            self.fail("create-md reported success but no metadata is found on %s" % vol["disk"])

    def wait_settled(self):
        deadline = time.time() + max(0, self.p["wait_timeout"])
        status = self.state()
        while not _drbd.settled(status) and time.time() < deadline:
            time.sleep(1)
            status = self.state()
        return status

    def sync_and_role(self):
        p = self.p
        status = self.wait_settled() if (p["initial_sync"] != "none" or p["role"] == "primary") else self.state()
        try:
            planned = _drbd.plan_sync_and_role(status, p["initial_sync"], p["force_primary"], p["role"])
        except _drbd.DrbdError as e:
            self.fail(str(e), status=status)
        self.apply(_drbd.sync_and_role_actions(p["name"], self.spec["volumes"], planned))

    def secondary(self, argv):
        res = self.adm(argv, mutating=True, ok_rc=None)
        if res.rc != 0:
            holders = _drbd.find_holders([v["device"] for v in self.spec["volumes"]])
            self.fail("drbdadm secondary %s failed (rc %s): %s%s" % (
                self.p["name"], res.rc, (res.stderr or res.stdout).strip(),
                ("; held by: " + "; ".join(holders)) if holders else ""), rc=res.rc)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    if module.params["initial_sync"] == "full" and not module.params["force_primary"]:
        module.fail_json(msg="initial_sync: full makes this node the sync source with primary --force, "
                             "which overwrites the peer: set force_primary: true to confirm")
    # the resource description alone, before any command runs (the dialect's own rules come once it is known)
    try:
        _drbd.normalize_spec(dict((k, module.params[k]) for k in SPEC_KEYS))
    except _drbd.DrbdError as e:
        module.fail_json(msg=str(e))
    run = ResourceRun(module)
    try:
        run.run()
    except _drbd.DrbdError as e:
        module.fail_json(msg=str(e), actions=run.actions)
    except CommandError as e:
        fail_from_error(module, e, actions=run.actions)


if __name__ == "__main__":
    main()
