#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hastorage.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: keystone_catalog
short_description: The service catalog and service accounts of an OpenStack cloud in Keystone
description:
  - Makes Keystone hold the projects, the service users (with their password and their roles in
    their project), the services and each service's endpoints in one region that the task names,
    through Keystone's identity API v3. Reads what exists, plans what is missing, applies only
    that, and reads again, so C(changed) and the diff come from what Keystone holds.
  - Objects the task does not name are never read or changed. A named service's endpoints in other
    regions, or for interfaces the task does not give, are left alone.
  - "A user's password is never read back (Keystone cannot): the module signs in as the user with the
    given password, and sets the password only when Keystone refuses it."
  - "For clouds whose openstacksdk is too old for the C(openstack.cloud) collection (Debian 12 ships
    0.101; C(openstack.cloud) 2.x needs 1.0 or later): only Python's standard library is used."
version_added: 0.1.0
author:
  - hastorage.cluster contributors (@hastorage)
options:
  auth_url:
    description: Keystone's v3 URL, for example V(http://10.40.0.10:5000/v3).
    type: str
    required: true
  auth:
    description: The administrator who makes the changes (a user with the admin role on the project).
    type: dict
    required: true
    suboptions:
      username:
        description: The administrator's name.
        type: str
        default: admin
      password:
        description: The administrator's password.
        type: str
        required: true
      project_name:
        description: The project the administrator's token is scoped to.
        type: str
        default: admin
      user_domain_name:
        description: The administrator's domain.
        type: str
        default: Default
      project_domain_name:
        description: The domain of O(auth.project_name).
        type: str
        default: Default
  domain:
    description: The domain of the projects and users the task names.
    type: str
    default: Default
  region:
    description: The region of the endpoints (created when missing and endpoints are given).
    type: str
    default: RegionOne
  projects:
    description: Projects, for example C(service), the project of the service users.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The project's name.
        type: str
        required: true
      description:
        description: Its description (left as it is when not given).
        type: str
  users:
    description: Service users, each with a password and roles in one project.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The user's name.
        type: str
        required: true
      password:
        description: The user's password (set when Keystone refuses it).
        type: str
        required: true
      project:
        description: The project the user's roles are granted on, and its default project.
        type: str
        required: true
      roles:
        description: Roles the user has on O(users[].project) (others it has are kept).
        type: list
        elements: str
        default: [admin]
  services:
    description: Services of the catalog with their endpoints in O(region).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The service's name, for example V(glance).
        type: str
        required: true
      type:
        description: The service's type, for example V(image).
        type: str
        required: true
      description:
        description: Its description (left as it is when not given).
        type: str
      endpoints:
        description: URL of each interface.
        type: dict
        default: {}
        suboptions:
          public:
            description: The public endpoint's URL.
            type: str
          internal:
            description: The internal endpoint's URL.
            type: str
          admin:
            description: The admin endpoint's URL.
            type: str
  timeout:
    description: Seconds each request may take.
    type: int
    default: 30
  validate_certs:
    description: Check Keystone's TLS certificate (an C(https) O(auth_url)).
    type: bool
    default: true
extends_documentation_fragment: []
attributes:
  check_mode:
    support: full
    description: Reads and plans, changes nothing; C(changed) and RV(actions) say what would change.
  diff_mode:
    support: full
    description: Before and after of every named object, without passwords.
  idempotent:
    support: full
    description: A second run with the same input changes nothing.
notes:
  - Passwords travel only in request bodies to O(auth_url), never on a command line or in the result.
"""

EXAMPLES = r"""
- name: Register Glance in the catalog, with its service user
  hastorage.cluster.keystone_catalog:
    auth_url: http://10.40.0.10:5000/v3
    auth:
      password: "{{ vault_keystone_admin_password }}"
    projects:
      - {name: service, description: Service accounts}
    users:
      - name: glance
        password: "{{ vault_glance_service_password }}"
        project: service
        roles: [admin]
    services:
      - name: glance
        type: image
        description: OpenStack Image
        endpoints:
          public: http://10.40.0.10:9292
          internal: http://10.40.0.10:9292
          admin: http://10.40.0.10:9292
"""

RETURN = r"""
actions:
  description: What was changed (or, in check mode, would be), in order; no passwords.
  returned: always
  type: list
  elements: dict
  sample: [{"action": "create_user", "name": "glance", "project": "service"},
           {"action": "grant_role", "user": "glance", "project": "service", "role": "admin"}]
catalog:
  description: >-
    The named objects as Keystone holds them after the run (null where absent); in check mode, as
    they would be.
  returned: always
  type: dict
  sample: {"projects": {"service": {"description": "Service accounts"}},
           "users": {"glance": {"enabled": true, "roles": {"service": ["admin"]}, "password": "accepted"}},
           "services": {"glance": {"type": "image", "description": "OpenStack Image",
                                   "endpoints": {"internal": ["http://10.40.0.10:9292"]}}}}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url

from ansible_collections.hastorage.cluster.plugins.module_utils._keystone import (
    KeystoneClient, KeystoneError, apply_catalog, catalog_view, plan_catalog, predicted_view, read_catalog)


def argument_spec():
    return dict(
        auth_url=dict(type="str", required=True),
        auth=dict(type="dict", required=True, options=dict(
            username=dict(type="str", default="admin"),
            password=dict(type="str", required=True, no_log=True),
            project_name=dict(type="str", default="admin"),
            user_domain_name=dict(type="str", default="Default"),
            project_domain_name=dict(type="str", default="Default"),
        )),
        domain=dict(type="str", default="Default"),
        region=dict(type="str", default="RegionOne"),
        projects=dict(type="list", elements="dict", default=[], options=dict(
            name=dict(type="str", required=True),
            description=dict(type="str"),
        )),
        users=dict(type="list", elements="dict", default=[], options=dict(
            name=dict(type="str", required=True),
            password=dict(type="str", required=True, no_log=True),
            project=dict(type="str", required=True),
            roles=dict(type="list", elements="str", default=["admin"]),
        )),
        services=dict(type="list", elements="dict", default=[], options=dict(
            name=dict(type="str", required=True),
            type=dict(type="str", required=True),
            description=dict(type="str"),
            endpoints=dict(type="dict", default={}, options=dict(
                public=dict(type="str"), internal=dict(type="str"), admin=dict(type="str"),
            )),
        )),
        timeout=dict(type="int", default=30),
        validate_certs=dict(type="bool", default=True),
    )


def check_input(params):
    """Messages about input the argument spec cannot judge (empty list when fine)."""
    errors = []
    if not params["auth_url"].startswith(("http://", "https://")):
        errors.append("auth_url must be an http:// or https:// URL, got %r" % params["auth_url"])
    for kind in ("projects", "users", "services"):
        names = [item["name"] for item in params[kind]]
        dups = sorted({name for name in names if names.count(name) > 1})
        if dups:
            errors.append("%s: %s listed more than once" % (kind, ", ".join(dups)))
        if any(not name.strip() for name in names):
            errors.append("%s: a name is empty" % kind)
    for user in params["users"]:
        if not user["password"]:
            errors.append("users: %s has an empty password" % user["name"])
        if not user["roles"]:
            errors.append("users: %s has no roles" % user["name"])
    for service in params["services"]:
        for interface, url in sorted((service["endpoints"] or {}).items()):
            if url is not None and not url.startswith(("http://", "https://")):
                errors.append("services: %s's %s endpoint must be an http:// or https:// URL, got %r"
                              % (service["name"], interface, url))
    if params["timeout"] < 1:
        errors.append("timeout must be at least 1 (seconds)")
    return errors


def desired_catalog(params):
    return {
        "domain": params["domain"], "region": params["region"],
        "projects": [dict(name=p["name"], description=p["description"]) for p in params["projects"]],
        "users": [dict(name=u["name"], password=u["password"], project=u["project"], roles=list(u["roles"]))
                  for u in params["users"]],
        "services": [dict(name=s["name"], type=s["type"], description=s["description"],
                          endpoints=dict((k, v) for k, v in (s["endpoints"] or {}).items() if v))
                     for s in params["services"]],
    }


def run_module(module, client):
    params = module.params
    errors = check_input(params)
    if errors:
        module.fail_json(msg="; ".join(errors))
    desired = desired_catalog(params)
    auth = params["auth"]
    try:
        token = client.authenticate(auth["username"], auth["password"], auth["project_name"],
                                    auth["user_domain_name"], auth["project_domain_name"])
        if token is None:
            module.fail_json(msg="Keystone refused the administrator %s (wrong password, or no role on project %s)"
                             % (auth["username"], auth["project_name"]))
        client.token = token
        current = read_catalog(client, desired)
        before = catalog_view(current, desired)
        actions = plan_catalog(current, desired)
        after = predicted_view(before, actions)
        if actions and not module.check_mode:
            apply_catalog(client, current, desired, actions)
            after = catalog_view(read_catalog(client, desired), desired)
    except KeystoneError as exc:
        module.fail_json(msg=str(exc))
    result = dict(changed=bool(actions), actions=actions, catalog=after)
    if module._diff:
        result["diff"] = dict(before=before, after=after)
    module.exit_json(**result)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    client = KeystoneClient(module.params["auth_url"], open_url, module.params["timeout"],
                            module.params["validate_certs"])
    run_module(module, client)


if __name__ == "__main__":
    main()
