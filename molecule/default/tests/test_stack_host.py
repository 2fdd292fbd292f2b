# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Host state of the default scenario after converge: the stack of
vars/stack.yml (ext4 on the shared disk, smbd, VIP) runs on its preferred
node, and only Pacemaker starts smbd. Run before verify.yml's crash drill."""

from __future__ import absolute_import, division, print_function

import pytest

__metaclass__ = type  # pylint: disable=invalid-name

SMB_PORT = 445


@pytest.fixture(scope="module")
def stack_vars(project_yaml):
    return project_yaml("molecule/default/vars/stack.yml")


@pytest.fixture(scope="module")
def active(node, stack_vars):
    """Whether the node is the one the stack prefers (where it runs now)."""
    return node["name"] == stack_vars["stack"]["prefers"]


def test_the_stack_filesystem_is_mounted_on_the_active_node_only(host, mounts, active, stack_vars, lab_state):
    mount = mounts().get(stack_vars["stack_mount"])
    assert (mount is not None) == active
    if active:
        assert mount == (lab_state["shared_disks"][0]["path"], "ext4")
        assert host.check_output("blkid -o value -s LABEL %s", mount.device) == stack_vars["stack_label"]


def test_the_mount_point_is_ready_on_every_node(stat, stack_vars):
    directory = stat(stack_vars["stack_mount"]).get(stack_vars["stack_mount"])
    assert directory and directory.kind == "directory" and directory.user == "root"


def test_samba_is_left_to_pacemaker(units, listening, active):
    found = units("smbd", "nmbd")
    assert not found["smbd"].enabled and not found["nmbd"].enabled
    assert found["smbd"].active == active
    assert ("tcp://0.0.0.0:%d" % SMB_PORT in listening()) == active


def test_smb_conf_shares_the_stack_filesystem(host, stack_vars):
    conf = host.check_output("testparm -s --section-name=stack --parameter-name=path 2>/dev/null")
    assert conf == stack_vars["stack_mount"]
