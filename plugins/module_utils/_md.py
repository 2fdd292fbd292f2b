# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: Linux software RAID (mdadm).

Pure functions only: they parse what ``mdadm --detail --export``,
``mdadm --examine --export``, ``mdadm --detail --brief``, ``blkid -p -o
export`` and the md sysfs attributes print, check the options, and plan
what ``hastorage.cluster.md_array`` has to run. Nothing here starts a
process or reads a file; the module does that and hands the text over.

A refusal is an :class:`MdError` raised while planning, so it always comes
before the first changing command.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

LEVELS = (0, 1, 4, 5, 6, 10)
# Fewest raid devices per level. 0 and 1 with one device need --force in
# mdadm and give nothing; 10 uses mdadm's default near-2 layout, which works
# from two devices (like RAID1) upward.
MIN_DEVICES = {0: 2, 1: 2, 4: 3, 5: 3, 6: 4, 10: 2}
PARITY_LEVELS = (4, 5, 6)
METADATA_VERSIONS = ("0.90", "1.0", "1.1", "1.2")
DEVICE_RE = re.compile(r"^/dev/(md[0-9]+|md/[A-Za-z0-9_.:-]+)$")
NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
# blkid TYPE of an md member; it is read from mdadm --examine instead
MD_MEMBER_TYPE = "linux_raid_member"
NEW_UUID = "<assigned by mdadm --create>"


class MdError(Exception):
    """A refusal: the message says what was found and what to do."""


# parsing -----------------------------------------------------------------------
def _unescape(value):
    """blkid's export format escapes blanks and specials with a backslash."""
    out = []
    i = 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            out.append(value[i + 1])
            i += 2
            continue
        out.append(value[i])
        i += 1
    return "".join(out)


def parse_export(text):
    """``KEY=value`` lines (``--export`` of mdadm, ``-o export`` of blkid) to a dict."""
    values = {}
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or "=" not in line:
            continue
        key, value = line.split("=", 1)
        values[key.strip()] = _unescape(value.strip())
    return values


def level_number(md_level):
    """``raid1`` -> 1; ``None`` for linear, container and anything else."""
    match = re.match(r"^raid(\d+)$", md_level or "")
    return int(match.group(1)) if match else None


def level_name(level):
    return "raid%d" % level


def uuid_key(uuid):
    """Comparable form of an md UUID (mdadm prints ``a:b:c:d``, blkid ``aaaa-bb..``)."""
    return re.sub(r"[^0-9a-f]", "", (uuid or "").lower())


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


_DEVICE_KEY = re.compile(r"^MD_DEVICE_(.+)_(ROLE|DEV)$")


def parse_detail(text):
    """``mdadm --detail --export DEV`` of an array.

    Returns ``level`` (``raid1``), ``level_number``, ``raid_devices``,
    ``metadata``, ``uuid``, ``name``, ``devname`` and ``devices``: one dict per
    component with ``device`` (path) and ``role`` (a slot number as a string,
    ``spare``, ``faulty`` or ``journal``), in mdadm's order.
    """
    values = parse_export(text)
    parts = {}
    order = []
    for key, value in values.items():
        match = _DEVICE_KEY.match(key)
        if not match:
            continue
        ident, what = match.groups()
        if ident not in parts:
            parts[ident] = {}
            order.append(ident)
        parts[ident][what] = value
    devices = []
    for ident in order:
        part = parts[ident]
        if "DEV" in part:
            devices.append({"device": part["DEV"], "role": part.get("ROLE", "unknown")})
    return {
        "level": values.get("MD_LEVEL"),
        "level_number": level_number(values.get("MD_LEVEL")),
        "raid_devices": _int(values.get("MD_DEVICES")),
        "metadata": values.get("MD_METADATA"),
        "uuid": values.get("MD_UUID"),
        "name": values.get("MD_NAME"),
        "devname": values.get("MD_DEVNAME"),
        "devices": devices,
    }


def parse_examine(rc, text):
    """``mdadm --examine --export MEMBER``: the md superblock, or None when there is none."""
    if rc != 0:
        return None
    values = parse_export(text)
    if not values.get("MD_UUID"):
        return None
    return {
        "uuid": values.get("MD_UUID"),
        "level": values.get("MD_LEVEL"),
        "level_number": level_number(values.get("MD_LEVEL")),
        "raid_devices": _int(values.get("MD_DEVICES")),
        "name": values.get("MD_NAME"),
        "dev_uuid": values.get("MD_DEV_UUID"),
        "events": _int(values.get("MD_EVENTS")),
    }


def parse_blkid(rc, stdout, stderr, device):
    """``blkid -p -o export DEVICE`` to a list of signatures (``[]``: blank).

    blkid exits 2 when it finds nothing and 8 when the result is ambivalent
    (several filesystems: wipefs shows them all); anything else but 0 is an
    error the caller must not read as "blank".
    """
    if rc == 2 and not (stdout or "").strip():
        return []
    if rc == 8:
        return [{"type": "ambivalent", "usage": None,
                 "detail": (stderr or "").strip() or "several signatures (ambivalent probing result)"}]
    if rc != 0:
        raise MdError("blkid could not probe %s (rc %s): %s; nothing was changed"
                      % (device, rc, (stderr or stdout or "").strip()))
    values = parse_export(stdout)
    found = []
    if values.get("TYPE"):
        found.append({"type": values["TYPE"], "usage": values.get("USAGE"),
                      "uuid": values.get("UUID"), "label": values.get("LABEL")})
    if values.get("PTTYPE"):
        found.append({"type": "partition table", "usage": "partition table", "pttype": values["PTTYPE"],
                      "uuid": values.get("PTUUID")})
    if not found and values:
        # some other signature blkid described without TYPE/PTTYPE
        found.append({"type": "unknown", "usage": values.get("USAGE"), "detail": stdout.strip()})
    return found


_SIG_WORDS = {
    "LVM2_member": "an LVM2 physical volume",
    "drbd": "DRBD metadata",
    MD_MEMBER_TYPE: "an md RAID superblock",
    "swap": "a swap area",
    "crypto_LUKS": "a LUKS header",
    "zfs_member": "a ZFS pool member",
    "ceph_bluestore": "a Ceph BlueStore device",
}


def describe_signature(sig):
    """Words for one blkid signature, for messages."""
    if sig["type"] == "partition table":
        text = "a %s partition table" % sig.get("pttype")
    elif sig["type"] == "ambivalent":
        return "several signatures (blkid: %s)" % sig.get("detail")
    elif sig["type"] in _SIG_WORDS:
        text = _SIG_WORDS[sig["type"]]
    elif sig.get("usage") == "filesystem":
        text = "a%s %s filesystem" % ("n" if sig["type"][:1].lower() in "aeiou" else "", sig["type"])
    else:
        text = "a %s signature%s" % (sig["type"], " (%s)" % sig["usage"] if sig.get("usage") else "")
    extras = []
    if sig.get("label"):
        extras.append("label %s" % sig["label"])
    if sig.get("uuid"):
        extras.append("UUID %s" % sig["uuid"])
    return text + (" (%s)" % ", ".join(extras) if extras else "")


def parse_brief(text):
    """The ``ARRAY`` line of ``mdadm --detail --brief DEV`` (whitespace normalised)."""
    for line in (text or "").splitlines():
        if line.strip().startswith("ARRAY "):
            return " ".join(line.split())
    return None


def conf_line(brief, spares):
    """The ARRAY line to keep in mdadm.conf: ``brief`` with ``spares=`` set from the options.

    mdadm prints ``spares=N`` for the spares present at that moment, and a new
    RAID5 counts the disk it is building onto as one (recorded): the line
    would change once the build ends. The conf file gets the number of spares
    asked for instead (``mdadm --monitor`` reports fewer), none when none.
    """
    if not brief:
        return brief
    tokens = [t for t in brief.split() if not t.startswith("spares=")]
    if spares:
        at = next((i + 1 for i, t in enumerate(tokens) if t.startswith("metadata=")), 2)
        tokens.insert(at, "spares=%d" % spares)
    return " ".join(tokens)


def sync_progress(completed):
    """sysfs ``sync_completed`` (``"1234 / 131072"``, ``"none"``, ``"delayed"``) to a percentage."""
    match = re.match(r"^\s*(\d+)\s*/\s*(\d+)\s*$", completed or "")
    if not match or int(match.group(2)) == 0:
        return None
    return round(100.0 * int(match.group(1)) / int(match.group(2)), 1)


def summarize(detail, sysfs, kernels=None):
    """The ``array`` result: the parsed detail plus the md sysfs attributes.

    :param sysfs: ``{attribute: text or None}`` read from ``/sys/block/mdX/md/``
        (``array_state``, ``degraded``, ``sync_action``, ``sync_completed``,
        ``chunk_size``, ``bitmap/location`` and ``dev-<kernel name>/state``)
    :param kernels: ``{path: kernel name}`` of the components (default: the
        path's last part, which is what mdadm prints)

    mdadm 4.2 exports a faulty component with ``ROLE=spare`` (recorded); its
    sysfs ``state`` says ``faulty``, and that wins.
    """
    if not detail:
        return {}
    devices = []
    for dev in detail["devices"]:
        kernel = (kernels or {}).get(dev["device"]) or dev["device"].rsplit("/", 1)[-1]
        state = sysfs.get("dev-%s/state" % kernel) or ""
        role = "faulty" if "faulty" in state.split(",") else dev["role"]
        devices.append({"device": dev["device"], "role": role})
    members = [d["device"] for d in devices if d["role"].isdigit()]
    spares = [d["device"] for d in devices if d["role"] == "spare"]
    faulty = [d["device"] for d in devices if d["role"] == "faulty"]
    chunk = _int(sysfs.get("chunk_size"))
    action = sysfs.get("sync_action")
    return {
        "level": detail["level"],
        "uuid": detail["uuid"],
        "name": detail["name"],
        "metadata": detail["metadata"],
        "raid_devices": detail["raid_devices"],
        "devices": devices,
        "members": members,
        "spares": spares,
        "faulty": faulty,
        "state": sysfs.get("array_state"),
        "degraded": _int(sysfs.get("degraded")) or 0,
        "sync_action": action,
        "sync_progress": sync_progress(sysfs.get("sync_completed")) if action not in (None, "idle") else None,
        "chunk_kib": chunk // 1024 if chunk else None,
        "bitmap": bitmap_kind(sysfs.get("bitmap/location")),
    }


def bitmap_kind(location):
    """sysfs ``bitmap/location``: ``+8`` (offset from the superblock) is internal."""
    if location is None:
        return None
    if location == "none":
        return "none"
    if location.startswith("+") or location.startswith("-"):
        return "internal"
    return location


# options -----------------------------------------------------------------------
def check_params(p):
    """Everything wrong with the options, before any command runs (``[]``: fine)."""
    errors = []
    if not DEVICE_RE.match(p["device"] or ""):
        errors.append("device must be /dev/mdN or /dev/md/<name>, got %r" % p["device"])
    if p.get("name") is not None and not NAME_RE.match(p["name"]):
        errors.append("name must be 1 to 32 letters, digits, '.', '_' or '-', got %r" % p["name"])
    members = p.get("members") or []
    spares = p.get("spares") or []
    for key, devices in (("members", members), ("spares", spares)):
        bad = [d for d in devices if not (isinstance(d, str) and d.startswith("/dev/") and len(d) > 5
                                          and ".." not in d.split("/"))]
        if bad:
            errors.append("%s must be block device paths under /dev, got %s" % (key, ", ".join(repr(b) for b in bad)))
        dups = sorted(set(d for d in devices if devices.count(d) > 1))
        if dups:
            errors.append("%s lists %s more than once" % (key, ", ".join(dups)))
    conf_file = p.get("conf_file")
    if conf_file and not conf_file.startswith("/"):
        errors.append("conf_file must be an absolute path, got %r" % conf_file)
    both = sorted(set(members) & set(spares))
    if both:
        errors.append("%s in both members and spares" % ", ".join(both))
    if p["state"] == "absent":
        return errors
    level = p.get("level")
    if level is None:
        errors.append("level is required for state=present")
    if not members:
        errors.append("members must list at least one device for state=present")
    if level is None:
        return errors
    if members and len(members) < MIN_DEVICES[level]:
        errors.append("level %d needs at least %d members (raid devices), got %d"
                      % (level, MIN_DEVICES[level], len(members)))
    if level == 0 and spares:
        errors.append("level 0 has no redundancy, spares cannot be used")
    if level == 0 and p.get("bitmap") == "internal":
        errors.append("level 0 cannot have a write-intent bitmap (bitmap: internal)")
    if level == 1 and p.get("chunk") is not None:
        errors.append("chunk does not apply to level 1")
    if p.get("chunk") is not None and (p["chunk"] < 4 or p["chunk"] & (p["chunk"] - 1)):
        errors.append("chunk must be a power of two of at least 4 (KiB), got %s" % p["chunk"])
    if p.get("assume_clean"):
        if level in PARITY_LEVELS:
            errors.append("assume_clean is refused for level %d: blank is not zeroed, and parity that was "
                          "never computed stays wrong and corrupts data on the first rebuild" % level)
        if level == 0:
            errors.append("assume_clean means nothing for level 0 (no redundancy to sync)")
        if p.get("wipe_existing"):
            errors.append("assume_clean needs members that are blank already; it cannot be combined "
                          "with wipe_existing")
    return errors


def wanted_bitmap(p):
    """The bitmap to create with: the option, else internal for levels above 0."""
    if p.get("bitmap"):
        return p["bitmap"]
    return "internal" if p["level"] != 0 else None


def create_argv(p):
    """mdadm arguments of ``--create`` for the options (after the checks)."""
    argv = ["--create", p["device"], "--run", "--level=%d" % p["level"],
            "--raid-devices=%d" % len(p["members"]), "--metadata=%s" % p["metadata"]]
    if p.get("chunk") is not None:
        argv.append("--chunk=%d" % p["chunk"])
    bitmap = wanted_bitmap(p)
    if bitmap:
        argv.append("--bitmap=%s" % bitmap)
    if p.get("assume_clean"):
        argv.append("--assume-clean")
    if p.get("name"):
        argv.append("--name=%s" % p["name"])
    if p.get("spares"):
        argv.append("--spare-devices=%d" % len(p["spares"]))
    return argv + list(p["members"]) + list(p.get("spares") or [])


def assemble_argv(p):
    return ["--assemble", p["device"]] + list(p["members"]) + list(p.get("spares") or [])


# mdadm.conf ------------------------------------------------------------------------
def _entries(lines):
    """``(first, last, tokens)`` per ARRAY entry; lines that start with blanks continue it."""
    entries = []
    current = None
    for i, line in enumerate(lines):
        stripped = line.strip()
        if current is not None and line[:1] in (" ", "\t") and stripped and not stripped.startswith("#"):
            current[1] = i
            current[2].extend(stripped.split())
            continue
        if current is not None:
            entries.append(tuple(current))
            current = None
        if stripped.split()[:1] == ["ARRAY"]:
            current = [i, i, stripped.split()]
    if current is not None:
        entries.append(tuple(current))
    return entries


def _entry_uuid(tokens):
    for token in tokens:
        if token.lower().startswith("uuid="):
            return token.split("=", 1)[1]
    return None


def conf_lines_for(text, device, uuid):
    """The ARRAY entries of ``text`` that are this array's: same device or same UUID."""
    lines = (text or "").splitlines()
    found = []
    for first, last, tokens in _entries(lines):
        entry_uuid = _entry_uuid(tokens)
        if (len(tokens) > 1 and tokens[1] == device) or (uuid and entry_uuid and uuid_key(entry_uuid) == uuid_key(uuid)):
            found.append(" ".join(lines[first:last + 1][0].split()) if first == last
                         else " ".join(" ".join(lines[first:last + 1]).split()))
    return found


def plan_conf(text, device, uuid, line):
    """The conf file with exactly one ARRAY entry for the array (``line``), or none (``line=None``).

    Entries for the same device or the same UUID are the array's: the first
    is replaced in place, the others dropped; every other line is kept.
    Returns the new text (equal to ``text`` when nothing changes).
    """
    text = text or ""
    lines = text.splitlines()
    drop = set()
    first_at = None
    for first, last, tokens in _entries(lines):
        entry_uuid = _entry_uuid(tokens)
        same_dev = len(tokens) > 1 and tokens[1] == device
        same_uuid = bool(uuid and entry_uuid and uuid_key(entry_uuid) == uuid_key(uuid))
        if not (same_dev or same_uuid):
            continue
        if first_at is None and line is not None:
            first_at = first
            # keep it unchanged if it already says exactly this
            if first == last and " ".join(lines[first].split()) == line:
                continue
            lines[first] = line
            drop.update(range(first + 1, last + 1))
        else:
            drop.update(range(first, last + 1))
    out = [entry for i, entry in enumerate(lines) if i not in drop]
    if line is not None and first_at is None:
        out.append(line)
    if out == text.splitlines():
        return text
    return "\n".join(out) + "\n" if out else ""


def predicted_brief(p, uuid, name=None):
    """An ARRAY line as mdadm --detail --brief would print it, for check mode."""
    parts = ["ARRAY", p["device"], "metadata=%s" % p["metadata"]]
    if p.get("spares"):
        parts.append("spares=%d" % len(p["spares"]))
    if name:
        parts.append("name=%s" % name)
    parts.append("UUID=%s" % uuid)
    return " ".join(parts)


# planning ------------------------------------------------------------------------
def _md_path(kernel):
    return "/dev/%s" % kernel


def stale_inactive_arrays(devices, own_kernel):
    """Inactive md arrays that hold only devices of this array: udev's incremental assembly.

    At boot, or when a disk shows up, udev runs ``mdadm --incremental``, which
    gathers the members under the name in the superblock (``/dev/md127``,
    with no ``/dev/md/<name>`` link while inactive) and starts the array only
    when it is complete. Such an array cannot be opened; stopping it frees the
    members for the assembly under the device asked for. Inactive arrays
    that also hold other devices are not returned (they are refused).
    """
    wanted = set(d["kernel"] for d in devices if d.get("kernel"))
    found = []
    for dev in devices:
        for holder in dev.get("holders") or []:
            if holder == own_kernel or holder in found:
                continue
            state = (dev.get("holder_states") or {}).get(holder)
            slaves = set((dev.get("holder_slaves") or {}).get(holder) or [])
            if state == "inactive" and slaves and slaves <= wanted:
                found.append(holder)
    return found


def in_use_problems(dev, own_kernel, ignore=()):
    """Why a device cannot be touched whatever the options: mounted, or held by something else.

    :param dev: ``{"path", "kernel", "holders": [...], "mounts": [...]}``
    :param ignore: holders that are dealt with (stale inactive arrays to stop)
    """
    problems = []
    for mountpoint in dev.get("mounts") or []:
        problems.append("%s is mounted on %s" % (dev["path"], mountpoint))
    for holder in dev.get("holders") or []:
        if holder == own_kernel or holder in ignore:
            continue
        if holder.startswith("md") and (dev.get("holder_states") or {}).get(holder) == "inactive":
            problems.append("%s is in the inactive (partly assembled) array %s, which also holds devices that "
                            "are not listed here: stop it first with `mdadm --stop %s`"
                            % (dev["path"], _md_path(holder), _md_path(holder)))
        elif holder.startswith("md"):
            problems.append("%s is a member of the running array %s (stop that array, or manage it "
                            "under its own device)" % (dev["path"], _md_path(holder)))
        elif holder.startswith("dm-"):
            problems.append("%s is held by the device-mapper device %s (an active LVM volume, "
                            "multipath or crypt mapping)" % (dev["path"], holder))
        else:
            problems.append("%s is held by %s" % (dev["path"], holder))
    return problems


def _same_name(actual, wanted):
    """mdadm stores ``homehost:name``; ``wanted`` matches either form."""
    if not actual:
        return False
    return actual == wanted or actual.split(":", 1)[-1] == wanted


def compare_running(p, summary, kernels):
    """What differs between a running array and the options (``[]``: it is the array asked for).

    :param summary: :func:`summarize` of the running array
    :param kernels: ``{path: kernel name}`` for the wanted and the array's devices
    """
    diffs = []
    if summary["level"] != level_name(p["level"]):
        diffs.append("its level is %s, not %s" % (summary["level"], level_name(p["level"])))
    if summary["raid_devices"] != len(p["members"]):
        diffs.append("it has %s raid devices, members lists %d" % (summary["raid_devices"], len(p["members"])))
    have = dict((kernels.get(d["device"], d["device"]), d) for d in summary["devices"])
    wanted = [(path, kernels.get(path, path)) for path in list(p["members"]) + list(p.get("spares") or [])]
    missing = [path for path, k in wanted if k not in have]
    extra = [d["device"] for k, d in have.items() if k not in [w[1] for w in wanted]]
    if missing:
        text = "%s %s not in the array" % (", ".join(missing), "is" if len(missing) == 1 else "are")
        if summary.get("degraded"):
            text += (" (it runs degraded, %d device(s) missing: put a device back with "
                     "`mdadm %s --add DEVICE`, this module does not rebuild arrays)" % (summary["degraded"], p["device"]))
        diffs.append(text)
    if extra:
        diffs.append("%s %s in the array but not in members or spares"
                     % (", ".join(extra), "is" if len(extra) == 1 else "are"))
    if p.get("metadata") and summary.get("metadata") and summary["metadata"] != p["metadata"]:
        diffs.append("its metadata is %s, not %s" % (summary["metadata"], p["metadata"]))
    if p.get("name") and not _same_name(summary.get("name"), p["name"]):
        diffs.append("its name is %s, not %s" % (summary.get("name"), p["name"]))
    if p.get("chunk") is not None and summary.get("chunk_kib") != p["chunk"]:
        diffs.append("its chunk is %s KiB, not %d" % (summary.get("chunk_kib"), p["chunk"]))
    if p.get("bitmap") and summary.get("bitmap") and summary["bitmap"] != p["bitmap"]:
        diffs.append("its bitmap is %s, not %s" % (summary["bitmap"], p["bitmap"]))
    return diffs


def role_warnings(p, summary, kernels):
    """Same devices, other roles (a spare took over after a failure), and degraded arrays."""
    warnings = []
    members = set(kernels.get(m, m) for m in p["members"])
    spares = set(kernels.get(s, s) for s in p.get("spares") or [])
    now_active = [d["device"] for d in summary["devices"] if d["role"].isdigit() and kernels.get(d["device"], d["device"]) in spares]
    now_spare = [d["device"] for d in summary["devices"] if d["role"] == "spare" and kernels.get(d["device"], d["device"]) in members]
    if now_active:
        warnings.append("%s (listed in spares) is an active member of %s now, a spare took over after a failure"
                        % (", ".join(now_active), p["device"]))
    if now_spare:
        warnings.append("%s (listed in members) is a spare of %s" % (", ".join(now_spare), p["device"]))
    if summary.get("faulty"):
        warnings.append("%s of %s %s faulty; replace it (mdadm %s --remove/--add)"
                        % (", ".join(summary["faulty"]), p["device"], "is" if len(summary["faulty"]) == 1 else "are",
                           p["device"]))
    if summary.get("degraded"):
        text = "%s is degraded: %d of %s raid devices missing" % (p["device"], summary["degraded"], summary["raid_devices"])
        if summary.get("sync_action") not in (None, "idle"):
            text += " (%s running, %s%%)" % (summary["sync_action"], summary.get("sync_progress"))
        warnings.append(text)
    return warnings


def _array_words(sb):
    words = "%s of %s devices" % (sb.get("level"), sb.get("raid_devices"))
    if sb.get("name"):
        words += ", name %s" % sb["name"]
    return "array %s (%s)" % (sb["uuid"], words)


def plan_stopped(p, devices):
    """The plan for an array that does not run: assemble it, or create it, or refuse.

    :param devices: one dict per member then spare, in option order: ``path``,
        ``kernel``, ``examine`` (:func:`parse_examine`), ``signatures``
        (:func:`parse_blkid`, md members left out)
    :returns: ``{"mode": "assemble"|"create", "steps": [(binary, argv, action)],
        "uuid": uuid or None, "name": name from the superblocks}``
    """
    sbs = [d["examine"] for d in devices]
    uuids = set(uuid_key(sb["uuid"]) for sb in sbs if sb)
    n_members = len(p["members"])
    if sbs and all(sbs) and len(uuids) == 1:
        sb = sbs[0]
        matches = (sb["level"] == level_name(p["level"]) and sb["raid_devices"] == n_members
                   and (not p.get("name") or _same_name(sb.get("name"), p["name"])))
        if matches:
            argv = assemble_argv(p)
            return {"mode": "assemble", "uuid": sb["uuid"], "name": sb.get("name"),
                    "steps": [("mdadm", argv, "assemble %s from %s (%s)"
                               % (p["device"], ", ".join(d["path"] for d in devices), _array_words(sb)))]}
    problems = []
    blank = True
    for dev in devices:
        held = []
        sb = dev["examine"]
        if sb:
            text = "an md superblock of %s" % _array_words(sb)
            if len(uuids) == 1 and all(sbs):
                text += ", which is not the array asked for (%s of %d devices%s)" % (
                    level_name(p["level"]), n_members, ", name %s" % p["name"] if p.get("name") else "")
            elif len(uuids) == 1:
                text += " that %s do not hold" % ", ".join(d["path"] for d in devices if not d["examine"])
            held.append(text)
        held.extend(describe_signature(s) for s in dev["signatures"])
        if held:
            blank = False
            problems.append((dev, held))
    if problems and not p.get("wipe_existing"):
        raise MdError("refusing to create %s: %s; nothing was changed. Set wipe_existing: true to erase "
                      "these signatures (it destroys what they hold)%s"
                      % (p["device"], "; ".join("%s holds %s" % (dev["path"], " and ".join(held)) for dev, held in problems),
                         _assemble_hint(p, devices, uuids)))
    if p.get("assume_clean") and not blank:
        raise MdError("assume_clean needs members that blkid finds blank: %s" % "; ".join(
            "%s holds %s" % (dev["path"], " and ".join(held)) for dev, held in problems))
    steps = []
    for dev, held in problems:
        if dev["examine"]:
            steps.append(("mdadm", ["--zero-superblock", dev["path"]],
                          "zero the md superblock on %s (wipe_existing: %s)" % (dev["path"], _array_words(dev["examine"]))))
        if dev["signatures"]:
            steps.append(("wipefs", ["-a", dev["path"]], "wipefs -a %s (wipe_existing: %s)"
                          % (dev["path"], ", ".join(describe_signature(s) for s in dev["signatures"]))))
    level_words = "%s of %d device(s)" % (level_name(p["level"]), n_members)
    if p.get("spares"):
        level_words += " + %d spare(s)" % len(p["spares"])
    steps.append(("mdadm", create_argv(p), "create %s: %s on %s%s" % (
        p["device"], level_words, ", ".join(d["path"] for d in devices),
        " (assume_clean: no initial sync)" if p.get("assume_clean") else "")))
    return {"mode": "create", "uuid": None, "name": None, "steps": steps}


def _assemble_hint(p, devices, uuids):
    if len(uuids) != 1:
        return ""
    holders = [d["path"] for d in devices if d["examine"]]
    return (". If %s should be this array, assemble it by hand (mdadm --assemble --run %s %s) and add the "
            "other devices with mdadm %s --add" % (", ".join(holders), p["device"], " ".join(holders), p["device"]))


def check_devices(p, devices, own_kernel, ignore=()):
    """Refusals that come before any probing: missing devices, two paths to one disk, devices in use."""
    missing = [d["path"] for d in devices if not d["kernel"]]
    if missing:
        raise MdError("%s %s; nothing was changed" % (", ".join(missing), "does not exist or is not a block device"
                                                      if len(missing) == 1 else
                                                      "do not exist or are not block devices"))
    seen = {}
    for dev in devices:
        if dev["kernel"] in seen:
            raise MdError("%s and %s are the same device (%s)" % (seen[dev["kernel"]], dev["path"], dev["kernel"]))
        seen[dev["kernel"]] = dev["path"]
    problems = []
    for dev in devices:
        problems.extend(in_use_problems(dev, own_kernel, ignore))
    if problems:
        raise MdError("refusing to touch %s: %s; nothing was changed" % (p["device"], "; ".join(problems)))


def plan_destroy_stopped(p, devices, conf_uuid):
    """``state: absent`` with ``allow_destroy`` for an array that is not running.

    Zeroes the superblocks of the listed devices that hold this array's:
    the UUID of its ARRAY line in the conf file, else the one UUID the
    listed devices share. A device holding another array's superblock is
    refused.
    """
    with_sb = [d for d in devices if d["examine"]]
    if not with_sb:
        return []
    if conf_uuid:
        uuid = conf_uuid
    else:
        uuids = set(uuid_key(d["examine"]["uuid"]) for d in with_sb)
        if len(uuids) != 1:
            raise MdError("the devices listed hold superblocks of %d different arrays (%s) and %s has no ARRAY "
                          "line to tell which is %s; nothing was changed" % (
                              len(uuids), "; ".join("%s: %s" % (d["path"], _array_words(d["examine"])) for d in with_sb),
                              p["conf_file"] or "the conf file", p["device"]))
        uuid = with_sb[0]["examine"]["uuid"]
    others = [d for d in with_sb if uuid_key(d["examine"]["uuid"]) != uuid_key(uuid)]
    if others:
        raise MdError("refusing to zero %s: %s; nothing was changed" % (", ".join(d["path"] for d in others), "; ".join(
            "%s holds the superblock of %s, not of %s (%s)" % (d["path"], _array_words(d["examine"]), p["device"], uuid)
            for d in others)))
    return [("mdadm", ["--zero-superblock", d["path"]],
             "zero the md superblock on %s (allow_destroy: %s is destroyed)" % (d["path"], p["device"]))
            for d in with_sb]
