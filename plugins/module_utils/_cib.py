# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: the CIB model of pcs_cib.

Pure functions on CIB XML (``xml.etree.ElementTree``), no processes:

* :func:`normalise_input` checks and canonicalises the module input;
* :func:`snapshot` reads every object of a CIB into a normalised, id-free
  form (``Master`` = ``Promoted``, ``+INFINITY`` = ``INFINITY``, durations
  in one unit, rule text canonical, generated nvpair/op ids ignored);
* :func:`apply_desired` edits a *copy* of a CIB so it holds the desired
  objects, touching nothing it does not own;
* :func:`plan` compares two snapshots object by object;
* :func:`render_object` prints one object as YAML-like text (secrets
  redacted) for diff mode;
* :func:`verify_problems` reads ``crm_verify -VV`` output.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
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


# Ownership: the objects pcs_cib made (or was told to adopt) are recorded in the CIB itself, one nvpair
# per object in a cluster_property_set of their own (Pacemaker reads only the cluster options it knows,
# so it ignores the set), named by the object's key ("primitive vip_home", "constraint
# order-a-b-mandatory"). Anything else is an operator's: pcs_cib changes, deletes, moves members out of
# or into it only when the task adopts it by id. An object the task declares that already exists exactly
# as declared is left alone and not recorded.
OWNER_SET_ID = "hastorage-cluster-owned"
OWNER = "hastorage.cluster"
OWNED_KINDS = ("primitive", "stonith", "group", "clone", "constraint", "fencing_level")
RESOURCE_KINDS = ("primitive", "stonith", "group", "clone")
_NOT_IN_ID = re.compile(r"[^A-Za-z0-9_.-]")


def owned_keys(snap):
    """The object keys the CIB records as made (or adopted) by hastorage.cluster."""
    return set(k for k, obj in snap.items() if obj.get("owner") == OWNER)


def is_adopted(key, adopt):
    """True when ``adopt`` (ids or whole keys) names the object ``key``."""
    oid = key.split(" ", 1)[1]
    return oid in adopt or key in adopt


def desired_keys(desired, constraint_ids):
    """(present, absent): the object keys a task declares; ``constraint_ids`` the ids its constraints got."""
    present, absent = set(), set()
    for p in desired["primitives"]:
        key = "%s %s" % ("stonith" if p["stonith"] else "primitive", p["id"])
        (present if p["state"] == "present" else absent).add(key)
    for kind, items in (("group", desired["groups"]), ("clone", desired["clones"])):
        for item in items:
            (present if item["state"] == "present" else absent).add("%s %s" % (kind, item["id"]))
    present.update("constraint %s" % cid for cid in constraint_ids)
    absent.update("constraint %s" % c["id"] for c in desired["constraints"] if c["state"] != "present" and c["id"])
    for f in desired["fencing_levels"]:
        (present if f["state"] == "present" else absent).add("fencing_level %s %d" % (f["target"], f["level"]))
    return present, absent


def _record_ownership(root, before, present, absent, adopt):
    """Record in ``root`` what hastorage.cluster owns after the change.

    ``before``: the snapshot of the CIB the change started from. Recorded: each ``present`` key that
    exists in ``root`` and was created now, owned already or adopted. Forgotten: ``absent`` keys and
    objects that no longer exist. Other records are kept.
    """
    exists = set(k for k in snapshot(root) if k.split(" ", 1)[0] in OWNED_KINDS)
    owned = owned_keys(before)
    wanted = set(k for k in present & exists if k not in before or k in owned or is_adopted(k, adopt))
    crm = _section(root, "crm_config")
    record = None
    for pset in crm.findall("cluster_property_set"):
        if pset.get("id") == OWNER_SET_ID:
            record = pset
    if record is None:
        if not wanted:
            return
        record = ET.SubElement(crm, "cluster_property_set", {"id": OWNER_SET_ID})
    used = set()
    for nv in list(record.findall("nvpair")):
        name = nv.get("name")
        if name in absent or name not in exists:
            record.remove(nv)
        else:
            wanted.discard(name)
            used.add(nv.get("id"))
    for key in sorted(wanted):
        nid = base = "hsc-owned-" + _NOT_IN_ID.sub("_", key.replace(" ", "-"))
        n = 1
        while nid in used or _find_any_id(root, nid) is not None:
            n += 1
            nid = "%s-%d" % (base, n)
        used.add(nid)
        ET.SubElement(record, "nvpair", {"id": nid, "name": key, "value": OWNER})
    if len(record) == 0:
        crm.remove(record)


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


def check_unsafe_order_in_cib(desired, root):
    """Same rule for members that exist only in the CIB (not in the input)."""
    if desired["allow_unsafe_order"]:
        return
    kinds = {}
    for prim in root.iter("primitive"):
        kinds[prim.get("id")] = prim.get("type")
    kinds.update(dict((p["id"], primitive_kind(p.get("agent"))) for p in desired["primitives"]
                      if p["state"] == "present"))
    for g in desired["groups"]:
        if g["state"] == "present":
            msg = unsafe_order_message(g["id"], [(m, kinds.get(m)) for m in g["members"]])
            if msg:
                raise CibError(msg)


# --------------------------------------------------------------------------
# reading a CIB


def parse_cib(text):
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    try:
        root = ET.fromstring(text, parser=parser)
    except ET.ParseError as e:
        raise CibError("cannot parse the CIB: %s" % e)
    if root.tag != "cib" or root.find("configuration") is None:
        raise CibError("not a CIB: the root element is <%s>" % root.tag)
    return root


def serialize(root):
    """CIB text, indented two spaces per level (whitespace is ignored by Pacemaker)."""
    root = copy.deepcopy(root)
    if hasattr(ET, "indent"):
        ET.indent(root, "  ")
    return ET.tostring(root, encoding="unicode") + "\n"


def _section(root, name, create=True):
    cfg = root.find("configuration")
    sec = cfg.find(name)
    if sec is None and create:
        sec = ET.Element(name)
        order = ["crm_config", "rsc_defaults", "op_defaults", "nodes", "resources", "constraints",
                 "fencing-topology", "tags", "acls", "alerts"]
        index = len(cfg)
        for i, child in enumerate(cfg):
            if child.tag in order and order.index(child.tag) > order.index(name):
                index = i
                break
        cfg.insert(index, sec)
    return sec


def _nvpairs(element, tag):
    """name -> value of every ``<tag>`` set of ``element`` without a rule."""
    result = {}
    for aset in element.findall(tag):
        if aset.find("rule") is not None:
            continue
        for nv in aset.findall("nvpair"):
            result[nv.get("name")] = nv.get("value")
    return result


def _set_score(aset):
    score = (aset.get("score") or "0").strip().upper().lstrip("+")
    if score in ("INFINITY", "-INFINITY"):
        return 1000000 if score == "INFINITY" else -1000000
    try:
        return int(score)
    except ValueError:
        return 0


def _plain_sets(element, tag):
    """The ``<tag>`` sets of ``element`` without a rule, in the order Pacemaker reads them (higher score first)."""
    sets = [aset for aset in element.findall(tag) if aset.find("rule") is None]
    return sorted(sets, key=_set_score, reverse=True)


def _effective_nvpairs(element, tag):
    """name -> value as Pacemaker sees it across several rule-less sets: the first set that names it wins."""
    result = {}
    for aset in _plain_sets(element, tag):
        for nv in aset.findall("nvpair"):
            result.setdefault(nv.get("name"), nv.get("value"))
    return result


def _resource_index(root):
    """id -> (element, parent) for every resource element."""
    index = {}
    resources = _section(root, "resources", create=False)
    if resources is None:
        return index

    def walk(parent):
        for child in parent:
            if child.tag in ("primitive", "group", "clone", "master", "bundle"):
                index[child.get("id")] = (child, parent)
                if child.tag != "primitive":
                    walk(child)

    walk(resources)
    return index


def _norm_op(op):
    attrs = {}
    for k, v in op.attrib.items():
        if k in ("id", "name", "interval", "role"):
            continue
        attrs[k] = normalise_duration(v) if k in ("timeout", "start-delay") else v
    for nv in op.iter("nvpair"):
        attrs[nv.get("name")] = nv.get("value")
    return {"name": op.get("name"), "interval": normalise_duration(op.get("interval") or "0"),
            "role": normalise_role(op.get("role")) if op.get("role") else None, "attrs": attrs}


def _op_text(op):
    text = "%s interval=%s" % (op["name"], op["interval"])
    if op.get("role"):
        text += " role=%s" % op["role"]
    for k in sorted(op["attrs"]):
        text += " %s=%s" % (k, op["attrs"][k])
    return text


def _snap_primitive(el):
    ops = el.find("operations")
    op_list = sorted(_op_text(_norm_op(o)) for o in (ops.findall("op") if ops is not None else []))
    obj = {"agent": agent_text(el.get("class"), el.get("provider"), el.get("type")),
           "options": _nvpairs(el, "instance_attributes"), "meta": _nvpairs(el, "meta_attributes"),
           "operations": op_list}
    util = _nvpairs(el, "utilization")
    if util:
        obj["utilization"] = util
    if el.get("description"):
        obj["description"] = el.get("description")
    return obj


def _snap_rsc_set(s):
    out = {"resources": [r.get("id") for r in s.findall("resource_ref")]}
    for attr, key in (("sequential", "sequential"), ("require-all", "require_all"), ("action", "action")):
        if s.get(attr) is not None:
            out[key] = s.get(attr)
    if s.get("role"):
        out["role"] = normalise_role(s.get("role"))
    if out.get("sequential") == "true":
        del out["sequential"]
    if out.get("require_all") == "true":
        del out["require_all"]
    if out.get("action") == "start":
        del out["action"]
    if out.get("role") == "Started":
        del out["role"]
    return out


def _safe_score(value):
    try:
        return normalise_score(value)
    except CibError:
        return value


def _snap_constraint(el):
    obj = {}
    sets = el.findall("resource_set")
    if el.tag == "rsc_location":
        obj["type"] = "location"
        obj["resource"] = el.get("rsc") or ("pattern:" + (el.get("rsc-pattern") or ""))
        if el.get("node"):
            obj["node"] = el.get("node")
        if el.get("score") is not None:
            obj["score"] = _safe_score(el.get("score"))
        role = normalise_role(el.get("role")) if el.get("role") else None
        rules = []
        for rule in el.findall("rule"):
            text = rule_xml_to_text(rule)
            if rule.get("score") is not None:
                obj["score"] = _safe_score(rule.get("score"))
            if rule.get("role"):
                role = normalise_role(rule.get("role"))
            rules.append(text)
        if rules:
            obj["rule"] = " ; ".join(rules)
        if role and role != "Started":
            obj["role"] = role
        if el.get("resource-discovery"):
            obj["resource_discovery"] = el.get("resource-discovery")
    elif el.tag == "rsc_colocation":
        obj["type"] = "colocation"
        if sets:
            obj["sets"] = [_snap_rsc_set(s) for s in sets]
        else:
            obj["resource"] = el.get("rsc")
            obj["with"] = el.get("with-rsc")
            for attr, key in (("rsc-role", "role"), ("with-rsc-role", "with_role")):
                role = normalise_role(el.get(attr)) if el.get(attr) else None
                if role and role != "Started":
                    obj[key] = role
        obj["score"] = _safe_score(el.get("score") if el.get("score") is not None else "INFINITY")
    elif el.tag == "rsc_order":
        obj["type"] = "order"
        if sets:
            obj["sets"] = [_snap_rsc_set(s) for s in sets]
        else:
            obj["first"] = el.get("first")
            obj["then"] = el.get("then")
            first_action = el.get("first-action") or "start"
            obj["first_action"] = first_action
            obj["then_action"] = el.get("then-action") or first_action
        kind = el.get("kind")
        if kind is None and el.get("score") is not None:
            kind = "Optional" if _safe_score(el.get("score")) == "0" else "Mandatory"
        obj["kind"] = kind or "Mandatory"
        obj["symmetrical"] = el.get("symmetrical") or ("false" if obj["kind"] == "Serialize" else "true")
    else:
        obj["type"] = el.tag
        obj["xml"] = ET.tostring(el, encoding="unicode").strip()
    return obj


def snapshot(root):
    """Every object of the CIB: ``{"<kind> <id>": {normalised fields}}``."""
    snap = {}
    crm = _section(root, "crm_config", create=False)
    if crm is not None:
        for pset in crm.findall("cluster_property_set"):
            if pset.get("id") == "cib-bootstrap-options":
                for nv in pset.findall("nvpair"):
                    snap["property %s" % nv.get("name")] = {"value": nv.get("value")}
    for sec, kind in (("rsc_defaults", "resource_default"), ("op_defaults", "operation_default")):
        el = _section(root, sec, create=False)
        if el is not None:
            for name, value in _effective_nvpairs(el, "meta_attributes").items():
                snap["%s %s" % (kind, name)] = {"value": value}
    nodes = _section(root, "nodes", create=False)
    if nodes is not None:
        for node in nodes.findall("node"):
            uname = node.get("uname") or node.get("id")
            for name, value in _nvpairs(node, "instance_attributes").items():
                snap["node_attribute %s %s" % (uname, name)] = {"value": value}
    for rid, (el, parent) in _resource_index(root).items():
        if el.tag == "primitive":
            kind = "stonith" if el.get("class") == "stonith" else "primitive"
            snap["%s %s" % (kind, rid)] = _snap_primitive(el)
        elif el.tag == "group":
            snap["group %s" % rid] = {"members": [m.get("id") for m in el.findall("primitive")],
                                      "meta": _nvpairs(el, "meta_attributes")}
        elif el.tag in ("clone", "master"):
            meta = _nvpairs(el, "meta_attributes")
            promotable = el.tag == "master" or str(meta.pop("promotable", "false")).lower() in ("true", "yes", "1", "on")
            child = [c.get("id") for c in el if c.tag in ("primitive", "group")]
            snap["clone %s" % rid] = {"resource": child[0] if child else None, "promotable": promotable,
                                      "meta": meta}
        elif el.tag == "bundle":
            snap["bundle %s" % rid] = {"xml": ET.tostring(el, encoding="unicode").strip()}
    cons = _section(root, "constraints", create=False)
    if cons is not None:
        for el in cons:
            if isinstance(el.tag, str) and el.get("id"):
                snap["constraint %s" % el.get("id")] = _snap_constraint(el)
    topo = _section(root, "fencing-topology", create=False)
    if topo is not None:
        for lvl in topo.findall("fencing-level"):
            target = lvl.get("target") or lvl.get("target-pattern") or lvl.get("target-attribute")
            snap["fencing_level %s %s" % (target, lvl.get("index"))] = {"devices": lvl.get("devices").split(",")}
    # the ownership record: a field of each object it names ("owner"), so that creating, adopting and
    # deleting an object stay one change of that object
    if crm is not None:
        for pset in crm.findall("cluster_property_set"):
            if pset.get("id") == OWNER_SET_ID:
                for nv in pset.findall("nvpair"):
                    if nv.get("name") in snap:
                        snap[nv.get("name")]["owner"] = nv.get("value")
    return snap


# --------------------------------------------------------------------------
# building elements


def _attr_set(parent, tag, set_id, values, keep=None):
    """Append a ``tag`` set with ``values`` (sorted by name); None values dropped."""
    merged = dict(keep or {})
    merged.update(values)
    merged = dict((k, v) for k, v in merged.items() if v is not None)
    if not merged:
        return None
    aset = ET.SubElement(parent, tag, {"id": set_id})
    for name in sorted(merged):
        ET.SubElement(aset, "nvpair", {"id": "%s-%s" % (set_id, name), "name": name, "value": merged[name]})
    return aset


def _kept_meta(existing, desired_meta):
    if existing is None:
        return {}
    meta = _nvpairs(existing, "meta_attributes")
    return dict((k, v) for k, v in meta.items() if k in RUNTIME_META and k not in desired_meta)


def build_primitive(spec, existing=None):
    """The ``<primitive>`` element for a spec, keeping what it does not own.

    Kept from ``existing``: operations of actions the spec does not name
    (pcs default ops), ``target-role``/``is-managed`` unless named,
    utilization, description and rule-based attribute sets.
    """
    cls, provider, kind = spec["agent"]
    rid = spec["id"]
    attrs = {"id": rid, "class": cls, "type": kind}
    if provider:
        attrs["provider"] = provider
    el = ET.Element("primitive", attrs)
    if existing is not None and existing.get("description"):
        el.set("description", existing.get("description"))
    _attr_set(el, "instance_attributes", "%s-instance_attributes" % rid, spec["options"])
    _attr_set(el, "meta_attributes", "%s-meta_attributes" % rid, spec["meta"], keep=_kept_meta(existing, spec["meta"]))
    if existing is not None:
        for child in existing:
            if child.tag in ("instance_attributes", "meta_attributes") and child.find("rule") is not None:
                el.append(copy.deepcopy(child))
            elif child.tag == "utilization":
                el.append(copy.deepcopy(child))
    named = set(op["name"] for op in spec["operations"])
    kept_ops = []
    if existing is not None and existing.find("operations") is not None:
        kept_ops = [copy.deepcopy(o) for o in existing.find("operations").findall("op") if o.get("name") not in named]
    if spec["operations"] or kept_ops:
        ops = ET.SubElement(el, "operations")
        used = set()
        for op in spec["operations"]:
            oid = "%s-%s-interval-%s" % (rid, op["name"], op["interval"])
            if op["role"]:
                oid += "-role-%s" % op["role"]
            used.add(oid)
            attrs = {"id": oid, "name": op["name"], "interval": op["interval"]}
            if op["role"]:
                attrs["role"] = op["role"]
            attrs.update(op["attrs"])
            ET.SubElement(ops, "op", attrs)
        for o in kept_ops:
            ops.append(o)
    return el


def build_constraint(c, cid):
    if c["type"] == "location":
        el = ET.Element("rsc_location", {"id": cid, "rsc": c["resource"]})
        if c["node"]:
            el.set("node", c["node"])
            el.set("score", c["score"])
            if c["role"]:
                el.set("role", c["role"])
        else:
            el.append(rule_to_xml(c["rule"], "%s-rule" % cid, score=c["score"], role=c["role"]))
        if c.get("resource_discovery"):
            el.set("resource-discovery", c["resource_discovery"])
        return el
    tag = "rsc_colocation" if c["type"] == "colocation" else "rsc_order"
    el = ET.Element(tag, {"id": cid})
    if c["type"] == "colocation":
        if not c.get("sets"):
            el.set("rsc", c["resource"])
            el.set("with-rsc", c["with"])
            if c["role"]:
                el.set("rsc-role", c["role"])
            if c["with_role"]:
                el.set("with-rsc-role", c["with_role"])
        el.set("score", c["score"])
    else:
        if not c.get("sets"):
            el.set("first", c["first"])
            el.set("then", c["then"])
            if c["first_action"]:
                el.set("first-action", c["first_action"])
            if c["then_action"]:
                el.set("then-action", c["then_action"])
        if c["kind"]:
            el.set("kind", c["kind"])
        if c["symmetrical"] is not None:
            el.set("symmetrical", c["symmetrical"])
    for i, s in enumerate(c.get("sets") or []):
        sel = ET.SubElement(el, "resource_set", {"id": "%s-set-%d" % (cid, i + 1)})
        for attr, key in (("sequential", "sequential"), ("require-all", "require_all"),
                          ("role", "role"), ("action", "action")):
            if s.get(key) is not None:
                sel.set(attr, s[key])
        for r in s["resources"]:
            ET.SubElement(sel, "resource_ref", {"id": r})
    return el


def constraint_key_from_element(el):
    """Same key as :func:`constraint_key_from_input`, from the CIB."""
    obj = _snap_constraint(el)
    if obj.get("sets") is not None:
        return (obj["type"], "sets", tuple(tuple(s["resources"]) for s in obj["sets"]))
    if obj["type"] == "location":
        role = obj.get("role")
        if obj.get("node"):
            return ("location", obj["resource"], "node", obj["node"], role)
        return ("location", obj["resource"], "rule", obj.get("rule"), role)
    if obj["type"] == "colocation":
        return ("colocation", obj["resource"], obj["with"])
    if obj["type"] == "order":
        return ("order", obj["first"], obj["then"])
    return None


def _element_refs(el):
    refs = set()
    for attr in ("rsc", "with-rsc", "first", "then"):
        if el.get(attr):
            refs.add(el.get(attr))
    for ref in el.iter("resource_ref"):
        refs.add(ref.get("id"))
    return refs


# --------------------------------------------------------------------------
# editing


def _replace(parent, old, new):
    index = list(parent).index(old)
    parent.remove(old)
    parent.insert(index, new)


def _set_nvpair(aset, set_id, name, value):
    """Set or remove (value None) one nvpair; True when the set changed."""
    for nv in aset.findall("nvpair"):
        if nv.get("name") == name:
            if value is None:
                aset.remove(nv)
            elif nv.get("value") != value:
                nv.set("value", value)
            return
    if value is not None:
        ET.SubElement(aset, "nvpair", {"id": "%s-%s" % (set_id, name), "name": name, "value": value})


def _defaults_set(root, section, set_tag, set_id, values):
    if not values:
        return
    sec = _section(root, section)
    if section != "crm_config":
        # several rule-less sets (made by hand or by pcs): a value goes where Pacemaker reads it, the
        # first set that names it; a removal leaves no shadowed value behind to take its place
        sets = _plain_sets(sec, set_tag)
        rest = {}
        for name, value in values.items():
            holders = [aset for aset in sets if any(nv.get("name") == name for nv in aset.findall("nvpair"))]
            if value is None:
                for aset in holders:
                    _set_nvpair(aset, aset.get("id"), name, None)
            elif holders:
                _set_nvpair(holders[0], holders[0].get("id"), name, value)
            else:
                rest[name] = value
        values = rest
        if not values:
            return
    aset = None
    for candidate in sec.findall(set_tag):
        if candidate.find("rule") is None and (section != "crm_config" or candidate.get("id") == set_id):
            aset = candidate
            break
    if aset is None:
        if all(v is None for v in values.values()):
            return
        aset = ET.Element(set_tag, {"id": set_id})
        sec.insert(0, aset)
    for name in sorted(values):
        _set_nvpair(aset, aset.get("id"), name, values[name])


def apply_desired(original, desired, before=None):
    """Return a copy of ``original`` (an Element) edited to hold ``desired``.

    ``before``: ``snapshot(original)`` when the caller has it already (it is taken here otherwise).
    """
    root = copy.deepcopy(original)
    resources = _section(root, "resources")
    constraints = _section(root, "constraints")
    check_unsafe_order_in_cib(desired, root)

    # ---- removals -------------------------------------------------------
    removed = set()
    index = _resource_index(root)
    for p in desired["primitives"]:
        if p["state"] == "absent" and p["id"] in index:
            el, parent = index[p["id"]]
            if el.tag != "primitive":
                raise CibError("%s is a %s in the CIB, not a primitive" % (p["id"], el.tag))
            parent.remove(el)
            removed.add(p["id"])
    index = _resource_index(root)
    for c in desired["clones"]:
        if c["state"] == "absent" and c["id"] in index:
            el, parent = index[c["id"]]
            pos = list(parent).index(el)
            parent.remove(el)
            for child in [ch for ch in el if ch.tag in ("primitive", "group")]:
                parent.insert(pos, child)
            removed.add(c["id"])
    index = _resource_index(root)
    for g in desired["groups"]:
        if g["state"] == "absent" and g["id"] in index:
            el, parent = index[g["id"]]
            members = el.findall("primitive")
            if parent.tag in ("clone", "master") and len(members) > 1:
                raise CibError("group %s is cloned by %s and has %d members: remove the clone first "
                               "(clones: [{id: %s, state: absent}])"
                               % (g["id"], parent.get("id"), len(members), parent.get("id")))
            pos = list(parent).index(el)
            parent.remove(el)
            for m in reversed(members):
                parent.insert(pos, m)
            removed.add(g["id"])
    # a group or clone left empty is an error unless it goes too
    for rid, (el, parent) in _resource_index(root).items():
        if el.tag == "group" and not el.findall("primitive"):
            raise CibError("removing %s would leave group %s empty: remove the group as well "
                           "(groups: [{id: %s, state: absent}])"
                           % (", ".join(sorted(removed)), rid, rid))
        if el.tag in ("clone", "master") and not [c for c in el if c.tag in ("primitive", "group")]:
            raise CibError("removing %s would leave clone %s empty: remove the clone as well "
                           "(clones: [{id: %s, state: absent}])" % (", ".join(sorted(removed)), rid, rid))
    if removed:
        _drop_references(root, constraints, removed)

    for c in desired["constraints"]:
        if c["state"] != "absent":
            continue
        el = _find_constraint(constraints, c)
        if el is not None:
            constraints.remove(el)

    # ---- primitives ------------------------------------------------------
    index = _resource_index(root)
    for p in desired["primitives"]:
        if p["state"] != "present":
            continue
        if p["id"] in index:
            el, parent = index[p["id"]]
            if el.tag != "primitive":
                raise CibError("%s is a %s in the CIB, not a primitive" % (p["id"], el.tag))
            _replace(parent, el, build_primitive(p, el))
        else:
            resources.append(build_primitive(p))

    # ---- groups ----------------------------------------------------------
    present_groups = dict((g["id"], g) for g in desired["groups"] if g["state"] == "present")
    for g in present_groups.values():
        index = _resource_index(root)
        if g["id"] in index:
            group, gparent = index[g["id"]]
            if group.tag != "group":
                raise CibError("%s is a %s in the CIB, not a group" % (g["id"], group.tag))
        else:
            group, gparent = ET.SubElement(resources, "group", {"id": g["id"]}), resources
        old_members = list(group.findall("primitive"))
        kept_meta = _kept_meta(group, g["meta"])
        member_elements = []
        for mid in g["members"]:
            if mid not in index and mid not in [m.get("id") for m in old_members]:
                raise CibError("group %s: member %s is neither in resources nor in the CIB" % (g["id"], mid))
            el, parent = index[mid]
            if el.tag != "primitive":
                raise CibError("group %s: member %s is a %s; groups hold primitives only" % (g["id"], mid, el.tag))
            if parent is not group:
                if parent.tag in ("clone", "master"):
                    raise CibError("group %s: member %s is cloned by %s; remove the clone first"
                                   % (g["id"], mid, parent.get("id")))
                if parent.tag == "group" and parent.get("id") not in present_groups and len(parent.findall("primitive")) == 1:
                    raise CibError("group %s: moving %s out of group %s would leave that group empty"
                                   % (g["id"], mid, parent.get("id")))
                parent.remove(el)
            member_elements.append(el)
        for child in list(group):
            group.remove(child)
        _attr_set(group, "meta_attributes", "%s-meta_attributes" % g["id"], g["meta"], keep=kept_meta)
        for el in member_elements:
            group.append(el)
        # members dropped from the group go to the top level, after the group
        dropped = [m for m in old_members if m.get("id") not in g["members"]]
        if dropped:
            holder = gparent if gparent.tag == "resources" else resources
            pos = list(holder).index(group if gparent.tag == "resources" else gparent) + 1
            for m in reversed(dropped):
                holder.insert(pos, m)

    # ---- clones ----------------------------------------------------------
    for c in desired["clones"]:
        if c["state"] != "present":
            continue
        index = _resource_index(root)
        if c["resource"] not in index:
            raise CibError("clone %s: resource %s is neither in resources/groups nor in the CIB" % (c["id"], c["resource"]))
        child, cparent = index[c["resource"]]
        if child.tag not in ("primitive", "group"):
            raise CibError("clone %s: %s is a %s; only a primitive or a group can be cloned" % (c["id"], c["resource"], child.tag))
        if cparent.tag == "group":
            raise CibError("clone %s: %s is a member of group %s; clone the group instead"
                           % (c["id"], c["resource"], cparent.get("id")))
        if cparent.tag in ("clone", "master") and cparent.get("id") != c["id"]:
            raise CibError("clone %s: %s is already cloned by %s" % (c["id"], c["resource"], cparent.get("id")))
        meta = dict(c["meta"])
        if c["promotable"]:
            meta["promotable"] = "true"
        if c["id"] in index:
            old, oparent = index[c["id"]]
            if old.tag not in ("clone", "master"):
                raise CibError("%s is a %s in the CIB, not a clone" % (c["id"], old.tag))
            keep = _kept_meta(old, meta)
            new = ET.Element("clone", {"id": c["id"]})
            _attr_set(new, "meta_attributes", "%s-meta_attributes" % c["id"], meta, keep=keep)
            pos = list(oparent).index(old)
            for ch in [x for x in old if x.tag in ("primitive", "group")]:
                old.remove(ch)
                if ch is not child:
                    oparent.insert(pos + 1, ch)
            if cparent is not old:
                cparent.remove(child)
            new.append(child)
            _replace(oparent, old, new)
        else:
            new = ET.Element("clone", {"id": c["id"]})
            _attr_set(new, "meta_attributes", "%s-meta_attributes" % c["id"], meta)
            pos = list(cparent).index(child)
            cparent.remove(child)
            new.append(child)
            cparent.insert(pos, new)

    # ---- constraints ------------------------------------------------------
    constraint_ids = []
    known_nodes = _node_names(root)
    for c in desired["constraints"]:
        if c["state"] != "present":
            continue
        if known_nodes and c["type"] == "location" and c.get("node") and c["node"] not in known_nodes:
            raise CibError("constraint %s (location of %s): node %s is not a node of the cluster (known: %s)"
                           % (c["id"] or default_constraint_id(c), c["resource"], c["node"],
                              ", ".join(sorted(known_nodes))))
        existing = _find_constraint(constraints, c)
        cid = existing.get("id") if existing is not None else (c["id"] or default_constraint_id(c))
        constraint_ids.append(cid)
        new = build_constraint(c, cid)
        if existing is not None:
            if existing.tag != new.tag:
                raise CibError("constraint %s is a %s in the CIB, not a %s" % (cid, existing.tag, new.tag))
            _replace(constraints, existing, new)
        else:
            if _find_any_id(root, cid) is not None:
                raise CibError("constraint id %s is already used by another CIB element; give an id" % cid)
            constraints.append(new)

    # ---- fencing levels ---------------------------------------------------
    levels = list(desired["fencing_levels"])
    for f in levels:
        if known_nodes and f["state"] == "present" and f["target"] not in known_nodes:
            raise CibError("fencing level %d of %s: %s is not a node of the cluster (known: %s)"
                           % (f["level"], f["target"], f["target"], ", ".join(sorted(known_nodes))))
    if levels:
        topo = _section(root, "fencing-topology", create=any(f["state"] == "present" for f in levels))
        for f in levels:
            if topo is None:
                break
            found = None
            for lvl in topo.findall("fencing-level"):
                if lvl.get("target") == f["target"] and lvl.get("index") == str(f["level"]):
                    found = lvl
            if f["state"] == "absent":
                if found is not None:
                    topo.remove(found)
                continue
            lid = found.get("id") if found is not None else "fl-%s-%d" % (f["target"], f["level"])
            new = ET.Element("fencing-level", {"id": lid, "target": f["target"], "index": str(f["level"]),
                                               "devices": ",".join(f["devices"])})
            if found is not None:
                _replace(topo, found, new)
            else:
                topo.append(new)
        if topo is not None and len(topo) == 0:
            root.find("configuration").remove(topo)

    # ---- properties, defaults, node attributes ----------------------------
    _defaults_set(root, "crm_config", "cluster_property_set", "cib-bootstrap-options", desired["properties"])
    _defaults_set(root, "rsc_defaults", "meta_attributes", "rsc_defaults-meta_attributes", desired["resource_defaults"])
    _defaults_set(root, "op_defaults", "meta_attributes", "op_defaults-meta_attributes", desired["operation_defaults"])
    for a in desired["node_attributes"]:
        nodes = _section(root, "nodes")
        node = None
        for n in nodes.findall("node"):
            if (n.get("uname") or n.get("id")) == a["node"]:
                node = n
        if node is None:
            if a["state"] == "absent":
                continue
            raise CibError("node attribute %s: node %s is not in the CIB (known: %s)"
                           % (a["name"], a["node"], ", ".join(n.get("uname") or n.get("id")
                                                              for n in nodes.findall("node")) or "none"))
        aset = None
        for candidate in node.findall("instance_attributes"):
            if candidate.find("rule") is None:
                aset = candidate
                break
        if aset is None:
            if a["state"] == "absent":
                continue
            aset = ET.SubElement(node, "instance_attributes", {"id": "nodes-%s" % node.get("id")})
        _set_nvpair(aset, aset.get("id"), a["name"], a["value"] if a["state"] == "present" else None)
    # ---- ownership: what this task declares is hastorage.cluster's from now on ----------
    _record_ownership(root, snapshot(original) if before is None else before, *desired_keys(desired, constraint_ids),
                      adopt=desired["adopt"])
    return root


def _node_names(root):
    """The names of the nodes the CIB knows (empty before any node joined, or in a file without nodes)."""
    nodes = _section(root, "nodes", create=False)
    if nodes is None:
        return set()
    return set(n.get("uname") or n.get("id") for n in nodes.findall("node"))


def _find_any_id(root, oid):
    for el in root.iter():
        if el.get("id") == oid:
            return el
    return None


def _find_constraint(constraints, c):
    """The CIB constraint a spec refers to: by id, else by what it constrains."""
    if c["id"]:
        for el in constraints:
            if el.get("id") == c["id"]:
                return el
        return None
    key = c.get("key") or constraint_key_from_input(c)
    for el in constraints:
        if not isinstance(el.tag, str) or is_protected(el.get("id")):
            continue
        if constraint_key_from_element(el) == key:
            return el
    return None


def _drop_references(root, constraints, removed):
    """Remove constraints (and set members) that reference removed resources."""
    for el in list(constraints):
        if not isinstance(el.tag, str):
            continue
        refs = _element_refs(el) & removed
        if not refs:
            continue
        if is_protected(el.get("id")):
            raise CibError("cannot remove %s: constraint %s references it and belongs to DRBD or "
                           "crm_resource; clear it first (pcs resource clear / the DRBD after-resync "
                           "handler) and run again" % (", ".join(sorted(refs)), el.get("id")))
        sets = el.findall("resource_set")
        if not sets:
            constraints.remove(el)
            continue
        for s in sets:
            for ref in s.findall("resource_ref"):
                if ref.get("id") in removed:
                    s.remove(ref)
            if not s.findall("resource_ref"):
                el.remove(s)
        if not el.findall("resource_set"):
            constraints.remove(el)
    topo = _section(root, "fencing-topology", create=False)
    if topo is not None:
        for lvl in topo.findall("fencing-level"):
            devices = [d for d in lvl.get("devices", "").split(",") if d not in removed]
            if not devices:
                topo.remove(lvl)
            else:
                lvl.set("devices", ",".join(devices))


def bump_epoch(root):
    """Raise ``epoch`` by one (what pcs does on a file) and reset ``num_updates``."""
    root.set("epoch", str(int(root.get("epoch") or "0") + 1))
    root.set("num_updates", "0")


# --------------------------------------------------------------------------
# plan and diff


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


# --------------------------------------------------------------------------
# crm_verify


STATUSLESS_WARNINGS = (
    re.compile(r"Node \S+ is unclean but cannot be fenced"),
    re.compile(r"Fencing and resource management disabled due to lack of quorum"),
    re.compile(r"Node \S+ is unclean!"),
    re.compile(r"Blind faith: not fencing unseen nodes"),
)
_VERIFY_LINE = re.compile(r"^\s*(?:\(\S+\)\s+)?(error|warning|crit):\s*(.*)$")


def verify_problems(stderr):
    """``[(level, message)]`` from ``crm_verify -VV`` stderr (schema errors too)."""
    problems = []
    for line in (stderr or "").splitlines():
        m = _VERIFY_LINE.match(line)
        if m:
            problems.append(("warning" if m.group(1) == "warning" else "error", m.group(2).strip()))
        elif "validity error" in line or "Relax-NG" in line:
            problems.append(("error", re.sub(r"^(Entity: line \d+: |\S+:\d+: )", "", line.strip())))
    return problems


def new_verify_problems(new_problems, original_problems):
    """Problems the edit introduced: not already in the original CIB and not
    one of the warnings every status-less CIB file gives."""
    old = set(original_problems)
    result = []
    for level, msg in new_problems:
        if (level, msg) in old:
            continue
        if level == "warning" and any(p.search(msg) for p in STATUSLESS_WARNINGS):
            continue
        result.append((level, msg))
    return result
