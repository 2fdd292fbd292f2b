#!/usr/bin/env bash
# playbooks/openstack_drain.yml against a real HAProxy started here on
# loopback with the role's kind of admin stats socket and two backends that
# list the controllers ctl-a and ctl-b (their servers: two local HTTP
# servers). The playbook runs on one inventory host (this machine) for the
# controller ctl-a: drain -> both backends say DRAIN for ctl-a, ctl-b stays
# UP, and a second run changes nothing; maint -> MAINT; ready -> UP again;
# a controller that is not in the inventory and an unknown state are
# refused before the socket is touched.
set -euo pipefail
export LC_ALL=C.UTF-8 ANSIBLE_NOCOLOR=1

work=$(mktemp -d)
python=$(command -v python3)
# shellcheck source=../setup_haproxy_loopback/loopback.sh
source ../setup_haproxy_loopback/loopback.sh
a=$(hsc_port); b=$(hsc_port); fa=$(hsc_port); fb=$(hsc_port)
hsc_http_server "$a"; hsc_http_server "$b"
{ hsc_haproxy_global; cat <<CFG
    default-server inter 500ms fall 2 rise 1
frontend nova_api
    bind 127.0.0.1:$fa
    default_backend nova_api_servers
backend nova_api_servers
    option httpchk
    http-check send meth GET uri / ver HTTP/1.1 hdr Host 127.0.0.1
    server ctl-a 127.0.0.1:$a check
    server ctl-b 127.0.0.1:$b check
frontend neutron_api
    bind 127.0.0.1:$fb
    default_backend neutron_api_servers
backend neutron_api_servers
    server ctl-a 127.0.0.1:$a check
    server ctl-b 127.0.0.1:$b check
CFG
} > "$work/haproxy.cfg"
haproxy -c -f "$work/haproxy.cfg" >/dev/null
haproxy -f "$work/haproxy.cfg"
for _ in $(seq 50); do [[ -S $work/admin.sock ]] && break; sleep 0.1; done
sleep 1.5  # the checks mark both servers UP

cat > "$work/inventory.yml" <<INV
openstack_control_plane:
  hosts:
    ctl-a: {ansible_connection: local, ansible_python_interpreter: $python}
INV
play=(ansible-playbook -i "$work/inventory.yml" hastorage.cluster.openstack_drain
      -e "drain_socket=$work/admin.sock" -e ansible_become=false)

# state of ctl-a and ctl-b in both backends: "backend server admin-state oper-state" per line
states() { echo "show servers state" | "$python" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.stdin.read().encode())
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
for line in data.decode().splitlines()[2:]:
    f = line.split()
    if len(f) > 6:
        print(f[1], f[3], f[6], f[5])
' "$work/admin.sock"; }

expect() {  # expect SERVER ADMIN_STATE: srv_admin_state of SERVER in both backends
    local got
    got=$(states | awk -v s="$1" '$2 == s {print $3}' | sort -u)
    [[ $got == "$2" ]] || { states; echo "expected $1 admin state $2, got '$got'" >&2; exit 1; }
}
changed() { grep -Eq "changed=$1 " "$work/out.log" || { cat "$work/out.log"; echo "expected changed=$1" >&2; exit 1; }; }

expect ctl-a 0; expect ctl-b 0
"${play[@]}" -e drain_host=ctl-a > "$work/out.log" 2>&1 || { cat "$work/out.log"; exit 1; }
changed 1; expect ctl-a 8; expect ctl-b 0      # 8: SRV_ADMF_DRAIN (drain set through the runtime API)
"${play[@]}" -e drain_host=ctl-a > "$work/out.log" 2>&1 || { cat "$work/out.log"; exit 1; }
changed 0; expect ctl-a 8
"${play[@]}" -e drain_host=ctl-a -e drain_state=maint > "$work/out.log" 2>&1 || { cat "$work/out.log"; exit 1; }
changed 1; expect ctl-a 1; expect ctl-b 0      # 1: SRV_ADMF_FMAINT
"${play[@]}" -e drain_host=ctl-a -e drain_state=ready > "$work/out.log" 2>&1 || { cat "$work/out.log"; exit 1; }
changed 1; expect ctl-a 0; expect ctl-b 0
refused() {  # refused MESSAGE ARGS...: the play fails with MESSAGE and ctl-a is untouched
    local message=$1; shift
    if "${play[@]}" "$@" > "$work/out.log" 2>&1; then cat "$work/out.log"; echo "accepted: $*" >&2; exit 1; fi
    grep -qF "$message" "$work/out.log" || { cat "$work/out.log"; echo "expected: $message" >&2; exit 1; }
    expect ctl-a 0
}
refused "must be one of ctl-a (got ctl-c). Nothing was changed." -e drain_host=ctl-c
refused "openstack_control_plane_drain_state must be one of: drain, maint, ready" -e drain_host=ctl-a -e drain_state=off
refused "must be one of ctl-a (got nothing). Nothing was changed."
echo "openstack_drain: drain, maint, ready, idempotent, refusals: ok"
