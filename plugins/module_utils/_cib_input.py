# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: the task input of pcs_cib.

Checks and canonicalises what a task declares, before any CIB is read:

* :func:`normalise_input` turns the module parameters into the ``desired``
  dictionary the other ``_cib_*`` modules work from (raises :class:`CibError`);
* the small normalisers both the input and the CIB reader use (scores,
  roles, durations, agents, the text value of an Ansible value);
* which option names hold secrets, which constraint ids pcs_cib never
  touches, and the cluster options Pacemaker accepts (:func:`property_errors`).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import xml.etree.ElementTree as ET

from ansible_collections.hastorage.cluster.plugins.module_utils._cib_rule import (
    RuleError,
    parse_rule,
    rule_to_xml,
    rule_xml_to_text,
)

PROTECTED_PREFIXES = ("drbd-fence-by-handler-", "cli-prefer-", "cli-ban-")
REDACTED = "********"
# Option names whose values are secrets (documented in pcs_cib): a word of the name (between _ or -) that
# says so anywhere in it (snmp_priv_passwd, secret_key, api_token), a *key name of a kind that is one
# (access_key, private_key, api_key, auth_key), or fence_ipmilan's BMC key; more with pcs_cib's secret_options.
SECRET_NAME = re.compile(r"(^|[_-])(password|passwd|passphrase|secret|token|apikey|community|credentials?)([_-]|$)"
                         r"|(^|[_-])(access|secret|private|api|auth|encryption)[_-]?key$|^(pass|hexadecimal_kg)$", re.I)
_EXTRA_SECRET_NAMES = set()
# Meta attributes an operator toggles at run time (pcs resource disable,
# unmanage); kept unless the task names them.
RUNTIME_META = ("target-role", "is-managed")
ROLE_ALIASES = {"master": "Promoted", "slave": "Unpromoted", "promoted": "Promoted",
                "unpromoted": "Unpromoted", "started": "Started", "stopped": "Stopped"}
ACTIONS = ("start", "stop", "promote", "demote")
KINDS = ("Optional", "Mandatory", "Serialize")
UNSAFE_BEFORE = re.compile(r"(nfsserver|exportfs|nfs-ganesha|ganesha|samba|smbd|smb|winbind|nmbd)$", re.I)
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]*$")
_SCORE = re.compile(r"^[+-]?(INFINITY|[0-9]+)$", re.I)
_DURATION = re.compile(r"^\s*([0-9]+)\s*(ms|msec|us|usec|s|sec|m|min|h|hr)?\s*$", re.I)
_UNIT_MS = {None: 1000, "ms": 1, "msec": 1, "us": 0.001, "usec": 0.001, "s": 1000, "sec": 1000,
            "m": 60000, "min": 60000, "h": 3600000, "hr": 3600000}


class CibError(ValueError):
    """Input or CIB state that pcs_cib refuses, with a message for the user."""


# --------------------------------------------------------------------------
# small normalisers


def text_value(value):
    """Ansible values as CIB text: booleans lower case, everything a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return None
    return str(value)


def normalise_score(score):
    """``+INFINITY``/``infinity`` -> ``INFINITY``, ``+50`` -> ``50``."""
    if score is None:
        return None
    text = text_value(score).strip()
    if not _SCORE.match(text):
        raise CibError("invalid score %r: use an integer, INFINITY or -INFINITY" % (score,))
    sign = "-" if text.startswith("-") else ""
    body = text.lstrip("+-").upper()
    if body != "INFINITY":
        body = str(int(body))
        if body == "0":
            sign = ""
    return sign + body


def constraint_role(role):
    """A constraint's role: ``Started`` is Pacemaker's default (any active role) and is read back as none."""
    role = normalise_role(role)
    return None if role == "Started" else role


def normalise_role(role):
    if role is None or role == "":
        return None
    key = str(role).lower()
    if key not in ROLE_ALIASES:
        raise CibError("invalid role %r: use Promoted, Unpromoted, Started or Stopped" % (role,))
    return ROLE_ALIASES[key]


def duration_ms(text):
    """``20s`` -> 20000; ``1m`` -> 60000; a bare number is seconds."""
    m = _DURATION.match(str(text))
    if not m:
        return None
    return int(int(m.group(1)) * _UNIT_MS[(m.group(2) or "").lower() or None])


def normalise_duration(text):
    if text is None:
        return None
    ms = duration_ms(text)
    if ms is None:
        return str(text)
    if ms % 1000 == 0:
        return "%ds" % (ms // 1000)
    return "%dms" % ms


# Properties Pacemaker sets itself: never written by a playbook (pcs refuses them too)
READ_ONLY_PROPERTIES = ("cluster-infrastructure", "cluster-name", "dc-version", "have-watchdog", "last-lrm-refresh")
_BOOLEAN_WORDS = ("true", "false", "yes", "no", "on", "off", "y", "n", "1", "0")


def cluster_option_rules(metadata_texts):
    """``{name: (type, [allowed values])}`` from the daemons' ``metadata`` XML (schedulerd, controld, based)."""
    rules = {}
    for text in metadata_texts:
        try:
            root = ET.fromstring(text)
        except ET.ParseError as e:
            raise CibError("cannot read Pacemaker's cluster options: %s" % e)
        for param in root.iter("parameter"):
            content = param.find("content")
            kind = content.get("type") if content is not None else "string"
            options = [o.get("value") for o in content.iter("option")] if content is not None else []
            rules[param.get("name")] = (kind, options)
    return rules


def property_errors(properties, rules):
    """What is wrong with the cluster ``properties`` (messages naming each), by Pacemaker's own option list."""
    errors = []
    for name in sorted(properties):
        value = properties[name]
        if value is None:
            continue    # a removal: an option this Pacemaker no longer knows may go
        if name in READ_ONLY_PROPERTIES:
            errors.append("properties: %s is set by Pacemaker itself, not by a playbook" % name)
            continue
        if name not in rules:
            errors.append("properties: %s is not a Pacemaker cluster option (Pacemaker here knows: %s)"
                          % (name, ", ".join(sorted(n for n in rules if n not in READ_ONLY_PROPERTIES))))
            continue
        kind, options = rules[name]
        text = (value or "").strip()
        ok = True
        if kind == "boolean":
            ok = text.lower() in _BOOLEAN_WORDS
        elif kind == "integer":
            ok = re.match(r"^[+-]?([0-9]+|INFINITY)$", text, re.I) is not None
        elif kind == "time":
            ok = duration_ms(text.lstrip("-")) is not None
        elif kind == "percentage":
            ok = re.match(r"^[0-9]+%?$", text) is not None
        elif kind == "select":
            ok = text in options
        if not ok:
            wanted = {"boolean": "true or false", "integer": "an integer", "time": "a time such as 60s or 5min",
                      "percentage": "a percentage such as 80%",
                      "select": "one of %s" % ", ".join(options)}.get(kind, kind)
            errors.append("properties: %s must be %s, got %r" % (name, wanted, value))
    return errors


def is_protected(constraint_id):
    return bool(constraint_id) and constraint_id.startswith(PROTECTED_PREFIXES)


def is_secret(name):
    return bool(SECRET_NAME.search(name or "")) or (name or "").lower() in _EXTRA_SECRET_NAMES


def register_secret_names(names):
    """More option names whose values are secrets (pcs_cib's secret_options), for this process."""
    _EXTRA_SECRET_NAMES.update(str(n).lower() for n in names or [])


def parse_agent(agent, stonith=False):
    """``ocf:heartbeat:IPaddr2`` -> ("ocf", "heartbeat", "IPaddr2")."""
    if not agent or not isinstance(agent, str):
        raise CibError("agent is required")
    parts = agent.split(":")
    if stonith:
        if len(parts) == 1:
            return ("stonith", None, parts[0])
        if len(parts) == 2 and parts[0] == "stonith":
            return ("stonith", None, parts[1])
        raise CibError("invalid stonith agent %r: use the fence agent name, e.g. fence_ipmilan" % agent)
    if len(parts) == 3 and parts[0] == "ocf" and all(parts):
        return tuple(parts)
    if len(parts) == 2 and parts[0] in ("systemd", "lsb", "service", "upstart", "nagios") and parts[1]:
        return (parts[0], None, parts[1])
    if len(parts) == 2 and parts[0] == "stonith":
        raise CibError("agent %r is a fence agent: put it under stonith" % agent)
    raise CibError("invalid agent %r: use class:provider:type (ocf:heartbeat:IPaddr2) or "
                   "class:type (systemd:smbd, lsb:foo)" % agent)


def agent_text(cls, provider, kind):
    if cls == "stonith":
        return kind
    return ":".join(p for p in (cls, provider, kind) if p)


def _check_id(value, what):
    if not isinstance(value, str) or not _ID.match(value):
        raise CibError("invalid %s %r: ids start with a letter or '_' and contain only "
                       "letters, digits, '_', '.', ':' and '-'" % (what, value))
    return value


def _text_dict(value, what):
    value = value or {}
    if not isinstance(value, dict):
        raise CibError("%s must be a dictionary" % what)
    out = {}
    for k, v in value.items():
        if isinstance(v, (dict, list, tuple, set)):
            raise CibError("%s: %s must be a string, a number or a boolean, got a %s (the CIB holds text only)"
                           % (what, k, "dictionary" if isinstance(v, dict) else "list"))
        out[str(k)] = text_value(v)
    return out


# Pacemaker's ISO 8601 form of an operation interval (crm_parse_interval_spec), e.g. PT30S, P1DT2H
_ISO_INTERVAL = re.compile(r"^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")


def check_duration(value, what, iso=False):
    """Raise unless ``value`` is a time Pacemaker reads (``20``, ``20s``, ``500ms``, ``2min``; ISO 8601 with iso)."""
    if value is None:
        return None
    text = text_value(value).strip()
    if duration_ms(text) is None and not (iso and _ISO_INTERVAL.match(text)):
        raise CibError("%s %r is not a time Pacemaker reads: use a number of seconds or a number with ms, s, "
                       "min or h (20s, 500ms, 2min)%s" % (what, value, ", or ISO 8601 (PT30S)" if iso else ""))
    return text


# --------------------------------------------------------------------------
# input


def _norm_operations(ops, owner):
    result = []
    seen = set()
    for op in ops or []:
        action = op.get("action")
        if not action:
            raise CibError("%s: every operation needs an action" % owner)
        check_duration(op.get("interval"), "%s: operation %s interval" % (owner, action), iso=True)
        for name in ("timeout", "start_delay"):
            check_duration(op.get(name), "%s: operation %s %s" % (owner, action, name))
        interval = normalise_duration(op.get("interval") or "0s")
        role = normalise_role(op.get("role"))
        key = (action, interval, role)
        if key in seen:
            raise CibError("%s: operation %s interval %s listed twice" % (owner, action, interval))
        seen.add(key)
        attrs = {}
        for name in ("timeout", "start_delay", "on_fail", "interval_origin", "record_pending", "enabled"):
            if op.get(name) is not None:
                attrs[name.replace("_", "-")] = text_value(op[name])
        for name, value in _text_dict(op.get("options"), "%s operation options" % owner).items():
            attrs[name] = value
        result.append({"name": action, "interval": interval, "role": role, "attrs": attrs})
    return result


def _norm_primitive(item, stonith):
    kind = "stonith" if stonith else "resources"
    rid = _check_id(item.get("id"), "%s id" % kind)
    state = item.get("state") or "present"
    out = {"id": rid, "state": state, "stonith": stonith}
    if state == "present":
        if not item.get("agent"):
            raise CibError("%s %s: agent is required" % (kind, rid))
        out["agent"] = parse_agent(item["agent"], stonith=stonith)
        out["options"] = _text_dict(item.get("options"), "%s options" % rid)
        out["meta"] = _text_dict(item.get("meta"), "%s meta" % rid)
        out["operations"] = _norm_operations(item.get("operations"), rid)
    return out


def _constraint_refs(c):
    if c.get("sets"):
        return [r for s in c["sets"] for r in s["resources"]]
    if c["type"] == "location":
        return [c["resource"]]
    if c["type"] == "colocation":
        return [c["resource"], c["with"]]
    return [c["first"], c["then"]]


def _norm_sets(sets, ctype, where):
    result = []
    for i, s in enumerate(sets):
        resources = s.get("resources") or []
        if not resources:
            raise CibError("%s: set %d has no resources" % (where, i + 1))
        for r in resources:
            _check_id(r, "%s set resource" % where)
        action = s.get("action")
        if action is not None and action not in ACTIONS:
            raise CibError("%s: invalid set action %r" % (where, action))
        result.append({
            "resources": list(resources),
            "sequential": text_value(s.get("sequential")) if s.get("sequential") is not None else None,
            "require_all": text_value(s.get("require_all")) if s.get("require_all") is not None else None,
            "role": normalise_role(s.get("role")),
            "action": action if ctype == "order" else None,
        })
    return result


def _norm_constraint(item):
    ctype = item.get("type")
    where = "constraint %s" % (item.get("id") or ctype)
    c = {"type": ctype, "id": item.get("id"), "state": item.get("state") or "present"}
    if c["id"] is not None:
        _check_id(c["id"], "constraint id")
        if is_protected(c["id"]):
            raise CibError("constraint %s: ids starting with %s belong to DRBD and crm_resource; "
                           "pcs_cib never manages them" % (c["id"], ", ".join(PROTECTED_PREFIXES)))
    if ctype not in ("location", "colocation", "order"):
        raise CibError("unknown constraint type %r: use location, colocation or order" % (ctype,))
    if c["state"] == "absent" and c["id"] is not None:
        return c  # removed by id: what it constrains need not be given
    sets = item.get("sets")
    if ctype == "location":
        if sets:
            raise CibError("%s: location constraints take resource, not sets" % where)
        c["resource"] = _check_id(item.get("resource"), "%s resource" % where)
        node, rule = item.get("node"), item.get("rule")
        if bool(node) == bool(rule):
            raise CibError("%s (%s): give exactly one of node or rule" % (where, c["resource"]))
        c["node"] = node
        c["rule"] = None
        if rule:
            try:
                c["rule"] = parse_rule(rule)
            except RuleError as e:
                raise CibError("%s (%s): %s" % (where, c["resource"], e))
        c["score"] = normalise_score(item.get("score") if item.get("score") is not None else "INFINITY")
        c["role"] = constraint_role(item.get("role"))
        c["resource_discovery"] = item.get("resource_discovery")
    elif ctype == "colocation":
        c["score"] = normalise_score(item.get("score") if item.get("score") is not None else "INFINITY")
        if sets:
            c["sets"] = _norm_sets(sets, ctype, where)
        else:
            c["resource"] = _check_id(item.get("resource"), "%s resource" % where)
            c["with"] = _check_id(item.get("with"), "%s with" % where)
            c["role"] = constraint_role(item.get("role"))
            c["with_role"] = constraint_role(item.get("with_role"))
    elif ctype == "order":
        kind = item.get("kind")
        if kind is not None:
            kind = kind.capitalize()
            if kind not in KINDS:
                raise CibError("%s: invalid kind %r, use Optional, Mandatory or Serialize" % (where, item["kind"]))
        c["kind"] = kind
        c["symmetrical"] = text_value(item.get("symmetrical")) if item.get("symmetrical") is not None else None
        if sets:
            c["sets"] = _norm_sets(sets, ctype, where)
        else:
            c["first"] = _check_id(item.get("first"), "%s first" % where)
            c["then"] = _check_id(item.get("then"), "%s then" % where)
            for key in ("first_action", "then_action"):
                if item.get(key) is not None and item[key] not in ACTIONS:
                    raise CibError("%s: invalid %s %r, use %s" % (where, key, item[key], ", ".join(ACTIONS)))
            c["first_action"] = item.get("first_action")
            c["then_action"] = item.get("then_action")
    else:
        raise CibError("unknown constraint type %r: use location, colocation or order" % (ctype,))
    if c["state"] == "present" or c["id"] is None:
        c["key"] = constraint_key_from_input(c)
    return c


def constraint_key_from_input(c):
    """What identifies a constraint given without id (to adopt an existing one)."""
    if c.get("sets"):
        return (c["type"], "sets", tuple(tuple(s["resources"]) for s in c["sets"]))
    if c["type"] == "location":
        if c["node"]:
            return ("location", c["resource"], "node", c["node"], c["role"])
        return ("location", c["resource"], "rule", rule_xml_to_text(rule_to_xml(c["rule"], "r")), c["role"])
    if c["type"] == "colocation":
        return ("colocation", c["resource"], c["with"])
    return ("order", c["first"], c["then"])


def default_constraint_id(c):
    """The id pcs 0.11 would generate."""
    if c.get("sets"):
        prefix = {"order": "order_set", "colocation": "colocation_set", "location": "location_set"}[c["type"]]
        return "%s_%s" % (prefix, "_".join("".join(s["resources"]) for s in c["sets"]))
    if c["type"] == "location":
        if c["node"]:
            return "location-%s-%s-%s" % (c["resource"], c["node"], c["score"])
        return "location-%s" % c["resource"]
    if c["type"] == "colocation":
        return "colocation-%s-%s-%s" % (c["resource"], c["with"], c["score"])
    return "order-%s-%s-%s" % (c["first"], c["then"], (c.get("kind") or "Mandatory").lower())


def normalise_input(params):
    """Check and canonicalise the module parameters. Raises :class:`CibError`."""
    desired = {
        "primitives": [_norm_primitive(i, False) for i in params.get("resources") or []]
        + [_norm_primitive(i, True) for i in params.get("stonith") or []],
        "groups": [],
        "clones": [],
        "constraints": [],
        "fencing_levels": [],
        "properties": _text_dict(params.get("properties"), "properties"),
        "resource_defaults": _text_dict(params.get("resource_defaults"), "resource_defaults"),
        "operation_defaults": _text_dict(params.get("operation_defaults"), "operation_defaults"),
        "node_attributes": [],
        "allow_unsafe_order": bool(params.get("allow_unsafe_order")),
        "adopt": [str(a) for a in params.get("adopt") or []],
    }
    for g in params.get("groups") or []:
        gid = _check_id(g.get("id"), "group id")
        members = list(g.get("members") or [])
        state = g.get("state") or "present"
        if state == "present" and not members:
            raise CibError("group %s: members must list at least one resource" % gid)
        for m in members:
            _check_id(m, "group %s member" % gid)
        if len(set(members)) != len(members):
            dup = sorted(set(m for m in members if members.count(m) > 1))
            raise CibError("groups[%s].members lists %s more than once" % (gid, ", ".join(dup)))
        desired["groups"].append({"id": gid, "members": members, "state": state,
                                  "meta": _text_dict(g.get("meta"), "group %s meta" % gid)})
    for c in params.get("clones") or []:
        resource = _check_id(c.get("resource"), "clone resource")
        cid = _check_id(c.get("id") or "%s-clone" % resource, "clone id")
        meta = _text_dict(c.get("meta"), "clone %s meta" % cid)
        meta.pop("promotable", None)
        desired["clones"].append({"id": cid, "resource": resource, "state": c.get("state") or "present",
                                  "promotable": bool(c.get("promotable")), "meta": meta})
    desired["constraints"] = [_norm_constraint(c) for c in params.get("constraints") or []]
    for f in params.get("fencing_levels") or []:
        level = int(f.get("level"))
        if level < 1 or level > 9:
            raise CibError("fencing level %s for %s: use 1 to 9" % (level, f.get("target")))
        state = f.get("state") or "present"
        devices = list(f.get("devices") or [])
        if state == "present" and not devices:
            raise CibError("fencing level %s for %s: devices is empty" % (level, f.get("target")))
        desired["fencing_levels"].append({"target": f.get("target"), "level": level,
                                          "devices": devices, "state": state})
    seen_attributes = set()
    for a in params.get("node_attributes") or []:
        state = a.get("state") or "present"
        key = (a.get("node"), a.get("name"))
        if key in seen_attributes:
            raise CibError("node attribute %s on %s is given twice" % (a.get("name"), a.get("node")))
        seen_attributes.add(key)
        if isinstance(a.get("value"), (dict, list)):
            raise CibError("node attribute %s on %s: value must be a string, a number or a boolean"
                           % (a.get("name"), a.get("node")))
        value = text_value(a.get("value"))
        if state == "present" and value is None:
            raise CibError("node attribute %s on %s: value is required (or state: absent)"
                           % (a.get("name"), a.get("node")))
        desired["node_attributes"].append({"node": a.get("node"), "name": a.get("name"),
                                           "value": value, "state": state})
    _check_duplicates(desired)
    _check_unsafe_order(desired)
    return desired


def _check_duplicates(desired):
    seen = {}
    items = [("resources/stonith", p["id"]) for p in desired["primitives"]]
    items += [("groups", g["id"]) for g in desired["groups"]]
    items += [("clones", c["id"]) for c in desired["clones"]]
    for kind, oid in items:
        if oid in seen:
            raise CibError("id %s is given twice (in %s and in %s)" % (oid, seen[oid], kind))
        seen[oid] = kind
    cids = {}
    keys = {}
    for c in desired["constraints"]:
        if c["id"]:
            if c["id"] in seen or c["id"] in cids:
                raise CibError("id %s is given twice (constraints)" % c["id"])
            cids[c["id"]] = True
        if c.get("key") and c["id"] is None:
            if c["key"] in keys:
                raise CibError("constraint %s is given twice" % (" ".join(str(k) for k in c["key"] if k),))
            keys[c["key"]] = True
    levels = set()
    for f in desired["fencing_levels"]:
        key = (f["target"], f["level"])
        if key in levels:
            raise CibError("fencing level %s for %s is given twice" % (f["level"], f["target"]))
        levels.add(key)
    in_group = {}
    for g in desired["groups"]:
        if g["state"] != "present":
            continue
        for m in g["members"]:
            if m in in_group:
                raise CibError("resource %s is a member of both group %s and group %s" % (m, in_group[m], g["id"]))
            in_group[m] = g["id"]
    cloned = {}
    for c in desired["clones"]:
        if c["state"] != "present":
            continue
        if c["resource"] in cloned:
            raise CibError("resource %s is cloned by both %s and %s" % (c["resource"], cloned[c["resource"]], c["id"]))
        if c["resource"] in in_group:
            raise CibError("clone %s: %s is a member of group %s; clone the group instead"
                           % (c["id"], c["resource"], in_group[c["resource"]]))
        cloned[c["resource"]] = c["id"]
    absent = set(p["id"] for p in desired["primitives"] if p["state"] == "absent")
    for g in desired["groups"]:
        if g["state"] == "present":
            gone = [m for m in g["members"] if m in absent]
            if gone:
                raise CibError("group %s lists %s, which is state: absent" % (g["id"], ", ".join(gone)))


def primitive_kind(agent):
    """A lower-case word that says what a primitive serves, from its agent type."""
    return agent[2] if agent else ""


def unsafe_order_message(group_id, members):
    """Why a group order is unsafe, or None. ``members`` are (id, agent type) in order."""
    first_vip = None
    for mid, kind in members:
        if kind and kind.lower() == "ipaddr2":
            if first_vip is None:
                first_vip = mid
        elif first_vip is not None and kind and UNSAFE_BEFORE.search(kind):
            return ("group %s starts the VIP %s (IPaddr2) before %s (%s): clients would reach an address "
                    "whose service is not ready. Put %s before %s (the VIP last), or set "
                    "allow_unsafe_order: true" % (group_id, first_vip, mid, kind, mid, first_vip))
    return None


def _check_unsafe_order(desired):
    if desired["allow_unsafe_order"]:
        return
    kinds = dict((p["id"], primitive_kind(p.get("agent"))) for p in desired["primitives"] if p["state"] == "present")
    for g in desired["groups"]:
        if g["state"] == "present":
            msg = unsafe_order_message(g["id"], [(m, kinds.get(m)) for m in g["members"]])
            if msg:
                raise CibError(msg)
