# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure DRBD parsers and planners on captured (and documented) output."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils import _drbd

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "drbd")


def fixture(name):
    with open(os.path.join(FIX, name)) as f:
        return f.read()


SPEC = {
    "name": "r0",
    "volumes": [{"minor": 0, "disk": "/dev/vdb"}],
    "hosts": [{"name": "node1", "address": "10.99.0.11"}, {"name": "node2", "address": "10.99.0.12"}],
    "fencing": "resource-and-stonith",
}


# version / dialect -----------------------------------------------------------
def test_parse_version_captured_no_module():
    text = fixture("drbdadm-version-no-module.txt")
    info = _drbd.parse_version(text)
    assert info["DRBDADM_VERSION"] == "9.22.0"
    assert info["DRBD_KERNEL_VERSION"] == "0"
    assert info["DRBDADM_BUILDTAG"].startswith("GIT-hash: 409097fe")
    assert _drbd.kernel_dialect(info) is None


def test_parse_version_captured_84_kernel():
    """drbdadm 9.22 with the Debian 12 kernel's DRBD 8.4.11: only the _CODE line is printed."""
    info = _drbd.parse_version(fixture("drbdadm-version-84-kernel.txt"))
    assert "DRBD_KERNEL_VERSION" not in info
    assert _drbd.kernel_version(info) == "8.4.11"
    assert _drbd.kernel_dialect(info) == "8.4"


@pytest.mark.parametrize("kernel,dialect", [("8.4.11", "8.4"), ("9.2.12", "9"), ("9.1.0", "9"), ("0", None)])
def test_kernel_dialect(kernel, dialect):
    assert _drbd.kernel_dialect({"DRBD_KERNEL_VERSION": kernel}) == dialect


def test_kernel_dialect_unknown():
    with pytest.raises(_drbd.DrbdError):
        _drbd.kernel_dialect({"DRBD_KERNEL_VERSION": "7.0.1"})


def test_choose_dialect():
    assert _drbd.choose_dialect("auto", "8.4") == ("8.4", None)
    dialect, note = _drbd.choose_dialect("auto", None)
    assert dialect == "9" and "DRBD_KERNEL_VERSION=0" in note
    assert _drbd.choose_dialect("8.4", None)[0] == "8.4"
    with pytest.raises(_drbd.DrbdError, match="loaded DRBD kernel module is 8.4"):
        _drbd.choose_dialect("9", "8.4")


# rendering ---------------------------------------------------------------------
def test_render_9_has_dialect_specific_parts():
    spec = _drbd.normalize_spec(dict(SPEC, resource_options={"auto-promote": False}))
    text = _drbd.render_resource(spec, "9")
    net = text[text.index("net {"):text.index("}", text.index("net {"))]
    assert "fencing resource-and-stonith;" in net
    assert '"/usr/lib/drbd/crm-fence-peer.9.sh"' in text
    assert 'unfence-peer "/usr/lib/drbd/crm-unfence-peer.9.sh"' in text
    assert "after-resync-target" not in text
    assert "auto-promote no;" in text
    assert "address ipv4 10.99.0.11:7789;" in text
    assert "after-sb-1pri disconnect;" in text  # default never discards writes


def test_render_84_has_dialect_specific_parts():
    spec = _drbd.normalize_spec(dict(SPEC, hosts=[dict(h, node_id=i) for i, h in enumerate(SPEC["hosts"])]))
    text = _drbd.render_resource(spec, "8.4")
    disk = text[text.index("disk {"):text.index("}", text.index("disk {"))]
    assert "fencing resource-and-stonith;" in disk
    assert "fencing" not in text[text.index("net {"):text.index("}", text.index("net {"))]
    assert 'fence-peer "/usr/lib/drbd/crm-fence-peer.sh"' in text
    assert 'after-resync-target "/usr/lib/drbd/crm-unfence-peer.sh"' in text
    assert "unfence-peer" not in text.replace("crm-unfence-peer", "")
    assert "node-id" not in text


def test_render_84_refuses_9_only_things():
    spec = _drbd.normalize_spec(dict(SPEC, resource_options={"quorum": "majority"}))
    with pytest.raises(_drbd.DrbdError, match="only in DRBD 9"):
        _drbd.render_resource(spec, "8.4")
    three = dict(SPEC, hosts=SPEC["hosts"] + [{"name": "node3", "address": "10.99.0.13"}])
    with pytest.raises(_drbd.DrbdError, match="exactly two hosts"):
        _drbd.render_resource(_drbd.normalize_spec(three), "8.4")
    with pytest.raises(_drbd.DrbdError, match="node_id on every host"):
        _drbd.render_resource(_drbd.normalize_spec(three), "9")


def test_render_secret_masked_and_quoted():
    spec = _drbd.normalize_spec(dict(SPEC, shared_secret='s3 "cret'))
    assert 'shared-secret "s3 \\"cret";' in _drbd.render_resource(spec, "9")
    masked = _drbd.render_resource(spec, "9", mask_secret=True)
    assert "s3" not in masked and '"********"' in masked


def test_render_ipv6_and_three_node_mesh():
    spec = _drbd.normalize_spec({
        "name": "r1", "volumes": [{"device": "/dev/drbd5", "disk": "/dev/vdc"}],
        "hosts": [{"name": "a", "address": "fd00::1", "node_id": 0},
                  {"name": "b", "address": "fd00::2", "node_id": 1},
                  {"name": "c", "address": "fd00::3", "node_id": 2, "port": 7800}]})
    text = _drbd.render_resource(spec, "9")
    assert "address ipv6 [fd00::1]:7789;" in text
    assert "address ipv6 [fd00::3]:7800;" in text
    assert "hosts a b c;" in text
    assert "device /dev/drbd5 minor 5;" in text


@pytest.mark.parametrize("change,message", [
    ({"name": "r 0"}, "resource name"),
    ({"volumes": []}, "at least one volume"),
    ({"volumes": [{"disk": "/dev/vdb"}]}, "minor"),
    ({"volumes": [{"device": "/dev/sdb", "disk": "/dev/vdb"}]}, "/dev/drbdN"),
    ({"volumes": [{"minor": 1, "disk": "/dev/vdb"}, {"minor": 1, "disk": "/dev/vdc"}]}, "minor 1 is used by two"),
    ({"hosts": [{"name": "node1", "address": "10.99.0.11"}]}, "at least two hosts"),
    ({"hosts": [{"name": "node1", "address": "10.99.0.300"}, {"name": "n2", "address": "10.0.0.1"}]}, "not an IP"),
    ({"hosts": [{"name": "n", "address": "10.0.0.1"}, {"name": "n", "address": "10.0.0.2"}]}, "listed twice"),
    ({"hosts": [{"name": "a", "address": "10.0.0.1", "port": 70000}, {"name": "b", "address": "10.0.0.2"}]}, "out of range"),
    # port 0 used to become 7789 without a word
    ({"port": 0}, r"port 0 is out of range \(1-65535\)"),
    ({"hosts": [{"name": "a", "address": "10.0.0.1", "port": 0}, {"name": "b", "address": "10.0.0.2"}]},
     r"host a: port 0 is out of range"),
    ({"port": "drbd"}, "port must be a TCP port number, got 'drbd'"),
    ({"volumes": [{"minor": 0, "disk": "md0"}]}, "disk must be the absolute path of the backing block device"),
    ({"volumes": [{"minor": 0, "disk": "/dev/../tmp/x"}]}, "disk must be the absolute path"),
    ({"hosts": [{"name": "a", "address": "10.0.0.1"}, {"name": "b", "address": "10.0.0.1"}]},
     "host b: address 10.0.0.1 port 7789 is also host a's"),
    ({"hosts": [{"name": "a", "address": "fd00::1"}, {"name": "b", "address": "fd00:0::1"}]},
     "host b: address fd00:0::1 port 7789 is also host a's"),
])
def test_normalize_spec_refuses(change, message):
    with pytest.raises(_drbd.DrbdError, match=message):
        _drbd.normalize_spec(dict(SPEC, **change))


def test_normalize_spec_ports_and_one_address_on_two_ports():
    spec = _drbd.normalize_spec(dict(SPEC, port=7790))
    assert [h["port"] for h in spec["hosts"]] == [7790, 7790]
    # the same address with different ports is allowed (two resources of a loopback test, for example)
    two = _drbd.normalize_spec(dict(SPEC, hosts=[{"name": "a", "address": "10.0.0.1", "port": 7789},
                                                 {"name": "b", "address": "10.0.0.1", "port": 7790}]))
    assert [h["port"] for h in two["hosts"]] == [7789, 7790]


# metadata --------------------------------------------------------------------------
def test_parse_dump_md_captured():
    md = _drbd.parse_dump_md(0, fixture("dump-md-v09-fresh.stdout"), "")
    assert md == {"present": True, "version": "v09", "current_uuid": "0x0000000000000004"}
    assert _drbd.parse_dump_md(1, "", fixture("dump-md-none.stderr"))["present"] is False
    with pytest.raises(_drbd.DrbdError, match="rc 20"):
        _drbd.parse_dump_md(20, "", "'/x' is not a block device!")


# what drbdmeta 9.22 printed for the backing disk of a DRBD 8.4 primary killed during writes (UML lab)
UNCLEAN = 'Found meta data is "unclean", please apply-al first\n'


@pytest.mark.parametrize("fmt", ["v08", "v09"])
def test_parse_dump_md_unclean_after_a_power_loss_is_present_metadata(fmt):
    md = _drbd.parse_dump_md(1, "", UNCLEAN, fmt=fmt)
    assert md["present"] is True and md["version"] == fmt and md["unclean"] is True
    # and therefore kept: never create-md over it
    assert _drbd.plan_metadata(VOL, md, md, [], False) == "keep"
    # without the format asked the message stays an error
    with pytest.raises(_drbd.DrbdError, match="unclean"):
        _drbd.parse_dump_md(1, "", UNCLEAN)


def test_parse_wipefs_captured():
    sigs = _drbd.parse_wipefs_json(fixture("wipefs-ext4.json"))
    assert sigs[0]["type"] == "ext4" and sigs[0]["offset"] == "0x438"
    assert _drbd.parse_wipefs_json(fixture("wipefs-blank.json")) == []
    assert _drbd.parse_wipefs_json("") == []


NONE = {"present": False, "version": None}
V08 = {"present": True, "version": "v08"}
V09 = {"present": True, "version": "v09"}
VOL = {"volume": 0, "disk": "/dev/vdb", "minor": 0, "meta_disk": "internal"}
EXT4 = [{"type": "ext4", "offset": "0x438"}]


@pytest.mark.parametrize("v09,v08,sigs,wipe,expected", [
    (NONE, NONE, [], False, "create"),
    (V09, NONE, [], False, "keep"),
    (NONE, V08, [], False, "keep"),               # 8.4 metadata seen by 9 utils: present
    (V09, NONE, [{"type": "drbd", "offset": "0x3ff"}], False, "keep"),
    (NONE, NONE, [{"type": "drbd", "offset": "0x3ff"}], False, "create"),
    (NONE, NONE, EXT4, True, "wipe-and-create"),
    (V08, NONE, EXT4, True, "keep"),              # never re-created, even with wipe_existing
])
def test_plan_metadata_matrix(v09, v08, sigs, wipe, expected):
    assert _drbd.plan_metadata(VOL, v09, v08, sigs, wipe) == expected


def test_plan_metadata_refuses_filesystem_with_what_was_found():
    with pytest.raises(_drbd.DrbdError) as e:
        _drbd.plan_metadata(VOL, NONE, NONE, EXT4 + [{"type": "dos", "offset": "0x1fe"}], False)
    assert "ext4 at offset 0x438, dos at offset 0x1fe" in str(e.value)
    assert "wipe_existing: true" in str(e.value)


@pytest.mark.parametrize("md,args", [
    ("internal", ["3", "v08", "/dev/vdb", "internal", "dump-md"]),
    ("/dev/vdc", ["3", "v08", "/dev/vdb", "/dev/vdc", "flex-external", "dump-md"]),
    ("/dev/vdc [2]", ["3", "v08", "/dev/vdb", "/dev/vdc", "2", "dump-md"]),
])
def test_drbdmeta_args(md, args):
    assert _drbd.drbdmeta_args(dict(VOL, minor=3, meta_disk=md), "v08") == args


# status parsers ------------------------------------------------------------------------
def test_status_json_connected():
    res = _drbd.parse_status_json(fixture("status-json-9.22-primary-connected.json"))
    s = _drbd.summarize(res[0])
    assert (s["name"], s["role"], s["disk_state"], s["peer"], s["peer_role"]) == \
        ("r0", "Primary", "UpToDate", "peer2", "Secondary")
    assert (s["connection_state"], s["replication_state"], s["out_of_sync_kib"], s["sync_percent"]) == \
        ("Connected", "Established", 0, 100.0)


def test_status_json_split_brain_signature():
    s = _drbd.summarize(_drbd.parse_status_json(fixture("status-json-9.22-standalone-after-splitbrain.json"))[0])
    assert s["connection_state"] == "StandAlone" and s["out_of_sync_kib"] == 4096
    assert _drbd.split_brain_evidence(s, False, False) == ["StandAlone with out-of-sync UpToDate data"]
    assert _drbd.split_brain_evidence(s, True, True)[:2] == ["split-brain handler marker",
                                                             "kernel log: Split-Brain detected"]


def test_status_json_empty_and_nan():
    assert _drbd.parse_status_json("[\n]") == []
    text = fixture("status-json-9.22-primary-connected.json").replace(
        '"percent-in-sync": 100.00', '"estimated-seconds-to-finish": nan')
    assert _drbd.parse_status_json(text)[0]["name"] == "r0"


def test_events2_now():
    res = _drbd.parse_events2(fixture("events2-now-9.22-samples.txt"))
    s = _drbd.summarize(res[0])
    assert s["role"] == "Primary" and s["disk_state"] == "UpToDate"
    assert s["connection_state"] == "Connected"
    # the sample file lists a resync line and a StandAlone change after it; only
    # "exists" lines count, and the later peer-device line is a second volume view
    assert s["peer_disk_state"] in ("UpToDate", "Inconsistent")
    assert _drbd.parse_events2("exists -\n") == []


def test_events2_84_style_with_statistics():
    text = ("exists resource name:r0 role:Secondary suspended:no\n"
            "exists connection name:r0 peer-node-id:1 conn-name:node1 connection:Connected role:Primary\n"
            "exists device name:r0 volume:0 minor:0 disk:Inconsistent\n"
            "exists peer-device name:r0 peer-node-id:1 conn-name:node1 volume:0 replication:SyncTarget "
            "peer-disk:UpToDate resync-suspended:no out-of-sync:512000 done:42.50\n"
            "exists -\n")
    s = _drbd.summarize(_drbd.parse_events2(text)[0])
    assert (s["replication_state"], s["out_of_sync_kib"], s["sync_percent"]) == ("SyncTarget", 512000, 42.5)


def test_proc_drbd_84():
    proc = _drbd.parse_proc_drbd(fixture("proc-drbd-8.4-samples.txt"))
    assert proc["version"] == "8.4.11"
    assert proc["minors"][1]["sync_percent"] == 12.1
    assert proc["minors"][1]["out_of_sync_kib"] == 901120
    assert proc["minors"][4]["cs"] == "Unconfigured"
    ok = _drbd.summarize(_drbd.resource_from_proc("r0", {0: 0}, proc))
    assert (ok["role"], ok["peer_role"], ok["connection_state"], ok["replication_state"], ok["sync_percent"]) == \
        ("Primary", "Secondary", "Connected", "Established", 100.0)
    sync = _drbd.summarize(_drbd.resource_from_proc("r1", {0: 1}, proc))
    assert (sync["replication_state"], sync["peer_disk_state"], sync["sync_percent"]) == \
        ("SyncSource", "Inconsistent", 12.1)
    alone = _drbd.summarize(_drbd.resource_from_proc("r2", {0: 2}, proc))
    assert (alone["connection_state"], alone["out_of_sync_kib"]) == ("StandAlone", 4096)
    waiting = _drbd.summarize(_drbd.resource_from_proc("r3", {0: 3}, proc))
    assert waiting["connection_state"] == "Connecting" and waiting["connections"][0]["cs"] == "WFConnection"
    assert _drbd.resource_from_proc("r4", {0: 4}, proc)["up"] is False
    assert _drbd.resource_from_proc("r9", {0: 9}, proc)["up"] is False


def test_proc_drbd_of_drbd9_has_no_minors():
    assert _drbd.parse_proc_drbd("version: 9.2.12 (api:2/proto:86-122)\n")["minors"] == {}


def test_get_gi_captured():
    gi = _drbd.parse_get_gi(fixture("get-gi-unattached.stdout"))
    assert gi["current_uuid"] == "0000000000000004"
    assert gi["bitmap_uuid"] == "0000000000000000"


def test_sh_minor():
    assert _drbd.parse_sh_minor("0\n1\n") == [0, 1]


# split brain from the kernel log -------------------------------------------------------
LOG84 = """[  100.1] drbd r0: conn( WFConnection -> WFReportParams )
[  100.2] block drbd0: Split-Brain detected but unresolved, dropping connection!
[  100.3] drbd r0: conn( WFReportParams -> Disconnecting )
[  100.4] drbd r0: conn( Disconnecting -> StandAlone )
"""
RESOLVED = LOG84 + "[  200.0] drbd r0: conn( WFReportParams -> WFBitMapT )\n"


def test_kernel_log_split_brain():
    assert _drbd.split_brain_from_kernel_log(LOG84, "r0", [0]) is True
    assert _drbd.split_brain_from_kernel_log(RESOLVED, "r0", [0]) is False
    assert _drbd.split_brain_from_kernel_log(LOG84, "r1", [1]) is False
    log9 = "drbd r0/0 drbd0 node2: Split-Brain detected, dropping connection!\n"
    assert _drbd.split_brain_from_kernel_log(log9, "r0", [0]) is True


def test_split_brain_not_reported_while_connected():
    s = {"up": True, "connection_state": "Connected", "disk_state": "UpToDate", "out_of_sync_kib": 0}
    assert _drbd.split_brain_evidence(s, True, True) == []


# sync and role planning ------------------------------------------------------------------
def summary(disk="Inconsistent", peer="Inconsistent", conn="Connected", role="Secondary"):
    return {"up": True, "disk_state": disk, "peer_disk_state": peer, "connection_state": conn,
            "role": role, "replication_state": "Established", "volumes": []}


@pytest.mark.parametrize("state,args,expected", [
    (summary(), ("skip", False, None), ["new-current-uuid"]),
    (summary(), ("skip", False, "primary"), ["new-current-uuid", "primary"]),
    (summary(), ("full", True, None), ["force-primary", "secondary"]),
    (summary(), ("full", True, "primary"), ["force-primary"]),
    (summary("UpToDate", "UpToDate"), ("full", True, None), []),       # already synced: nothing
    (summary("UpToDate", "UpToDate"), ("skip", False, "primary"), ["primary"]),
    (summary("UpToDate", "UpToDate", role="Primary"), ("none", False, "primary"), []),
    (summary("UpToDate", "UpToDate", role="Primary"), ("none", False, "secondary"), ["secondary"]),
    (summary("UpToDate", "DUnknown", "Connecting"), ("none", False, "primary"), ["primary"]),
    (summary("Inconsistent", "UpToDate"), ("none", False, None), []),
])
def test_plan_sync_and_role(state, args, expected):
    assert _drbd.plan_sync_and_role(state, *args) == expected


@pytest.mark.parametrize("state,args,message", [
    (summary(), ("full", False, None), "force_primary: true"),
    (summary(peer="UpToDate"), ("full", True, None), "peer has UpToDate data"),
    (summary(peer="DUnknown", conn="Connecting"), ("full", True, None), "not connected"),
    (summary(peer="UpToDate"), ("skip", False, None), "peer has UpToDate"),
    (summary(peer="DUnknown", conn="Connecting"), ("skip", False, None), "connected and Inconsistent"),
    (summary(), ("none", False, "primary"), "initial_sync: full with force_primary"),
    (summary("Outdated", "UpToDate"), ("none", False, "primary"), "never force"),
    (summary("Inconsistent", "UpToDate"), ("none", False, "primary"), "wait for the resync"),
])
def test_plan_sync_and_role_refusals(state, args, message):
    with pytest.raises(_drbd.DrbdError, match=message):
        _drbd.plan_sync_and_role(state, *args)


def test_settled():
    s = _drbd.summarize(_drbd.parse_status_json(fixture("status-json-9.22-primary-connected.json"))[0])
    assert _drbd.settled(s)
    s["connection_state"] = "Connecting"
    assert not _drbd.settled(s)


# holders ------------------------------------------------------------------------------------
def test_find_holders(tmp_path):
    proc = tmp_path / "proc"
    sysfs = tmp_path / "sys"
    (proc / "812" / "fd").mkdir(parents=True)
    (proc / "812" / "comm").write_text("mysqld\n")
    os.symlink("/dev/drbd0", str(proc / "812" / "fd" / "5"))
    (proc / "900" / "fd").mkdir(parents=True)
    os.symlink("/dev/null", str(proc / "900" / "fd" / "0"))
    (proc / "mounts").write_text("/dev/vda / ext4 rw 0 0\n/dev/drbd0 /srv/data ext4 rw 0 0\n")
    (sysfs / "block" / "drbd0" / "holders" / "dm-3").mkdir(parents=True)
    found = _drbd.find_holders(["/dev/drbd0"], proc_root=str(proc), sys_root=str(sysfs))
    assert found == ["/dev/drbd0 is mounted on /srv/data",
                     "/dev/drbd0 is held by the stacked device dm-3",
                     "/dev/drbd0 is open in process mysqld (pid 812)"]
    assert _drbd.find_holders(["/dev/drbd1"], proc_root=str(proc), sys_root=str(sysfs)) == []


# captured on a Debian 12 VM with DRBD 8.4.11 (former QEMU tier) ----------------------------------
def test_captured_84_proc_and_events2_agree():
    proc = _drbd.summarize(_drbd.resource_from_proc(
        "r0", {0: 0}, _drbd.parse_proc_drbd(fixture("proc-drbd-84-wfconnection.txt"))))
    ev = _drbd.summarize(_drbd.parse_events2(fixture("events2-now-statistics-84-wfconnection.txt"))[0])
    for s in (proc, ev):
        assert (s["role"], s["disk_state"], s["peer_disk_state"], s["connection_state"], s["out_of_sync_kib"]) == \
            ("Secondary", "Inconsistent", "DUnknown", "Connecting", 262100)
    assert proc["connections"][0]["cs"] == "WFConnection"


@pytest.mark.parametrize("name, ok", [("r0", True), ("my.res+1", True), ("_r", True), ("-r0", False),
                                      ("--all", False), ("r 0", False), ("../r0", False), ("", False)])
def test_name_error(name, ok):
    assert (_drbd.name_error(name) is None) == ok


@pytest.mark.parametrize("secret, words", [
    (None, None), ("", None), ("s" * 64, None), ('with "quote" and \\', None),
    ("s" * 65, "shared_secret is 65 characters long; DRBD takes at most 64"),
    ("two\nlines", "shared_secret must not hold a line break"),
])
def test_shared_secret_error_never_shows_the_secret(secret, words):
    error = _drbd.shared_secret_error(secret)
    if words is None:
        assert error is None
    else:
        assert words in error and secret not in error


# ---------------------------------------------------------------------------
# drbd_resource's action lists
# ---------------------------------------------------------------------------
VOLS = [{"volume": 0, "disk": "/dev/vdb", "device": "/dev/drbd0"},
        {"volume": 1, "disk": "/dev/vdc", "device": "/dev/drbd1"}]


def _texts(actions):
    return [a["text"] for a in actions]


def test_config_and_metadata_actions():
    assert _drbd.config_actions("/etc/drbd.d/r0.res", "text", False) == []
    [write] = _drbd.config_actions("/etc/drbd.d/r0.res", "text", True)
    assert write == {"kind": "write", "path": "/etc/drbd.d/r0.res", "content": "text",
                     "text": "write /etc/drbd.d/r0.res"}
    planned = [(VOLS[0], {"decision": "create", "signatures": []}),
               (VOLS[1], {"decision": "wipe-and-create", "signatures": [{"type": "xfs"}]})]
    actions = _drbd.metadata_actions("r0", planned, wipe_existing=True)
    assert _texts(actions) == ["create-md r0/0 on /dev/vdb", "wipefs --all /dev/vdc (wipe_existing: xfs)",
                               "create-md r0/1 on /dev/vdc"]
    assert actions[1]["argv"] == ["--all", "/dev/vdc"]
    assert actions[2]["argv"] == ["create-md", "--force", "r0/1"] and actions[2]["volume"] is VOLS[1]
    assert _drbd.metadata_actions("r0", planned[:1], wipe_existing=False)[0]["argv"] == ["create-md", "r0/0"]


def test_adjust_actions():
    assert _drbd.adjust_pending("# a comment\n\ndrbdsetup net-options r0 --protocol=B\n") == [
        "drbdsetup net-options r0 --protocol=B"]
    assert _texts(_drbd.adjust_actions("r0", False, None)) == ["adjust r0 (bring up)"]
    assert _texts(_drbd.adjust_actions("r0", True, None)) == ["adjust r0 (apply the new file)"]
    assert _drbd.adjust_actions("r0", True, []) == []
    [adjust] = _drbd.adjust_actions("r0", True, ["a", "b"])
    assert adjust["text"] == "adjust r0: a; b" and adjust["argv"] == ["adjust", "r0"]
    assert adjust["message"] == "drbdadm adjust failed"


def test_sync_and_role_actions():
    actions = _drbd.sync_and_role_actions("r0", VOLS, ["new-current-uuid", "primary"])
    assert [a["argv"] for a in actions] == [["new-current-uuid", "--clear-bitmap", "r0/0"],
                                            ["new-current-uuid", "--clear-bitmap", "r0/1"], ["primary", "r0"]]
    actions = _drbd.sync_and_role_actions("r0", VOLS, ["force-primary", "secondary"])
    assert _texts(actions) == ["primary --force r0 (initial full sync from this node)", "secondary r0"]
    assert actions[1]["kind"] == "secondary"
    assert _texts(_drbd.sync_and_role_later("full", None)) == [
        "then: initial sync full / role unchanged, decided once the resource is up"]


def test_absent_actions():
    assert _drbd.absent_actions("r0", "/etc/drbd.d/r0.res", False, False) == []
    actions = _drbd.absent_actions("r0", "/etc/drbd.d/r0.res", True, True)
    assert _texts(actions) == ["down r0", "remove /etc/drbd.d/r0.res"]
    assert actions[0]["argv"] == ["down", "r0"] and actions[1]["kind"] == "remove"
