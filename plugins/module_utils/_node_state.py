# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: what a role decides on, read from a node in one module run.

Every module run costs a node about 0.3 s of CPU (AnsiballZ compiles
ansible-core's module_utils each time), so a role that reads its packages,
units and files with one module instead of four saves a second a re-run on
three nodes. The parsers here are pure: the module runs ``dpkg-query``,
``systemctl show`` and reads ``/etc/shadow``; these turn their output into
dictionaries.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# dpkg-query -W -f=DPKG_FORMAT NAME...: one line per known package
DPKG_FORMAT = "${Package}\\t${db:Status-Status}\\t${Version}\\n"
PACKAGE_RE = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
UNIT_RE = re.compile(r"^[A-Za-z0-9:_.\\@-]+$")
DEFAULT_UNIT_PROPERTIES = ("Id", "LoadState", "UnitFileState", "ActiveState")


def params_errors(packages, units, paths, properties):
    """Messages for bad input, before anything runs (``[]``: fine)."""
    errors = []
    for name in packages:
        if not PACKAGE_RE.match(name):
            errors.append("packages: %r is not a Debian package name" % (name,))
    for unit in units:
        if not UNIT_RE.match(unit) or unit.startswith("-"):
            errors.append("units: %r is not a systemd unit name" % (unit,))
    for prop in properties:
        if not re.match(r"^[A-Za-z][A-Za-z0-9]*$", prop):
            errors.append("unit_properties: %r is not a systemd property name" % (prop,))
    for item in paths:
        if not item["path"].startswith("/"):
            errors.append("paths: %r is not an absolute path" % (item["path"],))
    return errors


def parse_dpkg_query(text, names):
    """``{name: {installed, status, version}}`` for every name asked, from ``dpkg-query -W -f=DPKG_FORMAT``.

    A name dpkg does not know is not in the output (dpkg-query says so on
    stderr and exits 1): not installed. ``installed`` only for the status
    ``installed`` (not ``config-files``, ``half-installed`` ...).
    """
    seen = {}
    for line in (text or "").splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or not parts[0]:
            continue
        seen[parts[0]] = {"status": parts[1], "version": parts[2] or None}
    result = {}
    for name in names:
        info = seen.get(name, {"status": None, "version": None})
        result[name] = {"installed": info["status"] == "installed", "status": info["status"],
                        "version": info["version"] if info["status"] == "installed" else None}
    return result


def parse_show_blocks(text):
    """The blocks of ``systemctl show``, in order: ``[{property: value}]``."""
    blocks, current = [], {}
    for line in (text or "").splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
            current = {}
            continue
        key, sep, value = line.partition("=")
        if sep:
            current[key] = value
    if current:
        blocks.append(current)
    return blocks


def parse_systemctl_show(text, units):
    """``{unit: {property: value}}`` from one ``systemctl show --property=... -- UNIT...`` (blocks in that order)."""
    blocks = parse_show_blocks(text)
    if len(blocks) != len(units):
        raise ValueError("systemctl show printed %d blocks for %d units" % (len(blocks), len(units)))
    return dict(zip(units, blocks))


def shadow_hash(text, user):
    """The password field of ``user`` in ``/etc/shadow`` text, or None when the user has no line."""
    for line in (text or "").splitlines():
        fields = line.split(":")
        if len(fields) >= 2 and fields[0] == user:
            return fields[1]
    return None
