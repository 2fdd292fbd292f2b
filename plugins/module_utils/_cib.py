# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: the CIB model of pcs_cib, one import for its users.

Pure functions on CIB XML (``xml.etree.ElementTree``), no processes, in
four modules by concern; this one only re-exports their public names:

* ``_cib_input`` -- :func:`normalise_input` checks and canonicalises the
  module input (and the small normalisers, secret names, cluster options);
* ``_cib_snapshot`` -- :func:`parse_cib` (the collection's one CIB parser)
  and :func:`snapshot`, every object of a CIB in a normalised, id-free form;
* ``_cib_apply`` -- :func:`apply_desired` edits a *copy* of a CIB so it
  holds the desired objects, touching nothing it does not own;
  :func:`verify_problems` reads ``crm_verify -VV`` output;
* ``_cib_plan`` -- :func:`plan` compares two snapshots object by object,
  :func:`ownership_violations` checks the plan, :func:`render_object` and
  :func:`render_diff` print it (secrets redacted) for diff mode.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hastorage.cluster.plugins.module_utils._cib_input import (
    ACTIONS,
    CibError,
    KINDS,
    PROTECTED_PREFIXES,
    READ_ONLY_PROPERTIES,
    REDACTED,
    ROLE_ALIASES,
    RUNTIME_META,
    SECRET_NAME,
    UNSAFE_BEFORE,
    agent_text,
    check_duration,
    cluster_option_rules,
    constraint_key_from_input,
    constraint_role,
    default_constraint_id,
    duration_ms,
    is_protected,
    is_secret,
    normalise_duration,
    normalise_input,
    normalise_role,
    normalise_score,
    parse_agent,
    primitive_kind,
    property_errors,
    register_secret_names,
    text_value,
    unsafe_order_message,
)
from ansible_collections.hastorage.cluster.plugins.module_utils._cib_snapshot import (
    OWNED_KINDS,
    OWNER,
    OWNER_SET_ID,
    RESOURCE_KINDS,
    constraint_key_from_element,
    is_adopted,
    owned_keys,
    parse_cib,
    serialize,
    snapshot,
)
from ansible_collections.hastorage.cluster.plugins.module_utils._cib_apply import (
    STATUSLESS_WARNINGS,
    apply_desired,
    build_constraint,
    build_primitive,
    bump_epoch,
    check_unsafe_order_in_cib,
    desired_keys,
    new_verify_problems,
    verify_problems,
)
from ansible_collections.hastorage.cluster.plugins.module_utils._cib_plan import (
    action_lines,
    managed_keys,
    ownership_violations,
    plan,
    redact_snapshot,
    render_diff,
    render_object,
)

__all__ = (
    "ACTIONS",
    "CibError",
    "KINDS",
    "PROTECTED_PREFIXES",
    "READ_ONLY_PROPERTIES",
    "REDACTED",
    "ROLE_ALIASES",
    "RUNTIME_META",
    "SECRET_NAME",
    "UNSAFE_BEFORE",
    "agent_text",
    "check_duration",
    "cluster_option_rules",
    "constraint_key_from_input",
    "constraint_role",
    "default_constraint_id",
    "duration_ms",
    "is_protected",
    "is_secret",
    "normalise_duration",
    "normalise_input",
    "normalise_role",
    "normalise_score",
    "parse_agent",
    "primitive_kind",
    "property_errors",
    "register_secret_names",
    "text_value",
    "unsafe_order_message",
    "OWNED_KINDS",
    "OWNER",
    "OWNER_SET_ID",
    "RESOURCE_KINDS",
    "constraint_key_from_element",
    "is_adopted",
    "owned_keys",
    "parse_cib",
    "serialize",
    "snapshot",
    "STATUSLESS_WARNINGS",
    "apply_desired",
    "build_constraint",
    "build_primitive",
    "bump_epoch",
    "check_unsafe_order_in_cib",
    "desired_keys",
    "new_verify_problems",
    "verify_problems",
    "action_lines",
    "managed_keys",
    "ownership_violations",
    "plan",
    "redact_snapshot",
    "render_diff",
    "render_object",
)
