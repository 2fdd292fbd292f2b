# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Host state of the dual-controller NAS after converge: each group's
filesystem on its preferred controller with its tickle directory, the NAS
daemons left to Pacemaker (clones on both controllers), the collection's
resource agents and service files, the AD membership. Run before
verify.yml's failover drills."""

from __future__ import absolute_import, division, print_function

import pytest

__metaclass__ = type  # pylint: disable=invalid-name

GROUPS_VARS = "molecule/nas_dual_controller/group_vars/nas_dual_controller.yml"
# started by Pacemaker (clones on every controller, the management group),
# never by systemd at boot
PACEMAKER_UNITS = ("smbd", "winbind", "nmbd", "nfs-ganesha", "hastorage-nas-status")
# the daemons' TCP ports, on every address: SMB, NFS (NFS-Ganesha), rpcbind
# (NFSv3 clients ask it for the MOUNT port)
PORTS = (445, 2049, 111)
AGENTS = ("/usr/lib/ocf/resource.d/hastorage/ganesha_export",
          "/usr/lib/ocf/resource.d/hastorage/samba_shares",
          "/usr/lib/ocf/resource.d/hastorage/tcp_tickle",
          "/usr/local/sbin/hastorage-nas-status")
# each group's tickle list (nas_dual_controller_tcp_tickle, the default), on
# its own filesystem, outside its exports and shares
TICKLE_DIR = ".hastorage-tickle"


@pytest.fixture(scope="module")
def nas_groups(project_yaml):
    return project_yaml(GROUPS_VARS)["nas_dual_controller_groups"]


def test_each_group_filesystem_is_mounted_on_its_preferred_controller_only(mounts, node, nas_groups, lab_state):
    found = mounts()
    for index, group in enumerate(nas_groups):
        preferred = node["name"] == group["prefers"]
        assert (group["mountpoint"] in found) == preferred, group["name"]
        if preferred:
            assert found[group["mountpoint"]] == (lab_state["shared_disks"][index]["path"], group["fstype"])


def test_each_group_tickle_directory_is_on_its_filesystem_for_root_only(stat, node, nas_groups):
    mine = [group for group in nas_groups if node["name"] == group["prefers"]]
    assert mine, node["name"]
    for group in mine:
        path = "%s/%s" % (group["mountpoint"], TICKLE_DIR)
        found = stat(path).get(path)
        assert found and (found.kind, found.user, found.mode) == ("directory", "root", 0o700), (path, found)


def test_the_nas_daemons_are_left_to_pacemaker(units):
    found = units(*PACEMAKER_UNITS + ("rpcbind", "hastorage-nas-reset"))
    for name in PACEMAKER_UNITS:
        assert not found[name].enabled, name
    for name in ("smbd", "winbind", "nfs-ganesha", "rpcbind"):
        assert found[name].active, name
    for name in ("rpcbind", "hastorage-nas-reset"):
        assert found[name].enabled, name


def test_smb_nfs_and_rpcbind_listen(listening):
    sockets = listening()
    for port in PORTS:
        assert {"tcp://0.0.0.0:%d" % port, "tcp://:::%d" % port} & sockets, (port, sorted(sockets))


def test_the_resource_agents_and_the_status_service_are_installed(stat):
    found = stat(*AGENTS)
    for path in AGENTS:
        assert path in found and found[path].kind == "regular file", path
        assert (found[path].user, found[path].mode) == ("root", 0o755), path


def test_each_group_has_its_export_and_share_files(host, stat, nas_groups):
    for group in nas_groups:
        paths = ("/etc/ganesha/hastorage/%s.conf" % group["name"], "/etc/samba/hastorage/%s.conf" % group["name"])
        found = stat(*paths)
        for path in paths:
            assert path in found and (found[path].user, found[path].mode) == ("root", 0o644), path
        shares = host.check_output("cat %s", paths[1])
        for share in group["smb_shares"]:
            assert "[%s]" % share["name"] in shares


def test_the_controller_is_an_ad_member_resolving_domain_users(host, stat, lab_state):
    assert host.run("net ads testjoin").rc == 0
    secret = stat("/var/lib/samba/private/secrets.tdb").get("/var/lib/samba/private/secrets.tdb")
    assert secret and (secret.user, secret.mode) == ("root", 0o600)
    assert "default_realm = %s" % lab_state["dc"]["realm"].upper() in host.check_output("cat /etc/krb5.conf")
    nsswitch = host.check_output("cat /etc/nsswitch.conf")
    for database in ("passwd", "group"):
        line = [entry for entry in nsswitch.splitlines() if entry.startswith(database + ":")][0]
        assert "winbind" in line.split(), line
