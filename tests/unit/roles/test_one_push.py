# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""One pcs_cib push per cluster per run, as wired in the role files.

The nas_dual_controller_cib integration target runs fencing.yml and cib.yml
on a CIB file and counts the pushes; these checks cover the wiring that
target cannot run on one host: the design includes the pacemaker role with
pacemaker_cib_push false, every pcs_cib task of a building-block role is
switched by its push variable, and the design's one pcs_cib task carries the
pacemaker role's objects.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PCS_CIB = "hastorage.cluster.pcs_cib"


def load(path):
    with open(os.path.join(ROOT, path)) as f:
        return yaml.safe_load(f) or []


def own(task):
    """A task without the tasks of its block: what the task itself carries."""
    return dict((k, v) for k, v in task.items() if k not in ("block", "rescue", "always"))


def tasks(items):
    for task in items:
        yield task
        for key in ("block", "rescue", "always"):
            yield from tasks(task.get(key) or [])


def steps(items):
    """A main.yml's steps in order, the checks' block (any_errors_fatal) opened."""
    for task in items:
        if "block" in task:
            yield from task["block"]
        else:
            yield task


def pcs_cib_tasks():
    found = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "roles", "*", "tasks", "*.yml"))):
        rel = os.path.relpath(path, ROOT)
        for task in tasks(load(rel)):
            if PCS_CIB in task:
                found.setdefault(rel, []).append(task)
    return found


def test_every_role_pcs_cib_task_is_known_and_switched():
    found = pcs_cib_tasks()
    assert sorted(found) == ["roles/drbd/tasks/pacemaker.yml", "roles/nas_dual_controller/tasks/cib.yml",
                             "roles/nas_gateway/tasks/cib.yml", "roles/nas_integrated/tasks/cib.yml", "roles/openstack_control_plane/tasks/cib.yml",
                             "roles/pacemaker/tasks/fencing.yml"]
    assert all(len(v) == 1 for v in found.values())
    assert found["roles/pacemaker/tasks/fencing.yml"][0]["when"] == "pacemaker_cib_push | bool"
    assert found["roles/drbd/tasks/pacemaker.yml"][0]["when"] == "drbd_cib_push | bool"


def test_the_design_includes_the_pacemaker_role_without_its_push():
    includes = [t for t in tasks(load("roles/nas_dual_controller/tasks/main.yml"))
                if (t.get("ansible.builtin.include_role") or {}).get("name") == "hastorage.cluster.pacemaker"
                and t["ansible.builtin.include_role"].get("tasks_from") != "vip_interfaces.yml"]
    assert len(includes) == 2  # validated first, then run
    assert [t["vars"]["pacemaker_cib_push"] for t in includes] == [False, False]
    assert includes[0]["ansible.builtin.include_role"]["tasks_from"] == "validate.yml"


def test_the_design_push_carries_the_pacemaker_objects():
    task = pcs_cib_tasks()["roles/nas_dual_controller/tasks/cib.yml"][0]
    merged = task["vars"]["__nas_dual_controller_cib_input"]
    assert "pacemaker_cib_objects" in merged and "hastorage.cluster.cib_merge" in merged
    for key in ("stonith", "fencing_levels", "properties", "resource_defaults", "operation_defaults",
                "resources", "groups", "clones", "constraints"):
        assert task[PCS_CIB][key] == "{{ __nas_dual_controller_cib_input.%s }}" % key
    # the pacemaker role publishes every key the push reads
    published = [t for t in load("roles/pacemaker/tasks/fencing.yml")
                 if "pacemaker_cib_objects" in (t.get("ansible.builtin.set_fact") or {})]
    assert len(published) == 1
    assert sorted(published[0]["ansible.builtin.set_fact"]["pacemaker_cib_objects"]) == sorted(
        ["stonith", "fencing_levels", "properties", "resource_defaults", "operation_defaults",
         "resources", "groups", "clones", "constraints"])


def test_tasks_that_carry_fence_passwords_keep_no_log():
    fencing = load("roles/pacemaker/tasks/fencing.yml")
    for task in fencing:
        if PCS_CIB in task or "pacemaker_cib_objects" in (task.get("ansible.builtin.set_fact") or {}):
            assert "pacemaker_secure_logging" in str(task.get("no_log"))
    for task in load("roles/pacemaker/tasks/stonith_devices.yml"):
        assert task["no_log"] == "{{ pacemaker_secure_logging }}"
    design = pcs_cib_tasks()["roles/nas_dual_controller/tasks/cib.yml"][0]
    assert "pacemaker_secure_logging" in design["no_log"] and "__pacemaker_has_ipmi" in design["no_log"]


# --- the integrated design (roles/nas_integrated) ------------------------------


def includes(path, role):
    """The includes of ROLE in PATH, but the read-only node checks (vip_interfaces.yml)."""
    return [t for t in tasks(load(path)) if (t.get("ansible.builtin.include_role") or {}).get("name") == role
            and (t.get("ansible.builtin.include_role") or {}).get("tasks_from") != "vip_interfaces.yml"]


def assert_design_push(role, merged_parts):
    """The design's one pcs_cib task merges MERGED_PARTS (the building blocks' objects and its own) and pushes
    every key of the merge, run once, with no_log while fence passwords may be in it."""
    task = pcs_cib_tasks()["roles/%s/tasks/cib.yml" % role][0]
    merged = task["vars"]["__%s_cib_input" % role]
    assert "[%s]" % ", ".join(merged_parts) in merged and "hastorage.cluster.cib_merge" in merged
    for key in ("stonith", "fencing_levels", "properties", "resource_defaults", "operation_defaults",
                "resources", "groups", "clones", "constraints"):
        assert task[PCS_CIB][key] == "{{ __%s_cib_input.%s }}" % (role, key)
    assert "pacemaker_secure_logging" in task["no_log"] and "__pacemaker_has_ipmi" in task["no_log"]
    assert task["run_once"] is True


def test_integrated_includes_the_building_blocks_without_their_push():
    main = "roles/nas_integrated/tasks/main.yml"
    pacemaker = includes(main, "hastorage.cluster.pacemaker")
    drbd = includes(main, "hastorage.cluster.drbd")
    assert len(pacemaker) == 2 and len(drbd) == 2  # each validated first, then run
    for task in pacemaker:
        assert task["vars"]["pacemaker_cib_push"] is False
    for task in drbd:
        assert task["vars"]["drbd_cib_push"] is False
        assert task["vars"]["drbd_protocol"] == "C"
    services = includes(main, "hastorage.cluster.nas_services")
    assert [t["vars"]["nas_services_nfs_server"] for t in services] == ["kernel", "kernel"]


def test_integrated_checks_everything_before_the_first_change():
    main = list(steps(load("roles/nas_integrated/tasks/main.yml")))
    names = [(t.get("ansible.builtin.include_tasks") or (t.get("ansible.builtin.include_role") or {}).get("tasks_from")
              or (t.get("ansible.builtin.include_role") or {}).get("name")) for t in main]
    assert names[:4] == ["validate.yml", "validate.yml", "validate.yml", "validate.yml"]
    assert names[4] == "vip_interfaces.yml"
    assert names[5] == "raid.yml"
    # the validation tasks only read and assert
    for task in tasks(load("roles/nas_integrated/tasks/validate.yml")):
        modules = [k for k in task if k.startswith("ansible.builtin.")]
        assert modules and all(m in ("ansible.builtin.stat", "ansible.builtin.command", "ansible.builtin.set_fact",
                                     "ansible.builtin.assert") for m in modules), task["name"]
        if "ansible.builtin.command" in task:
            assert task["changed_when"] is False and task["ansible.builtin.command"]["argv"][0] == "lsblk"


def test_integrated_push_carries_fencing_drbd_and_the_design():
    assert_design_push("nas_integrated", ["pacemaker_cib_objects", "drbd_cib_objects", "__nas_integrated_objects"])


# --- the OpenStack control plane design (roles/openstack_control_plane) ---------


def test_openstack_includes_the_building_blocks_without_their_push():
    main = "roles/openstack_control_plane/tasks/main.yml"
    pacemaker = includes(main, "hastorage.cluster.pacemaker")
    drbd = includes(main, "hastorage.cluster.drbd")
    assert len(pacemaker) == 2 and len(drbd) == 2  # each validated first, then run
    for task in pacemaker:
        assert task["vars"]["pacemaker_cib_push"] is False
    for task in drbd:
        assert task["vars"]["drbd_cib_push"] is False
        assert task["vars"]["drbd_protocol"] == "C"


def test_openstack_checks_everything_before_the_first_change():
    main = list(steps(load("roles/openstack_control_plane/tasks/main.yml")))
    names = [(t.get("ansible.builtin.include_tasks") or (t.get("ansible.builtin.include_role") or {}).get("tasks_from")
              or (t.get("ansible.builtin.include_role") or {}).get("name")) for t in main]
    # the design's, the pacemaker role's, the drbd role's and the feedback_agent role's checks
    assert names[:4] == ["validate.yml"] * 4
    assert names[4] == "vip_interfaces.yml"
    assert names[5] == "packages.yml"
    # the first set-up of the services' data needs the stacks running: after the push and the wait
    assert names[-3:] == ["cib.yml", "wait.yml", "bootstrap.yml"]
    # the validation tasks only read and assert
    for task in tasks(load("roles/openstack_control_plane/tasks/validate.yml")):
        modules = [k for k in task if k.startswith("ansible.builtin.")]
        assert modules and all(m in ("ansible.builtin.set_fact", "ansible.builtin.assert") for m in modules), \
            task["name"]


def test_feedback_agent_checks_only_read():
    main = list(steps(load("roles/feedback_agent/tasks/main.yml")))
    assert main[0].get("ansible.builtin.include_tasks") == "validate.yml"
    for task in tasks(load("roles/feedback_agent/tasks/validate.yml")):
        modules = [k for k in task if "." in k]
        assert len(modules) == 1, task["name"]
        module = modules[0]
        assert module in ("ansible.builtin.assert", "community.general.listen_ports_facts",
                          "ansible.builtin.systemd_service"), task["name"]
        if module == "ansible.builtin.systemd_service":
            # a status read: no state, enabled or reload, and in check mode
            assert set(task[module]) == {"name"} and task.get("check_mode") is True, task["name"]


def test_openstack_bootstrap_keeps_every_password_off_command_lines_and_output():
    boot = list(tasks(load("roles/openstack_control_plane/tasks/bootstrap.yml")))
    secret_tasks = [t for t in boot if "password" in json.dumps(own(t))]
    assert len(secret_tasks) >= 4
    for task in secret_tasks:
        assert task.get("no_log") == "{{ openstack_control_plane_secure_logging | bool }}", task["name"]
        argv = json.dumps((task.get("ansible.builtin.command") or {}).get("argv", []))
        assert "password" not in argv, task["name"]
    # keystone-manage bootstrap reads OS_BOOTSTRAP_PASSWORD: it comes on stdin and is exported inside
    # the shell only; no task passes a password through Ansible's environment (the EXEC line at -vvv)
    bootstrap = [t for t in boot if "bootstrap" in json.dumps((t.get("ansible.builtin.command") or {}).get("argv", []))]
    assert len(bootstrap) == 1
    assert bootstrap[0]["ansible.builtin.command"]["stdin"] == "{{ openstack_control_plane_admin_password }}"
    assert "read -r OS_BOOTSTRAP_PASSWORD" in bootstrap[0]["ansible.builtin.command"]["argv"][2]
    for path in sorted(glob.glob(os.path.join(ROOT, "roles", "*", "tasks", "*.yml"))):
        for task in tasks(load(os.path.relpath(path, ROOT))):
            assert "password" not in json.dumps(task.get("environment", {})).lower(), (path, task["name"])
    # every command says when it changed something
    for task in boot + list(tasks(load("roles/openstack_control_plane/tasks/bootstrap_schema.yml"))):
        if "ansible.builtin.command" in task:
            assert "changed_when" in task, task["name"]


def test_openstack_push_carries_fencing_drbd_and_the_design():
    assert_design_push("openstack_control_plane",
                       ["pacemaker_cib_objects", "drbd_cib_objects", "__openstack_control_plane_objects"])


def test_openstack_tasks_that_carry_database_passwords_keep_no_log():
    carrying = []
    for path in sorted(glob.glob(os.path.join(ROOT, "roles", "openstack_control_plane", "tasks", "*.yml"))):
        for task in tasks(load(os.path.relpath(path, ROOT))):
            text = str(own(task))
            if "_db_password" in text and "ansible.builtin.assert" not in task:
                carrying.append(task["name"])
                assert task.get("no_log") == "{{ openstack_control_plane_secure_logging | bool }}", task["name"]
            if "ansible.builtin.assert" in task and "_db_password" in text:
                # the check that they are set reads their lengths only
                assert all("_db_password | length" in c for c in task["ansible.builtin.assert"]["that"]
                           if "_db_password" in c), task["name"]
    # Keystone's, Glance's, Nova's and Neutron's configuration, and the database users
    assert len(carrying) == 4, carrying
    # no command line carries them (stdin may: it is no command line)
    for path in sorted(glob.glob(os.path.join(ROOT, "roles", "openstack_control_plane", "tasks", "*.yml"))):
        for task in tasks(load(os.path.relpath(path, ROOT))):
            if "ansible.builtin.command" in task:
                command = task["ansible.builtin.command"]
                assert "password" not in str(command.get("argv", "")) + str(command.get("cmd", "")), task["name"]


# --- the gateway design (roles/nas_gateway) --------------------------------------


def test_gateway_checks_everything_and_counts_paths_before_multipath_changes():
    main = list(steps(load("roles/nas_gateway/tasks/main.yml")))
    names = [(t.get("ansible.builtin.include_tasks")
              or "%s:%s" % ((t.get("ansible.builtin.include_role") or {}).get("name", "").split(".")[-1],
                            (t.get("ansible.builtin.include_role") or {}).get("tasks_from", "main"))) for t in main]
    assert names == ["validate.yml", "pacemaker:validate.yml", "multipath:validate.yml", "nas_services:validate.yml",
                     "pacemaker:vip_interfaces.yml", "multipath:install.yml", "multipath:iscsi.yml", "census.yml",
                     "multipath:main",
                     "pacemaker:main", "storage.yml", "nas_services:main", "cib.yml", "wait.yml"]
    for task in main:
        role = task.get("ansible.builtin.include_role") or {}
        if role.get("name") == "hastorage.cluster.pacemaker" and role.get("tasks_from") != "vip_interfaces.yml":
            assert task["vars"]["pacemaker_cib_push"] is False
        if role.get("name") == "hastorage.cluster.multipath":
            assert "nas_gateway_luns" in task["vars"]["multipath_luns"]
    # validation only reads and asserts
    for task in tasks(load("roles/nas_gateway/tasks/validate.yml")):
        modules = [k for k in task if k.startswith("ansible.builtin.")]
        assert modules and all(m in ("ansible.builtin.set_fact", "ansible.builtin.assert") for m in modules)
    # the census only reads
    census = load("roles/nas_gateway/tasks/census.yml")
    assert census[0]["hastorage.cluster.multipath_info"]["maps"] is False
    assert census[0]["hastorage.cluster.multipath_info"]["scsi_disks"] is True


def test_gateway_push_carries_fencing_and_the_design():
    assert_design_push("nas_gateway", ["pacemaker_cib_objects", "__nas_gateway_objects"])


def test_gateway_makes_filesystems_only_on_blank_luns():
    steps = load("roles/nas_gateway/tasks/filesystem.yml")
    mkfs = [t for t in steps if "community.general.filesystem" in t][0]
    assert mkfs["community.general.filesystem"]["force"] is False
    assert mkfs["when"] == "__nas_gateway_blkid.rc == 2"
    assert steps[0]["ansible.builtin.command"]["argv"][:4] == ["blkid", "--probe", "--output", "export"]
