# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: is every node's CIB the DC's?

Pure functions over ``cibadmin --query`` text, used by ``pcs_cib`` (before and
after a push) and ``pacemaker_cib_sync`` (after cluster formation):

* :func:`identity`: a CIB's version (admin_epoch, epoch, num_updates) and a
  digest of its ``<configuration>`` in canonical XML form;
* :func:`dc_name`: the DC's node name, from the CIB's ``dc-uuid`` and its
  ``<nodes>`` section;
* :func:`diverged`: the nodes whose configuration differs from the DC's.

Pacemaker keeps the nodes' CIBs equal by version numbers alone: a node
applies a change only when its version is the change's source version, and
takes a full copy only when its own version is *lower*. Two CIBs that reached
the same or a higher version with other content (as when two nodes wrote
their own CIB before they saw each other) stay different for good, and every
later change pushed through the node that is ahead fails on the DC. Comparing
the configuration digests, not only the versions, is what finds that.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import xml.etree.ElementTree as ET


class CibVersionError(ValueError):
    """A CIB text that cannot be read."""


def _root(text, what="cibadmin --query"):
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        raise CibVersionError("%s did not return XML: %s" % (what, e))
    if root.tag != "cib":
        raise CibVersionError("%s returned <%s>, not <cib>" % (what, root.tag))
    return root


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def configuration_digest(root):
    """SHA-256 (first 16 hex digits) of ``<configuration>`` in canonical form.

    Attribute order and whitespace between elements do not count; anything
    else (ids, values, order of elements) does.
    """
    config = root.find("configuration")
    if config is None:
        return ""
    text = ET.canonicalize(ET.tostring(config, encoding="unicode"), strip_text=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def identity(text, what="cibadmin --query"):
    """``{admin_epoch, epoch, num_updates, digest, version}`` of a CIB text."""
    root = _root(text, what)
    ident = {
        "admin_epoch": _int(root.get("admin_epoch")),
        "epoch": _int(root.get("epoch")),
        "num_updates": _int(root.get("num_updates")),
        "digest": configuration_digest(root),
    }
    ident["version"] = version_text(ident)
    return ident


def version_text(ident):
    """``0.8.20 (digest 1a2b...)``: how a CIB is named in messages."""
    if ident is None:
        return "unreadable"
    return "%d.%d.%d (configuration %s)" % (
        ident["admin_epoch"], ident["epoch"], ident["num_updates"], ident["digest"])


def dc_name(text):
    """The DC's node name as the CIB records it, or None when there is no DC."""
    root = _root(text)
    uuid = root.get("dc-uuid")
    if not uuid:
        return None
    for node in root.iterfind("configuration/nodes/node"):
        if node.get("id") == uuid:
            return node.get("uname")
    return None


def same_configuration(a, b):
    """Two identities hold the same configuration (num_updates is status only)."""
    return (a is not None and b is not None
            and (a["admin_epoch"], a["epoch"], a["digest"]) == (b["admin_epoch"], b["epoch"], b["digest"]))


def diverged(identities, dc):
    """Sorted names of the nodes whose CIB configuration is not the DC's.

    ``identities`` maps node name to :func:`identity` (None: unreadable).
    Without a DC, or with the DC's CIB unreadable, every node counts.
    """
    ref = identities.get(dc) if dc else None
    if ref is None:
        return sorted(identities)
    return sorted(n for n, ident in identities.items() if not same_configuration(ident, ref))


def divergence_message(identities, dc):
    """One sentence naming the DC's CIB and every diverged node's."""
    bad = diverged(identities, dc)
    if not bad:
        return ""
    if dc is None or identities.get(dc) is None:
        return ("no DC CIB to compare with (DC %s); nodes: %s"
                % (dc or "none", "; ".join("%s %s" % (n, version_text(identities[n])) for n in bad)))
    return ("the CIB of %s differs from the DC's (%s %s): %s"
            % (", ".join(bad), dc, version_text(identities[dc]),
               "; ".join("%s %s" % (n, version_text(identities[n])) for n in bad)))
