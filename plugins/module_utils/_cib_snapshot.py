# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: reading a CIB.

* :func:`parse_cib` -- the one parser of CIB XML (``cibadmin --query``, a
  CIB file) in this collection: pcs_cib and pacemaker_info both read
  through it;
* :func:`snapshot` reads every object of a CIB into a normalised, id-free
  form (``Master`` = ``Promoted``, ``+INFINITY`` = ``INFINITY``, durations
  in one unit, rule text canonical, generated nvpair/op ids ignored), with
  the ownership record as each object's ``owner`` field;
* :func:`serialize` prints an element tree back as CIB text.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import xml.etree.ElementTree as ET

from ansible_collections.hastorage.cluster.plugins.module_utils._cib_input import (
    CibError,
    agent_text,
    normalise_duration,
    normalise_role,
    normalise_score,
)
from ansible_collections.hastorage.cluster.plugins.module_utils._cib_rule import rule_xml_to_text

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


def owned_keys(snap):
    """The object keys the CIB records as made (or adopted) by hastorage.cluster."""
    return set(k for k, obj in snap.items() if obj.get("owner") == OWNER)


def is_adopted(key, adopt):
    """True when ``adopt`` (ids or whole keys) names the object ``key``."""
    oid = key.split(" ", 1)[1]
    return oid in adopt or key in adopt


# --------------------------------------------------------------------------
# reading a CIB


def parse_cib(text):
    """The ``<cib>`` element of CIB text (``cibadmin --query``, a CIB file); raises :class:`CibError`.

    The collection's one CIB parser: pcs_cib edits what it returns, pacemaker_info reads its facts
    from it (``_crm_mon.parse_cib``). Comments are kept, so a pushed copy keeps an operator's.
    """
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    try:
        root = ET.fromstring(text, parser=parser)
    except ET.ParseError as e:
        raise CibError("cannot parse the CIB: %s" % e)
    if root.tag != "cib":
        raise CibError("not a CIB: the root element is <%s>" % root.tag)
    if root.find("configuration") is None:
        raise CibError("not a CIB: <cib> has no <configuration>")
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
