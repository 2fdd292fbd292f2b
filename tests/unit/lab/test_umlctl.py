# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of lab/umlctl.py's pure helpers (no UML, no root)."""

from __future__ import absolute_import, division, print_function

import ipaddress
import os
import subprocess
import sys

import pytest

LAB_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "lab"))
sys.path.insert(0, LAB_DIR)
import umlctl  # noqa: E402  pylint: disable=wrong-import-position,import-error

__metaclass__ = type  # pylint: disable=invalid-name

SUBNETS = [ipaddress.ip_network("10.89.42.0/24"), ipaddress.ip_network("10.89.43.0/24"),
           ipaddress.ip_network("10.89.44.0/24")]
IMAGE = {"kernel_root": "/cache/uml-image/kernel-k", "kernel_version": "7.2.7",
         "image_dir": "/cache/uml-image/guest-g", "base": "base.img"}
PUBKEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample hsc-uml:hsc-uml"


def make_state(nodes=2, extra=(), data=(1024,), shared=()):
    keys = umlctl.network_keys(list(extra))
    return umlctl.build_state("hsc-uml", nodes, SUBNETS[:len(keys)], keys, 512,
                              list(data), list(shared), dict(IMAGE))


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
    assert umlctl.network_keys([]) == ["net", "repl"]
    assert umlctl.network_keys(["sana", "sanb"]) == ["net", "repl", "sana", "sanb"]


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
    assert [nets[k]["index"] for k in ("net", "repl", "sana")] == [0, 1, 2]
    assert nets["net"]["gateway"] == "10.89.42.1" and nets["sana"]["guest_if"] == "vec2"
    node3 = state["nodes"][2]
    assert (node3["name"], node3["ip"], node3["repl_ip"]) == ("node3", "10.89.42.13", "10.89.43.13")
    assert node3["ips"]["sana"] == "10.89.44.13"
    assert node3["taps"]["sana"] == umlctl.tap_name("hsc-uml", 3, 2)
    assert [d["device"] for d in node3["disks"]] == ["/dev/ubdb", "/dev/ubdc"]
    assert node3["disks"][1] == {"file": "disks/node3-data2.img", "size_mib": 512, "ubd": 2,
                                 "device": "/dev/ubdc", "shared": False}
    assert state["shared_disks"] == [{"file": "disks/shared1.img", "size_mib": 2048, "ubd": 3,
                                      "device": "/dev/ubdd", "shared": True}]
    assert state["fence"]["ip"] == "10.89.42.1"
    assert state["fence"]["pcmk_host_map"] == "node1:node1;node2:node2;node3:node3"
    assert state["vip_pool"][0] == "10.89.42.100" and state["repl_vip_pool"][-1] == "10.89.43.109"
    # no VIP is a node address or a gateway
    taken = {n["ip"] for n in state["nodes"]} | {"10.89.42.1"}
    assert not taken & set(state["vip_pool"])


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
    assert umlctl.partition_networks(state, "all") == ["net", "repl", "sana"]
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
