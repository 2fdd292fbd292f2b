#!/usr/bin/env bash
# The published cluster report end to end, offline (no cluster):
# 1. a CIB with every stack kind, built with the real pcs -f and brought to
#    life with crm_simulate (three nodes up);
# 2. playbooks/status.yml on an inventory whose first host does not answer
#    (ssh to a closed port) and a second cluster none of whose hosts answers:
#    the cluster is read on the first host that answers, the dead cluster is
#    named, and the report is written as JSON and as one HTML page;
# 3. playbooks/switchover.yml on the same inventory: read on the host that
#    answers, refuses a move to a node that is not in the cluster;
# 4. the page in a real headless browser (check_page.py): DOM, computed
#    styles, layout width and a screenshot.
set -euo pipefail
export LC_ALL=C.UTF-8 ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_NOCOLOR=1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
here=$(pwd)

(
    cd "$work"
    cibadmin --empty > cib.xml
    pcs -f cib.xml property set stonith-enabled=true
    CIB_file=cib.xml crm_attribute --type crm_config --name cluster-name --update hsc-report
    pcs -f cib.xml stonith create fence_all fence_dummy pcmk_host_list="node1 node2 node3"
    pcs -f cib.xml resource create fs_g1 ocf:heartbeat:Dummy --group g_g1
    pcs -f cib.xml resource create vip_g1 ocf:heartbeat:IPaddr2 ip=192.0.2.11 cidr_netmask=24 --group g_g1
    pcs -f cib.xml constraint location g_g1 prefers node1=50
    pcs -f cib.xml resource create fs_g2 ocf:heartbeat:Dummy --group g_g2
    pcs -f cib.xml resource create vip_g2 ocf:heartbeat:IPaddr2 ip=192.0.2.12 cidr_netmask=24 --group g_g2 --disabled
    pcs -f cib.xml resource create haproxy_api ocf:heartbeat:Dummy --group g_api
    pcs -f cib.xml resource clone g_api interleave=true
    pcs -f cib.xml resource create mgmt_vip ocf:heartbeat:IPaddr2 ip=192.0.2.20 cidr_netmask=24
    crm_simulate -x cib.xml -q true -u node1 -u node2 -u node3 -S -O up.xml > /dev/null
) > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

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
print("report.json: ok")
CHECK

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

"$python" "$here/check_page.py" "$work/report.html" "$work"
