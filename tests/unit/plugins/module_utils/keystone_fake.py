# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test support: an in-memory Keystone behind the open_url signature.

It answers the identity API v3 calls the keystone_catalog module makes with
the status codes and bodies Keystone 22 gives (401 for a wrong password, 409
for a duplicate name, 404 for an unknown id), and records every request
(method, path, parsed body) so a test can assert what was sent."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import itertools
import json

try:
    from urllib.parse import parse_qs, urlsplit
except ImportError:  # pragma: no cover
    from urlparse import parse_qs, urlsplit  # pylint: disable=import-error


class FakeHTTPError(Exception):
    """What urllib raises for a status >= 400: code, read(), headers."""

    def __init__(self, code, body):
        super(FakeHTTPError, self).__init__("HTTP Error %d" % code)
        self.code = code
        self._body = body
        self.headers = {}

    def read(self):
        return self._body


class FakeResponse(object):
    def __init__(self, code, body, headers):
        self._code = code
        self._body = io.BytesIO(body)
        self.headers = headers

    def getcode(self):
        return self._code

    def read(self):
        return self._body.read()


class FakeKeystone(object):
    """Keystone with the Default domain, bootstrap's admin/member/reader
    roles, an admin user with the admin role on project admin, region
    RegionOne (bootstrap --bootstrap-region-id)."""

    def __init__(self, admin_password="adminpw"):
        self._ids = ("id%04d" % n for n in itertools.count(1))
        self.domains = {"default": {"id": "default", "name": "Default"}}
        self.roles = {}
        for name in ("admin", "member", "reader"):
            self._add(self.roles, {"name": name})
        self.projects, self.users, self.services, self.endpoints = {}, {}, {}, {}
        self.regions = {"RegionOne": {"id": "RegionOne"}}
        self.passwords = {}
        self.assignments = set()  # (project id, user id, role id)
        self.tokens = {}
        admin_project = self._add(self.projects, {"name": "admin", "domain_id": "default", "description": ""})
        admin = self._add(self.users, {"name": "admin", "domain_id": "default", "enabled": True})
        self.passwords[admin["id"]] = admin_password
        self.assignments.add((admin_project["id"], admin["id"], self.role_id("admin")))
        self.requests = []
        self.down = False

    def _add(self, table, obj):
        obj = dict(obj, id=obj.get("id") or next(self._ids))
        table[obj["id"]] = obj
        return obj

    def role_id(self, name):
        return [r["id"] for r in self.roles.values() if r["name"] == name][0]

    def find(self, table, **match):
        return [o for o in table.values() if all(o.get(k) == v for k, v in match.items())]

    # ---- the open_url stand-in
    def open_url(self, url, method="GET", data=None, headers=None, timeout=None, validate_certs=True):
        if self.down:
            raise OSError("[Errno 111] Connection refused")
        parts = urlsplit(url)
        assert parts.path.startswith("/v3/"), url
        path = parts.path[len("/v3"):]
        query = dict((k, v[0]) for k, v in parse_qs(parts.query).items())
        body = json.loads(data) if data else None
        self.requests.append((method, path + ("?" + parts.query if parts.query else ""), body))
        code, answer, extra = self._route(method, path, query, body, headers or {})
        raw = json.dumps(answer).encode() if answer is not None else b""
        if code >= 400:
            raise FakeHTTPError(code, raw)
        return FakeResponse(code, raw, dict({"Content-Type": "application/json"}, **extra))

    def _authorised(self, headers):
        return headers.get("X-Auth-Token") in self.tokens

    def _route(self, method, path, query, body, headers):
        seg = path.strip("/").split("/")
        if path == "/auth/tokens" and method == "POST":
            return self._auth(body)
        if not self._authorised(headers):
            return 401, {"error": {"code": 401, "message": "The request you have made requires authentication."}}, {}
        tables = {"projects": self.projects, "users": self.users, "services": self.services,
                  "endpoints": self.endpoints, "roles": self.roles, "domains": self.domains,
                  "regions": self.regions}
        if seg[0] == "projects" and len(seg) == 6 and seg[2] == "users" and seg[4] == "roles":
            if method == "PUT":
                self.assignments.add((seg[1], seg[3], seg[5]))
                return 204, None, {}
        if seg[0] == "projects" and len(seg) == 5 and seg[2] == "users" and seg[4] == "roles" and method == "GET":
            roles = [self.roles[r] for (p, u, r) in sorted(self.assignments) if p == seg[1] and u == seg[3]]
            return 200, {"roles": roles}, {}
        table = tables.get(seg[0])
        if table is None:
            return 404, {"error": {"code": 404, "message": "no such path %s" % path}}, {}
        single = seg[0][:-1]
        if len(seg) == 1 and method == "GET":
            items = [o for o in table.values()
                     if all(str(o.get(k)) == v for k, v in query.items())]
            return 200, {seg[0]: [self._public(o) for o in items]}, {}
        if len(seg) == 1 and method == "POST":
            obj = dict(body[single])
            if seg[0] in ("projects", "users") and self.find(table, name=obj["name"], domain_id=obj["domain_id"]):
                return 409, {"error": {"code": 409, "message": "Conflict occurred attempting to store %s" % single}}, {}
            if seg[0] == "endpoints" and obj["region_id"] not in self.regions:
                return 400, {"error": {"code": 400, "message": "Invalid region %s" % obj["region_id"]}}, {}
            password = obj.pop("password", None)
            obj = self._add(table, obj)
            if password is not None:
                self.passwords[obj["id"]] = password
            return 201, {single: self._public(obj)}, {}
        if len(seg) == 2 and method == "PATCH":
            if seg[1] not in table:
                return 404, {"error": {"code": 404, "message": "Could not find %s: %s" % (single, seg[1])}}, {}
            changes = dict(body[single])
            if "password" in changes:
                self.passwords[seg[1]] = changes.pop("password")
            table[seg[1]].update(changes)
            return 200, {single: self._public(table[seg[1]])}, {}
        return 405, {"error": {"code": 405, "message": "%s %s" % (method, path)}}, {}

    def _public(self, obj):
        return dict((k, v) for k, v in obj.items() if k != "password")

    def _auth(self, body):
        ident = body["auth"]["identity"]["password"]["user"]
        users = self.find(self.users, name=ident["name"])
        if not users or self.passwords.get(users[0]["id"]) != ident["password"] or not users[0]["enabled"]:
            return 401, {"error": {"code": 401, "message": "The request you have made requires authentication."}}, {}
        scope = body["auth"].get("scope")
        if scope:
            projects = self.find(self.projects, name=scope["project"]["name"])
            if not projects or not [a for a in self.assignments if a[0] == projects[0]["id"] and a[1] == users[0]["id"]]:
                return 401, {"error": {"code": 401, "message": "not authorised on the project"}}, {}
        token = "tok-%d" % (len(self.tokens) + 1)
        self.tokens[token] = users[0]["id"]
        return 201, {"token": {"user": {"id": users[0]["id"]}}}, {"X-Subject-Token": token}

    # ---- what a test reads
    def catalog(self):
        """{service name: {interface: [url]}} of region RegionOne."""
        out = {}
        for svc in self.services.values():
            eps = {}
            for ep in self.endpoints.values():
                if ep["service_id"] == svc["id"]:
                    eps.setdefault(ep["interface"], []).append(ep["url"])
            out[svc["name"]] = eps
        return out

    def user_roles(self, user, project):
        uid = self.find(self.users, name=user)[0]["id"]
        pid = self.find(self.projects, name=project)[0]["id"]
        return sorted(self.roles[r]["name"] for (p, u, r) in self.assignments if p == pid and u == uid)
