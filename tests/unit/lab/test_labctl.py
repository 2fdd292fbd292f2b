# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of lab/labctl.py's pure helpers (no podman, no root)."""

from __future__ import absolute_import, division, print_function

import ipaddress
import json
import os
import sys

import pytest

LAB_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "..", "lab")
sys.path.insert(0, os.path.abspath(LAB_DIR))
import labctl  # noqa: E402  pylint: disable=wrong-import-position,import-error

__metaclass__ = type  # pylint: disable=invalid-name

NET = ipaddress.ip_network("10.89.42.0/24")
REPL = ipaddress.ip_network("10.89.43.0/24")


def make_state(nodes=3, with_dc=True, disks=(1024, 1024)):
    return labctl.build_state("hsc-lab", nodes, NET, REPL, 18401, list(disks), with_dc,
                              "localhost/hsc-lab-node:abc")


@pytest.mark.parametrize("name", ["hsc-lab", "a", "hsc-dev-lab", "pcmk2", "x" * 40])
def test_validate_name_accepts(name):
    assert labctl.validate_name(name) == name


@pytest.mark.parametrize("name", ["", "Hsc", "1lab", "lab_x", "lab-", "a--b", "lab x", "x" * 41, "lab/.."])
def test_validate_name_rejects(name):
    with pytest.raises(labctl.LabError):
        labctl.validate_name(name)


def test_subnet_candidates_deterministic_and_complete():
    first = labctl.subnet_candidates("hsc-lab")
    assert first == labctl.subnet_candidates("hsc-lab")
    assert len(first) == 255  # 10.89.0.0/24 (podman's default network) left out
    assert ipaddress.ip_network("10.89.0.0/24") not in first
    assert len(set(first)) == 255
    assert all(s.subnet_of(labctl.SUBNET_POOL) for s in first)


def test_subnet_candidates_differ_between_names():
    assert labctl.subnet_candidates("hsc-lab")[0] != labctl.subnet_candidates("hsc-mol-default")[0]


def test_pick_subnets_skips_used_and_overlapping():
    cands = labctl.subnet_candidates("hsc-lab")
    used = [cands[0], ipaddress.ip_network(str(cands[1].network_address) + "/25")]
    picked = labctl.pick_subnets("hsc-lab", used)
    assert picked == [cands[2], cands[3]]


def test_pick_subnets_no_overlap_with_wide_route():
    # a /16 route covering the whole pool leaves nothing
    with pytest.raises(labctl.LabError, match="no free /24"):
        labctl.pick_subnets("hsc-lab", [ipaddress.ip_network("10.89.0.0/16")])


def test_pick_subnets_unaffected_by_other_ranges():
    picked = labctl.pick_subnets("hsc-lab", [ipaddress.ip_network("192.168.1.0/24")])
    assert picked == labctl.subnet_candidates("hsc-lab")[:2]


def test_fence_port_candidates():
    ports = labctl.fence_port_candidates("hsc-lab")
    assert len(ports) == labctl.FENCE_PORT_SPAN == len(set(ports))
    assert all(labctl.FENCE_PORT_BASE <= p < labctl.FENCE_PORT_BASE + labctl.FENCE_PORT_SPAN for p in ports)
    assert ports == labctl.fence_port_candidates("hsc-lab")


def test_container_and_network_names():
    assert labctl.container_names("x", 2) == ["x-node1", "x-node2", "x-dc"]
    assert labctl.container_names("x", 1, with_dc=False) == ["x-node1"]
    assert labctl.network_names("x") == {"net": "x-net", "repl": "x-repl"}


def test_parse_packages_and_key(monkeypatch):
    text = "# comment\nsystemd\n\npcs  # inline\n"
    assert labctl.parse_packages(text) == ["systemd", "pcs"]
    # comments and blank lines do not change the key; a package does
    assert labctl.image_key(text) == labctl.image_key("systemd\npcs\n")
    assert labctl.image_key(text) != labctl.image_key("systemd\npcs\nhaproxy\n")
    # so does the recipe that prepares the tree (prepare_rootfs)
    key = labctl.image_key(text)
    monkeypatch.setattr(labctl, "IMAGE_RECIPE", labctl.IMAGE_RECIPE + 1)
    assert labctl.image_key(text) != key
    with pytest.raises(labctl.LabError, match="duplicate"):
        labctl.parse_packages("pcs\npcs\n")


def test_image_package_list_has_what_the_lab_needs():
    with open(labctl.PACKAGES_FILE, encoding="utf-8") as fd:
        pkgs = labctl.parse_packages(fd.read())
    for pkg in ("systemd", "pacemaker", "pacemaker-cli-utils", "corosync", "pcs", "fence-agents",
                "python3-pycurl", "python3-cffi-backend", "samba-ad-dc", "samba-ad-provision",
                "nfs-ganesha-vfs", "libnfs-utils", "haproxy", "winbind", "krb5-user"):
        assert pkg in pkgs


def test_build_state_layout():
    state = make_state()
    assert json.loads(json.dumps(state)) == state  # JSON-serialisable
    assert [n["name"] for n in state["nodes"]] == ["node1", "node2", "node3"]
    assert state["nodes"][0] == {"name": "node1", "fqdn": "node1.lab.example", "container": "hsc-lab-node1",
                                 "ip": "10.89.42.11", "repl_ip": "10.89.43.11"}
    assert state["networks"]["net"] == {"name": "hsc-lab-net", "subnet": "10.89.42.0/24",
                                        "gateway": "10.89.42.1", "prefix": 24}
    assert state["networks"]["repl"]["gateway"] == "10.89.43.1"
    assert state["fence"]["ip"] == "10.89.42.1"
    assert state["fence"]["port"] == 18401
    assert state["fence"]["host_map"] == {"node1": "hsc-lab-node1", "node2": "hsc-lab-node2",
                                          "node3": "hsc-lab-node3"}
    assert state["dc"]["ip"] == "10.89.42.5"
    assert state["dc"]["realm"] == "LAB.EXAMPLE"
    assert [d["path"] for d in state["shared_disks"]] == ["/dev/labdisk1", "/dev/labdisk2"]
    assert state["vip_pool"][0] == "10.89.42.100" and len(state["vip_pool"]) == 10


def test_build_state_addresses_unique_and_vips_reserved():
    state = make_state(nodes=16)
    used = [n["ip"] for n in state["nodes"]] + [state["dc"]["ip"], state["fence"]["ip"]]
    assert len(set(used)) == len(used)
    assert not set(used) & set(state["vip_pool"])
    assert all(ipaddress.ip_address(ip) in NET for ip in used + state["vip_pool"])


def test_build_state_without_dc_and_disks():
    state = make_state(with_dc=False, disks=())
    assert state["dc"] is None and state["shared_disks"] == []
    args = labctl.node_run_args(state, state["nodes"][0], "img", "/s")
    assert "--dns" not in args and "--device" not in args


def test_hosts_file_lists_fqdn_first():
    text = labctl.hosts_file(make_state())
    lines = text.splitlines()
    assert "10.89.42.5\tdc1.lab.example dc1" in lines
    assert "10.89.42.12\tnode2.lab.example node2" in lines
    assert "10.89.43.13\tnode3-repl.lab.example node3-repl" in lines
    assert lines[0].startswith("127.0.0.1")


def test_node_run_args():
    state = make_state()
    for disk, loop in zip(state["shared_disks"], ("/dev/loop7", "/dev/loop8")):
        disk["loop"] = loop
    args = labctl.node_run_args(state, state["nodes"][1], "img:tag", "/st")
    assert args[:6] == ["run", "-d", "--name", "hsc-lab-node2", "--hostname", "node2"]
    assert args[-1] == "img:tag"
    assert "--systemd=always" in args
    assert args[args.index("--tmpfs") + 1].startswith("/dev/shm:")
    # a fixed MAC per address: a node powered on by a fence keeps the MAC its peers knew
    # and a fixed interface name: podman names them in no fixed order when a container starts again
    assert "hsc-lab-net:ip=10.89.42.12,mac=02:68:0a:59:2a:0c,interface_name=eth0" in args
    assert "hsc-lab-repl:ip=10.89.43.12,mac=02:68:0a:59:2b:0c,interface_name=eth1" in args
    assert args[args.index("--cap-add") + 1] == "NET_ADMIN,NET_RAW,SYS_ADMIN,DAC_READ_SEARCH"
    assert "/dev/loop7:/dev/labdisk1:rwm" in args and "/dev/loop8:/dev/labdisk2:rwm" in args
    assert args[args.index("--dns") + 1] == "10.89.42.5"
    assert args[args.index("--dns-search") + 1] == "lab.example"
    assert "/st/hosts/node2:/etc/hosts" in args and "--no-hosts" in args
    # the lab's public key is root's authorized_keys (read-only): Ansible reaches the node over ssh
    assert "/st/ssh/id_ed25519.pub:/root/.ssh/authorized_keys:ro" in args


def test_node_run_args_of_a_state_without_ssh():
    # a lab made before the nodes had sshd: no key to mount
    state = make_state()
    del state["ssh"]
    args = labctl.node_run_args(state, state["nodes"][0], "img", "/st")
    assert not [a for a in args if "authorized_keys" in a]


def test_ssh_config_names_every_node():
    state = make_state()
    text = labctl.ssh_config(state, "/st")
    hosts = [line.split()[1] for line in text.splitlines() if line.startswith("Host ")]
    assert hosts == ["node1", "node2", "node3"]
    block = text.split("Host node2\n", 1)[1].split("\n\n", 1)[0]
    assert "    HostName 10.89.42.12" in block.splitlines()
    assert "    User root" in block.splitlines() and "    IdentityFile /st/ssh/id_ed25519" in block.splitlines()
    assert "    ServerAliveInterval 2" in block.splitlines()  # a session to a fenced node ends
    assert "Host dc1" not in text


def test_dc_run_args():
    args = labctl.dc_run_args(make_state(), "img", "/st")
    assert "hsc-lab-dc" in args and "hsc-lab-net:ip=10.89.42.5,mac=02:68:0a:59:2a:05,interface_name=eth0" in args
    assert not any(a.startswith("hsc-lab-repl") for a in args)


def test_lab_macs_are_unique_and_locally_administered():
    state = make_state(nodes=16)
    ips = [n["ip"] for n in state["nodes"]] + [n["repl_ip"] for n in state["nodes"]] + [state["dc"]["ip"]]
    macs = [labctl.lab_mac(ip) for ip in ips]
    assert len(set(macs)) == len(macs)
    # first octet 0x02: locally administered, unicast
    assert all(int(m.split(":")[0], 16) & 0x03 == 0x02 for m in macs)
    assert all(len(m.split(":")) == 6 for m in macs)


def test_find_node():
    state = make_state()
    assert labctl.find_node(state, "node2")["container"] == "hsc-lab-node2"
    assert labctl.find_node(state, "hsc-lab-node3")["name"] == "node3"
    assert labctl.find_node(state, "dc")["container"] == "hsc-lab-dc"
    with pytest.raises(labctl.LabError, match="no node 'node9'"):
        labctl.find_node(state, "node9")


def test_parse_args_defaults(monkeypatch):
    monkeypatch.delenv("HSC_LAB_NAME", raising=False)
    args = labctl.parse_args(["up"])
    assert (args.name, args.nodes, args.no_dc, args.disks, args.disk_size) == ("hsc-lab", 3, False, 2, 1024)


def test_parse_args_name_before_or_after_command(monkeypatch):
    monkeypatch.delenv("HSC_LAB_NAME", raising=False)
    assert labctl.parse_args(["--name", "a1", "down"]).name == "a1"
    assert labctl.parse_args(["down", "--name", "b2"]).name == "b2"
    args = labctl.parse_args(["kill", "node2", "--name", "c3"])
    assert (args.command, args.node, args.name) == ("kill", "node2", "c3")
    monkeypatch.setenv("HSC_LAB_NAME", "envlab")
    assert labctl.parse_args(["status"]).name == "envlab"


@pytest.mark.parametrize("argv", [["up", "--nodes", "0"], ["up", "--nodes", "17"], ["up", "--disks", "9"],
                                  ["up", "--disk-size", "1"], ["kill"], ["bogus"], []])
def test_parse_args_rejects(argv, capsys):
    with pytest.raises(SystemExit):
        labctl.parse_args(argv)
    assert "usage" in capsys.readouterr().err


def test_parse_args_rejects_bad_name():
    with pytest.raises(labctl.LabError):
        labctl.parse_args(["up", "--name", "Bad_Name"])


def test_state_roundtrip(tmp_path, monkeypatch):
    monkeypatch.setattr(labctl, "STATE_ROOT", str(tmp_path))
    state = make_state()
    os.makedirs(labctl.state_dir("hsc-lab"))
    labctl.save_state(state)
    assert labctl.load_state("hsc-lab") == state
    assert labctl.load_state("other", required=False) is None
    with pytest.raises(labctl.LabError, match="not up"):
        labctl.load_state("other")


REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def _yaml(rel):
    yaml = pytest.importorskip("yaml")
    with open(os.path.join(REPO, rel), encoding="utf-8") as fd:
        return yaml.safe_load(fd)


def test_lab_inventory_and_molecule_vars_in_step():
    inv = _yaml("inventories/lab/group_vars/all.yml")
    mol = _yaml("molecule/shared/vars/lab.yml")
    own = {"lab_name", "lab_state_file", "ansible_host", "ansible_user", "ansible_ssh_private_key_file",
           "ansible_ssh_common_args", "ansible_pipelining", "ansible_python_interpreter"}
    assert {k: v for k, v in inv.items() if k not in own} == {k: v for k, v in mol.items() if k not in own}
    assert inv["pacemaker_stonith_devices"][0]["agent"] == "fence_podman_lab"


def test_lab_inventory_layout():
    hosts = _yaml("inventories/lab/hosts.yml")
    # the lab's nodes sit under the design group site.yml deploys on the lab
    design_groups = {"pacemaker_cluster", "nas_dual_controller", "nas_integrated", "nas_gateway",
                     "openstack_control_plane"}
    (design,) = hosts["all"]["children"].keys()
    assert design in design_groups
    lab_nodes = hosts["all"]["children"][design]["children"]["lab_nodes"]["hosts"]
    state = labctl.build_state(labctl.DEFAULT_NAME, labctl.DEFAULT_NODES, NET, REPL, 1, [], False, "i")
    # the lab's node names; ansible_host (the node's address) is each node's own
    # plain host variable from the inventory script (tests/unit/lab/test_lab_inventory.py)
    assert sorted(lab_nodes) == sorted(state["fence"]["host_map"])
    assert not [h for h, v in lab_nodes.items() if v]
    assert "ansible_host" not in _yaml("inventories/lab/group_vars/all.yml")
    assert _yaml("inventories/lab/group_vars/all.yml")["lab_name"] == labctl.DEFAULT_NAME


def test_a_uml_labs_state_is_never_used_or_removed(monkeypatch, tmp_path):
    """labctl down on a UML lab's name refuses before it removes anything."""
    monkeypatch.setattr(labctl, "STATE_ROOT", str(tmp_path))
    sdir = tmp_path / "hsc-uml"
    sdir.mkdir()
    (sdir / "lab.json").write_text(json.dumps({"name": "hsc-uml", "kind": "uml", "nodes": []}))
    monkeypatch.setattr(labctl, "podman", lambda *a, **k: pytest.fail("podman must not run"))
    with pytest.raises(labctl.LabError, match="belongs to a uml lab, not a podman lab: use lab/umlctl"):
        labctl.teardown("hsc-uml")
    with pytest.raises(labctl.LabError, match="belongs to a uml lab"):
        labctl.load_state("hsc-uml")
    assert (sdir / "lab.json").exists()
    # a podman lab's state (no kind, as labctl writes it) loads
    (sdir / "lab.json").write_text(json.dumps({"name": "hsc-uml", "nodes": []}))
    assert labctl.load_state("hsc-uml")["nodes"] == []


def test_umlctl_refuses_a_podman_labs_state(monkeypatch, tmp_path):
    """The same state layout serves both tools; each refuses the other's lab."""
    import umlctl  # noqa: E402  pylint: disable=import-outside-toplevel,import-error
    monkeypatch.setattr(labctl, "STATE_ROOT", str(tmp_path))
    sdir = tmp_path / "hsc-lab"
    sdir.mkdir()
    (sdir / "lab.json").write_text(json.dumps({"name": "hsc-lab", "nodes": []}))
    with pytest.raises(labctl.LabError, match="belongs to a podman lab, not a uml lab: use lab/labctl"):
        umlctl.load_state("hsc-lab")
    (sdir / "lab.json").write_text(json.dumps({"name": "hsc-lab", "kind": "uml", "nodes": []}))
    assert umlctl.load_state("hsc-lab")["kind"] == "uml"


class FakeDC:
    """Records what provision_dc / wait_dc_ready run on the DC."""

    def __init__(self, provision_rc=0, srv_rc=(0,), wbinfo_rc=(0,)):
        self.calls = []
        self.provision_rc = provision_rc
        self.srv_rc = list(srv_rc)
        self.wbinfo_rc = list(wbinfo_rc)

    def __call__(self, argv, input_text=None, **kwargs):
        self.calls.append((list(argv), input_text, kwargs))
        rc, out = 0, ""
        if argv[0] == "bash":
            rc = self.provision_rc
        elif argv[0] == "host":
            rc = self.srv_rc.pop(0) if len(self.srv_rc) > 1 else self.srv_rc[0]
        elif argv[0] == "wbinfo":
            rc = self.wbinfo_rc.pop(0) if len(self.wbinfo_rc) > 1 else self.wbinfo_rc[0]
        elif argv[0] == "tail":
            out = "ERROR(ldb): provision failed\n"
        return labctl.subprocess.CompletedProcess(argv, rc, out, "boom" if rc else "")


def _dc_sdir(tmp_path):
    labctl.write_dc_password(str(tmp_path))
    return str(tmp_path), labctl.read_dc_password(str(tmp_path))


def test_dc_password_file_is_private_and_complex(tmp_path):
    sdir, password = _dc_sdir(tmp_path)
    mode = os.stat(os.path.join(sdir, "dc-admin-password")).st_mode & 0o777
    assert mode == 0o600
    assert len(password) >= 20 and any(c.isupper() for c in password)
    assert any(c.islower() for c in password) and any(c.isdigit() for c in password)


def test_dc_provision_script_reads_the_password_from_stdin():
    dc = make_state()["dc"]
    script = labctl.dc_provision_script(dc)
    assert script.startswith("set -e; read -r P;")
    assert "--adminpass=\"$P\"" in script
    assert "--realm=LAB.EXAMPLE --domain=LAB --server-role=dc" in script
    assert "--dns-backend=SAMBA_INTERNAL --host-ip=10.89.42.5" in script
    assert "cp /var/lib/samba/private/krb5.conf /etc/krb5.conf" in script
    assert script.endswith("systemctl enable --now samba-ad-dc")


def test_provision_dc_passes_the_password_on_stdin_only(tmp_path, monkeypatch):
    sdir, password = _dc_sdir(tmp_path)
    monkeypatch.setattr(labctl, "tcp_open", lambda ip, port: ip == "10.89.42.5" and port in (389, 88))
    monkeypatch.setattr(labctl.time, "sleep", lambda s: None)
    fake = FakeDC(srv_rc=(1, 1, 0), wbinfo_rc=(1, 0))
    labctl.provision_dc(make_state(), sdir, fake)
    argvs = [c[0] for c in fake.calls]
    assert argvs[0][:2] == ["bash", "-c"] and fake.calls[0][1] == password + "\n"
    assert all(password not in " ".join(a) for a in argvs)
    assert all(c[1] is None for c in fake.calls[1:])
    # waited for the SRV record (answers on the 3rd try) and wbinfo -P (the
    # 2nd, each round checking all again), then flushed the cache
    assert [a[0] for a in argvs[1:]] == ["host", "host", "host", "wbinfo", "host", "wbinfo", "net"]
    assert argvs[1] == ["host", "-t", "SRV", "_ldap._tcp.lab.example", "10.89.42.5"]
    assert argvs[-1] == ["net", "cache", "flush"]


def test_provision_dc_failure_shows_the_log(tmp_path):
    sdir = _dc_sdir(tmp_path)[0]
    fake = FakeDC(provision_rc=1)
    with pytest.raises(labctl.LabError, match=r"(?s)provisioning failed in hsc-lab-dc.*ERROR\(ldb\)"):
        labctl.provision_dc(make_state(), sdir, fake)
    assert [c[0][0] for c in fake.calls] == ["bash", "tail"]


def test_wait_dc_ready_needs_both_ports(monkeypatch):
    monkeypatch.setattr(labctl, "tcp_open", lambda ip, port: port == 389)
    monkeypatch.setattr(labctl.time, "sleep", lambda s: None)
    fake = FakeDC()
    with pytest.raises(labctl.LabError, match="timed out"):
        labctl.wait_dc_ready(make_state()["dc"], fake, timeout=0)
    assert not fake.calls


def test_podman_exec_uses_i_only_with_stdin(monkeypatch):
    seen = []
    monkeypatch.setattr(labctl, "run", lambda argv, **kw: seen.append((argv, kw.get("input_text"))))
    execute = labctl.podman_exec("hsc-lab-dc")
    execute(["bash", "-c", "x"], input_text="pw\n", check=False)
    execute(["wbinfo", "-P"], check=False)
    assert seen == [(["podman", "exec", "-i", "hsc-lab-dc", "bash", "-c", "x"], "pw\n"),
                    (["podman", "exec", "hsc-lab-dc", "wbinfo", "-P"], None)]


@pytest.mark.parametrize("status", ["exited", "stopped", "absent"])
def test_heal_of_a_node_that_is_not_running_does_nothing(monkeypatch, tmp_path, status):
    # a partitioned node the survivor fenced (powered off) has no links to bring up
    monkeypatch.setattr(labctl, "STATE_ROOT", str(tmp_path))
    os.makedirs(labctl.state_dir("hsc-lab"))
    labctl.save_state(make_state())
    monkeypatch.setattr(labctl, "container_state", lambda cname: status)
    monkeypatch.setattr(labctl, "run", lambda *a, **k: pytest.fail("nothing may run: %r" % (a,)))
    monkeypatch.setattr(labctl, "netns_pid", lambda cname: pytest.fail("no namespace to enter"))
    args = labctl.parse_args(["heal", "node1", "--name", "hsc-lab"])
    assert labctl.cmd_drill(args) == 0


def test_partition_of_a_node_that_is_not_running_fails(monkeypatch, tmp_path):
    monkeypatch.setattr(labctl, "STATE_ROOT", str(tmp_path))
    os.makedirs(labctl.state_dir("hsc-lab"))
    labctl.save_state(make_state())
    monkeypatch.setattr(labctl, "podman", lambda *a, **k: type("P", (), {"stdout": "0\n", "returncode": 0})())
    args = labctl.parse_args(["partition", "node1", "--name", "hsc-lab"])
    with pytest.raises(labctl.LabError, match="is not running"):
        labctl.cmd_drill(args)


def test_shutdown_stops_the_container_with_time_for_pacemaker(monkeypatch, tmp_path):
    # a clean power-off: podman sends systemd its stop signal; Pacemaker must have time to leave
    monkeypatch.setattr(labctl, "STATE_ROOT", str(tmp_path))
    os.makedirs(labctl.state_dir("hsc-lab"))
    state = make_state()
    labctl.save_state(state)
    calls = []
    monkeypatch.setattr(labctl, "podman", lambda *a, **k: calls.append(a))
    assert labctl.cmd_drill(labctl.parse_args(["shutdown", "node2", "--name", "hsc-lab"])) == 0
    cname = labctl.find_node(state, "node2")["container"]
    assert calls == [("stop", "--time", str(labctl.SHUTDOWN_TIMEOUT), cname)]
    assert labctl.SHUTDOWN_TIMEOUT >= 60


@pytest.mark.parametrize("status, started", [("exited", True), ("running", False)])
def test_start_powers_a_stopped_node_on_and_waits_for_sshd(monkeypatch, tmp_path, status, started):
    monkeypatch.setattr(labctl, "STATE_ROOT", str(tmp_path))
    os.makedirs(labctl.state_dir("hsc-lab"))
    labctl.save_state(make_state())
    calls, waited = [], []
    monkeypatch.setattr(labctl, "container_state", lambda cname: status)
    monkeypatch.setattr(labctl, "podman", lambda *a, **k: calls.append(a))
    monkeypatch.setattr(labctl, "wait_ssh", lambda node, timeout=None: waited.append(node["name"]))
    assert labctl.cmd_drill(labctl.parse_args(["start", "node1", "--name", "hsc-lab"])) == 0
    assert [c[0] for c in calls] == (["start"] if started else [])
    assert waited == ["node1"]
