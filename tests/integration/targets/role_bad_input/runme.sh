#!/usr/bin/env bash
# The bad-input table of the roles (issue 16), one row of table.tsv per case:
# the role's whole deploy runs in check mode on two or more hosts (all this
# machine, connection local) with ONE host given a bad value, and must stop
# in the role's checks: the play fails, the refusal names the field, the bad
# host is the one refused, no host reaches the role's first task after its
# checks and no host reports a change (hsc_stops_every_host, one_push.sh).
# First, per role, the control: the good inventory passes the role's checks.
set -euo pipefail
export LC_ALL=C.UTF-8 ANSIBLE_NOCOLOR=1 ANSIBLE_HOST_KEY_CHECKING=False

work=$(mktemp -d)
python=$(command -v python3)
# a port another process listens on (the feedback agent's row "port taken"), on loopback
HSC_BUSY_PORT=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
export HSC_BUSY_PORT
"$python" -m http.server --bind 127.0.0.1 "$HSC_BUSY_PORT" > /dev/null 2>&1 &
busy_pid=$!
trap 'kill $busy_pid 2>/dev/null || true; rm -rf "$work"' EXIT
# shellcheck source=../setup_cib_one_push/one_push.sh
source ../setup_cib_one_push/one_push.sh
py=(-e "ansible_python_interpreter=$python")
dual=$(hsc_find_example dual_controller)

# per role: the inventory (and the play's group) and the first task after its checks
declare -A inventory=(
    [pacemaker]=inventory.yml [drbd]=inventory.yml [graid]=inventory.yml [multipath]=inventory.yml
    [nas_services]=inventory.yml
    [nas_integrated]=../nas_integrated_cib/inventory.yml [nas_gateway]=../nas_gateway_cib/inventory.yml
    [openstack_control_plane]=../openstack_control_plane_cib/inventory.yml
    [nas_dual_controller]=$dual [feedback_agent]=inventory.yml
)
declare -A next=(
    [pacemaker]=' : Install the cluster stack]'
    [drbd]=' : Install the DRBD utilities]'
    [graid]=' : Install SupremeRAID when graidctl is missing]'
    [multipath]=' : Install open-iscsi and multipath-tools]'
    [nas_services]=' : Install the NAS packages]'
    [nas_integrated]=' : Build or adopt the local RAID]'
    [nas_gateway]=' : Install open-iscsi and multipath-tools]'
    [openstack_control_plane]=" : Install the services' packages without starting them]"
    [nas_dual_controller]=' : Put GPU RAID under the shared volumes]'
    [feedback_agent]=" : Create the directory of the agent's code]"
)
# the example inventory's secrets are vault variables; offline any value does
dual_vars='{"ansible_connection": "local", "vault_hacluster_password": "not-used-offline",
  "vault_ad_join_password": "x", "vault_ipmi_password_ctrl_a": "x", "vault_ipmi_password_ctrl_b": "x"}'
extra() {  # extra ROLE: the arguments every run of ROLE gets
    if [[ $1 == nas_dual_controller ]]; then echo "$dual_vars"; else echo '{}'; fi
}

# --- the controls --------------------------------------------------------------
for role in "${!inventory[@]}"; do
    ansible-playbook -i "${inventory[$role]}" "${py[@]}" -e "$(extra "$role")" -e "hsc_role=$role" \
        -e "hsc_hosts=$role" validate_only.yml > "$work/control.log" 2>&1 \
        || { cat "$work/control.log"; echo "control $role: the good inventory does not pass the checks" >&2; exit 1; }
    grep -q "accepted: $role" "$work/control.log" || { cat "$work/control.log"; exit 1; }
done
echo "role_bad_input: ${#inventory[@]} controls passed at ${SECONDS} s"

# --- the table --------------------------------------------------------------------
rows=0
declare -A per_role=()
while IFS=$'\t' read -r id role bad expect vars; do
    [[ -z $id || $id == \#* ]] && continue
    # HSC_ROWS (a regular expression of row ids): run only those (while working on the table)
    [[ -z ${HSC_ROWS:-} || $id =~ $HSC_ROWS ]] || continue
    [[ -n ${next[$role]:-} ]] || { echo "row $id: unknown role $role" >&2; exit 1; }
    echo "row $id"
    hsc_stops_every_host "$work" "$role" "$role" "$bad" "${next[$role]}" "$expect" \
        -i "${inventory[$role]}" "${py[@]}" -e "$(extra "$role")" -e "$vars"
    rows=$((rows + 1))
    per_role[$role]=$(( ${per_role[$role]:-0} + 1 ))
done < table.tsv

# every role has rows, and the table is as long as the issue asks
for role in "${!next[@]}"; do
    [[ -n ${HSC_ROWS:-} ]] && break
    [[ ${per_role[$role]:-0} -ge 2 ]] || { echo "role $role has ${per_role[$role]:-0} rows" >&2; exit 1; }
done
[[ -n ${HSC_ROWS:-} || $rows -ge 25 ]] || { echo "only $rows rows" >&2; exit 1; }
echo "role_bad_input: $rows rows ($(for r in "${!per_role[@]}"; do printf '%s=%s ' "$r" "${per_role[$r]}"; done)) in ${SECONDS} s"
