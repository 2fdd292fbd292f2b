# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: the published cluster report.

Pure functions, no I/O:

* :func:`build_report` -- one design-neutral report of a cluster from what
  :mod:`._crm_mon` parsed (``crm_mon``, ``cibadmin --query``, the fencing
  history): quorum, DC, fencing, nodes, and every stack (group, clone or
  lone resource) with its layers in start order, where it runs, its VIPs and
  node preferences. Nothing in it comes from a design's variables, so the
  day-2 playbooks work the same for every design.
* :func:`report_lines` -- the report as a plain-text table;
* :func:`report_html` -- the report(s) as one self-contained HTML page;
* :func:`choose_readers` -- the reachable host each cluster is read from.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

LAST_FENCE_EVENTS = 5
VIP_AGENTS = ("ocf:heartbeat:IPaddr2", "ocf:heartbeat:IPaddr", "ocf:heartbeat:IPv6addr")
# tickle layers (the stacks' reconnect tier) come after the VIP they tell
# clients about: the VIP is still the last layer that serves
TICKLE_AGENTS = ("ocf:hastorage:tcp_tickle", "ocf:heartbeat:portblock")
# What a layer's agent tells about the service it offers (the drills and
# switchovers wait on these ports at the stack's VIPs).
SMB_AGENTS = ("ocf:hastorage:samba_shares", "systemd:smbd", "lsb:smbd", "systemd:smb")
NFS_AGENTS = ("ocf:hastorage:ganesha_export", "ocf:heartbeat:exportfs", "ocf:heartbeat:nfsserver",
              "systemd:nfs-ganesha", "systemd:nfs-server")
ACTIVE_ROLES = ("Started", "Promoted", "Unpromoted")
FALSE_VALUES = ("false", "no", "off", "n", "0")


def _node_state(node):
    if node.get("unclean"):
        return "unclean"
    if not node.get("online"):
        return "offline"
    if node.get("maintenance"):
        return "maintenance"
    if node.get("standby"):
        return "standby"
    return "online"


def _layer_state(instances):
    if any(i["failed"] for i in instances):
        return "failed"
    active = [i for i in instances if i["active"]]
    if instances and len(active) == len(instances):
        return "started"
    return "partial" if active else "stopped"


def _score(value):
    """A location score as a number (INFINITY as +/-1000000, like crm_mon)."""
    text = str(value or "0").strip()
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-")
    if body.upper() == "INFINITY":
        return sign * 1000000
    try:
        return sign * int(body)
    except ValueError:
        return 0


def _stack_units(facts):
    """Top-level units in configuration order: (id, kind, group id, clone id, member ids)."""
    units = []
    seen = set()
    groups = dict((g["id"], g) for g in facts["groups"])
    clones = dict((c["id"], c) for c in facts["clones"])
    for resource in facts["resources"]:
        if resource["agent"] and resource["agent"].startswith("stonith:"):
            continue
        key = resource["clone"] or resource["group"] or resource["id"]
        if key in seen:
            continue
        seen.add(key)
        if resource["clone"]:
            clone = clones.get(resource["clone"], {})
            kind = "promotable" if clone.get("promotable") else "clone"
            group = resource["group"]
        elif resource["group"]:
            kind, group = "group", resource["group"]
        else:
            kind, group = "primitive", None
        members = groups[group]["members"] if group in groups else [resource["id"]]
        units.append((key, kind, group, resource["clone"], members))
    return units


def _constraints(cib, stack_ids):
    prefers, avoids, after, runs_with = [], [], [], []
    for c in (cib or {}).get("constraints", []):
        kind = c.get("type")
        if kind == "location" and c.get("rsc") in stack_ids and c.get("node"):
            entry = {"node": c["node"], "score": c.get("score"), "id": c.get("id"),
                     "temporary": (c.get("id") or "").startswith(("cli-prefer-", "cli-ban-"))}
            (prefers if _score(c.get("score")) > 0 else avoids).append(entry)
        elif kind == "order" and c.get("then") in stack_ids and c.get("first"):
            after.append(c["first"])
        elif kind == "colocation" and c.get("rsc") in stack_ids and c.get("with-rsc"):
            runs_with.append(c["with-rsc"])
    prefers.sort(key=lambda e: -_score(e["score"]))
    return prefers, avoids, after, runs_with


def _vip_last(layers):
    """Whether the last layer that serves is a VIP (tickle layers after it aside)."""
    serving = list(layers)
    while serving and serving[-1]["agent"] in TICKLE_AGENTS:
        serving.pop()
    return bool(serving) and serving[-1]["agent"] in VIP_AGENTS


def _build_stack(unit, facts, cib, node_names):
    key, kind, group, clone, members = unit
    primitives = dict((p["id"], p) for p in (cib or {}).get("primitives", []))
    layers = []
    for member in members:
        instances = [r for r in facts["resources"] if r["id"] == member]
        params = primitives.get(member, {}).get("params", {})
        agent = instances[0]["agent"] if instances else primitives.get(member, {}).get("agent")
        on = {}
        for instance in instances:
            for node in instance["nodes"]:
                if instance["role"] in ACTIVE_ROLES or instance["failed"]:
                    on[node] = instance["role"] + (" (failed)" if instance["failed"] else "")
        layer = {
            "id": member,
            "agent": agent,
            "state": _layer_state(instances),
            "roles": sorted(set(i["role"] for i in instances if i["role"])),
            "on": on,
            "nodes": [n for n in node_names if n in on] + sorted(n for n in on if n not in node_names),
            "managed": all(i["managed"] for i in instances),
            "disabled": bool(instances) and all(i["target_role"] == "Stopped" for i in instances),
            "params": dict(params),
        }
        if agent in VIP_AGENTS and params.get("ip"):
            layer["address"] = params["ip"]
        layers.append(layer)
    nodes = []
    for layer in layers:
        nodes.extend(n for n in layer["nodes"] if n not in nodes)
    active = [la for la in layers if la["state"] != "stopped"]
    if any(la["state"] == "failed" for la in layers):
        state = "failed"
    elif layers and all(la["state"] == "started" for la in layers):
        state = "started"
    else:
        state = "partial" if active else "stopped"
    together = state == "started" and (kind not in ("group", "primitive") or (len(nodes) == 1 and all(
        la["nodes"] == nodes for la in layers)))
    prefers, avoids, after, runs_with = _constraints(cib, set(x for x in (key, group) if x))
    shares, exports = [], []
    for layer in layers:
        if layer["agent"] == "ocf:hastorage:samba_shares":
            shares.extend(layer["params"].get("shares", "").split())
        elif layer["agent"] == "ocf:hastorage:ganesha_export":
            exports.extend(d.split(":", 1)[-1] for d in layer["params"].get("directories", "").split())
        elif layer["agent"] == "ocf:heartbeat:exportfs" and layer["params"].get("directory"):
            if layer["params"]["directory"] not in exports:
                exports.append(layer["params"]["directory"])
    return {
        "id": key,
        "kind": kind,
        "group": group,
        "clone": clone,
        "layers": layers,
        "start_order": [la["id"] for la in layers],
        "state": state,
        "nodes": nodes,
        "node": nodes[0] if kind in ("group", "primitive") and together and len(nodes) == 1 else None,
        "together": together,
        "vips": [la["address"] for la in layers if la.get("address")],
        "vip_last": _vip_last(layers),
        "smb": bool(shares) or any(la["agent"] in SMB_AGENTS for la in layers),
        "nfs": bool(exports) or any(la["agent"] in NFS_AGENTS for la in layers),
        "smb_shares": shares,
        "nfs_exports": exports,
        "prefers": prefers,
        "avoids": avoids,
        "after": after,
        "with": runs_with,
    }


def build_report(facts, cib=None, fence_history=None):
    """The cluster report from :func:`._crm_mon.parse_crm_mon` facts.

    ``cib`` (:func:`._crm_mon.parse_cib`) adds the cluster name, the VIP
    addresses and the other shown parameters of each layer, node
    preferences, orders and colocations between stacks, and the fence
    devices' targets; ``fence_history`` (:func:`._crm_mon.parse_fence_history`,
    newest first) the last fence events. Either may be ``None`` (not read).

    Keys: ``cluster``, ``running``, ``quorum``, ``dc``, ``fencing``
    (``enabled``, ``devices``, ``last_events``), ``nodes`` (``name``,
    ``state``: online, standby, maintenance, offline or unclean), ``stacks``
    (see :func:`_build_stack`: ``id``, ``kind`` group/clone/promotable/primitive,
    ``layers`` in start order each with ``agent``, ``state``, ``on``
    {node: role}, ``state``, ``nodes``, ``node``, ``vips``, ``prefers``...),
    ``failures`` and ``problems`` (sentences, empty when all is well).
    """
    properties = (cib or {}).get("properties", {})
    report = {
        "cluster": properties.get("cluster-name"),
        "running": bool(facts.get("connected")),
        "quorum": facts.get("quorum"),
        "dc": facts.get("dc"),
        "fencing": {"enabled": None, "devices": [], "last_events": []},
        "nodes": [],
        "stacks": [],
        "failures": list(facts.get("failures", [])),
        "problems": [],
    }
    if not report["running"]:
        report["problems"].append("Pacemaker does not run on the node read (%s)"
                                  % (facts.get("status_message") or "not connected"))
        return report
    node_names = [n["name"] for n in facts["nodes"]]
    for node in facts["nodes"]:
        report["nodes"].append({
            "name": node["name"],
            "state": _node_state(node),
            "online": node["online"],
            "standby": node["standby"],
            "maintenance": node["maintenance"],
            "unclean": node["unclean"],
            "is_dc": node["is_dc"],
            "resources_running": node["resources_running"],
        })
    report["stacks"] = [_build_stack(u, facts, cib, node_names) for u in _stack_units(facts)]

    fencing = report["fencing"]
    if cib is not None:
        fencing["enabled"] = str(properties.get("stonith-enabled", "true")).lower() not in FALSE_VALUES
    running = dict((r["id"], r) for r in facts["resources"] if (r["agent"] or "").startswith("stonith:"))
    configured = (cib or {}).get("stonith_devices")
    if configured is None:
        configured = [{"id": r["id"], "agent": r["agent"], "targets": []} for r in running.values()]
    for device in configured:
        status = running.get(device["id"])
        fencing["devices"].append({
            "id": device["id"],
            "agent": device["agent"],
            "targets": device.get("targets", []),
            "state": _layer_state([status]) if status else "stopped",
            "nodes": status["nodes"] if status else [],
        })
    fencing["last_events"] = list(fence_history or [])[:LAST_FENCE_EVENTS]

    problems = report["problems"]
    if report["quorum"] is None:
        problems.append("quorum unknown (no DC)")
    elif not report["quorum"]:
        problems.append("the partition has no quorum")
    if fencing["enabled"] is False:
        problems.append("fencing is disabled (stonith-enabled=false)")
    if not fencing["devices"]:
        problems.append("no fence device is configured")
    for device in fencing["devices"]:
        if device["state"] != "started":
            problems.append("fence device %s is %s" % (device["id"], device["state"]))
    for event in fencing["last_events"]:
        if event.get("status") not in ("success", None):
            problems.append("fencing of %s %s (%s)" % (
                event.get("target"), event.get("status"), event.get("exit_reason") or "no reason given"))
            break
    for node in report["nodes"]:
        if node["state"] != "online":
            problems.append("node %s is %s" % (node["name"], node["state"]))
    for stack in report["stacks"]:
        if stack["state"] != "started":
            disabled = [la["id"] for la in stack["layers"] if la["disabled"]]
            problems.append("stack %s is %s%s" % (stack["id"], stack["state"],
                                                  " (disabled: %s)" % ", ".join(disabled) if disabled else ""))
        elif stack["kind"] == "group" and not stack["together"]:
            problems.append("stack %s runs split over %s" % (stack["id"], ", ".join(stack["nodes"])))
    for failure in report["failures"]:
        problems.append("failed action %s on %s: %s" % (
            failure.get("op_key"), failure.get("node"), failure.get("exitstatus")))
    return report


def find_stack(report, name):
    """The stack called ``name``: its id, its group's id, or a group name without ``g_``."""
    for stack in report.get("stacks", []):
        if name in (stack["id"], stack["group"]) or "g_" + str(name) in (stack["id"], stack["group"]):
            return stack
    return None


# ---- plain text -------------------------------------------------------------

def _yes(value):
    return "-" if value is None else ("yes" if value else "NO")


def report_lines(report):
    """The report as lines of text: a header, then one table row per layer."""
    fencing = report["fencing"]
    lines = [
        "cluster %s: quorum %s, DC %s, fencing %s, %d fence device(s)" % (
            report.get("cluster") or "-", _yes(report["quorum"]), report["dc"] or "-",
            {True: "enabled", False: "DISABLED", None: "-"}[fencing["enabled"]], len(fencing["devices"])),
        "nodes: " + (", ".join(["%s %s%s" % (n["name"], n["state"], " (DC)" if n["is_dc"] else "")
                                for n in report["nodes"]]) or "-"),
    ]
    for device in fencing["devices"]:
        lines.append("fence device %s (%s) %s on %s, fences %s" % (
            device["id"], device["agent"], device["state"], ",".join(device["nodes"]) or "-",
            ",".join(device["targets"]) or "-"))
    for event in fencing["last_events"]:
        lines.append("fence event: %s of %s %s by %s at %s" % (
            event.get("action"), event.get("target"), event.get("status"), event.get("delegate") or "-",
            event.get("completed") or "-"))
    names = [n["name"] for n in report["nodes"]]
    rows = [["stack", "layer", "agent", "state"] + names]
    for stack in report["stacks"]:
        where = ",".join(stack["nodes"]) or "-"
        vips = " vip " + ",".join(stack["vips"]) if stack["vips"] else ""
        prefers = " prefers " + ",".join(p["node"] for p in stack["prefers"]) if stack["prefers"] else ""
        prefers += " avoids " + ",".join(a["node"] for a in stack["avoids"]) if stack["avoids"] else ""
        rows.append(["%s (%s)" % (stack["id"], stack["kind"]), "", "", stack["state"]]
                    + ["*" if n in stack["nodes"] else "" for n in names])
        rows[-1][1] = "on %s%s%s" % (where, vips, prefers)
        for layer in stack["layers"]:
            rows.append(["", layer["id"], layer["agent"] or "-", layer["state"]]
                        + [layer["on"].get(n, "") for n in names])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    lines.extend("PROBLEM: " + p for p in report["problems"])
    return lines


# ---- HTML -------------------------------------------------------------------

def escape(value):
    """Text as HTML: &, <, >, " and ' escaped (works for text and attribute values)."""
    text = "" if value is None else str(value)
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#x27;"))


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5em;color:#1b1f24;background:#fff}
h1{font-size:1.4em;margin:0 0 .5em}h2{font-size:1.1em;margin:1.2em 0 .4em}
section.cluster{margin-bottom:2.5em}
table{border-collapse:collapse;margin:.3em 0}
th,td{border:1px solid #c9ced6;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#eef1f5}
.summary th{width:11em}
td.stack{font-weight:600;background:#f7f8fa}
td.node{text-align:center;min-width:7em}
.small{font-size:.85em;color:#57606a;font-weight:normal}
.ok,.state-started,.state-online,.state-success{background:#d7f5dd}
.warn,.state-partial,.state-standby,.state-maintenance{background:#fff1c2}
.bad,.state-failed,.state-stopped,.state-offline,.state-unclean{background:#ffd6d6}
td.node.empty{background:#fff}
ul.problems{margin:.3em 0;padding-left:1.3em;color:#8a1010}
"""


def _cell(tag, text, cls=None, **attrs):
    parts = [tag]
    if cls:
        parts.append('class="%s"' % escape(cls))
    for name in sorted(attrs):
        if attrs[name] is not None:
            parts.append('%s="%s"' % (name.replace("_", "-"), escape(attrs[name])))
    return "<%s>%s</%s>" % (" ".join(parts), text, tag)


def _cluster_html(report):
    fencing = report["fencing"]
    name = report.get("cluster") or "cluster"
    out = ['<section class="cluster" data-cluster="%s">' % escape(name),
           "<h1>Cluster %s</h1>" % escape(name),
           '<table class="summary">']
    quorum = report["quorum"]
    out.append("<tr><th>quorum</th>%s</tr>" % _cell(
        "td", {True: "yes", False: "NO", None: "unknown (no DC)"}[quorum],
        {True: "ok", False: "bad", None: "warn"}[quorum], id="quorum",
        data_value={True: "true", False: "false", None: "unknown"}[quorum]))
    out.append("<tr><th>DC</th>%s</tr>" % _cell("td", escape(report["dc"] or "-"), None, id="dc"))
    enabled = fencing["enabled"]
    out.append("<tr><th>fencing</th>%s</tr>" % _cell(
        "td", escape({True: "enabled", False: "DISABLED", None: "not read"}[enabled]),
        {True: "ok", False: "bad", None: "warn"}[enabled], id="fencing",
        data_value=str(enabled).lower()))
    out.append("<tr><th>fence devices</th>%s</tr>" % _cell(
        "td", escape(len(fencing["devices"])), "ok" if fencing["devices"] else "bad", id="fence-devices"))
    out.append("</table>")
    if report["problems"]:
        out.append('<ul class="problems">%s</ul>' % "".join(
            "<li>%s</li>" % escape(p) for p in report["problems"]))
    else:
        out.append('<p class="ok" id="no-problems">No problems found.</p>')

    out.append('<h2>Fencing</h2><table class="fence-devices"><tr><th>device</th><th>agent</th>'
               '<th>fences</th><th>state</th><th>runs on</th></tr>')
    for device in fencing["devices"]:
        out.append("<tr>%s%s%s%s%s</tr>" % (
            _cell("td", escape(device["id"])), _cell("td", escape(device["agent"])),
            _cell("td", escape(", ".join(device["targets"]) or "-")),
            _cell("td", escape(device["state"]), "state-" + device["state"], data_device=device["id"]),
            _cell("td", escape(", ".join(device["nodes"]) or "-"))))
    out.append("</table>")
    if fencing["last_events"]:
        out.append('<table class="fence-events"><tr><th>target</th><th>action</th><th>status</th>'
                   '<th>by</th><th>completed</th></tr>')
        for event in fencing["last_events"]:
            status = event.get("status") or "-"
            out.append("<tr>%s%s%s%s%s</tr>" % (
                _cell("td", escape(event.get("target"))), _cell("td", escape(event.get("action"))),
                _cell("td", escape(status), "state-" + ("success" if status == "success" else "failed")),
                _cell("td", escape(event.get("delegate") or "-")), _cell("td", escape(event.get("completed") or "-"))))
        out.append("</table>")

    names = [n["name"] for n in report["nodes"]]
    out.append('<h2>Stacks</h2><table class="stacks"><thead><tr><th>stack</th><th>layer</th>'
               "<th>agent</th><th>state</th>")
    for node in report["nodes"]:
        out.append(_cell("th", "%s<br><span class=\"small\">%s%s</span>" % (
            escape(node["name"]), escape(node["state"]), " DC" if node["is_dc"] else ""),
            "node state-" + node["state"], data_node=node["name"], data_state=node["state"]))
    out.append("</tr></thead>")
    for stack in report["stacks"]:
        details = [escape(stack["kind"])]
        if stack["vips"]:
            details.append("VIP " + escape(", ".join(stack["vips"])))
        if stack["prefers"]:
            details.append("prefers " + escape(", ".join(
                "%s (%s)" % (p["node"], p["score"]) for p in stack["prefers"])))
        if stack["avoids"]:
            details.append("avoids " + escape(", ".join(a["node"] for a in stack["avoids"])))
        if stack["after"]:
            details.append("after " + escape(", ".join(stack["after"])))
        out.append('<tbody class="stack" data-stack="%s" data-state="%s">' % (
            escape(stack["id"]), escape(stack["state"])))
        out.append("<tr>%s%s%s" % (
            _cell("td", "%s<br><span class=\"small\">%s</span>" % (escape(stack["id"]), "<br>".join(details)),
                  "stack", colspan="3"),
            _cell("td", escape(stack["state"]), "state-" + stack["state"]),
            "".join(_cell("td", "&#9679;" if n in stack["nodes"] else "", "node" + (
                " state-" + stack["state"] if n in stack["nodes"] else " empty"), data_node=n) for n in names)))
        out.append("</tr>")
        for layer in stack["layers"]:
            out.append("<tr>%s%s%s%s%s</tr>" % (
                _cell("td", ""), _cell("td", escape(layer["id"]), "layer", data_layer=layer["id"]),
                _cell("td", escape(layer["agent"] or "-")),
                _cell("td", escape(layer["state"]), "state-" + layer["state"]),
                "".join(_cell("td", escape(layer["on"].get(n, "")),
                              "node " + (("state-failed" if "failed" in layer["on"][n] else "state-started")
                                         if n in layer["on"] else "empty"),
                              data_node=n, data_layer=layer["id"]) for n in names)))
        out.append("</tbody>")
    out.append("</table>")
    if report["failures"]:
        out.append('<h2>Failed actions</h2><table class="failures"><tr><th>operation</th><th>node</th>'
                   "<th>result</th><th>reason</th></tr>")
        for failure in report["failures"]:
            out.append("<tr>%s%s%s%s</tr>" % (
                _cell("td", escape(failure.get("op_key"))), _cell("td", escape(failure.get("node"))),
                _cell("td", escape(failure.get("exitstatus")), "state-failed"),
                _cell("td", escape(failure.get("exitreason") or "-"))))
        out.append("</table>")
    out.append("</section>")
    return "\n".join(out)


def report_html(reports, title=None, generated=None):
    """One self-contained HTML page (inline CSS, no scripts, no external assets) for one or more reports."""
    if isinstance(reports, dict):
        reports = [reports]
    title = title or "Cluster report: " + ", ".join(r.get("cluster") or "cluster" for r in reports)
    body = "\n".join(_cluster_html(r) for r in reports)
    stamp = '<p class="small" id="generated">%s</p>\n' % escape(generated) if generated else ""
    return ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            "<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n%s%s\n</body>\n</html>\n"
            % (escape(title), CSS, stamp, body))


# ---- where to read a cluster ------------------------------------------------

def choose_readers(hosts):
    """The host each cluster is read from: its first host that answers.

    ``hosts`` is a list, in the order to try, of dicts with ``host``,
    ``cluster`` (any label; hosts with the same label form one cluster),
    ``reachable`` (false when the host did not answer) and, when Pacemaker
    was asked, ``running`` and ``quorum``: a host where Pacemaker runs with
    quorum comes first, then one where it runs, then any host that answered.
    Returns ``{cluster: host}``; a cluster where no host answered maps to
    ``None``.
    """
    best = {}
    for entry in hosts:
        cluster = entry.get("cluster") or ""
        best.setdefault(cluster, (4, None))
        if not entry.get("reachable"):
            continue
        rank = 1 if entry.get("running") and entry.get("quorum") else (2 if entry.get("running") else 3)
        if rank < best[cluster][0]:
            best[cluster] = (rank, entry["host"])
    return dict((cluster, host) for cluster, (rank, host) in best.items())
