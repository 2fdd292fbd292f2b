#!/usr/bin/env bash
# Kill the primary UML node (power loss: SIGKILL of its process tree) while a
# writer streams fsync'ed writes through it, and measure how long until the
# survivor serves again (DRBD Primary, /srv/data mounted, VIP up).
#   failover.sh LAB PRIMARY SURVIVOR VIP OUTDIR
# OUTDIR/acked.txt: one line "<n> <sha256>" per write whose fsync returned
# (with protocol C the write is then on both nodes' disks). Prints JSON.
set -euo pipefail
UMLCTL=$(cd "$(dirname "$0")/../../lab" && pwd)/umlctl
lab=$1 primary=$2 survivor=$3 vip=$4 out=$5
mkdir -p "$out"
: > "$out/acked.txt"
# shellcheck disable=SC2016  # expanded by the guest's shell, not here
"$UMLCTL" --name "$lab" ssh "$primary" 'i=0; while :; do i=$((i+1)); f=/srv/data/ack-$i;
  head -c 8192 /dev/urandom | dd of=$f bs=8192 iflag=fullblock conv=fsync status=none || exit 1;
  echo "$i $(sha256sum < $f | cut -d" " -f1)"; done' >> "$out/acked.txt" 2>/dev/null &
writer=$!
sleep "${HSC_WRITE_SECONDS:-10}"
t0=$(date +%s.%N)
"$UMLCTL" --name "$lab" kill "$primary" 2>/dev/null
# the writer's ssh would wait for a dead peer forever: every write it
# reported before the power loss is in acked.txt, none can come after
kill "$writer" 2>/dev/null || true
wait "$writer" 2>/dev/null || true
deadline=$((SECONDS + ${HSC_FAILOVER_TIMEOUT:-300}))
until "$UMLCTL" --name "$lab" ssh "$survivor" "grep -q 'ro:Primary' /proc/drbd && mountpoint -q /srv/data && ip -o addr | grep -q ' $vip/'" 2>/dev/null; do
  if (( SECONDS > deadline )); then
    echo "{\"error\": \"no failover within ${HSC_FAILOVER_TIMEOUT:-300} s\", \"acked\": $(grep -cE '^[0-9]+ [0-9a-f]{64}$' "$out/acked.txt" || true)}"
    exit 1
  fi
  sleep 0.5
done
t1=$(date +%s.%N)
grep -E '^[0-9]+ [0-9a-f]{64}$' "$out/acked.txt" > "$out/acked.clean" || true
python3 -c "import json,sys; print(json.dumps({'acked': int(sys.argv[1]), 'killed_at': float(sys.argv[2]), 'failover_seconds': round(float(sys.argv[3]) - float(sys.argv[2]), 1)}))" "$(wc -l < "$out/acked.clean")" "$t0" "$t1"
