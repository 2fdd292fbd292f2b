# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Private to the hastorage.cluster collection: the OpenStack control plane design (design 4), built in Python.

Pure functions from the role's variables (``roles/openstack_control_plane``):

- :func:`openstack_control_plane_check`: every refusal, naming the field,
  before anything changes;
- :func:`openstack_control_plane_stacks`: the design as stacks of
  ``_stack.py`` - the active/standby stack on the DRBD Promoted (the HAFS
  filesystem, the ``ha`` active/standby services in their start order, the
  internal and external VIPs last, placed with the HAProxy clone), the
  HAProxy clone and one clone per active/active service. ``basic`` services
  are not Pacemaker's: systemd restarts them on the node(s) they were put on;
- :func:`openstack_control_plane_cib`: the stacks' ``pcs_cib`` input;
- :func:`openstack_control_plane_haproxy`: the frontends and backends the
  HAProxy template renders;
- :func:`openstack_control_plane_feedback`: where the feedback agents run
  (the servers of the backends balanced by ``feedback``) and the ports each
  counts connections on.

``config``: ``nodes`` ([{host, name, internal_address, weight,
feedback_agent}]), ``feedback`` (the agents' port and interval),
``internal_network``, ``internal_interface``, ``internal_vip``,
``external_network``, ``external_interface``, ``external_vip``,
``drbd_resource``, ``hafs`` ({device, mountpoint, fstype, options}),
``services``, ``start_order``, ``stickiness``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.hastorage.cluster.plugins.module_utils._cib_build import BuildError
from ansible_collections.hastorage.cluster.plugins.module_utils._cib_build import _host_on as _host_address
from ansible_collections.hastorage.cluster.plugins.module_utils._stack import StackError, stacks_to_cib

PREFIX = "openstack_control_plane_"
SERVICES = PREFIX + "services"
START_ORDER = PREFIX + "start_order"
TIERS = ("ha", "basic")
MODES = ("active_standby", "active_active")
VIPS = ("internal", "external", "none")
LISTENS = ("internal", "any")
HAFS = "hafs"
AS_STACK = "openstack"
HAPROXY_STACK = "haproxy"
SERVICE_KEYS = ("name", "tier", "mode", "unit", "agent", "packages", "ports", "hafs", "nodes", "listen",
                "restart_sec", "options", "uwsgi_ini")
PORT_KEYS = ("port", "frontend_port", "vip", "health_path", "description", "balance")
# HAProxy's algorithms, and feedback: weighted round robin with each server's
# weight from its feedback agent (HAProxy's agent-check)
BALANCES = ("roundrobin", "leastconn", "source", "feedback")
FEEDBACK = PREFIX + "feedback"
# ports of the cluster itself on every controller: the agent must not take them
CLUSTER_PORTS = ((2224, "pcsd"), (3121, "pacemaker-remoted"), (5403, "corosync-qnetd"), (5404, "corosync"),
                 (5405, "corosync"), (5406, "corosync"))
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
UNIT_RE = re.compile(r"^[A-Za-z0-9:_.@-]+$")
AGENT_RE = re.compile(r"^(ocf:[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+|systemd:[A-Za-z0-9:_.@-]+|lsb:[A-Za-z0-9_.-]+)$")
DAEMON_OPS = [{"action": "monitor", "interval": "30s", "timeout": "60s"},
              {"action": "start", "interval": "0s", "timeout": "120s"},
              {"action": "stop", "interval": "0s", "timeout": "120s"}]
FS_OPS = [{"action": "monitor", "interval": "20s", "timeout": "40s"},
          {"action": "start", "interval": "0s", "timeout": "60s"},
          {"action": "stop", "interval": "0s", "timeout": "60s"}]
VIP_OPS = [{"action": "monitor", "interval": "10s", "timeout": "20s"}]
HAPROXY_OPS = [{"action": "monitor", "interval": "10s", "timeout": "20s"},
               {"action": "start", "interval": "0s", "timeout": "60s"},
               {"action": "stop", "interval": "0s", "timeout": "60s"}]


class OpenStackBuildError(StackError):
    """Role input the OpenStack control plane cannot be built from; the message names the field."""


def _text(value):
    return str(value)


def _ops(ops):
    return [dict(op) for op in ops]


def _network(value, field):
    try:
        return ipaddress.ip_network(_text(value or "").strip(), strict=True)
    except ValueError as e:
        raise OpenStackBuildError("%s must be a network in CIDR form such as 10.40.0.0/24, got %r (%s)"
                                  % (field, value, e))


def _host_on(address, net, field):
    """The design builders' host-address check, with this design's error."""
    try:
        return _host_address(address or "", net, field)
    except BuildError as exc:
        raise OpenStackBuildError(str(exc))


def _int(value, field, low, high):
    if isinstance(value, bool):
        raise OpenStackBuildError("%s must be an integer from %d to %d, got %r" % (field, low, high, value))
    try:
        number = int(_text(value))
    except ValueError:
        raise OpenStackBuildError("%s must be an integer from %d to %d, got %r" % (field, low, high, value))
    if not low <= number <= high:
        raise OpenStackBuildError("%s must be from %d to %d, got %s" % (field, low, high, value))
    return number


def _bool(value, field):
    if isinstance(value, bool):
        return value
    raise OpenStackBuildError("%s must be true or false, got %r" % (field, value))


def _sid(text):
    """A CIB id from a unit name: nova-api -> nova_api, apache2 -> apache2."""
    return re.sub(r"[^A-Za-z0-9_]", "_", _text(text))


def service_agent(service):
    """The Pacemaker agent of an ``ha`` service: its ``agent`` or ``systemd:<unit>``."""
    return service.get("agent") or "systemd:%s" % service["unit"]


def resource_id(service):
    """The primitive id of a service: ``srv_`` and its unit (or agent type); services of one unit share it."""
    if service.get("unit"):
        return "srv_%s" % _sid(service["unit"])
    return "srv_%s" % _sid(service["agent"].split(":")[-1])


def _nodes(config):
    nodes = config.get("nodes") or []
    if not isinstance(nodes, list) or len(nodes) < 2:
        raise OpenStackBuildError("openstack_control_plane: the design needs at least two controllers in the play "
                                  "(the inventory group openstack_control_plane), got %d"
                                  % (len(nodes) if isinstance(nodes, list) else 0))
    return nodes


def _check_service(service, index, hosts):
    """One service on its own; returns its name."""
    if not isinstance(service, dict):
        raise OpenStackBuildError("%s: item %d must be a dictionary with name and tier" % (SERVICES, index + 1))
    name = _text(service.get("name") or "")
    if not NAME_RE.match(name):
        raise OpenStackBuildError("%s: item %d needs a name (lower case letters, digits, _; a letter first), got %r"
                                  % (SERVICES, index + 1, service.get("name")))
    field = "%s[%s]" % (SERVICES, name)
    unknown = sorted(_text(k) for k in service if k not in SERVICE_KEYS)
    if unknown:
        raise OpenStackBuildError("%s: unknown key%s %s; known keys: %s"
                                  % (field, "s" if len(unknown) > 1 else "", ", ".join(unknown),
                                     ", ".join(SERVICE_KEYS)))
    tier = service.get("tier")
    if tier not in TIERS:
        raise OpenStackBuildError("%s.tier must be ha (Pacemaker manages it) or basic (systemd restarts it on "
                                  "its node), got %r" % (field, tier))
    if service.get("unit") in (None, "") and service.get("agent") in (None, ""):
        raise OpenStackBuildError("%s needs unit (the systemd unit) or agent (an OCF agent such as "
                                  "ocf:heartbeat:apache)" % field)
    if service.get("unit") not in (None, "") and not UNIT_RE.match(_text(service["unit"])):
        raise OpenStackBuildError("%s.unit must be a systemd unit name, got %r" % (field, service["unit"]))
    if service.get("agent") not in (None, ""):
        if service.get("unit") not in (None, ""):
            raise OpenStackBuildError("%s: give unit or agent, not both" % field)
        if not AGENT_RE.match(_text(service["agent"])):
            raise OpenStackBuildError("%s.agent must be a Pacemaker agent such as ocf:heartbeat:apache or "
                                      "systemd:glance-api, got %r" % (field, service["agent"]))
    hafs = _bool(service.get("hafs", False), "%s.hafs" % field)
    if tier == "ha":
        mode = service.get("mode", "active_standby")
        if mode not in MODES:
            raise OpenStackBuildError("%s.mode must be active_standby (one node, in the stack on the HAFS) or "
                                      "active_active (cloned on every controller), got %r" % (field, mode))
        if mode == "active_active" and hafs:
            raise OpenStackBuildError("%s: an active_active service runs on every controller and cannot need the "
                                      "HAFS filesystem (mounted only on the DRBD Primary); set hafs: false or "
                                      "mode: active_standby" % field)
        if service.get("nodes") not in (None, []):
            raise OpenStackBuildError("%s.nodes is for tier basic; Pacemaker places tier ha services" % field)
        if service.get("restart_sec") not in (None, ""):
            raise OpenStackBuildError("%s.restart_sec is for tier basic; Pacemaker restarts tier ha services"
                                      % field)
    else:
        if service.get("mode") not in (None, ""):
            raise OpenStackBuildError("%s.mode is for tier ha; a basic service runs where nodes puts it" % field)
        if service.get("agent") not in (None, ""):
            raise OpenStackBuildError("%s.agent: a basic service is a systemd unit (unit), Pacemaker does not run "
                                      "it" % field)
        if hafs:
            raise OpenStackBuildError("%s: a basic service cannot need the HAFS filesystem (mounted only on the "
                                      "DRBD Primary, by Pacemaker); set hafs: false or tier: ha" % field)
        nodes = service.get("nodes")
        if not isinstance(nodes, list) or not nodes:
            raise OpenStackBuildError("%s.nodes must list the controllers it runs on (inventory names: %s)"
                                      % (field, ", ".join(hosts)))
        for host in nodes:
            if host not in hosts:
                raise OpenStackBuildError("%s.nodes names %s, which is not a controller of the play (%s)"
                                          % (field, host, ", ".join(hosts)))
        if service.get("restart_sec") not in (None, ""):
            _int(service["restart_sec"], "%s.restart_sec" % field, 0, 3600)
    if service.get("uwsgi_ini") not in (None, "") and not re.match(r"^/[^ ]+\.ini$", _text(service["uwsgi_ini"])):
        raise OpenStackBuildError("%s.uwsgi_ini must be the absolute path of the unit's uwsgi .ini file, got %r"
                                  % (field, service["uwsgi_ini"]))
    listen = service.get("listen", "internal")
    if listen not in LISTENS:
        raise OpenStackBuildError("%s.listen must be internal (the node's internal address) or any (every "
                                  "address), got %r" % (field, listen))
    ports = service.get("ports") or []
    if not isinstance(ports, list):
        raise OpenStackBuildError("%s.ports must be a list of {port, frontend_port, vip, health_path}" % field)
    for i, item in enumerate(ports):
        pfield = "%s.ports[%d]" % (field, i)
        if not isinstance(item, dict):
            raise OpenStackBuildError("%s must be a dictionary {port, frontend_port, vip, health_path}" % pfield)
        unknown = sorted(_text(k) for k in item if k not in PORT_KEYS)
        if unknown:
            raise OpenStackBuildError("%s: unknown key%s %s; known keys: %s"
                                      % (pfield, "s" if len(unknown) > 1 else "", ", ".join(unknown),
                                         ", ".join(PORT_KEYS)))
        _int(item.get("port"), "%s.port" % pfield, 1, 65535)
        vip = item.get("vip", "internal")
        if vip not in VIPS:
            raise OpenStackBuildError("%s.vip must be internal, external or none (not behind HAProxy), got %r"
                                      % (pfield, vip))
        if item.get("frontend_port") not in (None, ""):
            if vip == "none":
                raise OpenStackBuildError("%s.frontend_port: a port with vip none has no HAProxy frontend" % pfield)
            _int(item["frontend_port"], "%s.frontend_port" % pfield, 1, 65535)
        path = item.get("health_path")
        if path not in (None, ""):
            if vip == "none":
                raise OpenStackBuildError("%s.health_path: a port with vip none has no HAProxy health check"
                                          % pfield)
            if not re.match(r"^/[\x21-\x7e]*$", _text(path)):
                raise OpenStackBuildError("%s.health_path must be an HTTP path starting with / (no spaces), "
                                          "got %r" % (pfield, path))
        balance = item.get("balance")
        if balance not in (None, ""):
            if vip == "none":
                raise OpenStackBuildError("%s.balance: a port with vip none is not behind HAProxy" % pfield)
            if balance not in BALANCES:
                raise OpenStackBuildError("%s.balance must be one of %s, got %r"
                                          % (pfield, ", ".join(BALANCES), balance))
            if balance == "feedback" and tier == "ha" and service.get("mode", "active_standby") == "active_standby":
                raise OpenStackBuildError("%s.balance feedback: an active_standby service runs on one controller "
                                          "at a time, there is nothing to balance; use it for active_active or "
                                          "basic services on two or more controllers" % pfield)
            if balance == "feedback" and tier == "basic" and len(service.get("nodes") or []) < 2:
                raise OpenStackBuildError("%s.balance feedback: the service runs on one controller (%s.nodes), "
                                          "there is nothing to balance" % (pfield, field))
    return name


def _placement(service):
    """(tier or mode) of a service, for units shared by several services."""
    return service.get("mode", "active_standby") if service["tier"] == "ha" else "basic"


def _check_units(services):
    """Services that share a unit (Keystone and Horizon in one apache2) must be placed alike."""
    seen = {}
    for service in services:
        key = service.get("unit") or service.get("agent")
        if key in seen and _placement(seen[key]) != _placement(service):
            raise OpenStackBuildError("%s[%s].unit %s is also %s[%s]'s, which is %s, but this service is %s: one "
                                      "unit has one placement"
                                      % (SERVICES, service["name"], key, SERVICES, seen[key]["name"],
                                         _placement(seen[key]).replace("_", "/"),
                                         _placement(service).replace("_", "/")))
        seen.setdefault(key, service)


def _service_hosts(service, hosts):
    return set(service.get("nodes") or hosts) if service["tier"] == "basic" else set(hosts)


def _check_ports(services, hosts):
    """HAProxy frontends (VIP, port) are unique; a service's own listen port clashes with nothing on its nodes."""
    frontends = {}
    listeners = []  # (port, listen, hosts, unit, field)
    for service in services:
        field = "%s[%s]" % (SERVICES, service["name"])
        for i, item in enumerate(service.get("ports") or []):
            pfield = "%s.ports[%d]" % (field, i)
            port = int(_text(item["port"]))
            vip = item.get("vip", "internal")
            if vip != "none":
                front = int(_text(item.get("frontend_port") or port))
                key = (vip, front)
                if key in frontends:
                    raise OpenStackBuildError("%s: HAProxy frontend port %d on the %s VIP is also %s's: two services "
                                              "cannot share one frontend" % (pfield, front, vip, frontends[key]))
                frontends[key] = pfield
            unit = service.get("unit") or service.get("agent")
            for other_port, other_listen, other_hosts, other_unit, other_field in listeners:
                if other_port == port and other_unit != unit and other_hosts & _service_hosts(service, hosts):
                    raise OpenStackBuildError("%s.port %d is also %s's listen port on the same controllers: two "
                                              "services cannot listen on one port" % (pfield, port, other_field))
            listeners.append((port, service.get("listen", "internal"), _service_hosts(service, hosts), unit, pfield))
    # HAProxy binds every frontend on every controller (ip_nonlocal_bind): a
    # service listening on every address (listen: any) on a frontend's port
    # takes that port from HAProxy on its node
    for port, listen, unused, unused2, pfield in listeners:
        if listen != "any":
            continue
        for (vip, front), ffield in sorted(frontends.items()):
            if front == port:
                raise OpenStackBuildError("%s.port %d: the service listens on every address (listen: any) and "
                                          "HAProxy binds the %s VIP on port %d on every controller (%s); make the "
                                          "service listen on the internal address (listen: internal) or give the "
                                          "frontend another port" % (pfield, port, vip, front, ffield))


def _as_services(services):
    return [s for s in services if s["tier"] == "ha" and s.get("mode", "active_standby") == "active_standby"]


def start_order(config):
    """The active/standby stack bottom-up: ``hafs`` and the names of the active/standby services.

    Empty ``start_order``: the HAFS first, then the services in list order.
    """
    services = _as_services(config.get("services") or [])
    order = config.get("start_order") or []
    if not order:
        return [HAFS] + [s["name"] for s in services]
    return list(order)


def _check_start_order(config):
    services = config.get("services") or []
    active_standby = _as_services(services)
    names = [s["name"] for s in active_standby]
    order = config.get("start_order") or []
    if not isinstance(order, list):
        raise OpenStackBuildError("%s must be a list of names bottom-up (hafs and the active/standby services)"
                                  % START_ORDER)
    if order:
        for item in order:
            if item != HAFS and item not in names:
                other = [s for s in services if s["name"] == item]
                if other:
                    raise OpenStackBuildError("%s names %s, which is not an active_standby ha service (%s): only "
                                              "those start in the stack on the HAFS"
                                              % (START_ORDER, item, _placement(other[0])))
                raise OpenStackBuildError("%s names %s, which is not in %s (active/standby services: %s)"
                                          % (START_ORDER, item, SERVICES, ", ".join(names) or "none"))
            if order.count(item) > 1:
                raise OpenStackBuildError("%s names %s twice" % (START_ORDER, item))
        missing = [n for n in names if n not in order]
        if missing:
            raise OpenStackBuildError("%s leaves out the active/standby service%s %s: list every one"
                                      % (START_ORDER, "s" if len(missing) > 1 else "", ", ".join(missing)))
        if HAFS not in order:
            raise OpenStackBuildError("%s leaves out hafs: the stack on DRBD starts with its filesystem somewhere; "
                                      "name where" % START_ORDER)
    order = start_order(config)
    fs_at = order.index(HAFS)
    for position, item in enumerate(order):
        service = [s for s in active_standby if s["name"] == item]
        if service and service[0].get("hafs") and position < fs_at:
            raise OpenStackBuildError("%s: %s needs the HAFS filesystem (%s[%s].hafs) but starts before hafs; "
                                      "move it after hafs" % (START_ORDER, item, SERVICES, item))
    if not active_standby:
        raise OpenStackBuildError("%s has no active_standby ha service: the design's stack on the HAFS needs one "
                                  "(the seed's MariaDB, Keystone and Glance)" % SERVICES)


def _balance(item):
    """A port's algorithm: its balance, or roundrobin (HTTP) / source (TCP)."""
    return item.get("balance") or ("roundrobin" if item.get("health_path") else "source")


def _feedback_ports(services):
    """[(service, port item, field)] of the ports balanced by feedback."""
    return [(service, item, "%s[%s].ports[%d]" % (SERVICES, service["name"], i))
            for service in services for i, item in enumerate(service.get("ports") or [])
            if item.get("vip", "internal") != "none" and item.get("balance") == "feedback"]


def _feedback_port(config):
    feedback = config.get("feedback")
    if not isinstance(feedback, dict):
        raise OpenStackBuildError("%s must be a dictionary (port, interval and the agent's weights)" % FEEDBACK)
    return _int(feedback.get("port", 9777), "%s.port" % FEEDBACK, 1, 65535)


def _check_feedback(config, services, nodes):
    """Every server of a feedback backend runs an agent, and the agent's port is no port of the design."""
    balanced = _feedback_ports(services)
    if not balanced:
        return
    port = _feedback_port(config)
    interval = config["feedback"].get("interval", 2)
    try:
        interval_ok = float(_text(interval)) >= 1
    except ValueError:
        interval_ok = False
    if isinstance(interval, bool) or not interval_ok:
        raise OpenStackBuildError("%s.interval must be at least 1 second, got %r" % (FEEDBACK, interval))
    hosts = [_text(node.get("host")) for node in nodes]
    without = [_text(node.get("host")) for node in nodes if not node.get("feedback_agent", True)]
    for service, item, pfield in balanced:
        missing = sorted(set(without) & _service_hosts(service, hosts))
        if missing:
            raise OpenStackBuildError("%s.balance feedback: %s serve%s it without a feedback agent (%sfeedback_agent "
                                      "is false); HAProxy would keep their static weight while the others move: "
                                      "run the agent there or balance the port otherwise"
                                      % (pfield, ", ".join(missing), "s" if len(missing) == 1 else "", PREFIX))
    taken = list(CLUSTER_PORTS)
    if config.get("drbd_port") not in (None, ""):
        taken.append((int(_text(config["drbd_port"])), "DRBD's (%sdrbd_port)" % PREFIX))
    for service in services:
        for i, item in enumerate(service.get("ports") or []):
            pfield = "%s[%s].ports[%d]" % (SERVICES, service["name"], i)
            taken.append((int(_text(item["port"])), pfield))
            if item.get("vip", "internal") != "none":
                taken.append((int(_text(item.get("frontend_port") or item["port"])), pfield + " (its frontend)"))
    for other, owner in taken:
        if other == port:
            raise OpenStackBuildError("%s.port %d is also %s: give the feedback agents another port"
                                      % (FEEDBACK, port, owner))


def openstack_control_plane_feedback(config):
    """Where the feedback agents run: {"port", "interval", "hosts": {host: {"address",
    "connection_ports"}}} - every server of a backend balanced by ``feedback``, listening on
    its internal address and counting the connections on those backends' ports. No such
    backend: no hosts."""
    openstack_control_plane_check(config)
    services = config["services"]
    result = {"port": None, "interval": None, "hosts": {}}
    balanced = _feedback_ports(services)
    if not balanced:
        return result
    result["port"] = _feedback_port(config)
    result["interval"] = float(_text(config["feedback"].get("interval", 2)))
    hosts = [node["host"] for node in config["nodes"]]
    for node in config["nodes"]:
        ports = sorted(set(int(_text(item["port"])) for service, item, unused in balanced
                           if node["host"] in _service_hosts(service, hosts)))
        if ports:
            result["hosts"][node["host"]] = {"address": _text(node["internal_address"]), "connection_ports": ports}
    return result


def openstack_control_plane_check(config):
    """Refuse, naming the field, anything the design cannot deploy safely. Pure; returns the summary."""
    if not isinstance(config, dict):
        raise OpenStackBuildError("openstack_control_plane: the design's settings must be a dictionary")
    nodes = _nodes(config)
    internal = _network(config.get("internal_network"), PREFIX + "internal_network")
    external = _network(config.get("external_network"), PREFIX + "external_network")
    if internal.version == external.version and internal.overlaps(external):
        raise OpenStackBuildError("%sexternal_network %s and %sinternal_network %s are the same network or "
                                  "overlap: the internal (10G) and external (1G) VIPs must be on separate networks"
                                  % (PREFIX, external, PREFIX, internal))
    for key in ("internal_interface", "external_interface"):
        if not re.match(r"^[A-Za-z0-9_.:-]{1,15}$", _text(config.get(key) or "")):
            raise OpenStackBuildError("%s%s must name the interface the %s VIP goes on (the same name on every "
                                      "controller), got %r" % (PREFIX, key, key.split("_", maxsplit=1)[0], config.get(key)))
    internal_vip = _host_on(config.get("internal_vip"), internal, PREFIX + "internal_vip")
    _host_on(config.get("external_vip"), external, PREFIX + "external_vip")
    hosts = []
    addresses = {}
    for node in nodes:
        host = _text(node.get("host") or "")
        field = "%sinternal_address of %s" % (PREFIX, host)
        address = _host_on(node.get("internal_address"), internal, field)
        if address == internal_vip:
            raise OpenStackBuildError("%s %s is the internal VIP (%sinternal_vip): give each controller its own "
                                      "address" % (field, address, PREFIX))
        if address in addresses:
            raise OpenStackBuildError("%s %s is also %s's" % (field, address, addresses[address]))
        addresses[address] = host
        if node.get("weight") not in (None, ""):
            _int(node["weight"], "%shaproxy_weight of %s" % (PREFIX, host), 0, 256)
        hosts.append(host)
    hafs = config.get("hafs") or {}
    if not re.match(r"^/[^ ]*[^/ ]$", _text(hafs.get("mountpoint") or "")):
        raise OpenStackBuildError("%shafs.mountpoint must be an absolute path without a trailing slash, got %r"
                                  % (PREFIX, hafs.get("mountpoint")))
    if hafs.get("fstype", "xfs") not in ("xfs", "ext4"):
        raise OpenStackBuildError("%shafs.fstype must be xfs or ext4 (a single-mount filesystem), got %r"
                                  % (PREFIX, hafs.get("fstype")))
    if not re.match(r"^/dev/drbd[0-9]+$", _text(hafs.get("device") or "")):
        raise OpenStackBuildError("the HAFS device must be the DRBD device /dev/drbdN (%sdrbd_minor), got %r"
                                  % (PREFIX, hafs.get("device")))
    services = config.get("services")
    if not isinstance(services, list) or not services:
        raise OpenStackBuildError("%s must list the services (each with name and tier)" % SERVICES)
    names = set()
    for i, service in enumerate(services):
        name = _check_service(service, i, hosts)
        if name in names:
            raise OpenStackBuildError("%s: two services are named %s" % (SERVICES, name))
        names.add(name)
    if any(s["name"] in (HAFS, AS_STACK, HAPROXY_STACK) for s in services):
        raise OpenStackBuildError("%s: the names %s, %s and %s are the design's own"
                                  % (SERVICES, HAFS, AS_STACK, HAPROXY_STACK))
    _check_units(services)
    _check_ports(services, hosts)
    _check_feedback(config, services, nodes)
    _check_start_order(config)
    return {"hosts": hosts, "start_order": start_order(config),
            "active_active": [s["name"] for s in services if s["tier"] == "ha" and s.get("mode") == "active_active"],
            "basic": [s["name"] for s in services if s["tier"] == "basic"]}


def _vip_layer(name, address, network, interface):
    net = ipaddress.ip_network(_text(network), strict=True)
    return {"kind": "vip", "id": "vip_%s" % name, "agent": "ocf:heartbeat:IPaddr2",
            "options": {"ip": _text(address), "cidr_netmask": _text(net.prefixlen), "nic": _text(interface)},
            "operations": _ops(VIP_OPS)}


def _service_layer(service):
    layer = {"kind": "service", "id": resource_id(service), "agent": service_agent(service),
             "operations": _ops(DAEMON_OPS)}
    if service.get("options"):
        layer["options"] = dict(service["options"])
    return layer


def openstack_control_plane_stacks(config):
    """The design's stacks (checked with :func:`openstack_control_plane_check` first)."""
    services = config["services"]
    hafs = config["hafs"]
    stickiness = {"resource-stickiness": _text(config.get("stickiness", 100))}
    by_name = dict((s["name"], s) for s in services)
    layers = []
    seen = set()
    for item in start_order(config):
        if item == HAFS:
            options = {"device": hafs["device"], "directory": hafs["mountpoint"],
                       "fstype": hafs.get("fstype") or "xfs", "force_unmount": "true"}
            if hafs.get("options"):
                options["options"] = hafs["options"]
            layers.append({"kind": "filesystem", "id": "fs_hafs", "agent": "ocf:heartbeat:Filesystem",
                           "options": options, "operations": _ops(FS_OPS)})
            continue
        layer = _service_layer(by_name[item])
        if layer["id"] not in seen:
            seen.add(layer["id"])
            layers.append(layer)
    layers.append(_vip_layer("internal", config["internal_vip"], config["internal_network"],
                             config["internal_interface"]))
    layers.append(_vip_layer("external", config["external_vip"], config["external_network"],
                             config["external_interface"]))
    haproxy = {"name": HAPROXY_STACK, "type": "clone",
               "layers": [{"kind": "haproxy", "id": "haproxy", "agent": "systemd:haproxy",
                           "operations": _ops(HAPROXY_OPS)}]}
    # HAProxy binds the VIPs before they exist (ip_nonlocal_bind), so the
    # stack is placed with it but not ordered after it: a restart of HAProxy
    # on the other controller does not restart the stack
    main = {"name": AS_STACK, "below": {"resource": "drbd_%s-clone" % config.get("drbd_resource", "r0"),
                                        "role": "Promoted"},
            "meta": dict(stickiness), "with": [HAPROXY_STACK], "layers": layers}
    stacks = [haproxy, main]
    clones = set()
    for service in services:
        if service["tier"] != "ha" or service.get("mode") != "active_active":
            continue
        layer = _service_layer(service)
        if layer["id"] in clones:
            continue
        clones.add(layer["id"])
        stacks.append({"name": layer["id"][len("srv_"):], "type": "clone", "layers": [layer]})
    return stacks


def openstack_control_plane_cib(config):
    """pcs_cib input of the design, after :func:`openstack_control_plane_check`.

    The DRBD promotable clone itself is the drbd role's (``drbd_cib_objects``).
    """
    openstack_control_plane_check(config)
    cib = stacks_to_cib(openstack_control_plane_stacks(config))
    # the VIPs run only where HAProxy runs, and the stack only on the DRBD
    # Promoted: DRBD is promoted only where HAProxy runs too, or a controller
    # without HAProxy would keep the promotion and the stack could run nowhere
    cib["constraints"].append({"type": "colocation", "resource": "drbd_%s-clone" % config.get("drbd_resource", "r0"),
                               "role": "Promoted", "with": "g_%s-clone" % HAPROXY_STACK, "score": "INFINITY"})
    return cib


def openstack_control_plane_haproxy(config):
    """The HAProxy frontends and backends: one per service port behind a VIP.

    Each backend lists the controllers the service runs on (every controller
    for ``ha`` services, its ``nodes`` for ``basic`` ones) at their internal
    address; ``weight`` is each controller's static weight. ``balance`` is the
    port's choice and ``algorithm`` HAProxy's; with ``feedback`` the servers'
    agents (``agent``: their port and interval) set each weight as a share of
    the static one.
    """
    feedback = openstack_control_plane_feedback(config)
    vips = {"internal": config["internal_vip"], "external": config["external_vip"]}
    proxies = []
    for service in config["services"]:
        ports = [p for p in service.get("ports") or [] if p.get("vip", "internal") != "none"]
        for item in ports:
            port = int(_text(item["port"]))
            name = service["name"] if len(ports) == 1 else "%s_%d" % (service["name"], port)
            hosts = service.get("nodes") if service["tier"] == "basic" else None
            servers = [{"name": node["host"], "address": _text(node["internal_address"]), "port": port,
                        "weight": int(_text(node.get("weight") if node.get("weight") not in (None, "") else 100))}
                       for node in config["nodes"] if hosts is None or node["host"] in hosts]
            balance = _balance(item)
            proxies.append({"name": name, "service": service["name"], "vip": item.get("vip", "internal"),
                            "address": _text(vips[item.get("vip", "internal")]),
                            "port": int(_text(item.get("frontend_port") or port)),
                            "mode": "http" if item.get("health_path") else "tcp",
                            "health_path": item.get("health_path") or "",
                            "description": item.get("description") or "",
                            "active_standby": service["tier"] == "ha"
                            and service.get("mode", "active_standby") == "active_standby",
                            "balance": balance,
                            "algorithm": "roundrobin" if balance == "feedback" else balance,
                            "agent": {"port": feedback["port"], "inter_ms": int(feedback["interval"] * 1000)}
                            if balance == "feedback" else None,
                            "servers": servers})
    return proxies
