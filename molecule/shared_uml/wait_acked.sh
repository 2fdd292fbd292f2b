#!/usr/bin/env bash
# Wait, ON THE LAB'S CLIENT NODE (dc1), until every named writer of
# clients.sh has had a record acknowledged after a point in time, through
# `umlctl ssh dc1 bash -s -- ARGS < wait_acked.sh`:
#   wait_acked.sh SINCE SECONDS NAME...
# SINCE is an epoch on dc1's clock (the failure), SECONDS the longest wait,
# each NAME an acknowledgement file of clients.sh without its directory and
# suffix (TAG-nfs, TAG-nfs3, TAG-smb). A drill stops its clients only after
# this: a fixed pause after the first group answers is too short for a
# writer still stuck in a call to the old owner (smbclient's connect to a
# dead VIP takes up to its 15 s timeout) or for a group that starts later.
# Prints "NAME COUNT" per writer, COUNT its records acknowledged after SINCE;
# exits 0 either way: the drill's assertion judges, with the whole report.
set -u
since=$1 seconds=$2
shift 2
case $since in ''|*[!0-9.]*) echo "SINCE must be an epoch" >&2; exit 2 ;; esac
case $seconds in ''|*[!0-9]*) echo "SECONDS must be a number" >&2; exit 2 ;; esac
(( $# > 0 )) || { echo "name at least one writer" >&2; exit 2; }
for name in "$@"; do
  case $name in ''|*[!a-z0-9-]*) echo "bad writer name: $name" >&2; exit 2 ;; esac
done
out=/root/hsc-drill

# after NAME: how many records NAME had acknowledged after SINCE
after() {
  if [ -r "$out/$1.ack" ]; then
    awk -v t="$since" '$1 > t { n++ } END { print n + 0 }' "$out/$1.ack"
  else
    echo 0
  fi
}

end=$((SECONDS + seconds))
while :; do
  waiting=0
  for name in "$@"; do
    (( $(after "$name") > 0 )) || waiting=1
  done
  (( waiting == 0 )) && break
  (( SECONDS < end )) || break
  sleep 0.5
done
for name in "$@"; do echo "$name $(after "$name")"; done
