# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: Pacemaker status as data.

Pure functions over the XML that Pacemaker's tools print:

* :func:`parse_crm_mon` -- ``crm_mon -1 --inactive --output-as=xml``;
* :func:`parse_fence_history` -- ``stonith_admin --history '*' --output-as=xml``;
* :func:`parse_cib` -- ``cibadmin --query`` (properties, defaults, stonith
  devices and their targets, primitives with where they serve, groups,
  clones, constraints), read through ``_cib_snapshot.parse_cib``, the
  collection's one CIB parser;
* :func:`stack_report` -- for every group: members in start order, where
  each runs and whether the whole group runs together on one node.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import xml.etree.ElementTree as ET

from ansible_collections.hastorage.cluster.plugins.module_utils import _cib_snapshot

ROLE_ALIASES = {"Master": "Promoted", "Slave": "Unpromoted"}
# Instance attributes of a (non-fencing) primitive that parse_cib returns:
# where a layer serves (addresses, devices, paths, share names), never
# credentials. Everything else stays in the CIB.
SHOWN_PARAMS = frozenset([
    "ip", "cidr_netmask", "nic", "device", "directory", "fstype", "drbd_resource",
    "shares", "export_ids", "directories", "clientspec", "fsid", "host_list", "interface",
])
NOT_CONNECTED = 102


class StatusParseError(ValueError):
    """The XML is not what the Pacemaker tool prints."""


def cib_file_errors(path):
    """Messages for a ``cib_file`` option (``[]``: fine, or not given).

    With a CIB_file the Pacemaker tools never see the live cluster, so a
    relative or missing path would read as a cluster that does not run.
    """
    if not path:
        return []
    if not os.path.isabs(path):
        return ["cib_file must be an absolute path, got %r" % path]
    if not os.path.isfile(path):
        return ["cib_file %s does not exist" % path]
    return []


def node_name_errors(nodes, option="nodes"):
    """Messages for cluster node names the Pacemaker tools would misread (``[]``: fine).

    A name is an argument of ``cibadmin --node`` or ``pcs cluster stop``:
    empty, with a blank or starting with ``-`` (read as an option) it is refused.
    """
    bad = [n for n in nodes or [] if not n or n.startswith("-") or re.search(r"\s", n)]
    if not bad:
        return []
    return ["%s: node names must not be empty, hold blanks or start with -, got %s"
            % (option, ", ".join(repr(n) for n in bad))]


def _bool(value):
    return str(value).lower() == "true"


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _xml(text, what):
    try:
        return ET.fromstring(text)
    except ET.ParseError as e:
        raise StatusParseError("%s did not print XML: %s" % (what, e))


def _status(root):
    status = root.find("status")
    if status is None:
        return None, None, []
    errors = [e.text or "" for e in status.findall("errors/error")]
    return _int(status.get("code")), status.get("message"), errors


def role(value):
    """Promoted/Unpromoted for the Master/Slave spellings of older tools."""
    return ROLE_ALIASES.get(value, value)


def _resource_entry(element, group=None, clone=None):
    nodes = [n.get("name") for n in element.findall("node")]
    return {
        "id": element.get("id"),
        "agent": element.get("resource_agent"),
        "role": role(element.get("role")),
        "target_role": role(element.get("target_role")) if element.get("target_role") else None,
        "active": _bool(element.get("active")),
        "failed": _bool(element.get("failed")),
        "managed": _bool(element.get("managed", "true")),
        "blocked": _bool(element.get("blocked")),
        "orphaned": _bool(element.get("orphaned")),
        "nodes": nodes,
        "group": group,
        "clone": clone,
    }


def parse_crm_mon(text):
    """Facts from ``crm_mon --output-as=xml``.

    Returns a dict with ``connected`` (False when Pacemaker does not run
    here: rc/status 102), ``dc``, ``quorum``, ``nodes``, ``resources``
    (one entry per resource instance), ``groups`` and ``clones`` (member
    order as in the configuration), ``failures``, ``node_attributes`` and
    ``bans``.
    """
    root = _xml(text, "crm_mon")
    if root.tag != "pacemaker-result":
        raise StatusParseError("crm_mon XML has root <%s>, expected <pacemaker-result>" % root.tag)
    code, message, errors = _status(root)
    facts = {
        "connected": code == 0 or (code is None and root.find("summary") is not None),
        "status_code": code,
        "status_message": message,
        "errors": errors,
        "dc": None,
        "quorum": None,
        "cluster_options": {},
        "nodes_configured": None,
        "resources_configured": None,
        "nodes": [],
        "resources": [],
        "groups": [],
        "clones": [],
        "failures": [],
        "node_attributes": {},
        "bans": [],
    }
    summary = root.find("summary")
    if summary is None:
        facts["connected"] = False
        return facts
    dc = summary.find("current_dc")
    if dc is not None and _bool(dc.get("present")):
        facts["dc"] = dc.get("name")
        facts["quorum"] = _bool(dc.get("with_quorum"))
    elif dc is not None:
        facts["quorum"] = _bool(dc.get("with_quorum")) if dc.get("with_quorum") is not None else None
    options = summary.find("cluster_options")
    if options is not None:
        facts["cluster_options"] = dict(options.attrib)
    nodes_configured = summary.find("nodes_configured")
    if nodes_configured is not None:
        facts["nodes_configured"] = _int(nodes_configured.get("number"))
    resources_configured = summary.find("resources_configured")
    if resources_configured is not None:
        facts["resources_configured"] = _int(resources_configured.get("number"))

    for node in root.findall("nodes/node"):
        facts["nodes"].append({
            "name": node.get("name"),
            "id": node.get("id"),
            "online": _bool(node.get("online")),
            "standby": _bool(node.get("standby")),
            "standby_onfail": _bool(node.get("standby_onfail")),
            "maintenance": _bool(node.get("maintenance")),
            "pending": _bool(node.get("pending")),
            "unclean": _bool(node.get("unclean")),
            "shutdown": _bool(node.get("shutdown")),
            "is_dc": _bool(node.get("is_dc")),
            "resources_running": _int(node.get("resources_running"), 0),
            "type": node.get("type"),
        })

    def walk(parent, group=None, clone=None):
        for child in parent:
            if child.tag == "resource":
                facts["resources"].append(_resource_entry(child, group=group, clone=clone))
            elif child.tag == "group":
                # a group inside a clone shows once per instance: keep the first member list
                gid = child.get("id").split(":")[0]
                members = [r.get("id") for r in child.findall("resource")]
                if not any(g["id"] == gid for g in facts["groups"]):
                    facts["groups"].append({
                        "id": gid,
                        "members": members,
                        "clone": clone,
                        "managed": _bool(child.get("managed", "true")),
                        "disabled": _bool(child.get("disabled")),
                    })
                walk(child, group=gid, clone=clone)
            elif child.tag == "clone":
                facts["clones"].append({
                    "id": child.get("id"),
                    "promotable": _bool(child.get("multi_state")),
                    "unique": _bool(child.get("unique")),
                    "managed": _bool(child.get("managed", "true")),
                    "disabled": _bool(child.get("disabled")),
                    "failed": _bool(child.get("failed")),
                })
                walk(child, group=group, clone=child.get("id"))
            elif child.tag == "bundle":
                walk(child, group=group, clone=child.get("id"))
            elif child.tag == "replica":
                walk(child, group=group, clone=clone)

    resources = root.find("resources")
    if resources is not None:
        walk(resources)

    for failure in root.findall("failures/failure"):
        facts["failures"].append({
            "op_key": failure.get("op_key"),
            "node": failure.get("node"),
            "task": failure.get("task"),
            "interval_ms": _int(failure.get("interval"), 0),
            "exitcode": _int(failure.get("exitcode")),
            "exitstatus": failure.get("exitstatus"),
            "exitreason": failure.get("exitreason"),
            "status": failure.get("status"),
            "last_rc_change": failure.get("last-rc-change"),
        })
    for node in root.findall("node_attributes/node"):
        facts["node_attributes"][node.get("name")] = dict(
            (a.get("name"), a.get("value")) for a in node.findall("attribute"))
    for ban in root.findall("bans/ban"):
        facts["bans"].append({
            "id": ban.get("id"),
            "resource": ban.get("resource"),
            "node": ban.get("node"),
            "weight": _int(ban.get("weight")),
            "promoted_only": _bool(ban.get("promoted-only")),
        })
    return facts


def online_nodes(facts):
    """Names of the nodes crm_mon reports online."""
    return [n["name"] for n in facts["nodes"] if n["online"]]


def parse_fence_history(text):
    """Fencing events from ``stonith_admin --history '*' --output-as=xml``, newest first."""
    root = _xml(text, "stonith_admin")
    events = []
    for event in root.iter("fence_event"):
        events.append({
            "target": event.get("target"),
            "action": event.get("action"),
            "status": event.get("status"),
            "exit_reason": event.get("exit-reason") or event.get("exit_reason"),
            "delegate": event.get("delegate"),
            "client": event.get("client"),
            "origin": event.get("origin"),
            "completed": event.get("completed"),
            "extended_status": event.get("extended-status"),
        })
    return events


def _nvpairs(element):
    if element is None:
        return {}
    return dict((nv.get("name"), nv.get("value")) for nv in element.iter("nvpair"))


def parse_cib(text):
    """Configuration facts from ``cibadmin --query``.

    ``primitives`` (not fencing) carry their ``group``, ``clone`` and the
    :data:`SHOWN_PARAMS` among their instance attributes; ``groups`` list
    their members in start order and the clone they sit in; ``clones``
    name their child and whether they are promotable.
    """
    try:
        root = _cib_snapshot.parse_cib(text)
    except _cib_snapshot.CibError as e:
        raise StatusParseError("cibadmin --query: %s" % e)
    configuration = root.find("configuration")
    facts = {
        "epoch": _int(root.get("epoch")),
        "admin_epoch": _int(root.get("admin_epoch")),
        "validate_with": root.get("validate-with"),
        "properties": {},
        "resource_defaults": _nvpairs(configuration.find("rsc_defaults")),
        "operation_defaults": _nvpairs(configuration.find("op_defaults")),
        "stonith_devices": [],
        "primitives": [],
        "groups": [],
        "clones": [],
        "constraints": [],
        "fencing_levels": [],
        "owned": [],
    }
    for prop_set in configuration.findall("crm_config/cluster_property_set"):
        # pcs_cib's record of the objects it made is not a set of cluster options
        owned = prop_set.get("id") == _cib_snapshot.OWNER_SET_ID
        for nv in prop_set.findall("nvpair"):
            if owned:
                facts["owned"].append(nv.get("name"))
            else:
                facts["properties"][nv.get("name")] = nv.get("value")
    facts["owned"].sort()
    parents = _parents(configuration.find("resources"))
    for primitive in configuration.iter("primitive"):
        agent = primitive.get("type")
        if primitive.get("provider"):
            agent = "%s:%s" % (primitive.get("provider"), agent)
        agent = "%s:%s" % (primitive.get("class"), agent)
        attrs = {}
        for ia in primitive.findall("instance_attributes"):
            attrs.update(_nvpairs(ia))
        entry = {"id": primitive.get("id"), "agent": agent}
        if primitive.get("class") == "stonith":
            entry["targets"] = fence_targets(attrs)
            entry["meta"] = {}
            for meta in primitive.findall("meta_attributes"):
                entry["meta"].update(_nvpairs(meta))
            facts["stonith_devices"].append(entry)
        else:
            group, clone = parents.get(entry["id"], (None, None))
            entry.update(group=group, clone=clone,
                         params=dict((k, v) for k, v in attrs.items() if k in SHOWN_PARAMS))
            facts["primitives"].append(entry)
    resources = configuration.find("resources")
    for group in resources.iter("group") if resources is not None else ():
        facts["groups"].append({
            "id": group.get("id"),
            "members": [p.get("id") for p in group.findall("primitive")],
            "clone": parents.get(group.get("id"), (None, None))[1],
        })
    for clone in resources.iter("clone") if resources is not None else ():
        child = [c.get("id") for c in clone if c.tag in ("primitive", "group")]
        meta = {}
        for m in clone.findall("meta_attributes"):
            meta.update(_nvpairs(m))
        facts["clones"].append({
            "id": clone.get("id"),
            "child": child[0] if child else None,
            "promotable": _bool(meta.get("promotable")),
        })
    constraints = configuration.find("constraints")
    if constraints is not None:
        for item in constraints:
            if not isinstance(item.tag, str):
                continue    # a comment
            facts["constraints"].append(dict(item.attrib, type=item.tag.replace("rsc_", "")))
    for level in configuration.findall("fencing-topology/fencing-level"):
        facts["fencing_levels"].append({
            "target": level.get("target"),
            "index": _int(level.get("index")),
            "devices": (level.get("devices") or "").split(","),
        })
    return facts


def _parents(resources):
    """Resource id -> (group id, clone id) of the group and clone it sits in."""
    parents = {}
    if resources is None:
        return parents

    def walk(element, group, clone):
        for child in element:
            if child.tag == "primitive":
                parents[child.get("id")] = (group, clone)
            elif child.tag == "group":
                parents[child.get("id")] = (None, clone)
                walk(child, child.get("id"), clone)
            elif child.tag in ("clone", "master", "bundle"):
                walk(child, group, child.get("id"))

    walk(resources, None, None)
    return parents


def fence_targets(attrs):
    """Nodes a fence device says it can fence (pcmk_host_list / pcmk_host_map)."""
    targets = []
    host_list = attrs.get("pcmk_host_list") or ""
    for name in host_list.replace(",", " ").split():
        targets.append(name)
    host_map = attrs.get("pcmk_host_map") or ""
    for pair in host_map.replace(",", ";").replace(" ", ";").split(";"):
        if ":" in pair:
            targets.append(pair.split(":", 1)[0])
    return targets


def stack_report(facts):
    """For each group: its members in start order and where they run.

    Each entry: ``group``, ``members`` (``[{id, agent, role, nodes}]`` in
    start order), ``nodes`` (where any member runs), ``started`` (every
    member active), ``together`` (every active member on the same single
    node) and ``state`` (``started``, ``partial`` or ``stopped``).
    """
    report = []
    by_group = {}
    for resource in facts["resources"]:
        if resource["group"]:
            by_group.setdefault(resource["group"], []).append(resource)
    for group in facts["groups"]:
        instances = by_group.get(group["id"], [])
        members = []
        for member_id in group["members"]:
            entries = [r for r in instances if r["id"] == member_id]
            nodes = sorted(set(n for r in entries for n in r["nodes"]))
            roles = sorted(set(r["role"] for r in entries if r["role"]))
            members.append({
                "id": member_id,
                "agent": entries[0]["agent"] if entries else None,
                "role": roles[0] if len(roles) == 1 else ",".join(roles),
                "active": any(r["active"] for r in entries),
                "failed": any(r["failed"] for r in entries),
                "nodes": nodes,
            })
        active = [m for m in members if m["active"]]
        nodes = sorted(set(n for m in members for n in m["nodes"]))
        all_started = bool(members) and len(active) == len(members)
        if group["clone"]:
            together = all_started
        else:
            together = bool(active) and len(nodes) == 1 and all(m["nodes"] == nodes for m in active)
        report.append({
            "group": group["id"],
            "clone": group["clone"],
            "members": members,
            "start_order": [m["id"] for m in members],
            "nodes": nodes,
            "node": nodes[0] if len(nodes) == 1 and not group["clone"] else None,
            "started": all_started,
            "together": together,
            "state": "started" if all_started else ("partial" if active else "stopped"),
        })
    return report
