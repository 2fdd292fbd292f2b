# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: comparing two CIB snapshots.

* :func:`plan` lists the per-object changes between two snapshots;
* :func:`ownership_violations` refuses the changes that would touch an
  object hastorage.cluster neither made nor adopted;
* :func:`action_lines`, :func:`render_object`, :func:`render_diff` and
  :func:`redact_snapshot` report the changes (secrets redacted) for the
  result and diff mode.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.hastorage.cluster.plugins.module_utils._cib_input import REDACTED, is_secret
from ansible_collections.hastorage.cluster.plugins.module_utils._cib_snapshot import (
    OWNED_KINDS,
    OWNER_SET_ID,
    RESOURCE_KINDS,
    is_adopted,
    owned_keys,
)


def _constraint_resources(obj):
    refs = set()
    for field in ("resource", "with", "first", "then"):
        if obj.get(field):
            refs.add(obj[field])
    for s in obj.get("sets") or []:
        refs.update(s.get("resources") or [])
    return refs


def _children(kind, obj):
    """The resource ids a group (members) or clone (its resource) holds in a snapshot entry."""
    if not obj:
        return []
    if kind == "group":
        return list(obj.get("members") or [])
    return [obj["resource"]] if kind == "clone" and obj.get("resource") else []


def _only_lost(kind, before, after, gone):
    """True when a group, clone or constraint changed only by losing resources that are deleted."""
    if kind in ("group", "clone"):
        lost = set(_children(kind, before)) - set(_children(kind, after))
        kept = dict(before, members=None, resource=None) == dict(after or {}, members=None, resource=None)
        return after is None and set(_children(kind, before)) <= gone or (
            kept and lost <= gone and [m for m in _children(kind, before) if m not in lost] == _children(kind, after))
    refs_before, refs_after = _constraint_resources(before), _constraint_resources(after or {})
    return bool(refs_before & gone) and (after is None or refs_after < refs_before and refs_before - refs_after <= gone)


def ownership_violations(before, changes, adopt):
    """Messages for the changes that would touch an object hastorage.cluster neither made nor adopted.

    ``before``: the snapshot the plan started from; ``changes``: the plan; ``adopt``: ids (or keys) the
    task takes over. Touching is: changing or deleting the object, moving a member out of a group or
    clone, or moving an existing resource into one. A constraint or group that only loses resources the
    change deletes (as pcs does on a delete) is not counted.
    """
    owned = owned_keys(before)
    adopt = set(adopt or [])
    mine = set(k for k in before if k in owned or is_adopted(k, adopt))
    gone = set(ch["key"].split(" ", 1)[1] for ch in changes
               if ch["action"] == "delete" and ch["key"].split(" ", 1)[0] in RESOURCE_KINDS)
    existing = dict((k.split(" ", 1)[1], k) for k in before if k.split(" ", 1)[0] in RESOURCE_KINDS)
    problems = []
    for ch in changes:
        kind = ch["key"].split(" ", 1)[0]
        if kind not in OWNED_KINDS:
            continue
        if ch["before"] is not None and ch["key"] not in mine:
            if not (kind in ("group", "clone", "constraint") and _only_lost(kind, ch["before"], ch["after"], gone)):
                what = "delete" if ch["action"] == "delete" else "change %s of" % ", ".join(ch["fields"])
                problems.append(("%s %s" % (what, ch["key"]), ch["key"]))
                continue
        if kind in ("group", "clone"):
            for rid in _children(kind, ch["after"]):
                key = existing.get(rid)
                if rid not in _children(kind, ch["before"]) and key is not None and key not in mine:
                    problems.append(("move %s into %s" % (key, ch["key"]), key))
    if not problems:
        return []
    names = sorted(set(key.split(" ", 1)[1] for _what, key in problems))
    return ["refusing to %s: %s not made by hastorage.cluster (no record in the CIB's %s property set); "
            "add %s to adopt to take %s over" % (
                "; ".join(what for what, _key in problems), "it was" if len(names) == 1 else "they were",
                OWNER_SET_ID, ", ".join(names), "it" if len(names) == 1 else "them")]


def managed_keys(desired):
    """Snapshot keys of the objects named in the input (for reporting)."""
    keys = set()
    for p in desired["primitives"]:
        keys.add("%s %s" % ("stonith" if p["stonith"] else "primitive", p["id"]))
    for g in desired["groups"]:
        keys.add("group %s" % g["id"])
    for c in desired["clones"]:
        keys.add("clone %s" % c["id"])
    return keys


def plan(before, after):
    """Per-object changes between two snapshots, sorted by key.

    Every object that differs is listed (also constraints removed because a
    resource went away), so the plan is exactly what the push changes.
    """
    changes = []
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        if b == a:
            continue
        if b is None:
            action = "create"
        elif a is None:
            action = "delete"
        else:
            action = "update"
        fields = sorted(k for k in set(b or {}) | set(a or {}) if (b or {}).get(k) != (a or {}).get(k))
        changes.append({"key": key, "action": action, "fields": fields, "before": b, "after": a})
    return changes


def action_lines(changes):
    lines = []
    for ch in changes:
        line = "%s %s" % (ch["action"], ch["key"])
        if ch["action"] == "update":
            parts = []
            for f in ch["fields"]:
                b, a = (ch["before"] or {}).get(f), (ch["after"] or {}).get(f)
                if isinstance(b, dict) or isinstance(a, dict):
                    names = sorted(n for n in set(b or {}) | set(a or {}) if (b or {}).get(n) != (a or {}).get(n))
                    parts.extend("%s.%s" % (f, n) for n in names)
                else:
                    parts.append(f)
            line += " (%s)" % ", ".join(parts)
        lines.append(line)
    return lines


def _render_value(name, value):
    if is_secret(name) and value is not None:
        return REDACTED
    return value


def render_object(key, obj):
    """YAML-like text of one snapshot object, secrets redacted."""
    if obj is None:
        return ""
    lines = ["%s:" % key]
    for field in sorted(obj):
        value = obj[field]
        if isinstance(value, dict):
            if not value:
                continue
            lines.append("  %s:" % field)
            for name in sorted(value):
                lines.append("    %s: %s" % (name, _render_value(name, value[name])))
        elif isinstance(value, list):
            if not value:
                continue
            lines.append("  %s:" % field)
            for item in value:
                if isinstance(item, dict):
                    lines.append("    - %s" % ", ".join("%s: %s" % (k, item[k]) for k in sorted(item)))
                else:
                    lines.append("    - %s" % _redact_text(item))
        else:
            lines.append("  %s: %s" % (field, _render_value(field, value)))
    return "\n".join(lines) + "\n"


def _redact_text(text):
    if not isinstance(text, str):
        return text
    return re.sub(r"(\S*(?:password|passwd|secret)\S*?)=(\S+)", lambda m: "%s=%s" % (m.group(1), REDACTED), text, flags=re.I)


def render_diff(changes):
    before = "".join(render_object(ch["key"], ch["before"]) for ch in changes)
    after = "".join(render_object(ch["key"], ch["after"]) for ch in changes)
    return {"before": before, "after": after, "before_header": "CIB (changed objects)",
            "after_header": "CIB (changed objects)"}


def redact_snapshot(obj):
    """A snapshot object with secret option values replaced."""
    if obj is None:
        return None
    out = {}
    for field, value in obj.items():
        if isinstance(value, dict):
            out[field] = dict((k, _render_value(k, v)) for k, v in value.items())
        else:
            out[field] = value
    return out
