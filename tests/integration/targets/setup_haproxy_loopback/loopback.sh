# shellcheck shell=bash
# shellcheck disable=SC2154  # work and python are set by the script that sources this
# What the loopback HAProxy targets share (openstack_drain, feedback_agent):
# source it after `set -euo pipefail` and setting work (a temporary
# directory) and python. It sets a trap that stops every process started
# with hsc_background and the HAProxy whose pidfile is $work/haproxy.pid,
# then removes $work.
#   hsc_port                  a free TCP port on 127.0.0.1
#   hsc_background CMD...     run CMD in the background, stopped at exit
#   hsc_last_pid              the pid of the last hsc_background
#   hsc_http_server PORT      a static HTTP server on 127.0.0.1:PORT ($work/www: "ok")
#   hsc_haproxy_global        the global and defaults sections (admin socket
#                             $work/admin.sock, pidfile, daemon, short timeouts)
hsc_pids=()
hsc_cleanup() {
    for pid in "${hsc_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    if [[ -f $work/haproxy.pid ]]; then kill "$(cat "$work/haproxy.pid")" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap hsc_cleanup EXIT

hsc_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
hsc_background() { "$@" & hsc_pids+=("$!"); }
hsc_last_pid() { echo "${hsc_pids[-1]}"; }
hsc_http_server() {
    [[ -f $work/www/index.html ]] || { mkdir -p "$work/www"; echo ok > "$work/www/index.html"; }
    hsc_background "$python" -m http.server --bind 127.0.0.1 --directory "$work/www" "$1" > /dev/null 2>&1
}
hsc_haproxy_global() {
    cat <<CFG
global
    stats socket $work/admin.sock mode 600 level admin
    pidfile $work/haproxy.pid
    daemon
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
    timeout check 2s
CFG
}
