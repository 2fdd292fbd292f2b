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
- :func:`nas_integrated_check` / :func:`nas_integrated_stacks` /
  :func:`nas_integrated_cib`: the integrated DRBD design's refusals (named
  fields) and its stacks (a base stack on the DRBD Promoted, one per group);
- :func:`drbd_cib`: the DRBD role's promotable clones and the stacks on them;
- :func:`merge`: several pcs_cib inputs into one (one push per cluster).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import ipaddress
import re

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.hastorage.cluster.plugins.module_utils._cib_input import duration_ms
from ansible_collections.hastorage.cluster.plugins.module_utils._sbd import check_timeouts as check_sbd_timeouts
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


STORAGE_FENCE_AGENTS = ("fence_scsi", "fence_mpath", "fence_sbd")
FENCE_CLASSES = ("power", "storage")
SCSI_KEY_VALUES = ("id", "hash")


def _md5_hex(text):
    return hashlib.md5(text.encode("ascii")).hexdigest()  # nosec - fence_scsi's own key derivation, not security


def fence_scsi_keys(cluster_name, nodes):
    """The reservation key fence_scsi derives for each node with ``key_value=hash``.

    fence_scsi's own rule: the first 4 hex digits of the MD5 of the cluster
    name, then the first 4 of the MD5 of the node name, leading zeros dropped.
    Two node names whose hashes share those 4 digits get the same key: the
    cluster could then not fence one without the other, so that is refused.
    """
    if not cluster_name:
        raise BuildError("fence_scsi keys need the cluster name")
    keys, owner = {}, {}
    for node in nodes:
        key = ("%.4s%.4s" % (_md5_hex(cluster_name), _md5_hex(node))).lstrip("0")
        if key in owner:
            raise BuildError("fence_scsi: nodes %s and %s get the same reservation key %s (key_value=hash derives it "
                             "from the cluster and node names); rename one node or set "
                             "pacemaker_fence_scsi_key_value=id" % (owner[key], node, key))
        owner[key] = node
        keys[node] = key
    return keys


def normalise_key(value, what):
    """A reservation key as mpathpersist and sg_persist print it: lower-case hex, no 0x, no leading zeros."""
    text = _text(value).strip().lower()
    text = text[2:] if text.startswith("0x") else text
    if not re.match(r"^[0-9a-f]{1,16}$", text) or not text.strip("0"):
        raise BuildError("%s must be a non-zero hexadecimal reservation key of at most 16 digits, got %r"
                         % (what, value))
    return text.lstrip("0")


def fence_mpath_keys(nodes, keys=None):
    """Each node's fence_mpath key: ``keys[node]`` when given (every node then), else the node's position 1..N."""
    keys = keys or {}
    if not isinstance(keys, dict):
        raise BuildError("pacemaker_fence_mpath_keys must map node names to keys, got %r" % (keys,))
    unknown = sorted(set(keys) - set(nodes))
    if unknown:
        raise BuildError("pacemaker_fence_mpath_keys names nodes that are not in the cluster: %s" % ", ".join(unknown))
    if keys and len(keys) != len(nodes):
        raise BuildError("pacemaker_fence_mpath_keys must give a key to every node or none (missing: %s)"
                         % ", ".join(n for n in nodes if n not in keys))
    result, owner = {}, {}
    for i, node in enumerate(nodes):
        key = normalise_key(keys[node], "pacemaker_fence_mpath_keys.%s" % node) if keys else "%x" % (i + 1)
        if key in owner:
            raise BuildError("pacemaker_fence_mpath_keys: nodes %s and %s have the same key %s; every node needs its "
                             "own" % (owner[key], node, key))
        owner[key] = node
        result[node] = key
    return result


def _device_paths(devices, what):
    devices = list(devices or [])
    for device in devices:
        if not isinstance(device, str) or not device.startswith("/dev/"):
            raise BuildError("%s: every device is a path under /dev/, got %r" % (what, device))
    twice = sorted(set(d for d in devices if devices.count(d) > 1))
    if twice:
        raise BuildError("%s lists %s more than once" % (what, ", ".join(twice)))
    return devices


def shared_disk_devices(nodes, scsi_devices=None, mpath_devices=None, storage=None):
    """fence_scsi / fence_mpath on the shared disks, and the keys the nodes register on them.

    ``storage`` (optional) is ``{cluster_name, scsi_key_value, mpath_keys}``:
    ``scsi_key_value`` goes to fence_scsi as ``key_value`` (``hash``: keys
    from the node names, stable when nodes are added or removed; keys that
    collide are refused) and ``mpath_keys`` maps each node to its fence_mpath
    key (default: the node's position, 1..N). A device in both lists is
    refused: the two agents would take each other's registrations away.

    Returns ``(devices, keys)``; ``keys`` is ``[{device, agent, keys: {node:
    key}}]``, what the pacemaker role probes on the devices before it changes
    anything (a key on a device that is not one of these belongs to someone
    else). fence_scsi with ``key_value=id`` derives keys from corosync node
    ids, unknown before the cluster exists, and without a cluster name no key
    can be derived: such devices have ``keys`` None.
    """
    storage = storage or {}
    scsi_devices = _device_paths(scsi_devices, "pacemaker_fence_scsi_devices")
    mpath_devices = _device_paths(mpath_devices, "pacemaker_fence_mpath_devices")
    both = [d for d in scsi_devices if d in mpath_devices]
    if both:
        raise BuildError("%s is in both pacemaker_fence_scsi_devices and pacemaker_fence_mpath_devices: fence_scsi "
                         "and fence_mpath would remove each other's keys; give each device to one agent"
                         % ", ".join(both))
    devices, keys = [], []
    if scsi_devices:
        options = {"devices": ",".join(scsi_devices), "pcmk_host_list": " ".join(nodes)}
        key_value = storage.get("scsi_key_value")
        scsi_keys = None
        if key_value:
            if key_value not in SCSI_KEY_VALUES:
                raise BuildError("pacemaker_fence_scsi_key_value must be id or hash, got %r" % (key_value,))
            if key_value == "hash" and storage.get("cluster_name"):
                # the cluster name itself is checked where the role validates it
                scsi_keys = fence_scsi_keys(storage.get("cluster_name"), nodes)
            options["key_value"] = key_value
        devices.append({"id": "fence_scsi", "agent": "fence_scsi", "options": options,
                        "meta": {"provides": "unfencing"}, "operations": [dict(op) for op in MONITOR_60S]})
        keys.extend({"device": d, "agent": "fence_scsi", "keys": scsi_keys} for d in scsi_devices)
    if mpath_devices:
        mpath_keys = fence_mpath_keys(nodes, storage.get("mpath_keys"))
        pairs = ["%s:%s" % (node, mpath_keys[node]) for node in nodes]
        devices.append({"id": "fence_mpath", "agent": "fence_mpath",
                        "options": {"devices": ",".join(mpath_devices), "pcmk_host_map": ";".join(pairs),
                                    "pcmk_host_argument": "key"},
                        "meta": {"provides": "unfencing"}, "operations": [dict(op) for op in MONITOR_60S]})
        keys.extend({"device": d, "agent": "fence_mpath", "keys": mpath_keys} for d in mpath_devices)
    return devices, keys


def fence_class(device):
    """``storage`` for the agents that cut a node off its disks (fence_scsi, fence_mpath, fence_sbd), else ``power``."""
    return "storage" if device.get("agent") in STORAGE_FENCE_AGENTS else "power"


def _untargeted(device):
    """A device without pcmk_host_list and pcmk_host_map (it may fence any node)."""
    opts = device.get("options") or {}
    return "pcmk_host_list" not in opts and "pcmk_host_map" not in opts


def _can_fence(device, node):
    return _untargeted(device) or node in fence_targets([device])


def fencing_levels(nodes, stonith, order):
    """The fencing topology: for each node, one level per class in ``order`` with that class's devices for it.

    ``order`` is a list of ``power`` / ``storage`` (``[power, storage]``:
    cut the power first, and only when that fails cut the node off its
    disks; ``[storage, power]`` when the BMCs are the less reliable path).
    A level holds every device of its class that can fence the node, so a
    storage level fences through all of them. Levels are built only when
    the devices span more than one class (one class needs no topology); a
    node that some class cannot fence just has fewer levels.
    """
    order = list(order or [])
    bad = [c for c in order if c not in FENCE_CLASSES]
    if bad or len(set(order)) != len(order):
        raise BuildError("pacemaker_fencing_order must list power and/or storage, each once, got %r" % (order,))
    if len(set(fence_class(d) for d in stonith)) < 2:
        return []
    levels = []
    for node in nodes:
        index = 0
        for cls in order:
            devices = [d["id"] for d in stonith if fence_class(d) == cls and _can_fence(d, node)]
            if devices:
                index += 1
                levels.append({"target": node, "level": index, "devices": devices})
    return levels


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
    return [d["id"] for d in devices if _untargeted(d)]


def pacemaker_seconds(value, what):
    """A Pacemaker interval (``10``, ``10s``, ``500ms``, ``1min``, ``-1``) in seconds, read as pcs_cib reads one."""
    text = _text(value).strip()
    negative = text.startswith("-")
    ms = duration_ms(text[1:] if negative else text)
    if ms is None:
        raise BuildError("%s must be a Pacemaker interval such as 10s, got %r" % (what, value))
    return (-ms if negative else ms) / 1000.0


def sbd_fencing(devices=None, options=None, properties=None, other_devices=None, device_timeouts=None):
    """SBD's share of the CIB: fence_sbd on poison-pill disks, or watchdog-only self-fencing.

    With disks: a ``fence_sbd`` device. Without: ``stonith-watchdog-timeout``
    twice ``SBD_WATCHDOG_TIMEOUT`` (default 5 s), so a node that lost quorum
    has reset itself before the others recover its resources. A
    ``stonith-watchdog-timeout`` in ``properties`` is kept when it is longer
    than the watchdog timeout (or negative: Pacemaker then derives it) and
    refused otherwise: the survivors would take over the resources of a node
    whose watchdog has not fired yet. An SBD disk that is also a
    fence_scsi/fence_mpath device (``other_devices``) is refused. With
    disks, ``device_timeouts`` (``{watchdog, msgwait}``, the header
    pacemaker_sbd_device_setup writes) must have msgwait at least twice the
    watchdog timeout, and a ``stonith-timeout`` in ``properties`` must leave
    fence_sbd msgwait plus 20 %: it waits msgwait after writing the pill.
    """
    devices = _device_paths(devices, "pacemaker_sbd_devices")
    shared = [d for d in devices if d in (other_devices or [])]
    if shared:
        raise BuildError("%s is both an SBD disk and a fence_scsi/fence_mpath device: SBD needs a small disk of its "
                         "own that nothing else reserves or writes" % ", ".join(shared))
    timeout = (options or {}).get("SBD_WATCHDOG_TIMEOUT", 5)
    try:
        seconds = int(timeout)
    except (TypeError, ValueError):
        raise BuildError("pacemaker_sbd_options.SBD_WATCHDOG_TIMEOUT must be whole seconds, got %r" % (timeout,))
    if seconds < 1:
        raise BuildError("pacemaker_sbd_options.SBD_WATCHDOG_TIMEOUT must be at least 1 second, got %r" % (timeout,))
    pill = [{"id": "fence_sbd", "agent": "fence_sbd", "options": {"devices": ",".join(devices)}}] if devices else []
    if devices and device_timeouts:
        try:
            msgwait = check_sbd_timeouts(device_timeouts.get("watchdog", 5), device_timeouts.get("msgwait"))[1]
        except (TypeError, ValueError) as e:
            raise BuildError("pacemaker_sbd_device_watchdog_timeout / pacemaker_sbd_device_msgwait_timeout: %s"
                             % (e,))
        limit = (properties or {}).get("stonith-timeout")
        if limit not in (None, "") and pacemaker_seconds(limit, "pacemaker_properties.stonith-timeout") < 1.2 * msgwait:
            raise BuildError("pacemaker_properties.stonith-timeout (%s) must be at least msgwait plus 20 %% (%gs): "
                             "fence_sbd waits msgwait (%ds) after writing the poison pill, and a fence that runs "
                             "out of time counts as failed" % (limit, 1.2 * msgwait, msgwait))
    given = (properties or {}).get("stonith-watchdog-timeout")
    if given not in (None, ""):
        given_s = pacemaker_seconds(given, "pacemaker_properties.stonith-watchdog-timeout")
        if given_s == 0 and not devices:
            raise BuildError("pacemaker_properties.stonith-watchdog-timeout=0 turns watchdog fencing off, and SBD "
                             "without disks fences only through it: set it above SBD_WATCHDOG_TIMEOUT (%ds), or "
                             "leave it out for %ds" % (seconds, 2 * seconds))
        if 0 <= given_s <= seconds and not (given_s == 0 and devices):
            raise BuildError("pacemaker_properties.stonith-watchdog-timeout (%s) must be longer than "
                             "SBD_WATCHDOG_TIMEOUT (%ds): the others would recover a node's resources before its "
                             "watchdog has reset it; leave it out for twice the watchdog timeout (%ds)"
                             % (given, seconds, 2 * seconds))
        return pill, {}
    return pill, ({} if devices else {"stonith-watchdog-timeout": "%ds" % (seconds * 2)})


def fence_devices(nodes, scsi_devices=None, mpath_devices=None, extra_devices=None, properties=None, sbd=None,
                  storage=None, order=None, levels=None):
    """The fencing the pacemaker role converges.

    ``nodes`` is the play's nodes in order, each ``{name, ipmi}``. Returns
    ``stonith`` (IPMI devices, shared-disk devices, ``extra_devices``, then
    with ``sbd`` = ``{enabled, devices, options}`` SBD's device),
    ``constraints`` (the IPMI self-avoidance), ``properties``
    (stonith-enabled=true unless ``properties`` say otherwise, SBD's watchdog
    timeout on top), ``targets``, ``untargeted``, ``levels`` (the fencing
    topology from ``order``, see :func:`fencing_levels`, or ``levels`` when
    given, the user's own pcs_cib items) and ``keys`` (the
    storage devices' reservation keys, see :func:`shared_disk_devices`, whose
    ``storage`` this is).
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
    shared, keys = shared_disk_devices(names, scsi_devices, mpath_devices, storage)
    stonith.extend(shared)
    for device in extra_devices or []:
        if not isinstance(device, dict) or not device.get("id"):
            raise BuildError("pacemaker_stonith_devices: every device needs an id, got %r" % (device,))
        stonith.append(device)
    props = {"stonith-enabled": True}
    props.update(properties or {})
    if sbd and boolean(sbd.get("enabled", False), strict=False):
        sbd_devices, sbd_properties = sbd_fencing(sbd.get("devices"), sbd.get("options"), properties,
                                                  list(scsi_devices or []) + list(mpath_devices or []),
                                                  sbd.get("device_timeouts"))
        stonith.extend(sbd_devices)
        props.update(sbd_properties)
    levels = list(levels) if levels else fencing_levels(names, stonith, order)
    # Pacemaker reboots through a level of several devices as "off" on each,
    # then "on" on each: fence_sbd's off is a poison pill that powers the node
    # off for good. With its off mapped to reboot the pill resets the node, as
    # fence_sbd alone (and the storage watchdog) would; unless the cluster's
    # stonith-action is off.
    if str(props.get("stonith-action", "reboot")) != "off" and any(
            len(level.get("devices") or []) > 1 and "fence_sbd" in level["devices"] for level in levels):
        for device in stonith:
            if device.get("id") == "fence_sbd":
                device["options"].setdefault("pcmk_off_action", "reboot")
    return {"stonith": stonith, "constraints": constraints, "properties": props,
            "targets": fence_targets(stonith), "untargeted": untargeted_devices(stonith),
            "levels": levels, "keys": keys}


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
# tcp_tickle's monitor records the VIP's established connections (ss, a file
# fsync'ed on the replicated filesystem when the list changed); a connection
# younger than one interval at the failure is not tickled and reconnects on
# its own back-off
TICKLE_OPS = _monitor_start_stop("10s", "20s", "30s")
NFS_PORT = "2049"
SMB_PORT = "445"
# ethmonitor's own defaults (5 checks 10 s apart, each watching the packet
# counter for 5 s and then arping 5 neighbours) take up to a minute to call a
# link dead that keeps its carrier (a dead switch port behind a live one, a
# cut further up): three checks 5 s apart, 2 s of packet counter and 3
# neighbours call it in about 15 s. A link that loses its carrier fails the
# first check at once. The inventory's options win.
ETHMONITOR_OPTIONS = {"repeat_count": "3", "repeat_interval": "5", "pktcnt_timeout": "2",
                      "arping_cache_entries": "3"}


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


SAMBA_DAEMONS = ("nas_winbind", "nas_smbd")
KERNEL_LAYOUTS = ("auto", "shared")


def daemon_start_orders(daemons):
    """Optional orders that keep the daemon clones' starts on a node one at a time.

    ``daemons`` are the daemon resource ids (each cloned as ``<id>-clone``,
    interleaved, so an order binds the instances on the same node). Pacemaker
    starts a systemd-class resource by writing a drop-in and reloading
    systemd; two such starts side by side on one node let one reload land in
    the other's start job, and Pacemaker then reads the unit as ``inactive``
    and counts a failed start (seen in the gateway lab: nfs-server next to
    winbind). The daemons start in the order given (Samba's first: smbd
    already waits for winbind). ``Optional`` orders apply only when both
    start in the same transition and never restart one daemon for another.
    Pairs a mandatory order already binds (winbind, smbd) get none.
    """
    start = [d for d in SAMBA_DAEMONS if d in daemons] + [d for d in daemons if d not in SAMBA_DAEMONS]
    orders = []
    for first, then in zip(start, start[1:]):
        if (first, then) == SAMBA_DAEMONS:
            continue
        orders.append({"type": "order", "first": "%s-clone" % first, "first_action": "start",
                       "then": "%s-clone" % then, "then_action": "start", "kind": "Optional"})
    return orders


def group_with_ganesha(gid):
    """A group with Ganesha exports: colocated with the Ganesha clone, and an
    ``Optional`` order so that the group's start waits for Ganesha's start
    when both start in the same transition (the first deploy, a whole-cluster
    start). ganesha_export's start waits until Ganesha answers on D-Bus: on a
    loaded lab both groups' exports timed out at 60 s while Ganesha was still
    starting. Optional: Ganesha restarted on one node restarts no group, and a
    failover onto a node where Ganesha already runs waits for nothing. (smbd
    and winbind: the Samba registry shares need neither to start; the kernel
    nfs-server clone: the designs order the exportfs layers after it.)"""
    return [{"type": "colocation", "resource": gid, "with": "nas_ganesha-clone", "score": "INFINITY"},
            {"type": "order", "first": "nas_ganesha-clone", "first_action": "start", "then": gid,
             "then_action": "start", "kind": "Optional"}]


def nas_services_objects(groups, nfs_server="ganesha", smb_enabled=True, kernel_layout="auto"):
    """The Pacemaker objects the NAS services need (the fact ``nas_services_pacemaker``).

    ``resources``/``clones``/``constraints``: the daemons that run on every
    node (interleaved clones; smbd after and with winbind);
    ``group_layers[group]``: the group's stack layers (kind nfs/smb);
    ``group_constraints[group]``: the group with the daemon clones it needs
    (``group_with_ganesha``);
    ``filesystem_options``: extra options for the groups' Filesystem resources.

    ``kernel_layout`` (kernel NFS only): ``auto`` runs ``nfsserver`` inside a
    single NFS group, or clones ``nfs-server`` for two or more; ``shared``
    leaves the one ``nfsserver`` to the design (the integrated NAS puts it in
    its base stack, its state on replicated storage), so the groups get only
    their ``exportfs`` layers.
    """
    if nfs_server not in ("ganesha", "kernel", "none"):
        raise BuildError("nas_services_nfs_server must be ganesha, kernel or none, got %r" % (nfs_server,))
    if kernel_layout not in KERNEL_LAYOUTS:
        raise BuildError("kernel_layout must be auto or shared, got %r" % (kernel_layout,))
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
    kernel_single = nfs_server == "kernel" and kernel_layout == "auto" and len(nfs_groups) == 1
    kernel_clone = nfs_server == "kernel" and kernel_layout == "auto" and len(nfs_groups) > 1
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
    constraints.extend(daemon_start_orders([rid for rid, _agent in daemons]))
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
            placed.extend(group_with_ganesha(gid))
        elif exports and nfs_server == "kernel":
            if kernel_single:
                layers.append({"kind": "nfs", "id": "nfsd_%s" % name, "agent": "ocf:heartbeat:nfsserver",
                               "options": {"nfs_shared_infodir": "%s/.nfs-state" % _need(group, "mountpoint",
                                                                                         "group %s" % name),
                                           "nfs_ip": group.get("vip")},
                               "operations": _ops(DAEMON_OPS)})
            elif kernel_clone:
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


# the tickle list of a dual-controller group: on the group's own filesystem
# (it moves with the group), out of the clients' reach
DUAL_CONTROLLER_TICKLE_DIR = ".hastorage-tickle"
TICKLE_DIR_RE = re.compile(r"^/[^ ]*[^/ ]$")


def _served_paths(group):
    """(what, path) of each NFS export and SMB share of a group: the paths its clients reach."""
    paths = [("nfs_exports[%s].path" % e.get("id"), _text(e.get("path") or "").rstrip("/"))
             for e in group.get("nfs_exports") or [] if isinstance(e, dict)]
    paths += [("smb_shares[%s].path" % s.get("name"), _text(s.get("path") or "").rstrip("/"))
              for s in group.get("smb_shares") or [] if isinstance(s, dict)]
    return [(what, path) for what, path in paths if path]


def nas_dual_controller_tickle_dir(group):
    """Where a dual-controller group's tickle layer keeps its list, or None where the default cannot be used.

    ``tickle_dir`` when the group sets it, else ``<mountpoint>/.hastorage-tickle``.
    A client that could write the list could make the NAS send ACKs to any
    address, so the directory must not be an export or share, lie inside one,
    or hold one (the agent makes it with mode 0700, which would also close a
    share below it to its users). An explicit ``tickle_dir`` that breaks that
    rule, or is not a directory inside the group's mountpoint, is refused
    (:class:`BuildError` naming the group and the field); the default that
    breaks it (an export of the whole mountpoint) gives None: that group has
    no tickle layer.
    """
    name = _group_name(group, "nas_dual_controller_groups")
    field = "nas_dual_controller_groups[%s].tickle_dir" % name
    mountpoint = _text(_need(group, "mountpoint", "nas_dual_controller_groups: group %s" % name)).rstrip("/")
    explicit = group.get("tickle_dir") not in (None, "")
    if not explicit:
        directory = "%s/%s" % (mountpoint, DUAL_CONTROLLER_TICKLE_DIR)
    else:
        directory = _text(group["tickle_dir"])
        if not TICKLE_DIR_RE.match(directory) or any(p in ("", ".", "..") for p in directory.split("/")[1:]):
            raise BuildError("%s must be an absolute path without a trailing slash, empty, . or .. components or "
                             "spaces, got %r" % (field, group["tickle_dir"]))
        if directory == mountpoint or not _under(directory, mountpoint):
            raise BuildError("%s %s is not a directory inside the group's mountpoint %s: the list of the VIP's "
                             "clients must move with the group's filesystem" % (field, directory, mountpoint))
    for what, path in _served_paths(group):
        if _under(directory, path) or _under(path, directory):
            if not explicit:
                return None
            raise BuildError("%s %s %s the group's %s %s: clients could write the list of connections the NAS "
                             "sends ACKs to; choose a directory outside every export and share"
                             % (field, directory, "is or lies inside" if _under(directory, path) else "holds",
                                what, path))
    return directory


def _ipv4(address):
    try:
        return ipaddress.ip_address(_text(address)).version == 4
    except ValueError:
        return False


def _dual_controller_tickle(group, layers, tcp_tickle):
    """A dual-controller group's tickle layer after its VIP (the last of ``layers``), or None.

    None with the switch off, without a protocol layer (no port to tickle),
    with a VIP that is not IPv4 (tcp_tickle's) or a default directory inside
    an export or share. An explicit ``tickle_dir`` is checked either way.
    """
    directory = nas_dual_controller_tickle_dir(group)
    ports = tickle_ports(layers)
    vip = layers[-1]["options"]["ip"]
    if not (boolean(tcp_tickle, strict=False) and ports and directory and _ipv4(vip)):
        return None
    return tickle_layer(group["name"], vip, ports, directory, _text(group["mountpoint"]).rstrip("/") or "/")


def nas_dual_controller_stacks(groups, services, location_score=50, stickiness=100, tcp_tickle=False):
    """One stack per file-sharing group, bottom-up: shared-disk filesystem, NFS/SMB layers, VIP, then the tickle.

    With ``tcp_tickle`` a group with NFS or SMB layers ends with a tickle layer
    (:func:`nas_dual_controller_tickle_dir` says where its list lives and when
    a group has none).
    """
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
        tickle = _dual_controller_tickle(group, layers, tcp_tickle)
        if tickle:
            layers.append(tickle)
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


def nas_dual_controller_cib(groups, services, management=None, location_score=50, stickiness=100, tcp_tickle=False):
    """pcs_cib input of the design: the NAS daemons, the groups' stacks and the management group.

    A file-sharing group without a tickle layer (``tcp_tickle`` off, no
    protocol layer, its default directory inside an export or share) gets
    ``state: absent`` for ``tickle_<name>``: the one an earlier run made goes.
    """
    stacks = nas_dual_controller_stacks(groups, services, location_score, stickiness, tcp_tickle)
    cib = stacks_to_cib(stacks)
    mgmt_stack = nas_dual_controller_management_stack(management, location_score, stickiness)
    if mgmt_stack is not None:
        if mgmt_stack["name"] in [s["name"] for s in stacks]:
            raise BuildError("the management group %s has the name of a file-sharing group" % mgmt_stack["name"])
        mgmt = stacks_to_cib([mgmt_stack])
        tickles = dict((tickle_id(g["name"]), g["name"]) for g in groups)
        for resource in mgmt["resources"]:
            if resource["id"] in tickles:
                raise BuildError("nas_dual_controller_management_group: service id %s is the id of group %s's tickle "
                                 "layer; choose another" % (resource["id"], tickles[resource["id"]]))
    else:
        mgmt = {"resources": [], "groups": [], "constraints": []}
    group_constraints = services.get("group_constraints") or {}
    placed = []
    for group in groups:
        placed.extend(group_constraints.get(group["name"]) or [])
    gone = tickle_removals(groups, cib)
    return {
        "resources": list(services.get("resources") or []) + cib["resources"] + gone + mgmt["resources"],
        "groups": cib["groups"] + mgmt["groups"],
        "clones": list(services.get("clones") or []) + cib.get("clones", []) + mgmt.get("clones", []),
        "constraints": list(services.get("constraints") or []) + cib["constraints"] + placed + mgmt["constraints"],
    }


# --------------------------------------------------------------------------
# the integrated design (roles/nas_integrated): two nodes, local RAID, DRBD,
# LVM on DRBD, one filesystem per sharing group, whole-node failover

BASE_STACK = "nas"
RAID_TYPES = ("md", "graid", "none")
MD_LEVELS = {"0": 2, "1": 2, "4": 3, "5": 3, "6": 4, "10": 2}
FSTYPES = ("xfs", "ext4")
LV_NAME_RE = re.compile(r"^[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,126}$")
VG_NAME_RE = re.compile(r"^[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,126}$")
GROUP_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
SIZE_RE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)([bBsSkKmMgGtTpPeE]?)$")
SIZE_UNITS = {"": 1 << 20, "b": 1, "s": 512, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40,
              "p": 1 << 50, "e": 1 << 60}
EXTENT = 4 << 20          # LVM's default physical extent
PV_DATA_START = 1 << 20   # LVM's default pe_start
DRBD_MD_FIXED = 36 << 10  # DRBD 8.4/9 internal metadata: 4 KiB superblock + 32 KiB activity log (+ the bitmap)


def parse_size(value, what):
    """Bytes of an LVM size (``lvcreate --size``: a number, MiB without a unit, binary units)."""
    text = _text(value).strip() if value is not None else ""
    match = SIZE_RE.match(text)
    if not match:
        raise BuildError("%s must be a size such as 200g, 512m or 1.5t (binary units, MiB without one; no %% "
                         "sizes), got %r" % (what, value))
    size = int(float(match.group(1)) * SIZE_UNITS[match.group(2).lower()])
    if size <= 0:
        raise BuildError("%s must be larger than 0, got %r" % (what, value))
    return size


def _human(size):
    for unit, factor in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20)):
        if size >= factor:
            return "%.1f %s" % (float(size) / factor, unit)
    return "%d bytes" % size


def _extents(size):
    return -(-size // EXTENT) * EXTENT


def drbd_usable(backing):
    """Bytes of the DRBD device on a backing device of ``backing`` bytes (internal metadata at its end)."""
    bitmap = -(-backing // 32768)
    bitmap = -(-bitmap // 4096) * 4096
    return backing - bitmap - DRBD_MD_FIXED


def vg_capacity(vg_size=None, device_sizes=None):
    """Bytes the volume group can hand out: from ``vg_size`` (stated) or the smallest DRBD backing device.

    Returns ``(bytes, where)`` or ``(None, None)`` when neither is known.
    """
    if vg_size not in (None, ""):
        return parse_size(vg_size, "nas_integrated_vg_size"), "nas_integrated_vg_size %s" % vg_size
    known = [(int(size), node) for node, size in (device_sizes or {}).items() if size not in (None, "", 0)]
    if not known:
        return None, None
    backing, node = min(known)
    pv = drbd_usable(backing) - PV_DATA_START
    return max(0, pv // EXTENT * EXTENT), "the DRBD device on %s's %s backing device" % (node, _human(backing))


def _network(value, field):
    try:
        return ipaddress.ip_network(_text(value).strip(), strict=True)
    except ValueError as e:
        raise BuildError("%s must be a network in CIDR form such as 10.77.0.0/24, got %r (%s)" % (field, value, e))


def _host_on(address, net, field):
    """Raise unless ``address`` is a host address of ``net``."""
    try:
        addr = ipaddress.ip_address(_text(address).strip())
    except ValueError:
        raise BuildError("%s must be an IP address, got %r" % (field, address))
    if addr.version != net.version or addr not in net:
        raise BuildError("%s %s is not on %s" % (field, address, net))
    if net.version == 4 and net.prefixlen < 31 and addr in (net.network_address, net.broadcast_address):
        raise BuildError("%s %s is the network or broadcast address of %s" % (field, address, net))
    return addr


def _under(path, top):
    """Whether ``path`` lies in ``top``, both absolute; a ``.`` or ``..`` component never does (it may climb out)."""
    if any(part in (".", "..") for part in path.split("/") + top.split("/")):
        return False
    return path == top or path.startswith(top.rstrip("/") + "/")


def _partition_of(child, parent):
    """Whether ``child`` names a partition of ``parent`` (/dev/sdb1 of /dev/sdb, /dev/nvme0n1p2 of /dev/nvme0n1)."""
    return child.startswith(parent) and re.match(r"^p?[0-9]+$", child[len(parent):]) is not None


def _check_raid(node):
    """The local RAID of one node: the DRBD disk is the array, members are distinct and not the array."""
    host = node.get("host") or node.get("name")
    field = "nas_integrated_raid of %s" % host
    raid = node.get("raid")
    if not isinstance(raid, dict) or not raid:
        raise BuildError("%s is not set: give {type: md, device: /dev/md0, level: 1, members: [...]}, "
                         "{type: graid, device: ...} or {type: none, device: ...} (a host variable)" % field)
    rtype = raid.get("type", "md")
    if rtype not in RAID_TYPES:
        raise BuildError("%s.type must be md, graid or none, got %r" % (field, rtype))
    device = raid.get("device")
    if not device or not _text(device).startswith("/dev/"):
        raise BuildError("%s.device must be the block device DRBD replicates (a /dev path), got %r" % (field, device))
    if re.match(r"^/dev/drbd", device):
        raise BuildError("%s.device %s is a DRBD device: give the local disk or array under DRBD" % (field, device))
    members = raid.get("members") or []
    spares = raid.get("spares") or []
    if rtype != "md":
        if members or spares:
            raise BuildError("%s: members and spares are for type md; with type %s the device %s is given as it is"
                             % (field, rtype, device))
        return
    level = _text(raid.get("level", "")).lower().replace("raid", "")
    if level not in MD_LEVELS:
        levels = ", ".join(sorted(MD_LEVELS, key=int))
        raise BuildError("%s.level must be one of %s, got %r" % (field, levels, raid.get("level")))
    if not re.match(r"^/dev/md(/[^/]+|[0-9]+)$", device):
        raise BuildError("%s.device %s must be an md array (/dev/mdN or /dev/md/NAME): DRBD sits on the array, "
                         "not on one of its members" % (field, device))
    if not isinstance(members, (list, tuple)) or len(members) < MD_LEVELS[level]:
        raise BuildError("%s.members: RAID level %s needs at least %d members, got %r"
                         % (field, level, MD_LEVELS[level], members))
    resolved = node.get("resolved") or {}

    def real(path):
        return resolved.get(path) or path

    seen = {}
    for key, paths in (("members", members), ("spares", spares)):
        for path in paths:
            if not path or not _text(path).startswith("/dev/"):
                raise BuildError("%s.%s: %r is not a /dev path" % (field, key, path))
            if path == device or real(path) == real(device):
                raise BuildError("%s.%s lists %s, the array DRBD sits on: the DRBD disk must be the md device, "
                                 "not one of its members" % (field, key, path))
            if re.match(r"^/dev/(drbd|md)", real(path)):
                raise BuildError("%s.%s lists %s: a member must be a local disk or partition, not a DRBD or md "
                                 "device" % (field, key, path))
            if real(path) in seen:
                raise BuildError("%s.%s lists %s, which is already listed as %s (%s): a disk can be in the array "
                                 "once" % (field, key, path, seen[real(path)][1], seen[real(path)][0]))
            for other, (other_key, other_path) in seen.items():
                if _partition_of(real(path), other) or _partition_of(other, real(path)):
                    raise BuildError("%s.%s: %s and %s (%s) overlap (one is a partition of the other)"
                                     % (field, key, path, other_path, other_key))
            seen[real(path)] = (key, path)


def _mountpoint(value, field, mounts):
    """``value`` as a mountpoint of ``field``: absolute, no trailing slash, not nested with one of ``mounts``.

    ``mounts``: {mountpoint: group name} of the mountpoints checked before.
    """
    mountpoint = _text(value or "")
    if not re.match(r"^/[^ ]*[^/ ]$", mountpoint):
        raise BuildError("%s.mountpoint must be an absolute path without a trailing slash, got %r"
                         % (field, value))
    for other_mount, other in mounts.items():
        if _under(mountpoint, other_mount) or _under(other_mount, mountpoint):
            raise BuildError("%s.mountpoint %s and group %s's %s are nested or the same"
                             % (field, mountpoint, other, other_mount))
    return mountpoint


def _vip(group, client_net, field, network_field="nas_integrated_client_network"):
    vip = group.get("vip")
    if not isinstance(vip, dict) or not vip.get("address"):
        raise BuildError("%s.vip needs address and cidr_netmask" % field)
    _host_on(vip["address"], client_net, "%s.vip.address" % field)
    if vip.get("cidr_netmask") in (None, ""):
        raise BuildError("%s.vip needs cidr_netmask" % field)
    if _text(vip["cidr_netmask"]) != _text(client_net.prefixlen):
        raise BuildError("%s.vip.cidr_netmask is %s but %s %s is /%d"
                         % (field, vip["cidr_netmask"], network_field, client_net, client_net.prefixlen))
    return vip["address"]


def check_exports_and_shares(group, field, mountpoint, export_ids, share_names):
    """One group's NFS exports and SMB shares: inside its mountpoint, ids and share names unique in the cluster.

    ``export_ids`` / ``share_names``: {id or lower-case name: group name} of
    the groups checked before; this group's are added.
    """
    name = group["name"]
    for export in group.get("nfs_exports") or []:
        _need(export, "id", "%s: an NFS export" % field)
        path = _text(_need(export, "path", "%s.nfs_exports[%s]" % (field, export["id"])))
        if not _under(path, mountpoint):
            raise BuildError("%s.nfs_exports[%s].path %s is not inside the group's mountpoint %s"
                             % (field, export["id"], path, mountpoint))
        if _text(export["id"]) in export_ids:
            raise BuildError("%s.nfs_exports: export id %s is also used by group %s (ids are unique in the "
                             "cluster)" % (field, export["id"], export_ids[_text(export["id"])]))
        export_ids[_text(export["id"])] = name
    for share in group.get("smb_shares") or []:
        share_name = _text(_need(share, "name", "%s: an SMB share" % field))
        path = _text(_need(share, "path", "%s.smb_shares[%s]" % (field, share_name)))
        if not _under(path, mountpoint):
            raise BuildError("%s.smb_shares[%s].path %s is not inside the group's mountpoint %s"
                             % (field, share_name, path, mountpoint))
        if share_name.lower() in share_names:
            raise BuildError("%s.smb_shares: share %s is also a share of group %s"
                             % (field, share_name, share_names[share_name.lower()]))
        share_names[share_name.lower()] = name


# nfs-server runs in a UTS namespace whose host name is the scope
NFS_SERVER_SCOPE_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,62}[A-Za-z0-9])?$")


def nfs_scope_dropin(unit_text, scope):
    """A drop-in for nfs-server.service whose start commands run in a UTS namespace named ``scope``.

    The same start commands ocf:heartbeat:nfsserver (resource-agents 4.12) writes under /run for its
    ``nfs_server_scope``: the unit's current ``ExecStart=`` lines (an empty one resets the list), each
    prefixed with ``unshare --uts`` and a ``hostname``, so the kernel NFS server announces the same
    server scope on every node (RFC 8881 8.4.2.1: clients reclaim their state only from the same
    scope). The scope is written literally (no environment file). ``unit_text``: the unit file.
    """
    scope = _text(scope)
    if not NFS_SERVER_SCOPE_RE.match(scope):
        raise BuildError("the NFS server scope %r is not a host name" % scope)
    starts = []
    for line in _text(unit_text).splitlines():
        if not line.startswith("ExecStart="):
            continue
        command = line[len("ExecStart="):]
        if not command.strip():
            starts = []
            continue
        prefix = re.match(r"^[-+:!@]*", command).group(0)
        starts.append("ExecStart=%s/usr/bin/unshare --uts /bin/sh -c 'hostname %s; exec \"$@\"' -- %s"
                      % (prefix, scope, command[len(prefix):]))
    if not starts:
        raise BuildError("nfs-server.service has no ExecStart= line to run in the NFS server scope")
    return "\n".join([
        "# hastorage.cluster.nas_integrated: nfs-server in a UTS namespace named after the NFS server scope",
        "# (the start commands ocf:heartbeat:nfsserver writes under /run for nfs_server_scope, kept here so",
        "# that the agent never reloads systemd in a failover)",
        "[Service]",
        "ExecStart=",
    ] + starts) + "\n"


def nas_integrated_check(config):
    """Refuse, naming the field, anything the integrated design cannot deploy safely. Pure; returns a summary.

    ``config``: ``nodes`` ([{host, name, replication_address, raid, resolved, device_size}]),
    ``replication_network``, ``client_network``, ``client_interface``, ``vg_name``, ``vg_size``,
    ``volumes``, ``groups``, ``nfs_state`` ({volume, size, mountpoint, fstype}); the stacks also read
    ``drbd_resource``, ``nfs_server_scope``, ``ethmonitor_options`` and ``stickiness``.
    """
    if not isinstance(config, dict):
        raise BuildError("nas_integrated: the design's settings must be a dictionary")
    nodes = config.get("nodes") or []
    if len(nodes) != 2:
        raise BuildError("nas_integrated: the design needs exactly two nodes in the play (the inventory group "
                         "nas_integrated), got %d: %s" % (len(nodes), ", ".join(_text(n.get("host")) for n in nodes)))
    rep_net = _network(config.get("replication_network"), "nas_integrated_replication_network")
    client_net = _network(config.get("client_network"), "nas_integrated_client_network")
    if rep_net.version == client_net.version and rep_net.overlaps(client_net):
        raise BuildError("nas_integrated_replication_network %s overlaps nas_integrated_client_network %s: the "
                         "replication link needs a network of its own" % (rep_net, client_net))
    if not config.get("client_interface"):
        raise BuildError("nas_integrated_client_interface must name the clients' interface (ethmonitor watches it "
                         "and the VIPs go on it)")
    scope = _text(config.get("nfs_server_scope") or "")
    if scope and not NFS_SERVER_SCOPE_RE.match(scope):
        raise BuildError("nas_integrated_nfs_server_scope (or, when it is empty, pacemaker_cluster_name) %r is not a "
                         "valid NFS server scope: nfs-server starts in a UTS namespace named after it, so it must be "
                         "a host name (letters, digits, '.', '-', at most 64 characters)" % scope)
    addresses = {}
    for node in nodes:
        host = node.get("host") or node.get("name")
        if not node.get("replication_address"):
            raise BuildError("drbd_replication_address of %s is not set: give each node its address on "
                             "nas_integrated_replication_network %s (a host variable)" % (host, rep_net))
        addr = _host_on(node["replication_address"], rep_net, "drbd_replication_address of %s" % host)
        if addr in addresses:
            raise BuildError("drbd_replication_address of %s is %s, the same as %s's" % (host, addr, addresses[addr]))
        addresses[addr] = host
        _check_raid(node)

    vg = config.get("vg_name") or ""
    if not VG_NAME_RE.match(vg) or vg in (".", ".."):
        raise BuildError("nas_integrated_vg_name must be a volume group name (letters, digits, + _ . -), got %r" % vg)
    volumes = config.get("volumes") or []
    sizes = {}
    for i, volume in enumerate(volumes):
        if not isinstance(volume, dict) or not volume.get("name"):
            raise BuildError("nas_integrated_volumes: item %d needs a name (the logical volume)" % (i + 1))
        name = _text(volume["name"])
        field = "nas_integrated_volumes[%s]" % name
        if not LV_NAME_RE.match(name) or name in (".", "..") or name.startswith(("snapshot", "pvmove")):
            raise BuildError("%s: %r is not a valid logical volume name" % (field, name))
        if name in sizes:
            raise BuildError("nas_integrated_volumes: %s is declared twice" % name)
        sizes[name] = _extents(parse_size(volume.get("size"), "%s.size" % field))
        if (volume.get("fstype") or "xfs") not in FSTYPES:
            raise BuildError("%s.fstype must be xfs or ext4, got %r" % (field, volume.get("fstype")))

    groups = config.get("groups") or []
    if not groups:
        raise BuildError("nas_integrated_groups: the design needs at least one sharing group")
    names, used, mounts, vips, export_ids, share_names = set(), {}, {}, {}, {}, {}
    for group in groups:
        name = _group_name(group, "nas_integrated_groups")
        field = "nas_integrated_groups[%s]" % name
        if not GROUP_NAME_RE.match(name):
            raise BuildError("%s: the name must match ^[a-z][a-z0-9_]{0,30}$ (it becomes resource ids)" % field)
        if name == BASE_STACK:
            raise BuildError("%s: %s is the name of the design's base stack (DRBD, LVM, NFS server); choose "
                             "another" % (field, BASE_STACK))
        if name in names:
            raise BuildError("nas_integrated_groups: two groups are named %s" % name)
        names.add(name)
        volume = group.get("volume")
        if not volume:
            raise BuildError("%s.volume must name its logical volume in nas_integrated_volumes" % field)
        if volume not in sizes:
            raise BuildError("%s.volume %s is not declared in nas_integrated_volumes (declared: %s)"
                             % (field, volume, ", ".join(sizes) or "none"))
        if volume in used:
            raise BuildError("%s.volume %s is also the volume of group %s: one filesystem per sharing group"
                             % (field, volume, used[volume]))
        used[volume] = name
        mountpoint = _mountpoint(group.get("mountpoint"), field, mounts)
        mounts[mountpoint] = name
        address = _vip(group, client_net, field)
        if address in vips:
            raise BuildError("%s.vip.address %s is also group %s's VIP" % (field, address, vips[address]))
        vips[address] = name
        check_exports_and_shares(group, field, mountpoint, export_ids, share_names)

    nfs = any(g.get("nfs_exports") for g in groups)
    if nfs:
        state = config.get("nfs_state") or {}
        sfield = "nas_integrated_nfs_state"
        sname = _text(state.get("volume") or "")
        if not LV_NAME_RE.match(sname):
            raise BuildError("%s.volume must be a logical volume name, got %r" % (sfield, state.get("volume")))
        if sname in sizes:
            raise BuildError("%s.volume %s is also in nas_integrated_volumes: the NFS state has a volume of its "
                             "own" % (sfield, sname))
        sizes[sname] = _extents(parse_size(state.get("size"), "%s.size" % sfield))
        _mountpoint(state.get("mountpoint"), sfield, mounts)
        if (state.get("fstype") or "ext4") not in FSTYPES:
            raise BuildError("%s.fstype must be xfs or ext4, got %r" % (sfield, state.get("fstype")))

    device_sizes = dict((n.get("host") or n.get("name"), n.get("device_size")) for n in nodes)
    capacity, where = vg_capacity(config.get("vg_size"), device_sizes)
    if capacity is not None:
        for name, size in sizes.items():
            if size > capacity:
                field = "nas_integrated_nfs_state.size" if name not in [v.get("name") for v in volumes] \
                    else "nas_integrated_volumes[%s].size" % name
                raise BuildError("%s (%s) is larger than the volume group %s (%s, from %s)"
                                 % (field, _human(size), vg, _human(capacity), where))
        total = sum(sizes.values())
        if total > capacity:
            raise BuildError("nas_integrated_volumes: the logical volumes need %s in total (%s), more than the volume "
                             "group %s holds (%s, from %s)"
                             % (_human(total), ", ".join("%s %s" % (n, _human(s)) for n, s in sizes.items()), vg,
                                _human(capacity), where))
    return {"volumes": sizes, "vg_capacity": capacity, "vg_capacity_from": where}


def lvm_global_filter(udev_outputs, paths):
    """LVM ``devices/global_filter`` for LVM on DRBD: /dev/drbd* in, every name of the backing devices out.

    LVM accepts a device when ANY of its names matches an ``a`` pattern before
    an ``r`` one, so the backing device is rejected by every name udev gives it
    (``DEVNAME``, ``DEVLINKS``, ``/dev/block/MAJOR:MINOR``), not only the one
    in the inventory; everything else stays accepted (a root VG keeps working).
    ``udev_outputs``: ``udevadm info --query=property`` outputs (text, or
    command results with ``stdout``); ``paths``: the names the inventory gives.
    """
    names = []

    def add(name):
        name = _text(name).strip()
        if name and name not in names:
            if re.match(r"^/dev/drbd", name):
                raise BuildError("%s is a DRBD device: it cannot be under DRBD" % name)
            names.append(name)

    for path in paths or []:
        add(path)
    # udev lists DEVLINKS in no fixed order (seen on the UML lab: two reads a
    # second apart differed), so its names are sorted: the same devices give
    # the same filter, and a re-run changes nothing
    found = []
    for output in udev_outputs or []:
        if isinstance(output, dict):
            if output.get("rc", 0) != 0:
                continue
            output = output.get("stdout") or ""
        props = dict(line.split("=", 1) for line in _text(output).splitlines() if "=" in line)
        found.append(props.get("DEVNAME", ""))
        found.extend(props.get("DEVLINKS", "").split())
        if props.get("MAJOR") and props.get("MINOR"):
            found.append("/dev/block/%s:%s" % (props["MAJOR"], props["MINOR"]))
    for name in sorted(_text(n).strip() for n in found):
        add(name)
    # escape only what LVM's regex engine treats as special (libdm parse_rx)
    rejects = ["r|^%s$|" % re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", name) for name in names]
    return ["a|^/dev/drbd[0-9]+$|"] + rejects + ["a|.*|"]


def services_groups(groups, variable):
    """nas_services_groups from a design's groups (the list VARIABLE): the service keys and the VIP address."""
    result = []
    for group in groups or []:
        name = _group_name(group, variable)
        item = dict((k, v) for k, v in group.items() if k in SERVICES_GROUP_KEYS)
        vip = group.get("vip")
        if not isinstance(vip, dict) or "address" not in vip:
            raise BuildError("%s[%s].vip needs address" % (variable, name))
        item["vip"] = vip["address"]
        result.append(item)
    return result


def nas_integrated_services_groups(groups):
    """nas_services_groups from nas_integrated_groups."""
    return services_groups(groups, "nas_integrated_groups")


def tickle_ports(layers):
    """The TCP ports the clients of a group's layers hold connections to (text for tcp_tickle's portno):
    NFS 2049 for an nfs layer, SMB 445 for an smb layer."""
    kinds = set(layer.get("kind") for layer in layers)
    return ",".join(port for kind, port in (("nfs", NFS_PORT), ("smb", SMB_PORT)) if kind in kinds)


def tickle_id(group_name):
    """The id of a group's tickle layer (built, or deleted when the group has none)."""
    return "tickle_%s" % group_name


def tickle_layer(group_name, ip, ports, directory, mountpoint=None):
    """A group's tickle layer (ocf:hastorage:tcp_tickle) for the clients of
    VIP ``ip`` on ``ports``, its list in ``directory``; with ``mountpoint``
    the agent makes a missing directory on that filesystem at start."""
    options = {"ip": ip, "portno": ports, "tickle_dir": directory}
    if mountpoint:
        options["mountpoint"] = mountpoint
    return {"kind": "tickle", "id": tickle_id(group_name), "agent": "ocf:hastorage:tcp_tickle",
            "options": options, "operations": _ops(TICKLE_OPS)}


def tickle_removals(groups, cib):
    """``state: absent`` for the tickle id of each group in ``groups`` that
    has no tickle layer among ``cib``'s resources: switching the tickle off
    (or a group losing its layer) deletes the one an earlier run made."""
    built = set(r["id"] for r in cib["resources"])
    return [{"id": tickle_id(g["name"]), "state": "absent"} for g in groups if tickle_id(g["name"]) not in built]


def tickle_dir(config):
    """Where the tickle layers record the VIPs' client connections: on the NFS state filesystem."""
    return "%s/tickle" % config["nfs_state"]["mountpoint"].rstrip("/")


def nas_integrated_stacks(config, services):
    """The base stack (LVM, NFS state, nfsserver, ethmonitor) on the DRBD Promoted, then one stack per group."""
    vg = config["vg_name"]
    interface = config["client_interface"]
    stickiness = {"resource-stickiness": _text(config.get("stickiness", 100))}
    groups = config.get("groups") or []
    volumes = dict((v["name"], v) for v in config.get("volumes") or [])
    force_unmount = (services.get("filesystem_options") or {}).get("force_unmount", "true")
    layers = [{"kind": "lvm", "id": "lvm_%s" % BASE_STACK, "agent": "ocf:heartbeat:LVM-activate",
               "options": {"vgname": vg, "vg_access_mode": "system_id"}, "operations": _ops(FS_OPS)}]
    nfs_groups = [g for g in groups if g.get("nfs_exports")]
    if nfs_groups:
        state = config["nfs_state"]
        layers.append({"kind": "filesystem", "id": "fs_nfsstate", "agent": "ocf:heartbeat:Filesystem",
                       "options": {"device": "/dev/%s/%s" % (vg, state["volume"]), "directory": state["mountpoint"],
                                   "fstype": state.get("fstype") or "ext4", "force_unmount": "true"},
                       "operations": _ops(FS_OPS)})
        options = {"nfs_shared_infodir": "%s/nfsinfo" % state["mountpoint"],
                   "nfs_ip": ",".join(_text(g["vip"]["address"]) for g in nfs_groups)}
        # the scope is not the agent's nfs_server_scope: with it, nfsserver writes a drop-in under /run
        # and reloads systemd at every first start on a node and at every stop (6-10 s each on the lab,
        # in the failover path); the role writes the same start commands as a persistent drop-in
        # instead (nfs_scope_dropin), so nfs-server starts in the scope's UTS namespace anyway
        layers.append({"kind": "nfs", "id": "nfsserver", "agent": "ocf:heartbeat:nfsserver", "options": options,
                       "operations": _ops(DAEMON_OPS)})
    ethmonitor = dict(ETHMONITOR_OPTIONS, **(config.get("ethmonitor_options") or {}))
    if ethmonitor.get("name") or ethmonitor.get("interface"):
        raise BuildError("nas_integrated_ethmonitor_options: interface and name are the design's "
                         "(nas_integrated_client_interface; the attribute ethmonitor-<interface>)")
    ethmonitor["interface"] = interface
    layers.append({"kind": "ethmonitor", "id": "ethmonitor_%s" % re.sub(r"[^A-Za-z0-9_.-]", "_", interface),
                   "agent": "ocf:heartbeat:ethmonitor", "options": ethmonitor,
                   # start runs the checks too: at the default 20 s a start on a
                   # dead link timed out on the UML lab (a failed start, not an
                   # attribute of 0)
                   "operations": [{"action": "monitor", "interval": "10s", "timeout": "60s"},
                                  {"action": "start", "interval": "0s", "timeout": "60s"}]})
    base = {"name": BASE_STACK, "below": {"resource": "drbd_%s-clone" % config.get("drbd_resource", "r0"),
                                          "role": "Promoted"},
            "meta": dict(stickiness), "layers": layers}
    attribute = "ethmonitor-%s" % interface
    stacks = [base]
    for group in groups:
        name = group["name"]
        volume = volumes[group["volume"]]
        fs_options = {"device": "/dev/%s/%s" % (vg, volume["name"]), "directory": group["mountpoint"],
                      "fstype": volume.get("fstype") or "xfs", "force_unmount": force_unmount}
        if volume.get("fs_options"):
            fs_options["options"] = volume["fs_options"]
        vip = _vip_options(dict(group["vip"], nic=group["vip"].get("nic") or interface),
                           "nas_integrated_groups[%s]" % name)
        group_layers = [{"kind": "filesystem", "id": "fs_%s" % name, "agent": "ocf:heartbeat:Filesystem",
                         "options": fs_options, "operations": _ops(FS_OPS)}]
        group_layers.extend((services.get("group_layers") or {}).get(name) or [])
        group_layers.append({"kind": "vip", "id": "vip_%s" % name, "agent": "ocf:heartbeat:IPaddr2",
                             "options": vip, "operations": _ops(VIP_OPS)})
        ports = tickle_ports(group_layers)
        if config.get("tcp_tickle") and nfs_groups and ports:
            group_layers.append(tickle_layer(name, vip["ip"], ports, tickle_dir(config)))
        stacks.append({"name": name, "after": [BASE_STACK], "with": [BASE_STACK], "meta": dict(stickiness),
                       "health": [{"attribute": attribute, "op": "ne", "value": 1}], "layers": group_layers})
    return stacks


def nas_integrated_cib(config, services):
    """pcs_cib input of the integrated design, after :func:`nas_integrated_check`.

    ``services`` is :func:`nas_services_objects` of the groups with the kernel
    NFS server in the ``shared`` layout (the one nfsserver is the base stack's).
    """
    nas_integrated_check(config)
    cib = stacks_to_cib(nas_integrated_stacks(config, services))
    group_constraints = services.get("group_constraints") or {}
    placed = []
    for group in config.get("groups") or []:
        placed.extend(group_constraints.get(group["name"]) or [])
    # a group without a tickle layer (nas_integrated_tcp_tickle off, no NFS
    # state filesystem, no protocol layer) loses the one an earlier run made
    gone = tickle_removals(config.get("groups") or [], cib)
    return {
        "resources": list(services.get("resources") or []) + cib["resources"] + gone,
        "groups": cib["groups"],
        "clones": list(services.get("clones") or []) + cib.get("clones", []),
        "constraints": list(services.get("constraints") or []) + cib["constraints"] + placed,
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
