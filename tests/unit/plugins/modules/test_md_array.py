# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""md_array against the fake runner (exact argv of every command) with a fake sysfs and /proc.

mdadm and blkid answer with output recorded on a UML lab node
(tests/unit/plugins/module_utils/fixtures/md/).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil

import pytest

from ansible_collections.hastorage.cluster.plugins.modules import md_array
from ansible_collections.hastorage.cluster.tests.unit.fake_runner import run_module
from ansible_collections.hastorage.cluster.tests.unit.plugins.module_utils.fixtures.md.helpers import (
    blkid,
    brief,
    detail,
    examine,
    expect,
    fx,
    sysfs,
    text,
)

MD0 = {"device": "/dev/md0", "level": 1, "members": ["/dev/ubdb", "/dev/ubdc"], "name": "drbd0"}
CREATE = ["--create", "/dev/md0", "--run", "--level=1", "--raid-devices=2", "--metadata=1.2",
          "--bitmap=internal", "--name=drbd0", "/dev/ubdb", "/dev/ubdc"]
CONF_HEAD = "# mdadm.conf\nHOMEHOST <system>\nMAILADDR root\n"


class FakeHost:
    """Block devices, md sysfs attributes, holders and mounts of a fake node."""

    def __init__(self, tmp_path, monkeypatch):
        self.root = tmp_path
        self.sys = tmp_path / "sys"
        self.proc = tmp_path / "proc"
        self.proc.mkdir()
        (self.proc / "mounts").write_text("/dev/ubda / ext4 rw,relatime 0 0\nproc /proc proc rw 0 0\n")
        (self.proc / "swaps").write_text("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n")
        self.disks = set()
        for name in ("ubdb", "ubdc", "ubdd", "ubde"):
            self.add_disk(name)
        self.conf = tmp_path / "mdadm.conf"
        self.conf.write_text(CONF_HEAD)
        monkeypatch.setattr(md_array.MdHost, "SYS_ROOT", str(self.sys))
        monkeypatch.setattr(md_array.MdHost, "PROC_ROOT", str(self.proc))
        monkeypatch.setattr(md_array.MdHost, "block_device", staticmethod(self.block_device))

    def add_disk(self, name):
        self.disks.add(name)
        (self.sys / "class" / "block" / name / "holders").mkdir(parents=True, exist_ok=True)

    def block_device(self, path):
        name = os.path.basename(path)
        return name if name in self.disks else None

    def md(self, kernel, fixture):
        """The md sysfs attributes of ``kernel`` (and its components' ``dev-*/state``) as recorded beside ``fixture``."""
        base = self.sys / "block" / kernel / "md"
        if base.exists():
            shutil.rmtree(str(base))
        for attr, value in sysfs(fixture).items():
            if value is not None:
                (base / attr).parent.mkdir(parents=True, exist_ok=True)
                (base / attr).write_text(value + "\n")
        (self.sys / "class" / "block" / kernel / "holders").mkdir(parents=True, exist_ok=True)

    def hold(self, disk, holder):
        (self.sys / "class" / "block" / disk / "holders" / holder).mkdir(parents=True)

    def mount(self, line):
        with open(str(self.proc / "mounts"), "a") as f:
            f.write(line + "\n")

    def args(self, **extra):
        a = dict(MD0, conf_file=str(self.conf))
        a.update(extra)
        return a


@pytest.fixture
def host(tmp_path, monkeypatch):
    return FakeHost(tmp_path, monkeypatch)


def line_of(fixture):
    return fx(fixture)[1].strip()


BLANK = [examine("/dev/ubdb", "examine-blank"), blkid("/dev/ubdb", "blkid-blank"),
         examine("/dev/ubdc", "examine-blank"), blkid("/dev/ubdc", "blkid-blank")]
STOPPED = [examine("/dev/ubdb", "examine-stopped-b"), blkid("/dev/ubdb", "blkid-stopped-b"),
           examine("/dev/ubdc", "examine-stopped-c"), blkid("/dev/ubdc", "blkid-stopped-b")]


def mutating(result):
    """The commands the run issued that change something."""
    return [c[1:] for c in result["_commands"]
            if not (c[1:3] in (["--detail", "--export"], ["--detail", "--brief"], ["--examine", "--export"])
                    or os.path.basename(c[0]) == "blkid")]


# create: the quartet ------------------------------------------------------------------------
def test_create_check_apply_again_check_again(host, monkeypatch):
    host.md("md0", "detail-raid1-resync")
    check = run_module(md_array.main, host.args(), [detail("/dev/md0", "detail-none")] + BLANK,
                       check_mode=True, diff=True, monkeypatch=monkeypatch)
    assert check["changed"] is True and not check.get("failed"), check
    assert check["actions"] == ["create /dev/md0: raid1 of 2 device(s) on /dev/ubdb, /dev/ubdc",
                                "write the ARRAY line of /dev/md0 in %s" % host.conf]
    assert check["commands"] == ["/usr/sbin/mdadm " + " ".join(CREATE)]
    assert check["diff"]["before"] == {"state": "absent", "level": None, "members": [], "spares": [],
                                       "conf_line": None}
    assert check["diff"]["after"]["state"] == "running"
    assert check["diff"]["after"]["members"] == ["/dev/ubdb", "/dev/ubdc"]
    assert check["diff"]["after"]["conf_line"] == (
        "ARRAY /dev/md0 metadata=1.2 name=drbd0 UUID=<assigned by mdadm --create>")
    assert check["array"] == {}
    assert host.conf.read_text() == CONF_HEAD

    applied = run_module(md_array.main, host.args(), [detail("/dev/md0", "detail-none")] + BLANK + [
        expect("mdadm", CREATE, "create-raid1"),
        brief("/dev/md0", "brief-raid1"),
        detail("/dev/md0", "detail-raid1-resync"),
    ], diff=True, monkeypatch=monkeypatch)
    assert applied["changed"] is True and not applied.get("failed"), applied
    assert applied["actions"] == check["actions"]
    assert host.conf.read_text() == CONF_HEAD + line_of("brief-raid1") + "\n"
    assert applied["conf_line"] == line_of("brief-raid1")
    array = applied["array"]
    assert array["level"] == "raid1" and array["members"] == ["/dev/ubdb", "/dev/ubdc"]
    assert array["uuid"] in line_of("brief-raid1")
    assert array["sync_action"] == "resync" and array["state"] == sysfs("detail-raid1-resync")["array_state"]
    assert array["bitmap"] == "internal" and array["degraded"] == 0
    assert applied["diff"]["after"]["conf_line"] == line_of("brief-raid1")
    assert applied["diff"]["after"]["level"] == "raid1"

    host.md("md0", "detail-raid1")
    again = run_module(md_array.main, host.args(), [
        detail("/dev/md0", "detail-raid1"), brief("/dev/md0", "brief-raid1"),
    ], diff=True, monkeypatch=monkeypatch)
    assert again["changed"] is False and again["actions"] == [] and again["commands"] == [], again
    assert again["diff"]["before"] == again["diff"]["after"]
    assert again["array"]["sync_action"] == "idle" and again["array"]["sync_progress"] is None
    assert host.conf.read_text() == CONF_HEAD + line_of("brief-raid1") + "\n"

    check_again = run_module(md_array.main, host.args(), [
        detail("/dev/md0", "detail-raid1"), brief("/dev/md0", "brief-raid1"),
    ], check_mode=True, monkeypatch=monkeypatch)
    assert check_again["changed"] is False and check_again["actions"] == []


def test_create_with_spare_chunk_and_assume_clean(host, monkeypatch):
    args = host.args(level=10, members=["/dev/ubdb", "/dev/ubdc"], spares=["/dev/ubdd"], chunk=64,
                     assume_clean=True, name=None, conf_file="")
    blank_d = [examine("/dev/ubdd", "examine-blank"), blkid("/dev/ubdd", "blkid-blank")]
    result = run_module(md_array.main, args, [detail("/dev/md0", "detail-none")] + BLANK + blank_d,
                        check_mode=True, monkeypatch=monkeypatch)
    assert result["commands"] == [
        "/usr/sbin/mdadm --create /dev/md0 --run --level=10 --raid-devices=2 --metadata=1.2 --chunk=64 "
        "--bitmap=internal --assume-clean --spare-devices=1 /dev/ubdb /dev/ubdc /dev/ubdd"]
    assert result["actions"] == [
        "create /dev/md0: raid10 of 2 device(s) + 1 spare(s) on /dev/ubdb, /dev/ubdc, /dev/ubdd "
        "(assume_clean: no initial sync)"]
    assert "conf_line" not in result


def test_conf_file_disabled_reads_and_writes_nothing(host, monkeypatch):
    host.md("md0", "detail-raid1")
    result = run_module(md_array.main, host.args(conf_file=""), [detail("/dev/md0", "detail-raid1")],
                        monkeypatch=monkeypatch)
    assert result["changed"] is False and "conf_line" not in result
    assert host.conf.read_text() == CONF_HEAD


def test_conf_line_fixed_on_a_running_array(host, monkeypatch):
    """A stale line for the device (old UUID) and a duplicate by UUID become the one line mdadm prints."""
    host.md("md0", "detail-raid1")
    real = line_of("brief-raid1")
    uuid = [t for t in real.split() if t.startswith("UUID=")][0]
    host.conf.write_text(CONF_HEAD + "ARRAY /dev/md0 metadata=1.2 UUID=00000000:00000000:00000000:00000000\n"
                         + "ARRAY /dev/md/old %s\n" % uuid + "ARRAY /dev/md9 UUID=99999999:99999999:99999999:99999999\n")
    check = run_module(md_array.main, host.args(), [detail("/dev/md0", "detail-raid1"), brief("/dev/md0", "brief-raid1")],
                       check_mode=True, diff=True, monkeypatch=monkeypatch)
    assert check["changed"] is True and check["actions"] == ["write the ARRAY line of /dev/md0 in %s" % host.conf]
    assert check["commands"] == []
    assert check["diff"]["before"]["conf_line"] == "ARRAY /dev/md0 metadata=1.2 UUID=00000000:00000000:00000000:00000000"
    assert check["diff"]["after"]["conf_line"] == real
    assert "md/old" in host.conf.read_text()
    result = run_module(md_array.main, host.args(), [detail("/dev/md0", "detail-raid1"), brief("/dev/md0", "brief-raid1")],
                        monkeypatch=monkeypatch)
    assert result["changed"] is True
    assert host.conf.read_text() == CONF_HEAD + real + "\nARRAY /dev/md9 UUID=99999999:99999999:99999999:99999999\n"


def test_conf_file_created_when_missing(host, monkeypatch):
    host.md("md0", "detail-raid1")
    conf = host.root / "etc" / "mdadm" / "mdadm.conf"
    result = run_module(md_array.main, host.args(conf_file=str(conf)),
                        [detail("/dev/md0", "detail-raid1"), brief("/dev/md0", "brief-raid1")], monkeypatch=monkeypatch)
    assert result["changed"] is True
    assert conf.read_text() == line_of("brief-raid1") + "\n"
    assert oct(os.stat(str(conf)).st_mode & 0o777) == "0o644"


# assemble ---------------------------------------------------------------------------------
def test_stopped_array_is_assembled_not_created(host, monkeypatch):
    host.conf.write_text(CONF_HEAD + line_of("brief-raid1") + "\n")
    check = run_module(md_array.main, host.args(), [detail("/dev/md0", "detail-stopped")] + STOPPED,
                       check_mode=True, diff=True, monkeypatch=monkeypatch)
    assert check["changed"] is True, check
    assert len(check["actions"]) == 1 and check["actions"][0].startswith(
        "assemble /dev/md0 from /dev/ubdb, /dev/ubdc (array ")
    assert check["commands"] == ["/usr/sbin/mdadm --assemble /dev/md0 /dev/ubdb /dev/ubdc"]
    assert check["diff"]["before"]["state"] == "stopped" and check["diff"]["after"]["state"] == "running"

    host.md("md0", "detail-assembled")
    applied = run_module(md_array.main, host.args(), [detail("/dev/md0", "detail-stopped")] + STOPPED + [
        expect("mdadm", ["--assemble", "/dev/md0", "/dev/ubdb", "/dev/ubdc"], "assemble-md0"),
        brief("/dev/md0", "brief-raid1"),
        detail("/dev/md0", "detail-assembled"),
    ], monkeypatch=monkeypatch)
    assert applied["changed"] is True and applied["actions"] == check["actions"], applied
    assert ["--create"] not in [c[1:2] for c in applied["_commands"]]
    assert applied["array"]["members"] == ["/dev/ubdb", "/dev/ubdc"]
    assert host.conf.read_text() == CONF_HEAD + line_of("brief-raid1") + "\n"


def test_superblocks_of_another_level_are_not_assembled(host, monkeypatch):
    result = run_module(md_array.main, host.args(level=0, name=None), [detail("/dev/md0", "detail-stopped")] + STOPPED,
                        monkeypatch=monkeypatch)
    assert result["failed"]
    assert "/dev/ubdb holds an md superblock of array" in result["msg"]
    assert "which is not the array asked for (raid0 of 2 devices)" in result["msg"]
    assert mutating(result) == []


def test_inactive_array_is_stopped_then_assembled(host, monkeypatch):
    """The device itself is a partly assembled array (recorded: no MD_LEVEL, array_state inactive)."""
    host.md("md127", "detail-inactive")
    host.hold("ubdb", "md127")
    result = run_module(md_array.main, host.args(device="/dev/md127"), [detail("/dev/md127", "detail-inactive")] + STOPPED,
                        check_mode=True, diff=True, monkeypatch=monkeypatch)
    assert result["actions"][0] == "stop the inactive (partly assembled) /dev/md127"
    assert result["actions"][1].startswith("assemble /dev/md127")
    assert result["commands"] == ["/usr/sbin/mdadm --stop /dev/md127",
                                  "/usr/sbin/mdadm --assemble /dev/md127 /dev/ubdb /dev/ubdc"]
    assert result["array"]["state"] == "inactive" and result["array"]["level"] is None


def test_incremental_assembly_leftover_is_stopped_then_assembled_under_the_name(host, monkeypatch):
    """udev's mdadm --incremental put ubdb in an inactive md127, with no /dev/md/drbd0 link (recorded)."""
    host.md("md127", "detail-inactive")
    host.hold("ubdb", "md127")
    (host.sys / "class" / "block" / "md127" / "slaves").mkdir(parents=True)
    for slave in text("slaves-md127-inactive.txt").split():
        (host.sys / "class" / "block" / "md127" / "slaves" / slave).mkdir()
    none = expect("mdadm", ["--detail", "--export", "/dev/md/drbd0"], rc=1,
                  err="mdadm: cannot open /dev/md/drbd0: No such file or directory\n")
    args = host.args(device="/dev/md/drbd0", conf_file="")
    result = run_module(md_array.main, args, [none] + STOPPED + [
        expect("mdadm", ["--stop", "/dev/md127"], "stop-inactive"),
        expect("mdadm", ["--assemble", "/dev/md/drbd0", "/dev/ubdb", "/dev/ubdc"], "assemble-md0"),
        detail("/dev/md/drbd0", "detail-assembled"),
    ], monkeypatch=monkeypatch)
    assert not result.get("failed"), result
    assert result["actions"][0] == ("stop the inactive (partly assembled) /dev/md127, which holds only devices "
                                    "listed here (udev's incremental assembly)")
    assert result["array"]["members"] == ["/dev/ubdb", "/dev/ubdc"]


def test_inactive_array_holding_other_devices_is_refused(host, monkeypatch):
    host.md("md127", "detail-inactive")
    host.hold("ubdb", "md127")
    (host.sys / "class" / "block" / "md127" / "slaves" / "ubde").mkdir(parents=True)
    result = run_module(md_array.main, host.args(), [detail("/dev/md0", "detail-none")], monkeypatch=monkeypatch)
    assert result["failed"] and ("/dev/ubdb is in the inactive (partly assembled) array /dev/md127, which also holds "
                                 "devices that are not listed here: stop it first with `mdadm --stop /dev/md127`"
                                 in result["msg"])
    assert len(result["_commands"]) == 1


# refusals on members ----------------------------------------------------------------------
@pytest.mark.parametrize("fixture,words", [
    ("blkid-ext4", "/dev/ubdc holds an ext4 filesystem (label data, UUID "),
    ("blkid-lvm", "/dev/ubdc holds an LVM2 physical volume (UUID "),
    ("blkid-dos", "/dev/ubdc holds a dos partition table (UUID fecaed5e)"),
    ("blkid-drbd", "/dev/ubdc holds DRBD metadata"),
])
def test_member_with_a_signature_is_refused(host, monkeypatch, fixture, words):
    result = run_module(md_array.main, host.args(), [
        detail("/dev/md0", "detail-none"),
        examine("/dev/ubdb", "examine-blank"), blkid("/dev/ubdb", "blkid-blank"),
        examine("/dev/ubdc", "examine-ext4"), blkid("/dev/ubdc", fixture),
    ], monkeypatch=monkeypatch)
    assert result["failed"], result
    assert result["msg"].startswith("refusing to create /dev/md0: ")
    assert words in result["msg"] and "wipe_existing: true" in result["msg"]
    assert "nothing was changed" in result["msg"]
    assert mutating(result) == [] and result["actions"] == []
    assert host.conf.read_text() == CONF_HEAD


def test_wipe_existing_wipes_then_creates(host, monkeypatch):
    host.md("md0", "detail-raid1-resync")
    probes = [detail("/dev/md0", "detail-none"),
              examine("/dev/ubdb", "examine-other"), blkid("/dev/ubdb", "blkid-other"),
              examine("/dev/ubdc", "examine-ext4"), blkid("/dev/ubdc", "blkid-ext4")]
    check = run_module(md_array.main, host.args(wipe_existing=True), probes, check_mode=True, monkeypatch=monkeypatch)
    assert check["changed"] and [a.split(" (")[0] for a in check["actions"]] == [
        "zero the md superblock on /dev/ubdb", "wipefs -a /dev/ubdc", "create /dev/md0: raid1 of 2 device(s) on /dev/ubdb, /dev/ubdc",
        "write the ARRAY line of /dev/md0 in %s" % host.conf]
    assert "wipe_existing: an ext4 filesystem" in check["actions"][1]
    result = run_module(md_array.main, host.args(wipe_existing=True), probes + [
        expect("mdadm", ["--zero-superblock", "/dev/ubdb"], "zero-other"),
        expect("wipefs", ["-a", "/dev/ubdc"], "wipefs-ubde"),
        expect("mdadm", CREATE, "create-raid1"),
        brief("/dev/md0", "brief-raid1"),
        detail("/dev/md0", "detail-raid1-resync"),
    ], monkeypatch=monkeypatch)
    assert result["changed"] and not result.get("failed"), result
    assert result["commands"][0] == "/usr/sbin/mdadm --zero-superblock /dev/ubdb"
    assert result["commands"][1] == "/usr/sbin/wipefs -a /dev/ubdc"


def test_superblock_of_another_array_is_refused(host, monkeypatch):
    result = run_module(md_array.main, host.args(), [
        detail("/dev/md0", "detail-none"),
        examine("/dev/ubdb", "examine-other"), blkid("/dev/ubdb", "blkid-other"),
        examine("/dev/ubdc", "examine-blank"), blkid("/dev/ubdc", "blkid-blank"),
    ], monkeypatch=monkeypatch)
    assert result["failed"]
    assert "/dev/ubdb holds an md superblock of array" in result["msg"]
    assert "raid0 of 2 devices, name" in result["msg"]
    assert "that /dev/ubdc do not hold" in result["msg"]
    assert "mdadm --assemble --run /dev/md0 /dev/ubdb" in result["msg"]
    assert mutating(result) == []


def test_assume_clean_needs_blank_members(host, monkeypatch):
    result = run_module(md_array.main, host.args(assume_clean=True), [
        detail("/dev/md0", "detail-none"),
        examine("/dev/ubdb", "examine-blank"), blkid("/dev/ubdb", "blkid-blank"),
        examine("/dev/ubdc", "examine-ext4"), blkid("/dev/ubdc", "blkid-ext4"),
    ], monkeypatch=monkeypatch)
    assert result["failed"] and "/dev/ubdc holds an ext4 filesystem" in result["msg"]
    assert mutating(result) == []


def test_missing_member_refused_before_any_probe(host, monkeypatch):
    result = run_module(md_array.main, host.args(members=["/dev/ubdb", "/dev/ubdz"]),
                        [detail("/dev/md0", "detail-none")], monkeypatch=monkeypatch)
    assert result["failed"] and result["msg"] == "/dev/ubdz does not exist or is not a block device; nothing was changed"
    assert len(result["_commands"]) == 1


def test_two_paths_to_one_disk_refused(host, monkeypatch):
    monkeypatch.setattr(md_array.MdHost, "block_device",
                        staticmethod(lambda path: "ubdb" if path in ("/dev/ubdb", "/dev/disk/by-id/x") else None))
    result = run_module(md_array.main, host.args(members=["/dev/ubdb", "/dev/disk/by-id/x"]),
                        [detail("/dev/md0", "detail-none")], monkeypatch=monkeypatch)
    assert result["failed"] and result["msg"] == "/dev/ubdb and /dev/disk/by-id/x are the same device (ubdb)"


def test_member_of_another_running_array_refused(host, monkeypatch):
    host.hold("ubdc", "md1")
    result = run_module(md_array.main, host.args(), [detail("/dev/md0", "detail-none")], monkeypatch=monkeypatch)
    assert result["failed"]
    assert "/dev/ubdc is a member of the running array /dev/md1" in result["msg"]
    assert len(result["_commands"]) == 1


def test_member_held_by_device_mapper_refused_even_with_wipe_existing(host, monkeypatch):
    host.hold("ubdb", "dm-0")
    result = run_module(md_array.main, host.args(wipe_existing=True), [detail("/dev/md0", "detail-none")],
                        monkeypatch=monkeypatch)
    assert result["failed"] and "/dev/ubdb is held by the device-mapper device dm-0" in result["msg"]


def test_mounted_member_refused(host, monkeypatch):
    host.mount("/dev/ubdc /srv/old ext4 rw 0 0")
    result = run_module(md_array.main, host.args(wipe_existing=True), [detail("/dev/md0", "detail-none")],
                        monkeypatch=monkeypatch)
    assert result["failed"] and "/dev/ubdc is mounted on /srv/old" in result["msg"]


# refusals on a running array ----------------------------------------------------------------------
def test_running_array_with_another_level_refused(host, monkeypatch):
    host.md("md0", "detail-raid1")
    result = run_module(md_array.main, host.args(level=5, members=["/dev/ubdb", "/dev/ubdc", "/dev/ubdd"]),
                        [detail("/dev/md0", "detail-raid1")], monkeypatch=monkeypatch)
    assert result["failed"]
    assert result["msg"].startswith("refusing to change the running array /dev/md0: its level is raid1, not raid5; "
                                    "it has 2 raid devices, members lists 3; /dev/ubdd is not in the array")
    assert "does not reshape, grow, rebuild or convert" in result["msg"]
    assert result["array"]["level"] == "raid1"


def test_running_array_with_other_members_refused(host, monkeypatch):
    host.md("md0", "detail-raid1")
    result = run_module(md_array.main, host.args(members=["/dev/ubdb", "/dev/ubdd"]),
                        [detail("/dev/md0", "detail-raid1")], monkeypatch=monkeypatch)
    assert result["failed"]
    assert "/dev/ubdd is not in the array; /dev/ubdc is in the array but not in members or spares" in result["msg"]


def test_running_array_with_another_name_refused(host, monkeypatch):
    host.md("md0", "detail-raid1")
    result = run_module(md_array.main, host.args(name="other"), [detail("/dev/md0", "detail-raid1")],
                        monkeypatch=monkeypatch)
    assert result["failed"] and "its name is" in result["msg"] and "not other" in result["msg"]


def test_degraded_array_missing_a_member_refused_with_the_repair(host, monkeypatch):
    host.md("md0", "detail-raid1-degraded")
    result = run_module(md_array.main, host.args(), [detail("/dev/md0", "detail-raid1-degraded")],
                        monkeypatch=monkeypatch)
    assert result["failed"]
    assert "/dev/ubdc is not in the array (it runs degraded, 1 device(s) missing: put a device back with " \
           "`mdadm /dev/md0 --add DEVICE`" in result["msg"]


def test_faulty_member_still_listed_warns_without_change(host, monkeypatch):
    """mdadm 4.2 exports the faulty ubdc as ROLE=spare (recorded); sysfs says faulty."""
    host.md("md0", "detail-raid1-faulty")
    host.conf.write_text(CONF_HEAD + line_of("brief-raid1") + "\n")
    result = run_module(md_array.main, host.args(), [detail("/dev/md0", "detail-raid1-faulty"), brief("/dev/md0", "brief-raid1")],
                        monkeypatch=monkeypatch)
    assert not result.get("failed") and result["changed"] is False, result
    assert result["array"]["faulty"] == ["/dev/ubdc"] and result["array"]["spares"] == []
    assert result["array"]["degraded"] == 1
    assert result["warnings"] == ["/dev/ubdc of /dev/md0 is faulty; replace it (mdadm /dev/md0 --remove/--add)",
                                  "/dev/md0 is degraded: 1 of 2 raid devices missing"]


def test_spare_that_took_over_warns_without_change(host, monkeypatch):
    host.md("md0", "detail-raid1-failover")
    result = run_module(md_array.main, host.args(spares=["/dev/ubdd"], conf_file=""),
                        [detail("/dev/md0", "detail-raid1-failover")], monkeypatch=monkeypatch)
    assert result["changed"] is False and not result.get("failed"), result
    assert result["warnings"] == [
        "/dev/ubdd (listed in spares) is an active member of /dev/md0 now, a spare took over after a failure",
        "/dev/ubdc of /dev/md0 is faulty; replace it (mdadm /dev/md0 --remove/--add)"]


def test_spare_is_part_of_the_array(host, monkeypatch):
    host.md("md0", "detail-raid1-spare")
    host.conf.write_text(CONF_HEAD + line_of("brief-raid1-spare") + "\n")
    result = run_module(md_array.main, host.args(spares=["/dev/ubdd"]),
                        [detail("/dev/md0", "detail-raid1-spare"), brief("/dev/md0", "brief-raid1-spare")],
                        monkeypatch=monkeypatch)
    assert result["changed"] is False and result["array"]["spares"] == ["/dev/ubdd"], result
    assert result["conf_line"] == line_of("brief-raid1-spare") and "spares=1" in result["conf_line"]
    refused = run_module(md_array.main, host.args(conf_file=""), [detail("/dev/md0", "detail-raid1-spare")],
                         monkeypatch=monkeypatch)
    assert refused["failed"] and "/dev/ubdd is in the array but not in members or spares" in refused["msg"]


# argument checks: nothing runs ----------------------------------------------------------------
@pytest.mark.parametrize("args,words", [
    ({"level": 7}, "value of level must be one of: 0, 1, 4, 5, 6, 10, got: 7"),
    ({"members": []}, "members must list at least one device for state=present"),
    ({"level": 5}, "level 5 needs at least 3 members (raid devices), got 2"),
    ({"level": 6, "members": ["/dev/a", "/dev/b", "/dev/c"]}, "level 6 needs at least 4 members"),
    ({"members": ["/dev/ubdb", "/dev/ubdb"]}, "members lists /dev/ubdb more than once"),
    ({"spares": ["/dev/ubdb"]}, "/dev/ubdb in both members and spares"),
    ({"device": "/dev/sdb"}, "device must be /dev/mdN or /dev/md/<name>"),
    ({"metadata": "0.9"}, "value of metadata must be one of"),
])
def test_bad_arguments_refused_before_any_command(host, monkeypatch, args, words):
    result = run_module(md_array.main, host.args(**args), [], monkeypatch=monkeypatch)
    assert result["failed"] and words in result["msg"], result
    assert result["_commands"] == []


def test_present_needs_level_and_members(host, monkeypatch):
    result = run_module(md_array.main, {"device": "/dev/md0"}, [], monkeypatch=monkeypatch)
    assert result["failed"] and "state is present but all of the following are missing: level, members" in result["msg"]


# absent --------------------------------------------------------------------------------------
def test_absent_stops_and_unconfigures_keeping_superblocks(host, monkeypatch):
    host.md("md0", "detail-raid1")
    host.conf.write_text(CONF_HEAD + line_of("brief-raid1") + "\n")
    args = {"device": "/dev/md0", "state": "absent", "conf_file": str(host.conf)}
    check = run_module(md_array.main, args, [detail("/dev/md0", "detail-raid1")], check_mode=True, diff=True,
                       monkeypatch=monkeypatch)
    assert check["changed"] and check["actions"] == ["stop /dev/md0",
                                                     "remove the ARRAY line of /dev/md0 from %s" % host.conf]
    assert check["commands"] == ["/usr/sbin/mdadm --stop /dev/md0"]
    assert check["diff"]["before"]["conf_line"] == line_of("brief-raid1") and check["diff"]["after"]["state"] == "absent"
    assert "keep the md superblock" in check["msg"]
    assert host.conf.read_text() == CONF_HEAD + line_of("brief-raid1") + "\n"

    result = run_module(md_array.main, args, [
        detail("/dev/md0", "detail-raid1"),
        expect("mdadm", ["--stop", "/dev/md0"], "stop-md0"),
        detail("/dev/md0", "detail-stopped"),
    ], diff=True, monkeypatch=monkeypatch)
    assert result["changed"] and result["array"] == {} and result["diff"]["after"]["state"] == "absent"
    assert result["msg"] == ("state=absent only stops and unconfigures /dev/md0: /dev/ubdb, /dev/ubdc keep the md "
                             "superblock and the array can be assembled again (allow_destroy: true zeroes it)")
    assert host.conf.read_text() == CONF_HEAD

    again = run_module(md_array.main, args, [detail("/dev/md0", "detail-stopped")], monkeypatch=monkeypatch)
    assert again["changed"] is False and again["actions"] == []


def test_absent_with_allow_destroy_zeroes_the_members(host, monkeypatch):
    host.md("md0", "detail-raid1")
    args = {"device": "/dev/md0", "state": "absent", "allow_destroy": True, "conf_file": str(host.conf)}
    result = run_module(md_array.main, args, [
        detail("/dev/md0", "detail-raid1"),
        expect("mdadm", ["--stop", "/dev/md0"], "stop-md0"),
        expect("mdadm", ["--zero-superblock", "/dev/ubdb"]),
        expect("mdadm", ["--zero-superblock", "/dev/ubdc"]),
        detail("/dev/md0", "detail-stopped"),
    ], monkeypatch=monkeypatch)
    assert result["changed"] and "msg" not in result
    assert result["actions"][1:] == ["zero the md superblock on /dev/ubdb (allow_destroy: /dev/md0 is destroyed)",
                                     "zero the md superblock on /dev/ubdc (allow_destroy: /dev/md0 is destroyed)"]


def test_absent_destroys_a_stopped_array_from_its_members(host, monkeypatch):
    host.conf.write_text(CONF_HEAD + line_of("brief-raid1") + "\n")
    args = {"device": "/dev/md0", "state": "absent", "allow_destroy": True, "conf_file": str(host.conf),
            "members": ["/dev/ubdb", "/dev/ubdc", "/dev/ubdd"]}
    result = run_module(md_array.main, args, [
        detail("/dev/md0", "detail-stopped"),
        examine("/dev/ubdb", "examine-stopped-b"), examine("/dev/ubdc", "examine-stopped-c"),
        examine("/dev/ubdd", "examine-blank"),
        expect("mdadm", ["--zero-superblock", "/dev/ubdb"]),
        expect("mdadm", ["--zero-superblock", "/dev/ubdc"]),
        detail("/dev/md0", "detail-stopped"),
    ], monkeypatch=monkeypatch)
    assert result["changed"] and result["actions"][-1] == "remove the ARRAY line of /dev/md0 from %s" % host.conf
    assert host.conf.read_text() == CONF_HEAD


def test_absent_refuses_to_zero_another_arrays_superblock(host, monkeypatch):
    host.conf.write_text(CONF_HEAD + line_of("brief-raid1") + "\n")
    args = {"device": "/dev/md0", "state": "absent", "allow_destroy": True, "conf_file": str(host.conf),
            "members": ["/dev/ubdb", "/dev/ubdd"]}
    result = run_module(md_array.main, args, [
        detail("/dev/md0", "detail-stopped"),
        examine("/dev/ubdb", "examine-stopped-b"), examine("/dev/ubdd", "examine-other"),
    ], monkeypatch=monkeypatch)
    assert result["failed"] and "/dev/ubdd holds the superblock of array" in result["msg"]
    assert mutating(result) == [] and host.conf.read_text() == CONF_HEAD + line_of("brief-raid1") + "\n"


def test_absent_refuses_a_mounted_array(host, monkeypatch):
    host.md("md0", "detail-raid1")
    host.mount(text("mounts-md0.txt").strip())
    result = run_module(md_array.main, {"device": "/dev/md0", "state": "absent"}, [detail("/dev/md0", "detail-raid1")],
                        monkeypatch=monkeypatch)
    assert result["failed"] and result["msg"] == "refusing to stop /dev/md0: /dev/md0 is mounted on /mnt/md0; nothing was changed"


def test_absent_refuses_a_held_array(host, monkeypatch):
    host.md("md0", "detail-raid1")
    for holder in text("holders-md0-lvm.txt").split():
        host.hold("md0", holder)
    result = run_module(md_array.main, {"device": "/dev/md0", "state": "absent"}, [detail("/dev/md0", "detail-raid1")],
                        monkeypatch=monkeypatch)
    assert result["failed"] and "refusing to stop /dev/md0: /dev/md0 is held by dm-" in result["msg"]


def test_absent_on_nothing_is_no_change(host, monkeypatch):
    result = run_module(md_array.main, {"device": "/dev/md0", "state": "absent", "conf_file": str(host.conf)},
                        [detail("/dev/md0", "detail-none")], diff=True, monkeypatch=monkeypatch)
    assert result["changed"] is False and result["diff"]["before"] == result["diff"]["after"]


def test_absent_destroy_also_zeroes_a_listed_member_that_left_the_array(host, monkeypatch):
    """ubdc failed and was removed; it still holds the array's superblock, and it is listed."""
    host.md("md0", "detail-raid1-degraded")
    args = {"device": "/dev/md0", "state": "absent", "allow_destroy": True, "conf_file": "",
            "members": ["/dev/ubdb", "/dev/ubdc"]}
    result = run_module(md_array.main, args, [
        detail("/dev/md0", "detail-raid1-degraded"),
        examine("/dev/ubdc", "examine-stopped-c"),
        expect("mdadm", ["--stop", "/dev/md0"], "stop-md0"),
        expect("mdadm", ["--zero-superblock", "/dev/ubdb"]),
        expect("mdadm", ["--zero-superblock", "/dev/ubdc"]),
        detail("/dev/md0", "detail-stopped"),
    ], monkeypatch=monkeypatch)
    assert result["changed"] and not result.get("failed"), result
    assert result["commands"] == ["/usr/sbin/mdadm --stop /dev/md0", "/usr/sbin/mdadm --zero-superblock /dev/ubdb",
                                  "/usr/sbin/mdadm --zero-superblock /dev/ubdc"]


def test_conf_line_of_a_new_raid5_has_no_transient_spares(host, monkeypatch):
    """While a new RAID5 builds, --brief says spares=1 (recorded); the conf file gets the spares asked for."""
    host.md("md2", "detail-raid5")
    args = host.args(device="/dev/md2", level=5, members=["/dev/ubdb", "/dev/ubdc", "/dev/ubdd"], chunk=64, name=None)
    probes = [detail("/dev/md2", "detail-none")] + BLANK + [examine("/dev/ubdd", "examine-blank"),
                                                            blkid("/dev/ubdd", "blkid-blank")]
    result = run_module(md_array.main, args, probes + [
        expect("mdadm", ["--create", "/dev/md2", "--run", "--level=5", "--raid-devices=3", "--metadata=1.2",
                         "--chunk=64", "--bitmap=internal", "/dev/ubdb", "/dev/ubdc", "/dev/ubdd"], "create-raid5"),
        brief("/dev/md2", "brief-raid5-building"),
        detail("/dev/md2", "detail-raid5"),
    ], monkeypatch=monkeypatch)
    assert result["changed"] and not result.get("failed"), result
    assert result["conf_line"] == "ARRAY /dev/md2 metadata=1.2 name=node1:2 UUID=f006d9e5:0607b9ed:abe86f97:35301f3a"
    assert host.conf.read_text() == CONF_HEAD + result["conf_line"] + "\n"
    assert result["array"]["sync_action"] == "recover"
