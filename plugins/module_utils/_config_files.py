# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: many configuration files in one module run.

The roles write a dozen small files per node (agents, units, each group's
export and share file). ``ansible.builtin.template`` and ``copy`` cost two
module runs per file and node even when nothing changes (a checksum, then
the attributes); :mod:`config_files` reads every file once, plans, and
writes only what differs, in one run.

:func:`read_state` reads, :func:`plan` compares (pure), :func:`apply`
carries the plan out: directories first, then each file through a synced
temporary file in its own directory, validated there when asked, renamed
over the old one, the directory synced (a power loss leaves the old or the
whole new file).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import os
import pwd
import stat

from ansible_collections.hastorage.cluster.plugins.module_utils._files import fsync_directory, replace_durably


class ConfigFilesError(Exception):
    """Input or state the module refuses, before anything is written."""


def parse_mode(value, what):
    """An octal mode given as a string (``"0644"``) or an int already octal-read."""
    if isinstance(value, int):
        mode = value
    else:
        text = str(value).strip()
        if not text or any(c not in "01234567" for c in text):
            raise ConfigFilesError("%s: mode %r is not an octal number such as 0644" % (what, value))
        mode = int(text, 8)
    if mode > 0o7777:
        raise ConfigFilesError("%s: mode %r is more than 07777" % (what, value))
    return mode


def resolve_ids(owner, group, what, getpwnam=pwd.getpwnam, getgrnam=grp.getgrnam):
    """(uid, gid) of the owner and group names (or numbers) on this host."""
    try:
        uid = int(owner) if str(owner).isdigit() else getpwnam(owner).pw_uid
    except KeyError:
        raise ConfigFilesError("%s: owner %s is not a user on this host" % (what, owner))
    try:
        gid = int(group) if str(group).isdigit() else getgrnam(group).gr_gid
    except KeyError:
        raise ConfigFilesError("%s: group %s is not a group on this host" % (what, group))
    return uid, gid


def _wanted(item, kind, seen, default_mode):
    """The parts every directory and file has: (what, path, mode, uid, gid), refused when the path is
    relative or listed twice (compared normalised: ``/etc//x`` is ``/etc/x``)."""
    what = "%s[%s]" % (kind, item["path"])
    if not os.path.isabs(item["path"]) or (kind == "files" and item["path"].endswith("/")):
        wanted = "an absolute file name" if kind == "files" else "absolute"
        raise ConfigFilesError("%s: the path must be %s" % (what, wanted))
    path = os.path.normpath(item["path"])
    if path in seen:
        raise ConfigFilesError("%s: listed twice" % what)
    seen.add(path)
    uid, gid = resolve_ids(item.get("owner") or "root", item.get("group") or "root", what)
    return what, path, parse_mode(item.get("mode") or default_mode, what), uid, gid


def normalise(directories, files):
    """The wanted state: ([dir], [file]) with modes parsed and ids resolved; refuses bad input."""
    seen = set()
    dirs, out = [], []
    for item in directories or []:
        _what, path, mode, uid, gid = _wanted(item, "directories", seen, "0755")
        dirs.append({"path": path, "mode": mode, "uid": uid, "gid": gid})
    for item in files or []:
        what, path, mode, uid, gid = _wanted(item, "files", seen, "0644")
        if item.get("content") is None:
            raise ConfigFilesError("%s: no content" % what)
        validate = list(item.get("validate") or [])
        if validate and "%s" not in validate:
            raise ConfigFilesError("%s: validate must have an argument %%s (the new file's path), got %s"
                                   % (what, validate))
        out.append({"path": path, "content": item["content"], "mode": mode, "uid": uid, "gid": gid,
                    "validate": validate, "sensitive": bool(item.get("sensitive"))})
    return dirs, out


def read_state(dirs, files, lstat=os.lstat, read=None):
    """What is there now: {path: {kind, mode, uid, gid, content?}} (``kind`` None when missing)."""
    read = read or _read_text
    state = {}
    for item in list(dirs) + list(files):
        path = item["path"]
        try:
            st = lstat(path)
        except OSError:
            state[path] = {"kind": None}
            continue
        kind = ("dir" if stat.S_ISDIR(st.st_mode) else "file" if stat.S_ISREG(st.st_mode)
                else "link" if stat.S_ISLNK(st.st_mode) else "other")
        entry = {"kind": kind, "mode": stat.S_IMODE(st.st_mode), "uid": st.st_uid, "gid": st.st_gid}
        if kind == "file" and "content" in item:
            entry["content"] = read(path)
        state[path] = entry
    return state


def _read_text(path):
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # not text: never equal to a text content, so it is replaced
        return None


def plan(dirs, files, state, parent_is_dir=os.path.isdir):
    """[(path, [action, ...])] for every directory and file that differs.

    Actions: ``mkdir``, ``write`` (content, and mode/ids with it), ``chmod``,
    ``chown``. Refuses (ConfigFilesError) what it would not do: a path that is
    a symbolic link or not the kind wanted, a file whose directory neither
    exists nor is in ``dirs``.
    """
    made = set(d["path"] for d in dirs)
    steps = []
    for item in dirs:
        path, now = item["path"], state[item["path"]]
        if now["kind"] is None:
            steps.append((path, ["mkdir"]))
            continue
        if now["kind"] != "dir":
            raise ConfigFilesError("directories[%s]: it is a %s here, not a directory; nothing was changed"
                                   % (path, now["kind"]))
        steps.append((path, _attribute_actions(item, now)))
    for item in files:
        path, now = item["path"], state[item["path"]]
        parent = os.path.dirname(path)
        if parent not in made and not parent_is_dir(parent):
            raise ConfigFilesError("files[%s]: the directory %s does not exist (list it under directories)"
                                   % (path, parent))
        if now["kind"] is None:
            steps.append((path, ["write"]))
            continue
        if now["kind"] != "file":
            raise ConfigFilesError("files[%s]: it is a %s here, not a regular file; nothing was changed "
                                   "(remove it, or write where it points)" % (path, now["kind"]))
        if now.get("content") != item["content"]:
            steps.append((path, ["write"]))
        else:
            steps.append((path, _attribute_actions(item, now)))
    return [(path, actions) for path, actions in steps if actions]


def _attribute_actions(item, now):
    actions = []
    if now["mode"] != item["mode"]:
        actions.append("chmod")
    if (now["uid"], now["gid"]) != (item["uid"], item["gid"]):
        actions.append("chown")
    return actions


def diffs(files, state, steps):
    """Ansible's diff list: before and after of each file whose content changes (a file marked
    ``sensitive`` shows only that it changed)."""
    by_path = dict((f["path"], f) for f in files)
    out = []
    for path, actions in steps:
        item = by_path.get(path)
        if item is None or "write" not in actions:
            continue
        before = state[path].get("content") if state[path]["kind"] == "file" else None
        if item["sensitive"]:
            out.append({"before_header": path, "after_header": path,
                        "before": "(content not shown)\n" if before is not None else "",
                        "after": "(content not shown, changed)\n"})
            continue
        out.append({"before_header": path, "after_header": path,
                    "before": before if before is not None else "", "after": item["content"]})
    return out


def apply(dirs, files, steps, run_validate):
    """Carry ``steps`` out. ``run_validate(argv)`` runs a validation command and returns
    (rc, stdout, stderr); a file that fails it is not installed (ConfigFilesError, the
    earlier files of the run stay written)."""
    wanted = dict((d["path"], d) for d in list(dirs) + list(files))
    for path, actions in steps:
        item = wanted[path]
        if "mkdir" in actions:
            os.makedirs(path, exist_ok=True)
            os.chmod(path, item["mode"])
            os.chown(path, item["uid"], item["gid"])
            fsync_directory(os.path.dirname(path))
        elif "write" in actions:
            _install(item, run_validate)
        else:
            if "chown" in actions:
                os.chown(path, item["uid"], item["gid"])
            if "chmod" in actions:
                os.chmod(path, item["mode"])


def _install(item, run_validate):
    path = item["path"]

    def prepare(tmp):
        os.chown(tmp, item["uid"], item["gid"])
        # again after the chown, which clears set-user-ID and set-group-ID bits
        os.chmod(tmp, item["mode"])
        if item["validate"]:
            argv = [tmp if arg == "%s" else arg for arg in item["validate"]]
            rc, out, err = run_validate(argv)
            if rc != 0:
                raise ConfigFilesError("files[%s]: the new content failed validation (%s, rc=%s): %s; the file "
                                       "was left as it was" % (path, " ".join(item["validate"]), rc,
                                                               (err or out or "").strip()))

    replace_durably(path, item["content"], mode=item["mode"], prepare=prepare)
