# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: service stacks -> pcs_cib input.

A stack is the design-neutral unit every design builds on. Its layers are
listed bottom-up in ranked tiers (several kinds share a tier and may come in
any order among themselves)::

    block      block, multipath, iscsi, graid
    volume     volume, lvm, md
    filesystem filesystem
    service    service, nfs, smb, ad, haproxy   (any systemd unit or OCF agent)
    health     ethmonitor, ping                 (clones + location rules, not group members)
    vip        vip                              (last but the reconnect tier)
    reconnect  tickle                           (after the VIP it names: its clients told to reconnect)

A stack is a group (``type: group``, active/standby, the default) or a clone
of that group (``type: clone``, active/active, ``interleave`` on). Under it
may sit a promotable DRBD resource (``drbd``: the promotable
``ocf:linbit:drbd`` clone, the group colocated with Promoted and started
after promote) or any other clone (``below``). Between stacks: ``after``
(order), ``with`` (colocation) and ``avoid`` (negative colocation); node
preferences (``prefers``) and health attributes (``health`` and the health
layers) become location constraints.

:func:`stacks_to_cib` validates everything first (messages name the stack
and the layer) and returns ``pcs_cib`` input. Pure functions, no netaddr (the
filter plugin checks networks).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

TIERS = (
    ("block", ("block", "multipath", "iscsi", "graid")),
    ("volume", ("volume", "lvm", "md")),
    ("filesystem", ("filesystem",)),
    ("service", ("service", "nfs", "smb", "ad", "haproxy")),
    ("health", ("ethmonitor", "ping")),
    ("vip", ("vip",)),
    ("reconnect", ("tickle",)),
)
LAYER_TIER = dict((kind, tier) for tier, kinds in TIERS for kind in kinds)
TIER_RANK = dict((tier, i) for i, (tier, kinds) in enumerate(TIERS))
LAYER_RANK = dict((kind, TIER_RANK[tier]) for kind, tier in LAYER_TIER.items())
ORDER_TEXT = ", ".join(tier if kinds == (tier,) else "%s (%s)" % (tier, "/".join(kinds)) for tier, kinds in TIERS)
HEALTH_KINDS = ("ethmonitor", "ping")
# kinds whose agent is unambiguous; every other kind names its agent
DEFAULT_AGENTS = {
    "lvm": "ocf:heartbeat:LVM-activate",
    "md": "ocf:heartbeat:mdraid",
    "filesystem": "ocf:heartbeat:Filesystem",
    "haproxy": "systemd:haproxy",
    "ethmonitor": "ocf:heartbeat:ethmonitor",
    "ping": "ocf:pacemaker:ping",
    "vip": "ocf:heartbeat:IPaddr2",
    "tickle": "ocf:hastorage:tcp_tickle",
}
# a tickle layer records the VIP's client connections on storage that moves
# with the stack at each monitor and, when it starts after a failover, sends
# each recorded client a TCP tickle ACK (the client answers the new node, gets
# a reset and reconnects at once instead of after its next retransmission
# back-off): the collection's ocf:hastorage:tcp_tickle, or portblock's
# unblock with its iptables rules
TICKLE_OPTIONS = ("ip", "portno", "tickle_dir")
PORTBLOCK = "ocf:heartbeat:portblock"
DEFAULT_PREFERENCE_SCORE = 50
DEFAULT_AVOID_SCORE = -100
STACK_TYPES = ("group", "clone")
STACK_KEYS = ("name", "type", "group", "clone_id", "meta", "clone_meta", "prefers", "prefers_score", "below",
              "drbd", "after", "with", "avoid", "avoid_score", "health", "layers")
LAYER_KEYS = ("kind", "id", "agent", "options", "meta", "operations", "threshold")
HEALTH_OPS = ("lt", "lte", "ne", "eq")
DRBD_KEYS = ("resource", "id", "clone_max", "monitor_promoted", "monitor_unpromoted", "timeouts")
DRBD_DEFAULTS = {"monitor_promoted": "29s", "monitor_unpromoted": "31s"}
DRBD_TIMEOUTS = {"start": "240s", "stop": "100s", "promote": "90s", "demote": "90s", "notify": "90s", "monitor": "20s"}


class StackError(ValueError):
    """A stack that would start in an unsafe order, is incomplete or names what does not exist."""


def _layer_name(layer):
    return "'%s' (%s)" % (layer["kind"], layer["id"])


def _is_list(value):
    return isinstance(value, (list, tuple))


def _check_keys(what, item, allowed):
    unknown = sorted(str(k) for k in item if k not in allowed)
    if unknown:
        raise StackError("%s: unknown key%s %s; known keys: %s"
                         % (what, "s" if len(unknown) > 1 else "", ", ".join(unknown), ", ".join(allowed)))


def check_layers(name, layers):
    """Raise :class:`StackError` unless ``layers`` is a valid bottom-up order."""
    if not layers:
        raise StackError("stack %s has no layers" % name)
    if not _is_list(layers):
        raise StackError("stack %s: layers must be a list (bottom-up)" % name)
    ids = set()
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict):
            raise StackError("stack %s: layer %d is not a dictionary" % (name, i + 1))
        kind = layer.get("kind")
        if kind == "drbd":
            raise StackError("stack %s: layer %d (%s) has kind 'drbd': a DRBD resource is a promotable clone under "
                             "the stack, not a member of its group; name it in the stack's drbd key instead"
                             % (name, i + 1, layer.get("id")))
        if kind not in LAYER_RANK:
            raise StackError("stack %s: layer %d (%s) has unknown kind %r; use one of %s"
                             % (name, i + 1, layer.get("id"), kind, ORDER_TEXT))
        if not layer.get("id"):
            raise StackError("stack %s: layer %d (%s) has no id" % (name, i + 1, kind))
        _check_keys("stack %s: layer %s" % (name, _layer_name(layer)), layer, LAYER_KEYS)
        if not layer.get("agent") and kind not in DEFAULT_AGENTS:
            raise StackError("stack %s: layer %s has no agent" % (name, _layer_name(layer)))
        for key in ("options", "meta"):
            if layer.get(key) is not None and not isinstance(layer[key], dict):
                raise StackError("stack %s: layer %s: %s must be a dictionary" % (name, _layer_name(layer), key))
        if layer.get("operations") is not None and not _is_list(layer["operations"]):
            raise StackError("stack %s: layer %s: operations must be a list" % (name, _layer_name(layer)))
        if layer["id"] in ids:
            raise StackError("stack %s: id %s is used by two layers" % (name, layer["id"]))
        ids.add(layer["id"])
    for i, layer in enumerate(layers):
        if layer["kind"] == "vip":
            later = [x for x in layers[i + 1:] if x["kind"] not in ("vip", "tickle")]
            if later:
                raise StackError("stack %s: layer 'vip' (%s) must be the last layer; %s comes after it"
                                 % (name, layer["id"], _layer_name(later[0])))
    for i, layer in enumerate(layers):
        for earlier in layers[:i]:
            if LAYER_RANK[earlier["kind"]] > LAYER_RANK[layer["kind"]]:
                if LAYER_TIER[layer["kind"]] == "block":
                    raise StackError("stack %s: %s %s comes before its block layer %s; layers go bottom-up: %s"
                                     % (name, earlier["kind"], earlier["id"], layer["id"], ORDER_TEXT))
                raise StackError("stack %s: layer %s must come before %s; layers go bottom-up: %s"
                                 % (name, _layer_name(layer), _layer_name(earlier), ORDER_TEXT))
    for i, layer in enumerate(layers):
        if layer["kind"] == "tickle":
            _check_tickle(name, layer, layers[:i])


def _check_tickle(name, layer, earlier):
    """A tickle layer unblocks TCP ports of a VIP that comes before it in the same stack."""
    options = layer.get("options") or {}
    missing = [key for key in TICKLE_OPTIONS if not options.get(key)]
    if missing:
        raise StackError("stack %s: layer %s needs options %s" % (name, _layer_name(layer), ", ".join(missing)))
    if not re.match(r"^[0-9]+(,[0-9]+)*$", str(options["portno"])):
        raise StackError("stack %s: layer %s: portno must be ports separated by commas, got %r"
                         % (name, _layer_name(layer), options["portno"]))
    if not str(options["tickle_dir"]).startswith("/"):
        raise StackError("stack %s: layer %s: tickle_dir must be an absolute path, got %r"
                         % (name, _layer_name(layer), options["tickle_dir"]))
    for key, want in (("action", "unblock"), ("protocol", "tcp")) if layer.get("agent") == PORTBLOCK else ():
        if options.get(key, want) != want:
            raise StackError("stack %s: layer %s: %s must be %s (a tickle unblocks TCP ports), got %r"
                             % (name, _layer_name(layer), key, want, options[key]))
    vips = [(x.get("options") or {}).get("ip") for x in earlier if x["kind"] == "vip"]
    if options["ip"] not in vips:
        raise StackError("stack %s: layer %s tickles clients of %s, which is no VIP before it in the stack (%s)"
                         % (name, _layer_name(layer), options["ip"], ", ".join(str(v) for v in vips) or "none"))


def _primitive(layer):
    item = {"id": layer["id"], "agent": layer.get("agent") or DEFAULT_AGENTS[layer["kind"]]}
    for key in ("options", "meta", "operations"):
        if layer.get(key):
            item[key] = layer[key]
    return item


def ethmonitor_attribute(layer):
    """The node attribute an ethmonitor layer sets (``ethmonitor-<interface>``)."""
    options = layer.get("options") or {}
    if options.get("name"):
        return options["name"]
    if not options.get("interface"):
        raise StackError("ethmonitor layer %s needs options.interface" % layer["id"])
    return "ethmonitor-%s" % options["interface"]


def health_rule(attribute, op, value):
    """The location rule that keeps a resource off nodes where ``attribute`` is unset or unhealthy."""
    return "not_defined %s or %s %s %s" % (attribute, attribute, op, value)


def layer_health_rule(layer):
    """The rule of a health layer: ethmonitor (link up is 1) or ping (at least ``threshold``)."""
    if layer["kind"] == "ethmonitor":
        return health_rule(ethmonitor_attribute(layer), "ne", 1)
    attribute = (layer.get("options") or {}).get("name") or "pingd"
    threshold = layer.get("threshold", 1)
    return health_rule(attribute, "lt", threshold)


def vip_addresses(stack):
    """``[(layer id, ip, cidr_netmask or None)]`` of the VIP layers."""
    result = []
    for layer in stack.get("layers") or []:
        if isinstance(layer, dict) and layer.get("kind") == "vip":
            options = layer.get("options") or {}
            result.append((layer.get("id"), options.get("ip"), options.get("cidr_netmask")))
    return result


def _names(stack_name, stack, key):
    value = stack.get(key)
    if value in (None, "", []):
        return []
    if not isinstance(value, (list, tuple)):
        value = [value]
    for item in value:
        if not item or not isinstance(item, str):
            raise StackError("stack %s: %s must list stack names, got %r" % (stack_name, key, item))
    if stack_name in value:
        raise StackError("stack %s: %s names the stack itself" % (stack_name, key))
    return list(value)


def _score_text(stack_name, key, value):
    text = str(value)
    if text.upper() in ("INFINITY", "+INFINITY", "-INFINITY"):
        return text.upper()
    try:
        int(text)
    except ValueError:
        raise StackError("stack %s: %s must be an integer or INFINITY, got %r" % (stack_name, key, value))
    return value


def _preferences(name, stack):
    prefers = stack.get("prefers")
    if prefers in (None, "", []):
        return []
    score = _score_text(name, "prefers_score", stack.get("prefers_score", DEFAULT_PREFERENCE_SCORE))
    items = prefers if _is_list(prefers) else [prefers]
    result = []
    for item in items:
        if isinstance(item, dict):
            _check_keys("stack %s: prefers item" % name, item, ("node", "score"))
            if not item.get("node"):
                raise StackError("stack %s: a prefers item needs a node" % name)
            result.append((item["node"], _score_text(name, "prefers score", item.get("score", score))))
        elif isinstance(item, str):
            result.append((item, score))
        else:
            raise StackError("stack %s: prefers must be a node name, a list of them or of {node, score}" % name)
    return result


def _health(name, stack, ref):
    """Location constraints of the stack's health items: ``-INFINITY`` where the attribute is unhealthy.

    By default also where it is not defined (the monitor does not run, or has
    not reported yet). With ``allow_unreported`` a node that has not reported
    is allowed: Pacemaker places nothing on a node whose score is negative, so
    a rule on ``not_defined`` at any negative score makes a first start wait
    for the first node to report, and the stickiness then keeps every stack on
    whichever node's monitor reported first. Pacemaker calls ``ne`` true on
    an attribute that is not defined, so such an item must use another op.
    """
    items = stack.get("health") or []
    if not _is_list(items):
        raise StackError("stack %s: health must be a list of {attribute, op, value}" % name)
    constraints = []
    for item in items:
        if not isinstance(item, dict) or not item.get("attribute"):
            raise StackError("stack %s: a health item needs an attribute (the node attribute a monitor sets)" % name)
        attribute = item["attribute"]
        _check_keys("stack %s: health item %s" % (name, attribute), item,
                    ("attribute", "op", "value", "allow_unreported"))
        op = item.get("op", "lt")
        if op not in HEALTH_OPS:
            raise StackError("stack %s: health item %s has op %r; use one of %s"
                             % (name, attribute, op, ", ".join(HEALTH_OPS)))
        value = item.get("value", 1)
        if item.get("allow_unreported") not in (None, True, False):
            raise StackError("stack %s: health item %s: allow_unreported must be true or false" % (name, attribute))
        if item.get("allow_unreported") and op == "ne":
            raise StackError("stack %s: health item %s: allow_unreported with op ne would not allow anything "
                             "(Pacemaker calls ne true on an attribute that is not defined); use lt or eq"
                             % (name, attribute))
        rule = ("%s %s %s" % (attribute, op, value) if item.get("allow_unreported")
                else health_rule(attribute, op, value))
        constraints.append({"type": "location", "resource": ref, "score": "-INFINITY", "rule": rule})
    return constraints


def _drbd(name, stack):
    """The promotable DRBD clone under a stack: (primitive, clone) or None."""
    drbd = stack.get("drbd")
    if not drbd:
        return None
    if isinstance(drbd, str):
        drbd = {"resource": drbd}
    if not isinstance(drbd, dict) or not drbd.get("resource"):
        raise StackError("stack %s: drbd needs the DRBD resource name (drbd: r0 or drbd: {resource: r0})" % name)
    _check_keys("stack %s: drbd" % name, drbd, DRBD_KEYS)
    if stack.get("below"):
        raise StackError("stack %s: drbd and below both say what the stack runs on; give one" % name)
    if stack.get("type") == "clone":
        raise StackError("stack %s: a clone stack cannot run on a DRBD resource (one Promoted instance); "
                         "use type: group" % name)
    return drbd_clone(drbd["resource"], clone_max=drbd.get("clone_max"), primitive_id=drbd.get("id"),
                      monitor_promoted=drbd.get("monitor_promoted"),
                      monitor_unpromoted=drbd.get("monitor_unpromoted"), timeouts=drbd.get("timeouts"))


def drbd_clone(resource, clone_max=None, primitive_id=None, monitor_promoted=None, monitor_unpromoted=None,
               timeouts=None):
    """The ``ocf:linbit:drbd`` primitive and its promotable clone for one DRBD resource."""
    prim = primitive_id or "drbd_%s" % resource
    t = dict(DRBD_TIMEOUTS)
    t.update(timeouts or {})
    primitive = {"id": prim, "agent": "ocf:linbit:drbd", "options": {"drbd_resource": resource},
                 "operations": [
                     {"action": "monitor", "interval": monitor_promoted or DRBD_DEFAULTS["monitor_promoted"],
                      "role": "Promoted", "timeout": t["monitor"]},
                     {"action": "monitor", "interval": monitor_unpromoted or DRBD_DEFAULTS["monitor_unpromoted"],
                      "role": "Unpromoted", "timeout": t["monitor"]},
                     {"action": "start", "interval": "0s", "timeout": t["start"]},
                     {"action": "stop", "interval": "0s", "timeout": t["stop"]},
                     {"action": "promote", "interval": "0s", "timeout": t["promote"]},
                     {"action": "demote", "interval": "0s", "timeout": t["demote"]},
                     {"action": "notify", "interval": "0s", "timeout": t["notify"]}]}
    meta = {"promoted-max": 1, "promoted-node-max": 1}
    if clone_max is not None:
        meta["clone-max"] = clone_max
    meta.update({"clone-node-max": 1, "notify": True})
    clone = {"id": "%s-clone" % prim, "resource": prim, "promotable": True, "meta": meta}
    return primitive, clone


def check_stack(stack):
    """Validate one stack on its own (not its relations); return its name."""
    if not isinstance(stack, dict):
        raise StackError("a stack is a dictionary with name and layers")
    name = stack.get("name")
    if not name:
        raise StackError("the stack has no name")
    _check_keys("stack %s" % name, stack, STACK_KEYS)
    stype = stack.get("type") or "group"
    if stype not in STACK_TYPES:
        raise StackError("stack %s: type %r; use group (active/standby) or clone (active/active)" % (name, stype))
    layers = stack.get("layers") or []
    check_layers(name, layers)
    if stype == "clone":
        vips = [x["id"] for x in layers if x["kind"] == "vip"]
        if vips:
            raise StackError("stack %s: a clone stack runs on every node and cannot hold the VIP %s; put the VIP "
                             "in an active/standby stack with 'with' and 'after' naming %s" % (name, vips[0], name))
    for key in ("meta", "clone_meta"):
        if stack.get(key) is not None and not isinstance(stack[key], dict):
            raise StackError("stack %s: %s must be a dictionary" % (name, key))
    if stack.get("clone_meta") and stype != "clone":
        raise StackError("stack %s: clone_meta is only for type: clone" % name)
    return name


def stack_ref(stack):
    """The id constraints name for a stack: its clone for a clone stack, else its group."""
    group_id = stack.get("group") or "g_%s" % stack["name"]
    if (stack.get("type") or "group") == "clone":
        return stack.get("clone_id") or "%s-clone" % group_id
    return group_id


def _name_rule_constraints(ref, constraints):
    """Give each rule location of a stack an id of its own when it has several.

    A rule constraint's default id is ``location-<resource>``: two health
    rules on one stack (path health and the client link, say) would share
    it. One rule keeps the default id (CIBs deployed before stay as they are).
    """
    rules = [c for c in constraints if c["type"] == "location" and "rule" in c]
    if len(rules) < 2:
        return
    for constraint in [c for c in rules if not c.get("id")]:
        words = constraint["rule"].split()
        attribute = words[1] if words[0] == "not_defined" else words[0]
        constraint["id"] = "location-%s-%s" % (ref, re.sub(r"[^A-Za-z0-9_.-]", "_", attribute))


def _build(stack, refs):
    name = check_stack(stack)
    layers = stack["layers"]
    group_id = stack.get("group") or "g_%s" % name
    ref = refs[name]
    resources, members, clones, constraints = [], [], [], []
    drbd = _drbd(name, stack)
    below = stack.get("below")
    if drbd:
        resources.append(drbd[0])
        clones.append(drbd[1])
        below = {"resource": drbd[1]["id"], "role": "Promoted"}
    for layer in layers:
        resources.append(_primitive(layer))
        if layer["kind"] in HEALTH_KINDS:
            clones.append({"id": "%s-clone" % layer["id"], "resource": layer["id"]})
            constraints.append({"type": "location", "resource": ref, "score": "-INFINITY",
                                "rule": layer_health_rule(layer)})
        else:
            members.append(layer["id"])
    if not members:
        raise StackError("stack %s has no layer that belongs in its group" % name)
    group = {"id": group_id, "members": members}
    if stack.get("meta"):
        group["meta"] = stack["meta"]
    if (stack.get("type") or "group") == "clone":
        meta = {"interleave": "true"}
        meta.update(stack.get("clone_meta") or {})
        clones.append({"id": ref, "resource": group_id, "meta": meta})
    if below:
        if not isinstance(below, dict) or not below.get("resource"):
            raise StackError("stack %s: below needs a resource (the clone the group runs on)" % name)
        role = below.get("role")
        colocation = {"type": "colocation", "resource": ref, "with": below["resource"], "score": "INFINITY"}
        if role:
            colocation["with_role"] = role
        first_action = "promote" if role in ("Promoted", "Master") else "start"
        constraints.insert(0, {"type": "order", "first": below["resource"], "first_action": first_action,
                               "then": ref, "then_action": "start"})
        constraints.insert(0, colocation)
    constraints.extend(_health(name, stack, ref))
    for node, score in _preferences(name, stack):
        constraints.append({"type": "location", "resource": ref, "node": node, "score": score})
    for other in _names(name, stack, "after"):
        constraints.append({"type": "order", "first": refs[other], "first_action": "start",
                            "then": ref, "then_action": "start"})
    for other in _names(name, stack, "with"):
        constraints.append({"type": "colocation", "resource": ref, "with": refs[other], "score": "INFINITY"})
    avoid_score = _score_text(name, "avoid_score", stack.get("avoid_score", DEFAULT_AVOID_SCORE))
    for other in _names(name, stack, "avoid"):
        constraints.append({"type": "colocation", "resource": ref, "with": refs[other], "score": avoid_score})
    _name_rule_constraints(ref, constraints)
    result = {"resources": resources, "groups": [group], "constraints": constraints}
    if clones:
        result["clones"] = clones
    return result


def _find_cycle(graph):
    """A list of names that form a cycle in ``graph`` ({name: [names it depends on]}), or None."""
    state = {}

    def visit(node, path):
        state[node] = 1
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if not state.get(nxt):
                found = visit(nxt, path + [nxt])
                if found:
                    return found
        state[node] = 2
        return None

    for node in graph:
        if not state.get(node):
            found = visit(node, [node])
            if found:
                return found
    return None


def check_relations(stacks):
    """Check after/with/avoid between already validated stacks: names exist, no cycle, no contradiction."""
    names = [s["name"] for s in stacks]
    for stack in stacks:
        name = stack["name"]
        for key in ("after", "with", "avoid"):
            for other in _names(name, stack, key):
                if other not in names:
                    raise StackError("stack %s: %s names stack %s, which does not exist (stacks: %s)"
                                     % (name, key, other, ", ".join(names)))
        both = set(_names(name, stack, "with")) & set(_names(name, stack, "avoid"))
        if both:
            raise StackError("stack %s: %s is in both with and avoid" % (name, ", ".join(sorted(both))))
        avoid_score = _score_text(name, "avoid_score", stack.get("avoid_score", DEFAULT_AVOID_SCORE))
        if stack.get("avoid") and not str(avoid_score).startswith("-"):
            raise StackError("stack %s: avoid_score must be negative (anti-affinity), got %s" % (name, avoid_score))
    for key, verb in (("after", "starts after"), ("with", "is placed with")):
        graph = dict((s["name"], _names(s["name"], s, key)) for s in stacks)
        cycle = _find_cycle(graph)
        if cycle:
            raise StackError("stacks form a cycle in '%s': %s (each %s the next)"
                             % (key, " -> ".join(cycle), verb))


def stack_parts(stacks):
    """Validate ``stacks`` together and return the pcs_cib input of each, in order (ids must not clash)."""
    if isinstance(stacks, dict):
        stacks = [stacks]
    if not _is_list(stacks):
        raise StackError("stacks must be a list of stacks")
    seen_names = set()
    for stack in stacks:
        name = check_stack(stack)
        if name in seen_names:
            raise StackError("two stacks are named %s" % name)
        seen_names.add(name)
    check_relations(stacks)
    refs = dict((s["name"], stack_ref(s)) for s in stacks)
    parts = []
    seen = {}
    for stack in stacks:
        part = _build(stack, refs)
        for item in part["resources"] + part["groups"] + part.get("clones", []):
            if item["id"] in seen:
                raise StackError("id %s is used by stack %s and stack %s" % (item["id"], seen[item["id"]], stack["name"]))
            seen[item["id"]] = stack["name"]
        parts.append(part)
    return parts


def stacks_to_cib(stacks):
    """Several stacks merged into one pcs_cib input (ids must not clash)."""
    merged = {"resources": [], "groups": [], "clones": [], "constraints": []}
    for part in stack_parts(stacks):
        for key in merged:
            merged[key].extend(part.get(key, []))
    if not merged["clones"]:
        del merged["clones"]
    return merged


def stack_to_cib(stack):
    """pcs_cib input for one stack (see the module docstring); it may not name other stacks."""
    check_stack(stack)
    return stacks_to_cib([stack])
