# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Configuration files that survive a power loss right after they were written.

ext4 (and most filesystems) write the data of a new file seconds after the
rename that puts it in place: a node that loses power in between comes back
with an empty file under the new name. So a file is written to a temporary
file in the same directory (mode 0600 from ``mkstemp``: it may hold a
secret), synced, moved over the old one, and the directory synced after.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat
import tempfile


def fsync_directory(directory):
    """Make a rename in ``directory`` durable."""
    dfd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def synced_temp(directory, name, text):
    """A temporary file ``.NAME.*`` in ``directory`` (mode 0600) holding ``text``, synced; its path."""
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".%s." % name)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
    except Exception:
        os.unlink(tmp)
        raise
    return tmp


def replace_durably(path, text, mode=None, prepare=None):
    """Replace ``path`` with ``text`` so that a crash leaves the old or the whole new file.

    ``mode``: the file's mode; None keeps the mode of the file it replaces (0600 for a new one).
    ``prepare(tmp)``: called with the new file's temporary path before it replaces ``path``
    (its owner, a validation); an exception there leaves ``path`` as it was.
    """
    directory = os.path.dirname(os.path.abspath(path))
    tmp = synced_temp(directory, os.path.basename(path), text)
    try:
        if mode is not None:
            os.chmod(tmp, mode)
        elif os.path.exists(path):
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        if prepare is not None:
            prepare(tmp)
        os.replace(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    fsync_directory(directory)


def is_block_device(path):
    """Whether ``path`` is (or links to) a block device on this host."""
    try:
        return stat.S_ISBLK(os.stat(path).st_mode)
    except OSError:
        return False
