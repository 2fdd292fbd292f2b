# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of lab/umlctl.py's pure helpers (no UML, no root)."""

from __future__ import absolute_import, division, print_function

import ipaddress
import os
import shlex
import subprocess
import sys

import pytest
import yaml

LAB_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "lab"))
sys.path.insert(0, LAB_DIR)
import umlctl  # noqa: E402  pylint: disable=wrong-import-position,import-error

__metaclass__ = type  # pylint: disable=invalid-name

SUBNETS = [ipaddress.ip_network("10.89.%d.0/24" % third) for third in range(42, 48)]
IMAGE = {"kernel_root": "/cache/uml-image/kernel-k", "kernel_version": "7.2.7",
         "image_dir": "/cache/uml-image/guest-g", "base": "base.img"}
PUBKEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample hsc-uml:hsc-uml"


def make_state(nodes=2, extra=(), data=(1024,), shared=(), dc_mem=None, san=0, name="hsc-uml"):
    keys = umlctl.network_keys(umlctl.with_san_networks(list(extra), san))
    subnets = [ipaddress.ip_network("10.89.%d.0/24" % third) for third in range(42, 42 + len(keys))]
    return umlctl.build_state(name, nodes, subnets, keys, 512,
                              list(data), list(shared), dict(IMAGE), dc_mem, san_luns=san)


def test_link_names_fit_ifnamsiz_and_carry_the_lab_prefix():
    name = "x" * 40
    prefix = umlctl.link_prefix(name)
    names = [umlctl.bridge_name(name, 9), umlctl.tap_name(name, 16, 9)]
    assert all(n.startswith(prefix) and len(n) <= 15 for n in names)
    assert umlctl.link_prefix("hsc-uml") != umlctl.link_prefix("hsc-mol-drbd-uml")
    assert umlctl.link_prefix("hsc-uml") == umlctl.link_prefix("hsc-uml")


def test_mac_addresses_stable_unique_and_local():
    macs = {umlctl.mac_address("hsc-uml", i, k) for i in range(1, 17) for k in range(10)}
    assert len(macs) == 160
    first = umlctl.mac_address("hsc-uml", 1, 0)
    assert first == umlctl.mac_address("hsc-uml", 1, 0)
    assert int(first.split(":")[0], 16) & 0x02 and not int(first.split(":")[0], 16) & 0x01


def test_network_keys():
    assert umlctl.network_keys([]) == ["net", "repl", "bmc"]
    assert umlctl.network_keys(["sana", "sanb"]) == ["net", "repl", "bmc", "sana", "sanb"]


@pytest.mark.parametrize("extra", [["repl"], ["SAN"], ["san-a"], ["1san"], ["x" * 9], [""],
                                   ["a", "a"], ["n%d" % i for i in range(9)]])
def test_network_keys_rejects(extra):
    with pytest.raises(umlctl.LabError):
        umlctl.network_keys(extra)


def test_ubd_device():
    assert [umlctl.ubd_device(i) for i in (0, 1, 7)] == ["/dev/ubda", "/dev/ubdb", "/dev/ubdh"]


def test_build_state_layout():
    state = make_state(nodes=3, extra=("sana",), data=(1024, 512), shared=(2048,))
    assert state["kind"] == "uml" and state["link_alias"] == "hsc-uml:hsc-uml"
    nets = state["networks"]
    assert [nets[k]["index"] for k in ("net", "repl", "bmc", "sana")] == [0, 1, 2, 3]
    assert nets["net"]["gateway"] == "10.89.42.1" and nets["sana"]["guest_if"] == "vec3"
    node3 = state["nodes"][2]
    assert (node3["name"], node3["ip"], node3["repl_ip"]) == ("node3", "10.89.42.13", "10.89.43.13")
    assert node3["ips"]["bmc"] == "10.89.44.13" and node3["ips"]["sana"] == "10.89.45.13"
    assert node3["taps"]["sana"] == umlctl.tap_name("hsc-uml", 3, 3)
    assert [d["device"] for d in node3["disks"]] == ["/dev/ubdb", "/dev/ubdc"]
    assert node3["disks"][1] == {"file": "disks/node3-data2.img", "size_mib": 512, "ubd": 2,
                                 "device": "/dev/ubdc", "shared": False}
    assert state["shared_disks"] == [{"file": "disks/shared1.img", "size_mib": 2048, "ubd": 3,
                                      "device": "/dev/ubdd", "shared": True}]
    # the power API on the management network, not on the clients' or DRBD's
    assert state["fence"]["ip"] == "10.89.44.1" == nets["bmc"]["gateway"]
    assert state["fence"]["pcmk_host_map"] == "node1:node1;node2:node2;node3:node3"
    assert state["vip_pool"][0] == "10.89.42.100" and state["repl_vip_pool"][-1] == "10.89.43.109"
    # no VIP is a node address or a gateway
    taken = {n["ip"] for n in state["nodes"]} | {"10.89.42.1"}
    assert not taken & set(state["vip_pool"])
    # every network has its own pool (a design's VIPs on an extra network)
    assert nets["net"]["vip_pool"] == state["vip_pool"] and nets["repl"]["vip_pool"] == state["repl_vip_pool"]
    for key, net in nets.items():
        ips = {n["ips"][key] for n in state["nodes"]} | {net["gateway"]}
        assert len(net["vip_pool"]) == len(state["vip_pool"]) and not ips & set(net["vip_pool"])


def test_build_state_refuses_too_many_disks_and_wrong_subnets():
    with pytest.raises(umlctl.LabError, match="at most 7 disks"):
        make_state(data=(16,) * 4, shared=(16,) * 4)
    with pytest.raises(umlctl.LabError, match="one subnet per network"):
        umlctl.build_state("hsc-uml", 2, SUBNETS[:1], ["net", "repl"], 512, [], [], IMAGE)


def test_kernel_argv():
    state = make_state(nodes=2, data=(1024,), shared=(1024,))
    argv = umlctl.kernel_argv(state, state["nodes"][1], PUBKEY)
    net, repl = state["networks"]["net"], state["networks"]["repl"]
    assert argv[:4] == ["mem=512M", "root=/dev/ubda", "rw",
                        "ubd0=/hsc/state/nodes/node2.cow,/hsc/image/base.img"]
    assert "ubd1=/hsc/state/disks/node2-data1.img" in argv
    assert "ubd2c=/hsc/state/disks/shared1.img" in argv  # shared: no host file locking
    assert "vec0:transport=tap,ifname=%s,gro=1,mac=%s" % (
        umlctl.tap_name("hsc-uml", 2, 0), umlctl.mac_address("hsc-uml", 2, 0)) in argv
    assert any(a.startswith("vec1:") and "gro=1" in a for a in argv)
    assert "con0=null,fd:1" in argv and "hostfs=/hsc/hostfs" in argv and "seccomp=on" in argv
    assert "hsc.name=node2" in argv
    assert "hsc.ip.vec0=10.89.42.12/%d" % net["prefix"] in argv
    assert "hsc.ip.vec1=10.89.43.12/%d" % repl["prefix"] in argv
    assert "hsc.ip.vec2=10.89.44.12/%d" % state["networks"]["bmc"]["prefix"] in argv
    assert [a for a in argv if a.startswith("hsc.host=")] == [
        "hsc.host=node1,10.89.42.11,10.89.43.11", "hsc.host=node2,10.89.42.12,10.89.43.12"]
    assert "hsc.sshkey=ssh-ed25519,AAAAC3NzaC1lZDI1NTE5AAAAIExample" in argv
    assert all(" " not in a for a in argv)
    assert len(" ".join(argv)) < 4096  # UML's COMMAND_LINE_SIZE


def test_launcher_argv_namespaces_and_marker():
    state = make_state()
    node = state["nodes"][0]
    argv = umlctl.launcher_argv(state, node, "/lab/state/hsc-uml", PUBKEY)
    assert argv[:8] == ["unshare", "--pid", "--fork", "--kill-child", "--mount", "--propagation",
                        "private", "--"]
    assert argv[8:10] == ["/bin/sh", "-ec"]
    assert argv[11:17] == ["hsc-uml:hsc-uml:node1", IMAGE["kernel_root"], IMAGE["image_dir"],
                           "/lab/state/hsc-uml", "576", ""]
    assert argv[17:] == umlctl.kernel_argv(state, node, PUBKEY)
    assert umlctl.matches_marker(argv, node["marker"])
    assert not umlctl.matches_marker(argv, "hsc-uml:hsc-uml:node2")
    assert not umlctl.matches_marker(["sh", "hsc-uml:hsc-uml:node1"], node["marker"])
    assert not umlctl.matches_marker([], node["marker"])


def test_launcher_script_is_valid_sh():
    proc = subprocess.run(["/bin/sh", "-n", "-c", umlctl.LAUNCHER], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert "exec chroot" in umlctl.LAUNCHER and "/usr/bin/linux.uml" in umlctl.LAUNCHER


def test_memory_check():
    assert umlctl.nodes_that_fit(1024 + 3 * (512 + 96), 512) == 3
    assert umlctl.nodes_that_fit(500, 512) == 0
    assert umlctl.check_memory(2, 512, 4096) == 5
    with pytest.raises(umlctl.LabError, match=r"3 nodes of mem=512M .* 2500 MiB are available: 2 nodes fit"):
        umlctl.check_memory(3, 512, 2500)
    with pytest.raises(umlctl.LabError, match="available: 1 node fit"):
        umlctl.check_memory(2, 512, 1700)


def test_parse_meminfo():
    text = "MemTotal:       24000000 kB\nMemFree:  100 kB\nMemAvailable:   20971520 kB\n"
    assert umlctl.parse_meminfo(text) == 20480
    with pytest.raises(umlctl.LabError):
        umlctl.parse_meminfo("MemTotal: 1 kB\n")


def test_ssh_config():
    state = make_state()
    text = umlctl.ssh_config(state, "/s")
    assert "Host node2\n    HostName 10.89.42.12\n" in text
    assert text.count("IdentityFile /s/ssh/id_ed25519") == 2
    assert text.count("ServerAliveInterval 2") == 2  # sessions to a killed node end


def test_partition_networks_and_find_node():
    state = make_state(extra=("sana",))
    assert umlctl.partition_networks(state, "all") == ["net", "repl", "bmc", "sana"]
    assert umlctl.partition_networks(state, "repl") == ["repl"]
    with pytest.raises(umlctl.LabError, match="no network"):
        umlctl.partition_networks(state, "sanb")
    assert umlctl.find_node(state, "node2")["index"] == 2
    with pytest.raises(umlctl.LabError, match="no node"):
        umlctl.find_node(state, "node9")


def test_guest_packages_and_key():
    lab = "# c\nsystemd\npython3  # x\n"
    guest = "openssh-server\npython3\ndrbd-utils\n"
    pkgs = umlctl.guest_packages(lab, guest)
    assert pkgs == ["systemd", "python3", "openssh-server", "drbd-utils"]
    key = umlctl.guest_key(pkgs, "script", "unit", "k1")
    assert key == umlctl.guest_key(pkgs, "script", "unit", "k1") and len(key) == 12
    assert key != umlctl.guest_key(pkgs + ["mdadm"], "script", "unit", "k1")
    assert key != umlctl.guest_key(pkgs, "script2", "unit", "k1")
    assert key != umlctl.guest_key(pkgs, "script", "unit", "k2")


def test_layer_key_differs_from_the_base_and_between_layers():
    pkgs = ["systemd", "openssh-server"]
    base = umlctl.guest_key(pkgs, "script", "unit", "k1")
    assert umlctl.guest_key(pkgs, "script", "unit", "k1", []) == base
    layered = umlctl.guest_key(pkgs, "script", "unit", "k1", ["keystone"])
    assert layered != base
    assert layered != umlctl.guest_key(pkgs, "script", "unit", "k1", ["keystone", "glance-api"])
    assert layered != umlctl.guest_key(pkgs + ["keystone"], "script", "unit", "k1")


def test_image_paths_of_a_layer(monkeypatch, tmp_path):
    monkeypatch.setenv("HSC_CACHE_DIR", str(tmp_path))
    base, layered = umlctl.image_paths(), umlctl.image_paths("openstack")
    assert base["layer_packages"] == [] and not base["layer"]
    assert "keystone" in layered["layer_packages"] and "haproxy" in layered["layer_packages"]
    assert os.path.basename(layered["image_dir"]).startswith("guest-openstack-")
    assert layered["image_dir"] != base["image_dir"] and layered["kernel_root"] == base["kernel_root"]
    with pytest.raises(umlctl.LabError, match="unknown image layer"):
        umlctl.image_paths("windows")


def test_the_openstack_layer_carries_the_role_packages():
    with open(os.path.join(LAB_DIR, "uml", "guest-packages-openstack.txt"), encoding="utf-8") as fd:
        pkgs = umlctl.labctl.parse_packages(fd.read())
    with open(os.path.join(os.path.dirname(LAB_DIR), "roles", "openstack_control_plane", "defaults", "main.yml"),
              encoding="utf-8") as fd:
        defaults = yaml.safe_load(fd)
    wanted = {"haproxy"} | {pkg for svc in defaults["openstack_control_plane_services"]
                            for pkg in svc.get("packages", [])}
    assert sorted(wanted - set(pkgs)) == []


def test_new_wants_links_are_the_ones_the_install_added(tmp_path):
    before = {"multi-user.target.wants": {"ssh.service"}, "sockets.target.wants": set()}
    after = {"multi-user.target.wants": {"ssh.service", "mariadb.service", "apache2.service"},
             "sockets.target.wants": {"uuidd.socket"}, "timers.target.wants": {"apache-htcacheclean.timer"}}
    assert umlctl.new_wants_links(before, after) == [
        ("multi-user.target.wants", "apache2.service"), ("multi-user.target.wants", "mariadb.service"),
        ("sockets.target.wants", "uuidd.socket"), ("timers.target.wants", "apache-htcacheclean.timer")]
    sysdir = tmp_path / "etc" / "systemd" / "system"
    (sysdir / "multi-user.target.wants").mkdir(parents=True)
    (sysdir / "multi-user.target.wants" / "ssh.service").symlink_to("/lib/systemd/system/ssh.service")
    (sysdir / "haproxy.service").write_text("")
    assert umlctl.boot_wants(str(tmp_path)) == {"multi-user.target.wants": {"ssh.service"}}


def test_a_unit_that_wraps_its_init_script_keeps_it():
    wrapper = "[Service]\nExecStart=/etc/init.d/nova-api systemd-start\n"
    native = "[Service]\nExecStart=/usr/sbin/haproxy -Ws -f $CONFIG\n"
    assert umlctl.unit_runs_init_script(wrapper, "nova-api")
    assert not umlctl.unit_runs_init_script(native, "haproxy")
    assert not umlctl.unit_runs_init_script(None, "haproxy")


def test_parse_args_layer():
    assert umlctl.parse_args(["up"]).layer is None
    assert umlctl.parse_args(["up", "--layer", "openstack"]).layer == "openstack"
    assert umlctl.parse_args(["image", "--layer", "openstack"]).layer == "openstack"
    with pytest.raises(SystemExit):
        umlctl.parse_args(["up", "--layer", "windows"])


def test_guest_package_list_has_what_the_uml_lab_needs():
    with open(os.path.join(LAB_DIR, "image-packages.txt"), encoding="utf-8") as lab, \
            open(os.path.join(LAB_DIR, "uml", "guest-packages.txt"), encoding="utf-8") as guest:
        pkgs = umlctl.guest_packages(lab.read(), guest.read())
    for pkg in ("openssh-server", "drbd-utils", "mdadm", "lvm2", "nfs-kernel-server", "open-iscsi",
                "targetcli-fb", "multipath-tools", "sg3-utils", "pacemaker", "fence-agents", "kmod"):
        assert pkg in pkgs


def test_cache_root_honours_hsc_cache_dir(monkeypatch):
    monkeypatch.setenv("HSC_CACHE_DIR", "/somewhere")
    assert umlctl.cache_root() == "/somewhere/uml-image"
    monkeypatch.delenv("HSC_CACHE_DIR")
    assert umlctl.cache_root() == os.path.join(os.path.dirname(LAB_DIR), ".cache", "uml-image")


def test_parse_args_defaults(monkeypatch):
    monkeypatch.delenv("HSC_UML_LAB_NAME", raising=False)
    args = umlctl.parse_args(["up"])
    assert (args.name, args.nodes, args.mem, args.data_disks, args.shared_disks, args.extra_nets) == (
        "hsc-uml", 2, 1024, 1, 0, [])
    args = umlctl.parse_args(["partition", "node2", "--name", "x", "--net", "repl"])
    assert (args.name, args.node, args.net) == ("x", "node2", "repl")
    assert umlctl.parse_args(["up", "--net", "sana", "--net", "sanb"]).extra_nets == ["sana", "sanb"]
    assert umlctl.parse_args(["ssh", "node1", "uname", "-r"]).remote == ["uname", "-r"]


@pytest.mark.parametrize("argv", [["up", "--nodes", "0"], ["up", "--nodes", "17"], ["up", "--mem", "64"],
                                  ["up", "--data-disks", "4", "--shared-disks", "4"],
                                  ["up", "--net", "repl"], ["kill"], ["--name", "Bad", "status"]])
def test_parse_args_rejects(argv, capsys):
    with pytest.raises((SystemExit, umlctl.LabError)):
        umlctl.parse_args(argv)
    capsys.readouterr()


def test_cgroup2_root_pure_and_hybrid():
    hybrid = ("cgroup /sys/fs/cgroup/freezer cgroup rw,freezer 0 0\n"
              "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0\n")
    assert umlctl.cgroup2_root(hybrid) == "/sys/fs/cgroup/unified"
    assert umlctl.cgroup2_root("cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n") == "/sys/fs/cgroup"
    assert umlctl.cgroup2_root("cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n") is None
    assert umlctl.node_cgroup("/sys/fs/cgroup", "hsc-uml", "node2") == "/sys/fs/cgroup/hsc-uml/hsc-uml/node2"
    assert umlctl.node_cgroup(None, "hsc-uml", "node2") == ""


def test_launcher_joins_the_cgroup_before_the_kernel_starts():
    state = make_state()
    argv = umlctl.launcher_argv(state, state["nodes"][0], "/s", PUBKEY, "/cg/hsc-uml/hsc-uml/node1")
    assert argv[16] == "/cg/hsc-uml/hsc-uml/node1"
    script = umlctl.LAUNCHER
    assert script.index("cgroup.procs") < script.index("exec chroot")


def _lookup(data, dotted):
    for part in dotted.split("."):
        if isinstance(data, list):
            data = data[int(part)]
        else:
            data = data[part]
    return data


@pytest.mark.parametrize("rel", ["molecule/shared_uml/vars/lab.yml", "molecule/drbd_uml/vars/drbd.yml"])
def test_molecule_vars_read_keys_the_uml_state_has(rel):
    """Every lab_state.X and lab_node.X path the UML scenario vars read exists in a UML lab's state."""
    import re  # pylint: disable=import-outside-toplevel
    with open(os.path.join(os.path.dirname(LAB_DIR), rel), encoding="utf-8") as fd:
        text = fd.read()
    state = make_state()
    state["fence"].update(port=18901, pid=4242)  # set by `up` when the power API starts
    paths = re.findall(r"\blab_(state|node)((?:\.\w+|\[\d+\])+)", text)
    assert paths
    for root, path in paths:
        dotted = path.lstrip(".").replace("[", ".").replace("]", "")
        base = state if root == "state" else state["nodes"][0]
        assert _lookup(base, dotted) is not None, "lab_%s%s" % (root, path)


# ----- the lab's AD DC (`up --dc`) -----

PODMAN_DC_KEYS = {"container", "hostname", "fqdn", "ip", "realm", "domain", "dns_domain",
                  "admin_user", "admin_password_file"}


def test_build_state_with_dc():
    state = make_state(nodes=2, extra=("sana",), shared=(1024,), dc_mem=640)
    dc = state["dc"]
    podman_dc = umlctl.labctl.build_state("hsc-lab", 2, SUBNETS[0], SUBNETS[1], 18401, [], True, "img")["dc"]
    # the podman lab's keys with its values (but no container) ...
    assert PODMAN_DC_KEYS <= set(dc)
    assert {k: dc[k] for k in PODMAN_DC_KEYS - {"container"}} == {
        k: podman_dc[k] for k in PODMAN_DC_KEYS - {"container"}}
    assert dc["container"] is None
    assert (dc["hostname"], dc["fqdn"], dc["ip"], dc["realm"]) == (
        "dc1", "dc1.lab.example", "10.89.42.5", "LAB.EXAMPLE")
    # ... and a UML node's, on net only, no disks
    assert (dc["name"], dc["mem_mib"], dc["disks"], dc["repl_ip"]) == ("dc1", 640, [], None)
    assert dc["taps"] == {"net": umlctl.dc_tap_name("hsc-uml")} and list(dc["macs"]) == ["net"]
    assert dc["ips"] == {"net": "10.89.42.5"}
    assert dc["marker"] == "hsc-uml:hsc-uml:dc1"
    assert (dc["cow"], dc["console"]) == ("nodes/dc1.cow", "console/dc1.log")
    # its tap and MAC are the lab's and no node's
    node_taps = {t for n in state["nodes"] for t in n["taps"].values()}
    node_macs = {m for n in state["nodes"] for m in n["macs"].values()}
    assert dc["taps"]["net"].startswith(umlctl.link_prefix("hsc-uml")) and len(dc["taps"]["net"]) <= 15
    assert dc["taps"]["net"] not in node_taps and dc["macs"]["net"] not in node_macs
    # not a node: molecule platforms and the fence power API never see it
    assert [n["name"] for n in state["nodes"]] == ["node1", "node2"]
    assert state["fence"]["host_map"] == {"node1": "node1", "node2": "node2"}
    assert "dc1" not in state["fence"]["pcmk_host_map"]
    assert dc["ip"] not in state["vip_pool"]
    assert [m["name"] for m in umlctl.lab_machines(state)] == ["node1", "node2", "dc1"]
    assert make_state()["dc"] is None and umlctl.lab_machines(make_state())[-1]["name"] == "node2"


def test_kernel_argv_of_the_dc():
    state = make_state(nodes=2, extra=("sana",), data=(1024, 512), shared=(1024,), dc_mem=640)
    dc = state["dc"]
    argv = umlctl.kernel_argv(state, dc, PUBKEY)
    assert argv[:4] == ["mem=640M", "root=/dev/ubda", "rw", "ubd0=/hsc/state/nodes/dc1.cow,/hsc/image/base.img"]
    # no data disk, no shared disk: the root disk only
    assert [a for a in argv if a.startswith("ubd")] == [argv[3]]
    # only the net tap, as vec0
    assert [a for a in argv if a.startswith("vec")] == [
        "vec0:transport=tap,ifname=%s,gro=1,mac=%s" % (dc["taps"]["net"], dc["macs"]["net"])]
    assert [a for a in argv if a.startswith("hsc.ip.")] == ["hsc.ip.vec0=10.89.42.5/24"]
    assert "hsc.name=dc1" in argv and "hsc.dns=10.89.42.5" in argv
    hosts = [a for a in argv if a.startswith("hsc.host=")]
    assert hosts == ["hsc.host=dc1,10.89.42.5", "hsc.host=node1,10.89.42.11,10.89.43.11",
                     "hsc.host=node2,10.89.42.12,10.89.43.12"]
    assert "umid=hsc-uml-dc1" in argv and "seccomp=on" in argv
    launcher = umlctl.launcher_argv(state, dc, "/s", PUBKEY)
    assert umlctl.matches_marker(launcher, "hsc-uml:hsc-uml:dc1") and launcher[15] == "704"


def test_kernel_argv_of_nodes_with_and_without_a_dc():
    with_dc = make_state(dc_mem=640)
    argv = umlctl.kernel_argv(with_dc, with_dc["nodes"][0], PUBKEY)
    assert "hsc.dns=10.89.42.5" in argv
    assert [a for a in argv if a.startswith("hsc.host=")][0] == "hsc.host=dc1,10.89.42.5"
    # a node's own taps are unchanged by the DC
    assert len([a for a in argv if a.startswith("vec")]) == 3
    plain = make_state()
    argv = umlctl.kernel_argv(plain, plain["nodes"][0], PUBKEY)
    assert not [a for a in argv if a.startswith("hsc.dns=") or a.startswith("hsc.host=dc1")]


def test_memory_check_counts_the_dc():
    # room for 3 nodes of 512 without a DC; a DC of 640 (736 with overhead) takes more than one
    avail = 1024 + 3 * (512 + 96)
    assert umlctl.check_memory(3, 512, avail) == 3
    with pytest.raises(umlctl.LabError, match=r"3 nodes of mem=512M and the DC of mem=640M need "
                                              r"%d MiB .* 1 node fit beside the DC"
                       % (1024 + 3 * 608 + 736)):
        umlctl.check_memory(3, 512, avail, dc_mem_mib=640)
    assert umlctl.check_memory(2, 512, avail + 736, dc_mem_mib=640) == 3
    with pytest.raises(umlctl.LabError, match="0 nodes fit beside the DC"):
        umlctl.check_memory(1, 512, 1024 + 736, dc_mem_mib=640)


def test_find_node_ssh_config_and_partition_of_the_dc():
    state = make_state(dc_mem=640)
    assert umlctl.find_node(state, "dc1") is state["dc"]
    with pytest.raises(umlctl.LabError, match="no node 'dc1'"):
        umlctl.find_node(make_state(), "dc1")
    text = umlctl.ssh_config(state, "/s")
    assert "Host dc1\n    HostName 10.89.42.5\n" in text and "Host node2\n" in text
    assert umlctl.ssh_argv(state, state["dc"], ["true"])[-2:] == ["dc1", "true"]
    assert umlctl.partition_networks(state, "all", state["dc"]) == ["net"]
    assert umlctl.partition_networks(state, "net", state["dc"]) == ["net"]
    with pytest.raises(umlctl.LabError, match="dc1 has no network 'repl'"):
        umlctl.partition_networks(state, "repl", state["dc"])
    assert umlctl.partition_networks(state, "all", state["nodes"][0]) == ["net", "repl", "bmc"]


def test_teardown_markers_include_the_dc():
    assert umlctl.is_lab_marker("hsc-uml", "hsc-uml:hsc-uml:dc1")
    assert umlctl.is_lab_marker("hsc-uml", "hsc-uml:hsc-uml:node12")
    for other in ("hsc-uml:hsc-uml-2:dc1", "hsc-uml:hsc-uml-2:node1", "hsc-uml:hsc-uml:dc2",
                  "hsc-uml:hsc-uml:nodex", "hsc-uml:hsc-uml:", "hsc-uml:hsc:node1"):
        assert not umlctl.is_lab_marker("hsc-uml", other), other


class _Handler(umlctl.PowerHandler):
    """The power API's request handling without a socket."""

    def __init__(self, state, path):  # pylint: disable=super-init-not-called
        self.lab_state, self.path, self.replies = state, path, []

    def reply(self, code, body):
        self.replies.append((code, body))


def test_power_api_cannot_reach_the_dc(monkeypatch):
    state = make_state(dc_mem=640)
    touched = []
    monkeypatch.setattr(umlctl, "power_state", lambda n: touched.append(n["name"]) or "on")
    monkeypatch.setattr(umlctl, "kill_node", lambda n: touched.append("kill " + n["name"]))
    for path in ("/v1/nodes/dc1/off", "/v1/nodes/dc1/on"):
        handler = _Handler(state, path)
        handler.do_POST()
        assert handler.replies == [(404, {"error": "no such node or action"})]
    handler = _Handler(state, "/v1/nodes/dc1")
    handler.do_GET()
    assert handler.replies[0][0] == 404
    handler = _Handler(state, "/v1/nodes")
    handler.do_GET()
    assert handler.replies == [(200, {"node1": "on", "node2": "on"})]
    assert "dc1" not in touched and not [t for t in touched if t.startswith("kill")]


def test_power_api_still_reaches_nodes(monkeypatch, tmp_path):
    state = make_state(dc_mem=640)
    state["name"] = "hsc-uml-unit-%d" % os.getpid()
    killed = []
    monkeypatch.setattr(umlctl.labctl, "LOCK_DIR", str(tmp_path))
    monkeypatch.setattr(umlctl, "power_state", lambda n: "off")
    monkeypatch.setattr(umlctl, "kill_node", lambda n: killed.append(n["name"]))
    handler = _Handler(state, "/v1/nodes/node2/off")
    handler.do_POST()
    assert killed == ["node2"] and handler.replies == [(200, {"name": "node2", "power": "off"})]


def test_remote_exec_quotes_for_the_remote_shell(monkeypatch):
    state = make_state(dc_mem=640)
    seen = []
    monkeypatch.setattr(umlctl, "run", lambda argv, **kw: seen.append((argv, kw)))
    execute = umlctl.remote_exec(state, state["dc"])
    script = "set -e; read -r P; echo \"$P\" > /x; host -t SRV 'a b'"
    execute(["bash", "-c", script], input_text="secret\n", check=False, timeout=600)
    execute(["wbinfo", "-P"], check=False)
    (argv1, kw1), (argv2, kw2) = seen
    assert argv1[argv1.index("dc1") + 1:] == [shlex.join(["bash", "-c", script])]
    assert shlex.split(argv1[-1]) == ["bash", "-c", script]
    assert kw1["input_text"] == "secret\n" and "secret" not in " ".join(argv1)
    assert kw1["timeout"] == 600 and kw1["check"] is False
    assert argv2[-1] == "wbinfo -P" and kw2["input_text"] == ""  # never the caller's stdin


def test_parse_args_dc(monkeypatch):
    monkeypatch.delenv("HSC_UML_LAB_NAME", raising=False)
    args = umlctl.parse_args(["up"])
    assert (args.dc, args.dc_mem) == (False, umlctl.DEFAULT_DC_MEM_MIB)
    args = umlctl.parse_args(["up", "--dc", "--dc-mem", "768"])
    assert (args.dc, args.dc_mem) == (True, 768)
    assert umlctl.parse_args(["kill", "dc1"]).node == "dc1"
    with pytest.raises(SystemExit):
        umlctl.parse_args(["up", "--dc", "--dc-mem", "200"])


def _run_setup(tmp_path, cmdline):
    """lab/uml/hsc-uml-setup with its paths moved under TMP_PATH and stubs of
    hostname, ip and ssh-keygen; returns the stubs' calls."""
    root = tmp_path
    for sub in ("etc", "root", "bin"):
        (root / sub).mkdir(exist_ok=True)
    for cmd in ("hostname", "ip", "ssh-keygen"):
        stub = root / "bin" / cmd
        stub.write_text("#!/bin/sh\necho %s \"$@\" >> %s/calls\n" % (cmd, root))
        stub.chmod(0o755)
    (root / "cmdline").write_text(cmdline + "\n")
    with open(os.path.join(LAB_DIR, "uml", "hsc-uml-setup"), encoding="utf-8") as fd:
        script = fd.read()
    for old in ("/proc/cmdline", "/etc/", "/root/"):
        new = str(root / "cmdline") if old == "/proc/cmdline" else str(root) + old
        script = script.replace(old, new)
    (root / "setup").write_text(script)
    env = dict(os.environ, PATH="%s:%s" % (root / "bin", os.environ["PATH"]))
    proc = subprocess.run(["/bin/sh", str(root / "setup")], env=env, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    return (root / "calls").read_text()


def test_guest_setup_writes_hosts_and_resolv_conf_for_the_dc(tmp_path):
    state = make_state(dc_mem=640)
    argv = umlctl.kernel_argv(state, state["nodes"][0], PUBKEY)
    calls = _run_setup(tmp_path, " ".join(["mem=512M"] + argv))
    hosts = (tmp_path / "etc" / "hosts").read_text().splitlines()
    assert hosts[0] == "# BEGIN hsc-uml lab hosts" and hosts[-1] == "# END hsc-uml lab hosts"
    assert hosts[3:-1] == ["10.89.42.5\tdc1.lab.example dc1",
                           "10.89.42.11\tnode1.lab.example node1", "10.89.43.11\tnode1-repl.lab.example node1-repl",
                           "10.89.42.12\tnode2.lab.example node2", "10.89.43.12\tnode2-repl.lab.example node2-repl"]
    assert (tmp_path / "etc" / "resolv.conf").read_text() == "search lab.example\nnameserver 10.89.42.5\n"
    assert (tmp_path / "etc" / "hostname").read_text() == "node1\n"
    assert "ip addr replace 10.89.42.11/24 dev vec0" in calls
    assert (tmp_path / "root" / ".ssh" / "authorized_keys").read_text().startswith("ssh-ed25519 AAAAC3")


def test_guest_setup_keeps_what_the_deployment_wrote_in_hosts_across_boots(tmp_path):
    """The first boot replaces the image's /etc/hosts; later boots rewrite
    only the lab's block (the NAS roles' VIP names survive a fenced reboot)."""
    state = make_state(dc_mem=640)
    (tmp_path / "etc").mkdir()
    hosts_file = tmp_path / "etc" / "hosts"
    hosts_file.write_text("127.0.1.1\timage-build-host\n")
    cmdline = " ".join(["mem=512M"] + umlctl.kernel_argv(state, state["nodes"][0], PUBKEY))
    _run_setup(tmp_path, cmdline)
    first = hosts_file.read_text()
    assert "image-build-host" not in first
    ours = "# BEGIN vip names\n10.89.42.100\tnas-share1.lab.example nas-share1\n# END vip names\n"
    hosts_file.write_text(first + ours)
    _run_setup(tmp_path, cmdline)
    _run_setup(tmp_path, cmdline)
    assert hosts_file.read_text() == first + ours
    # a lab whose addresses changed: the block follows, the rest stays
    other = make_state(nodes=3, dc_mem=640)
    _run_setup(tmp_path, " ".join(["mem=512M"] + umlctl.kernel_argv(other, other["nodes"][0], PUBKEY)))
    text = hosts_file.read_text()
    assert text.endswith(ours) and "node3.lab.example" in text and text.count("# BEGIN hsc-uml lab hosts") == 1


def test_guest_setup_replaces_a_resolv_conf_symlink_and_leaves_it_without_a_dc(tmp_path):
    state = make_state(dc_mem=640)
    argv = umlctl.kernel_argv(state, state["dc"], PUBKEY)
    (tmp_path / "etc").mkdir()
    os.symlink("/run/nowhere/resolv.conf", str(tmp_path / "etc" / "resolv.conf"))
    _run_setup(tmp_path, " ".join(argv))
    assert not os.path.islink(str(tmp_path / "etc" / "resolv.conf"))
    assert (tmp_path / "etc" / "resolv.conf").read_text() == "search lab.example\nnameserver 10.89.42.5\n"
    assert (tmp_path / "etc" / "hosts").read_text().splitlines()[3] == "10.89.42.5\tdc1.lab.example dc1"

    plain = make_state()
    other = tmp_path / "plain"
    other.mkdir()
    (other / "etc").mkdir()
    (other / "etc" / "resolv.conf").write_text("nameserver 192.0.2.53\n")
    _run_setup(other, " ".join(umlctl.kernel_argv(plain, plain["nodes"][1], PUBKEY)))
    assert (other / "etc" / "resolv.conf").read_text() == "nameserver 192.0.2.53\n"
    assert "dc1" not in (other / "etc" / "hosts").read_text()


@pytest.mark.parametrize("provisioned", [False, True])
def test_provision_dc_over_ssh_once(monkeypatch, tmp_path, provisioned):
    state = make_state(dc_mem=640)
    umlctl.labctl.write_dc_password(str(tmp_path))
    password = umlctl.labctl.read_dc_password(str(tmp_path))
    calls = []

    def execute(argv, input_text=None, **kwargs):
        calls.append((list(argv), input_text))
        rc = 1 if argv[:2] == ["test", "-e"] and not provisioned else 0
        return subprocess.CompletedProcess(argv, rc, "", "")
    monkeypatch.setattr(umlctl, "remote_exec", lambda st, node: execute if node is st["dc"] else None)
    monkeypatch.setattr(umlctl, "state_dir", lambda name: str(tmp_path))
    monkeypatch.setattr(umlctl.labctl, "tcp_open", lambda ip, port: ip == "10.89.42.5")
    umlctl.provision_dc(state)
    argvs = [c[0] for c in calls]
    assert argvs[0] == ["test", "-e", "/var/lib/samba/private/sam.ldb"]
    assert argvs[-1] == ["net", "cache", "flush"] and ["wbinfo", "-P"] in argvs
    provisions = [c for c in calls if c[0][0] == "bash"]
    if provisioned:  # a restarted DC keeps its domain: only wait for it
        assert not provisions and not [a for a in argvs if a[0] == "systemctl"]
    else:
        assert len(provisions) == 1 and provisions[0][1] == password + "\n"
        assert argvs[1][:3] == ["systemctl", "disable", "--now"] and "pcsd.service" in argvs[1]
    assert all(password not in " ".join(a) for a in argvs)


def test_machine_cpu_spreads_the_lab_over_the_host_cpus_nodes_first():
    state = make_state(nodes=3, dc_mem=512)
    names = [m["name"] for m in umlctl.lab_machines(state)]
    assert names == ["node1", "node2", "node3", "dc1"]
    on_two = [umlctl.machine_cpu(state, m, {0, 1}) for m in umlctl.lab_machines(state)]
    assert on_two == [0, 1, 0, 1]
    # the CPUs we may use, not 0..n-1 (a cpuset of 2, 5 and 7), in order
    on_set = [umlctl.machine_cpu(state, m, {7, 2, 5}) for m in umlctl.lab_machines(state)]
    assert on_set == [2, 5, 7, 2]
    assert [umlctl.machine_cpu(state, m, {3}) for m in umlctl.lab_machines(state)] == [3] * 4


def test_machine_cpu_none_without_cpus_or_for_a_stranger():
    state = make_state(nodes=2)
    assert umlctl.machine_cpu(state, state["nodes"][0], set()) is None
    assert umlctl.machine_cpu(state, {"name": "node9"}, {0, 1}) is None
    # a lab without a DC: the DC's name is nobody's
    assert umlctl.machine_cpu(state, {"name": umlctl.DC_NAME}, {0, 1}) is None


# ----- the lab's SAN target (`up --san N`) -----

def test_san_networks_added_unless_given():
    assert umlctl.with_san_networks([], 0) == []
    assert umlctl.with_san_networks(["x"], 0) == ["x"]
    assert umlctl.with_san_networks([], 2) == ["sana", "sanb"]
    assert umlctl.with_san_networks(["sana", "sanb"], 2) == ["sana", "sanb"]
    # what the user gave keeps its place (and its vec<k>), the missing one comes after
    assert umlctl.with_san_networks(["sanb", "x"], 1) == ["sanb", "x", "sana"]
    assert umlctl.network_keys(umlctl.with_san_networks(["x"], 3)) == ["net", "repl", "bmc", "x", "sana", "sanb"]


def test_build_state_without_a_san():
    state = make_state(dc_mem=640)
    assert state["san"] is None
    assert list(state["networks"]) == ["net", "repl", "bmc"]
    assert [m["name"] for m in umlctl.lab_machines(state)] == ["node1", "node2", "dc1"]


def test_build_state_with_a_san():
    state = make_state(nodes=3, san=2)
    nets = state["networks"]
    assert [(k, nets[k]["index"]) for k in ("net", "repl", "bmc", "sana", "sanb")] == [
        ("net", 0), ("repl", 1), ("bmc", 2), ("sana", 3), ("sanb", 4)]
    san = state["san"]
    assert (san["name"], san["role"], san["hostname"], san["fqdn"]) == ("san1", "san", "san1", "san1.lab.example")
    assert (san["ip"], san["repl_ip"], san["mem_mib"]) == ("10.89.42.6", None, umlctl.DEFAULT_SAN_MEM_MIB)
    assert san["ips"] == {"net": "10.89.42.6", "sana": "10.89.45.6", "sanb": "10.89.46.6"}
    assert san["iqn"] == "iqn.2026-12.example.lab:san1"
    assert san["portals"] == ["10.89.45.6:3260", "10.89.46.6:3260"]
    assert san["initiators"] == {"node%d" % i: "iqn.2026-12.example.lab:node%d" % i for i in (1, 2, 3)}
    assert (san["cow"], san["console"], san["marker"]) == (
        "nodes/san1.cow", "console/san1.log", "hsc-uml:hsc-uml:san1")
    # its taps only on net, sana, sanb; named after the network index; the lab's and no one else's
    assert san["taps"] == {"net": umlctl.san_tap_name("hsc-uml", 0), "sana": umlctl.san_tap_name("hsc-uml", 3),
                           "sanb": umlctl.san_tap_name("hsc-uml", 4)}
    assert all(t.startswith(umlctl.link_prefix("hsc-uml")) and len(t) <= 15 for t in san["taps"].values())
    others = [m for m in umlctl.lab_machines(make_state(nodes=16, san=2, dc_mem=640)) if m["name"] != "san1"]
    assert not set(san["taps"].values()) & {t for m in others for t in m["taps"].values()}
    assert not set(san["macs"].values()) & {x for m in others for x in m["macs"].values()}
    assert san["macs"]["sanb"] == umlctl.mac_address("hsc-uml", 0x5a, 4)
    # its LUN files are its own disks, from ubd1 on
    assert san["disks"] == [
        {"file": "disks/san1-lun1.img", "size_mib": 512, "ubd": 1, "device": "/dev/ubdb", "shared": False},
        {"file": "disks/san1-lun2.img", "size_mib": 512, "ubd": 2, "device": "/dev/ubdc", "shared": False}]
    lun2 = san["luns"][1]
    assert {k: lun2[k] for k in ("alias", "lun", "size_mib", "device", "file")} == {
        "alias": "lun2", "lun": 1, "size_mib": 512, "device": "/dev/ubdc", "file": "disks/san1-lun2.img"}
    assert lun2["serial"] == umlctl.lun_serial("hsc-uml", 2) and lun2["wwid"] == umlctl.lio_wwid(lun2["serial"])
    # not a node: no molecule platform, no fence target, no VIP
    assert [n["name"] for n in state["nodes"]] == ["node1", "node2", "node3"]
    assert "san1" not in state["fence"]["host_map"] and "san1" not in state["fence"]["pcmk_host_map"]
    assert san["ip"] not in state["vip_pool"]


def test_build_state_san_sizes_and_refusals():
    keys = umlctl.network_keys(["sana", "sanb"])
    subnets = [ipaddress.ip_network("10.89.%d.0/24" % t) for t in range(42, 47)]
    state = umlctl.build_state("lab", 1, subnets, keys, 512, [], [], IMAGE, None, 6, 64, 256)
    san = state["san"]
    assert [d["device"] for d in san["disks"]] == ["/dev/ubd%s" % c for c in "bcdefg"]
    assert {lun["size_mib"] for lun in san["luns"]} == {64} and san["mem_mib"] == 256
    assert [lun["lun"] for lun in san["luns"]] == [0, 1, 2, 3, 4, 5]
    with pytest.raises(umlctl.LabError, match="0 to 6 LUNs"):
        umlctl.build_state("lab", 1, subnets, keys, 512, [], [], IMAGE, None, 7)
    with pytest.raises(umlctl.LabError, match="needs the networks sana, sanb"):
        umlctl.build_state("lab", 1, subnets[:3], keys[:3], 512, [], [], IMAGE, None, 1)


def test_lun_serial_and_wwid_of_lio():
    # the rule recorded in tests/unit/fixtures/multipath/README.md
    assert umlctl.lio_wwid("6b3e2a10-0001-4a00-8000-000000000001") == "360014056b3e2a1000014a00800000000"
    assert umlctl.lio_wwid("6B3E2A10-0002-4A00-8000-000000000002") == "360014056b3e2a1000024a00800000000"
    with pytest.raises(umlctl.LabError):
        umlctl.lio_wwid("6b3e2a10-0001")
    serial = umlctl.lun_serial("hsc-san-dev", 1)
    assert [len(part) for part in serial.split("-")] == [8, 4, 4, 4, 12]
    assert set(serial) <= set("0123456789abcdef-") and serial.split("-")[1] == "0001"
    # stable for a lab name, different between names and between LUNs, in the 25 digits LIO uses
    assert serial == umlctl.lun_serial("hsc-san-dev", 1)
    wwids = [umlctl.lio_wwid(umlctl.lun_serial(name, i)) for name in ("hsc-san-dev", "hsc-mol-san", "a")
             for i in range(1, umlctl.MAX_SAN_LUNS + 1)]
    assert len(set(wwids)) == len(wwids) == 18
    assert all(len(w) == 33 and w.startswith("36001405") and int(w, 16) for w in wwids)
    with pytest.raises(umlctl.LabError):
        umlctl.lun_serial("x", 0)


def test_san_wwids_distinct_in_state():
    state = make_state(san=6)
    wwids = [lun["wwid"] for lun in state["san"]["luns"]]
    assert len(set(wwids)) == 6 and all(w.startswith("36001405") for w in wwids)
    other = make_state(san=6, name="hsc-uml-2")
    assert not set(wwids) & {lun["wwid"] for lun in other["san"]["luns"]}


def test_kernel_argv_of_the_san_target():
    state = make_state(nodes=2, data=(1024,), shared=(2048,), dc_mem=640, san=2)
    san = state["san"]
    argv = umlctl.kernel_argv(state, san, PUBKEY)
    assert argv[:4] == ["mem=384M", "root=/dev/ubda", "rw", "ubd0=/hsc/state/nodes/san1.cow,/hsc/image/base.img"]
    # its LUN files only: no node's data disk, no shared disk
    assert [a for a in argv if a.startswith("ubd")][1:] == [
        "ubd1=/hsc/state/disks/san1-lun1.img", "ubd2=/hsc/state/disks/san1-lun2.img"]
    # taps on net, sana, sanb as vec0, vec3, vec4 (the guest's interfaces keep the network's index)
    assert [a for a in argv if a.startswith("vec")] == [
        "vec%d:transport=tap,ifname=%s,gro=1,mac=%s" % (k, san["taps"][key], san["macs"][key])
        for k, key in ((0, "net"), (3, "sana"), (4, "sanb"))]
    assert [a for a in argv if a.startswith("hsc.ip.")] == [
        "hsc.ip.vec0=10.89.42.6/24", "hsc.ip.vec3=10.89.45.6/24", "hsc.ip.vec4=10.89.46.6/24"]
    assert "hsc.name=san1" in argv and "umid=hsc-uml-san1" in argv and "hsc.dns=10.89.42.5" in argv
    assert [a for a in argv if a.startswith("hsc.host=")][:2] == ["hsc.host=dc1,10.89.42.5", "hsc.host=san1,10.89.42.6"]
    # the nodes' own disks and taps are unchanged by the SAN target; they know its name
    node_argv = umlctl.kernel_argv(state, state["nodes"][0], PUBKEY)
    assert "ubd1=/hsc/state/disks/node1-data1.img" in node_argv and "ubd2c=/hsc/state/disks/shared1.img" in node_argv
    assert len([a for a in node_argv if a.startswith("vec")]) == 5 and "hsc.host=san1,10.89.42.6" in node_argv
    launcher = umlctl.launcher_argv(state, san, "/s", PUBKEY)
    assert umlctl.matches_marker(launcher, "hsc-uml:hsc-uml:san1") and launcher[15] == "448"


def test_guest_setup_configures_the_san_targets_vec0_vec3_vec4(tmp_path):
    state = make_state(san=2)
    calls = _run_setup(tmp_path, " ".join(umlctl.kernel_argv(state, state["san"], PUBKEY)))
    assert [c for c in calls.splitlines() if c.startswith("ip addr")] == [
        "ip addr replace 10.89.42.6/24 dev vec0", "ip addr replace 10.89.45.6/24 dev vec3",
        "ip addr replace 10.89.46.6/24 dev vec4"]
    assert "ip link set dev vec3 up" in calls and "ip link set dev vec1 up" not in calls
    assert (tmp_path / "etc" / "hostname").read_text() == "san1\n"
    assert "10.89.42.6\tsan1.lab.example san1" in (tmp_path / "etc" / "hosts").read_text()


def test_lab_machines_order_and_machine_cpu_with_dc_and_san():
    state = make_state(nodes=3, dc_mem=640, san=1)
    assert [m["name"] for m in umlctl.lab_machines(state)] == ["node1", "node2", "node3", "dc1", "san1"]
    assert [umlctl.machine_cpu(state, m, {0, 1}) for m in umlctl.lab_machines(state)] == [0, 1, 0, 1, 0]
    no_dc = make_state(nodes=2, san=1)
    assert [m["name"] for m in umlctl.lab_machines(no_dc)] == ["node1", "node2", "san1"]
    assert umlctl.machine_cpu(no_dc, no_dc["san"], {4, 6}) == 4
    assert umlctl.machine_cpu(make_state(), {"name": "san1"}, {0, 1}) is None


def test_memory_check_counts_the_san():
    avail = 1024 + 3 * (512 + 96)
    assert umlctl.check_memory(3, 512, avail + 480, san_mem_mib=384) == 3
    with pytest.raises(umlctl.LabError, match=r"3 nodes of mem=512M and the SAN target of mem=384M need "
                                              r"%d MiB .* 2 nodes fit beside the SAN target$"
                       % (1024 + 3 * 608 + 480)):
        umlctl.check_memory(3, 512, avail, san_mem_mib=384)
    with pytest.raises(umlctl.LabError, match=r"mem=512M and the DC of mem=640M and the SAN target of "
                                              r"mem=384M need %d MiB .* beside the DC and the SAN target$"
                       % (1024 + 3 * 608 + 736 + 480)):
        umlctl.check_memory(3, 512, avail + 736, dc_mem_mib=640, san_mem_mib=384)
    assert umlctl.check_memory(3, 512, avail + 736 + 480, dc_mem_mib=640, san_mem_mib=384) == 3


def test_find_node_ssh_config_partition_and_markers_of_the_san_target():
    state = make_state(dc_mem=640, san=2)
    assert umlctl.find_node(state, "san1") is state["san"]
    with pytest.raises(umlctl.LabError, match=r"no node 'san1' \(nodes: node1, node2, dc1\)"):
        umlctl.find_node(make_state(dc_mem=640), "san1")
    assert "Host san1\n    HostName 10.89.42.6\n" in umlctl.ssh_config(state, "/s")
    assert umlctl.partition_networks(state, "all", state["san"]) == ["net", "sana", "sanb"]
    assert umlctl.partition_networks(state, "sanb", state["san"]) == ["sanb"]
    with pytest.raises(umlctl.LabError, match="san1 has no network 'repl'"):
        umlctl.partition_networks(state, "repl", state["san"])
    # a node's SAN path is its own tap on sana
    assert umlctl.partition_networks(state, "sana", state["nodes"][0]) == ["sana"]
    assert state["nodes"][0]["taps"]["sana"] != state["san"]["taps"]["sana"]
    assert umlctl.is_lab_marker("hsc-uml", "hsc-uml:hsc-uml:san1")
    assert not umlctl.is_lab_marker("hsc-uml", "hsc-uml:hsc-uml:san2")
    assert not umlctl.is_lab_marker("hsc-uml", "hsc-uml:other:san1")


def test_power_api_cannot_reach_the_san_target(monkeypatch):
    state = make_state(san=1)
    monkeypatch.setattr(umlctl, "power_state", lambda n: "on")
    monkeypatch.setattr(umlctl, "kill_node", lambda n: pytest.fail("killed %s" % n["name"]))
    handler = _Handler(state, "/v1/nodes/san1/off")
    handler.do_POST()
    assert handler.replies == [(404, {"error": "no such node or action"})]
    handler = _Handler(state, "/v1/nodes")
    handler.do_GET()
    assert handler.replies == [(200, {"node1": "on", "node2": "on"})]


def test_parse_args_san(monkeypatch):
    monkeypatch.delenv("HSC_UML_LAB_NAME", raising=False)
    args = umlctl.parse_args(["up"])
    assert (args.san, args.san_lun_size, args.san_mem) == (0, 512, 384)
    args = umlctl.parse_args(["up", "--san", "3", "--san-lun-size", "64", "--san-mem", "256"])
    assert (args.san, args.san_lun_size, args.san_mem) == (3, 64, 256)
    assert umlctl.parse_args(["partition", "san1", "--net", "sanb"]).node == "san1"


@pytest.mark.parametrize("argv", [["up", "--san", "7"], ["up", "--san", "-1"], ["up", "--san", "1", "--san-mem", "255"],
                                  ["up", "--san", "1", "--san-lun-size", "8"],
                                  ["up", "--san", "1"] + ["--net=n%d" % i for i in range(7)]])
def test_parse_args_rejects_san(argv, capsys):
    with pytest.raises(SystemExit):
        umlctl.parse_args(argv)
    capsys.readouterr()


def test_san_create_commands():
    state = make_state(nodes=2, san=2)
    san = state["san"]
    tpg = "/iscsi/iqn.2026-12.example.lab:san1/tpg1"
    assert umlctl.san_create_commands(san) == [
        ["targetcli", "/backstores/block", "create", "name=lun1", "dev=/dev/ubdb", "wwn=" + san["luns"][0]["serial"]],
        ["targetcli", "/backstores/block", "create", "name=lun2", "dev=/dev/ubdc", "wwn=" + san["luns"][1]["serial"]],
        ["targetcli", "/iscsi", "create", "iqn.2026-12.example.lab:san1"],
        ["targetcli", tpg + "/portals", "delete", "0.0.0.0", "3260"],
        ["targetcli", tpg + "/portals", "create", "10.89.45.6", "3260"],
        ["targetcli", tpg + "/portals", "create", "10.89.46.6", "3260"],
        ["targetcli", tpg + "/luns", "create", "/backstores/block/lun1", "lun=0"],
        ["targetcli", tpg + "/luns", "create", "/backstores/block/lun2", "lun=1"],
        ["targetcli", tpg + "/acls", "create", "iqn.2026-12.example.lab:node1", "add_mapped_luns=true"],
        ["targetcli", tpg + "/acls", "create", "iqn.2026-12.example.lab:node2", "add_mapped_luns=true"],
        ["targetcli", "saveconfig"]]


def test_portals_not_listening():
    ss_text = ("LISTEN 0      128          0.0.0.0:22        0.0.0.0:*\n"
               "LISTEN 0      256       10.89.45.6:3260      0.0.0.0:*\n"
               "LISTEN 0      128             [::]:22           [::]:*\n")
    portals = ["10.89.45.6:3260", "10.89.46.6:3260"]
    assert umlctl.portals_not_listening(ss_text, portals) == ["10.89.46.6:3260"]
    assert umlctl.portals_not_listening(ss_text + "LISTEN 0 256 10.89.46.6:3260 0.0.0.0:*\n", portals) == []
    assert umlctl.portals_not_listening("", portals) == portals


class _FakeSan:
    """An executor standing for san1 over ssh: records every argv, answers
    the `test` probes from IN_CONFIGFS / SAVED, `ss` with LISTEN_AFTER calls."""

    def __init__(self, state, in_configfs, saved, listen_after=0, configfs_mounted=True):
        self.state, self.in_configfs, self.saved = state, in_configfs, saved
        self.listen_after, self.configfs_mounted = listen_after, configfs_mounted
        self.calls = []

    def __call__(self, argv, input_text=None, check=True, **kwargs):
        self.calls.append(list(argv))
        rc, out = 0, ""
        if argv[:2] == ["test", "-d"]:
            rc = 0 if self.in_configfs else 1
        elif argv[:2] == ["test", "-s"]:
            rc = 0 if self.saved else 1
        elif argv[0] == "findmnt":
            rc = 0 if self.configfs_mounted else 1
        elif argv[0] == "ss":
            if self.listen_after > 0:
                self.listen_after -= 1
            else:
                out = "".join("LISTEN 0 256 %s 0.0.0.0:*\n" % p for p in self.state["san"]["portals"])
        assert rc == 0 or not check, argv
        return subprocess.CompletedProcess(argv, rc, out, "")


def _provision_san(monkeypatch, fake):
    monkeypatch.setattr(umlctl, "remote_exec", lambda st, node: fake if node is st["san"] else None)
    monkeypatch.setattr(umlctl.time, "sleep", lambda s: None)
    return umlctl.provision_san(fake.state)


PROBES = [["modprobe", "-a", "target_core_mod", "iscsi_target_mod", "target_core_iblock"],
          ["findmnt", "-t", "configfs", "/sys/kernel/config"],
          ["test", "-d", "/sys/kernel/config/target/iscsi/iqn.2026-12.example.lab:san1"],
          ["test", "-s", "/etc/rtslib-fb-target/saveconfig.json"]]


def test_provision_san_creates_a_new_target(monkeypatch):
    state = make_state(san=2)
    fake = _FakeSan(state, in_configfs=False, saved=False, listen_after=2, configfs_mounted=False)
    assert _provision_san(monkeypatch, fake) == "created"
    mount = ["mount", "-t", "configfs", "configfs", "/sys/kernel/config"]
    assert fake.calls[:5] == PROBES[:2] + [mount] + PROBES[2:]
    assert fake.calls[5] == ["systemctl", "disable", "--now", "pcsd.service", "pcsd-ruby.service"]
    assert fake.calls[6:17] == umlctl.san_create_commands(state["san"])
    assert fake.calls[17:19] == [["systemctl", "enable", "rtslib-fb-targetctl.service"], ["sync"]]
    assert fake.calls[19:] == [["ss", "-ltnH"]] * 3  # until both portals listen


def test_provision_san_leaves_a_configured_target_alone(monkeypatch):
    fake = _FakeSan(make_state(san=2), in_configfs=True, saved=True)
    assert _provision_san(monkeypatch, fake) == "already configured"
    assert fake.calls == PROBES + [["ss", "-ltnH"]]


def test_provision_san_restores_the_saved_config(monkeypatch):
    fake = _FakeSan(make_state(san=2), in_configfs=False, saved=True)
    assert _provision_san(monkeypatch, fake).startswith("restored")
    assert fake.calls == PROBES + [["targetctl", "restore"],
                                   ["systemctl", "enable", "rtslib-fb-targetctl.service"], ["sync"],
                                   ["ss", "-ltnH"]]
    assert not [c for c in fake.calls if c[0] == "targetcli"]


def test_provision_san_clears_an_interrupted_create(monkeypatch):
    state = make_state(san=1)
    fake = _FakeSan(state, in_configfs=True, saved=False)
    assert _provision_san(monkeypatch, fake) == "created"
    clear = fake.calls.index(["targetcli", "clearconfig", "confirm=True"])
    create = umlctl.san_create_commands(state["san"])
    assert fake.calls[clear + 1:clear + 1 + len(create)] == create and len(create) == 9


def test_provision_san_times_out_when_a_portal_never_listens(monkeypatch):
    fake = _FakeSan(make_state(san=1), in_configfs=True, saved=True, listen_after=10 ** 6)
    monkeypatch.setattr(umlctl, "SAN_READY_TIMEOUT", -1)
    with pytest.raises(umlctl.LabError, match="timed out .* iSCSI target iqn.2026-12.example.lab:san1"):
        _provision_san(monkeypatch, fake)


def test_molecule_create_passes_the_san_options():
    with open(os.path.join(os.path.dirname(LAB_DIR), "molecule", "shared_uml", "create.yml"), encoding="utf-8") as fd:
        text = fd.read()
    for var, opt in (("lab_san", "--san"), ("lab_san_lun_size", "--san-lun-size"), ("lab_san_mem", "--san-mem")):
        assert "scenario_group_vars.%s" % var in text and "'%s'" % opt in text
        assert "#   provisioner.inventory.group_vars.all.%s:" % var in text


def test_unit_aliases_from_the_install_section():
    text = ("[Unit]\nAlias=not-this.service\n[Service]\nExecStart=/bin/true\n"
            "[Install]\nWantedBy=sysinit.target\nAlias=multipath-tools.service\nAlias=a.service b.service\n")
    assert umlctl.unit_aliases(text) == ["multipath-tools.service", "a.service", "b.service"]
    assert umlctl.unit_aliases(None) == []


def _services(monkeypatch, fail=None):
    """provision_services with recording stand-ins; the DC's job waits until the SAN's has started."""
    import threading
    san_started = threading.Event()
    events = []

    def booted(state, machine):
        events.append("booted " + machine["name"])

    def dc(state):
        # only returns once the SAN's job runs at the same time (else it times out)
        assert san_started.wait(5), "the SAN target was not provisioned beside the DC"
        events.append("dc provisioned")
        if fail == "dc":
            raise umlctl.LabError("dc failed")

    def san(state):
        san_started.set()
        events.append("san provisioned")
        if fail == "san":
            raise umlctl.LabError("san failed")
    monkeypatch.setattr(umlctl, "wait_booted", booted)
    monkeypatch.setattr(umlctl, "provision_dc", dc)
    monkeypatch.setattr(umlctl, "provision_san", san)
    return events


def test_provision_services_runs_the_dc_and_the_san_side_by_side(monkeypatch):
    events = _services(monkeypatch)
    umlctl.provision_services({"dc": {"name": "dc1"}, "san": {"name": "san1"}})
    assert sorted(events) == ["booted dc1", "booted san1", "dc provisioned", "san provisioned"]
    assert events.index("san provisioned") < events.index("dc provisioned")


@pytest.mark.parametrize("fail", ["dc", "san"])
def test_provision_services_raises_the_error_after_both_ran(monkeypatch, fail):
    events = _services(monkeypatch, fail=fail)
    with pytest.raises(umlctl.LabError, match="%s failed" % fail):
        umlctl.provision_services({"dc": {"name": "dc1"}, "san": {"name": "san1"}})
    assert "dc provisioned" in events and "san provisioned" in events


def test_provision_services_with_one_or_none(monkeypatch):
    events = _services(monkeypatch)
    umlctl.provision_services({"dc": None, "san": None})
    assert events == []
    umlctl.provision_services({"dc": None, "san": {"name": "san1"}})
    assert events == ["booted san1", "san provisioned"]


def test_power_api_refuses_a_node_whose_bmc_is_broken(monkeypatch, tmp_path):
    state = make_state()
    state["name"] = "hsc-uml-unit-bmc-%d" % os.getpid()
    killed = []
    monkeypatch.setattr(umlctl.labctl, "LOCK_DIR", str(tmp_path))
    monkeypatch.setattr(umlctl, "state_dir", lambda name: str(tmp_path))
    monkeypatch.setattr(umlctl, "power_state", lambda n: "on")
    monkeypatch.setattr(umlctl, "kill_node", lambda n: killed.append(n["name"]))
    node2 = state["nodes"][1]
    umlctl.set_bmc_broken(state["name"], node2, True)
    for method, path in (("do_POST", "/v1/nodes/node2/off"), ("do_GET", "/v1/nodes/node2")):
        handler = _Handler(state, path)
        getattr(handler, method)()
        assert handler.replies == [(503, {"error": "BMC of node2 unreachable (lab drill bmc-break)"})]
    # the other node's BMC answers; node2's again after bmc-heal
    handler = _Handler(state, "/v1/nodes/node1/off")
    handler.do_POST()
    assert handler.replies[0][0] == 200 and killed == ["node1"]
    umlctl.set_bmc_broken(state["name"], node2, False)
    handler = _Handler(state, "/v1/nodes/node2/off")
    handler.do_POST()
    assert handler.replies[0][0] == 200 and killed == ["node1", "node2"]


def test_reboot_watcher_sees_a_second_kernel_banner_after_a_power_on(monkeypatch, tmp_path):
    state = make_state()
    monkeypatch.setattr(umlctl, "state_dir", lambda name: str(tmp_path))
    node = state["nodes"][0]
    console = tmp_path / node["console"]
    console.parent.mkdir(parents=True, exist_ok=True)
    console.write_bytes(b"\n==== umlctl: power on node1 at x ====\nLinux version 7.2.7\nboot...\n")
    watcher = umlctl.RebootWatcher(state)
    assert watcher.scan(node) is False            # the first boot after power on
    with open(console, "ab") as fd:
        fd.write(b"login: \nreboot: Restarting system\nLinux version 7.2.7\n")
    assert watcher.scan(node) is True             # the kernel started again without a power on
    assert watcher.scan(node) is False            # nothing new
    with open(console, "ab") as fd:
        fd.write(b"\n==== umlctl: power on node1 at y ====\nLinux version 7.2.7\n")
    assert watcher.scan(node) is False            # a power cycle is not a reboot
    assert watcher.scan(state["nodes"][1]) is False   # no console yet
    # a banner written in two pieces, read in between, still counts once
    with open(console, "ab") as fd:
        fd.write(b"reboot\nLinux ver")
    assert watcher.scan(node) is False
    with open(console, "ab") as fd:
        fd.write(b"sion 7.2.7\n")
    assert watcher.scan(node) is True
    assert watcher.scan(node) is False


def test_guest_rootfs_drops_the_links_that_would_start_sbd_and_storage_services(tmp_path):
    """sbd's package makes corosync.service require it; the image removes that link (the role enables sbd)."""
    root, kroot = tmp_path / "root", tmp_path / "kernel"
    (kroot / "usr/lib/uml/modules/7.2.7/kernel").mkdir(parents=True)
    for rel in ("etc/init.d", "etc/ssh", "usr/local/sbin", "lib/systemd/system"):
        (root / rel).mkdir(parents=True)
    links = {"corosync.service.requires/sbd.service": "/lib/systemd/system/sbd.service",
             "pacemaker.service.requires/sbd.service": "/lib/systemd/system/sbd.service",
             "multi-user.target.wants/multipathd.service": "/lib/systemd/system/multipathd.service",
             "multi-user.target.wants/corosync.service": "/lib/systemd/system/corosync.service"}
    for rel, target in links.items():
        (root / "etc/systemd/system" / rel).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, str(root / "etc/systemd/system" / rel))
    umlctl.prepare_guest_rootfs(str(root), str(kroot), "7.2.7")
    left = sorted(rel for rel in links if os.path.islink(str(root / "etc/systemd/system" / rel)))
    assert left == ["multi-user.target.wants/corosync.service"]
    assert (root / "lib/modules/7.2.7/kernel").is_dir()


class _Proc(object):
    def __init__(self, rc):
        self.returncode = rc


def _fake_run(results, seen):
    def run(argv, **kw):
        seen.append(argv[2:4])
        return _Proc(results.pop(0))
    return run


@pytest.mark.parametrize("results, expected, retried", [
    # apt-get install passes: nothing else runs
    ([0], [["apt-get", "install"]], 0),
    # a postinst failed once: dpkg --configure -a runs it again, apt-get checks
    ([100, 0, 0], [["apt-get", "install"], ["dpkg", "--configure"], ["apt-get", "install"]], 1),
    # failed twice, then configured
    ([100, 1, 0, 0], [["apt-get", "install"], ["dpkg", "--configure"], ["dpkg", "--configure"],
                      ["apt-get", "install"]], 2),
])
def test_layer_install_configures_again_after_a_failed_postinst(monkeypatch, results, expected, retried):
    seen = []
    monkeypatch.setattr(umlctl, "run", _fake_run(list(results), seen))
    assert umlctl.install_configured(["chroot", "/r"], ["haproxy", "openstack-dashboard-apache"], retries=2) == retried
    assert seen == expected


def test_layer_install_gives_up_after_the_retries(monkeypatch):
    seen = []
    monkeypatch.setattr(umlctl, "run", _fake_run([100, 1, 1], seen))
    with pytest.raises(umlctl.LabError, match=r"rc=100\) after 2 configure retries: chroot /r apt-get install"):
        umlctl.install_configured(["chroot", "/r"], ["openstack-dashboard-apache"], retries=2)
    assert seen == [["apt-get", "install"], ["dpkg", "--configure"], ["dpkg", "--configure"]]
