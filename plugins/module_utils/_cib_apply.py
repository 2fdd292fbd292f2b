# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: editing a CIB.

* :func:`apply_desired` edits a *copy* of a CIB so it holds the desired
  objects, touching nothing it does not own, and records in it what
  hastorage.cluster owns afterwards;
* :func:`bump_epoch` marks the edited copy as newer;
* :func:`verify_problems` reads ``crm_verify -VV`` output about it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re
import xml.etree.ElementTree as ET

from ansible_collections.hastorage.cluster.plugins.module_utils._cib_input import (
    CibError,
    RUNTIME_META,
    constraint_key_from_input,
    default_constraint_id,
    is_protected,
    primitive_kind,
    unsafe_order_message,
)
from ansible_collections.hastorage.cluster.plugins.module_utils._cib_rule import rule_to_xml
from ansible_collections.hastorage.cluster.plugins.module_utils._cib_snapshot import (
    OWNED_KINDS,
    OWNER,
    OWNER_SET_ID,
    _nvpairs,
    _plain_sets,
    _resource_index,
    _section,
    constraint_key_from_element,
    is_adopted,
    owned_keys,
    snapshot,
)

_NOT_IN_ID = re.compile(r"[^A-Za-z0-9_.-]")


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
