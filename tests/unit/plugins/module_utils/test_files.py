# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Durable configuration files (module_utils/_files.py)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils import _files


def mode(path):
    return os.stat(str(path)).st_mode & 0o777


def test_replace_keeps_the_mode_of_the_file_it_replaces_and_new_files_are_private(tmp_path):
    old = tmp_path / "cib.xml"
    old.write_text("old")
    os.chmod(str(old), 0o640)
    _files.replace_durably(str(old), "new")
    assert old.read_text() == "new" and mode(old) == 0o640
    fresh = tmp_path / "fresh.conf"
    _files.replace_durably(str(fresh), "x")
    assert mode(fresh) == 0o600
    _files.replace_durably(str(old), "newer", mode=0o600)
    assert mode(old) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cib.xml", "fresh.conf"]


def test_the_data_and_the_directory_are_synced_before_and_after_the_replace(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: events.append(("fsync", os.path.isdir(
        os.readlink("/proc/self/fd/%d" % fd)))) or real_fsync(fd))
    monkeypatch.setattr(os, "replace", lambda a, b: events.append(("replace",)) or real_replace(a, b))
    _files.replace_durably(str(tmp_path / "r0.res"), "resource r0 {}")
    assert events == [("fsync", False), ("replace",), ("fsync", True)]


def test_a_failed_replace_leaves_no_temporary_file(tmp_path, monkeypatch):
    def refuse(a, b):
        raise OSError("read-only")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="read-only"):
        _files.replace_durably(str(tmp_path / "r0.res"), "x")
    assert list(tmp_path.iterdir()) == []


def test_replace_durably_runs_prepare_before_the_rename_and_a_refusal_keeps_the_old_file(tmp_path):
    path = tmp_path / "f.conf"
    path.write_text("old\n")
    seen = []

    def refuse(tmp):
        seen.append((os.path.dirname(tmp), open(tmp).read(), oct(os.stat(tmp).st_mode & 0o7777)))
        raise ValueError("refused")

    with pytest.raises(ValueError):
        _files.replace_durably(str(path), "new\n", mode=0o640, prepare=refuse)
    assert seen == [(str(tmp_path), "new\n", "0o640")]
    assert path.read_text() == "old\n" and os.listdir(str(tmp_path)) == ["f.conf"]
    _files.replace_durably(str(path), "new\n", mode=0o640, prepare=seen.append)
    assert path.read_text() == "new\n" and len(seen) == 2
