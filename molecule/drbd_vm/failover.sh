#!/usr/bin/env bash
# Kill the primary VM while a writer streams fsync'ed writes through it, and
# measure how long until the survivor serves again (DRBD Primary, /srv/data
# mounted, VIP up).
#   failover.sh PRIMARY SURVIVOR OUTDIR
# OUTDIR/acked.txt: one line "<n> <sha256>" per write whose fsync returned
# (with protocol C the write is then on both nodes' disks). Prints JSON.
set -euo pipefail
VMCTL=$(cd "$(dirname "$0")/../../lab/vm" && pwd)/vmctl
primary=$1 survivor=$2 out=$3
mkdir -p "$out"
: > "$out/acked.txt"
# shellcheck disable=SC2016  # expanded by the guest's shell, not here
"$VMCTL" ssh "$primary" 'i=0; while :; do i=$((i+1)); f=/srv/data/ack-$i;
  head -c 8192 /dev/urandom | dd of=$f bs=8192 iflag=fullblock conv=fsync status=none || exit 1;
  echo "$i $(sha256sum < $f | cut -d" " -f1)"; done' >> "$out/acked.txt" 2>/dev/null &
writer=$!
sleep "${HSC_WRITE_SECONDS:-20}"
t0=$(date +%s.%N)
"$VMCTL" kill "$primary" >/dev/null
wait "$writer" 2>/dev/null || true
deadline=$((SECONDS + ${HSC_FAILOVER_TIMEOUT:-900}))
until "$VMCTL" ssh "$survivor" 'grep -q "ro:Primary" /proc/drbd && mountpoint -q /srv/data && ip -o addr show eth1 | grep -q " 10.99.0.100/"' 2>/dev/null; do
  if (( SECONDS > deadline )); then
    echo "{\"error\": \"no failover within ${HSC_FAILOVER_TIMEOUT:-900} s\", \"acked\": $(grep -cE '^[0-9]+ [0-9a-f]{64}$' "$out/acked.txt" || true)}"
    exit 1
  fi
  sleep 1
done
t1=$(date +%s.%N)
grep -E '^[0-9]+ [0-9a-f]{64}$' "$out/acked.txt" > "$out/acked.clean" || true
python3 -c "import json,sys; print(json.dumps({'acked': int(sys.argv[1]), 'failover_seconds': round(float(sys.argv[3]) - float(sys.argv[2]), 1)}))" "$(wc -l < "$out/acked.clean")" "$t0" "$t1"
