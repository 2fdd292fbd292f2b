# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: corosync configuration.

Pure functions, no process is started here:

* :func:`parse_corosync_conf` reads the text of ``corosync.conf``;
* :func:`config_from_pcs_json` and :func:`config_from_corosync_tree` turn
  ``pcs cluster config --output-format=json`` or a parsed file into one
  normalised model;
* :func:`desired_config` builds the same model from module parameters;
* :func:`plan_cluster` compares both and returns the ``pcs`` commands that
  bring the live cluster to the wanted state, each marked with whether it
  needs the whole cluster stopped;
* :func:`parse_known_hosts` and :func:`parse_pcsd_status` read what pcs
  knows about its peers (never the tokens).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json
import re


class CorosyncParseError(ValueError):
    """corosync.conf could not be parsed."""


class PlanError(ValueError):
    """The wanted configuration cannot be reached safely; the text says why."""


# Options whose change pcs applies only to a stopped cluster.
TRANSPORT_OPTIONS_NEED_STOP = ("ip_version", "netmtu")
QUORUM_OPTIONS = ("auto_tie_breaker", "last_man_standing", "last_man_standing_window", "wait_for_all")
SECTIONS = ("totem", "transport_options", "crypto", "compression", "quorum")


# ---------------------------------------------------------------------------
# corosync.conf text
# ---------------------------------------------------------------------------
def parse_corosync_conf(text):
    """Parse corosync.conf into nested dicts.

    A section becomes a dict of its attributes (strings); sub-sections are
    stored under their name as a *list* of dicts, because ``node`` and
    ``interface`` repeat. The top level is a dict of lists as well.
    """
    root = {}
    stack = [root]
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("{"):
            name = line[:-1].strip()
            if not name or not re.match(r"^[A-Za-z0-9_.-]+$", name):
                raise CorosyncParseError("line %d: bad section name %r" % (number, raw))
            section = {}
            stack[-1].setdefault(name, []).append(section)
            stack.append(section)
        elif line == "}":
            if len(stack) == 1:
                raise CorosyncParseError("line %d: unexpected '}'" % number)
            stack.pop()
        elif ":" in line:
            key, value = line.split(":", 1)
            key = key.strip()
            if not key:
                raise CorosyncParseError("line %d: attribute without a name: %r" % (number, raw))
            stack[-1][key] = value.strip()
        else:
            raise CorosyncParseError("line %d: cannot parse %r" % (number, raw))
    if len(stack) != 1:
        raise CorosyncParseError("unterminated section at the end of the file")
    return root


def _first(tree, name):
    items = tree.get(name) or []
    return items[0] if items else {}


KNET_PREFIXES = (("knet_compression_", "compression"), ("crypto_", "crypto"))
TOTEM_NOT_OPTIONS = ("version", "cluster_name", "transport", "cluster_uuid", "interface")
TRANSPORT_TOTEM_KEYS = ("ip_version", "knet_pmtud_interval", "link_mode", "netmtu")


def config_from_corosync_tree(tree):
    """Normalised model (see :func:`empty_model`) from :func:`parse_corosync_conf`."""
    totem = _first(tree, "totem")
    model = empty_model()
    model["cluster_name"] = totem.get("cluster_name")
    model["transport"] = (totem.get("transport") or "knet").lower()
    for key, value in totem.items():
        if key in TOTEM_NOT_OPTIONS or isinstance(value, list):
            continue
        for prefix, section in KNET_PREFIXES:
            if key.startswith(prefix):
                model[section][key[len(prefix):]] = value
                break
        else:
            if key in TRANSPORT_TOTEM_KEYS:
                model["transport_options"][key] = value
            else:
                model["totem"][key] = value
    for index, interface in enumerate(totem.get("interface") or []):
        number = interface.get("linknumber", str(index))
        options = {}
        for key, value in interface.items():
            if key == "linknumber" or isinstance(value, list):
                continue
            options[key[5:] if key.startswith("knet_") else key] = value
        model["links_options"][str(number)] = options
    for node in _first(tree, "nodelist").get("node", []):
        addresses = {}
        for key, value in node.items():
            match = re.match(r"^ring(\d+)_addr$", key)
            if match:
                addresses[int(match.group(1))] = value
        model["nodes"].append({
            "name": node.get("name"),
            "nodeid": node.get("nodeid"),
            "addresses": addresses,
        })
    quorum = _first(tree, "quorum")
    for key, value in quorum.items():
        if key in ("provider",) or isinstance(value, list):
            continue
        model["quorum"][key] = value
    if quorum.get("device"):
        model["quorum_device"] = True
    return model


def empty_model():
    return {
        "cluster_name": None,
        "transport": "knet",
        "totem": {},
        "transport_options": {},
        "crypto": {},
        "compression": {},
        "links_options": {},
        "quorum": {},
        "quorum_device": False,
        "nodes": [],
    }


def config_from_pcs_json(text, two_node=None):
    """Normalised model from ``pcs cluster config --output-format=json``.

    pcs hides ``two_node`` (it manages it itself); pass the value read from
    the file with :func:`config_from_corosync_tree` to keep it.
    """
    data = json.loads(text) if isinstance(text, str) else text
    model = empty_model()
    model["cluster_name"] = data.get("cluster_name")
    model["transport"] = (data.get("transport") or "knet").lower()
    model["totem"] = dict(data.get("totem_options") or {})
    model["transport_options"] = dict(data.get("transport_options") or {})
    model["crypto"] = dict(data.get("crypto_options") or {})
    model["compression"] = dict(data.get("compression_options") or {})
    for number, options in (data.get("links_options") or {}).items():
        model["links_options"][str(number)] = dict((k, v) for k, v in options.items() if k != "linknumber")
    model["quorum"] = dict(data.get("quorum_options") or {})
    if two_node is not None:
        model["quorum"]["two_node"] = two_node
    model["quorum_device"] = data.get("quorum_device") is not None
    for node in data.get("nodes") or []:
        model["nodes"].append({
            "name": node.get("name"),
            "nodeid": node.get("nodeid"),
            "addresses": dict((int(a["link"]), a["addr"]) for a in node.get("addrs") or []),
        })
    return model


# ---------------------------------------------------------------------------
# wanted state
# ---------------------------------------------------------------------------
def option_value(value):
    """corosync spelling of an option value: booleans are 1/0."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if value is None:
        return ""
    return str(value)


def _options(options):
    return dict((str(k), option_value(v)) for k, v in (options or {}).items())


def desired_config(params):
    """The normalised model the module parameters ask for.

    ``params`` has ``name``, ``nodes`` (``[{name, addresses}]``),
    ``transport``, ``totem``, ``transport_options``, ``crypto``,
    ``compression``, ``links`` (``[{linknumber, ...options}]``) and
    ``quorum``. Keys a user does not give are not part of the model and are
    therefore never changed.
    """
    model = empty_model()
    model["cluster_name"] = params["name"]
    model["transport"] = params.get("transport") or "knet"
    for section in ("totem", "transport_options", "crypto", "compression", "quorum"):
        model[section] = _options(params.get(section))
    for link in params.get("links") or []:
        link = dict(link)
        number = str(link.pop("linknumber"))
        model["links_options"][number] = _options(link)
    for node in params["nodes"]:
        model["nodes"].append({
            "name": node["name"],
            "nodeid": None,
            "addresses": dict(enumerate(node.get("addresses") or [])),
        })
    return model


# What pcs 0.11.5 accepts for a new cluster (pcs/lib/corosync/constants.py and
# config_validators.py), checked here before any pcs command runs: pcs itself
# refuses them only after ``pcs host auth`` has already reached every node.
NONNEGATIVE = "a non-negative integer"
TOTEM_RULES = dict((key, NONNEGATIVE) for key in (
    "consensus", "downcheck", "fail_recv_const", "heartbeat_failures_allowed", "hold", "join", "max_messages",
    "max_network_delay", "merge", "miss_count_const", "send_join", "seqno_unchanged_const", "token",
    "token_coefficient", "token_retransmit", "token_retransmits_before_loss_const", "window_size"))
TOTEM_RULES["block_unlisted_ips"] = ("yes", "no")
IP_VERSIONS = ("ipv4", "ipv6", "ipv4-6", "ipv6-4")
SECTION_RULES = {
    "totem": TOTEM_RULES,
    "quorum": {"auto_tie_breaker": ("0", "1"), "last_man_standing": ("0", "1"),
               "last_man_standing_window": "a positive integer", "wait_for_all": ("0", "1"),
               "two_node": ("0", "1")},
    "crypto": {"cipher": ("none", "aes256", "aes192", "aes128"),
               "hash": ("none", "md5", "sha1", "sha256", "sha384", "sha512"), "model": ("nss", "openssl")},
    "compression": {"level": NONNEGATIVE, "model": "a compression model such as zlib, lz4 or bzip2",
                    "threshold": NONNEGATIVE},
}
TRANSPORT_RULES = {
    "knet": {"ip_version": IP_VERSIONS, "knet_pmtud_interval": NONNEGATIVE, "link_mode": ("active", "passive", "rr")},
    "udp": {"ip_version": IP_VERSIONS, "netmtu": "a positive integer"},
}
TRANSPORT_RULES["udpu"] = TRANSPORT_RULES["udp"]
LINK_RULES = {
    "knet": {"link_priority": "an integer from 0 to 255", "mcastport": "a port number", "ping_interval": NONNEGATIVE,
             "ping_precision": NONNEGATIVE, "ping_timeout": NONNEGATIVE, "pong_count": NONNEGATIVE,
             "transport": ("sctp", "udp")},
    "udp": {"bindnetaddr": "an IP address", "broadcast": ("0", "1"), "mcastaddr": "an IP address",
            "mcastport": "a port number", "ttl": "an integer from 0 to 255"},
}
LINK_RULES["udpu"] = LINK_RULES["udp"]
KNET_LINKS_MAX = 8
# a value with one of these could add sections or settings of its own to corosync.conf
COROSYNC_FORBIDDEN = set("{}\n\r")
# no leading "-": the name is an argument of pcs cluster setup, which would read it as an option
CLUSTER_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,31}$")


def _value_ok(value, rule):
    if isinstance(rule, tuple):
        return value in rule
    if rule == NONNEGATIVE:
        return re.match(r"^[0-9]+$", value) is not None
    if rule == "a positive integer":
        return re.match(r"^[0-9]+$", value) is not None and int(value) > 0
    if rule == "a port number":
        return re.match(r"^[0-9]+$", value) is not None and 1 <= int(value) <= 65535
    if rule == "an integer from 0 to 255":
        return re.match(r"^[0-9]+$", value) is not None and int(value) <= 255
    if rule == "an IP address":
        try:
            ipaddress.ip_address(value)
        except ValueError:
            return False
        return True
    return value != ""


def _check_options(where, options, rules):
    errors = []
    for key in sorted(options):
        value = options[key]
        if key not in rules:
            errors.append("%s: unknown option %s (known: %s)" % (where, key, ", ".join(sorted(rules))))
        elif set(value) & COROSYNC_FORBIDDEN:
            errors.append("%s.%s: %r holds {, }, or a line break, which corosync.conf cannot take" % (where, key, value))
        elif not _value_ok(value, rules[key]):
            rule = rules[key]
            wanted = "one of %s" % ", ".join(rule) if isinstance(rule, tuple) else rule
            errors.append("%s.%s must be %s, got %r" % (where, key, wanted, value))
    return errors


def _address_family(address):
    try:
        return ipaddress.ip_address(address).version
    except ValueError:
        return None


def _check_names_and_addresses(model):
    errors = []
    name = model["cluster_name"] or ""
    if not CLUSTER_NAME_RE.match(name):
        errors.append("name %r: a cluster name is 1 to 32 letters, digits, _ or -, not starting with - (pcs "
                      "refuses others without --force: GFS2 and DLM cannot use them)" % name)
    links_max = KNET_LINKS_MAX if model["transport"] == "knet" else 1
    for node in model["nodes"]:
        node_name = node["name"] or ""
        if not node_name.strip() or set(node_name) & (COROSYNC_FORBIDDEN | set(" \t")) or node_name.startswith("-"):
            errors.append("nodes: node name %r must not be empty, start with - or hold blanks, {, } or line breaks"
                          % node_name)
        if len(node["addresses"]) > links_max:
            errors.append("nodes: node %s has %d addresses; transport %s takes at most %d"
                          % (node_name, len(node["addresses"]), model["transport"], links_max))
        for number, address in sorted(node["addresses"].items()):
            if not address or set(address) & (COROSYNC_FORBIDDEN | set(" \t/")):
                errors.append("nodes: node %s link %s: address %r must be an IP address or a host name "
                              "(no prefix length, no blanks)" % (node_name, number, address))
    # pcs refuses links whose addresses mix IPv4 and IPv6
    link_numbers = sorted(set(n for node in model["nodes"] for n in node["addresses"]))
    for number in link_numbers:
        families = set(_address_family(node["addresses"].get(number, "")) for node in model["nodes"])
        families.discard(None)
        if len(families) > 1:
            errors.append("nodes: link %s mixes IPv4 and IPv6 addresses" % number)
    return errors


def params_errors(params):
    """Everything pcs would refuse in the ``pcs_cluster`` parameters, before any pcs command: a list of messages."""
    links = params.get("links") or []
    errors = ["links: every item needs a linknumber: %r" % (link,) for link in links
              if not isinstance(link, dict) or "linknumber" not in link]
    port = params.get("pcsd_port")
    if port is not None and not 1 <= int(port) <= 65535:
        errors.append("pcsd_port %s is out of range (1-65535)" % port)
    for key in ("wait", "request_timeout"):
        if params.get(key) is not None and int(params[key]) < 0:
            errors.append("%s must be 0 or more seconds, got %s" % (key, params[key]))
    # pcs host auth reads the password as one line of its standard input
    if params.get("auth_password") and re.search(r"[\r\n]", params["auth_password"]):
        errors.append("auth_password must not hold a line break (pcs host auth reads one line)")
    if (params.get("auth_username") or "").startswith("-"):
        errors.append("auth_username %r must not start with -" % params["auth_username"])
    if errors:
        return errors
    return validate_desired(desired_config(params))


def validate_desired(model):
    """Errors in the wanted configuration itself (list of messages), everything pcs would refuse at setup."""
    errors = _check_names_and_addresses(model)
    for section, rules in sorted(SECTION_RULES.items()):
        errors.extend(_check_options(section, model[section], rules))
    errors.extend(_check_options("transport_options", model["transport_options"],
                                 TRANSPORT_RULES[model["transport"]]))
    for number in sorted(model["links_options"], key=lambda n: (len(n), n)):
        if not re.match(r"^[0-9]+$", number) or int(number) >= KNET_LINKS_MAX:
            errors.append("links: linknumber %r must be 0 to %d" % (number, KNET_LINKS_MAX - 1))
            continue
        errors.extend(_check_options("links[%s]" % number, model["links_options"][number],
                                     LINK_RULES[model["transport"]]))
    names = [n["name"] for n in model["nodes"]]
    if not names:
        errors.append("nodes: at least one node is needed")
    dupes = sorted(set(n for n in names if names.count(n) > 1))
    if dupes:
        errors.append("nodes: node names listed twice: %s" % ", ".join(dupes))
    counts = set(len(n["addresses"]) for n in model["nodes"])
    if len(counts) > 1:
        errors.append("nodes: every node needs the same number of addresses (one per link); got %s" % ", ".join(
            "%s=%d" % (n["name"], len(n["addresses"])) for n in model["nodes"]))
    link_count = max(counts) if counts else 0
    if model["transport"] in ("udp", "udpu") and link_count > 1:
        errors.append("transport %s supports one address per node; use knet for several links" % model["transport"])
    addresses = [a for n in model["nodes"] for a in n["addresses"].values()]
    dupes = sorted(set(a for a in addresses if addresses.count(a) > 1))
    if dupes:
        errors.append("nodes: addresses used twice: %s" % ", ".join(dupes))
    for number in model["links_options"]:
        if link_count and int(number) >= link_count:
            errors.append("links: link %s has options but nodes only have %d address(es)" % (number, link_count))
    two_node = model["quorum"].get("two_node")
    if two_node is not None:
        expected = expected_two_node(model)
        if two_node != expected:
            errors.append(
                "quorum.two_node=%s does not fit this cluster: corosync uses two_node only with exactly 2 nodes "
                "and no auto_tie_breaker (pcs sets it itself), so with %d node(s) it is %s"
                % (two_node, len(names), expected))
    return errors


def expected_two_node(model):
    """two_node as pcs will write it: 1 for two nodes without auto_tie_breaker."""
    atb = model["quorum"].get("auto_tie_breaker", "0")
    return "1" if len(model["nodes"]) == 2 and atb in ("", "0") else "0"


# ---------------------------------------------------------------------------
# planning
# ---------------------------------------------------------------------------
def _kv(options):
    return ["%s=%s" % (k, options[k]) for k in sorted(options)]


def _node_addr_args(node):
    return ["addr=%s" % node["addresses"][i] for i in sorted(node["addresses"])]


def setup_argv(model, start=True, enable=True, wait=None, no_keys_sync=False, corosync_conf=None):
    """``pcs cluster setup`` argv (without ``pcs``) for a new cluster."""
    argv = ["cluster", "setup", model["cluster_name"]]
    for node in model["nodes"]:
        argv.append(node["name"])
        argv.extend(_node_addr_args(node))
    transport_part = ["transport", model["transport"]] + _kv(model["transport_options"])
    for number in sorted(model["links_options"], key=int):
        transport_part += ["link", "linknumber=%s" % number] + _kv(model["links_options"][number])
    if model["compression"]:
        transport_part += ["compression"] + _kv(model["compression"])
    if model["crypto"]:
        transport_part += ["crypto"] + _kv(model["crypto"])
    argv += transport_part
    if model["totem"]:
        argv += ["totem"] + _kv(model["totem"])
    quorum = dict((k, v) for k, v in model["quorum"].items() if k != "two_node")
    if quorum:
        argv += ["quorum"] + _kv(quorum)
    if corosync_conf:
        argv += ["--corosync_conf", corosync_conf]
        return argv
    if enable:
        argv.append("--enable")
    if start:
        argv.append("--start")
        if wait:
            argv.append("--wait=%d" % wait)
    if no_keys_sync:
        argv.append("--no-keys-sync")
    return argv


def _changed_options(current, wanted):
    """Options of ``wanted`` whose value differs in ``current``."""
    return dict((k, v) for k, v in wanted.items() if current.get(k) != v)


def _action(argv, text, needs_stop=False, kind="update"):
    return {"argv": argv, "text": text, "needs_stopped_cluster": needs_stop, "kind": kind}


def plan_cluster(current, wanted, allow_node_removal=False, wait=None, enable=True, no_keys_sync=False,
                 local_setup_path=None):
    """Commands that turn ``current`` into ``wanted`` (both normalised models).

    ``current`` is None when the node has no corosync.conf: the plan is one
    ``pcs cluster setup``. With ``local_setup_path`` that setup only writes
    corosync.conf to that path on this node (pcs's local only mode: no node is
    contacted, nothing is destroyed), then ``pcs cluster sync corosync`` sends
    it to every node through pcsd and, with ``enable``, ``pcs cluster enable
    --all`` enables the cluster at boot. Raises :class:`PlanError` for what
    must not be done implicitly (renaming a cluster, changing its transport,
    removing a node without ``allow_node_removal``).
    """
    if current is None:
        text = "create cluster %s with nodes %s" % (
            wanted["cluster_name"], ", ".join(n["name"] for n in wanted["nodes"]))
        if local_setup_path is None:
            return [_action(setup_argv(wanted, start=False, enable=enable, no_keys_sync=no_keys_sync), text,
                            kind="setup")]
        actions = [
            _action(setup_argv(wanted, corosync_conf=local_setup_path), text + " (corosync.conf written here)",
                    kind="setup"),
            _action(["cluster", "sync", "corosync"], "send corosync.conf to every node", kind="sync"),
        ]
        if enable:
            actions.append(_action(["cluster", "enable", "--all"], "enable the cluster at boot on every node",
                                   kind="enable"))
        return actions

    if current["cluster_name"] != wanted["cluster_name"]:
        raise PlanError(
            "this node belongs to cluster %r, not %r; renaming a cluster means destroying it "
            "(pcs cluster destroy --all) and is never done implicitly" % (current["cluster_name"], wanted["cluster_name"]))
    if current["transport"] != wanted["transport"]:
        raise PlanError(
            "cluster %s uses transport %s, %s was asked for; a transport change needs a new cluster "
            "(pcs cluster destroy, then setup) and is never done implicitly"
            % (current["cluster_name"], current["transport"], wanted["transport"]))

    actions = []
    current_nodes = dict((n["name"], n) for n in current["nodes"])
    wanted_nodes = dict((n["name"], n) for n in wanted["nodes"])
    kept = [n["name"] for n in current["nodes"] if n["name"] in wanted_nodes]
    added = [n["name"] for n in wanted["nodes"] if n["name"] not in current_nodes]
    removed = [n["name"] for n in current["nodes"] if n["name"] not in wanted_nodes]

    if removed and not allow_node_removal:
        raise PlanError(
            "the live cluster has node(s) %s that are not in the wanted node list; removing a node shuts it "
            "down and takes it out of the cluster, so it is done only with allow_node_removal=true"
            % ", ".join(removed))
    if not kept:
        raise PlanError("none of the wanted nodes is a member of the live cluster %s; refusing to replace every node"
                        % current["cluster_name"])

    # links: compare the kept nodes' addresses link by link
    current_links = sorted(set(l for n in current["nodes"] for l in n["addresses"]))
    wanted_links = sorted(set(l for n in wanted["nodes"] for l in n["addresses"]))
    for link in wanted_links:
        if link not in current_links:
            pairs = ["%s=%s" % (name, wanted_nodes[name]["addresses"][link]) for name in kept]
            options = dict(wanted["links_options"].get(str(link), {}))
            argv = ["cluster", "link", "add"] + pairs + ["options", "linknumber=%d" % link] + _kv(options)
            actions.append(_action(argv, "add link %d" % link, kind="link"))
            continue
        pairs = []
        for name in kept:
            want = wanted_nodes[name]["addresses"].get(link)
            have = current_nodes[name]["addresses"].get(link)
            if want != have:
                pairs.append("%s=%s" % (name, want))
        options = _changed_options(current["links_options"].get(str(link), {}),
                                   wanted["links_options"].get(str(link), {}))
        if pairs or options:
            argv = ["cluster", "link", "update", str(link)] + pairs
            if options:
                argv += ["options"] + _kv(options)
            what = []
            if pairs:
                what.append("addresses of %s" % ", ".join(p.split("=")[0] for p in pairs))
            if options:
                what.append("options %s" % ", ".join(sorted(options)))
            actions.append(_action(argv, "update link %d: %s" % (link, "; ".join(what)), needs_stop=True,
                                   kind="link"))
    obsolete = [l for l in current_links if l not in wanted_links]
    if obsolete:
        actions.append(_action(["cluster", "link", "delete"] + [str(l) for l in obsolete],
                               "delete link(s) %s" % ", ".join(str(l) for l in obsolete), kind="link"))

    # corosync options that pcs cluster config update handles
    update = []
    needs_stop = False
    changed_names = []
    for section, keyword in (("transport_options", "transport"), ("compression", "compression"),
                             ("crypto", "crypto"), ("totem", "totem")):
        changed = _changed_options(current[section], wanted[section])
        if changed:
            update += [keyword] + _kv(changed)
            changed_names += ["%s.%s" % (section, k) for k in sorted(changed)]
            if section == "transport_options" and any(k in TRANSPORT_OPTIONS_NEED_STOP for k in changed):
                needs_stop = True
    if update:
        actions.append(_action(["cluster", "config", "update"] + update,
                               "update %s" % ", ".join(changed_names), needs_stop=needs_stop, kind="config"))

    quorum = _changed_options(current["quorum"], dict((k, v) for k, v in wanted["quorum"].items()
                                                      if k != "two_node"))
    if quorum:
        actions.append(_action(["quorum", "update"] + _kv(quorum),
                               "update quorum %s" % ", ".join(sorted(quorum)), needs_stop=True, kind="quorum"))

    for name in added:
        argv = ["cluster", "node", "add", name] + _node_addr_args(wanted_nodes[name])
        if enable:
            argv.append("--enable")
        argv.append("--start")
        if wait:
            argv.append("--wait=%d" % wait)
        actions.append(_action(argv, "add node %s" % name, kind="node"))
    if removed:
        actions.append(_action(["cluster", "node", "remove"] + removed,
                               "remove node(s) %s" % ", ".join(removed), kind="node"))
    return actions


def predict_config(current, wanted):
    """The model after a successful plan (for check-mode diffs)."""
    if current is None:
        after = json.loads(json.dumps(wanted))
        after["quorum"]["two_node"] = expected_two_node(wanted) if len(wanted["nodes"]) == 2 else after[
            "quorum"].get("two_node", "0")
        if after["quorum"]["two_node"] == "0":
            after["quorum"].pop("two_node")
        return after
    after = json.loads(json.dumps(current))
    for section in SECTIONS:
        for key, value in wanted[section].items():
            after[section][key] = value
    for number, options in wanted["links_options"].items():
        after["links_options"].setdefault(number, {}).update(options)
    current_nodes = dict((n["name"], n) for n in current["nodes"])
    nodes = []
    for node in wanted["nodes"]:
        entry = {"name": node["name"], "nodeid": (current_nodes.get(node["name"]) or {}).get("nodeid"),
                 "addresses": dict(node["addresses"])}
        nodes.append(entry)
    after["nodes"] = nodes
    return after


def model_for_diff(model):
    """A readable dict for Ansible's diff output (node addresses as lists)."""
    if model is None:
        return {}
    shown = json.loads(json.dumps(model))
    for node in shown["nodes"]:
        node["addresses"] = [node["addresses"][k] for k in sorted(node["addresses"], key=int)]
        node.pop("nodeid", None)
    shown.pop("quorum_device", None)
    return shown


# ---------------------------------------------------------------------------
# pcsd peers
# ---------------------------------------------------------------------------
def parse_known_hosts(text):
    """``{name: [address, ...]}`` from /var/lib/pcsd/known-hosts (tokens are dropped)."""
    data = json.loads(text)
    hosts = {}
    for name, entry in (data.get("known_hosts") or {}).items():
        hosts[name] = ["%s:%s" % (d.get("addr"), d.get("port", 2224)) for d in entry.get("dest_list") or []]
    return hosts


def parse_pcsd_status(text):
    """``{node: "Online" | "Offline" | "Unable to authenticate"}`` from ``pcs status pcsd``."""
    status = {}
    for line in text.splitlines():
        match = re.match(r"^\s*(\S+): (Online|Offline|Unable to authenticate)\s*$", line)
        if match:
            status[match.group(1)] = match.group(2)
    return status


def plan_auth(nodes, known_hosts, pcsd_status, port=2224):
    """Nodes that need ``pcs host auth``: unknown, at another address, or not Online."""
    need = []
    for node in nodes:
        want = "%s:%s" % (node["pcsd_address"], port)
        if want not in known_hosts.get(node["name"], []):
            need.append(node["name"])
        elif pcsd_status.get(node["name"]) != "Online":
            need.append(node["name"])
    return need


# ------------------------------------------------------------------ actions
# pcs_cluster's action lists: each action is {"text": its line in ``actions``,
# "argv": the pcs arguments, "message": the first words of its error, and
# optionally "data" (stdin), "authenticated" or "started" (result keys it
# sets)}, or {"text", "seed": properties} for the first CIB. They are carried
# out by _runner.apply_actions (nothing is performed in check mode).

def _pcs_action(argv, message, text, **extra):
    action = {"argv": list(argv), "message": message, "text": text}
    action.update(extra)
    return action


def auth_actions(nodes, need, port, username, password):
    """The ``pcs host auth`` action for the nodes named in ``need`` (none when it is empty).

    ``nodes`` are ``{"name", "pcsd_address"}`` in the task's order. The
    password goes on stdin, never on the command line (where every process of
    the node could read it): without ``-p``, pcs reads it from stdin when stdin
    is not a terminal.
    """
    if not need:
        return []
    argv = ["host", "auth"]
    for node in nodes:
        if node["name"] in need:
            argv += [node["name"], "addr=%s:%d" % (node["pcsd_address"], port)]
    argv += ["-u", username]
    return [_pcs_action(argv, "pcs host auth failed", "authenticate pcsd on %s" % ", ".join(need),
                        data=password + "\n", authenticated=list(need))]


def cluster_actions(plan, wanted, running, online, current_exists=True, state="started", wait=120,
                    allow_cluster_restart=False, initial_properties=None, cib_seed_exists=True):
    """Everything after the authentication, in order (pure: the state was read before).

    ``plan`` is :func:`plan_cluster`'s list; ``running`` whether Pacemaker
    runs on this node and ``online`` the nodes it sees online. A change that
    needs the whole cluster stopped stops it first and starts it again
    afterwards, only with ``allow_cluster_restart`` (otherwise
    :class:`PlanError`). A cluster that never ran here (not running, no CIB
    yet) gets its first CIB seeded with ``initial_properties`` before
    Pacemaker's first start. With ``state=started`` the nodes that do not run
    are started (all of them for a new or stopped cluster; nodes being added
    start themselves).
    """
    actions = []
    needs_stop = [a for a in plan if a["needs_stopped_cluster"]]
    restart = False
    if needs_stop and running:
        if not allow_cluster_restart:
            raise PlanError(
                "these changes need the whole cluster stopped: %s; the cluster is running on %s. "
                "Set allow_cluster_restart=true to stop it, apply them and start it again"
                % ("; ".join(a["text"] for a in needs_stop), ", ".join(online) or "this node"))
        restart = True
        actions.append(_pcs_action(["cluster", "stop", "--all", "--wait=%d" % wait], "pcs cluster stop failed",
                                   "stop the cluster on all nodes"))
    for action in plan:
        actions.append(_pcs_action(action["argv"], "pcs could not %s" % action["text"], action["text"]))
    if initial_properties and not running and not cib_seed_exists:
        actions.append({"seed": dict(initial_properties), "text": "seed the first CIB with %s" % ", ".join(
            "%s=%s" % (k, initial_properties[k]) for k in sorted(initial_properties))})
    names = [n["name"] for n in wanted["nodes"]]
    start_argv, started = None, []
    if not current_exists:
        if state == "started":
            start_argv, started = ["cluster", "start", "--all"], names
    elif restart:
        start_argv, started = ["cluster", "start", "--all"], names
    elif state == "started":
        added = [a["argv"][3] for a in plan if a["kind"] == "node" and a["argv"][2] == "add"]
        if not running:
            start_argv, started = ["cluster", "start", "--all"], [n for n in names if n not in added]
        else:
            offline = [n for n in names if n not in online and n not in added]
            if offline:
                start_argv, started = ["cluster", "start"] + offline, offline
    if start_argv:
        if wait:
            start_argv.append("--wait=%d" % wait)
        actions.append(_pcs_action(start_argv, "pcs cluster start failed",
                                   "start the cluster on %s" % ", ".join(started), started=started))
    return actions
