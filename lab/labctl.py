"""labctl: real multi-node Pacemaker labs in podman containers (hastorage.cluster).

Run it through the `lab/labctl` wrapper:

    lab/labctl up|down|status|image [--name NAME] [--nodes N] [--no-dc]
    lab/labctl kill|freeze|thaw|partition|heal NODE [--name NAME]

Every object a lab creates is named with the lab name (default `hsc-lab`):
containers `<name>-node<i>` and `<name>-dc`, networks `<name>-net` and
`<name>-repl`, loop devices backed by files in `lab/state/<name>/disks/`, and
one `podman system service` process (the fencing API) listening on the
`<name>-net` bridge address. `down` removes exactly these and the state
directory `lab/state/<name>/`; it is safe to run twice.

The pure helpers (naming, subnet and port derivation, state layout, argument
parsing) take plain data and are unit-tested in tests/unit/lab/.
"""

import argparse
import contextlib
import fcntl
import hashlib
import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

LAB_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(LAB_DIR)
STATE_ROOT = os.path.join(LAB_DIR, "state")
CACHE_DIR = os.path.join(REPO_DIR, ".cache", "lab-image")
CONTAINERS_CONF = os.path.join(LAB_DIR, "containers.conf")
PACKAGES_FILE = os.path.join(LAB_DIR, "image-packages.txt")
FENCE_AGENT_FILE = os.path.join(LAB_DIR, "fence_podman_lab.py")
LOCK_DIR = "/run/lock" if os.path.isdir("/run/lock") else tempfile.gettempdir()

DEFAULT_NAME = "hsc-lab"
DEFAULT_NODES = 3
DEFAULT_DISKS = 2
DEFAULT_DISK_SIZE_MIB = 1024
IMAGE_REPO = "localhost/hsc-lab-node"
DEBIAN_SUITE = "bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
REALM = "LAB.EXAMPLE"
DOMAIN = "LAB"
DNS_DOMAIN = "lab.example"
DC_HOSTNAME = "dc1"
NODE_CAPS = ("NET_ADMIN", "NET_RAW", "SYS_ADMIN", "DAC_READ_SEARCH")
# A fresh tmpfs at every start, like a real reboot: podman's own /dev/shm (64 MB)
# outlives a killed container, and Corosync/Pacemaker IPC buffers (about 48 MB
# per node) left there by a crash make the next start fail with CS_ERR_NO_SPACE.
SHM_MOUNT = "/dev/shm:rw,nosuid,nodev,size=512m"
DC_CAPS = ("SYS_ADMIN",)
# Host octet layout inside each /24 (the gateway .1 is the host's bridge address).
DC_HOST = 5
NODE_HOST_BASE = 10          # node i gets .10+i
VIP_HOSTS = range(100, 110)  # reserved for tests: never given to a container
SUBNET_POOL = ipaddress.ip_network("10.89.0.0/16")
# the names the inventories give the nodes' interfaces (VIP nic, ethmonitor)
CLIENT_INTERFACE = "eth0"
REPLICATION_INTERFACE = "eth1"
FENCE_PORT_BASE = 18400
FENCE_PORT_SPAN = 500
FENCE_AGENT_PATH = "/usr/sbin/fence_podman_lab"
SHARED_DISK_PREFIX = "/dev/labdisk"
STATE_VERSION = 1
NAME_MAX = 40


class LabError(Exception):
    """A failure with a message for the user."""


# --------------------------------------------------------------------------
# Pure helpers (unit-tested)
# --------------------------------------------------------------------------

def validate_name(name):
    """Return NAME if it can prefix podman objects and host paths, else raise."""
    if not name or len(name) > NAME_MAX:
        raise LabError("lab name must be 1-%d characters: %r" % (NAME_MAX, name))
    if not name[0].isalpha() or not name[0].islower():
        raise LabError("lab name must start with a lowercase letter: %r" % name)
    allowed = set("abcdefghijklmnopqrstuvwxyz0123456789-")
    if not set(name) <= allowed or name.endswith("-") or "--" in name:
        raise LabError("lab name may contain only a-z, 0-9 and single '-' inside: %r" % name)
    return name


def name_hash(name):
    return int(hashlib.sha256(name.encode("utf-8")).hexdigest(), 16)


def subnet_candidates(name, pool=SUBNET_POOL, prefix=24):
    """All /24s of the pool, in a deterministic order that starts at hash(name)."""
    subnets = list(pool.subnets(new_prefix=prefix))
    # keep 10.89.0.0/24 free: podman's default network uses it
    subnets = [s for s in subnets if s.network_address != pool.network_address]
    start = name_hash(name) % len(subnets)
    return subnets[start:] + subnets[:start]


def overlaps_any(subnet, used):
    return any(subnet.overlaps(u) for u in used)


def pick_subnets(name, used, count=2, pool=SUBNET_POOL):
    """Pick COUNT free /24s for lab NAME: first free candidates in hash order."""
    picked = []
    for cand in subnet_candidates(name, pool):
        if overlaps_any(cand, list(used) + picked):
            continue
        picked.append(cand)
        if len(picked) == count:
            return picked
    raise LabError("no free /24 left in %s for lab %s" % (pool, name))


def fence_port_candidates(name, base=FENCE_PORT_BASE, span=FENCE_PORT_SPAN):
    start = name_hash(name) % span
    return [base + (start + i) % span for i in range(span)]


def host_ip(subnet, host):
    return str(subnet.network_address + host)


def container_names(name, nodes, with_dc=True):
    names = ["%s-node%d" % (name, i) for i in range(1, nodes + 1)]
    if with_dc:
        names.append("%s-dc" % name)
    return names


def network_names(name):
    return {"net": "%s-net" % name, "repl": "%s-repl" % name}


# Bump when prepare_rootfs changes what it leaves in the image: the cache key
# covers it as well as the package list.
IMAGE_RECIPE = 2


def image_key(package_text):
    """Cache key of the node image: hash of the package list (comments ignored) and the recipe."""
    text = "\n".join(parse_packages(package_text) + ["recipe %d" % IMAGE_RECIPE])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def parse_packages(text):
    pkgs = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            pkgs.append(line)
    if len(set(pkgs)) != len(pkgs):
        raise LabError("duplicate package in the image package list")
    return pkgs


def build_state(name, nodes, net_subnet, repl_subnet, fence_port, disks, with_dc, image):
    """The lab description written to lab/state/<name>/lab.json."""
    nets = network_names(name)
    node_list = []
    for i in range(1, nodes + 1):
        node_list.append({
            "name": "node%d" % i,
            "fqdn": "node%d.%s" % (i, DNS_DOMAIN),
            "container": "%s-node%d" % (name, i),
            "ip": host_ip(net_subnet, NODE_HOST_BASE + i),
            "repl_ip": host_ip(repl_subnet, NODE_HOST_BASE + i),
        })
    state = {
        "version": STATE_VERSION,
        "name": name,
        "image": image,
        "networks": {
            "net": {"name": nets["net"], "subnet": str(net_subnet),
                    "gateway": host_ip(net_subnet, 1), "prefix": net_subnet.prefixlen},
            "repl": {"name": nets["repl"], "subnet": str(repl_subnet),
                     "gateway": host_ip(repl_subnet, 1), "prefix": repl_subnet.prefixlen},
        },
        "nodes": node_list,
        "vip_pool": [host_ip(net_subnet, h) for h in VIP_HOSTS],
        "repl_vip_pool": [host_ip(repl_subnet, h) for h in VIP_HOSTS],
        "fence": {
            "agent": "fence_podman_lab",
            "agent_path": FENCE_AGENT_PATH,
            "ip": host_ip(net_subnet, 1),
            "port": fence_port,
            "pid": None,
            "host_map": {n["name"]: n["container"] for n in node_list},
            "pcmk_host_map": ";".join("%s:%s" % (n["name"], n["container"]) for n in node_list),
            "container_prefix": "%s-node" % name,
        },
        "shared_disks": [
            {"path": "%s%d" % (SHARED_DISK_PREFIX, d + 1),
             "backing_file": "disks/disk%d.img" % (d + 1),
             "size_mib": size, "loop": None}
            for d, size in enumerate(disks)
        ],
        "dc": None,
        # Ansible reaches the nodes over ssh with this key (pipelined, a module
        # run is about a third of one over `podman exec`); `podman exec` still
        # works for everything else
        "ssh": {"user": "root", "private_key": "ssh/id_ed25519", "config": "ssh/config"},
    }
    if with_dc:
        state["dc"] = {
            "container": "%s-dc" % name,
            "hostname": DC_HOSTNAME,
            "fqdn": "%s.%s" % (DC_HOSTNAME, DNS_DOMAIN),
            "ip": host_ip(net_subnet, DC_HOST),
            "realm": REALM,
            "domain": DOMAIN,
            "dns_domain": DNS_DOMAIN,
            "admin_user": "Administrator",
            "admin_password_file": "dc-admin-password",
        }
    return state


def hosts_file(state, own=None):
    """/etc/hosts for a lab container: every FQDN first (a domain join needs it)."""
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    if state.get("dc"):
        dc = state["dc"]
        lines.append("%s\t%s %s" % (dc["ip"], dc["fqdn"], dc["hostname"]))
    for node in state["nodes"]:
        lines.append("%s\t%s %s" % (node["ip"], node["fqdn"], node["name"]))
    for node in state["nodes"]:
        lines.append("%s\t%s-repl.%s %s-repl" % (node["repl_ip"], node["name"], DNS_DOMAIN, node["name"]))
    del own
    return "\n".join(lines) + "\n"


def find_node(state, node):
    """Accept node1 or the container name; return the node entry."""
    for entry in state["nodes"]:
        if node in (entry["name"], entry["container"]):
            return entry
    if state.get("dc") and node in ("dc", state["dc"]["hostname"], state["dc"]["container"]):
        return {"name": state["dc"]["hostname"], "container": state["dc"]["container"],
                "ip": state["dc"]["ip"], "repl_ip": None}
    raise LabError("lab %s has no node %r (nodes: %s)" % (
        state["name"], node, ", ".join(n["name"] for n in state["nodes"])))


def lab_mac(ip):
    """The MAC of a lab interface, from its address (locally administered, 02:68 then the four octets).

    podman gives a container new random MACs each time it starts, so a node
    powered on by a fence came back with new ones while its peers, the client
    and the host still held the old ones (a host does not announce its own
    address at boot): the controller's ssh to a node fenced a minute earlier
    timed out (its ARP entry STALE, then DELAY and PROBE to the dead MAC) and
    a drill failed with the node unreachable. A machine keeps its MAC across a
    power cycle; so does a lab node now.
    """
    return "02:68:" + ":".join("%02x" % int(octet) for octet in str(ip).split("."))


def _network_arg(net_name, ip, interface):
    """One --network of `podman run`: the address, its fixed MAC and the interface's name.

    Without interface_name podman names the interfaces in no fixed order when
    a container starts again: a node powered on by a fence had eth0 on the
    replication network and eth1 on the client network, and the VIPs
    (IPaddr2, nic eth0) went onto the replication network, from where their
    gratuitous ARPs never reached the clients (their ARP entries kept the
    dead node's MAC: 25 s outages in two kills of five, 2026-12-06).
    """
    return "%s:ip=%s,mac=%s,interface_name=%s" % (net_name, ip, lab_mac(ip), interface)


def node_run_args(state, node, image, state_dir):
    """argv of `podman run` for one node."""
    nets = state["networks"]
    args = ["run", "-d", "--name", node["container"], "--hostname", node["name"],
            "--systemd=always", "--label", "hsc.lab=%s" % state["name"],
            "--network", _network_arg(nets["net"]["name"], node["ip"], CLIENT_INTERFACE),
            "--network", _network_arg(nets["repl"]["name"], node["repl_ip"], REPLICATION_INTERFACE),
            "--cap-add", ",".join(NODE_CAPS), "--tmpfs", SHM_MOUNT,
            "--no-hosts", "-v", "%s:/etc/hosts" % os.path.join(state_dir, "hosts", node["name"])]
    if state.get("ssh"):
        args += ["-v", "%s:/root/.ssh/authorized_keys:ro" % os.path.join(
            state_dir, state["ssh"]["private_key"] + ".pub")]
    if state.get("dc"):
        args += ["--dns", state["dc"]["ip"], "--dns-search", DNS_DOMAIN]
    for disk in state["shared_disks"]:
        args += ["--device", "%s:%s:rwm" % (disk["loop"], disk["path"])]
    return args + [image]


def dc_run_args(state, image, state_dir):
    dc = state["dc"]
    return ["run", "-d", "--name", dc["container"], "--hostname", dc["hostname"],
            "--systemd=always", "--label", "hsc.lab=%s" % state["name"],
            "--network", _network_arg(state["networks"]["net"]["name"], dc["ip"], CLIENT_INTERFACE),
            "--cap-add", ",".join(DC_CAPS), "--tmpfs", SHM_MOUNT,
            "--dns", dc["ip"], "--dns-search", DNS_DOMAIN,
            "--no-hosts", "-v", "%s:/etc/hosts" % os.path.join(state_dir, "hosts", "dc"),
            image]


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="labctl", description="hastorage.cluster lab: Pacemaker nodes in podman containers")
    parser.add_argument("--name", default=os.environ.get("HSC_LAB_NAME", DEFAULT_NAME),
                        help="lab name, prefix of everything the lab creates (default %(default)s)")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="create (or restart) the lab")
    up.add_argument("--nodes", type=int, default=DEFAULT_NODES, help="number of nodes (default 3)")
    up.add_argument("--no-dc", action="store_true", help="no Samba AD DC container")
    up.add_argument("--disks", type=int, default=DEFAULT_DISKS,
                    help="shared loop-device disks passed to every node (default 2)")
    up.add_argument("--disk-size", type=int, default=DEFAULT_DISK_SIZE_MIB,
                    help="size of each shared disk in MiB, sparse (default 1024)")
    sub.add_parser("down", help="remove everything the lab created")
    sub.add_parser("status", help="nodes, addresses, container state, pcs status")
    sub.add_parser("image", help="build or load the node image (cached)")
    sub.add_parser("state", help="print lab.json")
    for cmd, text in (("kill", "crash a node (podman kill)"),
                      ("freeze", "freeze a node (podman pause)"),
                      ("thaw", "unfreeze a node (podman unpause)"),
                      ("partition", "cut a node's links on both lab networks"),
                      ("heal", "restore a node's links"),
                      ("shutdown", "power a node off cleanly (its systemd stops Pacemaker first: "
                                   "the node leaves the cluster and is not fenced)"),
                      ("start", "power a node on (what the fence agent's on does) and wait for its sshd")):
        p = sub.add_parser(cmd, help=text)
        p.add_argument("node", help="node1..N (or the container name)")
    for name in ("--name",):
        for p in sub.choices.values():
            p.add_argument(name, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    validate_name(args.name)
    if args.command == "up":
        if not 1 <= args.nodes <= 16:
            parser.error("--nodes must be between 1 and 16")
        if not 0 <= args.disks <= 8:
            parser.error("--disks must be between 0 and 8")
        if args.disk_size < 16:
            parser.error("--disk-size must be at least 16 (MiB)")
    return args


# --------------------------------------------------------------------------
# Side effects
# --------------------------------------------------------------------------

def log(msg):
    print("labctl: %s" % msg, file=sys.stderr, flush=True)


def podman_env():
    env = dict(os.environ)
    env["CONTAINERS_CONF"] = CONTAINERS_CONF
    env["LC_ALL"] = "C"
    return env


def run(argv, check=True, capture=True, input_text=None, timeout=None, env=None):
    proc = subprocess.run(argv, input=input_text, capture_output=capture, text=True,
                          env=env or podman_env(), timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise LabError("command failed (rc=%d): %s\n%s" % (
            proc.returncode, " ".join(argv), (proc.stderr or proc.stdout or "").strip()))
    return proc


def podman(*args, **kwargs):
    return run(["podman"] + list(args), **kwargs)


@contextlib.contextmanager
def host_lock(tag):
    """Serialise host-wide allocations (subnets, ports, image) between labs."""
    path = os.path.join(LOCK_DIR, "hsc-lab-%s.lock" % tag)
    with open(path, "a", encoding="utf-8") as fd:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


def state_dir(name):
    return os.path.join(STATE_ROOT, name)


def state_path(name):
    return os.path.join(state_dir(name), "lab.json")


LAB_TOOLS = {"podman": "lab/labctl", "uml": "lab/umlctl"}


def load_state(name, required=True, kind="podman"):
    """The lab's state; refuses the state of a lab of another kind (lab/umlctl shares the layout)."""
    try:
        with open(state_path(name), encoding="utf-8") as fd:
            state = json.load(fd)
    except FileNotFoundError:
        if required:
            raise LabError("lab %s is not up (no %s)" % (name, state_path(name))) from None
        return None
    refuse_other_kind(name, state, kind)
    return state


def refuse_other_kind(name, state, kind="podman"):
    """A state directory of a lab of another kind is not this tool's to use or remove."""
    other = state.get("kind", "podman") if isinstance(state, dict) else kind
    if other != kind:
        raise LabError("lab/state/%s belongs to a %s lab, not a %s lab: use %s"
                       % (name, other, kind, LAB_TOOLS.get(other, "the tool that made it")))


def save_state(state):
    path = state_path(state["name"])
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fd:
        json.dump(state, fd, indent=2, sort_keys=True)
        fd.write("\n")
    os.replace(tmp, path)


def container_state(cname):
    proc = podman("container", "inspect", "--format", "{{.State.Status}}", cname, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else "absent"


def object_exists(kind, oname):
    return podman(kind, "exists", oname, check=False).returncode == 0


def used_subnets():
    used = []
    proc = podman("network", "ls", "--format", "{{.Name}}", check=False)
    names = proc.stdout.split()
    if names:
        proc = podman("network", "inspect", *names, check=False)
        try:
            for net in json.loads(proc.stdout or "[]"):
                for sub in net.get("subnets") or []:
                    used.append(ipaddress.ip_network(sub["subnet"], strict=False))
        except ValueError:
            pass
    proc = run(["ip", "-j", "-4", "route", "show", "table", "all"], check=False)
    try:
        for route in json.loads(proc.stdout or "[]"):
            dst = route.get("dst", "")
            if dst[:1].isdigit():
                try:
                    net = ipaddress.ip_network(dst, strict=False)
                except ValueError:
                    continue
                if net.prefixlen >= 8:
                    used.append(net)
    except ValueError:
        pass
    return used


def port_free(ip, port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((ip, port))
        except OSError:
            return False
    return True


def wait_for(what, check, timeout, interval=0.5):
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return
        if time.monotonic() > deadline:
            raise LabError("timed out after %ds waiting for %s" % (timeout, what))
        time.sleep(interval)


def tcp_open(ip, port, timeout=1.0):
    try:
        with socket.create_connection((ip, port), timeout=timeout):
            return True
    except OSError:
        return False


# ----- image -----

def ensure_image():
    with open(PACKAGES_FILE, encoding="utf-8") as fd:
        text = fd.read()
    packages = parse_packages(text)
    tag = "%s:%s" % (IMAGE_REPO, image_key(text))
    tarball = os.path.join(CACHE_DIR, "hsc-lab-node-%s.tar" % image_key(text))
    with host_lock("image"):
        if object_exists("image", tag):
            return tag
        os.makedirs(CACHE_DIR, exist_ok=True)
        if os.path.exists(tarball):
            log("loading cached image %s" % tarball)
            podman("load", "-q", "-i", tarball, timeout=900)
            if object_exists("image", tag):
                return tag
            log("cached tarball did not provide %s: rebuilding" % tag)
        build_image(packages, tag, tarball)
    return tag


def build_image(packages, tag, tarball):
    start = time.monotonic()
    rootfs = tempfile.mkdtemp(prefix="rootfs-", dir=CACHE_DIR)
    try:
        log("debootstrap %s (%d packages) into %s: several minutes" % (DEBIAN_SUITE, len(packages), rootfs))
        run(["debootstrap", "--variant=minbase", "--include=" + ",".join(packages),
             DEBIAN_SUITE, rootfs, DEBIAN_MIRROR], capture=False, timeout=3600)
        prepare_rootfs(rootfs)
        log("podman import -> %s" % tag)
        tar = subprocess.Popen(["tar", "-C", rootfs, "--numeric-owner", "--xattrs",
                                "--xattrs-include=*", "-c", "."], stdout=subprocess.PIPE)
        imp = subprocess.run(["podman", "import", "--change", 'CMD ["/sbin/init"]',
                              "--change", "STOPSIGNAL SIGRTMIN+3", "-", tag],
                             stdin=tar.stdout, capture_output=True, text=True,
                             env=podman_env(), check=False)
        tar.stdout.close()
        if tar.wait() != 0 or imp.returncode != 0:
            raise LabError("podman import failed: %s" % imp.stderr.strip())
        log("podman save -> %s" % tarball)
        podman("save", "-q", "-o", tarball + ".tmp", tag, timeout=900)
        os.replace(tarball + ".tmp", tarball)
        log("image %s built in %.0f s" % (tag, time.monotonic() - start))
    finally:
        shutil.rmtree(rootfs, ignore_errors=True)


def prepare_rootfs(rootfs):
    """Make a debootstrapped tree a neutral container image."""
    def path(rel):
        return os.path.join(rootfs, rel)
    with open(path("etc/machine-id"), "w", encoding="utf-8"):
        pass
    for rel in ("var/lib/dbus/machine-id", "etc/corosync/corosync.conf"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path(rel))
    # sshd: root logs in with the lab's key (bind-mounted as authorized_keys)
    os.makedirs(path("root/.ssh"), mode=0o700, exist_ok=True)
    os.chmod(path("root/.ssh"), 0o700)
    # Services a cluster manages (or the lab provisions) must not start at boot.
    wants = path("etc/systemd/system/multi-user.target.wants")
    for unit in ("smbd.service", "nmbd.service", "winbind.service", "samba-ad-dc.service",
                 "haproxy.service", "nfs-ganesha.service", "corosync.service",
                 "pacemaker.service", "nfs-ganesha-lock.service"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(wants, unit))
    for rel in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for entry in os.listdir(path(rel)):
            full = os.path.join(path(rel), entry)
            if os.path.isfile(full) and entry not in ("lock",):
                os.unlink(full)


# ----- up -----

def cmd_image(args):
    del args
    print(ensure_image())


def cmd_up(args):
    name = args.name
    existing = load_state(name, required=False)
    if existing:
        return resume(existing)
    nets = network_names(name)
    cnames = container_names(name, args.nodes, with_dc=not args.no_dc)
    taken = [c for c in cnames if object_exists("container", c)]
    taken += [n for n in nets.values() if object_exists("network", n)]
    if taken:
        raise LabError("lab %s has no state but these objects exist: %s. They are not this "
                       "lab's to remove; pick another --name or remove them yourself."
                       % (name, ", ".join(taken)))
    t_start = time.monotonic()
    image = ensure_image()
    sdir = state_dir(name)
    os.makedirs(os.path.join(sdir, "disks"), exist_ok=True)
    os.makedirs(os.path.join(sdir, "hosts"), exist_ok=True)
    os.makedirs(os.path.join(sdir, "ssh"), exist_ok=True)
    os.chmod(sdir, 0o700)
    try:
        with host_lock("subnets"):
            net_subnet, repl_subnet = pick_subnets(name, used_subnets())
            state = build_state(name, args.nodes, net_subnet, repl_subnet, None,
                                [args.disk_size] * args.disks, not args.no_dc, image)
            state["status"] = "creating"
            save_state(state)
            for key in ("net", "repl"):
                net = state["networks"][key]
                podman("network", "create", "--internal", "--label", "hsc.lab=%s" % name,
                       "--subnet", net["subnet"], "--gateway", net["gateway"], net["name"])
        attach_disks(state, sdir)
        write_hosts_files(state, sdir)
        write_ssh_files(state, sdir)
        if state["dc"]:
            write_dc_password(sdir)
            podman(*dc_run_args(state, image, sdir))
        for node in state["nodes"]:
            podman(*node_run_args(state, node, image, sdir))
        start_fence_api(state, sdir)
        save_state(state)
        for node in state["nodes"]:
            wait_systemd(node["container"])
            install_fence_agent(node["container"])
            wait_ssh(node)
        if state["dc"]:
            wait_systemd(state["dc"]["container"])
            provision_dc(state, sdir)
        state["status"] = "up"
        save_state(state)
    except BaseException:
        log("up failed; removing what was created (labctl down --name %s)" % name)
        with contextlib.suppress(Exception):
            teardown(name)
        raise
    log("lab %s up in %.0f s" % (name, time.monotonic() - t_start))
    print_status(state)
    return 0


def resume(state):
    """`up` on an existing lab: start what is stopped, restart the fencing API,
    reinstall the fence agent (so a lab picks up a fixed agent)."""
    sdir = state_dir(state["name"])
    for disk in state["shared_disks"]:
        if not loop_attached(disk["loop"], os.path.join(sdir, disk["backing_file"])):
            raise LabError("shared disk %s lost its loop device (host rebooted?): run "
                           "`labctl down --name %s` and up again" % (disk["path"], state["name"]))
    cnames = [n["container"] for n in state["nodes"]]
    if state.get("dc"):
        cnames.insert(0, state["dc"]["container"])
    for cname in cnames:
        cst = container_state(cname)
        if cst == "paused":
            podman("unpause", cname)
        elif cst != "running":
            podman("start", cname)
    if not fence_api_alive(state):
        start_fence_api(state, sdir)
        save_state(state)
    for cname in cnames:
        wait_systemd(cname)
    for node in state["nodes"]:
        install_fence_agent(node["container"])
        if state.get("ssh"):
            wait_ssh(node)
    print_status(state)
    return 0


def attach_disks(state, sdir):
    for disk in state["shared_disks"]:
        backing = os.path.join(sdir, disk["backing_file"])
        with open(backing, "wb") as fd:
            fd.truncate(disk["size_mib"] * 1024 * 1024)
        disk["loop"] = run(["losetup", "--find", "--show", backing]).stdout.strip()
        save_state(state)


def loop_attached(loop, backing):
    if not loop:
        return False
    proc = run(["losetup", "--noheadings", "--output", "NAME", "-j", backing], check=False)
    return loop in proc.stdout.split()


def write_hosts_files(state, sdir):
    names = [n["name"] for n in state["nodes"]] + (["dc"] if state["dc"] else [])
    for hname in names:
        with open(os.path.join(sdir, "hosts", hname), "w", encoding="utf-8") as fd:
            fd.write(hosts_file(state, hname))


def ssh_config(state, sdir, machines=None):
    """An ssh_config that reaches every machine (default: the nodes) by its name
    (`ssh -F lab/state/<name>/ssh/config node1`); lab/umlctl passes its DC and SAN target too."""
    lines = []
    key = os.path.join(sdir, state["ssh"]["private_key"])
    for node in state["nodes"] if machines is None else machines:
        lines += ["Host %s" % node["name"], "    HostName %s" % node["ip"],
                  "    User %s" % state["ssh"]["user"], "    IdentityFile %s" % key,
                  "    IdentitiesOnly yes", "    StrictHostKeyChecking no",
                  "    UserKnownHostsFile /dev/null", "    LogLevel ERROR", "    ConnectTimeout 5",
                  # a session to a killed node ends within 6 s instead of never
                  "    ServerAliveInterval 2", "    ServerAliveCountMax 3", ""]
    return "\n".join(lines)


def write_ssh_files(state, sdir, machines=None, tag="hsc-lab"):
    """The lab's own key pair (a new one per lab, comment TAG:<name>) and the ssh_config naming its machines."""
    key = os.path.join(sdir, state["ssh"]["private_key"])
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "%s:%s" % (tag, state["name"]), "-f", key])
    with open(os.path.join(sdir, state["ssh"]["config"]), "w", encoding="utf-8") as fd:
        fd.write(ssh_config(state, sdir, machines))


def boot_timeout(timeout=None):
    """TIMEOUT, or how long a lab machine may take to boot (HSC_LAB_BOOT_TIMEOUT, default 600 s)."""
    return timeout or int(os.environ.get("HSC_LAB_BOOT_TIMEOUT", "600"))


def wait_ssh(node, timeout=None):
    """Wait until the node's sshd accepts connections on its lab address."""
    timeout = boot_timeout(timeout)
    wait_for("sshd on %s" % node["name"], lambda: tcp_open(node["ip"], 22), timeout)


def write_dc_password(sdir):
    # upper, lower, digit and punctuation: meets the AD complexity policy
    password = "Lab-" + secrets.token_urlsafe(15).replace("-", "x").replace("_", "y") + "9a"
    path = os.path.join(sdir, "dc-admin-password")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(password + "\n")


def read_dc_password(sdir):
    with open(os.path.join(sdir, "dc-admin-password"), encoding="utf-8") as fd:
        return fd.read().strip()


def wait_systemd(cname, timeout=None):
    """Wait until systemd in CNAME finished booting. pcsd alone takes 75 s at
    load average 20 on a 2-core host, so the default is generous."""
    timeout = boot_timeout(timeout)

    def running():
        proc = podman("exec", cname, "systemctl", "is-system-running", check=False, timeout=30)
        return proc.stdout.strip() in ("running", "degraded")
    wait_for("systemd in %s" % cname, running, timeout)


def install_fence_agent(cname):
    with open(FENCE_AGENT_FILE, encoding="utf-8") as fd:
        body = "#!/usr/bin/python3 -tt\n" + fd.read()
    podman("exec", "-i", cname, "sh", "-c",
           "cat > %s.tmp && chmod 0755 %s.tmp && mv %s.tmp %s" % ((FENCE_AGENT_PATH,) * 4),
           input_text=body)


def dc_provision_script(dc):
    """The bash script that provisions the AD domain on the DC. It reads the
    Administrator password from its stdin (never a command line or the
    environment), writes samba-tool's output to /var/log/samba-provision.log,
    puts the DC's krb5.conf in place and starts samba-ad-dc (enabled, so it
    comes back after a restart of the DC)."""
    return (
        "set -e; read -r P; rm -f /etc/samba/smb.conf; "
        "samba-tool domain provision --realm=%s --domain=%s --server-role=dc "
        "--dns-backend=SAMBA_INTERNAL --host-ip=%s "
        "--adminpass=\"$P\" >/var/log/samba-provision.log 2>&1; "
        "cp /var/lib/samba/private/krb5.conf /etc/krb5.conf; "
        "systemctl disable --now smbd nmbd winbind >/dev/null 2>&1 || true; "
        "systemctl unmask samba-ad-dc; systemctl enable --now samba-ad-dc"
    ) % (dc["realm"], dc["domain"], dc["ip"])


def podman_exec(cname):
    """An executor for provision_dc/wait_dc_ready: ARGV run in container CNAME."""
    def execute(argv, input_text=None, **kwargs):
        opts = ["-i"] if input_text is not None else []
        return podman("exec", *opts, cname, *argv, input_text=input_text, **kwargs)
    return execute


def wait_dc_ready(dc, execute, timeout=180):
    """Wait until the DC answers: ports 389 and 88 from the host, the
    _ldap._tcp SRV record from its own DNS, `wbinfo -P`; then flush the
    cache (a session in the first seconds poisons the idmap cache for 120 s)."""
    srv = "_ldap._tcp.%s" % dc["dns_domain"]

    def ready():
        if not (tcp_open(dc["ip"], 389) and tcp_open(dc["ip"], 88)):
            return False
        chk = execute(["host", "-t", "SRV", srv, dc["ip"]], check=False, timeout=30)
        if chk.returncode != 0:
            return False
        return execute(["wbinfo", "-P"], check=False, timeout=30).returncode == 0
    wait_for("the AD DC (SRV record, ports 389/88, wbinfo -P)", ready, timeout, interval=1)
    execute(["net", "cache", "flush"], check=False, timeout=60)


def provision_dc(state, sdir, execute=None, ready_timeout=180):
    """Provision the lab's AD domain on its DC and wait until it answers.
    EXECUTE(argv, input_text=None, check=..., timeout=...) runs a command on
    the DC (default: podman exec in the DC container; umlctl passes ssh)."""
    dc = state["dc"]
    where = dc.get("container") or dc["hostname"]
    execute = execute or podman_exec(dc["container"])
    t0 = time.monotonic()
    proc = execute(["bash", "-c", dc_provision_script(dc)],
                   input_text=read_dc_password(sdir) + "\n", check=False, timeout=600)
    if proc.returncode != 0:
        tail = execute(["tail", "-n", "20", "/var/log/samba-provision.log"], check=False, timeout=60)
        raise LabError("AD DC provisioning failed in %s:\n%s\n%s" % (
            where, proc.stderr.strip(), tail.stdout))
    t_provisioned = time.monotonic()
    wait_dc_ready(dc, execute, ready_timeout)
    log("AD DC %s ready (realm %s) in %.0f s (provisioning %.0f s, then answering %.0f s)" % (
        dc["fqdn"], dc["realm"], time.monotonic() - t0, t_provisioned - t0,
        time.monotonic() - t_provisioned))
    return time.monotonic() - t0


# ----- fencing API (podman system service on the bridge address) -----

def start_fence_api(state, sdir):
    fence = state["fence"]
    gw = fence["ip"]
    wait_for("bridge address %s" % gw, lambda: address_on_host(gw), 60)
    logf = open(os.path.join(sdir, "podman-api.log"), "ab")  # pylint: disable=consider-using-with
    with host_lock("ports"):
        candidates = [fence["port"]] if fence.get("port") else fence_port_candidates(state["name"])
        port = next((p for p in candidates if port_free(gw, p)), None)
        if port is None:
            raise LabError("no free port for the fencing API on %s" % gw)
        proc = subprocess.Popen(  # pylint: disable=consider-using-with
            ["podman", "system", "service", "--time=0", "tcp:%s:%d" % (gw, port)],
            stdin=subprocess.DEVNULL, stdout=logf, stderr=logf, env=podman_env(),
            start_new_session=True)
        fence["port"] = port
        fence["pid"] = proc.pid
        fence["cmdline"] = "tcp:%s:%d" % (gw, port)
        save_state(state)
        wait_for("podman API on %s:%d" % (gw, port), lambda: tcp_open(gw, port), 30)
    logf.close()


def address_on_host(ip):
    proc = run(["ip", "-j", "-4", "addr", "show"], check=False)
    try:
        for link in json.loads(proc.stdout or "[]"):
            for addr in link.get("addr_info", []):
                if addr.get("local") == ip:
                    return True
    except ValueError:
        return False
    return False


def fence_api_pid(state):
    """pid of this lab's API process if it is still that process, else None."""
    fence = state.get("fence") or {}
    pid = fence.get("pid")
    if not pid:
        return None
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as fd:
            argv = fd.read().split(b"\0")
    except OSError:
        return None
    want = (fence.get("cmdline") or "").encode()
    if b"system" in argv and b"service" in argv and want in argv:
        return pid
    return None


def fence_api_alive(state):
    return fence_api_pid(state) is not None and tcp_open(state["fence"]["ip"], state["fence"]["port"])


# ----- down -----

def cmd_down(args):
    t0 = time.monotonic()
    removed = teardown(args.name)
    log("lab %s down in %.0f s (%s)" % (args.name, time.monotonic() - t0,
                                        ", ".join(removed) if removed else "nothing to remove"))
    return 0


def teardown(name):
    """Remove exactly what `up` creates for NAME; return what was removed."""
    removed = []
    state = None
    # a UML lab's state is refused before anything is removed (the suppress
    # below is for a broken state file of a podman lab only)
    with contextlib.suppress(FileNotFoundError, ValueError):
        with open(state_path(name), encoding="utf-8") as fd:
            refuse_other_kind(name, json.load(fd))
    with contextlib.suppress(Exception):
        state = load_state(name, required=False)
    if state:
        pid = fence_api_pid(state)
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            for _attempt in range(50):
                if fence_api_pid(state) is None:
                    break
                time.sleep(0.1)
            if fence_api_pid(state):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            removed.append("podman API pid %d" % pid)
    nodes = len(state["nodes"]) if state else 0
    cnames = container_names(name, nodes, with_dc=True)
    # A state-less (broken) lab: find its nodes by exact name, node1 upwards.
    if not state:
        i = 1
        while object_exists("container", "%s-node%d" % (name, i)):
            cnames.append("%s-node%d" % (name, i))
            i += 1
    present = [c for c in cnames if object_exists("container", c)]
    if present:
        podman("rm", "-f", "-t", "0", *present, timeout=300)
        removed += present
    for net in network_names(name).values():
        if object_exists("network", net):
            podman("network", "rm", "-f", net)
            removed.append(net)
    sdir = state_dir(name)
    disk_dir = os.path.join(sdir, "disks")
    if os.path.isdir(disk_dir):
        for entry in sorted(os.listdir(disk_dir)):
            backing = os.path.join(disk_dir, entry)
            proc = run(["losetup", "--noheadings", "--output", "NAME", "-j", backing], check=False)
            for loop in proc.stdout.split():
                run(["losetup", "-d", loop], check=False)
                removed.append(loop)
    if os.path.isdir(sdir):
        shutil.rmtree(sdir)
        removed.append(sdir)
    return removed


# ----- status and drills -----

def cmd_status(args):
    return print_status(load_state(args.name))


def print_status(state):
    print("lab %s (%s)" % (state["name"], state.get("status", "?")))
    for key in ("net", "repl"):
        net = state["networks"][key]
        print("  network %-18s %s gateway %s" % (net["name"], net["subnet"], net["gateway"]))
    print("  fencing API      %s:%s (pid %s, %s)" % (
        state["fence"]["ip"], state["fence"]["port"], state["fence"]["pid"],
        "alive" if fence_api_alive(state) else "NOT RUNNING"))
    for disk in state["shared_disks"]:
        print("  shared disk      %s <- %s" % (disk["path"], disk["loop"]))
    print("  VIP pool         %s .. %s" % (state["vip_pool"][0], state["vip_pool"][-1]))
    if state.get("ssh"):
        print("  ssh              ssh -F %s node1" % os.path.join(state_dir(state["name"]), state["ssh"]["config"]))
    rows = [(n["name"], n["container"], n["ip"], n["repl_ip"]) for n in state["nodes"]]
    if state.get("dc"):
        dc = state["dc"]
        rows.append((dc["fqdn"], dc["container"], dc["ip"], "-"))
    print("  %-16s %-24s %-15s %-15s %s" % ("NODE", "CONTAINER", "NET", "REPL", "STATE"))
    running = None
    for row in rows:
        cst = container_state(row[1])
        if running is None and cst == "running" and row[1].rsplit("-", 1)[-1].startswith("node"):
            running = row[1]
        print("  %-16s %-24s %-15s %-15s %s" % (row + (cst,)))
    if running:
        if podman("exec", running, "test", "-e", "/etc/corosync/corosync.conf", check=False).returncode == 0:
            proc = podman("exec", running, "pcs", "status", check=False, timeout=120)
            print("\npcs status (from %s):\n%s" % (running, proc.stdout or proc.stderr))
        else:
            print("\nno cluster configured yet")
    return 0


def netns_pid(cname):
    proc = podman("container", "inspect", "--format", "{{.State.Pid}}", cname)
    pid = int(proc.stdout.strip() or 0)
    if pid <= 0:
        raise LabError("%s is not running" % cname)
    return pid


def lab_interfaces(state, node):
    """Names of the node's interfaces that carry its lab addresses."""
    pid = netns_pid(node["container"])
    proc = run(["nsenter", "-t", str(pid), "-n", "ip", "-j", "addr", "show"])
    wanted = {node["ip"], node.get("repl_ip")}
    ifaces = []
    for link in json.loads(proc.stdout or "[]"):
        if any(a.get("local") in wanted for a in link.get("addr_info", [])):
            ifaces.append(link["ifname"])
    if not ifaces:
        raise LabError("no lab interface found in %s" % node["container"])
    del state
    return pid, ifaces


# seconds `labctl shutdown` gives a node's systemd before podman kills it
SHUTDOWN_TIMEOUT = 180


def cmd_drill(args):
    state = load_state(args.name)
    node = find_node(state, args.node)
    cname = node["container"]
    if args.command == "kill":
        podman("kill", "--signal", "KILL", cname)
    elif args.command == "freeze":
        podman("pause", cname)
    elif args.command == "thaw":
        podman("unpause", cname)
    elif args.command == "shutdown":
        # systemd's own stop signal (--systemd=always), and time for Pacemaker
        # to move the node's resources away before it leaves the cluster
        podman("stop", "--time", str(SHUTDOWN_TIMEOUT), cname)
    elif args.command == "start":
        if container_state(cname) != "running":
            podman("start", cname)
        wait_ssh(node)
    elif args.command == "heal" and container_state(cname) != "running":
        # fenced (powered off) while cut off, or never started: a node that starts gets a new
        # network namespace with its links up, so there is nothing to heal
        log("%s is %s: nothing to heal (its links come up when it starts)" % (cname, container_state(cname)))
        return 0
    else:
        pid, ifaces = lab_interfaces(state, node)
        updown = "down" if args.command == "partition" else "up"
        for ifname in ifaces:
            run(["nsenter", "-t", str(pid), "-n", "ip", "link", "set", "dev", ifname, updown])
        log("%s: links %s %s" % (cname, ", ".join(ifaces), updown))
    log("%s %s" % (args.command, cname))
    return 0


def cmd_state(args):
    print(json.dumps(load_state(args.name), indent=2, sort_keys=True))
    return 0


COMMANDS = {
    "up": cmd_up, "down": cmd_down, "status": cmd_status, "image": cmd_image,
    "state": cmd_state, "kill": cmd_drill, "freeze": cmd_drill, "thaw": cmd_drill,
    "partition": cmd_drill, "heal": cmd_drill, "shutdown": cmd_drill, "start": cmd_drill,
}


def main(argv=None):
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
        if args.command not in ("state",) and os.geteuid() != 0:
            raise LabError("labctl needs root (losetup, podman networks)")
        return COMMANDS[args.command](args) or 0
    except LabError as exc:
        log("error: %s" % exc)
        return 1
    except KeyboardInterrupt:
        return 130
