# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The openstack_control_plane role's service templates, rendered from the role's default services.

Apache and MariaDB listen on the controller's internal address only (HAProxy
binds the VIPs on the same ports), MariaDB keeps its data on the HAFS and
tolerates HAProxy's TCP checks, Keystone's Apache site (on the HAFS) serves
every Keystone port through mod_wsgi.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import jinja2
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ROLE = os.path.join(ROOT, "roles", "openstack_control_plane")


def defaults():
    with open(os.path.join(ROLE, "defaults", "main.yml")) as f:
        return yaml.safe_load(f)


def render(name, **extra):
    env = jinja2.Environment(trim_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    with open(os.path.join(ROLE, "templates", name)) as f:
        template = env.from_string(f.read())
    variables = dict(defaults(), ansible_managed="Ansible managed", openstack_control_plane_internal_address="10.40.0.11")
    variables.update(extra)
    return template.render(**variables)


def lines(text):
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_apache_listens_on_the_internal_address_for_keystone_and_horizon():
    assert lines(render("apache-ports.conf.j2")) == ["Listen 10.40.0.11:5000", "Listen 10.40.0.11:80"]


def test_apache_listens_on_nothing_else_without_apache_services():
    services = [s for s in defaults()["openstack_control_plane_services"] if s["unit"] != "apache2"]
    assert lines(render("apache-ports.conf.j2", openstack_control_plane_services=services)) == []


def test_mariadb_on_the_internal_address_with_its_data_on_the_hafs():
    conf = lines(render("mariadb.cnf.j2"))
    assert conf[0] == "[mysqld]"
    assert "bind-address = 10.40.0.11" in conf
    assert "datadir = /srv/hafs/mysql" in conf
    assert "max_connect_errors = 4294967295" in conf


def test_keystone_site_serves_its_port_through_mod_wsgi():
    conf = lines(render("keystone-apache.conf.j2"))
    assert conf[0] == "<VirtualHost *:5000>" and conf[-1] == "</VirtualHost>"
    assert "WSGIScriptAlias / /usr/bin/keystone-wsgi-public" in conf
    assert "WSGIProcessGroup keystone-public-5000" in conf
    assert "WSGIPassAuthorization On" in conf
