#!/usr/bin/env bash
# The OpenStack control plane design offline, on two inventory hosts that
# are both this machine:
# 1. every class of bad input of issue 14 is refused by the role's
#    validate.yml with the field named (the first thing a deploy runs);
# 2. the example inventory passes ansible-inventory --list, the checks and
#    the role's argument spec (which refuses a tier other than ha/basic),
#    and the role's HAProxy template renders from it and passes haproxy -c;
#    the controllers' configuration tasks run in check mode on it;
# 3. the CIB flow of a deploy, on the example inventory's data, converges a
#    CIB file in ONE pcs_cib push (epoch +1, the pacemaker and drbd roles'
#    own pushes skipped, no password in the output), and a second run
#    changes nothing;
# 4. crm_simulate: DRBD is promoted, then the active/standby stack starts
#    bottom-up (HAFS, MariaDB, Apache, Glance, the VIPs last) on the
#    Promoted node; HAProxy and the active/active services run on both;
#    a failed node takes everything active/standby to the other one, and so
#    does HAProxy banned from the active node (the VIPs run only where
#    HAProxy runs).
set -euo pipefail
export LC_ALL=C.UTF-8 ANSIBLE_NOCOLOR=1 ANSIBLE_HOST_KEY_CHECKING=False

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
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
# services lists for the refusals: MariaDB and Glance on the HAFS, Keystone
# in Apache, Nova API active/active (SERVICE is replaced per case)
services() {  # services GLANCE-JSON NOVA-JSON
    printf '{"openstack_control_plane_services": [
      {"name": "mariadb", "tier": "ha", "mode": "active_standby", "unit": "mariadb", "hafs": true,
       "ports": [{"port": 3306}]},
      {"name": "keystone", "tier": "ha", "mode": "active_standby", "unit": "apache2", "hafs": true,
       "ports": [{"port": 5000, "health_path": "/v3"}]},
      %s,
      %s]}' "$1" "$2"
}
glance='{"name": "glance", "tier": "ha", "mode": "active_standby", "unit": "glance-api", "hafs": true, "ports": [{"port": 9292, "health_path": "/healthcheck"}]}'
nova='{"name": "nova_api", "tier": "ha", "mode": "active_active", "unit": "nova-api", "ports": [{"port": 8774, "health_path": "/"}]}'
# the lists are accepted as they are
ansible-playbook "${inv[@]}" validate.yml -e "$(services "$glance" "$nova")" > "$work/good.log" 2>&1 \
    || { cat "$work/good.log"; echo "the refusals' base services are refused" >&2; exit 1; }
grep -q 'accepted: g_haproxy g_openstack g_nova_api' "$work/good.log" || { cat "$work/good.log"; exit 1; }

# one controller's bad input (the pacemaker role's own check, per host)
# stops both before the first change (the services' packages)
hsc_stops_every_host "$work" openstack_control_plane openstack_control_plane ctl2 \
    " : Install the services' packages without starting them]" \
    'pacemaker_node_addresses must be IP addresses, link 0 first' "${inv[@]}" \
    -e '{"pacemaker_node_addresses": "{{ [\"192.0.2.300\"] if inventory_hostname == \"ctl2\" else [\"192.0.2.30\"] }}"}'
refuse "internal and external VIPs on one network" \
    "openstack_control_plane_external_network 10.40.0.0/24 and openstack_control_plane_internal_network 10.40.0.0/24 are the same network or overlap" \
    -e openstack_control_plane_external_network=10.40.0.0/24 -e openstack_control_plane_external_vip=10.40.0.20
refuse "the internal VIP outside its network" \
    "openstack_control_plane_internal_vip 192.0.2.50 is not on 10.40.0.0/24" \
    -e openstack_control_plane_internal_vip=192.0.2.50
refuse "the external VIP outside its network" \
    "openstack_control_plane_external_vip 10.40.0.20 is not on 192.0.2.0/24" \
    -e openstack_control_plane_external_vip=10.40.0.20
refuse "a controller's internal address outside the internal network" \
    "openstack_control_plane_internal_address of ctl2 10.41.0.12 is not on 10.40.0.0/24" \
    -e ctl2_internal_address=10.41.0.12
refuse "a service that needs the HAFS placed below it" \
    "openstack_control_plane_start_order: mariadb needs the HAFS filesystem (openstack_control_plane_services[mariadb].hafs) but starts before hafs" \
    -e '{"openstack_control_plane_start_order": ["mariadb", "hafs", "keystone", "horizon", "glance"]}'
refuse "a tier other than ha and basic" \
    "openstack_control_plane_services[glance].tier must be ha (Pacemaker manages it) or basic (systemd restarts it on its node), got 'gold'" \
    -e "$(services "${glance/\"tier\": \"ha\"/\"tier\": \"gold\"}" "$nova")"
refuse "a mode other than active_standby and active_active" \
    "openstack_control_plane_services[nova_api].mode must be active_standby (one node, in the stack on the HAFS) or active_active (cloned on every controller), got 'active_passive'" \
    -e "$(services "$glance" "${nova/active_active/active_passive}")"
refuse "two services on one HAProxy frontend port" \
    "openstack_control_plane_services[glance].ports[0]: HAProxy frontend port 5000 on the internal VIP is also openstack_control_plane_services[keystone].ports[0]'s" \
    -e "$(services "${glance/9292/5000}" "$nova")"
refuse "a service listening on every address on a frontend's port" \
    "openstack_control_plane_services[nova_api].ports[0].port 8774: the service listens on every address (listen: any) and HAProxy binds the internal VIP on port 8774" \
    -e "$(services "$glance" "${nova/\"unit\"/\"listen\": \"any\", \"unit\"}")"
refuse "a basic service on the HAFS" \
    "openstack_control_plane_services[nova_api]: a basic service cannot need the HAFS filesystem" \
    -e "$(services "$glance" '{"name": "nova_api", "tier": "basic", "unit": "nova-api", "nodes": ["ctl1"], "hafs": true}')"
refuse "no database password for Keystone" \
    "Set openstack_control_plane_keystone_db_password (from the vault)" \
    -e openstack_control_plane_keystone_db_password=
refuse "no admin password nor Nova service password" \
    "Set openstack_control_plane_admin_password, openstack_control_plane_nova_service_password (from the vault)" \
    -e openstack_control_plane_admin_password= -e openstack_control_plane_nova_service_password=
refuse "no worker" \
    "openstack_control_plane_api_workers must be 1 to 64" \
    -e openstack_control_plane_api_workers=0
refuse "controllers given different designs" \
    "openstack_control_plane: the controllers ['ctl1', 'ctl2'] see different design settings" \
    -e '{"openstack_control_plane_internal_vip": "{{ \"10.40.0.10\" if inventory_hostname == \"ctl1\" else \"10.40.0.20\" }}"}'
echo "openstack_control_plane_cib: refusals done at ${SECONDS} s"

# --- 2. the example inventory ------------------------------------------------
example=$(hsc_find_example openstack)
ansible-inventory -i "$example" --list > "$work/example.json"
"$python" - "$work/example.json" <<'CHECK'
import json, sys
inv = json.load(open(sys.argv[1]))
assert inv["openstack_control_plane"]["hosts"] == ["ctl-a", "ctl-b"], inv["openstack_control_plane"]
hv = inv["_meta"]["hostvars"]
assert [hv[h]["openstack_control_plane_internal_address"] for h in ("ctl-a", "ctl-b")] == ["10.40.0.11", "10.40.0.12"]
tiers = dict((s["name"], (s["tier"], s.get("mode"))) for s in hv["ctl-a"]["openstack_control_plane_services"])
assert tiers["glance"] == ("ha", "active_standby") and tiers["nova_api"] == ("ha", "active_active"), tiers
assert tiers["novncproxy"] == ("basic", None), tiers
CHECK
secrets='{"vault_hacluster_password": "not-used-offline", "vault_drbd_shared_secret": "not-used-offline", "vault_keystone_db_password": "kdb-secret",
          "vault_glance_db_password": "gdb-secret", "vault_nova_db_password": "ndb-secret",
          "vault_neutron_db_password": "qdb-secret", "vault_keystone_admin_password": "adm-secret",
          "vault_glance_service_password": "gsvc-secret", "vault_nova_service_password": "nsvc-secret",
          "vault_neutron_service_password": "qsvc-secret", "vault_ipmi_password_ctl_a": "ipmi-secret-a",
          "vault_ipmi_password_ctl_b": "ipmi-secret-b"}'
example_args=(-i "$example" -e ansible_connection=local -e "ansible_python_interpreter=$python" -e "$secrets")
ansible-playbook "${example_args[@]}" validate.yml > "$work/example.log" 2>&1 \
    || { cat "$work/example.log"; echo "the example inventory does not pass the checks" >&2; exit 1; }
grep -q 'accepted: g_haproxy g_openstack g_nova_api g_neutron_api"' "$work/example.log" \
    || { cat "$work/example.log"; exit 1; }
# the role's argument spec on the example, through site.yml: a tag nothing
# carries runs only what is tagged always (facts, the argument validation);
# site.yml's other plays have no hosts in this inventory
export ANSIBLE_HOST_PATTERN_MISMATCH=ignore
site=(hastorage.cluster.site --tags hsc-argument-spec-only "${example_args[@]}")
hsc_argument_spec_check "$work" "Validating arguments against arg spec 'main'" \
    '{"openstack_control_plane_services": [{"name": "lab", "tier": "gold", "unit": "lab"}]}' \
    'value of tier must be one of: ha, basic, got: gold found in openstack_control_plane_services' "${site[@]}"
# the role's HAProxy template through the template module, checked by haproxy -c
template="$example/../../../roles/openstack_control_plane/templates/haproxy.cfg.j2"
mkdir "$work/haproxy"
ansible-playbook "${example_args[@]}" render.yml -e "hsc_template=$template" -e "hsc_out=$work/haproxy" \
    > "$work/render.log" 2>&1 || { cat "$work/render.log"; echo "the HAProxy configuration does not render or check" >&2; exit 1; }
"$python" - "$work/haproxy/haproxy-ctl-a.cfg" "$work/haproxy/haproxy-ctl-b.cfg" <<'CHECK'
import sys
a, b = (open(p).read() for p in sys.argv[1:])
assert a == b, "the controllers' HAProxy configurations differ"
for line in ("bind 10.40.0.10:5000", "http-check send meth GET uri /v3 ver HTTP/1.1 hdr Host 10.40.0.10", "bind 10.40.0.10:9292", "http-check send meth GET uri /healthcheck ver HTTP/1.1 hdr Host 10.40.0.10",
             "bind 10.40.0.10:8774", "bind 10.40.0.10:9696", "bind 192.0.2.10:80", "bind 10.40.0.10:3306",
             "server ctl-a 10.40.0.11:8774 check weight 100", "server ctl-b 10.40.0.12:8774 check weight 100",
             "stats socket /run/haproxy/admin.sock mode 660 level admin", "retries 3", "option redispatch"):
    assert line in a, line
assert "6080" not in a and "novncproxy" not in a, "a port with vip none has a frontend"
print("HAProxy configuration rendered and checked (haproxy -c -dW)")
CHECK
# the controllers' configuration tasks in check mode on this machine: every
# expression and template resolves with the example's data, the diffs show
# what each controller would get, no password is shown, nothing is written
written_before=$(ls -d /etc/default/nova-api /etc/haproxy/haproxy.cfg /etc/mysql/mariadb.conf.d/60-hastorage-openstack.cnf 2>/dev/null || true)
ansible-playbook "${example_args[@]}" --check --diff check_mode.yml > "$work/check.log" 2>&1 \
    || { cat "$work/check.log"; echo "the configuration tasks fail in check mode" >&2; exit 1; }
for line in '+DAEMON_ARGS="--http-socket 10.40.0.11:8774 --ini /etc/nova/nova-api-uwsgi.ini"' \
            '+DAEMON_ARGS="--http-socket 10.40.0.12:9696 --ini /etc/neutron/neutron-api-uwsgi.ini"' \
            '+OPENSTACK_KEYSTONE_URL = "http://10.40.0.10:5000/v3"' '+bind-address = 10.40.0.12' \
            '+datadir = /srv/hafs/mysql' '+Listen 10.40.0.11:5000' '+Listen 10.40.0.12:80'; do
    grep -qF -- "$line" "$work/check.log" || { cat "$work/check.log"; echo "check mode does not show: $line" >&2; exit 1; }
done
if grep -Eq 'kdb-secret|gdb-secret|ndb-secret|qdb-secret|adm-secret|gsvc-secret|nsvc-secret|qsvc-secret' "$work/check.log"; then echo "a database password is in the output" >&2; exit 1; fi
[[ $(ls -d /etc/default/nova-api /etc/haproxy/haproxy.cfg /etc/mysql/mariadb.conf.d/60-hastorage-openstack.cnf 2>/dev/null || true) == "$written_before" ]] \
    || { echo "check mode wrote files" >&2; exit 1; }
echo "openstack_control_plane_cib: example inventory checked at ${SECONDS} s"

# --- 3. one push, idempotent, on the example inventory's data -------------------
hsc_one_push_check openstack_control_plane_cib "$work" "ctl-a ctl-b" 'ipmi-secret|kdb-secret|gdb-secret|ndb-secret|qdb-secret|adm-secret|gsvc-secret|nsvc-secret|qsvc-secret' "${example_args[@]}"
if grep -Eq 'ipmi-secret|kdb-secret|gdb-secret|ndb-secret|qdb-secret|adm-secret|gsvc-secret|nsvc-secret|qsvc-secret' "$work/example.log"; then
    echo "a password is in the output" >&2; exit 1
fi
# the basic tier is not Pacemaker's
if grep -Eq 'novncproxy|memcached' "$work/cib.xml"; then echo "a basic service is in the CIB" >&2; exit 1; fi

# --- 4. placement and failover in crm_simulate ---------------------------------
cd "$work"
crm_simulate -x cib.xml --quorum=true --node-up=ctl-a --node-up=ctl-b -S -O up.xml > /dev/null
# what the running DRBD agent would do: its promotion scores (ctl-a the better)
CIB_file=up.xml crm_attribute -N ctl-a -n master-drbd_hafs -v 10000 -l reboot
CIB_file=up.xml crm_attribute -N ctl-b -n master-drbd_hafs -v 1000 -l reboot
crm_simulate -x up.xml -S -O running.xml > start.txt
"$python" - start.txt <<'CHECK'
import re, sys
text = open(sys.argv[1]).read()
transition = text.split("Executing Cluster Transition:")[1].split("Revised Cluster Status:")[0]
steps = re.findall(r"Resource action: +(\S+) +(promote|start) on (ctl-\w)", transition)
stack = ["fs_hafs", "srv_mariadb", "srv_apache2", "srv_glance_api", "vip_internal", "vip_external"]
order = [r for r, action, node in steps if r in stack]
assert order == stack, order
assert set(node for r, action, node in steps if r in stack) == {"ctl-a"}, steps
promote = [i for i, s in enumerate(steps) if s[0].startswith("drbd_hafs") and s[1] == "promote"]
assert promote and steps[promote[0]][2] == "ctl-a" and promote[0] < [r for r, a, n in steps].index("fs_hafs"), steps
status = text.split("Revised Cluster Status:")[1]
for clone in ("g_haproxy-clone", "g_nova_api-clone", "g_neutron_api-clone"):
    assert re.search(r"Clone Set: %s \[[^\]]+\]:\s+\* Started: \[ ctl-a ctl-b \]" % re.escape(clone), status), (clone, status)
assert re.search(r"Promoted: \[ ctl-a \]", status), status
print("start order on ctl-a:", " ".join(order), "- clones on ctl-a and ctl-b")
CHECK

crm_simulate -x running.xml -S --node-fail=ctl-a --quorum=true > fail.txt
"$python" - fail.txt <<'CHECK'
import re, sys
text = open(sys.argv[1]).read()
transition = text.split("Executing Cluster Transition:")[1].split("Revised Cluster Status:")[0]
steps = re.findall(r"Resource action: +(\S+) +(promote|start) on (ctl-\w)", transition)
started = [r for r, action, node in steps if node == "ctl-b"]
# the survivor fences ctl-a before it promotes DRBD
assert "Fencing ctl-a (reboot)" in transition, transition
assert transition.index("Fencing ctl-a") < re.search(r"drbd_hafs\S* +promote on ctl-b", transition).start(), transition
stack = ["fs_hafs", "srv_mariadb", "srv_apache2", "srv_glance_api", "vip_internal", "vip_external"]
assert [r for r in started if r in stack] == stack, started
status = text.split("Revised Cluster Status:")[1]
for rsc in stack:
    assert re.search(r"%s\s+\(\S+\):\s+Started ctl-b" % rsc, status), (rsc, status)
assert re.search(r"Promoted: \[ ctl-b \]", status), status
print("after ctl-a failed, ctl-b started:", " ".join(r for r in started if r in stack))
CHECK

# HAProxy kept off ctl-a (an operator's ban, or HAProxy failing there): the
# VIPs may only run where HAProxy runs, so the whole active/standby stack
# and DRBD's promotion move to ctl-b
crm_simulate -x up.xml -S -O running2.xml > /dev/null
CIB_file=running2.xml cibadmin -C -o constraints -X '<rsc_location id="cli-ban-g_haproxy-clone-on-ctl-a" rsc="g_haproxy-clone" node="ctl-a" score="-INFINITY"/>'
crm_simulate -x running2.xml -S > ban.txt
"$python" - ban.txt <<'CHECK'
import re, sys
status = open(sys.argv[1]).read().split("Revised Cluster Status:")[1]
for rsc in ("fs_hafs", "srv_mariadb", "srv_apache2", "srv_glance_api", "vip_internal", "vip_external"):
    assert re.search(r"%s\s+\(\S+\):\s+Started ctl-b" % rsc, status), (rsc, status)
assert re.search(r"Promoted: \[ ctl-b \]", status), status
assert re.search(r"Clone Set: g_nova_api-clone \[[^\]]+\]:\s+\* Started: \[ ctl-a ctl-b \]", status), status
print("HAProxy banned from ctl-a: the stack and the VIPs on ctl-b, Nova API still on both")
CHECK
echo "openstack_control_plane_cib: done in ${SECONDS} s"
