#!/usr/bin/env bash
# The published cluster report end to end, offline (no cluster):
# 1. a CIB with every stack kind (groups, a cloned group, a lone resource),
#    built with cibadmin and brought to life with crm_simulate (three nodes);
# 2. playbooks/status.yml on an inventory whose first host does not answer
#    (ssh to a closed port) and a second cluster none of whose hosts answers:
#    the cluster is read on the first host that answers, the dead cluster is
#    named, and the report is written as JSON and as one HTML page; then
#    again in a network namespace where this machine holds a VIP on an
#    interface of another network: the report names it as a problem;
# 3. playbooks/switchover.yml and failover_drill.yml on the same inventory:
#    read on the host that answers, refuse a move to a node that is not in
#    the cluster and a drill on a stack that serves neither SMB nor NFS;
# 4. the page in a real headless browser (check_page.py): DOM, computed
#    styles, layout width and a screenshot.
set -euo pipefail
export LC_ALL=C.UTF-8 ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_NOCOLOR=1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
here=$(pwd)

(
    cd "$work"
    # cibadmin and crm_attribute, not pcs -f (1-2 s a call on a loaded host)
    export CIB_file=cib.xml
    cibadmin --empty > cib.xml
    crm_attribute --type crm_config --name stonith-enabled --update true
    crm_attribute --type crm_config --name cluster-name --update hsc-report
    add() { cibadmin --create --scope "$1" --xml-text "$2"; }
    nv() { echo "<nvpair id=\"$1-$2\" name=\"$2\" value=\"$3\"/>"; }
    ip() { echo "<instance_attributes id=\"$1-ia\">$(nv "$1" ip "$2")$(nv "$1" cidr_netmask 24)</instance_attributes>"; }
    add resources "<primitive id=\"fence_all\" class=\"stonith\" type=\"fence_dummy\">
        <instance_attributes id=\"fence_all-ia\">$(nv fence_all pcmk_host_list 'node1 node2 node3')</instance_attributes></primitive>"
    add resources "<group id=\"g_g1\">
        <primitive id=\"fs_g1\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"/>
        <primitive id=\"vip_g1\" class=\"ocf\" provider=\"heartbeat\" type=\"IPaddr2\">$(ip vip_g1 192.0.2.11)</primitive></group>"
    add resources "<group id=\"g_g2\">
        <primitive id=\"fs_g2\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"/>
        <primitive id=\"vip_g2\" class=\"ocf\" provider=\"heartbeat\" type=\"IPaddr2\">$(ip vip_g2 192.0.2.12)
          <meta_attributes id=\"vip_g2-meta\">$(nv vip_g2 target-role Stopped)</meta_attributes></primitive></group>"
    add resources "<clone id=\"g_api-clone\"><group id=\"g_api\">
        <primitive id=\"haproxy_api\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"/></group></clone>"
    add resources "<primitive id=\"mgmt_vip\" class=\"ocf\" provider=\"heartbeat\" type=\"IPaddr2\">$(ip mgmt_vip 192.0.2.20)</primitive>"
    add constraints '<rsc_location id="location-g_g1-node1-50" rsc="g_g1" node="node1" score="50"/>'
    crm_verify --xml-file cib.xml
    unset CIB_file
    crm_simulate -x cib.xml -q true -u node1 -u node2 -u node3 -S -O up.xml > /dev/null
) > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
echo "cluster_report: CIB built in ${SECONDS} s"

python=$(command -v python3)
cat > "$work/inventory.yml" <<INVENTORY
all:
  vars:
    ansible_python_interpreter: $python
  children:
    pacemaker_cluster:
      vars:
        pacemaker_cluster_name: c1
      hosts:
        # first in the inventory and down: nothing may run on it
        down1: {ansible_connection: ssh, ansible_host: 127.0.0.1, ansible_port: 1, pacemaker_node_name: node1}
        up1: {ansible_connection: local, pacemaker_node_name: node2}
        up2: {ansible_connection: local, pacemaker_node_name: node3}
    lost_cluster:
      hosts:
        gone1: {ansible_connection: ssh, ansible_host: 127.0.0.1, ansible_port: 1, pacemaker_cluster_name: c2}
INVENTORY

rc=0
ansible-playbook -i "$work/inventory.yml" hastorage.cluster.status -e cluster_hosts=all \
    -e cluster_read_cib_file="$work/up.xml" -e status_html="$work/report.html" \
    -e status_output_file="$work/report.json" > "$work/status.log" 2>&1 || rc=$?
cat "$work/status.log"
# rc 2: gone1's cluster failed (no host of it answered); everything else ran
[[ $rc -eq 2 ]] || { echo "status.yml: expected rc 2 (cluster c2 unreadable), got $rc" >&2; exit 1; }
grep -q 'No host of cluster c2 answered' "$work/status.log"
grep -q '"read on up1"' "$work/status.log"
grep -Eq 'down1 +: ok=[0-9]+ +changed=[0-9]+ +unreachable=0 +failed=0' "$work/status.log"
"$python" - "$work/report.json" <<'CHECK'
import json
import sys

reports = json.load(open(sys.argv[1]))
assert [r["cluster"] for r in reports] == ["hsc-report"], reports
report = reports[0]
assert report["read_on"] == "up1", report["read_on"]
assert [(n["host"], n["reachable"]) for n in report["per_node"]] == [
    ("down1", False), ("up1", True), ("up2", True)], report["per_node"]
assert [(s["id"], s["kind"], s["state"]) for s in report["stacks"]] == [
    ("g_g1", "group", "started"), ("g_g2", "group", "partial"),
    ("g_api-clone", "clone", "started"), ("mgmt_vip", "primitive", "started")], report["stacks"]
g1 = report["stacks"][0]
assert g1["node"] == "node1" and g1["vips"] == ["192.0.2.11"] and g1["prefers"][0]["node"] == "node1", g1
assert report["fencing"]["devices"][0]["targets"] == ["node1", "node2", "node3"], report["fencing"]
# this machine holds none of the report's VIPs
assert [n.get("vips") for n in report["per_node"]] == [[], [], []], report["per_node"]
assert not [p for p in report["problems"] if p.startswith("VIP ")], report["problems"]
print("report.json: ok")
CHECK
echo "cluster_report: status.yml done at ${SECONDS} s"

# 2b. the same, in a network namespace where this machine (up1 and up2, as
# node2 and node3) holds g_g1's VIP on eth1, an interface on another network
# than the VIP's (eth0 carries 192.0.2.0/24), while Pacemaker runs it on node1
rc=0
unshare --net bash -c 'set -e
    ip link set lo up
    ip link add eth0 type veth peer name eth1
    ip addr add 192.0.2.5/24 dev eth0
    ip addr add 198.51.100.5/24 dev eth1
    ip addr add 192.0.2.11/24 dev eth1
    exec "$@"' placed ansible-playbook -i "$work/inventory.yml" hastorage.cluster.status -e cluster_hosts=all \
    -e cluster_read_cib_file="$work/up.xml" -e status_output_file="$work/placed.json" > "$work/placed.log" 2>&1 || rc=$?
cat "$work/placed.log"
[[ $rc -eq 2 ]] || { echo "status.yml (VIP on the wrong interface): expected rc 2 (cluster c2 unreadable), got $rc" >&2; exit 1; }
grep -q "PROBLEM: VIP vip_g1 (192.0.2.11) is on node3's eth1, but 192.0.2.0/24 is on eth0" "$work/placed.log"
"$python" - "$work/placed.json" <<'CHECK'
import json
import sys

report = json.load(open(sys.argv[1]))[0]
why = ("but 192.0.2.0/24 is on eth0 (192.0.2.5/24): its gratuitous ARPs went to another network than its clients'; "
       "Pacemaker runs it on node1: a stray address, two nodes answer ARP for it")
for node in ("node2", "node3"):
    problem = "VIP vip_g1 (192.0.2.11) is on %s's eth1, %s" % (node, why)
    entry = [n for n in report["per_node"] if n["node"] == node][0]
    assert entry["vips"] == [{"id": "vip_g1", "ip": "192.0.2.11", "interface": "eth1", "problem": problem}], entry
    assert problem in report["problems"], report["problems"]
print("placed.json: ok")
CHECK
echo "cluster_report: status.yml with a misplaced VIP done at ${SECONDS} s"

rc=0
ansible-playbook -i "$work/inventory.yml" hastorage.cluster.switchover -e cluster_hosts=pacemaker_cluster \
    -e cluster_read_cib_file="$work/up.xml" -e group=g1 -e to=node9 > "$work/switchover.log" 2>&1 || rc=$?
cat "$work/switchover.log"
[[ $rc -eq 2 ]] || { echo "switchover.yml: expected a refusal (rc 2), got $rc" >&2; exit 1; }
grep -q 'fatal: \[up1\]: FAILED!.*Refusing to move g_g1 (group, started on node1) to node9' "$work/switchover.log"
if grep -q 'crm_resource' "$work/switchover.log"; then
    echo "switchover.yml ran crm_resource after a refusal" >&2
    exit 1
fi

echo "cluster_report: switchover.yml done at ${SECONDS} s"

# the drill takes g_g1's VIP from the report, read on up1, and refuses a
# stack with neither an SMB share nor an NFS export before it starts anything
rc=0
ansible-playbook -i "$work/inventory.yml" hastorage.cluster.failover_drill -e cluster_hosts=pacemaker_cluster \
    -e cluster_read_cib_file="$work/up.xml" -e drill_group=g1 > "$work/drill.log" 2>&1 || rc=$?
cat "$work/drill.log"
[[ $rc -eq 2 ]] || { echo "failover_drill.yml: expected a refusal (rc 2), got $rc" >&2; exit 1; }
grep -q "fatal: \[down1\]: FAILED!.*(read on: up1); drill_group g1 must name a group stack.*this one: VIP '192.0.2.11'" \
    "$work/drill.log"
if grep -q 'Run the drill\|Install the drill client' "$work/drill.log"; then
    echo "failover_drill.yml went on after a refusal" >&2
    exit 1
fi
echo "cluster_report: failover_drill.yml done at ${SECONDS} s"
"$python" "$here/check_page.py" "$work/report.html" "$work"
echo "cluster_report: done in ${SECONDS} s"
