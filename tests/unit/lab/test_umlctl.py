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

LAB_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "lab"))
sys.path.insert(0, LAB_DIR)
import umlctl  # noqa: E402  pylint: disable=wrong-import-position,import-error

__metaclass__ = type  # pylint: disable=invalid-name

SUBNETS = [ipaddress.ip_network("10.89.%d.0/24" % third) for third in range(42, 48)]
IMAGE = {"kernel_root": "/cache/uml-image/kernel-k", "kernel_version": "7.2.7",
         "image_dir": "/cache/uml-image/guest-g", "base": "base.img"}
PUBKEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample hsc-uml:hsc-uml"


def make_state(nodes=2, extra=(), data=(1024,), shared=(), dc_mem=None):
    keys = umlctl.network_keys(list(extra))
    return umlctl.build_state("hsc-uml", nodes, SUBNETS[:len(keys)], keys, 512,
                              list(data), list(shared), dict(IMAGE), dc_mem)


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
