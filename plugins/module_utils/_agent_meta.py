# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Resource and fence agents' own metadata, for pcs_cib's input checks (pure functions).

``crm_resource --show-metadata CLASS:PROVIDER:TYPE`` prints an agent's OCF
metadata (a fence agent's too, ``stonith:fence_ipmilan``). pcs refuses, unless
forced, an option the agent does not list and a required one that is missing;
pcs_cib does the same before it reads the CIB. Names an agent lists as
``deprecated`` are accepted (``ipaddr`` for ``ip``), and a required option is
satisfied by the name it ``obsoletes`` or that obsoletes it.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import xml.etree.ElementTree as ET

# classes whose agents have parameters to check (systemd, lsb, service: none)
CHECKED_CLASSES = ("ocf", "stonith")
# Options every fence device takes besides its agent's: Pacemaker's fencer reads
# them (pcmk_host_list, pcmk_host_map, pcmk_delay_max, pcmk_reboot_action, ...).
FENCER_PREFIX = "pcmk_"
# Options the fencer fills in per action: never required from the task.
FENCER_SUPPLIED = ("action", "port", "plug", "nodename")
# Options every OCF agent takes through ocf-shellfuncs (pcs accepts them too).
OCF_TRACE_OPTIONS = ("trace_ra", "trace_file")


class MetadataError(Exception):
    pass


def _flag(value):
    return str(value or "0").strip().lower() in ("1", "true", "yes")


def parse_metadata(text):
    """``{name: {"required", "deprecated", "private": bool, "obsoletes": name or None}}`` of an agent's parameters.

    ``private``: the agent marks the parameter as sensitive (``private="1"``, read by Pacemaker's controller too).
    """
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        raise MetadataError("the metadata is not XML (%s)" % e)
    if root.tag != "resource-agent":
        raise MetadataError("the metadata is not a resource-agent document (root <%s>)" % root.tag)
    params = {}
    for p in root.findall("parameters/parameter"):
        name = p.get("name")
        if not name:
            continue
        params[name] = {"required": _flag(p.get("required")), "deprecated": _flag(p.get("deprecated")),
                        "private": _flag(p.get("private")), "obsoletes": p.get("obsoletes") or None}
    return params


def _aliases(name, params):
    """``name`` and the names it obsoletes or that obsolete it."""
    names = {name}
    if params[name]["obsoletes"]:
        names.add(params[name]["obsoletes"])
    names.update(n for n, p in params.items() if p["obsoletes"] == name)
    return names


def option_errors(field, rid, agent, options, params, stonith):
    """Messages for ``options`` (given to resource ``rid`` with ``agent``, its ``params``) that the agent refuses.

    ``field``: where the options are in the task (``resources``, ``stonith``), for the message.
    """
    errors = []
    given = set(name for name, value in options.items() if value is not None)
    for name in sorted(given):
        if name in params:
            continue
        if stonith and name.startswith(FENCER_PREFIX):
            continue
        if not stonith and name in OCF_TRACE_OPTIONS:
            continue
        close = difflib.get_close_matches(name, sorted(params), n=3, cutoff=0.6)
        errors.append("%s[%s].options: %s has no option %r%s" % (
            field, rid, agent, name, (" (did you mean %s?)" % ", ".join(close)) if close else ""))
    for name in sorted(params):
        p = params[name]
        if not p["required"] or p["deprecated"] or (stonith and name in FENCER_SUPPLIED):
            continue
        if not _aliases(name, params) & given:
            errors.append("%s[%s].options: %s requires option %r" % (field, rid, agent, name))
    return errors


def agents_to_check(desired):
    """``{agent text: [(field, primitive spec), ...]}`` of the present primitives whose agents have metadata."""
    agents = {}
    for p in desired["primitives"]:
        if p["state"] != "present" or p["agent"][0] not in CHECKED_CLASSES:
            continue
        cls, provider, kind = p["agent"]
        text = "stonith:%s" % kind if cls == "stonith" else "%s:%s:%s" % (cls, provider, kind)
        agents.setdefault(text, []).append(("stonith" if p["stonith"] else "resources", p))
    return agents


def private_names(metadata):
    """The option names the agents in ``metadata`` (``{agent: XML}``) mark as private; unreadable ones skipped."""
    names = set()
    for text in metadata.values():
        try:
            params = parse_metadata(text)
        except MetadataError:
            continue
        names.update(name for name, p in params.items() if p["private"])
    return sorted(names)


def input_errors(desired, metadata):
    """Messages for every present primitive's options its agent refuses.

    ``metadata``: ``{agent text: metadata XML text}`` of the agents that could be read (others are not checked).
    """
    errors = []
    for agent, users in sorted(agents_to_check(desired).items()):
        if agent not in metadata:
            continue
        try:
            params = parse_metadata(metadata[agent])
        except MetadataError as e:
            errors.append("%s: %s" % (agent, e))
            continue
        for field, p in users:
            errors.extend(option_errors(field, p["id"], agent, p["options"], params, p["stonith"]))
    return errors
