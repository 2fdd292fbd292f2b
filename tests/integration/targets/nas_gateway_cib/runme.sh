#!/usr/bin/env bash
# The gateway design offline, on three inventory heads that are all this
# machine:
# 1. every class of bad input is refused by the role's validate.yml with
#    the field named (the first thing a deploy runs); the path census check
#    (the role's census.yml, with a hand-made census instead of sysfs)
#    refuses a head that does not see a LUN or sees it on one path of two;
# 2. the example inventory passes ansible-inventory --list and the checks,
#    and the role's argument spec refuses an fstype other than xfs/ext4;
# 3. the CIB flow of a deploy converges a CIB file in ONE pcs_cib push
#    (epoch +1, the pacemaker role's own push skipped, IPMI passwords not in
#    the output), and a second run changes nothing;
# 4. crm_simulate: before the agents' attributes, and whichever head reports
#    first, each group starts on its preferred head; with
#    them each group starts on its preferred head, bottom-up, its VIP last;
#    one path of two lost moves nothing; every path of one LUN lost moves
#    that LUN's group only, and it does not come back by itself; a failed
#    head or a dead client link moves every group the head ran (never to a
#    head without paths); an NFS server restart on one head runs only that
#    head's exports again; an smbd restart restarts no group and no
#    nfs-server; on a fresh start the daemon clones start one at a time
#    on each head (winbind, smbd, nfs-server).
set -euo pipefail
export LC_ALL=C.UTF-8 ANSIBLE_NOCOLOR=1 ANSIBLE_HOST_KEY_CHECKING=False

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python=$(command -v python3)
here=$(pwd)
# hsc_one_push_check: the one-push and idempotence checks every design target shares
# shellcheck source=../setup_cib_one_push/one_push.sh
source ../setup_cib_one_push/one_push.sh
inv=(-i inventory.yml -e "ansible_python_interpreter=$python")

# --- 1. refusals -----------------------------------------------------------
refuse_in() {  # refuse_in PLAYBOOK NAME EXPECTED-TEXT [ansible-playbook args...]
    local playbook=$1 name=$2 expect=$3
    shift 3
    hsc_refuse "$work" "$playbook" "$name" "$expect" "${inv[@]}" "$@"
}
refuse() { refuse_in validate.yml "$@"; }
accept() {  # accept PLAYBOOK EXPECTED-ACCEPTED-LINE [ansible-playbook args...]
    local playbook=$1 expect=$2
    shift 2
    ansible-playbook "${inv[@]}" "$playbook" "$@" > "$work/accept.log" 2>&1 \
        || { cat "$work/accept.log"; echo "$playbook refused good input" >&2; exit 1; }
    grep -qF -- "$expect" "$work/accept.log" || { cat "$work/accept.log"; exit 1; }
}
# two groups for the refusals: home as in the inventory, proj with the
# WWID, alias, prefers, VIP and export path of the case
groups() {  # groups WWID ALIAS PREFERS VIP EXPORT-PATH
    printf '{"nas_gateway_groups": [
      {"name": "home", "wwid": "36001405a1b2c3d4e5f60718293a4b5c6", "alias": "lun_home", "mountpoint": "/srv/home",
       "prefers": "gw1", "vip": {"address": "192.0.2.101", "cidr_netmask": 24}},
      {"name": "proj", "wwid": "%s", "alias": "%s", "mountpoint": "/srv/proj", "prefers": "%s",
       "vip": {"address": "%s", "cidr_netmask": 24},
       "nfs_exports": [{"id": 102, "path": "%s", "clients": [{"network": "192.0.2.0/24"}]}]}]}' "$@"
}
wwid_a=36001405a1b2c3d4e5f60718293a4b5c6
wwid_b=36001405b1b2c3d4e5f60718293a4b5c6
# the inventory and the base of the refusals are accepted as they are
accept validate.yml 'accepted: g_home g_proj g_media'
accept validate.yml 'accepted: g_home g_proj' -e "$(groups $wwid_b lun_proj gw2 192.0.2.102 /srv/proj/build)"

refuse "a VIP not on the client network" \
    "nas_gateway_groups[proj].vip.address 198.51.100.102 is not on 192.0.2.0/24" \
    -e "$(groups $wwid_b lun_proj gw2 198.51.100.102 /srv/proj/build)"
refuse "one WWID in two groups" \
    "nas_gateway_groups[proj].wwid $wwid_a is also the LUN of group home: one sharing group per LUN" \
    -e "$(groups $wwid_a lun_proj gw2 192.0.2.102 /srv/proj/build)"
refuse "one alias in two groups" \
    "nas_gateway_groups[proj].alias lun_home is also group home's" \
    -e "$(groups $wwid_b lun_home gw2 192.0.2.102 /srv/proj/build)"
refuse "a WWID in upper case (as an array's GUI shows it)" \
    "nas_gateway_groups[proj].wwid must be the LUN's WWID as multipath prints it, lower case (NAA '3' + 16 or 32 hex digits, EUI-64 '2' + 16, 24 or 32, NVMe 'eui.' + 16 or 32), got '36001405B1B2C3D4E5F60718293A4B5C6'" \
    -e "$(groups 36001405B1B2C3D4E5F60718293A4B5C6 lun_proj gw2 192.0.2.102 /srv/proj/build)"
refuse "a WWID in the naa. form instead of multipath's" \
    "nas_gateway_groups[proj].wwid must be the LUN's WWID as multipath prints it, lower case" \
    -e "$(groups naa.6001405b1b2c3d4e5f60718293a4b5c6 lun_proj gw2 192.0.2.102 /srv/proj/build)"
refuse "one head" \
    "nas_gateway: the design needs at least two heads in the play (the inventory group nas_gateway), got 1" \
    -e hsc_hosts=one
refuse "heads given different designs" \
    "nas_gateway: the heads ['gw1', 'gw2', 'gw3'] see different design settings" \
    -e '{"nas_gateway_client_interface": "{{ \"eth2\" if inventory_hostname == \"gw3\" else \"eth1\" }}"}'
refuse "a group that prefers a host that is not a head" \
    "nas_gateway_groups[proj].prefers gw9 is not a head of the play (gw1, gw2, gw3)" \
    -e "$(groups $wwid_b lun_proj gw9 192.0.2.102 /srv/proj/build)"
refuse "an NFS export in another group's mountpoint" \
    "nas_gateway_groups[proj].nfs_exports[102].path /srv/home/x is not inside the group's mountpoint /srv/proj" \
    -e "$(groups $wwid_b lun_proj gw2 192.0.2.102 /srv/home/x)"
refuse "an NFS export beside its mountpoint with the same prefix" \
    "nas_gateway_groups[proj].nfs_exports[102].path /srv/projects/x is not inside the group's mountpoint /srv/proj" \
    -e "$(groups $wwid_b lun_proj gw2 192.0.2.102 /srv/projects/x)"
targets='{"nas_gateway_iscsi_targets": [{"iqn": "iqn.2001-05.test.array:ctl", "portals": ["10.41.0.21:3260", "10.42.0.21:3260"]}]}'
accept validate.yml 'accepted: g_home g_proj g_media' -e "$targets"
refuse "iSCSI: two heads with one initiator name" \
    "nas_gateway: with nas_gateway_iscsi_targets every head needs nas_gateway_iscsi_initiator_name (a host variable, the name the target's ACL lists), each its own; got {'gw1': 'iqn.2026-01.test.hsc:gw1', 'gw2': 'iqn.2026-01.test.hsc:gw2', 'gw3': 'iqn.2026-01.test.hsc:gw1'}" \
    -e "$targets" -e gw3_initiator_name=iqn.2026-01.test.hsc:gw1
refuse "iSCSI: a head without an initiator name" \
    "each its own; got {'gw1': 'iqn.2026-01.test.hsc:gw1', 'gw2': 'iqn.2026-01.test.hsc:gw2', 'gw3': ''}" \
    -e "$targets" -e gw3_initiator_name=

# one head's bad input (the pacemaker role's own check, per host) stops
# every head before the first change (the iSCSI tools' install)
hsc_stops_every_host "$work" nas_gateway nas_gateway gw3 ' : Install open-iscsi and multipath-tools]' \
    'pacemaker_node_addresses must be IP addresses, link 0 first' "${inv[@]}" \
    -e '{"pacemaker_node_addresses": "{{ [\"192.0.2.300\"] if inventory_hostname == \"gw3\" else [\"192.0.2.30\"] }}"}'
# what pcs would refuse in the cluster definition, refused before anything
# changes (the pacemaker role's check, pcs_cluster's own rules)
hsc_stops_every_host "$work" nas_gateway nas_gateway gw1 ' : Install open-iscsi and multipath-tools]' \
    "pacemaker cluster definition: totem.token must be a non-negative integer, got 'soon'" "${inv[@]}" \
    -e '{"pacemaker_totem": {"token": "soon"}}'
hsc_stops_every_host "$work" nas_gateway nas_gateway gw1 ' : Install open-iscsi and multipath-tools]' \
    "pacemaker cluster definition: links[1].mcastport must be a port number, got '0'" "${inv[@]}" \
    -e '{"pacemaker_links": [{"linknumber": 1, "mcastport": 0}]}'
hsc_stops_every_host "$work" nas_gateway nas_gateway gw1 ' : Install open-iscsi and multipath-tools]' \
    "pacemaker_cluster_name must be set, 1 to 32 letters, digits, '_' or '-'" "${inv[@]}" \
    -e pacemaker_cluster_name=gw.test

# the path census (census.yml): every head sees every LUN on two paths
accept census.yml 'census accepted: gw1 gw2 gw3'
refuse_in census.yml "a head that does not see a LUN" \
    "nas_gateway_groups[proj].wwid $wwid_b: head gw2 sees no SCSI disk with this WWID (it sees $wwid_a, 36001405c1b2c3d4e5f60718293a4b5c6): check the WWID" \
    -e "{\"hsc_census_fault\": {\"head\": \"gw2\", \"wwid\": \"$wwid_b\", \"paths\": []}}"
refuse_in census.yml "a head that sees a LUN on one path (the other gone)" \
    "nas_gateway_groups[home].wwid $wwid_a: head gw3 has 1 usable path(s) to the LUN (sdq running), nas_gateway_expected_paths is 2" \
    -e "{\"hsc_census_fault\": {\"head\": \"gw3\", \"wwid\": \"$wwid_a\", \"paths\": [{\"dev\": \"sdq\", \"state\": \"running\", \"usable\": true}]}}"
refuse_in census.yml "a head that sees a LUN on two paths, one of them offline" \
    "nas_gateway_groups[home].wwid $wwid_a: head gw1 has 1 usable path(s) to the LUN (sdq running, sdr offline), nas_gateway_expected_paths is 2" \
    -e "{\"hsc_census_fault\": {\"head\": \"gw1\", \"wwid\": \"$wwid_a\", \"paths\": [{\"dev\": \"sdq\", \"state\": \"running\", \"usable\": true}, {\"dev\": \"sdr\", \"state\": \"offline\", \"usable\": false}]}}"
# one path is enough where the inventory expects one
accept census.yml 'census accepted: gw1 gw2 gw3' -e nas_gateway_expected_paths=1 \
    -e "{\"hsc_census_fault\": {\"head\": \"gw3\", \"wwid\": \"$wwid_a\", \"paths\": [{\"dev\": \"sdq\", \"state\": \"running\", \"usable\": true}]}}"
echo "nas_gateway_cib: refusals done at ${SECONDS} s"

# --- 2. the example inventory ------------------------------------------------
example=$(hsc_find_example gateway)
ansible-inventory -i "$example" --list > "$work/example.json"
"$python" - "$work/example.json" <<'CHECK'
import json, sys
inv = json.load(open(sys.argv[1]))
assert inv["nas_gateway"]["hosts"] == ["gw-a", "gw-b", "gw-c"], inv["nas_gateway"]
hv = inv["_meta"]["hostvars"]
groups = hv["gw-a"]["nas_gateway_groups"]
assert [g["name"] for g in groups] == ["home", "projects", "media"], groups
assert [g["prefers"] for g in groups] == ["gw-a", "gw-b", "gw-c"], groups
initiators = [hv[h]["nas_gateway_iscsi_initiator_name"] for h in ("gw-a", "gw-b", "gw-c")]
assert len(set(initiators)) == 3, initiators
CHECK
secrets='{"vault_hacluster_password": "x", "vault_ad_join_password": "x",
          "vault_ipmi_password_gw_a": "x", "vault_ipmi_password_gw_b": "x", "vault_ipmi_password_gw_c": "x"}'
ansible-playbook -i "$example" validate.yml -e hsc_hosts=nas_gateway -e ansible_connection=local \
    -e "ansible_python_interpreter=$python" -e "$secrets" > "$work/example.log" 2>&1 \
    || { cat "$work/example.log"; echo "the example inventory does not pass the checks" >&2; exit 1; }
grep -q 'accepted: g_home g_projects g_media' "$work/example.log" || { cat "$work/example.log"; exit 1; }
# the role's argument spec on the example, through site.yml: a tag nothing
# carries runs only what is tagged always (facts, the argument validation);
# site.yml's other plays have no hosts in this inventory
export ANSIBLE_HOST_PATTERN_MISMATCH=ignore
site=(-i "$example" hastorage.cluster.site --tags hsc-argument-spec-only -e ansible_connection=local
      -e "ansible_python_interpreter=$python" -e "$secrets")
hsc_argument_spec_check "$work" "Validating arguments against arg spec 'main' - NAS gateway" \
    '{"nas_gateway_groups": [{"name": "home", "wwid": "36001405a1b2c3d4e5f60718293a4b5c6",
      "fstype": "btrfs", "mountpoint": "/srv/home", "vip": {"address": "10.40.0.101", "cidr_netmask": 24}}]}' \
    'value of fstype must be one of: xfs, ext4, got: btrfs found in nas_gateway_groups' "${site[@]}"
echo "nas_gateway_cib: example inventory checked at ${SECONDS} s"

# --- 3. one push, idempotent ---------------------------------------------------
hsc_one_push_check nas_gateway_cib "$work" "gw1 gw2 gw3" ipmi-secret "${inv[@]}"

# --- 4. placement and partial failover in crm_simulate ---------------------------
cd "$work"
simulated() { "$python" "$here/simulated.py" "$@"; }
attribute() {  # attribute CIB NODE NAME VALUE: what an agent sets (transient, like the agents' attributes)
    CIB_file=$1 crm_attribute -N "$2" -n "$3" -v "$4" -l reboot
}
# before multipath-health and ethmonitor have reported (a head not reported
# is allowed), every group starts on its preferred head, bottom-up: which
# head's agents report first decides nothing
# the daemon clones start one at a time on each head (Pacemaker reloads
# systemd for each systemd-class start; two side by side can fail one)
crm_simulate -x cib.xml --quorum=true --node-up=gw1 --node-up=gw2 --node-up=gw3 -S -O up.xml -D start.dot > start.txt
simulated start.txt --start --moved home,proj,media --dot start.dot --serial nas_winbind,nas_smbd,nas_nfsd \
    home=gw1 proj=gw2 media=gw3
# the agents of gw2 report first (two paths, link up): nothing moves
cp up.xml race.xml
for alias in lun_home lun_proj media; do attribute race.xml gw2 "hsc_paths_$alias" 2; done
attribute race.xml gw2 ethmonitor-eth1 1
crm_simulate -x race.xml -S > race.txt
simulated race.txt home=gw1 proj=gw2 media=gw3
# what the running agents would do: two usable paths to every LUN and the
# client link up on every head; nothing moves
for head in gw1 gw2 gw3; do
    for alias in lun_home lun_proj media; do attribute up.xml "$head" "hsc_paths_$alias" 2; done
    attribute up.xml "$head" ethmonitor-eth1 1
done
crm_simulate -x up.xml -S -O running.xml > reported.txt
simulated reported.txt home=gw1 proj=gw2 media=gw3

# gw1 loses one of its two paths to lun_home: multipath carries on, nothing moves
cp running.xml onepath.xml
attribute onepath.xml gw1 hsc_paths_lun_home 1
crm_simulate -x onepath.xml -S > onepath.txt
simulated onepath.txt home=gw1 proj=gw2 media=gw3

# gw1 loses every path to lun_home: g_home alone moves, the others stay
cp running.xml nopath.xml
attribute nopath.xml gw1 hsc_paths_lun_home 0
crm_simulate -x nopath.xml -S -O moved.xml > nopath.txt
simulated nopath.txt --moved home home='!gw1' proj=gw2 media=gw3
# the head g_home went to (x, which also runs its own group) and the third head (y)
x=$(CIB_file=moved.xml crm_resource --locate -r g_home | sed -n 's/.*running on: *//p')
case $x in
    gw2) y=gw3 own=proj other=media ;;
    gw3) y=gw2 own=media other=proj ;;
    *) echo "g_home went to '$x'" >&2; exit 1 ;;
esac
echo "g_home moved to $x"

# gw1's paths come back: the stickiness keeps g_home where it is
cp moved.xml pathback.xml
attribute pathback.xml gw1 hsc_paths_lun_home 2
crm_simulate -x pathback.xml -S > pathback.txt
simulated pathback.txt home="$x" proj=gw2 media=gw3

# head x fails: both groups it ran move (fenced first); g_home only to y,
# as gw1 still has no path to lun_home; the third group stays
crm_simulate -x moved.xml -S --node-fail="$x" --quorum=true > fail.txt
simulated fail.txt --moved "home,$own" --fenced "$x" home="$y" "$own=!$x" "$other=$y"

# the client link of head x dies (ethmonitor sets its attribute to 0): the
# same, without fencing
cp moved.xml link.xml
attribute link.xml "$x" ethmonitor-eth1 0
crm_simulate -x link.xml -S > link.txt
simulated link.txt --moved "home,$own" home="$y" "$own=!$x" "$other=$y"

# the client link of gw1 dies in the start placement: g_home moves, only it
cp running.xml link1.xml
attribute link1.xml gw1 ethmonitor-eth1 0
crm_simulate -x link1.xml -S > link1.txt
simulated link1.txt --moved home home='!gw1' proj=gw2 media=gw3

# the kernel NFS server fails on gw2: its restart drops gw2's exports
# (exportfs -r), so g_proj's exportfs layer runs again there; g_home's NFS
# on gw1 and the SMB-only g_media are left alone
crm_simulate -x running.xml -S -i nas_nfsd_monitor_30000@gw2=7 > nfsd.txt
simulated nfsd.txt --moved proj home=gw1 proj=gw2 media=gw3
grep -Eq 'Restart +exp_proj_102_1 +\( +gw2 +\)' nfsd.txt \
    || { cat nfsd.txt; echo "g_proj's export did not run again after nfs-server on gw2" >&2; exit 1; }

# smbd fails on gw1: Pacemaker recovers it; the shares live in the
# registry (samba_shares: net conf import), so no group needs to restart:
# g_home's filesystem and its NFS export stay up for the NFS clients
crm_simulate -x running.xml -S -i nas_smbd_monitor_30000@gw1=7 > smbd.txt
grep -Eq 'Recover +nas_smbd:[0-9]+ +\( +gw1 +\)' smbd.txt || { cat smbd.txt; echo "smbd was not recovered on gw1" >&2; exit 1; }
simulated smbd.txt home=gw1 proj=gw2 media=gw3
# ... and the optional order that keeps the daemons' starts apart restarts no nfs-server with it
if grep -Eq '(Restart|Stop|Recover) +nas_nfsd' smbd.txt; then
    cat smbd.txt; echo "smbd's recovery touched nfs-server" >&2; exit 1
fi
echo "nas_gateway_cib: done in ${SECONDS} s"
