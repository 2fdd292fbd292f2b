# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which files and setting lines a role must still write, from one node_state read.

Pure functions over node_state's ``paths`` result (``{path: {exists, isreg, islnk, isdir, mode, pw_name,
gr_name, lnk_target, checksum?, content?}}``): a role reads a node once and runs ``lineinfile``, ``copy``,
``template`` or ``file`` only for what these say differs. Each errs on the side of running the module: an item
is left out only when the file certainly is what the module would make of it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import re

LINE_KEYS = ("path", "line", "regexp", "owner", "group", "mode")
FILE_STATES = ("file", "link", "directory", "absent")
FILE_KEYS = ("path", "state", "content", "src", "owner", "group", "mode")


def _mode_text(mode):
    """'0644' for 0o644, '644', '0644' or 420; None for None; ValueError for anything else."""
    if mode is None:
        return None
    if isinstance(mode, bool):
        raise ValueError("mode %r is not an octal mode" % (mode,))
    if isinstance(mode, int):
        return "%04o" % mode
    text = str(mode).strip()
    if not re.match(r"^0?[0-7]{3,4}$", text):
        raise ValueError("mode %r is not an octal mode such as 0644" % (mode,))
    return "%04o" % int(text, 8)


def _attributes_differ(facts, item):
    """True when the owner, group or mode ITEM asks for is not what FACTS say."""
    if item.get("owner") is not None and facts.get("pw_name") != item["owner"]:
        return True
    if item.get("group") is not None and facts.get("gr_name") != item["group"]:
        return True
    mode = _mode_text(item.get("mode"))
    return mode is not None and facts.get("mode") != mode


def _check_inputs(what, name, items, paths):
    if not isinstance(items, list):
        raise ValueError("%s: %s must be a list, got %s" % (what, name, type(items).__name__))
    if not isinstance(paths, dict):
        raise ValueError("%s: paths must be node_state's paths (a dictionary), got %s" % (what, type(paths).__name__))


def _check_keys(item, keys, what):
    if not isinstance(item, dict):
        raise ValueError("%s: each item must be a dictionary, got %s" % (what, type(item).__name__))
    unknown = sorted(set(item) - set(keys))
    if unknown:
        raise ValueError("%s: unknown key(s) %s in %r (known: %s)" % (what, ", ".join(unknown), item, ", ".join(keys)))
    if not item.get("path") or not str(item["path"]).startswith("/"):
        raise ValueError("%s: each item needs an absolute path, got %r" % (what, item.get("path")))


def split_lines(content):
    """CONTENT's lines with their line ends, as a file's readlines() gives them (only newline ends a line)."""
    return re.findall(r"[^\n]*\n|[^\n]+$", content)


def line_in_place(content, line, regexp=None):
    """True when ansible.builtin.lineinfile (state present, no backrefs, at the end) would leave CONTENT as it is:
    the last line REGEXP matches (or, with none matching, the last line equal to LINE) is LINE and a newline.
    CONTENT is the file's text as node_state decodes it (UTF-8, undecodable bytes replaced)."""
    if u"\ufffd" in content:
        # node_state read bytes that are not UTF-8 (and replaced them): the module compares bytes; let it
        return False
    lines = split_lines(content)
    index = -1
    if regexp is not None:
        # as lineinfile matches bytes: \s, \w and \d are ASCII only
        pattern = re.compile(regexp, getattr(re, "ASCII", 0))
        for number, text in enumerate(lines):
            if pattern.search(text):
                index = number
    if index == -1:
        for number, text in enumerate(lines):
            if text.rstrip("\r\n") == line:
                index = number
    return index != -1 and lines[index] == line + "\n"


def lines_to_set(settings, paths):
    """The items of SETTINGS ([{path, line, regexp?, owner?, group?, mode?}]) lineinfile would change on the node
    PATHS describes (node_state's paths, read with content): a file missing or unread, its line not in place,
    or its owner, group or mode other than asked."""
    _check_inputs("lines_to_set", "settings", settings, paths)
    pending = []
    for item in settings:
        _check_keys(item, LINE_KEYS, "lines_to_set")
        if not isinstance(item.get("line"), str):
            raise ValueError("lines_to_set: %s: line must be a string, got %r" % (item["path"], item.get("line")))
        if "\n" in item["line"]:
            raise ValueError("lines_to_set: %s: line %r has a newline in it" % (item["path"], item["line"]))
        _mode_text(item.get("mode"))
        if item.get("regexp") is not None:
            try:
                re.compile(item["regexp"])
            except re.error as e:
                raise ValueError("lines_to_set: %s: regexp %r: %s" % (item["path"], item["regexp"], e))
        facts = paths.get(item["path"]) or {}
        content = facts.get("content")
        if (not facts.get("exists") or not facts.get("isreg") or content is None
                or not line_in_place(content, item["line"], item.get("regexp"))
                or _attributes_differ(facts, item)):
            pending.append(item)
    return pending


def files_to_write(files, paths):
    """The items of FILES ([{path, state, content?, src?, owner?, group?, mode?}]) that copy, template or file
    would change on the node PATHS describes: a file (state file) whose checksum or content differs from
    CONTENT, a link not pointing at SRC, a directory missing, anything present that must be absent, or owner,
    group or mode other than asked (links: owner and group only)."""
    _check_inputs("files_to_write", "files", files, paths)
    pending = []
    for item in files:
        _check_keys(item, FILE_KEYS, "files_to_write")
        state = item.get("state", "file")
        if state not in FILE_STATES:
            raise ValueError("files_to_write: %s: state must be one of %s, got %r"
                             % (item["path"], ", ".join(FILE_STATES), state))
        if state == "file" and not isinstance(item.get("content"), str):
            raise ValueError("files_to_write: %s: a file needs its content (a string)" % item["path"])
        if state == "link" and not item.get("src"):
            raise ValueError("files_to_write: %s: a link needs src" % item["path"])
        _mode_text(item.get("mode"))
        facts = paths.get(item["path"]) or {}
        if state == "absent":
            differs = bool(facts.get("exists", True))
        elif not facts.get("exists"):
            differs = True
        elif state == "directory":
            differs = not facts.get("isdir") or _attributes_differ(facts, item)
        elif state == "link":
            differs = (not facts.get("islnk") or facts.get("lnk_target") != item["src"]
                       or _attributes_differ(facts, dict(item, mode=None)))
        else:
            wanted = item["content"]
            if facts.get("checksum") is not None:
                same = facts["checksum"] == hashlib.sha256(wanted.encode("utf-8")).hexdigest()
            elif facts.get("content") is not None:
                same = facts["content"] == wanted
            else:
                same = False
            differs = not facts.get("isreg") or not same or _attributes_differ(facts, item)
        if differs:
            pending.append(item)
    return pending
