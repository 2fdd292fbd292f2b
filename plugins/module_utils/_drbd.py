# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: DRBD parsers and planners.

Pure functions only (no process is started here): the modules run the
commands through ``_runner.CommandRunner`` and hand the output to these
functions, so unit tests can call every one of them directly.

* ``parse_version`` / ``kernel_dialect``: ``drbdadm --version`` KEY=value lines
* ``render_resource``: one resource file in the DRBD 9 or 8.4 dialect
* ``parse_status_json`` (9), ``parse_events2`` (9 and 8.4), ``parse_proc_drbd``
  (8.4): the state of resources, normalised to one shape
* ``parse_dump_md``, ``parse_wipefs_json``, ``parse_get_gi``
* ``plan_metadata``, ``plan_sync_and_role``: what to do, or a refusal
* ``split_brain_from_kernel_log``: split-brain evidence from ``dmesg``
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json
import os
import re

from ansible_collections.hastorage.cluster.plugins.module_utils import _block

DIALECT_9 = "9"
DIALECT_84 = "8.4"
DIALECTS = (DIALECT_9, DIALECT_84)

HEADER = "# Managed by hastorage.cluster.drbd_resource: local changes are overwritten.\n"

CRM_HANDLERS = {
    DIALECT_9: {
        "fence-peer": "/usr/lib/drbd/crm-fence-peer.9.sh",
        "unfence-peer": "/usr/lib/drbd/crm-unfence-peer.9.sh",
    },
    DIALECT_84: {
        "fence-peer": "/usr/lib/drbd/crm-fence-peer.sh",
        "after-resync-target": "/usr/lib/drbd/crm-unfence-peer.sh",
    },
}

# 8.4 "cs:" values that are connection states; everything else means the
# connection is up and the value is the replication state.
_CS84_CONNECTION = {
    "StandAlone": "StandAlone",
    "Disconnecting": "Disconnecting",
    "Unconnected": "Unconnected",
    "Timeout": "Timeout",
    "BrokenPipe": "BrokenPipe",
    "NetworkFailure": "NetworkFailure",
    "ProtocolError": "ProtocolError",
    "TearDown": "TearDown",
    "WFConnection": "Connecting",
    "WFReportParams": "Connecting",
}

# a name never starts with "-": drbdadm and drbdsetup would read it as an option
NAME_RE = re.compile(r"^[A-Za-z0-9_.+][A-Za-z0-9_.+-]*$")
# DRBD's SHARED_SECRET_MAX (linux/drbd_limits.h)
SHARED_SECRET_MAX = 64
HAS_DATA = ("UpToDate", "Outdated", "Consistent")
TRANSIENT_DISK = ("Attaching", "Negotiating", "Detaching")


class DrbdError(Exception):
    """A refusal or an invalid request, with a message for the user."""


# ---------------------------------------------------------------------------
# version and dialect
# ---------------------------------------------------------------------------
def parse_version(text):
    """``drbdadm --version`` -> dict of its KEY=value lines (shell escapes removed)."""
    info = {}
    for line in (text or "").splitlines():
        line = line.strip()
        m = re.match(r"^([A-Z][A-Z0-9_]*)=(.*)$", line)
        if not m:
            continue
        info[m.group(1)] = re.sub(r"\\(.)", r"\1", m.group(2))
    return info


def kernel_version(version_info):
    """The loaded module's version ("8.4.11") or "0" when none is loaded.

    With an 8.4 module drbdadm 9.22 prints only ``DRBD_KERNEL_VERSION_CODE``
    (``0x08040b``), not ``DRBD_KERNEL_VERSION`` (captured on Debian 12).
    """
    text = version_info.get("DRBD_KERNEL_VERSION")
    if text and text != "0":
        return text
    code = version_info.get("DRBD_KERNEL_VERSION_CODE", "0x000000") or "0x000000"
    try:
        value = int(code, 16)
    except ValueError:
        raise DrbdError("cannot read DRBD_KERNEL_VERSION_CODE=%s" % code)
    if value == 0:
        return "0"
    return "%d.%d.%d" % ((value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF)


def kernel_dialect(version_info):
    """The dialect of the loaded kernel module: ``"9"``, ``"8.4"`` or None (none loaded)."""
    kernel = kernel_version(version_info)
    if kernel == "0":
        return None
    if kernel.startswith("8.4") or kernel.startswith("8.3"):
        return DIALECT_84
    if kernel.startswith("9"):
        return DIALECT_9
    raise DrbdError("unsupported DRBD kernel module version %s" % kernel)


def choose_dialect(requested, loaded):
    """Pick the config dialect.

    :param requested: ``auto``, ``9`` or ``8.4`` (the module option)
    :param loaded: :func:`kernel_dialect` of the node
    :returns: ``(dialect, note)``; note is None or a sentence for warnings
    """
    if loaded is not None:
        if requested not in ("auto", loaded):
            raise DrbdError(
                "dialect %s was requested but the loaded DRBD kernel module is %s: "
                "the kernel decides the config dialect" % (requested, loaded))
        return loaded, None
    if requested == "auto":
        return DIALECT_9, ("no DRBD kernel module is loaded (DRBD_KERNEL_VERSION=0); "
                           "rendered the DRBD 9 dialect. Set dialect: '8.4' for an 8.4 kernel.")
    return requested, ("no DRBD kernel module is loaded; rendered the requested %s dialect" % requested)


# ---------------------------------------------------------------------------
# rendering
# ---------------------------------------------------------------------------
def _value(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    if text == "" or re.search(r"[\s;{}\"#']", text):
        return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')
    return text


def _quoted(value):
    return '"%s"' % str(value).replace("\\", "\\\\").replace('"', '\\"')


def _address(address, port):
    ip = ipaddress.ip_address(address)
    if ip.version == 6:
        return "ipv6 [%s]:%d" % (ip.compressed, port)
    return "ipv4 %s:%d" % (ip.compressed, port)


def normalize_spec(spec):
    """Check a resource description and fill in defaults; returns a new dict.

    ``spec`` keys (as the module options): name, volumes, hosts, port,
    protocol, fencing, crm_fence_handlers, after_sb_0pri/1pri/2pri,
    net_options, disk_options, resource_options, handlers, resync_rate,
    shared_secret, cram_hmac_alg, split_brain_handler.
    """
    s = dict(spec)
    name = s.get("name") or ""
    if not NAME_RE.match(name):
        raise DrbdError("resource name %r may only hold letters, digits and _ . + -, and not start with -" % name)
    secret_error = shared_secret_error(s.get("shared_secret"))
    if secret_error:
        raise DrbdError(secret_error)
    volumes = []
    seen_vol, seen_minor = set(), set()
    for index, vol in enumerate(s.get("volumes") or []):
        v = dict(vol)
        v.setdefault("volume", index)
        if v.get("volume") is None:
            v["volume"] = index
        minor = v.get("minor")
        device = v.get("device")
        if minor is None and device:
            m = re.match(r"^/dev/drbd(\d+)$", device)
            if not m:
                raise DrbdError("volume %s: give minor, or a device named /dev/drbdN (got %r)" % (v["volume"], device))
            minor = int(m.group(1))
        if minor is None:
            raise DrbdError("volume %s: minor (or device /dev/drbdN) is required" % v["volume"])
        v["minor"] = int(minor)
        v["device"] = device or "/dev/drbd%d" % v["minor"]
        if not v.get("disk"):
            raise DrbdError("volume %s: disk (the backing block device) is required" % v["volume"])
        if not str(v["disk"]).startswith("/") or "/../" in str(v["disk"]) + "/":
            raise DrbdError("volume %s: disk must be the absolute path of the backing block device, such as "
                            "/dev/md0 or /dev/disk/by-id/..., got %r" % (v["volume"], v["disk"]))
        v["meta_disk"] = v.get("meta_disk") or "internal"
        if v["volume"] in seen_vol:
            raise DrbdError("volume number %s is used twice" % v["volume"])
        if v["minor"] in seen_minor:
            raise DrbdError("minor %s is used by two volumes" % v["minor"])
        seen_vol.add(v["volume"])
        seen_minor.add(v["minor"])
        volumes.append(v)
    if not volumes:
        raise DrbdError("at least one volume is required")
    s["volumes"] = volumes
    hosts = []
    seen_host, seen_id, seen_endpoint = set(), set(), {}
    port = _port(s.get("port"), 7789, "port")
    for host in s.get("hosts") or []:
        h = dict(host)
        if not h.get("name"):
            raise DrbdError("every host needs a name (its uname -n)")
        if h["name"] in seen_host:
            raise DrbdError("host %s is listed twice" % h["name"])
        seen_host.add(h["name"])
        try:
            ipaddress.ip_address(h.get("address") or "")
        except ValueError:
            raise DrbdError("host %s: address %r is not an IP address" % (h["name"], h.get("address")))
        h["port"] = _port(h.get("port"), port, "host %s: port" % h["name"])
        endpoint = (ipaddress.ip_address(h["address"]), h["port"])
        if endpoint in seen_endpoint:
            other = seen_endpoint[endpoint]
            raise DrbdError("host %s: address %s port %s is also host %s's: each host replicates from its own "
                            "address on the replication network" % (h["name"], h["address"], h["port"], other))
        seen_endpoint[endpoint] = h["name"]
        if h.get("node_id") is not None:
            if h["node_id"] in seen_id:
                raise DrbdError("node_id %s is used twice" % h["node_id"])
            seen_id.add(h["node_id"])
        hosts.append(h)
    if len(hosts) < 2:
        raise DrbdError("a DRBD resource needs at least two hosts (got %d)" % len(hosts))
    s["hosts"] = hosts
    s["port"] = port
    s.setdefault("protocol", "C")
    s["protocol"] = s.get("protocol") or "C"
    s["fencing"] = s.get("fencing") or "dont-care"
    if s.get("crm_fence_handlers") is None:
        s["crm_fence_handlers"] = True
    for key, default in (("after_sb_0pri", "discard-zero-changes"),
                         ("after_sb_1pri", "disconnect"),
                         ("after_sb_2pri", "disconnect")):
        s[key] = s.get(key) or default
    for key in ("net_options", "disk_options", "resource_options", "handlers"):
        s[key] = dict(s.get(key) or {})
    return s


def name_error(name):
    """Why ``name`` cannot be a DRBD resource name (None: it can)."""
    if not NAME_RE.match(name or ""):
        return "name %r: a DRBD resource name holds only letters, digits and _ . + -, and does not start with -" % (
            name,)
    return None


def shared_secret_error(secret):
    """Why ``secret`` cannot be a DRBD shared-secret (None: it can); the message never holds the secret."""
    if secret is None or secret == "":
        return None
    if len(secret) > SHARED_SECRET_MAX:
        return "shared_secret is %d characters long; DRBD takes at most %d" % (len(secret), SHARED_SECRET_MAX)
    if re.search(r"[\r\n\x00]", secret):
        return "shared_secret must not hold a line break or a NUL character"
    return None


def _port(value, default, what):
    """A TCP port (``default`` when not given); 0 and out-of-range ports are refused, not replaced."""
    if value is None or value == "":
        return default
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise DrbdError("%s must be a TCP port number, got %r" % (what, value))
    if not 1 <= port <= 65535:
        raise DrbdError("%s %s is out of range (1-65535)" % (what, value))
    return port


def check_dialect(spec, dialect):
    """Refuse what the dialect cannot express (before drbdadm sees it)."""
    if dialect == DIALECT_84:
        if len(spec["hosts"]) != 2:
            raise DrbdError("DRBD 8.4 replicates between exactly two hosts (got %d)" % len(spec["hosts"]))
        for key in ("auto-promote", "quorum", "on-no-quorum"):
            if key in spec["resource_options"]:
                raise DrbdError("resource option %s exists only in DRBD 9" % key)
        if "unfence-peer" in spec["handlers"]:
            raise DrbdError("the unfence-peer handler exists only in DRBD 9 "
                            "(8.4 uses after-resync-target crm-unfence-peer.sh)")
    else:
        ids = [h.get("node_id") for h in spec["hosts"]]
        if len(spec["hosts"]) > 2 and any(i is None for i in ids):
            raise DrbdError("DRBD 9 with more than two hosts needs node_id on every host")
        if any(i is not None for i in ids) and any(i is None for i in ids):
            raise DrbdError("give node_id on every host or on none")


def render_resource(spec, dialect, mask_secret=False):
    """The text of ``/etc/drbd.d/<name>.res`` for ``dialect`` (9 or 8.4).

    ``spec`` must come from :func:`normalize_spec`. ``mask_secret`` replaces
    the shared secret (for diff output).
    """
    if dialect not in DIALECTS:
        raise DrbdError("unknown dialect %r" % (dialect,))
    check_dialect(spec, dialect)
    ind = "    "
    out = [HEADER, "resource %s {\n" % spec["name"]]
    for v in spec["volumes"]:
        out.append("%svolume %d {\n" % (ind, v["volume"]))
        out.append("%sdevice %s minor %d;\n" % (ind * 2, v["device"], v["minor"]))
        out.append("%sdisk %s;\n" % (ind * 2, v["disk"]))
        out.append("%smeta-disk %s;\n" % (ind * 2, v["meta_disk"]))
        out.append("%s}\n" % ind)
    for h in spec["hosts"]:
        out.append("%son %s {\n" % (ind, h["name"]))
        out.append("%saddress %s;\n" % (ind * 2, _address(h["address"], h["port"])))
        if dialect == DIALECT_9 and h.get("node_id") is not None:
            out.append("%snode-id %d;\n" % (ind * 2, h["node_id"]))
        out.append("%s}\n" % ind)
    if dialect == DIALECT_9 and len(spec["hosts"]) > 2:
        out.append("%sconnection-mesh {\n%shosts %s;\n%s}\n" % (
            ind, ind * 2, " ".join(h["name"] for h in spec["hosts"]), ind))

    def section(title, items):
        if not items:
            return
        out.append("%s%s {\n" % (ind, title))
        for key, value in items:
            out.append("%s%s %s;\n" % (ind * 2, key, value))
        out.append("%s}\n" % ind)

    options = [(k, _value(v)) for k, v in sorted(spec["resource_options"].items())]
    section("options", options)

    net = [("protocol", spec["protocol"])]
    if dialect == DIALECT_9 and spec["fencing"] != "dont-care":
        net.append(("fencing", spec["fencing"]))
    net += [("after-sb-0pri", spec["after_sb_0pri"]),
            ("after-sb-1pri", spec["after_sb_1pri"]),
            ("after-sb-2pri", spec["after_sb_2pri"])]
    if spec.get("shared_secret"):
        net.append(("cram-hmac-alg", _value(spec.get("cram_hmac_alg") or "sha256")))
        net.append(("shared-secret", _quoted("********" if mask_secret else spec["shared_secret"])))
    net += [(k, _value(v)) for k, v in sorted(spec["net_options"].items())]
    section("net", net)

    disk = []
    if dialect == DIALECT_84 and spec["fencing"] != "dont-care":
        disk.append(("fencing", spec["fencing"]))
    if spec.get("resync_rate"):
        disk.append(("resync-rate", _value(spec["resync_rate"])))
    disk += [(k, _value(v)) for k, v in sorted(spec["disk_options"].items())]
    section("disk", disk)

    handlers = {}
    if spec["fencing"] != "dont-care" and spec["crm_fence_handlers"]:
        handlers.update(CRM_HANDLERS[dialect])
    if spec.get("split_brain_handler"):
        handlers["split-brain"] = spec["split_brain_handler"]
    handlers.update(spec["handlers"])
    section("handlers", [(k, _quoted(v)) for k, v in sorted(handlers.items())])
    out.append("}\n")
    return "".join(out)


def validation_config(resource_text, include_files):
    """A complete drbd.conf for ``drbdadm -c``: the other installed files plus ours."""
    lines = ["# validation copy written by hastorage.cluster.drbd_resource\n"]
    for path in include_files:
        lines.append('include "%s";\n' % path)
    lines.append(resource_text)
    return "".join(lines)


# ---------------------------------------------------------------------------
# metadata and signatures
# ---------------------------------------------------------------------------
def drbdmeta_args(volume, fmt):
    """argv (after ``drbdmeta``) that dumps the metadata of ``volume`` in ``fmt`` (v08/v09)."""
    md = volume["meta_disk"]
    if md == "internal":
        where = ["internal"]
    else:
        m = re.match(r"^(\S+)\s*\[\s*(\d+)\s*\]$", md)
        where = [m.group(1), m.group(2)] if m else [md, "flex-external"]
    return [str(volume["minor"]), fmt, volume["disk"]] + where + ["dump-md"]


def parse_dump_md(rc, stdout, stderr, fmt=None):
    """Result of a dump-md: ``{"present": bool, "version": "v09"|"v08"|None, "current_uuid": ...}``.

    ``fmt``: the format the dump was asked in. Metadata that a power loss left
    "unclean" (its activity log not yet applied: drbdmeta refuses to dump it,
    DRBD applies the log itself when it attaches) is present metadata of that
    format, never a disk to create metadata on.
    Raises DrbdError for anything but "found" (rc 0), "unclean" or "No valid
    meta data found" (rc 1).
    """
    if rc == 0 and "# DRBD meta data dump" in (stdout or ""):
        version = re.search(r'^version "(v0\d)";', stdout, re.M)
        uuid = re.search(r"^(?:current-uuid|uuid)\s+(?:\{\s*)?(0x[0-9A-Fa-f]+)", stdout, re.M)
        return {"present": True,
                "version": version.group(1) if version else None,
                "current_uuid": uuid.group(1) if uuid else None}
    if rc == 1 and "No valid meta data found" in (stderr or "") + (stdout or ""):
        return {"present": False, "version": None, "current_uuid": None}
    if fmt and rc != 0 and re.search(r'Found meta data is "unclean"', (stderr or "") + (stdout or "")):
        return {"present": True, "version": fmt, "current_uuid": None, "unclean": True}
    raise DrbdError("dump-md gave rc %s: %s" % (rc, ((stderr or "") + (stdout or "")).strip()))


def parse_wipefs_json(text):
    """``wipefs --no-act --json DEV`` -> list of ``{"type", "offset", "uuid", "label"}``."""
    text = (text or "").strip()
    if not text:
        return []
    data = json.loads(text)
    return [{"type": s.get("type"), "offset": s.get("offset"), "uuid": s.get("uuid"),
             "label": s.get("label")} for s in data.get("signatures", [])]


def foreign_signatures(signatures):
    """Signatures that are not DRBD metadata (libblkid reports DRBD as ``drbd``)."""
    return [s for s in signatures if (s.get("type") or "").lower() not in ("drbd",)]


def plan_metadata(volume, v09, v08, signatures, wipe_existing):
    """What to do with the metadata of one volume.

    :param v09, v08: :func:`parse_dump_md` results for both formats
    :param signatures: :func:`parse_wipefs_json` of the backing disk
    :returns: ``"keep"`` (metadata present: never re-created), ``"create"``
        or ``"wipe-and-create"``
    :raises DrbdError: the disk holds something else and wipe_existing is false
    """
    if v09.get("present") or v08.get("present"):
        return "keep"
    foreign = foreign_signatures(signatures)
    if not foreign:
        return "create"
    if wipe_existing:
        return "wipe-and-create"
    found = ", ".join("%s at offset %s" % (s["type"], s["offset"]) for s in foreign)
    raise DrbdError(
        "refusing to create DRBD metadata on %s (volume %s): it holds %s. "
        "Nothing was changed. If that data is not needed, set wipe_existing: true "
        "(this erases those signatures)." % (volume["disk"], volume["volume"], found))


# ---------------------------------------------------------------------------
# state: DRBD 9 status --json, events2, 8.4 /proc/drbd
# ---------------------------------------------------------------------------
def _empty_resource(name):
    return {"name": name, "up": False, "role": "Unknown", "devices": [], "connections": []}


def parse_status_json(text):
    """``drbdsetup status --json`` (9) -> list of normalised resources."""
    text = (text or "").strip()
    if not text:
        return []
    text = re.sub(r":\s*nan\b", ": null", text)
    data = json.loads(text)
    resources = []
    for res in data:
        r = _empty_resource(res.get("name"))
        r["up"] = True
        r["role"] = res.get("role", "Unknown")
        r["suspended"] = bool(res.get("suspended"))
        for dev in res.get("devices", []):
            r["devices"].append({"volume": dev.get("volume"), "minor": dev.get("minor"),
                                 "disk_state": dev.get("disk-state"),
                                 "size_kib": dev.get("size"), "open": dev.get("open")})
        for con in res.get("connections", []):
            c = {"peer": con.get("name"), "peer_node_id": con.get("peer-node-id"),
                 "connection_state": con.get("connection-state"),
                 "peer_role": con.get("peer-role", "Unknown"), "peer_devices": []}
            for pd in con.get("peer_devices", []):
                done = pd.get("percent-resync-done")
                c["peer_devices"].append({
                    "volume": pd.get("volume"),
                    "replication_state": pd.get("replication-state"),
                    "peer_disk_state": pd.get("peer-disk-state"),
                    "out_of_sync_kib": pd.get("out-of-sync"),
                    "sync_percent": done if done is not None else pd.get("percent-in-sync"),
                })
            r["connections"].append(c)
        resources.append(r)
    return resources


def _kv(tokens):
    out = {}
    for tok in tokens:
        if ":" in tok:
            key, value = tok.split(":", 1)
            out[key] = value
    return out


def parse_events2(text):
    """``drbdsetup events2 --now [--statistics]`` -> list of normalised resources.

    Only ``exists`` lines are read (``--now`` prints the current state).
    """
    resources = {}
    order = []

    def res(name):
        if name not in resources:
            resources[name] = _empty_resource(name)
            order.append(name)
        return resources[name]

    for line in (text or "").splitlines():
        parts = line.split()
        if len(parts) < 3 or parts[0] != "exists":
            continue
        obj, kv = parts[1], _kv(parts[2:])
        name = kv.get("name")
        if not name:
            continue
        r = res(name)
        r["up"] = True
        if obj == "resource":
            r["role"] = kv.get("role", "Unknown")
            r["suspended"] = kv.get("suspended", "no") != "no"
        elif obj == "device":
            r["devices"].append({"volume": int(kv.get("volume", 0)), "minor": int(kv.get("minor", 0)),
                                 "disk_state": kv.get("disk"), "size_kib": _int(kv.get("size")),
                                 "open": kv.get("open")})
        elif obj == "connection":
            r["connections"].append({"peer": kv.get("conn-name"), "peer_node_id": _int(kv.get("peer-node-id")),
                                     "connection_state": kv.get("connection"),
                                     "peer_role": kv.get("role", "Unknown"), "peer_devices": []})
        elif obj == "peer-device":
            con = None
            for c in r["connections"]:
                if c["peer"] == kv.get("conn-name"):
                    con = c
            if con is None:
                con = {"peer": kv.get("conn-name"), "peer_node_id": _int(kv.get("peer-node-id")),
                       "connection_state": None, "peer_role": "Unknown", "peer_devices": []}
                r["connections"].append(con)
            done = kv.get("done")
            con["peer_devices"].append({
                "volume": int(kv.get("volume", 0)),
                "replication_state": kv.get("replication"),
                "peer_disk_state": kv.get("peer-disk"),
                "out_of_sync_kib": _int(kv.get("out-of-sync")),
                "sync_percent": float(done) if done is not None else None,
            })
    return [resources[n] for n in order]


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


_PROC_MINOR = re.compile(r"^\s*(\d+):\s+cs:(\S+)(?:\s+ro:(\S+)/(\S+)\s+ds:(\S+)/(\S+)(?:\s+([ABC]))?)?")
_PROC_OOS = re.compile(r"\boos:(\d+)")
_PROC_SYNC = re.compile(r"sync'ed:\s*([\d.]+)%")


def parse_proc_drbd(text):
    """``/proc/drbd`` of an 8.4 kernel -> ``{"version": str, "minors": {minor: {...}}}``.

    Per minor: cs (raw 8.4 connection state), role, peer_role, disk_state,
    peer_disk_state, protocol, out_of_sync_kib, sync_percent.
    """
    result = {"version": None, "minors": {}}
    current = None
    for line in (text or "").splitlines():
        if line.startswith("version:"):
            result["version"] = line.split()[1]
            continue
        m = _PROC_MINOR.match(line)
        if m:
            current = {"cs": m.group(2), "role": m.group(3), "peer_role": m.group(4),
                       "disk_state": m.group(5), "peer_disk_state": m.group(6),
                       "protocol": m.group(7), "out_of_sync_kib": None, "sync_percent": None}
            result["minors"][int(m.group(1))] = current
            continue
        if current is None:
            continue
        oos = _PROC_OOS.search(line)
        if oos:
            current["out_of_sync_kib"] = int(oos.group(1))
        sync = _PROC_SYNC.search(line)
        if sync:
            current["sync_percent"] = float(sync.group(1))
    return result


def resource_from_proc(name, minors, proc, peer=None):
    """Build the normalised resource ``name`` (volumes ``minors`` = {volume: minor}) from /proc/drbd."""
    r = _empty_resource(name)
    con = {"peer": peer, "peer_node_id": None, "connection_state": None,
           "peer_role": "Unknown", "peer_devices": []}
    roles = []
    for volume, minor in sorted(minors.items()):
        entry = proc["minors"].get(minor)
        if entry is None or entry["cs"] == "Unconfigured":
            continue
        r["up"] = True
        roles.append(entry["role"])
        r["devices"].append({"volume": volume, "minor": minor, "disk_state": entry["disk_state"],
                             "size_kib": None, "open": None})
        cs = entry["cs"]
        if cs in _CS84_CONNECTION:
            conn_state, repl = _CS84_CONNECTION[cs], "Off"
        else:
            conn_state, repl = "Connected", ("Established" if cs == "Connected" else cs)
        con["connection_state"] = conn_state
        con["cs"] = cs
        con["peer_role"] = entry["peer_role"]
        done = entry["sync_percent"]
        if done is None and entry["out_of_sync_kib"] == 0:
            done = 100.0
        con["peer_devices"].append({"volume": volume, "replication_state": repl,
                                    "peer_disk_state": entry["peer_disk_state"],
                                    "out_of_sync_kib": entry["out_of_sync_kib"],
                                    "sync_percent": done})
    if r["up"]:
        r["role"] = "Primary" if "Primary" in roles else (roles[0] if roles else "Unknown")
        r["connections"].append(con)
    return r


def parse_sh_minor(text):
    """``drbdadm sh-minor RES``: one minor per line, in volume order."""
    return [int(x) for x in (text or "").split() if x.isdigit()]


def parse_get_gi(text):
    """``drbdadm get-gi`` -> ``{"current_uuid": "...", "bitmap_uuid": ..., "history": [...], "flags": [...]}``."""
    line = (text or "").strip().splitlines()
    if not line:
        return {}
    fields = line[-1].strip().split(":")
    uuids = [f for f in fields if len(f) == 16]
    flags = [f for f in fields if len(f) != 16]
    return {"current_uuid": uuids[0] if uuids else None,
            "bitmap_uuid": uuids[1] if len(uuids) > 1 else None,
            "history_uuids": uuids[2:],
            "flags": flags, "raw": line[-1].strip()}


# ---------------------------------------------------------------------------
# summaries and split brain
# ---------------------------------------------------------------------------
def summarize(resource):
    """One flat dict per resource for ``drbd_info`` (first peer, worst volume)."""
    disks = [d["disk_state"] for d in resource["devices"]]
    con = resource["connections"][0] if resource["connections"] else None
    pds = con["peer_devices"] if con else []
    oos = [p["out_of_sync_kib"] for p in pds if p.get("out_of_sync_kib") is not None]
    pct = [p["sync_percent"] for p in pds if p.get("sync_percent") is not None]
    repl = [p["replication_state"] for p in pds if p.get("replication_state")]
    syncing = [r for r in repl if r.startswith("Sync") or r.startswith("PausedSync")]
    return {
        "name": resource["name"],
        "up": resource["up"],
        "role": resource["role"],
        "disk_state": _worst(disks),
        "peer": con["peer"] if con else None,
        "peer_role": con["peer_role"] if con else None,
        "peer_disk_state": _worst([p["peer_disk_state"] for p in pds]),
        "connection_state": con["connection_state"] if con else None,
        "replication_state": syncing[0] if syncing else (repl[0] if repl else None),
        "out_of_sync_kib": sum(oos) if oos else (None if not pds else 0),
        "sync_percent": min(pct) if pct else None,
        "volumes": resource["devices"],
        "connections": resource["connections"],
    }


_DISK_ORDER = ["Failed", "Diskless", "Detaching", "Attaching", "Negotiating", "Inconsistent",
               "Outdated", "DUnknown", "Consistent", "UpToDate"]


def _worst(states):
    states = [s for s in states if s]
    if not states:
        return None
    return min(states, key=lambda s: _DISK_ORDER.index(s) if s in _DISK_ORDER else -1)


_SB_LINE = re.compile(r"Split-Brain detected")
_RECONNECTED = re.compile(r"conn\( \S+ -> (Connected|WFBitMap[ST]|WFSyncUUID|SyncSource|SyncTarget) \)"
                          r"|repl\( \S+ -> \S+ \)")


def split_brain_from_kernel_log(log_text, name, minors):
    """True when the kernel log's last word on this resource is a split brain.

    8.4 logs ``block drbd0: Split-Brain detected but unresolved, dropping
    connection!``; 9 logs ``drbd r0/0 drbd0 peer: Split-Brain detected ...``.
    A later successful (re)connection of the same resource or minor makes the
    old message stale.
    """
    tags = ["drbd%d:" % m for m in minors] + ["drbd%d " % m for m in minors] + \
        ["drbd %s:" % name, "drbd %s " % name, "drbd %s/" % name, " %s: " % name]
    state = False
    for line in (log_text or "").splitlines():
        if not any(t in line for t in tags):
            continue
        if _SB_LINE.search(line):
            state = True
        elif state and _RECONNECTED.search(line):
            state = False
    return state


def split_brain_evidence(summary, marker_present, kernel_log_says):
    """Evidence of a *current* split brain; empty list when there is none.

    Only a StandAlone (or not connected) resource can be in split brain now;
    the marker written by the role's split-brain handler and the kernel log
    are the reliable signals, "StandAlone with out-of-sync data" is a hint
    reported but not counted on its own.
    """
    if not summary["up"] or summary["connection_state"] in ("Connected",):
        return []
    evidence = []
    if marker_present:
        evidence.append("split-brain handler marker")
    if kernel_log_says:
        evidence.append("kernel log: Split-Brain detected")
    if summary["connection_state"] == "StandAlone" and summary["disk_state"] == "UpToDate" \
            and (summary["out_of_sync_kib"] or 0) > 0:
        evidence.append("StandAlone with out-of-sync UpToDate data")
    return evidence


# ---------------------------------------------------------------------------
# planning: initial sync and role
# ---------------------------------------------------------------------------
def plan_sync_and_role(summary, initial_sync, force_primary, role):
    """Commands (drbdadm verbs) for the initial sync and the role, or a refusal.

    :param summary: :func:`summarize` of the running resource
    :param initial_sync: ``none``, ``full`` or ``skip``
    :param role: None (leave), ``primary`` or ``secondary``
    :returns: list of actions among ``new-current-uuid``, ``force-primary``,
        ``primary``, ``secondary``
    """
    actions = []
    disk, peer_disk = summary["disk_state"], summary["peer_disk_state"]
    connected = summary["connection_state"] == "Connected"
    current_role = summary["role"]
    never_synced = disk == "Inconsistent" and peer_disk == "Inconsistent" and connected
    if initial_sync == "skip" and disk == "Inconsistent":
        if peer_disk in HAS_DATA:
            raise DrbdError("initial_sync: skip refused: the peer has %s data; this node must sync "
                            "from it (wait for the resync)" % peer_disk)
        if not never_synced:
            raise DrbdError("initial_sync: skip needs both sides connected and Inconsistent "
                            "(new, empty disks); found disk %s, peer disk %s, connection %s"
                            % (disk, peer_disk, summary["connection_state"]))
        actions.append("new-current-uuid")
        disk = peer_disk = "UpToDate"
    elif initial_sync == "full" and disk == "Inconsistent":
        if not force_primary:
            raise DrbdError("initial_sync: full makes this node the sync source with primary --force, "
                            "which overwrites the peer: set force_primary: true to confirm")
        if peer_disk in HAS_DATA:
            raise DrbdError("force_primary refused: the peer has %s data, which a forced primary "
                            "would overwrite; let this node sync from the peer instead" % peer_disk)
        if not connected or peer_disk in (None, "DUnknown"):
            raise DrbdError("force_primary refused: the peer is not connected (connection %s), so it "
                            "cannot be checked for UpToDate data; bring the resource up on the peer first"
                            % summary["connection_state"])
        actions.append("force-primary")
        current_role = "Primary"
        disk = "UpToDate"
        if role != "primary":
            actions.append("secondary")
            current_role = "Secondary"
    if role == "primary" and current_role != "Primary":
        if disk != "UpToDate":
            if disk == "Inconsistent" and peer_disk in ("Inconsistent", "DUnknown", None):
                raise DrbdError(
                    "cannot become primary: the local disk is Inconsistent and no side has UpToDate data "
                    "(a new resource). Choose the initial sync: initial_sync: full with force_primary: true "
                    "(this node's data wins), or initial_sync: skip for new empty disks. Role changes never force.")
            raise DrbdError("cannot become primary: the local disk is %s, not UpToDate (peer disk %s). "
                            "Role changes never force; wait for the resync to finish." % (disk, peer_disk))
        actions.append("primary")
    elif role == "secondary" and current_role == "Primary":
        actions.append("secondary")
    return actions


# ---------------------------------------------------------------------------
# drbd_resource's action lists
# ---------------------------------------------------------------------------
# Each action is {"kind", "text" (its line in ``actions``), ...}: ``write``
# (``content`` to the resource file), ``remove`` (``path``), ``wipefs`` and
# ``create-md`` (``argv``; create-md also ``volume``, its result is checked),
# ``adm`` (a drbdadm ``argv`` and its error ``message``), ``secondary`` (its
# holders are named, before and after), ``later`` (only a line: what is
# decided once the resource is up). They are carried out by
# _runner.apply_actions (reported, not performed, in check mode).

def _adm_action(argv, text, message=None):
    return {"kind": "adm", "argv": list(argv), "text": text, "message": message}


def config_actions(path, content, changed):
    """Write the resource file when its text differs."""
    return [{"kind": "write", "path": path, "content": content, "text": "write %s" % path}] if changed else []


def metadata_actions(name, planned, wipe_existing):
    """wipefs (with ``wipe_existing``) and create-md for the volumes :func:`plan_metadata` did not keep.

    ``planned`` is ``[(volume, entry)]``, entry having ``decision`` and ``signatures``.
    """
    actions = []
    for volume, entry in planned:
        if entry["decision"] == "wipe-and-create":
            actions.append({"kind": "wipefs", "argv": ["--all", volume["disk"]],
                            "text": "wipefs --all %s (wipe_existing: %s)" % (
                                volume["disk"], ", ".join(s["type"] for s in foreign_signatures(entry["signatures"])))})
        argv = ["create-md"]
        if wipe_existing:
            # explicit consent: drbdmeta also refuses a disk that merely holds data ("Found some data")
            argv.append("--force")
        argv.append("%s/%d" % (name, volume["volume"]))
        actions.append({"kind": "create-md", "argv": argv, "volume": volume,
                        "text": "create-md %s/%d on %s" % (name, volume["volume"], volume["disk"])})
    return actions


def adjust_pending(dry_run_stdout):
    """The changes ``drbdadm -d adjust`` prints (comments and blank lines left out)."""
    return [line for line in dry_run_stdout.splitlines() if line.strip() and not line.startswith("#")]


def adjust_actions(name, was_up, pending):
    """``drbdadm adjust``: to bring the resource up, or for what ``drbdadm -d adjust`` found pending.

    ``pending`` None means it could not be asked (the new file is not written
    yet, in check mode): the adjust that will apply it is planned.
    """
    if not was_up:
        return [_adm_action(["adjust", name], "adjust %s (bring up)" % name, "drbdadm adjust failed")]
    if pending is None:
        return [_adm_action(["adjust", name], "adjust %s (apply the new file)" % name, "drbdadm adjust failed")]
    if pending:
        return [_adm_action(["adjust", name], "adjust %s: %s" % (name, "; ".join(pending)), "drbdadm adjust failed")]
    return []


def sync_and_role_actions(name, volumes, planned):
    """The drbdadm actions for :func:`plan_sync_and_role`'s verbs."""
    actions = []
    for verb in planned:
        if verb == "new-current-uuid":
            for volume in volumes:
                actions.append(_adm_action(
                    ["new-current-uuid", "--clear-bitmap", "%s/%d" % (name, volume["volume"])],
                    "new-current-uuid --clear-bitmap %s/%d (skip the initial sync)" % (name, volume["volume"]),
                    "new-current-uuid failed"))
        elif verb == "force-primary":
            actions.append(_adm_action(["primary", "--force", name],
                                       "primary --force %s (initial full sync from this node)" % name,
                                       "drbdadm primary --force failed"))
        elif verb == "primary":
            actions.append(_adm_action(["primary", name], "primary %s" % name, "drbdadm primary failed"))
        elif verb == "secondary":
            actions.append({"kind": "secondary", "argv": ["secondary", name], "text": "secondary %s" % name})
    return actions


def sync_and_role_later(initial_sync, role):
    """The line for a sync and role that can only be planned once the resource is up."""
    return [{"kind": "later", "text": "then: initial sync %s / role %s, decided once the resource is up"
                                      % (initial_sync, role or "unchanged")}]


def absent_actions(name, path, up, file_exists):
    """Take the resource down, then remove its file."""
    actions = []
    if up:
        actions.append(_adm_action(["down", name], "down %s" % name))
    if file_exists:
        actions.append({"kind": "remove", "path": path, "text": "remove %s" % path})
    return actions


def settled(summary):
    """True when the resource is past attach/connect transitions (for waiting loops)."""
    if not summary["up"]:
        return False
    if any(v["disk_state"] in TRANSIENT_DISK for v in summary["volumes"]):
        return False
    if summary["connection_state"] != "Connected":
        return False
    return summary["replication_state"] not in ("WFBitMapS", "WFBitMapT", "WFSyncUUID",
                                                "StartingSyncS", "StartingSyncT")


# ---------------------------------------------------------------------------
# who holds a device open (read from /proc and /sys, no process started)
# ---------------------------------------------------------------------------
def find_holders(devices, proc_root="/proc", sys_root="/sys"):
    """Why ``devices`` (``/dev/drbdN`` paths) are open: mounts, stacked devices, processes.

    Returns a list of sentences such as ``/dev/drbd0 is mounted on /srv/data``
    or ``/dev/drbd0 is open in process mysqld (pid 812)`` (the scan is ``_block``'s).
    """
    wanted = set(devices)
    found = ["%s is mounted on %s" % (source, target)
             for source, target in _block.mounts(proc_root) if source in wanted]
    for dev in sorted(wanted):
        for _name, holder in _block.holders(os.path.basename(dev), os.path.join(sys_root, "block")):
            found.append("%s is held by the stacked device %s" % (dev, holder))
    for pid, comm, target in _block.open_by(sorted(wanted), proc_root):
        found.append("%s is open in process %s (pid %s)" % (target, comm or "?", pid))
    return found
