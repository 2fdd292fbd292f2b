# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: the NAS gateway design (design 1), built in Python.

NAS heads in front of SAN LUNs that every head sees over two (or more)
paths; one sharing group per LUN, each group its own active/standby stack
(filesystem on the LUN's multipath map, NFS/SMB, VIP last), so a group moves
alone: partial failover. Pure functions from the role's variables
(``roles/nas_gateway``):

- :func:`nas_gateway_check`: every refusal, naming the field (and, with the
  heads' path census, the head and the WWID), before anything changes;
- :func:`nas_gateway_luns`: the ``multipath`` role's ``multipath_luns``;
- :func:`nas_gateway_services_groups`: ``nas_services_groups``;
- :func:`nas_gateway_stacks` / :func:`nas_gateway_cib`: the groups' stacks
  with their path-health and client-link rules, the ``multipath-health`` and
  ``ethmonitor`` clones, as ``pcs_cib`` input.

``config``: ``heads`` ([{host, name, scsi_disks}]: ``scsi_disks`` is the
head's ``multipath_info`` census ``{wwid: [{dev, state, usable}]}`` or None
when not read), ``client_network``, ``client_interface``,
``ethmonitor_options``, ``groups``, ``expected_paths``, ``queue_seconds``
(``multipath_no_path_retry`` x ``multipath_polling_interval``),
``attribute_prefix``, ``stickiness``, ``location_score``,
``fail_queue_elsewhere`` (the path-health agent's ``fail_queue``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.module_utils.parsing.convert_bool import boolean
from ansible_collections.hastorage.cluster.plugins.module_utils._cib_build import (
    ETHMONITOR_OPTIONS,
    FSTYPES,
    GROUP_NAME_RE,
    VIP_OPS,
    BuildError,
    _mountpoint,
    _need,
    _network,
    _ops,
    _text,
    _vip,
    _vip_options,
    _group_name,
    check_exports_and_shares,
    services_groups,
)
from ansible_collections.hastorage.cluster.plugins.module_utils._multipath import WWID_RE
from ansible_collections.hastorage.cluster.plugins.module_utils._stack import stacks_to_cib

PREFIX = "nas_gateway_"
ALIAS_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")
HEALTH_AGENT = "ocf:hastorage:multipath-health"
DEFAULT_ATTRIBUTE_PREFIX = "hsc_paths_"
PATH_HEALTH_ID = "path_health"
# the cloned kernel NFS server of two or more NFS groups (nas_services_objects)
NFSD_CLONE = "nas_nfsd-clone"
# how often the path-health agent reads multipathd: with multipathd's own
# checker every polling_interval (5 s) a lost path shows within about 10 s
PATH_HEALTH_OPS = [{"action": "monitor", "interval": "5s", "timeout": "30s"},
                   {"action": "start", "interval": "0s", "timeout": "30s"},
                   {"action": "stop", "interval": "0s", "timeout": "30s"}]
ETHMONITOR_OPS = [{"action": "monitor", "interval": "10s", "timeout": "60s"},
                  {"action": "start", "interval": "0s", "timeout": "60s"}]


def _field(name):
    return "%sgroups[%s]" % (PREFIX, name)


def group_alias(group):
    """The LUN's multipath alias of a group: its ``alias``, else the group's name."""
    return _text(group.get("alias") or group.get("name"))


def _head_name(head):
    return _text(head.get("name") or head.get("host"))


def filesystem_ops(queue_seconds):
    """Filesystem operations on a SAN LUN: the stop may wait out multipath's queue.

    A head that lost every path queues I/O for ``queue_seconds``
    (no_path_retry x polling_interval) before it fails it; an unmount on that
    head blocks until then. A stop that times out gets the head fenced, so
    the stop timeout covers the queue twice over plus a minute.
    """
    queue = int(queue_seconds or 0)
    stop = max(120, 2 * queue + 60)
    return [{"action": "monitor", "interval": "20s", "timeout": "%ds" % max(60, queue + 30)},
            {"action": "start", "interval": "0s", "timeout": "60s"},
            {"action": "stop", "interval": "0s", "timeout": "%ds" % stop}]


def _census(config, groups):
    """Refuse a group whose LUN a head does not see with the expected number of usable paths."""
    expected = int(config.get("expected_paths") or 1)
    for head in config.get("heads") or []:
        disks = head.get("scsi_disks")
        if disks is None:
            continue
        for group in groups:
            wwid = _text(group["wwid"])
            paths = disks.get(wwid) or []
            usable = [p for p in paths if p.get("usable")]
            if not paths:
                seen = sorted(disks)
                raise BuildError(
                    "%s.wwid %s: head %s sees no SCSI disk with this WWID (it sees %s): check the WWID "
                    "(/lib/udev/scsi_id -g -u -d /dev/sdX on the head), the LUN's mapping or ACL for this head and "
                    "its login or zoning" % (_field(group["name"]), wwid, _head_name(head),
                                             ", ".join(seen) if seen else "no SAN LUN at all"))
            if len(usable) < expected:
                raise BuildError(
                    "%s.wwid %s: head %s has %d usable path(s) to the LUN (%s), %sexpected_paths is %d: a head that "
                    "starts on one path has no redundancy; fix the path (or lower %sexpected_paths)"
                    % (_field(group["name"]), wwid, _head_name(head), len(usable),
                       ", ".join("%s %s" % (p.get("dev"), p.get("state")) for p in paths), PREFIX, expected, PREFIX))


def nas_gateway_check(config):
    """Refuse, naming the field, anything the gateway design cannot deploy safely. Pure; returns a summary."""
    if not isinstance(config, dict):
        raise BuildError("nas_gateway: the design's settings must be a dictionary")
    heads = config.get("heads") or []
    if len(heads) < 2:
        raise BuildError("nas_gateway: the design needs at least two heads in the play (the inventory group "
                         "nas_gateway), got %d" % len(heads))
    head_names = [_head_name(h) for h in heads]
    client_net = _network(config.get("client_network"), PREFIX + "client_network")
    if not config.get("client_interface"):
        raise BuildError("%sclient_interface must name the clients' interface (ethmonitor watches it and the VIPs "
                         "go on it)" % PREFIX)
    expected = config.get("expected_paths", 2)
    if not re.match(r"^[0-9]+$", _text(expected)) or int(expected) < 1:
        raise BuildError("%sexpected_paths must be a number of at least 1, got %r" % (PREFIX, expected))
    groups = config.get("groups") or []
    if not groups:
        raise BuildError("%sgroups: the design needs at least one sharing group (one per LUN)" % PREFIX)
    names, wwids, aliases, mounts, vips, export_ids, share_names = set(), {}, {}, {}, {}, {}, {}
    for group in groups:
        name = _group_name(group, PREFIX + "groups")
        field = _field(name)
        if not GROUP_NAME_RE.match(name):
            raise BuildError("%s: the name must match ^[a-z][a-z0-9_]{0,30}$ (it becomes resource ids)" % field)
        if name in names:
            raise BuildError("%sgroups: two groups are named %s" % (PREFIX, name))
        names.add(name)
        wwid = _text(group.get("wwid") or "")
        if not WWID_RE.match(wwid):
            raise BuildError("%s.wwid must be the LUN's WWID as multipath prints it, lower case (NAA '3' + 16 or 32 "
                             "hex digits, EUI-64 '2' + 16, 24 or 32, NVMe 'eui.' + 16 or 32), got %r"
                             % (field, group.get("wwid")))
        if wwid in wwids:
            raise BuildError("%s.wwid %s is also the LUN of group %s: one sharing group per LUN (two groups on one "
                             "LUN would mount one filesystem on two heads)" % (field, wwid, wwids[wwid]))
        wwids[wwid] = name
        alias = group_alias(group)
        if not ALIAS_RE.match(alias):
            raise BuildError("%s.alias %r must be a letter then up to 31 letters, digits, '_' or '-' (the multipath "
                             "map name /dev/mapper/<alias>)" % (field, alias))
        if alias in aliases:
            raise BuildError("%s.alias %s is also group %s's" % (field, alias, aliases[alias]))
        aliases[alias] = name
        if (group.get("fstype") or "xfs") not in FSTYPES:
            raise BuildError("%s.fstype must be xfs or ext4, got %r" % (field, group.get("fstype")))
        mountpoint = _mountpoint(group.get("mountpoint"), field, mounts)
        mounts[mountpoint] = name
        address = _vip(group, client_net, field, PREFIX + "client_network")
        if address in vips:
            raise BuildError("%s.vip.address %s is also group %s's VIP" % (field, address, vips[address]))
        vips[address] = name
        prefers = group.get("prefers")
        if prefers not in (None, "") and _text(prefers) not in head_names:
            raise BuildError("%s.prefers %s is not a head of the play (%s)" % (field, prefers, ", ".join(head_names)))
        check_exports_and_shares(group, field, mountpoint, export_ids, share_names)
    _census(config, groups)
    return {"luns": dict(wwids), "heads": head_names}


def nas_gateway_luns(groups):
    """multipath_luns of the multipath role: ``[{wwid, alias}]`` of every group."""
    return [{"wwid": _text(_need(g, "wwid", _field(_group_name(g, PREFIX + "groups")))).lower(),
             "alias": group_alias(g)} for g in groups or []]


def nas_gateway_services_groups(groups):
    """nas_services_groups from nas_gateway_groups."""
    return services_groups(groups, PREFIX + "groups")


def _spread(groups, heads):
    """The head each group starts on: its ``prefers``, else the heads in turn (active/active)."""
    placed = {}
    i = 0
    for group in groups:
        if group.get("prefers"):
            placed[group["name"]] = _text(group["prefers"])
        else:
            placed[group["name"]] = heads[i % len(heads)]
            i += 1
    return placed


def nas_gateway_stacks(config, services):
    """One stack per group, bottom-up: filesystem on /dev/mapper/<alias>, NFS/SMB, VIP last.

    Each group stays off a head where its LUN has no usable path
    (``<attribute_prefix><alias> lt 1``, the ``multipath-health`` clone's
    attribute) or whose client link is down (``ethmonitor-<interface> lt 1``).
    A head whose agents have not reported (the attribute is not defined) is
    allowed, not forbidden: on a first deploy the agents report a few seconds
    after the push, one head before the other, and a rule on not_defined
    would start every group on the head that reported first (where the
    stickiness then keeps it); allowed, each group starts on its preferred
    head at once (the census and multipath's own check have just seen its
    paths there).
    """
    interface = config["client_interface"]
    prefix = config.get("attribute_prefix") or DEFAULT_ATTRIBUTE_PREFIX
    stickiness = {"resource-stickiness": _text(config.get("stickiness", 100))}
    heads = [_head_name(h) for h in config.get("heads") or []]
    groups = config.get("groups") or []
    placed = _spread(groups, heads)
    fs_extra = services.get("filesystem_options") or {}
    fs_ops = filesystem_ops(config.get("queue_seconds", 30))
    stacks = []
    for group in groups:
        name = group["name"]
        alias = group_alias(group)
        fs_options = {"device": "/dev/mapper/%s" % alias, "directory": group["mountpoint"],
                      "fstype": group.get("fstype") or "xfs"}
        if group.get("fs_options"):
            fs_options["options"] = group["fs_options"]
        fs_options.update(fs_extra)
        vip = _vip_options(dict(group["vip"], nic=group["vip"].get("nic") or interface), _field(name))
        layers = [{"kind": "filesystem", "id": "fs_%s" % name, "agent": "ocf:heartbeat:Filesystem",
                   "options": fs_options, "operations": fs_ops}]
        layers.extend((services.get("group_layers") or {}).get(name) or [])
        layers.append({"kind": "vip", "id": "vip_%s" % name, "agent": "ocf:heartbeat:IPaddr2",
                       "options": vip, "operations": _ops(VIP_OPS)})
        stacks.append({"name": name, "meta": dict(stickiness),
                       "prefers": placed[name], "prefers_score": config.get("location_score", 50),
                       "health": [{"attribute": prefix + alias, "op": "lt", "value": 1, "allow_unreported": True},
                                  # lt, not ne: Pacemaker calls "ne" true on an attribute that is not defined
                                  {"attribute": "ethmonitor-%s" % interface, "op": "lt", "value": 1,
                                   "allow_unreported": True}],
                       "layers": layers})
    return stacks


def _fail_queue(config):
    value = config.get("fail_queue_elsewhere", True)
    try:
        return boolean(value, strict=True)
    except TypeError:
        raise BuildError("%sfail_queue_elsewhere must be true or false, got %r" % (PREFIX, value))


def health_objects(config):
    """The multipath-health and ethmonitor clones every group's rules read."""
    groups = config.get("groups") or []
    interface = config["client_interface"]
    prefix = config.get("attribute_prefix") or DEFAULT_ATTRIBUTE_PREFIX
    ethmonitor = dict(ETHMONITOR_OPTIONS, **(config.get("ethmonitor_options") or {}))
    if ethmonitor.get("name") or ethmonitor.get("interface"):
        raise BuildError("%sethmonitor_options: interface and name are the design's (%sclient_interface; the "
                         "attribute ethmonitor-<interface>)" % (PREFIX, PREFIX))
    ethmonitor["interface"] = interface
    eth_id = "ethmonitor_%s" % re.sub(r"[^A-Za-z0-9_.-]", "_", interface)
    health = {"luns": " ".join("%s=%s" % (group_alias(g), _text(g["wwid"]).lower()) for g in groups),
              "fail_queue": "true" if _fail_queue(config) else "false"}
    if prefix != DEFAULT_ATTRIBUTE_PREFIX:
        health["attribute_prefix"] = prefix
    resources = [{"id": PATH_HEALTH_ID, "agent": HEALTH_AGENT, "options": health, "operations": PATH_HEALTH_OPS},
                 {"id": eth_id, "agent": "ocf:heartbeat:ethmonitor", "options": ethmonitor,
                  "operations": ETHMONITOR_OPS}]
    clones = [{"id": "%s-clone" % r["id"], "resource": r["id"], "meta": {"interleave": "true"}} for r in resources]
    return resources, clones


def nas_gateway_cib(config, services):
    """pcs_cib input of the gateway design, after :func:`nas_gateway_check`.

    ``services`` is :func:`_cib_build.nas_services_objects` of the groups
    (kernel NFS in the ``auto`` layout: one NFS group carries its own
    nfsserver with its state on its LUN, two or more share a cloned
    nfs-server).
    """
    nas_gateway_check(config)
    cib = stacks_to_cib(nas_gateway_stacks(config, services))
    health_resources, health_clones = health_objects(config)
    group_constraints = services.get("group_constraints") or {}
    group_layers = services.get("group_layers") or {}
    placed = []
    for group in config.get("groups") or []:
        for constraint in group_constraints.get(group["name"]) or []:
            placed.append(constraint)
            # the cloned nfs-server before the group's exports on its head: a
            # restarted nfs-server drops every export (exportfs -r from
            # /etc/exports), so the exports (and the VIP after them) run
            # again; the filesystem stays mounted. Samba keeps its shares in
            # its registry across an smbd restart: no order, no group restart.
            if constraint.get("type") == "colocation" and constraint.get("with") == NFSD_CLONE:
                for layer in group_layers.get(group["name"]) or []:
                    if layer.get("agent") == "ocf:heartbeat:exportfs":
                        placed.append({"type": "order", "first": NFSD_CLONE, "first_action": "start",
                                       "then": layer["id"], "then_action": "start"})
    return {
        "resources": list(services.get("resources") or []) + health_resources + cib["resources"],
        "groups": cib["groups"],
        "clones": list(services.get("clones") or []) + health_clones + cib.get("clones", []),
        "constraints": list(services.get("constraints") or []) + cib["constraints"] + placed,
    }
