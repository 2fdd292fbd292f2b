# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The OpenStack control plane design in Python: its refusals (each names the field), its stacks and HAProxy."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils import _cib
from ansible_collections.hastorage.cluster.plugins.module_utils._cib_build_openstack import (
    OpenStackBuildError,
    openstack_control_plane_check,
    openstack_control_plane_cib,
    openstack_control_plane_feedback,
    openstack_control_plane_haproxy,
    openstack_control_plane_stacks,
    start_order,
)
from ansible_collections.hastorage.cluster.plugins.module_utils._stack import StackError

SERVICES = [
    {"name": "mariadb", "tier": "ha", "mode": "active_standby", "unit": "mariadb", "hafs": True,
     "ports": [{"port": 3306, "vip": "internal"}]},
    {"name": "keystone", "tier": "ha", "mode": "active_standby", "unit": "apache2", "hafs": True,
     "ports": [{"port": 5000, "vip": "internal", "health_path": "/v3"}]},
    {"name": "horizon", "tier": "ha", "mode": "active_standby", "unit": "apache2", "hafs": True,
     "ports": [{"port": 80, "vip": "external", "health_path": "/auth/login/"}]},
    {"name": "glance", "tier": "ha", "mode": "active_standby", "unit": "glance-api", "hafs": True,
     "ports": [{"port": 9292, "vip": "internal", "health_path": "/healthcheck"}]},
    {"name": "nova_api", "tier": "ha", "mode": "active_active", "unit": "nova-api",
     "uwsgi_ini": "/etc/nova/nova-api-uwsgi.ini", "ports": [{"port": 8774, "vip": "internal", "health_path": "/"}]},
    {"name": "neutron_api", "tier": "ha", "mode": "active_active", "unit": "neutron-api",
     "ports": [{"port": 9696, "vip": "internal", "health_path": "/"}]},
    {"name": "neutron_rpc", "tier": "ha", "mode": "active_active", "unit": "neutron-rpc-server"},
    {"name": "memcached", "tier": "basic", "unit": "memcached", "nodes": ["ctl-a", "ctl-b"],
     "ports": [{"port": 11211, "vip": "none"}]},
    {"name": "novncproxy", "tier": "basic", "unit": "nova-novncproxy", "nodes": ["ctl-a"], "restart_sec": 5,
     "ports": [{"port": 6080, "vip": "external", "frontend_port": 6080, "health_path": "/vnc_lite.html"}]},
]

CONFIG = {
    "nodes": [{"host": "ctl-a", "name": "ctl-a", "internal_address": "10.40.0.11", "weight": 100},
              {"host": "ctl-b", "name": "ctl-b", "internal_address": "10.40.0.12"}],
    "internal_network": "10.40.0.0/24",
    "internal_interface": "ens1f0",
    "internal_vip": "10.40.0.10",
    "external_network": "192.0.2.0/24",
    "external_interface": "eno1",
    "external_vip": "192.0.2.10",
    "drbd_resource": "hafs",
    "hafs": {"device": "/dev/drbd0", "mountpoint": "/srv/hafs", "fstype": "xfs", "options": "noatime"},
    "services": SERVICES,
    "start_order": [],
    "stickiness": 100,
}


def changed(path, value):
    """CONFIG with the item at ``path`` (keys and indexes) set to ``value``."""
    config = copy.deepcopy(CONFIG)
    target = config
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return config


def service(name):
    return [i for i, s in enumerate(SERVICES) if s["name"] == name][0]


def refused(config, text):
    with pytest.raises(OpenStackBuildError) as e:
        openstack_control_plane_cib(config)
    assert text in str(e.value), str(e.value)
    # the same refusal from the HAProxy builder: both check first
    with pytest.raises(OpenStackBuildError):
        openstack_control_plane_haproxy(config)
    return str(e.value)


# --- accepted ---------------------------------------------------------------


def test_the_seed_design_is_accepted():
    summary = openstack_control_plane_check(CONFIG)
    assert summary == {"hosts": ["ctl-a", "ctl-b"],
                       "start_order": ["hafs", "mariadb", "keystone", "horizon", "glance"],
                       "active_active": ["nova_api", "neutron_api", "neutron_rpc"],
                       "basic": ["memcached", "novncproxy"]}


def test_the_error_is_a_stack_error_for_the_filter_plugin():
    assert issubclass(OpenStackBuildError, StackError)


# --- refusals: one per rule, each names the field -----------------------------


def test_refuses_internal_and_external_on_one_network():
    config = changed(["external_network"], "10.40.0.0/24")
    config["external_vip"] = "10.40.0.20"
    refused(config, "openstack_control_plane_external_network 10.40.0.0/24 and openstack_control_plane_internal_network "
                    "10.40.0.0/24 are the same network or overlap")


def test_refuses_overlapping_networks():
    config = changed(["external_network"], "10.40.0.128/25")
    config["external_vip"] = "10.40.0.130"
    refused(config, "openstack_control_plane_external_network 10.40.0.128/25 and "
                    "openstack_control_plane_internal_network 10.40.0.0/24")


def test_refuses_the_internal_vip_outside_its_network():
    refused(changed(["internal_vip"], "192.0.2.11"), "openstack_control_plane_internal_vip 192.0.2.11 is not on "
                                                     "10.40.0.0/24")


def test_refuses_the_external_vip_outside_its_network():
    refused(changed(["external_vip"], "10.40.0.20"), "openstack_control_plane_external_vip 10.40.0.20 is not on "
                                                     "192.0.2.0/24")


def test_refuses_a_vip_on_the_network_address():
    refused(changed(["internal_vip"], "10.40.0.0"), "openstack_control_plane_internal_vip 10.40.0.0 is the network "
                                                    "or broadcast address")


def test_refuses_a_network_that_is_not_cidr():
    refused(changed(["internal_network"], "10.40.0.1/24"), "openstack_control_plane_internal_network must be a "
                                                           "network in CIDR form")


def test_refuses_a_controller_address_off_the_internal_network():
    refused(changed(["nodes", 1, "internal_address"], "192.0.2.12"),
            "openstack_control_plane_internal_address of ctl-b 192.0.2.12 is not on 10.40.0.0/24")


def test_refuses_a_controller_address_that_is_the_vip():
    refused(changed(["nodes", 1, "internal_address"], "10.40.0.10"),
            "openstack_control_plane_internal_address of ctl-b 10.40.0.10 is the internal VIP")


def test_refuses_two_controllers_with_one_address():
    refused(changed(["nodes", 1, "internal_address"], "10.40.0.11"),
            "openstack_control_plane_internal_address of ctl-b 10.40.0.11 is also ctl-a's")


def test_refuses_one_controller():
    refused(changed(["nodes"], CONFIG["nodes"][:1]), "the design needs at least two controllers in the play")


def test_refuses_a_missing_interface():
    refused(changed(["external_interface"], ""), "openstack_control_plane_external_interface must name the interface")


def test_refuses_a_bad_weight():
    refused(changed(["nodes", 0, "weight"], 300), "openstack_control_plane_haproxy_weight of ctl-a must be from 0 to "
                                                  "256")


def test_refuses_a_tier_other_than_ha_or_basic():
    refused(changed(["services", service("glance"), "tier"], "gold"),
            "openstack_control_plane_services[glance].tier must be ha (Pacemaker manages it) or basic")


def test_refuses_a_mode_other_than_the_two():
    refused(changed(["services", service("nova_api"), "mode"], "active_passive"),
            "openstack_control_plane_services[nova_api].mode must be active_standby")


def test_refuses_a_mode_on_a_basic_service():
    refused(changed(["services", service("memcached"), "mode"], "active_active"),
            "openstack_control_plane_services[memcached].mode is for tier ha")


def test_refuses_a_service_before_the_filesystem_it_needs():
    msg = refused(changed(["start_order"], ["mariadb", "hafs", "keystone", "horizon", "glance"]),
                  "openstack_control_plane_start_order: mariadb needs the HAFS filesystem "
                  "(openstack_control_plane_services[mariadb].hafs) but starts before hafs")
    assert "move it after hafs" in msg


def test_a_service_without_the_filesystem_may_start_before_it():
    config = changed(["services", service("mariadb"), "hafs"], False)
    config["start_order"] = ["mariadb", "hafs", "keystone", "horizon", "glance"]
    layers = [x["id"] for x in openstack_control_plane_stacks(config)[1]["layers"]]
    assert layers[:2] == ["srv_mariadb", "fs_hafs"]


def test_refuses_a_start_order_that_leaves_a_service_out():
    refused(changed(["start_order"], ["hafs", "mariadb", "keystone", "horizon"]),
            "openstack_control_plane_start_order leaves out the active/standby service glance")


def test_refuses_a_start_order_without_hafs():
    refused(changed(["start_order"], ["mariadb", "keystone", "horizon", "glance"]),
            "openstack_control_plane_start_order leaves out hafs")


def test_refuses_an_active_active_service_in_the_start_order():
    refused(changed(["start_order"], ["hafs", "mariadb", "keystone", "horizon", "glance", "nova_api"]),
            "openstack_control_plane_start_order names nova_api, which is not an active_standby ha service")


def test_refuses_an_unknown_name_in_the_start_order():
    refused(changed(["start_order"], ["hafs", "mariadb", "keystone", "horizon", "glance", "swift"]),
            "openstack_control_plane_start_order names swift, which is not in openstack_control_plane_services")


def test_refuses_two_frontends_on_one_vip_and_port():
    refused(changed(["services", service("glance"), "ports", 0, "port"], 5000),
            "openstack_control_plane_services[glance].ports[0]: HAProxy frontend port 5000 on the internal VIP is "
            "also openstack_control_plane_services[keystone].ports[0]'s")


def test_refuses_two_services_on_one_listen_port():
    config = changed(["services", service("glance"), "ports", 0, "port"], 5000)
    config["services"][service("glance")]["ports"][0]["frontend_port"] = 9292
    refused(config, "openstack_control_plane_services[glance].ports[0].port 5000 is also "
                    "openstack_control_plane_services[keystone].ports[0]'s listen port on the same controllers")


def test_basic_services_on_different_nodes_may_share_a_port():
    config = copy.deepcopy(CONFIG)
    config["services"].append({"name": "lab_b", "tier": "basic", "unit": "lab-b", "nodes": ["ctl-b"],
                               "ports": [{"port": 6080, "vip": "none"}]})
    openstack_control_plane_check(config)
    config["services"][-1]["nodes"] = ["ctl-a"]
    refused(config, "openstack_control_plane_services[lab_b].ports[0].port 6080 is also "
                    "openstack_control_plane_services[novncproxy].ports[0]'s listen port")


def test_refuses_a_wildcard_listener_on_a_frontend_port():
    refused(changed(["services", service("nova_api"), "listen"], "any"),
            "openstack_control_plane_services[nova_api].ports[0].port 8774: the service listens on every address "
            "(listen: any) and HAProxy binds the internal VIP on port 8774")


def test_a_wildcard_listener_on_another_port_is_accepted():
    config = changed(["services", service("nova_api"), "listen"], "any")
    config["services"][service("nova_api")]["ports"][0]["frontend_port"] = 18774
    proxies = openstack_control_plane_haproxy(config)
    nova = [p for p in proxies if p["service"] == "nova_api"][0]
    assert (nova["port"], nova["servers"][0]["port"]) == (18774, 8774)


def test_refuses_a_wildcard_listener_on_the_external_frontend_port():
    config = copy.deepcopy(CONFIG)
    config["services"].append({"name": "web", "tier": "basic", "unit": "nginx", "nodes": ["ctl-b"], "listen": "any",
                               "ports": [{"port": 6080, "vip": "none"}]})
    refused(config, "openstack_control_plane_services[web].ports[0].port 6080: the service listens on every address "
                    "(listen: any) and HAProxy binds the external VIP on port 6080")


def test_refuses_a_port_out_of_range():
    refused(changed(["services", service("glance"), "ports", 0, "port"], 70000),
            "openstack_control_plane_services[glance].ports[0].port must be from 1 to 65535")


def test_refuses_an_unknown_vip():
    refused(changed(["services", service("glance"), "ports", 0, "vip"], "public"),
            "openstack_control_plane_services[glance].ports[0].vip must be internal, external or none")


def test_refuses_a_health_path_without_slash():
    refused(changed(["services", service("glance"), "ports", 0, "health_path"], "healthcheck"),
            "openstack_control_plane_services[glance].ports[0].health_path must be an HTTP path starting with /")


def test_refuses_an_unknown_service_key():
    refused(changed(["services", service("glance"), "hafs_needed"], True),
            "openstack_control_plane_services[glance]: unknown key hafs_needed")


def test_refuses_an_unknown_port_key():
    refused(changed(["services", service("glance"), "ports", 0, "healthcheck"], "/x"),
            "openstack_control_plane_services[glance].ports[0]: unknown key healthcheck")


def test_refuses_a_service_without_unit_or_agent():
    config = copy.deepcopy(CONFIG)
    del config["services"][service("glance")]["unit"]
    refused(config, "openstack_control_plane_services[glance] needs unit (the systemd unit) or agent")


def test_refuses_unit_and_agent_together():
    refused(changed(["services", service("glance"), "agent"], "ocf:heartbeat:apache"),
            "openstack_control_plane_services[glance]: give unit or agent, not both")


def test_refuses_a_bad_agent():
    config = copy.deepcopy(CONFIG)
    del config["services"][service("glance")]["unit"]
    config["services"][service("glance")]["agent"] = "heartbeat:apache"
    refused(config, "openstack_control_plane_services[glance].agent must be a Pacemaker agent")


def test_refuses_two_services_with_one_name():
    config = copy.deepcopy(CONFIG)
    config["services"].append(dict(config["services"][service("glance")], ports=[]))
    refused(config, "openstack_control_plane_services: two services are named glance")


def test_refuses_a_design_name():
    refused(changed(["services", service("glance"), "name"], "haproxy"),
            "openstack_control_plane_services: the names hafs, openstack and haproxy are the design's own")


def test_refuses_a_bad_name():
    refused(changed(["services", service("glance"), "name"], "Glance-API"),
            "openstack_control_plane_services: item 4 needs a name")


def test_refuses_an_active_active_service_on_the_hafs():
    refused(changed(["services", service("nova_api"), "hafs"], True),
            "openstack_control_plane_services[nova_api]: an active_active service runs on every controller and "
            "cannot need the HAFS filesystem")


def test_refuses_a_basic_service_on_the_hafs():
    refused(changed(["services", service("memcached"), "hafs"], True),
            "openstack_control_plane_services[memcached]: a basic service cannot need the HAFS filesystem")


def test_refuses_a_basic_service_without_nodes():
    refused(changed(["services", service("memcached"), "nodes"], []),
            "openstack_control_plane_services[memcached].nodes must list the controllers it runs on")


def test_refuses_a_basic_service_on_an_unknown_node():
    refused(changed(["services", service("memcached"), "nodes"], ["ctl-c"]),
            "openstack_control_plane_services[memcached].nodes names ctl-c, which is not a controller of the play")


def test_refuses_a_basic_service_with_an_agent():
    config = copy.deepcopy(CONFIG)
    del config["services"][service("memcached")]["unit"]
    config["services"][service("memcached")]["agent"] = "ocf:heartbeat:memcached"
    refused(config, "openstack_control_plane_services[memcached].agent: a basic service is a systemd unit")


def test_refuses_nodes_on_an_ha_service():
    refused(changed(["services", service("glance"), "nodes"], ["ctl-a"]),
            "openstack_control_plane_services[glance].nodes is for tier basic")


def test_refuses_restart_sec_on_an_ha_service():
    refused(changed(["services", service("glance"), "restart_sec"], 5),
            "openstack_control_plane_services[glance].restart_sec is for tier basic")


def test_refuses_a_bad_restart_sec():
    refused(changed(["services", service("novncproxy"), "restart_sec"], "soon"),
            "openstack_control_plane_services[novncproxy].restart_sec must be an integer")


def test_refuses_hafs_that_is_not_a_boolean():
    refused(changed(["services", service("glance"), "hafs"], "yes"),
            "openstack_control_plane_services[glance].hafs must be true or false")


def test_refuses_one_unit_in_two_placements():
    config = changed(["services", service("horizon"), "mode"], "active_active")
    config["services"][service("horizon")]["hafs"] = False
    refused(config,
            "openstack_control_plane_services[horizon].unit apache2 is also openstack_control_plane_services"
            "[keystone]'s, which is active/standby, but this service is active/active")


def test_refuses_a_bad_uwsgi_ini():
    refused(changed(["services", service("nova_api"), "uwsgi_ini"], "nova-api-uwsgi.ini"),
            "openstack_control_plane_services[nova_api].uwsgi_ini must be the absolute path")


def test_refuses_no_active_standby_service():
    config = copy.deepcopy(CONFIG)
    config["services"] = [s for s in config["services"] if s.get("mode") != "active_standby"]
    refused(config, "openstack_control_plane_services has no active_standby ha service")


def test_refuses_a_relative_hafs_mountpoint():
    refused(changed(["hafs", "mountpoint"], "srv/hafs"),
            "openstack_control_plane_hafs.mountpoint must be an absolute path")


def test_refuses_a_hafs_fstype_that_is_not_single_mount():
    refused(changed(["hafs", "fstype"], "gfs2"), "openstack_control_plane_hafs.fstype must be xfs or ext4")


def test_refuses_a_hafs_device_that_is_not_drbd():
    refused(changed(["hafs", "device"], "/dev/nvme0n1p4"), "the HAFS device must be the DRBD device /dev/drbdN")


def test_refuses_no_services():
    refused(changed(["services"], []), "openstack_control_plane_services must list the services")


# --- the built CIB -------------------------------------------------------------


def cib():
    return openstack_control_plane_cib(CONFIG)


def by_id(items):
    return dict((item["id"], item) for item in items)


def test_the_active_standby_group_in_start_order_with_the_vips_last():
    groups = by_id(cib()["groups"])
    assert groups["g_openstack"]["members"] == ["fs_hafs", "srv_mariadb", "srv_apache2", "srv_glance_api",
                                                "vip_internal", "vip_external"]
    assert groups["g_openstack"]["meta"] == {"resource-stickiness": "100"}


def test_keystone_and_horizon_share_one_apache():
    resources = by_id(cib()["resources"])
    assert resources["srv_apache2"]["agent"] == "systemd:apache2"
    assert len([r for r in cib()["resources"] if r["agent"] == "systemd:apache2"]) == 1


def test_the_group_runs_on_the_drbd_promoted_after_promote():
    constraints = cib()["constraints"]
    assert {"type": "colocation", "resource": "g_openstack", "with": "drbd_hafs-clone", "with_role": "Promoted",
            "score": "INFINITY"} in constraints
    assert {"type": "order", "first": "drbd_hafs-clone", "first_action": "promote", "then": "g_openstack",
            "then_action": "start"} in constraints


def test_the_vips_are_placed_with_haproxy_but_not_ordered_after_it():
    constraints = cib()["constraints"]
    assert {"type": "colocation", "resource": "g_openstack", "with": "g_haproxy-clone",
            "score": "INFINITY"} in constraints
    assert not [c for c in constraints if c["type"] == "order" and c["first"] == "g_haproxy-clone"]


def test_drbd_is_promoted_only_where_haproxy_runs():
    assert {"type": "colocation", "resource": "drbd_hafs-clone", "role": "Promoted", "with": "g_haproxy-clone",
            "score": "INFINITY"} in cib()["constraints"]


def test_haproxy_and_the_active_active_services_are_clones():
    clones = by_id(cib()["clones"])
    assert clones["g_haproxy-clone"] == {"id": "g_haproxy-clone", "resource": "g_haproxy",
                                         "meta": {"interleave": "true"}}
    for name in ("nova_api", "neutron_api", "neutron_rpc_server"):
        assert clones["g_%s-clone" % name]["resource"] == "g_%s" % name
    assert by_id(cib()["groups"])["g_nova_api"]["members"] == ["srv_nova_api"]
    assert by_id(cib()["resources"])["srv_neutron_api"]["agent"] == "systemd:neutron-api"


def test_basic_services_are_not_in_the_cib():
    ids = [r["id"] for r in cib()["resources"]]
    assert "srv_memcached" not in ids and "srv_nova_novncproxy" not in ids
    assert not [r for r in cib()["resources"] if "memcached" in r["agent"] or "novncproxy" in r["agent"]]


def test_the_drbd_clone_is_left_to_the_drbd_role():
    assert not [r for r in cib()["resources"] if r["agent"] == "ocf:linbit:drbd"]


def test_the_vips_and_the_filesystem():
    resources = by_id(cib()["resources"])
    assert resources["vip_internal"]["options"] == {"ip": "10.40.0.10", "cidr_netmask": "24", "nic": "ens1f0"}
    assert resources["vip_external"]["options"] == {"ip": "192.0.2.10", "cidr_netmask": "24", "nic": "eno1"}
    assert resources["fs_hafs"]["options"] == {"device": "/dev/drbd0", "directory": "/srv/hafs", "fstype": "xfs",
                                               "force_unmount": "true", "options": "noatime"}


def test_an_ocf_agent_service():
    config = copy.deepcopy(CONFIG)
    glance = config["services"][service("glance")]
    del glance["unit"]
    glance["agent"] = "ocf:heartbeat:apache"
    glance["options"] = {"configfile": "/srv/hafs/apache2/glance.conf"}
    resources = by_id(openstack_control_plane_cib(config)["resources"])
    assert resources["srv_apache"]["agent"] == "ocf:heartbeat:apache"
    assert resources["srv_apache"]["options"] == {"configfile": "/srv/hafs/apache2/glance.conf"}


def test_a_given_start_order():
    config = changed(["start_order"], ["hafs", "glance", "mariadb", "keystone", "horizon"])
    assert start_order(config) == ["hafs", "glance", "mariadb", "keystone", "horizon"]
    members = by_id(openstack_control_plane_cib(config)["groups"])["g_openstack"]["members"]
    assert members[:4] == ["fs_hafs", "srv_glance_api", "srv_mariadb", "srv_apache2"]


def test_pcs_cib_accepts_the_input():
    normalised = _cib.normalise_input(cib())
    assert [g["id"] for g in normalised["groups"]] == ["g_haproxy", "g_openstack", "g_nova_api", "g_neutron_api",
                                                       "g_neutron_rpc_server"]


# --- HAProxy ---------------------------------------------------------------------


def proxies():
    return dict((p["name"], p) for p in openstack_control_plane_haproxy(CONFIG))


def test_a_proxy_per_port_behind_a_vip():
    assert sorted(proxies()) == ["glance", "horizon", "keystone", "mariadb", "neutron_api", "nova_api", "novncproxy"]


def test_keystone_behind_the_internal_vip_checked_on_v3():
    keystone = proxies()["keystone"]
    assert (keystone["address"], keystone["port"], keystone["mode"], keystone["health_path"]) == \
        ("10.40.0.10", 5000, "http", "/v3")
    assert keystone["servers"] == [{"name": "ctl-a", "address": "10.40.0.11", "port": 5000, "weight": 100},
                                   {"name": "ctl-b", "address": "10.40.0.12", "port": 5000, "weight": 100}]
    assert keystone["active_standby"] is True


def test_horizon_on_the_external_vip():
    horizon = proxies()["horizon"]
    assert (horizon["vip"], horizon["address"], horizon["port"]) == ("external", "192.0.2.10", 80)


def test_the_health_paths_of_the_seed_services():
    got = dict((name, p["health_path"]) for name, p in proxies().items())
    assert got["glance"] == "/healthcheck" and got["nova_api"] == "/" and got["neutron_api"] == "/"
    assert proxies()["nova_api"]["active_standby"] is False


def test_mariadb_is_tcp():
    assert (proxies()["mariadb"]["mode"], proxies()["mariadb"]["health_path"]) == ("tcp", "")


def test_a_basic_service_backend_lists_only_its_nodes():
    assert [s["name"] for s in proxies()["novncproxy"]["servers"]] == ["ctl-a"]


def test_weights_per_controller():
    config = changed(["nodes", 1, "weight"], 50)
    nova = [p for p in openstack_control_plane_haproxy(config) if p["name"] == "nova_api"][0]
    assert [s["weight"] for s in nova["servers"]] == [100, 50]


def test_two_ports_of_one_service_get_two_proxies():
    config = changed(["services", service("nova_api"), "ports"],
                     [{"port": 8774, "health_path": "/"}, {"port": 8775, "health_path": "/"}])
    names = [p["name"] for p in openstack_control_plane_haproxy(config)]
    assert "nova_api_8774" in names and "nova_api_8775" in names


# --- balance and the feedback agents -----------------------------------------

FEEDBACK = {"port": 9777, "interval": 2}


def with_balance(name, balance, config=None):
    config = copy.deepcopy(config or CONFIG)
    config["services"][service(name)]["ports"][0]["balance"] = balance
    config["feedback"] = dict(FEEDBACK)
    return config


def test_default_balance_is_roundrobin_for_http_and_source_for_tcp():
    proxies = {p["name"]: p for p in openstack_control_plane_haproxy(CONFIG)}
    assert (proxies["nova_api"]["balance"], proxies["nova_api"]["algorithm"]) == ("roundrobin", "roundrobin")
    assert (proxies["mariadb"]["balance"], proxies["mariadb"]["algorithm"]) == ("source", "source")
    assert proxies["nova_api"]["agent"] is None
    assert openstack_control_plane_feedback(CONFIG) == {"port": None, "interval": None, "hosts": {}}


def test_leastconn_is_haproxys_own():
    proxies = {p["name"]: p for p in openstack_control_plane_haproxy(with_balance("neutron_api", "leastconn"))}
    assert (proxies["neutron_api"]["algorithm"], proxies["neutron_api"]["agent"]) == ("leastconn", None)


def test_feedback_is_weighted_round_robin_with_the_agents():
    config = with_balance("nova_api", "feedback")
    config["feedback"]["interval"] = 1.5
    proxies = {p["name"]: p for p in openstack_control_plane_haproxy(config)}
    assert proxies["nova_api"]["balance"] == "feedback"
    assert proxies["nova_api"]["algorithm"] == "roundrobin"
    assert proxies["nova_api"]["agent"] == {"port": 9777, "inter_ms": 1500}
    assert proxies["neutron_api"]["agent"] is None
    assert openstack_control_plane_feedback(config) == {
        "port": 9777, "interval": 1.5,
        "hosts": {"ctl-a": {"address": "10.40.0.11", "connection_ports": [8774]},
                  "ctl-b": {"address": "10.40.0.12", "connection_ports": [8774]}}}


def test_feedback_agents_count_each_controllers_balanced_ports():
    config = with_balance("nova_api", "feedback")
    config["services"][service("neutron_api")]["ports"][0]["balance"] = "feedback"
    basic = {"name": "api_basic", "tier": "basic", "unit": "api-basic", "nodes": ["ctl-b", "ctl-c"],
             "ports": [{"port": 8000, "health_path": "/", "balance": "feedback"}]}
    config["services"].append(basic)
    config["nodes"].append({"host": "ctl-c", "name": "ctl-c", "internal_address": "10.40.0.13"})
    plan = openstack_control_plane_feedback(config)
    assert plan["hosts"] == {
        "ctl-a": {"address": "10.40.0.11", "connection_ports": [8774, 9696]},
        "ctl-b": {"address": "10.40.0.12", "connection_ports": [8000, 8774, 9696]},
        "ctl-c": {"address": "10.40.0.13", "connection_ports": [8000, 8774, 9696]}}


def test_refuses_an_unknown_balance():
    refused(with_balance("nova_api", "random"), "ports[0].balance must be one of roundrobin, leastconn, source, "
            "feedback, got 'random'")


def test_refuses_balance_on_a_port_without_haproxy():
    refused(with_balance("memcached", "leastconn"), "memcached].ports[0].balance: a port with vip none is not "
            "behind HAProxy")


def test_refuses_feedback_on_an_active_standby_service():
    refused(with_balance("glance", "feedback"), "an active_standby service runs on one controller at a time")


def test_refuses_feedback_on_a_basic_service_on_one_node():
    refused(with_balance("novncproxy", "feedback"), "novncproxy].ports[0].balance feedback: the service runs on "
            "one controller")


def test_refuses_feedback_on_a_controller_without_its_agent():
    config = with_balance("nova_api", "feedback")
    config["nodes"][1]["feedback_agent"] = False
    text = refused(config, "openstack_control_plane_services[nova_api].ports[0].balance feedback: ctl-b serves it "
                   "without a feedback agent (openstack_control_plane_feedback_agent is false)")
    assert "ctl-a" not in text
    # a port that is not balanced by feedback does not need the agent
    config["services"][service("nova_api")]["ports"][0]["balance"] = "leastconn"
    openstack_control_plane_check(config)


def test_a_basic_feedback_service_needs_agents_only_on_its_nodes():
    config = with_balance("nova_api", "leastconn")
    config["services"].append({"name": "api_basic", "tier": "basic", "unit": "api-basic",
                               "nodes": ["ctl-a", "ctl-c"],
                               "ports": [{"port": 8000, "health_path": "/", "balance": "feedback"}]})
    config["nodes"].append({"host": "ctl-c", "name": "ctl-c", "internal_address": "10.40.0.13"})
    config["nodes"][1]["feedback_agent"] = False
    assert sorted(openstack_control_plane_feedback(config)["hosts"]) == ["ctl-a", "ctl-c"]


@pytest.mark.parametrize("port, owner", [
    (9292, "openstack_control_plane_services[glance].ports[0]"),
    (11211, "openstack_control_plane_services[memcached].ports[0]"),
    (2224, "pcsd"),
    (5405, "corosync"),
    (7789, "DRBD's (openstack_control_plane_drbd_port)"),
])
def test_refuses_an_agent_port_the_design_uses(port, owner):
    config = with_balance("nova_api", "feedback")
    config["drbd_port"] = 7789
    config["feedback"]["port"] = port
    refused(config, "openstack_control_plane_feedback.port %d is also %s" % (port, owner))


def test_refuses_an_agent_port_on_a_frontend_port():
    config = with_balance("nova_api", "feedback")
    config["services"][service("novncproxy")]["ports"][0]["frontend_port"] = 6090
    config["feedback"]["port"] = 6090
    refused(config, "openstack_control_plane_feedback.port 6090 is also "
            "openstack_control_plane_services[novncproxy].ports[0] (its frontend)")


@pytest.mark.parametrize("feedback, text", [
    ({"port": 9777, "interval": 0.5}, "openstack_control_plane_feedback.interval must be at least 1 second, got 0.5"),
    ({"port": 9777, "interval": "soon"}, "openstack_control_plane_feedback.interval must be at least 1 second"),
    ({"port": 70000}, "openstack_control_plane_feedback.port"),
    ("9777", "openstack_control_plane_feedback must be a dictionary"),
])
def test_refuses_bad_feedback_settings(feedback, text):
    config = with_balance("nova_api", "feedback")
    config["feedback"] = feedback
    refused(config, text)


def test_feedback_settings_are_not_checked_without_a_feedback_port():
    config = copy.deepcopy(CONFIG)
    config["feedback"] = {"port": 2224, "interval": 0}
    openstack_control_plane_check(config)
