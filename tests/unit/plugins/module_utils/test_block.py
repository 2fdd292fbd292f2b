# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one device-holder scan (module_utils/_block.py), on fake /proc and /sys trees."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils import _block

MOUNTS = ("/dev/vda1 / ext4 rw 0 0\n"
          "/dev/sdb1 /srv/other\\040dir xfs rw 0 0\n"
          "proc /proc proc rw 0 0\n")
SWAPS = "Filename\t\t\t\tType\t\tSize\tUsed\tPriority\n/dev/sdc                                partition\t1048572\t0\t-2\n"


@pytest.fixture
def roots(tmp_path):
    proc, sysfs = tmp_path / "proc", tmp_path / "sys"
    proc.mkdir()
    (sysfs / "block").mkdir(parents=True)
    return proc, sysfs


def open_fd(proc, pid, fd, target, comm=None):
    fd_dir = proc / str(pid) / "fd"
    fd_dir.mkdir(parents=True, exist_ok=True)
    os.symlink(target, str(fd_dir / str(fd)))
    if comm is not None:
        (proc / str(pid) / "comm").write_text(comm + "\n")


@pytest.mark.parametrize("dev, candidate, expected", [
    ("/dev/sda", "/dev/sda", True),
    ("/dev/sda", "/dev/sda1", True),
    ("/dev/sda", "/dev/sdab", False),
    ("/dev/nvme0n1", "/dev/nvme0n1p2", True),
    ("/dev/nvme0n1", "/dev/nvme0n12", False),
    ("/dev/md0", "/dev/md0p1", True),
])
def test_is_device_or_partition(dev, candidate, expected):
    assert _block.is_device_or_partition(dev, candidate) is expected


def test_mount_entries_unescape_blanks_and_keep_swap_types():
    assert _block.mount_entries(MOUNTS) == [("/dev/vda1", "/"), ("/dev/sdb1", "/srv/other dir"), ("proc", "/proc")]
    assert ("/dev/sdc", "partition") in _block.mount_entries(SWAPS)
    assert _block.mount_entries(None) == [] and _block.mount_entries("single\n\n") == []


def test_mounts_reads_the_table_and_tolerates_none(roots):
    proc, _sysfs = roots
    (proc / "mounts").write_text(MOUNTS)
    (proc / "swaps").write_text(SWAPS)
    assert _block.mounts(str(proc))[1] == ("/dev/sdb1", "/srv/other dir")
    assert _block.mounts(str(proc), "swaps")[-1] == ("/dev/sdc", "partition")
    assert _block.mounts(str(proc / "missing")) == []


def test_holders_of_a_disk_and_its_partitions(roots):
    _proc, sysfs = roots
    block = sysfs / "block"
    (block / "sdb" / "holders" / "md0").mkdir(parents=True)
    (block / "sdb" / "sdb1" / "holders" / "dm-3").mkdir(parents=True)
    (block / "sdb" / "sdb2" / "holders").mkdir(parents=True)
    (block / "sdb" / "queue").mkdir()
    assert _block.holders("sdb", str(block)) == [("sdb", "md0")]
    assert _block.holders("sdb", str(block), partitions=True) == [("sdb", "md0"), ("sdb1", "dm-3")]
    assert _block.holders("sdx", str(block), partitions=True) == []


def test_slaves(roots):
    _proc, sysfs = roots
    (sysfs / "block" / "md0" / "slaves" / "sdb1").mkdir(parents=True)
    (sysfs / "block" / "md0" / "slaves" / "sda1").mkdir()
    assert _block.slaves("md0", str(sysfs / "block")) == ["sda1", "sdb1"]
    assert _block.slaves("md9", str(sysfs / "block")) == []


def test_open_by_one_entry_per_process_in_pid_order(roots):
    proc, _sysfs = roots
    open_fd(proc, 812, 5, "/dev/drbd0", "mysqld")
    open_fd(proc, 812, 6, "/dev/drbd0")
    open_fd(proc, 99, 3, "/dev/drbd0")          # no comm: the process ended
    open_fd(proc, 900, 0, "/dev/null", "sh")
    (proc / "self").mkdir()                      # not a pid
    assert _block.open_by(["/dev/drbd0"], str(proc)) == [(99, None, "/dev/drbd0"), (812, "mysqld", "/dev/drbd0")]
    assert _block.open_by(["/dev/drbd1"], str(proc)) == []
    assert _block.open_by(["/dev/drbd0"], str(proc / "missing")) == []


def test_open_by_partitions_and_links(roots, tmp_path):
    proc, _sysfs = roots
    open_fd(proc, 10, 3, "/dev/gdg0n1p1", "mkfs.xfs")
    real = tmp_path / "dev" / "dm-7"
    real.parent.mkdir()
    real.write_text("")
    link = tmp_path / "dev" / "mpatha"
    os.symlink(str(real), str(link))
    open_fd(proc, 11, 4, str(real), "qemu")
    assert _block.open_by(["/dev/gdg0n1"], str(proc)) == []
    assert _block.open_by(["/dev/gdg0n1"], str(proc), partitions=True) == [(10, "mkfs.xfs", "/dev/gdg0n1p1")]
    assert _block.open_by([str(link)], str(proc)) == [(11, "qemu", str(real))]
