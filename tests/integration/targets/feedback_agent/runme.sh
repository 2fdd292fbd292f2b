#!/usr/bin/env bash
# The feedback agent (roles/feedback_agent/files/hastorage_feedback.py) with a
# real HAProxy on loopback: two backend servers (local HTTP servers), each
# with its own agent reading its own fake /proc tree, so the test sets each
# server's CPU load; HAProxy's agent-check reads the weights.
#  1. both idle: both at max_weight;
#  2. server a loaded 90 %: a's weight goes down by at most max_step per
#     sample, to its target, b stays; requests through HAProxy now favour b;
#  3. load gone: a climbs back in bounded steps;
#  4. state drain / ready through the agent: HAProxy says DRAIN, then UP;
#     a drain set through HAProxy's socket stays while the agent answers
#     weights (only the agent's own ready would cancel it);
#  5. a's agent killed: HAProxy keeps the last weight, the fallback puts it
#     back to the static weight; b (agent alive) is left alone.
set -euo pipefail
export LC_ALL=C.UTF-8

# the collection's copy ansible-test runs on (ANSIBLE_COLLECTIONS_PATH), or the tree
agent=
IFS=: read -ra roots <<< "${ANSIBLE_COLLECTIONS_PATH:-}"
for root in "${roots[@]}" ../../../..; do
    for candidate in "$root/ansible_collections/hastorage/cluster" "$root"; do
        if [[ -f $candidate/roles/feedback_agent/files/hastorage_feedback.py ]]; then
            agent=$(cd "$candidate/roles/feedback_agent/files" && pwd)/hastorage_feedback.py; break 2
        fi
    done
done
[[ -n $agent ]] || { echo "roles/feedback_agent/files/hastorage_feedback.py not found" >&2; exit 1; }
work=$(mktemp -d)
python=$(command -v python3)
# shellcheck source=../setup_haproxy_loopback/loopback.sh
source ../setup_haproxy_loopback/loopback.sh
fail() { echo "feedback_agent: $*" >&2; tail -n 20 "$work"/*.log >&2 || true; exit 1; }

front=$(hsc_port); http_a=$(hsc_port); http_b=$(hsc_port); agent_a=$(hsc_port); agent_b=$(hsc_port)

# one fake /proc per server; feed.py keeps its CPU counters moving at the share in $work/X/load
for s in a b; do
    mkdir -p "$work/$s/proc/net" "$work/$s/sys/block"
    printf '  sl  local_address rem_address   st\n' > "$work/$s/proc/net/tcp"
    echo 0 > "$work/$s/load"
    agent_port=$agent_a; [[ $s == b ]] && agent_port=$agent_b
    cat > "$work/$s/agent.json" <<JSON
{"address": "127.0.0.1", "port": $agent_port, "interval": 1, "window": 0, "min_weight": 10,
 "max_weight": 100, "max_step": 25, "hysteresis": 5, "coefficients": {"cpu": 1},
 "proc_root": "$work/$s/proc", "sys_root": "$work/$s/sys", "ready_announce": 3,
 "state_file": "$work/$s/state", "status_file": "$work/$s/status.json"}
JSON
done
cat > "$work/feed.py" <<'PY'
import os, sys, time
work = sys.argv[1]
counters = {s: [0, 0] for s in ("a", "b")}
while True:
    for s, c in counters.items():
        if os.path.exists(os.path.join(work, s, "frozen")):
            continue  # this server's load cannot be read any more
        try:
            share = float(open(os.path.join(work, s, "load")).read())
        except (OSError, ValueError):
            share = 0.0
        c[0] += int(100 * share); c[1] += 100
        tmp = os.path.join(work, s, "proc", ".stat")
        with open(tmp, "w") as f:
            f.write("cpu  %d 0 0 %d 0 0 0 0 0 0\n" % (c[0], c[1] - c[0]))
        os.rename(tmp, os.path.join(work, s, "proc", "stat"))
    time.sleep(0.1)
PY
hsc_background "$python" "$work/feed.py" "$work"
sleep 0.3
start_agent() { hsc_background "$python" "$agent" agent --config "$work/$1/agent.json" > "$work/agent-$1.log" 2>&1; hsc_last_pid > "$work/$1/pid"; }
start_agent a; start_agent b
hsc_http_server "$http_a"; hsc_http_server "$http_b"

{ hsc_haproxy_global; cat <<CFG
frontend api
    bind 127.0.0.1:$front
    default_backend api_servers
backend api_servers
    balance roundrobin
    server a 127.0.0.1:$http_a check inter 1s weight 100 agent-check agent-addr 127.0.0.1 agent-port $agent_a agent-inter 1s
    server b 127.0.0.1:$http_b check inter 1s weight 100 agent-check agent-addr 127.0.0.1 agent-port $agent_b agent-inter 1s
CFG
} > "$work/haproxy.cfg"
haproxy -c -f "$work/haproxy.cfg" > /dev/null
haproxy -f "$work/haproxy.cfg"

# "server status weight agent_status requests" of a and b, from HAProxy's socket
cat > "$work/stat.py" <<PY
import sys
sys.path.insert(0, "$(dirname "$agent")")
import hastorage_feedback as fb
rows = fb.parse_show_stat(fb.haproxy_command("$work/admin.sock", "show stat"))
for r in rows:
    if r["svname"] in ("a", "b"):
        print(r["svname"], r["status"].replace(" ", "_"), r["weight"], fb.agent_status(r) or "-", r["lbtot"])
PY
stat() { "$python" "$work/stat.py"; }
field() { stat | awk -v s="$1" -v f="$2" '$1 == s {print $f}'; }
cli() { "$python" -c "import sys; sys.path.insert(0, '$(dirname "$agent")'); import hastorage_feedback as fb; fb.haproxy_command('$work/admin.sock', sys.argv[1])" "$1"; }
# wait_for SECONDS COMMAND...: until COMMAND succeeds
wait_for() { local t=$1; shift; for _ in $(seq $((t * 5))); do "$@" && return 0; sleep 0.2; done; return 1; }
weight_is() { [[ $(field "$1" 3) == "$2" ]]; }
# status_like SERVER PATTERN: its HAProxy status matches the glob PATTERN
# shellcheck disable=SC2053  # the pattern is meant as a glob
status_like() { [[ $(field "$1" 2) == $2 ]]; }
agent_is() { [[ $(field "$1" 4) == "$2" ]]; }

# --- 1. idle ---------------------------------------------------------------------
agents_checked() { agent_is a CHECKED && agent_is b CHECKED; }
wait_for 10 agents_checked || fail "the agents were not checked: $(stat)"
wait_for 10 weight_is a 100 || fail "idle a: $(stat)"
weight_is b 100 || fail "idle b: $(stat)"
echo "1. idle: a and b at weight 100"

# --- 2. a loaded: bounded steps down, b untouched ----------------------------------
echo 0.9 > "$work/a/load"
seen=(100)
for _ in $(seq 60); do
    w=$(field a 3); [[ ${seen[-1]} == "$w" ]] || seen+=("$w")
    [[ $w == 19 ]] && break
    sleep 0.2
done
[[ ${seen[-1]} == 19 ]] || fail "a did not reach 19 (100 - 90 x 0.9): ${seen[*]}"
prev=100
for w in "${seen[@]}"; do
    (( prev - w <= 25 && w <= prev )) || fail "a's weight jumped or rose: ${seen[*]}"
    prev=$w
done
(( ${#seen[@]} >= 5 )) || fail "a reached its target in fewer than 4 steps: ${seen[*]}"
weight_is b 100 || fail "b moved: $(stat)"
echo "2. a at 90 % CPU: weights ${seen[*]} (at most 25 a step), b at 100"
# requests through HAProxy: b now takes about 100/119 of them
for _ in $(seq 60); do "$python" - "$front" <<'PY' || fail "a request through HAProxy failed"
import sys, urllib.request
urllib.request.urlopen("http://127.0.0.1:%s/" % sys.argv[1], timeout=5).read()
PY
done
count_a=$(field a 5); count_b=$(field b 5)
(( count_b >= 3 * count_a )) || fail "HAProxy did not favour b: a=$count_a b=$count_b"
echo "   60 requests through HAProxy: a=$count_a b=$count_b"

# --- 3. load gone: back up in bounded steps ----------------------------------------
echo 0 > "$work/a/load"
sleep 1.2
w1=$(field a 3)
(( w1 <= 19 + 25 )) || fail "a climbed more than one step in one interval: $w1"
wait_for 10 weight_is a 100 || fail "a did not come back to 100: $(stat)"
echo "3. load gone: a back to 100 (after one interval: $w1)"

# --- 4. drain and ready --------------------------------------------------------------
"$python" "$agent" state --config "$work/a/agent.json" drain > /dev/null
wait_for 5 status_like a 'DRAIN*' || fail "agent drain: $(stat)"
"$python" "$agent" state --config "$work/a/agent.json" ready > /dev/null
wait_for 5 status_like a 'UP' || fail "agent ready: $(stat)"
sleep 3.5  # past ready_announce: the agent answers weights only
cli "set server api_servers/b state drain"
sleep 2.5  # two agent checks of b
status_like b 'DRAIN*' || fail "b's operator drain was undone by its agent: $(stat)"
cli "set server api_servers/b state ready"
wait_for 5 status_like b 'UP' || fail "b ready: $(stat)"
echo "4. drain/ready through the agent; an operator's drain through HAProxy survives the agent's replies"

# --- 5. a's agent dies: the fallback restores the static weight ----------------------
echo 0.9 > "$work/a/load"
wait_for 15 weight_is a 19 || fail "a not loaded again: $(stat)"
kill "$(cat "$work/a/pid")"
wait_for 5 agent_is a L4CON || fail "a's agent not seen down: $(stat)"
weight_is a 19 || fail "HAProxy changed a's weight by itself: $(stat)"
plan=$("$python" "$agent" fallback --socket "$work/admin.sock" --once)
[[ $plan == '[["api_servers", "a", 100]]' ]] || fail "fallback plan: $plan"
weight_is a 100 || fail "the fallback did not restore a: $(stat)"
[[ $("$python" "$agent" fallback --socket "$work/admin.sock" --once) == '[]' ]] || fail "fallback not idempotent"
# the daemon form: a loaded again with its agent back, killed again, the loop restores it
start_agent a
wait_for 15 weight_is a 19 || fail "a's agent back: $(stat)"
hsc_background "$python" "$agent" fallback --socket "$work/admin.sock" --interval 1 > "$work/fallback.log" 2>&1
sleep 1.5
weight_is a 19 || fail "the fallback touched a server whose agent answers: $(stat)"
kill "$(cat "$work/a/pid")"
wait_for 8 weight_is a 100 || fail "the fallback loop did not restore a: $(stat)"
grep -q "api_servers/a: agent does not answer, static weight 100" "$work/fallback.log" || fail "fallback log"
weight_is b 100 || fail "b: $(stat)"
echo "5. a's agent killed: HAProxy kept 19, the fallback (once and as a loop) restored 100"

# --- 6. a's load cannot be read: after 5 intervals the agent goes silent -------------
start_agent a
wait_for 15 weight_is a 19 || fail "a's agent back once more: $(stat)"
touch "$work/a/frozen"; rm -f "$work/a/proc/stat"
wait_for 12 weight_is a 100 || fail "a stale agent kept its weight: $(stat)"
agent_a_status=$(field a 4)
[[ $agent_a_status != CHECKED ]] || fail "HAProxy still counts a stale agent as answering: $(stat)"
grep -q "cannot read the load" "$work/agent-a.log" || fail "the agent did not say why"
echo "6. a's load unreadable: its agent went silent ($agent_a_status), the fallback restored 100"

# --- bad settings are refused before the agent starts ------------------------------
echo '{"min_weight": 90, "max_weight": 20, "interval": 0.5}' > "$work/bad.json"
if "$python" "$agent" agent --config "$work/bad.json" > "$work/bad.log" 2>&1; then fail "bad settings accepted"; fi
grep -q "min_weight 90 is above max_weight 20" "$work/bad.log" || fail "$(cat "$work/bad.log")"
grep -q "interval must be at least 1" "$work/bad.log" || fail "$(cat "$work/bad.log")"
echo "feedback_agent: ok"
