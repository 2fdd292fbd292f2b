# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The worked example of docs/adding_a_design.md, run.

The blocks after ``<!-- example: NAME -->`` are read from the page: the
mapping and the filter (Python) are loaded as the modules they would be, the
role's defaults, the inventory's variables and validate.yml give the mapping
its settings, and the stacks go through the stack_to_cib filter as the
example's validate.yml does. The groups and constraints the page describes,
its refusal message and its wiring (pushes switched off, one pcs_cib task
like the other designs') are asserted, so the page fails here when it rots.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import glob
import json
import os
import re
import sys

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.hastorage.cluster.plugins.filter.cib_build import drbd_cib
from ansible_collections.hastorage.cluster.plugins.filter.stack_to_cib import FilterModule
from ansible_collections.hastorage.cluster.plugins.module_utils import _stack

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
DOC = os.path.join(ROOT, "docs", "adding_a_design.md")
MAPPING_MODULE = "ansible_collections.hastorage.cluster.plugins.module_utils._cib_build_web_export"
BLOCK = re.compile(r"^<!-- example: ([\w-]+) -->\n```(\w+)\n(.*?)\n```$", re.S | re.M)
EXPECTED_BLOCKS = {"defaults": "yaml", "group_vars": "yaml", "mapping": "python", "filter": "python",
                   "refusal": "text", "validate": "yaml", "main": "yaml", "cib": "yaml"}
# the design's one push is the same task as this design's, the names aside
REFERENCE_PUSH = ("roles/nas_integrated/tasks/cib.yml", "nas_integrated")

stack_to_cib = FilterModule().filters()["stack_to_cib"]


def doc_text():
    with open(DOC) as f:
        return f.read()


def blocks():
    found = {}
    for name, lang, body in BLOCK.findall(doc_text()):
        assert name not in found, "docs/adding_a_design.md marks two blocks '%s'" % name
        found[name] = (lang, body)
    return found


def block(name):
    return blocks()[name][1]


def tasks(items):
    for task in items:
        yield task
        for key in ("block", "rescue", "always"):
            yield from tasks(task.get(key) or [])


def settings():
    """The mapping's input as validate.yml gathers it: each key from its role variable."""
    defaults = yaml.safe_load(block("defaults"))
    values = dict(defaults)
    inventory = yaml.safe_load(block("group_vars"))
    assert set(inventory) <= set(defaults), "group_vars sets variables the role does not have"
    values.update(inventory)
    publish = [t["ansible.builtin.set_fact"] for t in yaml.safe_load(block("validate"))
               if "__web_export_config" in (t.get("ansible.builtin.set_fact") or {})]
    assert len(publish) == 1
    config = {}
    for key, template in publish[0]["__web_export_config"].items():
        match = re.match(r"^\{\{ (web_export_\w+) \}\}$", template)
        assert match, "validate.yml: %s is not one role variable: %r" % (key, template)
        assert match.group(1) in defaults, "validate.yml reads %s, which defaults/main.yml lacks" % match.group(1)
        config[key] = values[match.group(1)]
    return config


@pytest.fixture
def web_export_stacks(tmp_path, monkeypatch, load_file_module):
    """The doc's filter, on the doc's mapping loaded as the module_utils it would be."""
    mapping = tmp_path / "_cib_build_web_export.py"
    mapping.write_text(block("mapping") + "\n")
    module = load_file_module(MAPPING_MODULE, str(mapping))
    monkeypatch.setitem(sys.modules, MAPPING_MODULE, module)
    plugin = tmp_path / "web_export.py"
    plugin.write_text(block("filter") + "\n")
    filters = load_file_module("hsc_doc_web_export_filter", str(plugin)).FilterModule().filters()
    assert sorted(filters) == ["web_export_stacks"]
    return filters["web_export_stacks"]


def test_the_page_marks_every_example_block():
    assert dict((name, lang) for name, (lang, body) in blocks().items()) == EXPECTED_BLOCKS


def test_the_mapping_gives_the_stacks_the_page_describes(web_export_stacks):
    config = settings()
    out = stack_to_cib(web_export_stacks(config), networks=[config["network"]])
    assert out["groups"] == [
        {"id": "g_export", "members": ["fs_export", "nfsd_export", "exportfs_export", "vip_export"],
         "meta": {"resource-stickiness": "100"}},
        {"id": "g_web", "members": ["nginx_web", "vip_web"]},
    ]
    # the VIP last in every group
    assert [g["members"][-1] for g in out["groups"]] == ["vip_export", "vip_web"]
    assert out["constraints"] == [
        {"type": "colocation", "resource": "g_export", "with": "drbd_export-clone", "score": "INFINITY",
         "with_role": "Promoted"},
        {"type": "order", "first": "drbd_export-clone", "first_action": "promote", "then": "g_export",
         "then_action": "start"},
        {"type": "location", "resource": "g_export", "node": "node1", "score": 50},
        {"type": "order", "first": "g_export", "first_action": "start", "then": "g_web", "then_action": "start"},
        {"type": "colocation", "resource": "g_web", "with": "g_export", "score": "INFINITY"},
    ]
    agents = dict((r["id"], r["agent"]) for r in out["resources"])
    assert agents == {"fs_export": "ocf:heartbeat:Filesystem", "nfsd_export": "ocf:heartbeat:nfsserver",
                      "exportfs_export": "ocf:heartbeat:exportfs", "vip_export": "ocf:heartbeat:IPaddr2",
                      "nginx_web": "systemd:nginx", "vip_web": "ocf:heartbeat:IPaddr2"}
    options = dict((r["id"], r.get("options")) for r in out["resources"])
    assert options["fs_export"]["device"] == "/dev/drbd0"
    assert options["vip_export"] == {"ip": "192.0.2.50", "cidr_netmask": "24"}
    # the clone under the stack is the one the drbd role publishes (drbd_cib_objects) for that resource
    drbd = drbd_cib([{"name": config["drbd_resource"], "volumes": [{"minor": 0, "disk": "/dev/vdb"}]}], ["a", "b"])
    assert [c["id"] for c in drbd["clones"]] == ["drbd_export-clone"]
    assert "clones" not in out
    # the prose names what the test checks
    text = doc_text()
    for name in ["g_export", "g_web", "drbd_export-clone"] + [m for g in out["groups"] for m in g["members"]]:
        assert "`%s`" % name in text, name


def test_the_page_shows_the_refusal_of_a_vip_below_the_export(web_export_stacks):
    config = settings()
    stacks = web_export_stacks(config)
    layers = stacks[0]["layers"]
    layers.insert(-1, layers.pop())   # the VIP moved below the export (exportfs)
    with pytest.raises(AnsibleFilterError) as e:
        stack_to_cib(stacks, networks=[config["network"]])
    assert str(e.value) == block("refusal").strip()


def test_every_layer_out_of_tier_order_is_refused_naming_stack_and_layer(web_export_stacks):
    refused = 0
    for index, stack in enumerate(web_export_stacks(settings())):
        layers = stack["layers"]
        for i in range(len(layers) - 1):
            low, high = layers[i], layers[i + 1]
            if _stack.LAYER_RANK[low["kind"]] == _stack.LAYER_RANK[high["kind"]]:
                continue
            stacks = web_export_stacks(settings())
            swapped = stacks[index]["layers"]
            swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
            with pytest.raises(AnsibleFilterError) as e:
                stack_to_cib(stacks)
            message = str(e.value)
            assert message.startswith("stack %s: " % stack["name"]), message
            assert low["id"] in message and high["id"] in message, message
            refused += 1
    assert refused == 3


@pytest.mark.parametrize("change, message", [
    ({"nfs_vip": ""}, "web_export_nfs_vip must be set"),
    ({"web_vip": "198.51.100.5"},
     "stack web: VIP vip_web address 198.51.100.5 is on none of the networks 192.0.2.0/24"),
    ({"prefers": ["node1", {"node": "node2", "score": "high"}]},
     "stack export: prefers score must be an integer or INFINITY, got 'high'"),
])
def test_bad_settings_are_refused(web_export_stacks, change, message):
    config = settings()
    config.update(change)
    with pytest.raises(AnsibleFilterError) as e:
        stack_to_cib(web_export_stacks(config), networks=[config["network"]])
    assert str(e.value) == message


def test_the_yaml_names_only_what_exists():
    """Every hastorage.cluster name is a role, module or filter, or the page's own filter; every
    web_export_ variable is in its defaults."""
    defaults = set(yaml.safe_load(block("defaults")))
    known = set(["web_export", "web_export_stacks"])
    known.update(os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "roles", "*")))
    known.update(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py")))
    known.update(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(ROOT, "plugins", "filter", "*.yml")))
    for name in ("validate", "main", "cib"):
        text = block(name)
        for used in re.findall(r"hastorage\.cluster\.(\w+)", text):
            assert used in known, "%s block: hastorage.cluster.%s does not exist" % (name, used)
        for variable in re.findall(r"(?<![\w/])(web_export_\w+)", text):
            if variable != "web_export_stacks":
                assert variable in defaults, "%s block: %s is not in the defaults" % (name, variable)
    for path in re.findall(r"`((?:roles|plugins|tests|playbooks|molecule|lab|docs)/[\w./-]+)`", doc_text()):
        if "web_export" not in path:
            assert os.path.exists(os.path.join(ROOT, path)), path


def test_the_building_blocks_run_without_their_own_push():
    main = yaml.safe_load(block("main"))
    includes = dict((t["ansible.builtin.include_role"]["name"], t.get("vars") or {}) for t in tasks(main)
                    if "ansible.builtin.include_role" in t and "tasks_from" not in t["ansible.builtin.include_role"])
    assert includes["hastorage.cluster.pacemaker"]["pacemaker_cib_push"] is False
    assert includes["hastorage.cluster.drbd"]["drbd_cib_push"] is False
    # the checks' block comes first, stops every host, and holds every building block's checks
    assert main[0]["any_errors_fatal"] is True
    checked = [t["ansible.builtin.include_role"] for t in main[0]["block"] if "ansible.builtin.include_role" in t]
    assert sorted(set(c["name"] for c in checked)) == sorted(includes)
    # the last check reads the nodes' interfaces against the design's VIPs
    assert checked[-1] == {"name": "hastorage.cluster.pacemaker", "tasks_from": "vip_interfaces.yml"}
    assert main[0]["block"][-1]["vars"] == {"pacemaker_vip_interfaces_objects": "{{ __web_export_objects }}"}
    # the drbd role's resource is the one the mapping puts the export on
    assert includes["hastorage.cluster.drbd"]["drbd_resources"][0]["name"] == "{{ web_export_drbd_resource }}"


def test_the_one_push_is_the_other_designs_push():
    doc_tasks = yaml.safe_load(block("cib"))
    assert len(doc_tasks) == 1
    path, design = REFERENCE_PUSH
    with open(os.path.join(ROOT, path)) as f:
        reference = [t for t in yaml.safe_load(f) if "hastorage.cluster.pcs_cib" in t]
    assert len(reference) == 1
    expected = json.loads(json.dumps(reference[0]).replace(design, "web_export"))
    got = copy.deepcopy(doc_tasks[0])
    del got["name"], expected["name"]
    assert got == expected
    assert "[pacemaker_cib_objects, drbd_cib_objects, __web_export_objects] | hastorage.cluster.cib_merge" \
        in got["vars"]["__web_export_cib_input"]
