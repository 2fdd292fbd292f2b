#!/usr/bin/env bash
# The integrated design offline, on two inventory hosts that are both this
# machine:
# 1. every class of bad input of issue 12 is refused by the role's
#    validate.yml with the field named (the first thing a deploy runs);
# 2. the example inventory passes ansible-inventory --list and the checks;
# 3. the CIB flow of a deploy converges a CIB file in ONE pcs_cib push (epoch
#    +1, the pacemaker and drbd roles' own pushes skipped, IPMI passwords not
#    in the output), and a second run changes nothing;
# 4. crm_simulate: DRBD is promoted before the base stack, each group starts
#    after it, bottom-up with its VIP last, all on the Promoted node; a
#    failed node, a dead client link or a move of the base stack takes
#    everything to the other node.
set -euo pipefail
export LC_ALL=C.UTF-8 ANSIBLE_NOCOLOR=1 ANSIBLE_HOST_KEY_CHECKING=False

work=$(mktemp -d)
loop=""
cleanup() {
    if [[ -n $loop ]]; then losetup --detach "$loop" || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
python=$(command -v python3)
# hsc_one_push_check: the one-push and idempotence checks every design target shares
# shellcheck source=../setup_cib_one_push/one_push.sh
source ../setup_cib_one_push/one_push.sh
inv=(-i inventory.yml -e "ansible_python_interpreter=$python")

# --- 1. refusals -----------------------------------------------------------
refuse() {  # refuse NAME EXPECTED-TEXT [ansible-playbook args...]
    local name=$1 expect=$2
    shift 2
    hsc_refuse "$work" validate.yml "$name" "$expect" "${inv[@]}" "$@"
}

refuse "replication address not on the replication network" \
    "drbd_replication_address of nas2 10.78.0.12 is not on 10.77.0.0/24" \
    -e '{"drbd_replication_address": "{{ bad_replication_address }}"}'
refuse "a replication address written with a prefix length (the role adds the network's)" \
    "drbd_replication_address of nas2 must be an IP address, got '10.77.0.12/24'" \
    -e '{"drbd_replication_address": "{{ good_replication_address ~ (\"/24\" if inventory_hostname == \"nas2\" else \"\") }}"}'
refuse "the VIP not on the client network" \
    "nas_integrated_groups[proj].vip.address 198.51.100.102 is not on 192.0.2.0/24" \
    -e '{"hsc_vip": {"address": "198.51.100.102", "cidr_netmask": 24}}' \
    -e '{"nas_integrated_groups": [{"name": "home", "volume": "lv_home", "mountpoint": "/srv/home", "vip": {"address": "192.0.2.101", "cidr_netmask": 24}}, {"name": "proj", "volume": "lv_proj", "mountpoint": "/srv/proj", "vip": "{{ hsc_vip }}"}]}'
refuse "a sharing group on a volume that does not exist" \
    "nas_integrated_groups[proj].volume lv_data is not declared in nas_integrated_volumes (declared: lv_home, lv_proj)" \
    -e '{"nas_integrated_groups": [{"name": "home", "volume": "lv_home", "mountpoint": "/srv/home", "vip": {"address": "192.0.2.101", "cidr_netmask": 24}}, {"name": "proj", "volume": "lv_data", "mountpoint": "/srv/proj", "vip": {"address": "192.0.2.102", "cidr_netmask": 24}}]}'
refuse "a filesystem larger than the volume group" \
    "nas_integrated_volumes[lv_home].size (20.0 GiB) is larger than the volume group vg_nas (15.0 GiB, from nas_integrated_vg_size 15g)" \
    -e nas_integrated_vg_size=15g
refuse "the volumes together larger than the volume group" \
    "nas_integrated_volumes: the logical volumes need 30.2 GiB in total (lv_home 20.0 GiB, lv_proj 10.0 GiB, nfsstate 256.0 MiB), more than the volume group vg_nas holds (25.0 GiB" \
    -e nas_integrated_vg_size=25g
refuse "a RAID member that is the DRBD backing disk" \
    "nas_integrated_raid of nas2.members lists /dev/md0, the array DRBD sits on: the DRBD disk must be the md device, not one of its members" \
    -e '{"nas_integrated_raid": "{{ bad_raid }}"}'
refuse "a RAID member listed twice" \
    "nas_integrated_raid of nas1.members lists /dev/hsc-test-sdb, which is already listed as /dev/hsc-test-sdb (members)" \
    -e '{"nas_integrated_raid": {"type": "md", "device": "/dev/md0", "level": 1, "members": ["/dev/hsc-test-sdb", "/dev/hsc-test-sdb"]}}'
# one node's bad input (the pacemaker role's own check, per host) stops
# both before the first change (the local RAID)
hsc_stops_every_host "$work" nas_integrated nas_integrated nas2 ' : Build or adopt the local RAID]' \
    'pacemaker_node_addresses must be IP addresses, link 0 first' "${inv[@]}" \
    -e '{"pacemaker_node_addresses": "{{ [\"192.0.2.300\"] if inventory_hostname == \"nas2\" else [\"192.0.2.30\"] }}"}'
# with the facts of a real deploy: DRBD finds its section by uname -n, and
# the inventory's node names are not this machine's (checked before any change)
hsc_stops_every_host "$work" nas_integrated nas_integrated nas1 ' : Build or adopt the local RAID]' \
    "nas1: drbd_node_name is nas1 but this host's uname -n is $(uname -n)" "${inv[@]}" -e hsc_gather=true \
    -e drbd_replication_configure_interface=false
refuse "three nodes" "nas_integrated: the design needs exactly two nodes in the play (the inventory group nas_integrated), got 3: nas1, nas2, nas3" \
    -e hsc_hosts=three
refuse "two groups with one name" "nas_integrated_groups: two groups are named home" \
    -e '{"nas_integrated_groups": [{"name": "home", "volume": "lv_home", "mountpoint": "/srv/home", "vip": {"address": "192.0.2.101", "cidr_netmask": 24}}, {"name": "home", "volume": "lv_proj", "mountpoint": "/srv/proj", "vip": {"address": "192.0.2.102", "cidr_netmask": 24}}]}'
refuse "an NFS export outside its group's mountpoint" \
    "nas_integrated_groups[home].nfs_exports[101].path /srv/proj/x is not inside the group's mountpoint /srv/home" \
    -e '{"nas_integrated_groups": [{"name": "home", "volume": "lv_home", "mountpoint": "/srv/home", "vip": {"address": "192.0.2.101", "cidr_netmask": 24}, "nfs_exports": [{"id": 101, "path": "/srv/proj/x", "clients": [{"network": "192.0.2.0/24"}]}]}]}'
refuse "nodes given different designs" "nas_integrated: the nodes ['nas1', 'nas2'] see different design settings" \
    -e '{"nas_integrated_vg_name": "{{ \"vg_a\" if inventory_hostname == \"nas1\" else \"vg_b\" }}"}'
# the size of an existing backing device is read (lsblk) and counts: a
# 1 GiB loop device cannot hold 30 GiB of volumes
truncate -s 1G "$work/backing.img"
loop=$(losetup --find --show "$work/backing.img")
refuse "volumes larger than the existing backing device" \
    "nas_integrated_volumes[lv_home].size (20.0 GiB) is larger than the volume group vg_nas (1020.0 MiB, from the DRBD device on nas1's 1.0 GiB backing device)" \
    -e "{\"nas_integrated_raid\": {\"type\": \"none\", \"device\": \"$loop\"}}"
echo "nas_integrated_cib: refusals done at ${SECONDS} s"

# --- 2. the example inventory ------------------------------------------------
example=$(hsc_find_example integrated)
ansible-inventory -i "$example" --list > "$work/example.json"
"$python" - "$work/example.json" <<'CHECK'
import json, sys
inv = json.load(open(sys.argv[1]))
assert inv["nas_integrated"]["hosts"] == ["nas-a", "nas-b"], inv["nas_integrated"]
hv = inv["_meta"]["hostvars"]
assert [hv[h]["nas_integrated_raid"]["type"] for h in ("nas-a", "nas-b")] == ["md", "md"]
assert len(hv["nas-a"]["nas_integrated_groups"]) == 2
CHECK
secrets='{"vault_hacluster_password": "x", "vault_ad_join_password": "x", "vault_drbd_shared_secret": "x",
          "vault_ipmi_password_nas_a": "x", "vault_ipmi_password_nas_b": "x"}'
ansible-playbook -i "$example" validate.yml -e hsc_hosts=nas_integrated -e ansible_connection=local \
    -e "ansible_python_interpreter=$python" -e "$secrets" > "$work/example.log" 2>&1 \
    || { cat "$work/example.log"; echo "the example inventory does not pass the checks" >&2; exit 1; }
grep -q 'accepted: g_nas g_home g_projects' "$work/example.log" || { cat "$work/example.log"; exit 1; }
# the role's argument spec on the example, through site.yml: a tag nothing
# carries runs only what is tagged always (facts, the argument validation);
# site.yml's other plays have no hosts in this inventory
export ANSIBLE_HOST_PATTERN_MISMATCH=ignore
site=(-i "$example" hastorage.cluster.site --tags hsc-argument-spec-only -e ansible_connection=local
      -e "ansible_python_interpreter=$python" -e "$secrets")
hsc_argument_spec_check "$work" "Validating arguments against arg spec 'main'" \
    '{"nas_integrated_raid": {"type": "zfs", "device": "/dev/sdb"}}' \
    'value of type must be one of: md, graid, none, got: zfs found in nas_integrated_raid' "${site[@]}"
echo "nas_integrated_cib: example inventory checked at ${SECONDS} s"

# --- 3. one push, idempotent ---------------------------------------------------
# the example inventory's hosts nas1 and nas2 are the cluster's node1 and node2
HSC_CIB_NODES="node1 node2" hsc_one_push_check nas_integrated_cib "$work" "nas1 nas2" ipmi-secret "${inv[@]}"

# --- 4. placement and failover in crm_simulate ---------------------------------
cd "$work"
crm_simulate -x cib.xml --quorum=true --node-up=node1 --node-up=node2 -S -O up.xml > /dev/null
# what the running agents would do: DRBD's promotion scores (node1 the better),
# the client link up on both nodes
CIB_file=up.xml crm_attribute -N node1 -n master-drbd_r0 -v 10000 -l reboot
CIB_file=up.xml crm_attribute -N node2 -n master-drbd_r0 -v 1000 -l reboot
CIB_file=up.xml crm_attribute -N node1 -n ethmonitor-eth1 -v 1 -l reboot
CIB_file=up.xml crm_attribute -N node2 -n ethmonitor-eth1 -v 1 -l reboot
crm_simulate -x up.xml -S -O running.xml > start.txt
"$python" - start.txt <<'CHECK'
import re, sys
text = open(sys.argv[1]).read()
steps = re.findall(r"Resource action: +(\S+) +(promote|start) on (node\d)",
                   text.split("Executing Cluster Transition:")[1].split("Revised Cluster Status:")[0])
order = [r for r, action, node in steps if action == "promote" or not r.startswith(("drbd_", "ethmonitor", "nas_"))]
where = set(node for r, action, node in steps if not r.startswith(("drbd_", "ethmonitor", "nas_")))
assert where == {"node1"}, steps
assert order[0] == "drbd_r0", order
assert order[1:4] == ["lvm_nas", "fs_nfsstate", "nfsserver"], order
for group, layers in (("home", ["fs_home", "exp_home_101_1", "smb_home", "vip_home"]),
                      ("proj", ["fs_proj", "smb_proj", "vip_proj"])):
    got = [r for r in order if r in layers]
    assert got == layers, (group, got)
    assert order.index(layers[0]) > order.index("nfsserver"), order
print("start order:", " ".join(order))
CHECK

crm_simulate -x running.xml -S --node-fail=node1 --quorum=true > fail.txt
"$python" - fail.txt <<'CHECK'
import re, sys
text = open(sys.argv[1]).read()
transition = text.split("Executing Cluster Transition:")[1].split("Revised Cluster Status:")[0]
steps = re.findall(r"Resource action: +(\S+) +(promote|start) on (node\d)", transition)
started = [r for r, action, node in steps if node == "node2"]
# the survivor fences node1 before it promotes DRBD
assert "Fencing node1 (reboot)" in transition, transition
assert transition.index("Fencing node1") < re.search(r"drbd_r0\S* +promote on node2", transition).start(), transition
assert started.index("drbd_r0") < started.index("lvm_nas") < started.index("fs_home") < started.index("vip_home"), started
assert started.index("fs_proj") < started.index("vip_proj"), started
print("after node1 failed, node2 ran:", " ".join(started))
CHECK

# the client link of node1 dies (ethmonitor sets its attribute to 0): the
# whole node's services move, DRBD is promoted on node2
CIB_file=running.xml crm_attribute -N node1 -n ethmonitor-eth1 -v 0 -l reboot
crm_simulate -x running.xml -S > link.txt
"$python" - link.txt <<'CHECK'
import re, sys
text = open(sys.argv[1]).read()
status = text.split("Revised Cluster Status:")[1]
for rsc in ("lvm_nas", "nfsserver", "fs_home", "vip_home", "fs_proj", "vip_proj"):
    assert re.search(r"%s\s+\(\S+\):\s+Started node2" % rsc, status), (rsc, status)
assert re.search(r"Promoted: \[ node2 \]", status), status
print("client link down on node1: everything on node2")
CHECK
# an operator moves the base stack (switchover.yml adds such a cli-prefer):
# DRBD's promotion and every group follow it
crm_simulate -x up.xml -S -O running2.xml > /dev/null
CIB_file=running2.xml cibadmin -C -o constraints -X '<rsc_location id="cli-prefer-g_nas" rsc="g_nas" node="node2" score="INFINITY"/>'
crm_simulate -x running2.xml -S > move.txt
"$python" - move.txt <<'CHECK'
import re, sys
status = open(sys.argv[1]).read().split("Revised Cluster Status:")[1]
for rsc in ("lvm_nas", "nfsserver", "fs_home", "vip_home", "fs_proj", "vip_proj"):
    assert re.search(r"%s\s+\(\S+\):\s+Started node2" % rsc, status), (rsc, status)
assert re.search(r"Promoted: \[ node2 \]", status), status
print("base stack moved to node2: DRBD and every group followed")
CHECK
echo "nas_integrated_cib: done in ${SECONDS} s"
