# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Host state the hastorage.cluster.pacemaker role leaves on every node.

Run on each node of a scenario whose nodes the role converged (default,
nas_dual_controller); the cluster's behaviour is checked
by the Ansible verify.yml of each scenario.
"""

from __future__ import absolute_import, division, print_function

import testinfra

__metaclass__ = type  # pylint: disable=invalid-name

PCSD_PORT = 2224
KNET_PORT = 5405  # knet link 0; link N listens on 5405 + N
KEYS = {
    "/etc/corosync/authkey": ("root", "root", 0o400),
    "/etc/pacemaker/authkey": ("hacluster", "haclient", 0o440),
}
FENCE_AGENT = "/usr/sbin/fence_podman_lab"  # installed by lab/labctl


def test_the_cluster_packages_are_installed(host, project_yaml):
    packages = project_yaml("roles/pacemaker/defaults/main.yml")["pacemaker_packages"]
    status = host.check_output("dpkg-query -W -f '${Package} ${db:Status-Status}\\n'" + " %s" * len(packages),
                               *packages)
    installed = [line.split()[0] for line in status.splitlines() if line.endswith(" installed")]
    assert sorted(installed) == sorted(packages)


def test_pcsd_corosync_and_pacemaker_start_at_boot_and_run(units):
    for name, unit in units("pcsd", "corosync", "pacemaker").items():
        assert unit.enabled and unit.active, name


def test_the_cluster_keys_are_private(stat):
    found = stat(*KEYS)
    for path, (owner, group, mode) in KEYS.items():
        assert path in found, path
        assert found[path].kind == "regular file" and found[path].size >= 128, path
        assert (found[path].user, found[path].group, found[path].mode) == (owner, group, mode), path


def test_every_node_has_the_same_cluster_keys(lab_state):
    sums = {}
    for entry in lab_state["nodes"]:
        node_host = testinfra.get_host("podman://" + entry["container"])
        sums[entry["name"]] = node_host.check_output("sha256sum" + " %s" * len(KEYS), *sorted(KEYS))
    assert len(set(sums.values())) == 1, sums


def test_corosync_conf_names_the_cluster_and_both_links_of_the_node(host, node, lab_state):
    text = host.check_output("cat /etc/corosync/corosync.conf")
    assert "cluster_name: %s" % lab_state["name"] in text
    assert "ring0_addr: %s" % node["ip"] in text
    assert "ring1_addr: %s" % node["repl_ip"] in text
    assert "token: 1000" in text  # the lab's pacemaker_totem


def test_pcsd_and_both_knet_links_listen(listening, node):
    sockets = listening()
    assert "tcp://0.0.0.0:%d" % PCSD_PORT in sockets, sorted(sockets)
    for link, address in enumerate((node["ip"], node["repl_ip"])):
        assert "udp://%s:%d" % (address, KNET_PORT + link) in sockets, sorted(sockets)


def test_hacluster_has_a_sha512_password_for_pcsd(host):
    assert host.check_output("getent shadow hacluster").split(":")[1].startswith("$6$")


def test_the_lab_fence_agent_is_installed_and_known_to_the_fencer(host, stat):
    agent = stat(FENCE_AGENT).get(FENCE_AGENT)
    assert agent and agent.kind == "regular file" and agent.user == "root" and agent.mode & 0o111 == 0o111
    assert "fence_podman_lab" in host.check_output("stonith_admin --list-installed").split()
