#!/usr/bin/env bash
# End-to-end check of the UML lab (lab/umlctl), with timings:
#   1. a 2-node lab boots; both nodes answer ssh from the host
#   2. DRBD 8.4 (the UML kernel's module) connects node1 <-> node2 over the
#      replication network; data written with fsync on node1 reads back with
#      the same checksum on node2 after a hand-over
#   3. fence_uml_lab run INSIDE node1 powers node2 off (its UML process tree
#      is gone on the host) and on again (node2 answers ssh again)
#   4. freeze: a frozen node answers nothing, thaw brings it back, and the
#      fence agent's off kills a frozen node
#   5. partition/heal of the replication link
# The lab is removed at the end (also on failure).
#   lab/uml/smoke.sh [LAB_NAME]        (default hsc-uml-smoke)
set -euo pipefail
lab=${1:-hsc-uml-smoke}
umlctl=$(cd "$(dirname "$0")/.." && pwd)/umlctl
u() { "$umlctl" --name "$lab" "$@"; }
t() { date +%s.%N; }
since() { python3 -c 'import sys; print("%.1f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$1" "$(t)"; }
say() { printf 'smoke: %s\n' "$*" >&2; }
fail() { say "FAILED: $*"; exit 1; }
trap 'u down >/dev/null 2>&1 || true' EXIT

t0=$(t)
u up --nodes 2 >/dev/null
say "1. lab up, 2 nodes, both ssh: $(since "$t0") s"
for n in node1 node2; do
    [ "$(u ssh "$n" hostname)" = "$n" ] || fail "ssh $n"
done

state=$(u state)
field() { python3 -c 'import json,sys; s=json.load(sys.stdin); print(eval(sys.argv[1], {"s": s}))' "$1" <<<"$state"; }
ip1=$(field 's["nodes"][0]["repl_ip"]')
ip2=$(field 's["nodes"][1]["repl_ip"]')
disk=$(field 's["nodes"][0]["disks"][0]["device"]')
fence_ip=$(field 's["fence"]["ip"]')
fence_port=$(field 's["fence"]["port"]')

t0=$(t)
res="resource r0 { protocol C; device /dev/drbd0; disk $disk; meta-disk internal;
  on node1 { address $ip1:7789; } on node2 { address $ip2:7789; } }"
for n in node1 node2; do
    u ssh "$n" "modprobe drbd && cat > /etc/drbd.d/r0.res && drbdadm create-md --force r0 >/dev/null 2>&1 && drbdadm up r0" <<<"$res"
done
u ssh node1 'drbdadm wait-connect r0 && drbdadm -- --clear-bitmap new-current-uuid r0 && drbdadm primary r0 &&
    mkfs.ext4 -q /dev/drbd0 && mount /dev/drbd0 /mnt && head -c 50M /dev/urandom > /mnt/f && sync &&
    md5sum < /mnt/f > /root/sum && umount /mnt && drbdadm secondary r0'
sum1=$(u ssh node1 cat /root/sum)
sum2=$(u ssh node2 'drbdadm primary r0 && mount /dev/drbd0 /mnt && md5sum < /mnt/f && umount /mnt && drbdadm secondary r0')
if [ -z "$sum1" ] || [ "$sum1" != "$sum2" ]; then fail "DRBD data differs: '$sum1' '$sum2'"; fi
u ssh node2 'grep -q "cs:Connected ro:Secondary/Secondary ds:UpToDate/UpToDate" /proc/drbd' || fail "DRBD not connected"
say "2. DRBD $(u ssh node1 "sed -n 's/^version: \([0-9.]*\).*/\1/p' /proc/drbd") connected over $ip1 <-> $ip2, 50 MiB handed over node1 -> node2, same md5: $(since "$t0") s"

fence() { u ssh node1 "fence_uml_lab --ip=$fence_ip --ipport=$fence_port --plug=node2 --action=$1"; }
t0=$(t)
fence off >/dev/null
[ "$(u status | awk '$1 == "node2" {print $5}')" = off ] || fail "node2 still powered after fence off"
pgrep -f "hsc-uml:$lab:node2" >/dev/null && fail "node2's processes survived fence off"
say "3. fence_uml_lab off (from node1) of node2: $(since "$t0") s, its process tree is gone"
t0=$(t)
fence on >/dev/null
until u ssh node2 true 2>/dev/null; do sleep 1; done
say "3. fence_uml_lab on: node2 answers ssh again after $(since "$t0") s"

u freeze node2 2>/dev/null
timeout 8 "$umlctl" --name "$lab" ssh node2 true 2>/dev/null && fail "a frozen node answered ssh"
u thaw node2 2>/dev/null
u ssh node2 true || fail "node2 did not come back after thaw"
u freeze node2 2>/dev/null
t0=$(t)
fence status >/dev/null || fail "a frozen node must report on"
fence off >/dev/null
[ "$(u status | awk '$1 == "node2" {print $5}')" = off ] || fail "fence off left a frozen node2 alive"
say "4. freeze/thaw work; fence off of a frozen node: $(since "$t0") s"

fence on >/dev/null
until u ssh node2 true 2>/dev/null; do sleep 1; done
u partition node1 --net repl 2>/dev/null
u ssh node1 "ping -c 2 -W 1 $ip2" >/dev/null 2>&1 && fail "replication link still up after partition"
u ssh node1 "ping -c 1 -W 2 $(field 's["nodes"][1]["ip"]')" >/dev/null || fail "partition of repl cut the net link too"
u heal node1 2>/dev/null
u ssh node1 "ping -c 2 -W 2 $ip2" >/dev/null || fail "replication link not back after heal"
say "5. partition/heal of the replication link work"

t0=$(t)
u down >/dev/null 2>&1
trap - EXIT
[ -z "$(ip -br link | awk -v p="$(python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import umlctl; print(umlctl.link_prefix(sys.argv[2]))' "$(dirname "$umlctl")" "$lab")" 'index($1, p) == 1')" ] || fail "links left after down"
say "down: $(since "$t0") s, nothing left; all checks passed"
