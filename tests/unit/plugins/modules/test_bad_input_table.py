# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bad-input table of the modules (issue 16): one row of data per case.

Each row runs one module (not in check mode) against a host whose every
command is recorded and answered by a read-only fake of the tools, and
asserts that the module

* fails, with a ``msg`` that names every field of the row;
* ran no command at all (``reads=False``, a refusal from input checking), or
  only the read-only queries the module is allowed (``READ_ONLY``), never a
  command that changes anything;
* wrote nothing under the run's temporary directory, where every path the
  module could write to points (config_dir, conf_file, backup_dir, ...);
* shows the row's secret nowhere: not in the result, not in any argv.

Rows: ``(module, id, params, fields, reads, secret)``; ``params`` are merged
over the module's BASE (harmless paths, no waiting); ``{tmp}`` in a string
is the run's temporary directory.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
import os
import re
import shutil

import pytest

from ansible.module_utils import basic

from ansible_collections.hastorage.cluster.plugins.module_utils._drbd_cli import DrbdCli
from ansible_collections.hastorage.cluster.tests.unit.drbd_fake.fake_drbd import FakeDrbd
from ansible_collections.hastorage.cluster.tests.unit.fake_runner import (
    ModuleExit,
    ModuleFail,
    _exit_json,
    _fail_json,
    _module_args,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")
SECRET = "S3cret-n0t-shown"


def fixture(*parts):
    with open(os.path.join(FIXTURES, *parts)) as f:
        return f.read()


# --------------------------------------------------------------------------- the hosts
# Every answer is the one a healthy host gives to a read. A command nobody
# answers gets rc 0 and no output, so a changing command "works" and shows
# up in the record, where the assertions find it.
def graid_host(tmp_path, monkeypatch):
    from ansible_collections.hastorage.cluster.plugins.module_utils import _graid
    proc = tmp_path / "proc"
    sysb = tmp_path / "sys_block"
    proc.mkdir()
    sysb.mkdir()
    (proc / "mounts").write_text("")
    (proc / "swaps").write_text("")
    monkeypatch.setattr(_graid.InUseChecker, "proc", str(proc))
    monkeypatch.setattr(_graid.InUseChecker, "sys_block", str(sysb))
    reads = {
        "graidctl version": "version.out",
        "graidctl ls cx --format json": "ls-cx-unlicensed.out",
        "graidctl desc lic --format json": "desc-lic-unlicensed.out",
        "graidctl ls nd --format json": "ls-nd.out",
        "graidctl ls sd --format json": "ls-sd-empty.out",
        "graidctl ls pd --format json": "ls-pd-raid5.out",
        "graidctl ls dg --format json": "ls-dg-optimal.out",
        "graidctl ls vd --format json": "ls-vd-one.out",
        "graidctl desc dg 0 --format json": "desc-dg-0.out",
    }

    def answer(argv, data):
        name = reads.get(" ".join(argv))
        if name:
            return 0, fixture("graid", name), ""
        if argv[0] == "pvs":
            return 0, '{"report": [{"pv": []}]}', ""
        return 0, "", ""
    return answer


def drbd_host(tmp_path, monkeypatch):
    fake = FakeDrbd(kernel="9", tmpdir=str(tmp_path))
    monkeypatch.setattr(DrbdCli, "PROC_DRBD", fake.proc_path)

    def answer(argv, data):
        try:
            return fake(["/usr/sbin/" + argv[0]] + argv[1:], data=data)
        except AssertionError as e:  # a call the fake does not model: recorded, answered as failed
            return 1, "", str(e)
    return answer


def cluster_host(tmp_path, monkeypatch):
    reads = [
        (["crm_mon", "--one-shot", "--output-as=xml"], fixture("cluster", "live-crm_mon-3node.xml")),
        (["crm_mon", "-1", "--inactive", "--output-as=xml"], fixture("cluster", "live-crm_mon-3node.xml")),
        (["cibadmin", "--query", "--node"], fixture("cib_sync", "cibadmin-query-formed-3node.xml")),
        (["cibadmin", "--query"], fixture("cluster", "report-cib.xml")),
        (["stonith_admin", "--history"], fixture("cluster", "live-stonith_admin-history-empty.xml")),
        (["pcs", "status", "pcsd"], fixture("cluster", "live-pcs-status-pcsd.txt")),
        (["pcs", "cluster", "config"], fixture("cluster", "cluster-config-3node-2links.json")),
    ]

    def answer(argv, data):
        for prefix, text in reads:
            if argv[:len(prefix)] == prefix:
                return 0, text, ""
        return 0, "", ""
    return answer


def quiet_host(tmp_path, monkeypatch):
    return lambda argv, data: (0, "", "")


def keystone_host(tmp_path, monkeypatch):
    """No Keystone at all: a row that sends any request before refusing fails."""
    module = importlib.import_module("ansible_collections.hastorage.cluster.plugins.modules.keystone_catalog")

    def open_url(url, **kwargs):
        raise AssertionError("keystone_catalog sent %s %s before refusing its input"
                             % (kwargs.get("method", "GET"), url))
    monkeypatch.setattr(module, "open_url", open_url)
    return quiet_host(tmp_path, monkeypatch)


HOSTS = {
    "drbd_info": drbd_host, "drbd_resource": drbd_host,
    "graid_drive_group": graid_host, "graid_info": graid_host, "graid_license": graid_host,
    "graid_physical_drive": graid_host, "graid_virtual_drive": graid_host,
    "keystone_catalog": keystone_host, "md_array": quiet_host, "multipath_info": quiet_host,
    "pacemaker_cib_sync": cluster_host, "pacemaker_info": cluster_host, "pcs_cluster": cluster_host,
    "pcs_cib": quiet_host, "scsi_reservation_info": quiet_host, "sbd_device": quiet_host,
    "config_files": quiet_host, "node_state": quiet_host,
}

# What each module may run before it refuses: queries only (joined argv,
# tool name first). Anything else in the record fails the row.
GRAID_READS = [r"graidctl version$", r"graidctl (ls|desc) .*--format json$", r"pvs --reportformat json\b"]
PACEMAKER_READS = [r"crm_mon (-1|--one-shot)\b", r"cibadmin --query\b", r"stonith_admin --history\b",
                   r"pcs status pcsd\b", r"pcs cluster config --output-format=json\b", r"crm_verify\b",
                   r"pacemaker-\w+ metadata$"]
READ_ONLY = dict(
    drbd_info=[r"drbdadm --version$", r"drbdsetup (status|events2|show)\b", r"drbdadm (-c \S+ )?sh-", r"dmesg\b"],
    drbd_resource=[r"drbdadm --version$", r"drbdadm (-c \S+ )?dump\b", r"drbdsetup (status|events2|show)\b",
                   r"drbdadm (-c \S+ )?sh-", r"drbdmeta .* dump-md$", r"wipefs (--no-act|-n)\b"],
    graid_drive_group=GRAID_READS, graid_info=GRAID_READS, graid_license=GRAID_READS,
    graid_physical_drive=GRAID_READS, graid_virtual_drive=GRAID_READS,
    md_array=[r"mdadm (--detail|--examine|-D|-E)\b", r"blkid\b", r"lsblk\b", r"udevadm info\b"],
    multipath_info=[r"multipathd show maps json$"],
    pacemaker_cib_sync=PACEMAKER_READS, pacemaker_info=PACEMAKER_READS, pcs_cluster=PACEMAKER_READS,
    pcs_cib=PACEMAKER_READS,
    scsi_reservation_info=[r"(sg_persist|mpathpersist) --in\b"],
    sbd_device=[r"sbd -d \S+ dump$", r"wipefs --no-act --json\b"],
    node_state=[r"dpkg-query -W\b", r"systemctl show\b"],
)

DRBD_HOSTS = [{"name": "node1", "address": "10.99.0.11"}, {"name": "node2", "address": "10.99.0.12"}]
CLUSTER_NODES = [{"name": "node1", "addresses": ["10.0.0.1"]}, {"name": "node2", "addresses": ["10.0.0.2"]}]
RSC = {"id": "vip", "agent": "ocf:heartbeat:IPaddr2", "options": {"ip": "192.0.2.10"}}

# Harmless options under every row: writes go under {tmp}, nothing waits.
BASE = {
    "drbd_info": {"split_brain_marker_dir": "{tmp}/markers"},
    "drbd_resource": {"name": "r0", "config_dir": "{tmp}/drbd.d", "volumes": [{"minor": 0, "disk": "/dev/vdb"}],
                      "hosts": DRBD_HOSTS, "wait_timeout": 0},
    "graid_drive_group": {"wait_timeout": 0, "wait_interval": 1},
    "graid_virtual_drive": {"drive_group": 0},
    "md_array": {"device": "/dev/md0", "level": 1, "members": ["/dev/vdb", "/dev/vdc"],
                 "conf_file": "{tmp}/mdadm.conf"},
    "keystone_catalog": {"auth_url": "http://192.0.2.10:5000/v3", "auth": {"password": "admin-pw"}},
    "pacemaker_cib_sync": {"settle": 0, "start_wait": 0, "backup_dir": "{tmp}/diverged"},
    "pacemaker_info": {},
    "pcs_cluster": {"name": "hsc", "nodes": CLUSTER_NODES, "corosync_conf": "{tmp}/corosync.conf",
                    "known_hosts_file": "{tmp}/known-hosts", "cib_seed_file": "{tmp}/cib/cib.xml", "wait": 0},
    "pcs_cib": {"cib_file": "{tmp}/cib.xml", "push_retries": 0},
}

# (module, id, params, fields the message names, reads allowed, secret)
ROWS = [
    # --- drbd_info: read-only, but a resource name it cannot hold is refused
    ("drbd_info", "kernel_log-not-a-bool", {"kernel_log": "sometimes"}, ["kernel_log"], False, None),
    ("drbd_info", "generations-not-a-bool", {"generations": "all"}, ["generations"], False, None),
    ("drbd_info", "unknown-option", {"resource": "r0"}, ["resource"], False, None),
    ("drbd_info", "name-with-blank-and-semicolon", {"name": "r0; reboot"}, ["name"], False, None),
    ("drbd_info", "name-starting-with-a-dash", {"name": "--all"}, ["name"], False, None),
    # --- drbd_resource
    ("drbd_resource", "name-with-a-slash", {"name": "../r0"}, ["name"], False, None),
    ("drbd_resource", "name-starting-with-a-dash", {"name": "-r0"}, ["name"], False, None),
    ("drbd_resource", "port-out-of-range", {"port": 70000}, ["port"], False, None),
    ("drbd_resource", "port-zero", {"port": 0}, ["port"], False, None),
    ("drbd_resource", "host-port-out-of-range",
     {"hosts": [dict(DRBD_HOSTS[0], port=65536), DRBD_HOSTS[1]]}, ["port"], False, None),
    ("drbd_resource", "host-address-not-an-ip",
     {"hosts": [DRBD_HOSTS[0], {"name": "node2", "address": "10.99.0.300"}]}, ["address"], False, None),
    ("drbd_resource", "one-host", {"hosts": DRBD_HOSTS[:1]}, ["hosts"], False, None),
    ("drbd_resource", "disk-relative", {"volumes": [{"minor": 0, "disk": "vdb"}]}, ["disk"], False, None),
    ("drbd_resource", "device-not-drbd", {"volumes": [{"device": "/dev/sdb", "disk": "/dev/vdb"}]},
     ["minor", "device"], False, None),
    ("drbd_resource", "volume-without-minor-or-device", {"volumes": [{"disk": "/dev/vdb"}]}, ["minor", "device"],
     False, None),
    ("drbd_resource", "minor-twice", {"volumes": [{"minor": 0, "disk": "/dev/vdb"}, {"minor": 0, "disk": "/dev/vdc"}]},
     ["minor"], False, None),
    ("drbd_resource", "full-sync-without-force-primary", {"initial_sync": "full"},
     ["initial_sync", "force_primary"], False, None),
    ("drbd_resource", "protocol-unknown", {"protocol": "D"}, ["protocol"], False, None),
    ("drbd_resource", "fencing-unknown", {"fencing": "stonith-only"}, ["fencing"], False, None),
    ("drbd_resource", "volumes-missing", {"volumes": None}, ["volumes"], False, None),
    ("drbd_resource", "secret-with-bad-port", {"shared_secret": SECRET, "port": -1}, ["port"], False, SECRET),
    ("drbd_resource", "secret-too-long", {"shared_secret": SECRET * 5}, ["shared_secret"], False, SECRET * 5),
    ("drbd_resource", "secret-with-a-line-break", {"shared_secret": SECRET + "\nx"}, ["shared_secret"], False, SECRET),
    # --- graid_drive_group
    ("graid_drive_group", "level-unknown", {"physical_drives": ["0", "1"], "level": "raid7"}, ["level"], False, None),
    ("graid_drive_group", "strip-size-not-a-choice", {"physical_drives": ["0", "1"], "level": "raid1", "strip_size": 3},
     ["strip_size"], False, None),
    ("graid_drive_group", "present-without-level", {"physical_drives": ["0", "1"]}, ["level"], False, None),
    ("graid_drive_group", "absent-without-a-selector", {"state": "absent"}, ["id", "physical_drives"], False, None),
    ("graid_drive_group", "absent-with-no-drives", {"state": "absent", "physical_drives": []}, ["id", "physical_drives"],
     False, None),
    ("graid_drive_group", "wait-timeout-negative", {"physical_drives": ["0", "1"], "level": "raid1", "wait_timeout": -1},
     ["wait_timeout"], False, None),
    ("graid_drive_group", "wait-interval-zero", {"physical_drives": ["0", "1"], "level": "raid1", "wait_interval": 0},
     ["wait_interval"], False, None),
    ("graid_drive_group", "raid1-over-three-drives", {"physical_drives": ["0", "1", "2"], "level": "raid1"},
     ["physical_drives"], False, None),
    ("graid_drive_group", "journal-not-a-choice", {"physical_drives": ["0", "1"], "level": "raid1", "journal": "on"},
     ["journal"], False, None),
    ("graid_drive_group", "delete-without-confirm-destroy", {"id": 0, "state": "absent"},
     ["confirm_destroy"], True, None),
    # --- graid_physical_drive
    ("graid_physical_drive", "no-selector", {}, ["nqn", "wwid", "device", "pd_id"], False, None),
    ("graid_physical_drive", "two-selectors", {"pd_id": 0, "device": "/dev/nvme0n1"}, ["pd_id", "device"], False, None),
    ("graid_physical_drive", "hotspare-with-absent", {"pd_id": 0, "state": "absent", "hotspare": "global"},
     ["hotspare"], False, None),
    ("graid_physical_drive", "hotspare-not-a-choice", {"pd_id": 0, "hotspare": "local"}, ["hotspare"], False, None),
    ("graid_physical_drive", "pd-id-not-a-number", {"pd_id": "first"}, ["pd_id"], False, None),
    ("graid_physical_drive", "pd-id-negative", {"pd_id": -1}, ["pd_id"], False, None),
    # --- graid_virtual_drive
    ("graid_virtual_drive", "count-negative", {"count": -1}, ["count"], False, None),
    ("graid_virtual_drive", "size-not-a-size", {"size": "lots"}, ["size"], False, None),
    ("graid_virtual_drive", "vd-id-with-present", {"vd_id": 0}, ["vd_id", "state"], False, None),
    ("graid_virtual_drive", "drive-group-missing", {"drive_group": None}, ["drive_group"], False, None),
    ("graid_virtual_drive", "drive-group-negative", {"drive_group": -1}, ["drive_group"], False, None),
    ("graid_virtual_drive", "vd-id-negative", {"vd_id": -2, "state": "absent", "confirm_destroy": True},
     ["vd_id"], False, None),
    ("graid_virtual_drive", "delete-without-confirm-destroy", {"state": "absent"}, ["confirm_destroy"], True, None),
    # --- graid_license
    ("graid_license", "controllers-not-numbers", {"controllers": ["first"]}, ["controllers"], False, None),
    ("graid_license", "controller-unknown", {"controllers": [7], "key": SECRET}, ["controllers"], True, SECRET),
    ("graid_license", "controller-negative", {"controllers": [-1], "key": SECRET}, ["controllers"], False, SECRET),
    ("graid_license", "key-starting-with-a-dash", {"key": "--" + SECRET}, ["key"], False, "--" + SECRET),
    ("graid_license", "key-with-a-blank", {"key": SECRET + " x"}, ["key"], False, SECRET + " x"),
    ("graid_license", "unlicensed-without-key", {}, ["key"], True, None),
    # --- graid_info
    ("graid_info", "gather-unknown", {"gather": ["controllers", "fans"]}, ["gather"], False, None),
    ("graid_info", "gather-comma-string", {"gather": "controllers,temperature"}, ["gather"], False, None),
    # --- md_array
    ("md_array", "device-not-md", {"device": "/dev/sdb"}, ["device"], False, None),
    ("md_array", "name-with-blank", {"name": "my array"}, ["name"], False, None),
    ("md_array", "member-relative", {"members": ["vdb", "/dev/vdc"]}, ["members"], False, None),
    ("md_array", "member-twice", {"members": ["/dev/vdb", "/dev/vdb"]}, ["members"], False, None),
    ("md_array", "member-outside-dev", {"members": ["/dev/../tmp/disk.img", "/dev/vdc"]}, ["members"], False, None),
    ("md_array", "member-and-spare", {"spares": ["/dev/vdc"]}, ["members", "spares"], False, None),
    ("md_array", "level-not-a-choice", {"level": 7}, ["level"], False, None),
    ("md_array", "raid5-with-two-members", {"level": 5}, ["level", "members"], False, None),
    ("md_array", "chunk-not-a-power-of-two", {"level": 0, "chunk": 3}, ["chunk"], False, None),
    ("md_array", "assume-clean-on-parity", {"level": 5, "members": ["/dev/vdb", "/dev/vdc", "/dev/vdd"],
                                            "assume_clean": True}, ["assume_clean"], False, None),
    ("md_array", "bitmap-on-raid0", {"level": 0, "bitmap": "internal"}, ["bitmap"], False, None),
    ("md_array", "present-without-members", {"members": None}, ["members"], False, None),
    ("md_array", "metadata-not-a-choice", {"metadata": "2.0"}, ["metadata"], False, None),
    ("md_array", "conf-file-relative", {"conf_file": "mdadm.conf"}, ["conf_file"], False, None),
    # --- scsi_reservation_info
    ("scsi_reservation_info", "no-devices", {"devices": []}, ["devices"], False, None),
    ("scsi_reservation_info", "tool-not-a-choice", {"devices": ["/dev/sdb"], "tool": "sh"}, ["tool"], False, None),
    ("scsi_reservation_info", "devices-not-a-list-of-paths", {"devices": [{"path": "/dev/sdb"}]}, ["devices"], False,
     None),
    # --- config_files (nothing written under {tmp} before the refusal)
    ("config_files", "mode-not-octal", {"files": [{"path": "{tmp}/a.conf", "content": "x\n", "mode": "644x"}]},
     ["files", "mode"], False, None),
    ("config_files", "path-relative", {"files": [{"path": "a.conf", "content": "x\n"}]}, ["files", "absolute"], False,
     None),
    ("config_files", "path-twice", {"files": [{"path": "{tmp}/a.conf", "content": "x\n"},
                                              {"path": "{tmp}/a.conf", "content": "y\n"}]}, ["files", "twice"],
     False, None),
    ("config_files", "directory-missing", {"files": [{"path": "{tmp}/conf.d/a.conf", "content": "x\n"}]},
     ["directories", "conf.d"], False, None),
    ("config_files", "owner-unknown-with-a-secret", {"files": [{"path": "{tmp}/s.conf", "content": "pw-cf-SECRET-7",
                                                                "owner": "no-such-user-hsc", "sensitive": True}]},
     ["owner"], False, "pw-cf-SECRET-7"),
    # --- sbd_device
    ("sbd_device", "no-devices", {"devices": []}, ["devices"], False, None),
    ("sbd_device", "device-relative", {"devices": ["sdb"]}, ["devices", "absolute"], False, None),
    ("sbd_device", "device-twice", {"devices": ["/dev/sdb", "/dev/sdb"]}, ["devices", "twice"], False, None),
    ("sbd_device", "msgwait-under-twice-watchdog", {"devices": ["/dev/sdb"], "watchdog_timeout": 5,
                                                    "msgwait_timeout": 6},
     ["msgwait_timeout", "watchdog_timeout"], False, None),
    ("sbd_device", "watchdog-zero", {"devices": ["/dev/sdb"], "watchdog_timeout": 0}, ["watchdog_timeout"], False,
     None),
    ("sbd_device", "overwrite-not-an-sbd-disk", {"devices": ["/dev/sdb"], "overwrite": ["/dev/sdc"]},
     ["overwrite", "/dev/sdc"], False, None),
    ("sbd_device", "initialize-not-a-bool", {"devices": ["/dev/sdb"], "initialize": "maybe"}, ["initialize"], False,
     None),
    # --- node_state: read-only; names that would be options or paths are refused before any command
    ("node_state", "package-an-option", {"packages": ["pcs", "--admindir=/tmp"]}, ["packages", "--admindir=/tmp"],
     False, None),
    ("node_state", "unit-an-option", {"units": ["--host=evil"]}, ["units", "--host=evil"], False, None),
    ("node_state", "path-relative", {"paths": [{"path": "etc/shadow"}]}, ["paths", "etc/shadow"], False, None),
    ("node_state", "property-with-a-comma", {"unit_properties": ["Id,ExecStart"]}, ["unit_properties"], False, None),
    ("node_state", "shadow-without-user", {"shadow": {"hash": SECRET}}, ["shadow", "user"], False, SECRET),
    # --- multipath_info
    ("multipath_info", "wwid-upper-case", {"wwid": ["360014056B3E2A1000014A00800000000"]}, ["wwid"], False, None),
    ("multipath_info", "wwid-a-device", {"wwid": ["/dev/sdb"]}, ["wwid"], False, None),
    ("multipath_info", "maps-not-a-bool", {"maps": "sometimes"}, ["maps"], False, None),
    ("multipath_info", "scsi-disks-not-a-bool", {"scsi_disks": "all"}, ["scsi_disks"], False, None),
    # --- pacemaker_info
    ("pacemaker_info", "fence-history-not-a-bool", {"fence_history": "recent"}, ["fence_history"], False, None),
    ("pacemaker_info", "cib-not-a-bool", {"cib": "full"}, ["cib"], False, None),
    ("pacemaker_info", "cib-file-relative", {"cib_file": "cib.xml"}, ["cib_file"], False, None),
    ("pacemaker_info", "cib-file-missing", {"cib_file": "{tmp}/no-such-cib.xml"}, ["cib_file"], False, None),
    # --- pacemaker_cib_sync
    ("pacemaker_cib_sync", "settle-negative", {"settle": -1}, ["settle"], False, None),
    ("pacemaker_cib_sync", "start-wait-negative", {"start_wait": -5}, ["start_wait"], False, None),
    ("pacemaker_cib_sync", "repair-not-a-bool", {"repair": "please"}, ["repair"], False, None),
    ("pacemaker_cib_sync", "node-starting-with-a-dash", {"nodes": ["--all"]}, ["nodes"], False, None),
    ("pacemaker_cib_sync", "node-empty", {"nodes": ["node1", ""]}, ["nodes"], False, None),
    ("pacemaker_cib_sync", "backup-dir-relative", {"backup_dir": "diverged", "repair": True}, ["backup_dir"],
     False, None),
    ("pacemaker_cib_sync", "node-not-online", {"nodes": ["node9"]}, ["nodes"], True, None),
    # --- pcs_cluster
    ("pcs_cluster", "name-an-option", {"name": "--force"}, ["name"], False, None),
    ("pcs_cluster", "name-too-long", {"name": "c" * 33}, ["name"], False, None),
    ("pcs_cluster", "pcsd-port-out-of-range", {"pcsd_port": 70000, "auth_password": SECRET}, ["pcsd_port"],
     False, SECRET),
    ("pcs_cluster", "wait-negative", {"wait": -1}, ["wait"], False, None),
    ("pcs_cluster", "request-timeout-negative", {"request_timeout": -3}, ["request_timeout"], False, None),
    ("pcs_cluster", "node-twice", {"nodes": [CLUSTER_NODES[0], dict(CLUSTER_NODES[0], addresses=["10.0.0.3"])]},
     ["nodes"], False, None),
    ("pcs_cluster", "node-name-an-option", {"nodes": [CLUSTER_NODES[0], {"name": "-f", "addresses": ["10.0.0.2"]}]},
     ["nodes"], False, None),
    ("pcs_cluster", "address-count-differs",
     {"nodes": [CLUSTER_NODES[0], {"name": "node2", "addresses": ["10.0.0.2", "10.1.0.2"]}]}, ["nodes"], False, None),
    ("pcs_cluster", "address-with-prefix",
     {"nodes": [CLUSTER_NODES[0], {"name": "node2", "addresses": ["10.0.0.2/24"]}]}, ["address"], False, None),
    ("pcs_cluster", "totem-token-not-a-number", {"totem": {"token": "soon"}}, ["totem"], False, None),
    ("pcs_cluster", "two-node-with-three-nodes",
     {"nodes": CLUSTER_NODES + [{"name": "node3", "addresses": ["10.0.0.3"]}], "quorum": {"two_node": 1}},
     ["two_node"], False, None),
    ("pcs_cluster", "transport-unknown", {"transport": "tcp"}, ["transport"], False, None),
    ("pcs_cluster", "link-without-linknumber", {"links": [{"link_priority": 1}]}, ["linknumber"], False, None),
    ("pcs_cluster", "crypto-cipher-unknown", {"crypto": {"cipher": "rot13"}}, ["crypto"], False, None),
    ("pcs_cluster", "password-with-a-line-break", {"auth_password": SECRET + "\nx"}, ["auth_password"],
     False, SECRET),
    ("pcs_cluster", "username-an-option", {"auth_username": "--debug", "auth_password": SECRET}, ["auth_username"],
     False, SECRET),
    # --- pcs_cib (input checks before the CIB is read)
    ("pcs_cib", "resource-id-starts-with-a-digit", {"resources": [dict(RSC, id="1vip")]}, ["id"], False, None),
    ("pcs_cib", "resource-without-agent", {"resources": [{"id": "vip"}]}, ["agent"], False, None),
    ("pcs_cib", "stonith-agent-not-a-fence-agent",
     {"stonith": [{"id": "f1", "agent": "ocf:heartbeat:IPaddr2", "options": {"password": SECRET}}]},
     ["agent"], False, SECRET),
    ("pcs_cib", "location-with-node-and-rule",
     {"resources": [RSC], "constraints": [{"type": "location", "resource": "vip", "node": "node1",
                                           "rule": "defined pingd", "score": 100}]}, ["node", "rule"], False, None),
    ("pcs_cib", "score-not-a-score",
     {"resources": [RSC], "constraints": [{"type": "location", "resource": "vip", "node": "node1",
                                           "score": "lots"}]}, ["score"], False, None),
    ("pcs_cib", "fencing-level-ten", {"fencing_levels": [{"target": "node1", "level": 10, "devices": ["f1"]}]},
     ["level"], False, None),
    ("pcs_cib", "group-member-twice", {"resources": [RSC], "groups": [{"id": "g", "members": ["vip", "vip"]}]},
     ["members"], False, None),
    ("pcs_cib", "interval-not-a-time",
     {"resources": [dict(RSC, operations=[{"action": "monitor", "interval": "soon"}])]}, ["interval"], False, None),
    ("pcs_cib", "node-attribute-without-value", {"node_attributes": [{"node": "node1", "name": "site"}]},
     ["value"], False, None),
    ("pcs_cib", "push-retries-negative", {"push_retries": -1}, ["push_retries"], False, None),
    # --- keystone_catalog: refused before the first request to Keystone
    ("keystone_catalog", "auth-url-not-http", {"auth_url": "keystone:5000"}, ["auth_url"], False, None),
    ("keystone_catalog", "auth-without-password", {"auth": {"username": "admin"}}, ["password"], False, None),
    ("keystone_catalog", "user-twice",
     {"users": [{"name": "glance", "password": SECRET, "project": "service"},
                {"name": "glance", "password": "other", "project": "service"}]}, ["users", "glance"], False, SECRET),
    ("keystone_catalog", "user-empty-password", {"users": [{"name": "nova", "password": "", "project": "service"}]},
     ["nova", "password"], False, None),
    ("keystone_catalog", "user-no-roles",
     {"users": [{"name": "nova", "password": SECRET, "project": "service", "roles": []}]}, ["nova", "roles"],
     False, SECRET),
    ("keystone_catalog", "endpoint-not-a-url",
     {"services": [{"name": "glance", "type": "image", "endpoints": {"internal": "10.0.0.1:9292"}}]},
     ["glance", "internal"], False, None),
    ("keystone_catalog", "endpoint-unknown-interface",
     {"services": [{"name": "glance", "type": "image", "endpoints": {"private": "http://x:9292"}}]},
     ["private"], False, None),
    ("keystone_catalog", "service-without-type", {"services": [{"name": "glance"}]}, ["type"], False, None),
    ("keystone_catalog", "timeout-zero", {"timeout": 0}, ["timeout"], False, None),
    ("pcs_cib", "secret-with-bad-id",
     {"stonith": [{"id": "fence node1", "agent": "fence_ipmilan", "options": {"password": SECRET}}]},
     ["id"], False, SECRET),
]


def _subst(value, tmp):
    if isinstance(value, str):
        return value.replace("{tmp}", tmp)
    if isinstance(value, list):
        return [_subst(v, tmp) for v in value]
    if isinstance(value, dict):
        return dict((k, _subst(v, tmp)) for k, v in value.items())
    return value


def _tree(root):
    """Every file under ``root`` with its content: what the host looks like."""
    state = {}
    for base, dirs, files in os.walk(root):
        for name in dirs:
            state[os.path.join(base, name)] = None
        for name in files:
            path = os.path.join(base, name)
            with open(path, "rb") as f:
                state[path] = f.read()
    return state


def run_row(module_name, params, tmp_path, monkeypatch):
    """Run the module on the recording host; returns (result, [argv...])."""
    module = importlib.import_module("ansible_collections.hastorage.cluster.plugins.modules." + module_name)
    answer = HOSTS[module_name](tmp_path, monkeypatch)
    calls = []

    def run_command(self, args, check_rc=False, environ_update=None, data=None, **kwargs):
        argv = [os.path.basename(str(args[0]))] + [str(a) for a in args[1:]]
        calls.append(argv)
        return answer(argv, data)

    def get_bin_path(self, arg, required=False, opt_dirs=None):
        return "/usr/sbin/" + os.path.basename(arg)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", get_bin_path)
    # what AnsibleModule does before it prints a result: no_log values masked
    monkeypatch.setattr(basic.AnsibleModule, "exit_json",
                        lambda self, **kw: _exit_json(self, **basic.remove_values(kw, self.no_log_values)))
    monkeypatch.setattr(basic.AnsibleModule, "fail_json",
                        lambda self, msg=None, **kw: _fail_json(self, **basic.remove_values(dict(kw, msg=msg),
                                                                                            self.no_log_values)))
    args = dict((k, v) for k, v in params.items() if v is not None)
    with _module_args(args):
        try:
            module.main()
        except (ModuleExit, ModuleFail) as e:
            return e.result, calls
    raise AssertionError("%s returned without exit_json/fail_json" % module_name)


def _row_id(row):
    return "%s-%s" % (row[0], row[1])


@pytest.mark.parametrize("row", [pytest.param(r, id=_row_id(r)) for r in ROWS])
def test_bad_input_is_refused_before_anything_changes(row, tmp_path, monkeypatch):
    module_name, _id, params, fields, reads, secret = row
    host = tmp_path / "host"
    host.mkdir()
    shutil.copy(os.path.join(FIXTURES, "pcs", "cibadmin-empty.xml"), str(host / "cib.xml"))
    merged = dict(BASE.get(module_name, {}))
    merged.update(params)
    before = _tree(str(host))
    result, calls = run_row(module_name, _subst(merged, str(host)), tmp_path, monkeypatch)

    assert result.get("failed"), "%s accepted %r: %r" % (module_name, params, result)
    msg = result.get("msg") or ""
    for field in fields:
        assert field in msg, "the refusal does not name %s: %s" % (field, msg)
    if reads:
        allowed = [re.compile(p) for p in READ_ONLY[module_name]]
        changing = [c for c in calls if not any(p.match(" ".join(c)) for p in allowed)]
        assert changing == [], "%s ran commands that are not read-only queries: %r" % (module_name, changing)
    else:
        assert calls == [], "%s ran commands before refusing input it could check alone: %r" % (module_name, calls)
    assert result.get("changed") in (None, False), result
    assert _tree(str(host)) == before, "%s changed files before refusing" % module_name
    if secret:
        shown = dict((k, v) for k, v in result.items() if k != "invocation")
        assert secret not in repr(shown), "the secret is in the result: %r" % (shown,)
        assert not [c for c in calls if any(secret in a for a in c)], "the secret is in an argv: %r" % (calls,)


def test_every_module_has_rows():
    modules = sorted(f[:-3] for f in os.listdir(os.path.join(os.path.dirname(importlib.import_module(
        "ansible_collections.hastorage.cluster.plugins.modules.pcs_cib").__file__))) if f.endswith(".py")
        and not f.startswith("_"))
    counts = dict((m, len([r for r in ROWS if r[0] == m])) for m in modules)
    assert all(n >= 2 for n in counts.values()), counts
    assert len(ROWS) >= 60
    assert len(set(_row_id(r) for r in ROWS)) == len(ROWS)


def test_the_table_catches_a_module_that_accepts_bad_input(tmp_path, monkeypatch):
    """The harness itself: a valid input passes the module, so the row assertion would fail."""
    result, calls = run_row("multipath_info", {"maps": False}, tmp_path, monkeypatch)
    assert not result.get("failed") and calls == []
    result, calls = run_row("graid_info", {"gather": ["controllers"]}, tmp_path, monkeypatch)
    assert not result.get("failed") and calls, result
