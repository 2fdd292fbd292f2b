# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to this collection: Keystone's identity API v3 (the service
catalog and the service accounts) read, planned and changed over HTTP.

Three layers: KeystoneClient only sends requests (one method, request(),
the one place unit tests replace), read_catalog() reads what a desired
catalog names, plan_catalog() decides what is missing, a pure function."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

INTERFACES = ("public", "internal", "admin")


class KeystoneError(Exception):
    """A request Keystone refused, or an answer this module cannot use."""


class KeystoneClient(object):
    """Requests against one Keystone (AUTH_URL ends in /v3). OPEN_URL is
    ansible.module_utils.urls.open_url or a stand-in with its signature."""

    def __init__(self, auth_url, open_url, timeout=30, validate_certs=True):
        self.auth_url = auth_url.rstrip("/")
        self._open_url = open_url
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.token = None

    def request(self, method, path, body=None, token=None, ok=(200, 201, 204)):
        """(status, headers, parsed JSON or None) of METHOD AUTH_URL+PATH.
        A status not in OK raises KeystoneError (the body's message, never
        the request's, which may carry a password)."""
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        token = token if token is not None else self.token
        if token:
            headers["X-Auth-Token"] = token
        data = json.dumps(body) if body is not None else None
        try:
            resp = self._open_url(self.auth_url + path, method=method, data=data, headers=headers,
                                  timeout=self.timeout, validate_certs=self.validate_certs)
            status, text, resp_headers = resp.getcode(), resp.read(), dict(resp.headers)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # urllib's HTTPError carries the status and the body; anything else failed to connect
            status = getattr(exc, "code", None)
            if status is None:
                raise KeystoneError("%s %s: %s" % (method, path, exc))
            text = exc.read() if hasattr(exc, "read") else b""
            resp_headers = dict(getattr(exc, "headers", None) or {})
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        parsed = None
        if text:
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
        if status not in ok:
            message = ((parsed or {}).get("error") or {}).get("message") if isinstance(parsed, dict) else None
            raise KeystoneError("%s %s: HTTP %s%s" % (method, path, status, (": " + message) if message else ""))
        return status, resp_headers, parsed

    def authenticate(self, username, password, project_name=None, user_domain="Default",
                     project_domain="Default"):
        """A token of USERNAME (scoped to PROJECT_NAME when given), or None
        when Keystone answers 401 (wrong password, unknown user)."""
        auth = {"identity": {"methods": ["password"], "password": {"user": {
            "name": username, "domain": {"name": user_domain}, "password": password}}}}
        if project_name:
            auth["scope"] = {"project": {"name": project_name, "domain": {"name": project_domain}}}
        status, headers, _body = self.request("POST", "/auth/tokens", {"auth": auth}, token="",
                                              ok=(201, 401))
        if status == 401:
            return None
        for key, value in headers.items():
            if key.lower() == "x-subject-token":
                return value
        raise KeystoneError("POST /auth/tokens: no X-Subject-Token in Keystone's answer")

    def list(self, path, key, **query):
        """The KEY list of GET PATH?QUERY (query values URL-quoted by the caller's choice of names)."""
        qs = "&".join("%s=%s" % (k, _quote(v)) for k, v in sorted(query.items()) if v is not None)
        _status, _headers, body = self.request("GET", path + ("?" + qs if qs else ""))
        if not isinstance(body, dict) or not isinstance(body.get(key), list):
            raise KeystoneError("GET %s: no %s list in Keystone's answer" % (path, key))
        return body[key]


def _quote(value):
    try:
        from urllib.parse import quote
    except ImportError:  # pragma: no cover - Python 2
        from urllib import quote  # pylint: disable=no-name-in-module
    return quote(str(value), safe="")


def _one(items, what):
    if len(items) > 1:
        raise KeystoneError("%s: %d objects have that name; name one that is unique" % (what, len(items)))
    return items[0] if items else None


def read_catalog(client, desired, check_passwords=True):
    """What Keystone has of the objects DESIRED names (a dict: domain,
    region, projects, users, services; shapes of plan_catalog). Objects it
    does not name are not read. A user's password is checked by signing in
    as the user (never read back)."""
    domain = _one(client.list("/domains", "domains", name=desired["domain"]), "domain %s" % desired["domain"])
    if domain is None:
        raise KeystoneError("domain %s does not exist" % desired["domain"])
    current = {"domain_id": domain["id"], "projects": {}, "users": {}, "services": {}, "roles": {},
               "region_exists": bool([region for region in client.list("/regions", "regions")
                                      if region["id"] == desired["region"]])}
    for project in desired["projects"]:
        found = _one(client.list("/projects", "projects", name=project["name"], domain_id=domain["id"]),
                     "project %s" % project["name"])
        if found:
            current["projects"][project["name"]] = {"id": found["id"],
                                                    "description": found.get("description") or ""}
    role_names = sorted({role for user in desired["users"] for role in user["roles"]})
    for role in role_names:
        found = _one(client.list("/roles", "roles", name=role), "role %s" % role)
        if found:
            current["roles"][role] = found["id"]
    for user in desired["users"]:
        found = _one(client.list("/users", "users", name=user["name"], domain_id=domain["id"]),
                     "user %s" % user["name"])
        if not found:
            continue
        entry = {"id": found["id"], "enabled": found.get("enabled", True), "roles": {}, "password_ok": None}
        project = current["projects"].get(user["project"])
        if project:
            roles = client.list("/projects/%s/users/%s/roles" % (project["id"], found["id"]), "roles")
            entry["roles"][user["project"]] = sorted(role["name"] for role in roles)
        # Keystone refuses every password of a disabled user: not checkable
        if check_passwords and entry["enabled"]:
            entry["password_ok"] = client.authenticate(user["name"], user["password"],
                                                       user_domain=desired["domain"]) is not None
        current["users"][user["name"]] = entry
    for service in desired["services"]:
        found = [svc for svc in client.list("/services", "services", type=service["type"])
                 if svc.get("name") == service["name"]]
        found = _one(found, "service %s (type %s)" % (service["name"], service["type"]))
        if not found:
            continue
        endpoints = {}
        for endpoint in client.list("/endpoints", "endpoints", service_id=found["id"]):
            if endpoint.get("region_id", endpoint.get("region")) != desired["region"]:
                continue
            endpoints.setdefault(endpoint["interface"], []).append({"id": endpoint["id"], "url": endpoint["url"]})
        current["services"][service["name"]] = {"id": found["id"], "type": found["type"],
                                                "description": found.get("description") or "",
                                                "endpoints": endpoints}
    return current


def plan_catalog(current, desired):
    """The changes that make Keystone hold DESIRED, as a list of dicts
    {"action": ..., ...}, in the order they can be applied. Pure.

    DESIRED: {"domain", "region", "projects": [{"name", "description"}],
    "users": [{"name", "password", "project", "roles": [..]}],
    "services": [{"name", "type", "description", "endpoints": {interface: url}}]}.
    CURRENT: read_catalog's answer. Nothing DESIRED does not name is touched;
    a service's endpoints in other regions, or for interfaces DESIRED does
    not give, are left alone."""
    actions = []
    if not current["region_exists"] and any(svc.get("endpoints") for svc in desired["services"]):
        actions.append({"action": "create_region", "region": desired["region"]})
    for project in desired["projects"]:
        have = current["projects"].get(project["name"])
        if have is None:
            actions.append({"action": "create_project", "name": project["name"],
                            "description": project.get("description") or ""})
        elif project.get("description") is not None and have["description"] != project["description"]:
            actions.append({"action": "update_project", "name": project["name"],
                            "description": project["description"]})
    known_projects = set(current["projects"]) | {p["name"] for p in desired["projects"]}
    for user in desired["users"]:
        if user["project"] not in known_projects:
            raise KeystoneError("user %s: project %s neither exists nor is listed in projects"
                                % (user["name"], user["project"]))
        missing_roles = [role for role in user["roles"] if role not in current["roles"]]
        if missing_roles:
            raise KeystoneError("user %s: role %s does not exist in Keystone (keystone-manage bootstrap "
                                "makes admin, member and reader)" % (user["name"], ", ".join(missing_roles)))
        have = current["users"].get(user["name"])
        if have is None:
            actions.append({"action": "create_user", "name": user["name"], "project": user["project"]})
        else:
            if not have["enabled"]:
                # its password could not be checked: set with the enabling
                actions.append({"action": "enable_user", "name": user["name"]})
                actions.append({"action": "set_password", "name": user["name"]})
            elif have["password_ok"] is False:
                actions.append({"action": "set_password", "name": user["name"]})
        granted = set((have or {}).get("roles", {}).get(user["project"], []))
        for role in user["roles"]:
            if role not in granted:
                actions.append({"action": "grant_role", "user": user["name"], "project": user["project"],
                                "role": role})
    for service in desired["services"]:
        have = current["services"].get(service["name"])
        if have is None:
            actions.append({"action": "create_service", "name": service["name"], "type": service["type"],
                            "description": service.get("description") or ""})
            have_endpoints = {}
        else:
            have_endpoints = have["endpoints"]
            if service.get("description") is not None and have["description"] != service["description"]:
                actions.append({"action": "update_service", "name": service["name"],
                                "description": service["description"]})
        for interface in INTERFACES:
            url = (service.get("endpoints") or {}).get(interface)
            if not url:
                continue
            existing = have_endpoints.get(interface, [])
            if any(endpoint["url"] == url for endpoint in existing):
                continue
            if len(existing) == 1:
                actions.append({"action": "update_endpoint", "service": service["name"], "interface": interface,
                                "id": existing[0]["id"], "url": url, "old_url": existing[0]["url"]})
            elif existing:
                raise KeystoneError("service %s has %d %s endpoints in region %s, none at %s: remove the extra "
                                    "ones first" % (service["name"], len(existing), interface, desired["region"], url))
            else:
                actions.append({"action": "create_endpoint", "service": service["name"], "interface": interface,
                                "url": url})
    return actions


def catalog_view(current, desired):
    """A password-free view of CURRENT for diff and the result: what each
    named object is, or absent."""
    view = {"projects": {}, "users": {}, "services": {}}
    for project in desired["projects"]:
        have = current["projects"].get(project["name"])
        view["projects"][project["name"]] = {"description": have["description"]} if have else None
    for user in desired["users"]:
        have = current["users"].get(user["name"])
        view["users"][user["name"]] = None if have is None else {
            "enabled": have["enabled"], "roles": have["roles"],
            "password": {True: "accepted", False: "refused", None: "not checked"}[have["password_ok"]]}
    for service in desired["services"]:
        have = current["services"].get(service["name"])
        view["services"][service["name"]] = None if have is None else {
            "type": have["type"], "description": have["description"],
            "endpoints": dict((interface, sorted(e["url"] for e in items))
                              for interface, items in sorted(have["endpoints"].items()))}
    return view


def apply_catalog(client, current, desired, actions):
    """Carry out ACTIONS (plan_catalog's), in order; ids of the objects
    created on the way are kept in CURRENT."""
    users = dict((user["name"], user) for user in desired["users"])
    for act in actions:
        kind = act["action"]
        if kind == "create_project":
            _s, _h, body = client.request("POST", "/projects", {"project": {
                "name": act["name"], "description": act["description"], "domain_id": current["domain_id"],
                "enabled": True}})
            current["projects"][act["name"]] = {"id": body["project"]["id"], "description": act["description"]}
        elif kind == "update_project":
            client.request("PATCH", "/projects/%s" % current["projects"][act["name"]]["id"],
                           {"project": {"description": act["description"]}})
        elif kind == "create_user":
            user = users[act["name"]]
            _s, _h, body = client.request("POST", "/users", {"user": {
                "name": user["name"], "password": user["password"], "domain_id": current["domain_id"],
                "default_project_id": current["projects"][user["project"]]["id"], "enabled": True}})
            current["users"][act["name"]] = {"id": body["user"]["id"], "enabled": True, "roles": {},
                                             "password_ok": True}
        elif kind == "enable_user":
            client.request("PATCH", "/users/%s" % current["users"][act["name"]]["id"], {"user": {"enabled": True}})
        elif kind == "set_password":
            client.request("PATCH", "/users/%s" % current["users"][act["name"]]["id"],
                           {"user": {"password": users[act["name"]]["password"]}})
        elif kind == "grant_role":
            client.request("PUT", "/projects/%s/users/%s/roles/%s" % (
                current["projects"][act["project"]]["id"], current["users"][act["user"]]["id"],
                current["roles"][act["role"]]))
        elif kind == "create_service":
            _s, _h, body = client.request("POST", "/services", {"service": {
                "name": act["name"], "type": act["type"], "description": act["description"], "enabled": True}})
            current["services"][act["name"]] = {"id": body["service"]["id"], "type": act["type"],
                                                "description": act["description"], "endpoints": {}}
        elif kind == "update_service":
            client.request("PATCH", "/services/%s" % current["services"][act["name"]]["id"],
                           {"service": {"description": act["description"]}})
        elif kind == "create_endpoint":
            client.request("POST", "/endpoints", {"endpoint": {
                "service_id": current["services"][act["service"]]["id"], "interface": act["interface"],
                "url": act["url"], "region_id": desired["region"], "enabled": True}})
        elif kind == "update_endpoint":
            client.request("PATCH", "/endpoints/%s" % act["id"], {"endpoint": {"url": act["url"]}})
        elif kind == "create_region":
            client.request("POST", "/regions", {"region": {"id": act["region"]}})
            current["region_exists"] = True
        else:  # pragma: no cover - plan_catalog makes only the kinds above
            raise KeystoneError("unknown action %s" % kind)


def predicted_view(view, actions):
    """catalog_view's VIEW after ACTIONS, without asking Keystone: what
    check mode shows as the diff's after."""
    after = json.loads(json.dumps(view))
    for act in actions:
        kind = act["action"]
        if kind in ("create_project", "update_project"):
            after["projects"][act["name"]] = {"description": act["description"]}
        elif kind == "create_user":
            after["users"][act["name"]] = {"enabled": True, "roles": {act["project"]: []}, "password": "accepted"}
        elif kind == "enable_user":
            after["users"][act["name"]]["enabled"] = True
        elif kind == "set_password":
            after["users"][act["name"]]["password"] = "accepted"
        elif kind == "grant_role":
            roles = after["users"][act["user"]]["roles"].setdefault(act["project"], [])
            after["users"][act["user"]]["roles"][act["project"]] = sorted(roles + [act["role"]])
        elif kind == "create_service":
            after["services"][act["name"]] = {"type": act["type"], "description": act["description"],
                                              "endpoints": {}}
        elif kind == "update_service":
            after["services"][act["name"]]["description"] = act["description"]
        elif kind == "create_endpoint":
            endpoints = after["services"][act["service"]]["endpoints"]
            endpoints[act["interface"]] = sorted(endpoints.get(act["interface"], []) + [act["url"]])
        elif kind == "update_endpoint":
            endpoints = after["services"][act["service"]]["endpoints"]
            endpoints[act["interface"]] = sorted(
                [url for url in endpoints.get(act["interface"], []) if url != act["old_url"]] + [act["url"]])
    return after
