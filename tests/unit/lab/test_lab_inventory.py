# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""lab/lab_inventory.py: the lab inventories' nodes get plain connection variables."""

from __future__ import absolute_import, division, print_function

import json
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(REPO, "lab"))
import lab_inventory  # noqa: E402  pylint: disable=wrong-import-position,import-error

STATE = {"name": "hsc-x", "ssh": {"private_key": "ssh/id_ed25519", "user": "root"},
         "nodes": [{"name": "node1", "ip": "10.9.0.11"}, {"name": "node2", "ip": "10.9.0.12"}],
         "fence": {"ip": "10.9.0.1"}}
LAB_INVENTORIES = ("lab", "lab_integrated", "lab_gateway")


def test_each_node_gets_its_own_address_key_and_the_parsed_state():
    out = lab_inventory.inventory(STATE, "/s/hsc-x")
    # the script plugin gives variables only to hosts its groups list
    assert out["all"]["hosts"] == ["node1", "node2"]
    node2 = out["_meta"]["hostvars"]["node2"]
    assert node2["ansible_host"] == "10.9.0.12"
    assert node2["ansible_ssh_private_key_file"] == "/s/hsc-x/ssh/id_ed25519"
    assert node2["lab_state"] == STATE
    assert out["_meta"]["hostvars"]["node1"]["ansible_host"] == "10.9.0.11"


@pytest.mark.parametrize("layout", ["all.yml", "all/uml.yml"])
def test_the_lab_name_comes_from_the_inventorys_group_vars(tmp_path, layout):
    path = tmp_path / "group_vars" / layout
    path.parent.mkdir(parents=True)
    path.write_text("---\n# lab_name: not-this\nlab_name: hsc-lab-int\nother: 1\n")
    assert lab_inventory.lab_name(str(tmp_path)) == "hsc-lab-int"
    path.write_text("---\nother: 1\n")
    assert lab_inventory.lab_name(str(tmp_path)) is None


def _tree(tmp_path, with_state=True):
    """A copy of the repository's layout: inventories/x (hosts, group_vars, the script link) and lab/state."""
    inv = tmp_path / "inventories" / "x"
    (inv / "group_vars").mkdir(parents=True)
    (inv / "group_vars" / "all.yml").write_text(
        "---\nlab_name: hsc-x\nansible_connection: local\n"
        "lab_state: \"{{ lookup('ansible.builtin.file', '/nonexistent/lab.json') | from_json }}\"\n")
    (inv / "hosts.yml").write_text("all:\n  children:\n    lab_nodes:\n      hosts:\n        node1:\n        node2:\n")
    (tmp_path / "lab").mkdir()
    for name in ("lab_inventory", "lab_inventory.py"):
        shutil.copy(os.path.join(REPO, "lab", name), str(tmp_path / "lab" / name))
    os.chmod(str(tmp_path / "lab" / "lab_inventory"), 0o755)
    os.symlink("../../lab/lab_inventory", str(inv / "lab_hosts"))
    if with_state:
        (tmp_path / "lab" / "state" / "hsc-x").mkdir(parents=True)
        (tmp_path / "lab" / "state" / "hsc-x" / "lab.json").write_text(json.dumps(STATE))
    return inv


def test_the_script_run_through_its_link_reads_the_state_beside_the_inventory(tmp_path):
    inv = _tree(tmp_path)
    out = json.loads(subprocess.check_output([str(inv / "lab_hosts"), "--list"]))
    assert out["_meta"]["hostvars"]["node1"]["ansible_ssh_private_key_file"] == \
        str(tmp_path / "lab" / "state" / "hsc-x" / "ssh" / "id_ed25519")
    assert json.loads(subprocess.check_output([str(inv / "lab_hosts"), "--host", "node1"])) == {}


def test_without_a_lab_the_script_lists_nothing(tmp_path):
    inv = _tree(tmp_path, with_state=False)
    assert json.loads(subprocess.check_output([str(inv / "lab_hosts"), "--list"])) == {"_meta": {"hostvars": {}}}


def test_ansible_reads_the_scripts_values_over_the_group_vars(tmp_path):
    """Through ansible-inventory: the host variables win over group_vars/all (and its lookup is never needed)."""
    ansible_inventory = shutil.which("ansible-inventory", path=os.path.dirname(sys.executable) + os.pathsep
                                     + os.environ.get("PATH", ""))
    if not ansible_inventory:
        pytest.skip("ansible-inventory is not installed")
    inv = _tree(tmp_path)
    out = json.loads(subprocess.check_output([ansible_inventory, "-i", str(inv), "--list"],
                                             env=dict(os.environ, ANSIBLE_INVENTORY_UNPARSED_WARNING="False")))
    node2 = out["_meta"]["hostvars"]["node2"]
    assert node2["ansible_host"] == "10.9.0.12"
    assert node2["lab_state"] == STATE


@pytest.mark.parametrize("name", LAB_INVENTORIES)
def test_every_lab_inventory_runs_the_script_and_templates_no_address(name):
    link = os.path.join(REPO, "inventories", name, "lab_hosts")
    assert os.path.islink(link) and os.path.realpath(link) == os.path.join(REPO, "lab", "lab_inventory")
    assert os.access(link, os.X_OK)
    for root, _dirs, files in os.walk(os.path.join(REPO, "inventories", name, "group_vars")):
        for f in files:
            with open(os.path.join(root, f)) as handle:
                text = handle.read()
            assert "\nansible_host:" not in text and "\nansible_ssh_private_key_file:" not in text, f
