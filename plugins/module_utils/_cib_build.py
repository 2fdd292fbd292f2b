# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: the CIB objects of the roles, built in Python.

Pure functions that return ``pcs_cib`` input (or parts of it) from role
variables; the filter plugin ``cib_build`` exposes them to the roles:

- :func:`fence_devices`: the ``pacemaker`` role's fence devices (IPMI per
  node, fence_scsi/fence_mpath on shared disks, passthrough devices), the
  constraints that keep an IPMI device off the node it fences, the enforced
  properties, the nodes the devices can fence and the devices with no target;
- :func:`nas_services_objects`: the NAS daemons' clones and each file-sharing
  group's NFS/SMB layers (the fact ``nas_services_pacemaker``);
- :func:`nas_dual_controller_stacks` / :func:`nas_dual_controller_cib`: the
  dual-controller design as stacks (one per file-sharing group plus the
  management group) and their pcs_cib input;
- :func:`drbd_cib`: the DRBD role's promotable clones and the stacks on them;
- :func:`merge`: several pcs_cib inputs into one (one push per cluster).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.hastorage.cluster.plugins.module_utils._stack import (
    StackError,
    drbd_clone,
    stack_parts,
    stacks_to_cib,
)

MONITOR_60S = [{"action": "monitor", "interval": "60s"}]
LIST_KEYS = ("stonith", "fencing_levels", "resources", "groups", "clones", "constraints", "node_attributes")
DICT_KEYS = ("properties", "resource_defaults", "operation_defaults")


class BuildError(StackError):
    """Role input the builders cannot turn into CIB objects."""


def _text(value):
    """Jinja's ``| string``: booleans as True/False, everything else str()."""
    return str(value)


# --------------------------------------------------------------------------
# fencing (roles/pacemaker)


def ipmi_device(node, ipmi):
    """One fence_ipmilan device for ``node`` and the -INFINITY location that keeps it off that node."""
    for key in ("ip", "username", "password"):
        if ipmi.get(key) in (None, ""):
            raise BuildError("pacemaker_ipmi of node %s has no %s" % (node, key))
    options = {"ip": ipmi["ip"], "username": ipmi["username"], "password": ipmi["password"],
               "lanplus": "1" if boolean(ipmi.get("lanplus", True), strict=False) else "0",
               "pcmk_host_list": node}
    options.update(ipmi.get("options") or {})
    device = {"id": "fence_ipmi_%s" % node, "agent": "fence_ipmilan", "options": options,
              "operations": [dict(op) for op in MONITOR_60S]}
    location = {"type": "location", "resource": device["id"], "node": node, "score": "-INFINITY"}
    return device, location


def shared_disk_devices(nodes, scsi_devices=None, mpath_devices=None):
    """fence_scsi / fence_mpath on the shared disks (the fence_mpath key of node i is i)."""
    devices = []
    if scsi_devices:
        devices.append({"id": "fence_scsi", "agent": "fence_scsi",
                        "options": {"devices": ",".join(scsi_devices), "pcmk_host_list": " ".join(nodes)},
                        "meta": {"provides": "unfencing"}, "operations": [dict(op) for op in MONITOR_60S]})
    if mpath_devices:
        pairs = ["%s:%d" % (node, i + 1) for i, node in enumerate(nodes)]
        devices.append({"id": "fence_mpath", "agent": "fence_mpath",
                        "options": {"devices": ",".join(mpath_devices), "pcmk_host_map": ";".join(pairs),
                                    "pcmk_host_argument": "key"},
                        "meta": {"provides": "unfencing"}, "operations": [dict(op) for op in MONITOR_60S]})
    return devices


def fence_targets(devices):
    """Nodes the devices name in pcmk_host_list / pcmk_host_map (first seen first)."""
    targets = []
    for device in devices:
        opts = device.get("options") or {}
        names = re.sub(",", " ", _text(opts.get("pcmk_host_list", ""))).split()
        for pair in re.sub("[ ,]", ";", _text(opts.get("pcmk_host_map", ""))).split(";"):
            if ":" in pair:
                names.append(pair.split(":")[0])
        for name in names:
            if name not in targets:
                targets.append(name)
    return targets


def untargeted_devices(devices):
    """Ids of devices without pcmk_host_list and pcmk_host_map (they may fence any node)."""
    return [d["id"] for d in devices
            if "pcmk_host_list" not in (d.get("options") or {}) and "pcmk_host_map" not in (d.get("options") or {})]


def sbd_fencing(devices=None, options=None):
    """SBD's share of the CIB: fence_sbd on poison-pill disks, or watchdog-only self-fencing.

    With disks: a ``fence_sbd`` device. Without: ``stonith-watchdog-timeout``
    twice ``SBD_WATCHDOG_TIMEOUT`` (default 5 s), so a node that lost quorum
    has reset itself before the others recover its resources.
    """
    if devices:
        return [{"id": "fence_sbd", "agent": "fence_sbd", "options": {"devices": ",".join(devices)}}], {}
    timeout = (options or {}).get("SBD_WATCHDOG_TIMEOUT", 5)
    try:
        seconds = int(timeout)
    except (TypeError, ValueError):
        raise BuildError("pacemaker_sbd_options.SBD_WATCHDOG_TIMEOUT must be whole seconds, got %r" % (timeout,))
    return [], {"stonith-watchdog-timeout": "%ds" % (seconds * 2)}


def fence_devices(nodes, scsi_devices=None, mpath_devices=None, extra_devices=None, properties=None, sbd=None):
    """The fencing the pacemaker role converges.

    ``nodes`` is the play's nodes in order, each ``{name, ipmi}``. Returns
    ``stonith`` (IPMI devices, shared-disk devices, ``extra_devices``, then
    with ``sbd`` = ``{enabled, devices, options}`` SBD's device),
    ``constraints`` (the IPMI self-avoidance), ``properties``
    (stonith-enabled=true unless ``properties`` say otherwise, SBD's watchdog
    timeout on top), ``targets`` and ``untargeted``.
    """
    names = []
    stonith, constraints = [], []
    for node in nodes:
        if not isinstance(node, dict) or not node.get("name"):
            raise BuildError("every node needs a name, got %r" % (node,))
        names.append(node["name"])
        ipmi = node.get("ipmi") or {}
        if ipmi:
            device, location = ipmi_device(node["name"], ipmi)
            stonith.append(device)
            constraints.append(location)
    stonith.extend(shared_disk_devices(names, scsi_devices, mpath_devices))
    for device in extra_devices or []:
        if not isinstance(device, dict) or not device.get("id"):
            raise BuildError("pacemaker_stonith_devices: every device needs an id, got %r" % (device,))
        stonith.append(device)
    props = {"stonith-enabled": True}
    props.update(properties or {})
    if sbd and boolean(sbd.get("enabled", False), strict=False):
        sbd_devices, sbd_properties = sbd_fencing(sbd.get("devices"), sbd.get("options"))
        stonith.extend(sbd_devices)
        props.update(sbd_properties)
    return {"stonith": stonith, "constraints": constraints, "properties": props,
            "targets": fence_targets(stonith), "untargeted": untargeted_devices(stonith)}


# --------------------------------------------------------------------------
# NAS services (roles/nas_services)

def _monitor_start_stop(interval, monitor_timeout, start_stop_timeout):
    """A monitor every ``interval`` and the start/stop timeouts of one kind of resource."""
    return [{"action": "monitor", "interval": interval, "timeout": monitor_timeout},
            {"action": "start", "interval": "0s", "timeout": start_stop_timeout},
            {"action": "stop", "interval": "0s", "timeout": start_stop_timeout}]


DAEMON_OPS = _monitor_start_stop("30s", "60s", "90s")
LAYER_OPS = _monitor_start_stop("10s", "20s", "60s")
FS_OPS = _monitor_start_stop("20s", "40s", "60s")
MGMT_OPS = _monitor_start_stop("30s", "60s", "60s")
VIP_OPS = [{"action": "monitor", "interval": "10s", "timeout": "20s"}]


def _ops(ops):
    return [dict(op) for op in ops]


def _need(item, key, what):
    """``item[key]``, or a :class:`BuildError` that names what lacks it."""
    if not isinstance(item, dict) or item.get(key) in (None, ""):
        raise BuildError("%s needs %s" % (what, key))
    return item[key]


def _group_name(group, what):
    if not isinstance(group, dict) or not group.get("name"):
        raise BuildError("%s: every group needs a name, got %r" % (what, group))
    return group["name"]


def nas_services_objects(groups, nfs_server="ganesha", smb_enabled=True):
    """The Pacemaker objects the NAS services need (the fact ``nas_services_pacemaker``).

    ``resources``/``clones``/``constraints``: the daemons that run on every
    node (interleaved clones; smbd after and with winbind);
    ``group_layers[group]``: the group's stack layers (kind nfs/smb);
    ``group_constraints[group]``: the group with the daemon clones it needs;
    ``filesystem_options``: extra options for the groups' Filesystem resources.
    """
    if nfs_server not in ("ganesha", "kernel", "none"):
        raise BuildError("nas_services_nfs_server must be ganesha, kernel or none, got %r" % (nfs_server,))
    for group in groups:
        name = _group_name(group, "nas_services_groups")
        for export in group.get("nfs_exports") or []:
            _need(export, "id", "%s: an NFS export" % name)
            _need(export, "path", "%s: export %s" % (name, export["id"]))
        for share in group.get("smb_shares") or []:
            _need(share, "name", "%s: an SMB share" % name)
            _need(share, "path", "%s: SMB share %s" % (name, share["name"]))
    nfs_groups = [g for g in groups if g.get("nfs_exports")]
    ganesha = nfs_server == "ganesha" and len(nfs_groups) > 0
    kernel_single = nfs_server == "kernel" and len(nfs_groups) == 1
    kernel_clone = nfs_server == "kernel" and len(nfs_groups) > 1
    smb = bool(smb_enabled)
    daemons = []
    if ganesha:
        daemons.append(("nas_ganesha", "systemd:nfs-ganesha"))
    if kernel_clone:
        daemons.append(("nas_nfsd", "systemd:nfs-server"))
    if smb:
        daemons.extend([("nas_winbind", "systemd:winbind"), ("nas_smbd", "systemd:smbd")])
    resources, clones, constraints = [], [], []
    for rid, agent in daemons:
        resources.append({"id": rid, "agent": agent, "options": {}, "meta": {}, "operations": _ops(DAEMON_OPS)})
        clones.append({"id": "%s-clone" % rid, "resource": rid, "meta": {"interleave": "true"}})
    if smb:
        constraints.extend([
            {"type": "order", "first": "nas_winbind-clone", "first_action": "start",
             "then": "nas_smbd-clone", "then_action": "start"},
            {"type": "colocation", "resource": "nas_smbd-clone", "with": "nas_winbind-clone", "score": "INFINITY"}])
    group_layers, group_constraints = {}, {}
    for group in groups:
        name = _group_name(group, "nas_services_groups")
        gid = "g_%s" % name
        layers, placed = [], []
        exports = group.get("nfs_exports") or []
        shares = group.get("smb_shares") or []
        if exports and ganesha:
            layers.append({"kind": "nfs", "id": "nfs_%s" % name, "agent": "ocf:hastorage:ganesha_export",
                           "options": {"config": "/etc/ganesha/hastorage/%s.conf" % name,
                                       "export_ids": " ".join(_text(e["id"]) for e in exports),
                                       "mountpoint": _need(group, "mountpoint", "group %s" % name),
                                       "directories": " ".join("0755:%s" % e["path"] for e in exports)},
                           "operations": _ops(LAYER_OPS)})
            placed.append({"type": "colocation", "resource": gid, "with": "nas_ganesha-clone", "score": "INFINITY"})
        elif exports and nfs_server == "kernel":
            if kernel_single:
                layers.append({"kind": "nfs", "id": "nfsd_%s" % name, "agent": "ocf:heartbeat:nfsserver",
                               "options": {"nfs_shared_infodir": "%s/.nfs-state" % _need(group, "mountpoint",
                                                                                         "group %s" % name),
                                           "nfs_ip": group.get("vip")},
                               "operations": _ops(DAEMON_OPS)})
            else:
                placed.append({"type": "colocation", "resource": gid, "with": "nas_nfsd-clone", "score": "INFINITY"})
            for export in exports:
                for i, client in enumerate(export.get("clients") or []):
                    _need(client, "network", "%s: a client of export %s" % (name, export["id"]))
                    options = ",".join([_text(client.get("access", "rw")), _text(client.get("squash", "root_squash")),
                                        "sync", "no_subtree_check"])
                    layers.append({"kind": "nfs", "id": "exp_%s_%s_%d" % (name, export["id"], i + 1),
                                   "agent": "ocf:heartbeat:exportfs",
                                   "options": {"clientspec": client["network"], "directory": export["path"],
                                               "fsid": _text(export["id"]), "options": options,
                                               "unlock_on_stop": "true"},
                                   "operations": _ops(LAYER_OPS)})
        if shares and smb:
            layers.append({"kind": "smb", "id": "smb_%s" % name, "agent": "ocf:hastorage:samba_shares",
                           "options": {"config": "/etc/samba/hastorage/%s.conf" % name,
                                       "shares": " ".join(_text(s["name"]) for s in shares),
                                       "mountpoint": _need(group, "mountpoint", "group %s" % name),
                                       "directories": " ".join("%s:%s" % (s.get("directory_mode", "0755"), s["path"])
                                                               for s in shares)},
                           "operations": _ops(LAYER_OPS)})
            placed.append({"type": "colocation", "resource": gid, "with": "nas_smbd-clone", "score": "INFINITY"})
        group_layers[name] = layers
        group_constraints[name] = placed
    return {"resources": resources, "clones": clones, "constraints": constraints,
            "group_layers": group_layers, "group_constraints": group_constraints,
            "filesystem_options": {"force_unmount": "false" if ganesha else "true"}}


# --------------------------------------------------------------------------
# the dual-controller design (roles/nas_dual_controller)

SERVICES_GROUP_KEYS = ("name", "mountpoint", "dns_name", "nfs_exports", "smb_shares")


def nas_dual_controller_services_groups(groups):
    """nas_services_groups from nas_dual_controller_groups: the service keys and the VIP address."""
    result = []
    for group in groups:
        _group_name(group, "nas_dual_controller_groups")
        item = dict((k, v) for k, v in group.items() if k in SERVICES_GROUP_KEYS)
        vip = group.get("vip")
        if not isinstance(vip, dict) or "address" not in vip:
            raise BuildError("nas_dual_controller_groups: group %s needs vip.address" % group["name"])
        item["vip"] = vip["address"]
        result.append(item)
    return result


def _vip_options(vip, what):
    options = {"ip": _need(vip, "address", what + " vip"), "cidr_netmask": _text(_need(vip, "cidr_netmask", what + " vip"))}
    if vip.get("nic"):
        options["nic"] = vip["nic"]
    return options


def _management(management):
    mgmt = {"enabled": True, "name": "mgmt", "prefers": "", "vip": {}, "services": []}
    mgmt.update(management or {})
    return mgmt


def nas_dual_controller_stacks(groups, services, location_score=50, stickiness=100):
    """One stack per file-sharing group, bottom-up: shared-disk filesystem, NFS/SMB layers, VIP last."""
    stacks = []
    for group in groups:
        name = _group_name(group, "nas_dual_controller_groups")
        what = "nas_dual_controller_groups: group %s" % name
        fs_options = {"device": _need(group, "device", what), "directory": _need(group, "mountpoint", what),
                      "fstype": group.get("fstype") or "xfs"}
        if group.get("fs_options"):
            fs_options["options"] = group["fs_options"]
        fs_options.update(services.get("filesystem_options") or {})
        layers = [{"kind": "filesystem", "id": "fs_%s" % name, "agent": "ocf:heartbeat:Filesystem",
                   "options": fs_options, "operations": _ops(FS_OPS)}]
        layers.extend((services.get("group_layers") or {}).get(name) or [])
        layers.append({"kind": "vip", "id": "vip_%s" % name, "agent": "ocf:heartbeat:IPaddr2",
                       "options": _vip_options(group.get("vip"), what), "operations": _ops(VIP_OPS)})
        stacks.append({"name": name, "prefers": group.get("prefers"), "prefers_score": location_score,
                       "meta": {"resource-stickiness": _text(stickiness)}, "layers": layers})
    return stacks


def nas_dual_controller_management_stack(management, location_score=50, stickiness=100):
    """The active/standby management group as a stack (its services, its VIP last), or None when disabled."""
    mgmt = _management(management)
    if not mgmt["enabled"]:
        return None
    layers = []
    for service in mgmt.get("services") or []:
        if not isinstance(service, dict) or not service.get("id") or not service.get("agent"):
            raise BuildError("nas_dual_controller_management_group: every service needs id and agent, got %r"
                             % (service,))
        layers.append({"kind": "service", "id": service["id"], "agent": service["agent"],
                       "options": service.get("options") or {},
                       "operations": service.get("operations") or _ops(MGMT_OPS)})
    layers.append({"kind": "vip", "id": "vip_%s" % mgmt["name"], "agent": "ocf:heartbeat:IPaddr2",
                   "options": _vip_options(mgmt.get("vip"), "nas_dual_controller_management_group"),
                   "operations": _ops(VIP_OPS)})
    stack = {"name": mgmt["name"], "meta": {"resource-stickiness": _text(stickiness)}, "layers": layers}
    if mgmt.get("prefers"):
        stack["prefers"] = mgmt["prefers"]
        stack["prefers_score"] = location_score
    return stack


def nas_dual_controller_cib(groups, services, management=None, location_score=50, stickiness=100):
    """pcs_cib input of the design: the NAS daemons, the groups' stacks and the management group."""
    stacks = nas_dual_controller_stacks(groups, services, location_score, stickiness)
    cib = stacks_to_cib(stacks)
    mgmt_stack = nas_dual_controller_management_stack(management, location_score, stickiness)
    if mgmt_stack is not None:
        if mgmt_stack["name"] in [s["name"] for s in stacks]:
            raise BuildError("the management group %s has the name of a file-sharing group" % mgmt_stack["name"])
        mgmt = stacks_to_cib([mgmt_stack])
    else:
        mgmt = {"resources": [], "groups": [], "constraints": []}
    group_constraints = services.get("group_constraints") or {}
    placed = []
    for group in groups:
        placed.extend(group_constraints.get(group["name"]) or [])
    return {
        "resources": list(services.get("resources") or []) + cib["resources"] + mgmt["resources"],
        "groups": cib["groups"] + mgmt["groups"],
        "clones": list(services.get("clones") or []) + cib.get("clones", []) + mgmt.get("clones", []),
        "constraints": list(services.get("constraints") or []) + cib["constraints"] + placed + mgmt["constraints"],
    }


# --------------------------------------------------------------------------
# DRBD (roles/drbd)


def drbd_cib(resources, hosts, monitor_promoted="29s", monitor_unpromoted="31s", timeouts=None):
    """One promotable ocf:linbit:drbd clone per resource and the stack on it, when the resource has one.

    ``clone-max`` is the number of the resource's hosts (default ``hosts``).
    The stacks are validated together, so they may order and colocate
    themselves with each other (after/with/avoid).
    """
    stacks = []
    for res in resources:
        if not isinstance(res, dict) or not res.get("name"):
            raise BuildError("drbd_resources: every resource needs a name, got %r" % (res,))
        if res.get("stack"):
            if not isinstance(res["stack"], dict):
                raise BuildError("drbd_resources: resource %s: stack must be a dictionary" % res["name"])
            if res["stack"].get("drbd") or res["stack"].get("below"):
                raise BuildError("drbd_resources: resource %s: its stack runs on the resource; leave drbd and "
                                 "below out of it" % res["name"])
            stack = dict(res["stack"])
            stack["drbd"] = {"resource": res["name"], "clone_max": len(res.get("hosts") or hosts),
                             "monitor_promoted": monitor_promoted, "monitor_unpromoted": monitor_unpromoted,
                             "timeouts": timeouts or {}}
            stacks.append(stack)
    parts = iter(stack_parts(stacks))
    result = {"resources": [], "clones": [], "groups": [], "constraints": []}
    for res in resources:
        if res.get("stack"):
            part = next(parts)
        else:
            primitive, clone = drbd_clone(res["name"], clone_max=len(res.get("hosts") or hosts),
                                          monitor_promoted=monitor_promoted, monitor_unpromoted=monitor_unpromoted,
                                          timeouts=timeouts)
            part = {"resources": [primitive], "clones": [clone]}
        for key in result:
            result[key].extend(part.get(key) or [])
    return result


# --------------------------------------------------------------------------
# one push


def merge(parts):
    """Several pcs_cib inputs as one: lists concatenated in order, dictionaries combined.

    A later part may not set a property or default an earlier part set to
    another value, and ids may not repeat (pcs_cib refuses those too, but
    here the message says which parts clash).
    """
    merged = dict((k, []) for k in LIST_KEYS)
    merged.update((k, {}) for k in DICT_KEYS)
    owner = {}
    for i, part in enumerate(parts):
        if not part:
            continue
        if not isinstance(part, dict):
            raise BuildError("cib_merge: part %d is not a dictionary" % (i + 1))
        unknown = sorted(k for k in part if k not in LIST_KEYS + DICT_KEYS)
        if unknown:
            raise BuildError("cib_merge: part %d has unknown keys %s" % (i + 1, ", ".join(unknown)))
        for key in LIST_KEYS:
            for item in part.get(key) or []:
                oid = item.get("id") if isinstance(item, dict) and key not in ("constraints", "fencing_levels",
                                                                               "node_attributes") else None
                if oid is not None:
                    if oid in owner:
                        raise BuildError("cib_merge: id %s is in part %d and part %d" % (oid, owner[oid], i + 1))
                    owner[oid] = i + 1
                merged[key].append(item)
        for key in DICT_KEYS:
            for name, value in (part.get(key) or {}).items():
                if name in merged[key] and _text(merged[key][name]).lower() != _text(value).lower():
                    raise BuildError("cib_merge: %s %s is %s in one part and %s in part %d"
                                     % (key, name, merged[key][name], value, i + 1))
                merged[key][name] = value
    return merged
