# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""keystone_catalog against an in-memory Keystone: create, idempotence,
check mode, diff, password drift, foreign objects left alone, refusals."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.hastorage.cluster.plugins.module_utils import _keystone
from ansible_collections.hastorage.cluster.plugins.modules import keystone_catalog
from ansible_collections.hastorage.cluster.tests.unit.fake_runner import run_module
from ansible_collections.hastorage.cluster.tests.unit.plugins.module_utils.keystone_fake import FakeKeystone

VIP = "http://10.40.0.10"
ARGS = {
    "auth_url": VIP + ":5000/v3",
    "auth": {"password": "adminpw"},
    "projects": [{"name": "service", "description": "Service accounts"}],
    "users": [
        {"name": "glance", "password": "glance-secret-1", "project": "service"},
        {"name": "nova", "password": "nova-secret-1", "project": "service", "roles": ["admin", "member"]},
    ],
    "services": [
        {"name": "glance", "type": "image", "description": "OpenStack Image",
         "endpoints": {"public": VIP + ":9292", "internal": VIP + ":9292", "admin": VIP + ":9292"}},
        {"name": "nova", "type": "compute", "endpoints": {"internal": VIP + ":8774/v2.1"}},
    ],
}
SECRETS = ("adminpw", "glance-secret-1", "nova-secret-1")


@pytest.fixture
def keystone(monkeypatch):
    fake = FakeKeystone()
    monkeypatch.setattr(keystone_catalog, "open_url", fake.open_url)
    return fake


def run(monkeypatch, args=None, **kw):
    return run_module(keystone_catalog.main, copy.deepcopy(args or ARGS), monkeypatch=monkeypatch, **kw)


def writes(fake):
    return [(m, p) for (m, p, _b) in fake.requests if m not in ("GET",) and p != "/auth/tokens"]


def test_creates_then_changes_nothing(keystone, monkeypatch):
    result = run(monkeypatch)
    assert result["changed"] and not result.get("failed"), result
    assert [a["action"] for a in result["actions"]] == [
        "create_project", "create_user", "grant_role", "create_user", "grant_role", "grant_role",
        "create_service", "create_endpoint", "create_endpoint", "create_endpoint", "create_service",
        "create_endpoint"]
    assert keystone.catalog() == {"glance": {"public": [VIP + ":9292"], "internal": [VIP + ":9292"],
                                             "admin": [VIP + ":9292"]},
                                  "nova": {"internal": [VIP + ":8774/v2.1"]}}
    assert keystone.user_roles("nova", "service") == ["admin", "member"]
    assert result["catalog"]["users"]["glance"] == {"enabled": True, "roles": {"service": ["admin"]},
                                                    "password": "accepted"}
    keystone.requests[:] = []
    again = run(monkeypatch, diff=True)
    assert not again["changed"] and again["actions"] == [], again
    assert writes(keystone) == []
    assert again["diff"]["before"] == again["diff"]["after"] == result["catalog"]


def test_check_mode_plans_and_changes_nothing(keystone, monkeypatch):
    result = run(monkeypatch, check_mode=True, diff=True)
    assert result["changed"] and len(result["actions"]) == 12
    assert writes(keystone) == [] and keystone.catalog() == {}
    assert result["diff"]["before"]["users"] == {"glance": None, "nova": None}
    # the predicted after is what a real run reads back
    real = run(monkeypatch, diff=True)
    assert result["diff"]["after"] == real["diff"]["after"] == real["catalog"]


def test_a_changed_password_is_set_and_nothing_else(keystone, monkeypatch):
    run(monkeypatch)
    args = copy.deepcopy(ARGS)
    args["users"][0]["password"] = "glance-secret-2"
    keystone.requests[:] = []
    result = run(monkeypatch, args, diff=True)
    assert result["actions"] == [{"action": "set_password", "name": "glance"}]
    assert result["diff"]["before"]["users"]["glance"]["password"] == "refused"
    assert result["diff"]["after"]["users"]["glance"]["password"] == "accepted"
    assert writes(keystone) == [("PATCH", "/users/%s" % keystone.find(keystone.users, name="glance")[0]["id"])]
    assert keystone.passwords[keystone.find(keystone.users, name="glance")[0]["id"]] == "glance-secret-2"


def test_a_moved_endpoint_is_updated_in_place(keystone, monkeypatch):
    run(monkeypatch)
    args = copy.deepcopy(ARGS)
    args["services"][1]["endpoints"]["internal"] = "http://10.40.0.20:8774/v2.1"
    result = run(monkeypatch, args)
    assert [a["action"] for a in result["actions"]] == ["update_endpoint"]
    assert keystone.catalog()["nova"] == {"internal": ["http://10.40.0.20:8774/v2.1"]}
    assert len(keystone.endpoints) == 4


def test_objects_it_does_not_name_are_left_alone(keystone, monkeypatch):
    run(monkeypatch)
    # an operator's own user, service and an endpoint of nova in another region
    keystone.regions["RegionTwo"] = {"id": "RegionTwo"}
    nova = keystone.find(keystone.services, name="nova")[0]
    keystone._add(keystone.endpoints, {"service_id": nova["id"], "interface": "internal",
                                       "url": "http://elsewhere:8774/v2.1", "region_id": "RegionTwo"})
    keystone._add(keystone.users, {"name": "operator", "domain_id": "default", "enabled": False})
    keystone._add(keystone.services, {"name": "swift", "type": "object-store"})
    # and a public endpoint of nova the task does not give
    keystone._add(keystone.endpoints, {"service_id": nova["id"], "interface": "public",
                                       "url": "http://public:8774/v2.1", "region_id": "RegionOne"})
    keystone.requests[:] = []
    result = run(monkeypatch)
    assert not result["changed"] and writes(keystone) == []
    paths = [p for (_m, p, _b) in keystone.requests]
    assert not [p for p in paths if "operator" in p or "swift" in p]


def test_a_disabled_service_user_is_enabled_and_a_missing_role_granted(keystone, monkeypatch):
    run(monkeypatch)
    nova = keystone.find(keystone.users, name="nova")[0]
    nova["enabled"] = False
    keystone.assignments = set(a for a in keystone.assignments
                               if not (a[1] == nova["id"] and a[2] == keystone.role_id("member")))
    result = run(monkeypatch)
    # Keystone refuses any password of a disabled user, so it is set with the enabling
    assert [a["action"] for a in result["actions"]] == ["enable_user", "set_password", "grant_role"]
    assert keystone.user_roles("nova", "service") == ["admin", "member"] and nova["enabled"]
    assert not run(monkeypatch)["changed"]


def test_the_region_is_created_when_missing(keystone, monkeypatch):
    del keystone.regions["RegionOne"]
    result = run(monkeypatch)
    assert result["actions"][0] == {"action": "create_region", "region": "RegionOne"}
    assert "RegionOne" in keystone.regions and keystone.catalog()["nova"]


@pytest.mark.parametrize("change, message", [
    (lambda a: a["auth"].update(password="wrong"), "Keystone refused the administrator admin"),
    (lambda a: a["users"][0].update(roles=["operator"]), "role operator does not exist"),
    (lambda a: a["users"][0].update(project="nowhere"), "project nowhere neither exists nor is listed"),
])
def test_refusals_change_nothing(keystone, monkeypatch, change, message):
    args = copy.deepcopy(ARGS)
    change(args)
    result = run(monkeypatch, args)
    assert result["failed"] and message in result["msg"], result
    assert writes(keystone) == []


def test_two_endpoints_of_one_interface_are_refused(keystone, monkeypatch):
    run(monkeypatch)
    nova = keystone.find(keystone.services, name="nova")[0]
    keystone._add(keystone.endpoints, {"service_id": nova["id"], "interface": "internal",
                                       "url": "http://second:8774/v2.1", "region_id": "RegionOne"})
    args = copy.deepcopy(ARGS)
    args["services"][1]["endpoints"]["internal"] = "http://third:8774/v2.1"
    keystone.requests[:] = []
    result = run(monkeypatch, args)
    assert result["failed"] and "2 internal endpoints in region RegionOne" in result["msg"]
    assert writes(keystone) == []


def test_keystone_down_is_a_clear_failure(keystone, monkeypatch):
    keystone.down = True
    result = run(monkeypatch)
    assert result["failed"] and "POST /auth/tokens" in result["msg"] and "Connection refused" in result["msg"]


def test_no_secret_in_results_or_urls(keystone, monkeypatch):
    results = [run(monkeypatch, check_mode=True, diff=True), run(monkeypatch, diff=True), run(monkeypatch)]
    args = copy.deepcopy(ARGS)
    args["users"][0]["password"] = "glance-secret-2"
    results.append(run(monkeypatch, args, diff=True))
    for result in results:
        shown = dict((k, v) for k, v in result.items() if k != "invocation")
        for secret in SECRETS + ("glance-secret-2",):
            assert secret not in repr(shown)
    for _method, path, _body in keystone.requests:
        for secret in SECRETS + ("glance-secret-2",):
            assert secret not in path


def test_plan_is_pure_and_ordered():
    desired = {"domain": "Default", "region": "RegionOne",
               "projects": [{"name": "service", "description": None}],
               "users": [{"name": "glance", "password": "x", "project": "service", "roles": ["admin", "member"]}],
               "services": [{"name": "glance", "type": "image", "description": None,
                             "endpoints": {"internal": VIP + ":9292"}}]}
    current = {"domain_id": "default", "projects": {}, "users": {}, "services": {},
               "roles": {"admin": "r1", "member": "r2"}, "region_exists": True}
    before = copy.deepcopy(current)
    actions = _keystone.plan_catalog(current, desired)
    assert current == before
    assert [a["action"] for a in actions] == ["create_project", "create_user", "grant_role", "grant_role",
                                              "create_service", "create_endpoint"]
    # a description not given is left as it is
    current["projects"]["service"] = {"id": "p1", "description": "set by hand"}
    assert "update_project" not in [a["action"] for a in _keystone.plan_catalog(current, desired)]
