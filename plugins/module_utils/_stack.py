# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: a service stack -> pcs_cib input.

A stack lists its layers bottom-up::

    block -> volume -> filesystem -> nfs | smb | ad -> ethmonitor -> vip

:func:`stack_to_cib` checks the order (refusing, with a message that names
the layer and what must come first) and returns ``pcs_cib`` input: the
primitives, one group ``g_<name>`` holding the layers in start order (the
VIP last), the ethmonitor clone with a location rule that keeps the group
off nodes whose link is down, and the order/colocation constraints that put
the group on top of a promotable clone (promote -> start, with Promoted).
Pure functions, no netaddr (the filter plugin checks networks).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

LAYER_RANK = {"block": 0, "volume": 1, "filesystem": 2, "nfs": 3, "smb": 3, "ad": 3, "ethmonitor": 4, "vip": 5}
ORDER_TEXT = "block, volume, filesystem, nfs/smb/ad, ethmonitor, vip"
DEFAULT_PREFERENCE_SCORE = 50


class StackError(ValueError):
    """A stack that would start in an unsafe order or is incomplete."""


def _layer_name(layer):
    return "'%s' (%s)" % (layer["kind"], layer["id"])


def check_layers(name, layers):
    """Raise :class:`StackError` unless ``layers`` is a valid bottom-up order."""
    if not layers:
        raise StackError("stack %s has no layers" % name)
    ids = set()
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict):
            raise StackError("stack %s: layer %d is not a dictionary" % (name, i + 1))
        kind = layer.get("kind")
        if kind not in LAYER_RANK:
            raise StackError("stack %s: layer %d (%s) has unknown kind %r; use one of %s"
                             % (name, i + 1, layer.get("id"), kind, ORDER_TEXT))
        if not layer.get("id"):
            raise StackError("stack %s: layer %d (%s) has no id" % (name, i + 1, kind))
        if not layer.get("agent"):
            raise StackError("stack %s: layer %s has no agent" % (name, _layer_name(layer)))
        if layer["id"] in ids:
            raise StackError("stack %s: id %s is used by two layers" % (name, layer["id"]))
        ids.add(layer["id"])
    for i, layer in enumerate(layers):
        if layer["kind"] == "vip":
            later = [x for x in layers[i + 1:] if x["kind"] != "vip"]
            if later:
                raise StackError("stack %s: layer 'vip' (%s) must be the last layer; %s comes after it"
                                 % (name, layer["id"], _layer_name(later[0])))
    for i, layer in enumerate(layers):
        for earlier in layers[:i]:
            if LAYER_RANK[earlier["kind"]] > LAYER_RANK[layer["kind"]]:
                if layer["kind"] == "block":
                    raise StackError("stack %s: %s %s comes before its block layer %s; layers go bottom-up: %s"
                                     % (name, earlier["kind"], earlier["id"], layer["id"], ORDER_TEXT))
                raise StackError("stack %s: layer %s must come before %s; layers go bottom-up: %s"
                                 % (name, _layer_name(layer), _layer_name(earlier), ORDER_TEXT))


def _primitive(layer):
    item = {"id": layer["id"], "agent": layer["agent"]}
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


def vip_addresses(stack):
    """``[(layer id, ip, cidr_netmask or None)]`` of the VIP layers."""
    result = []
    for layer in stack.get("layers") or []:
        if isinstance(layer, dict) and layer.get("kind") == "vip":
            options = layer.get("options") or {}
            result.append((layer.get("id"), options.get("ip"), options.get("cidr_netmask")))
    return result


def stack_to_cib(stack):
    """pcs_cib input for one stack (see the module docstring)."""
    if not isinstance(stack, dict):
        raise StackError("a stack is a dictionary with name and layers")
    name = stack.get("name")
    if not name:
        raise StackError("the stack has no name")
    layers = stack.get("layers") or []
    check_layers(name, layers)
    group_id = stack.get("group") or "g_%s" % name
    resources, members, clones, constraints = [], [], [], []
    for layer in layers:
        resources.append(_primitive(layer))
        if layer["kind"] == "ethmonitor":
            attribute = ethmonitor_attribute(layer)
            clones.append({"id": "%s-clone" % layer["id"], "resource": layer["id"]})
            constraints.append({"type": "location", "resource": group_id, "score": "-INFINITY",
                                "rule": "not_defined %s or %s ne 1" % (attribute, attribute)})
        else:
            members.append(layer["id"])
    if not members:
        raise StackError("stack %s has no layer that belongs in its group" % name)
    group = {"id": group_id, "members": members}
    if stack.get("meta"):
        group["meta"] = stack["meta"]
    below = stack.get("below")
    if below:
        if not isinstance(below, dict) or not below.get("resource"):
            raise StackError("stack %s: below needs a resource (the clone the group runs on)" % name)
        role = below.get("role")
        colocation = {"type": "colocation", "resource": group_id, "with": below["resource"], "score": "INFINITY"}
        if role:
            colocation["with_role"] = role
        first_action = "promote" if role in ("Promoted", "Master") else "start"
        constraints.insert(0, {"type": "order", "first": below["resource"], "first_action": first_action,
                               "then": group_id, "then_action": "start"})
        constraints.insert(0, colocation)
    if stack.get("prefers"):
        constraints.append({"type": "location", "resource": group_id, "node": stack["prefers"],
                            "score": stack.get("prefers_score", DEFAULT_PREFERENCE_SCORE)})
    result = {"resources": resources, "groups": [group], "constraints": constraints}
    if clones:
        result["clones"] = clones
    return result


def stacks_to_cib(stacks):
    """Several stacks merged into one pcs_cib input (ids must not clash)."""
    if isinstance(stacks, dict):
        stacks = [stacks]
    merged = {"resources": [], "groups": [], "clones": [], "constraints": []}
    seen = {}
    for stack in stacks:
        part = stack_to_cib(stack)
        for item in part["resources"] + part["groups"]:
            if item["id"] in seen:
                raise StackError("id %s is used by stack %s and stack %s" % (item["id"], seen[item["id"]], stack["name"]))
            seen[item["id"]] = stack["name"]
        for key in merged:
            merged[key].extend(part.get(key, []))
    if not merged["clones"]:
        del merged["clones"]
    return merged
