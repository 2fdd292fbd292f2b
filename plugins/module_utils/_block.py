# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: who uses a block device.

The one device-holder scan of the collection (drbd_resource, the graid
modules through ``_graid.InUseChecker``, md_array), read from ``/proc`` and
``/sys`` only, no process started. Each function returns data; the callers
word their refusals. The roots are arguments so unit tests point them at
fake trees.

* :func:`mount_entries` -- ``(source, target)`` of ``/proc/mounts`` or
  ``/proc/swaps`` text (``\\040`` read back as a blank);
* :func:`holders` -- the kernel devices stacked on a device
  (``<block_dir>/<name>/holders``; with ``partitions`` those of its
  partitions too), :func:`slaves` the other way round;
* :func:`open_by` -- the processes holding a device open (a scan of
  ``/proc/<pid>/fd``, the check ``fuser`` does).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re


def is_device_or_partition(dev_path, candidate):
    """``candidate`` is ``dev_path`` or one of its partitions (``gdg0n1p1``, ``sda1``;
    a name ending in a digit takes a ``p`` before the partition number)."""
    if candidate == dev_path:
        return True
    separator = "p" if dev_path[-1:].isdigit() else ""
    return bool(re.match(re.escape(dev_path) + separator + r"[0-9]+$", candidate))


def read_text(path):
    """The text of a file, ``None`` when it cannot be read."""
    try:
        with open(path) as f:
            return f.read()
    except (IOError, OSError):
        return None


def mount_entries(text):
    """``[(source, target)]`` of ``/proc/mounts`` (target: the mount point) or ``/proc/swaps`` text
    (target: the type column; its header line is a row that names no device)."""
    entries = []
    for line in (text or "").splitlines():
        fields = line.split()
        if len(fields) >= 2:
            entries.append((fields[0], fields[1].replace("\\040", " ")))
    return entries


def mounts(proc_root="/proc", table="mounts"):
    """:func:`mount_entries` of ``<proc_root>/<table>`` (``mounts`` or ``swaps``); empty when unreadable."""
    return mount_entries(read_text(os.path.join(proc_root, table)))


def _listing(path):
    try:
        return sorted(os.listdir(path))
    except (IOError, OSError):
        return None


def holders(name, block_dir="/sys/block", partitions=False):
    """``[(device or partition name, holder)]`` from ``<block_dir>/<name>/holders``.

    ``block_dir``: ``/sys/block`` (whole disks) or ``/sys/class/block`` (partitions too).
    ``partitions``: also the holders of ``<block_dir>/<name>/<name>*/`` (a disk's partitions).
    """
    base = os.path.join(block_dir, name)
    dirs = [name]
    if partitions:
        dirs += [entry for entry in _listing(base) or [] if entry.startswith(name)]
    found = []
    for part in dirs:
        path = os.path.join(base, "holders") if part == name else os.path.join(base, part, "holders")
        found.extend((part, holder) for holder in _listing(path) or [])
    return found


def slaves(name, block_dir="/sys/block"):
    """The devices ``name`` is built on (``<block_dir>/<name>/slaves``)."""
    return _listing(os.path.join(block_dir, name, "slaves")) or []


def open_by(dev_paths, proc_root="/proc", partitions=False):
    """``[(pid, comm, device)]``: each process with one of ``dev_paths`` open, once, by pid.

    A path and where it leads (``os.path.realpath``) both count; with
    ``partitions`` a partition of the device does too. ``comm`` is ``None``
    when it cannot be read (the process ended).
    """
    targets = set(dev_paths)
    targets.update(os.path.realpath(p) for p in dev_paths)
    found = []
    for pid in sorted((p for p in _listing(proc_root) or [] if p.isdigit()), key=int):
        fd_dir = os.path.join(proc_root, pid, "fd")
        for fd in _listing(fd_dir) or []:
            try:
                link = os.readlink(os.path.join(fd_dir, fd))
            except (IOError, OSError):
                continue
            if link in targets or partitions and any(is_device_or_partition(t, link) for t in targets):
                comm = read_text(os.path.join(proc_root, pid, "comm"))
                found.append((int(pid), comm.strip() if comm is not None else None, link))
                break
    return found
