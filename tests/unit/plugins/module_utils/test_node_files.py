# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""lines_to_set and files_to_write: what lineinfile, copy, template and file would still change."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib

import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils import _node_files

CONF = "/etc/watchdog.conf"
INTERVAL = {"path": CONF, "regexp": r"^\s*#?\s*interval\s*=", "line": "interval = 2"}
REALTIME = {"path": CONF, "regexp": r"^\s*#?\s*realtime\s*=", "line": "realtime = no",
            "owner": "root", "group": "root", "mode": "0644"}


def reg(content, **extra):
    facts = {"exists": True, "isreg": True, "isdir": False, "islnk": False, "mode": "0644", "pw_name": "root",
             "gr_name": "root", "lnk_target": None, "content": content}
    facts.update(extra)
    return facts


@pytest.mark.parametrize("content, pending", [
    ("interval = 2\nrealtime = no\n", []),
    # Debian's commented default is what the regexp matches: replaced
    ("#interval = 1\nrealtime = no\n", ["interval = 2"]),
    # the last match is the one lineinfile replaces
    ("interval = 2\ninterval = 5\nrealtime = no\n", ["interval = 2"]),
    ("interval = 5\ninterval = 2\nrealtime = no\n", []),
    # the line at the end without its newline: lineinfile adds one
    ("realtime = no\ninterval = 2", ["interval = 2"]),
    # no line matches: added at the end
    ("realtime = no\n", ["interval = 2"]),
    ("", ["interval = 2", "realtime = no"]),
    # CRLF: lineinfile compares the whole line
    ("interval = 2\r\nrealtime = no\n", ["interval = 2"]),
    # UTF-8 text beside the lines (Debian's iscsid.conf has an em dash in a comment)
    ("# preference \u2014 the most preferred first\ninterval = 2\nrealtime = no\n", []),
    # bytes node_state could not decode (replaced): the module compares bytes, it decides
    ("interval = 2\nrealtime = no\n# \ufffd\n", ["interval = 2", "realtime = no"]),
    # \s is ASCII whitespace, as in lineinfile's bytes: a no-break space is not one
    ("interval = 2\nrealtime = no\n\u00a0interval = 9\n", []),
])
def test_lines_in_place_or_not(content, pending):
    got = _node_files.lines_to_set([INTERVAL, REALTIME], {CONF: reg(content)})
    assert [item["line"] for item in got] == pending


def test_lines_of_a_missing_unread_or_other_file_and_attributes():
    settings = [INTERVAL, REALTIME]
    good = "interval = 2\nrealtime = no\n"
    assert _node_files.lines_to_set(settings, {}) == settings
    assert _node_files.lines_to_set(settings, {CONF: {"exists": False}}) == settings
    assert _node_files.lines_to_set(settings, {CONF: reg(None)}) == settings
    assert _node_files.lines_to_set(settings, {CONF: reg(good, isreg=False, isdir=True)}) == settings
    # only the item that sets the mode cares about it
    assert _node_files.lines_to_set(settings, {CONF: reg(good, mode="0600")}) == [REALTIME]
    assert _node_files.lines_to_set(settings, {CONF: reg(good, pw_name="daemon")}) == [REALTIME]
    assert _node_files.lines_to_set([dict(REALTIME, mode=0o644)], {CONF: reg(good)}) == []
    # without a regexp the exact line counts
    assert _node_files.lines_to_set([{"path": "/etc/multipath/wwids", "line": "/3600a/"}],
                                    {"/etc/multipath/wwids": reg("# wwids\n/3600a/\n")}) == []
    assert _node_files.lines_to_set([{"path": "/etc/multipath/wwids", "line": "/3600a/"}],
                                    {"/etc/multipath/wwids": reg("# wwids\n/3600b/\n")}) != []


@pytest.mark.parametrize("settings, message", [
    ("x", "settings must be a list"),
    ([{"path": "etc/x", "line": "a"}], "absolute path"),
    ([{"path": "/etc/x"}], "line must be a string"),
    ([{"path": "/etc/x", "line": "a\nb"}], "has a newline"),
    ([{"path": "/etc/x", "line": "a", "regexp": "("}], "regexp"),
    ([{"path": "/etc/x", "line": "a", "create": True}], "unknown key"),
    ([{"path": "/etc/x", "line": "a", "mode": "u+rw"}], "not an octal mode"),
])
def test_lines_bad_input(settings, message):
    with pytest.raises(ValueError, match=message):
        _node_files.lines_to_set(settings, {"/etc/x": reg("a\n")})


def test_files_content_by_checksum_or_text_and_attributes():
    text = "InitiatorName=iqn.2004-10.com.example:node1\n"
    item = {"path": "/etc/iscsi/initiatorname.iscsi", "content": text, "owner": "root", "group": "root",
            "mode": "0600"}
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    same = reg(None, mode="0600", checksum=digest)
    assert _node_files.files_to_write([item], {item["path"]: same}) == []
    assert _node_files.files_to_write([item], {item["path"]: dict(same, checksum="0" * 64)}) == [item]
    assert _node_files.files_to_write([item], {item["path"]: dict(same, mode="0644")}) == [item]
    # read as text instead of a checksum
    assert _node_files.files_to_write([item], {item["path"]: reg(text, mode="0600")}) == []
    assert _node_files.files_to_write([item], {item["path"]: reg(text + "#\n", mode="0600")}) == [item]
    # neither read: the module decides; missing, or a link where a file must be
    assert _node_files.files_to_write([item], {item["path"]: reg(None, mode="0600")}) == [item]
    assert _node_files.files_to_write([item], {item["path"]: {"exists": False}}) == [item]
    assert _node_files.files_to_write([item], {item["path"]: dict(same, isreg=False, islnk=True)}) == [item]


def test_links_directories_and_absent():
    link = {"path": "/etc/watchdog.d/fence_scsi_check", "state": "link",
            "src": "/usr/share/cluster/fence_scsi_check"}
    facts = reg(None, isreg=False, islnk=True, mode="0777", lnk_target="/usr/share/cluster/fence_scsi_check")
    assert _node_files.files_to_write([link], {link["path"]: facts}) == []
    # a link's mode is not its own to set; its target is
    assert _node_files.files_to_write([dict(link, mode="0644")], {link["path"]: facts}) == []
    hard = dict(facts, lnk_target="/usr/share/cluster/fence_scsi_check_hardreboot")
    assert _node_files.files_to_write([link], {link["path"]: hard}) == [link]
    assert _node_files.files_to_write([link], {link["path"]: reg("x")}) == [link]
    directory = {"path": "/etc/watchdog.d", "state": "directory", "mode": "0755"}
    assert _node_files.files_to_write([directory], {directory["path"]: reg(None, isreg=False, isdir=True,
                                                                           mode="0755")}) == []
    assert _node_files.files_to_write([directory], {directory["path"]: reg(None, isreg=False, isdir=True,
                                                                           mode="0700")}) == [directory]
    assert _node_files.files_to_write([directory], {}) == [directory]
    gone = {"path": "/etc/watchdog.d/fence_mpath_check", "state": "absent"}
    assert _node_files.files_to_write([gone], {gone["path"]: {"exists": False}}) == []
    assert _node_files.files_to_write([gone], {gone["path"]: facts}) == [gone]
    # not read at all: cannot say it is gone
    assert _node_files.files_to_write([gone], {}) == [gone]


@pytest.mark.parametrize("files, message", [
    ({}, "files must be a list"),
    ([{"path": "/x", "state": "fifo"}], "state must be one of"),
    ([{"path": "/x"}], "needs its content"),
    ([{"path": "/x", "state": "link"}], "needs src"),
    ([{"path": "/x", "state": "directory", "mode": "rwx"}], "not an octal mode"),
    ([{"path": "x", "state": "absent"}], "absolute path"),
    ([{"path": "/x", "state": "absent", "force": True}], "unknown key"),
])
def test_files_bad_input(files, message):
    with pytest.raises(ValueError, match=message):
        _node_files.files_to_write(files, {})
