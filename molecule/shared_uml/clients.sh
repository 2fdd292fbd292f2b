#!/usr/bin/env bash
# Drill clients of the scenarios on UML nodes (nas_integrated, nas_gateway),
# run ON THE LAB'S CLIENT NODE (dc1) through
# `umlctl ssh dc1 bash -s -- ARGS < clients.sh`:
#   clients.sh VIP NFS_EXPORT SMB_SHARE SECONDS TAG
# For at most SECONDS, or until /root/hsc-drill/TAG.stop exists (the drill
# creates it once the failover is over), three writers send numbered 4 KiB
# records to the group behind VIP, one record every 0.2 s each:
#   NFS v4.2 and NFS v3, kernel client, hard mounts of NFS_EXPORT: each
#     record is written with dd conv=fsync, as rec-TAG-<n> (v4.2) or
#     rec3-TAG-<n> (v3) (during a failover the write blocks and completes on
#     the survivor);
#   SMB: smbclient puts each record as SMB_SHARE/rec-TAG-<n>, with the
#     credentials of /root/.hsc-drill-auth (smbclient -A; written beforehand
#     through ssh's stdin, 0600, never on a command line).
# A record counts as acknowledged only when the write returned success; each
# acknowledgement is a line "<epoch> <n> <sha256>" in
# /root/hsc-drill/TAG-{nfs,nfs3,smb}.ack on the client's own disk. Prints
# those files at the end, each line prefixed with its protocol (nfs, nfs3,
# smb).
set -u
vip=$1 nfs_export=$2 smb_share=$3 seconds=$4 tag=$5
case $seconds in ''|*[!0-9]*) echo "SECONDS must be a number" >&2; exit 2 ;; esac
(( seconds <= 600 )) || { echo "at most 600 s" >&2; exit 2; }
case $tag in ''|*[!a-z0-9]*) echo "TAG must be lower-case letters and digits" >&2; exit 2 ;; esac
out=/root/hsc-drill
# mounts of their own per TAG: several clients (one per group) run at once
mnt=/mnt/hsc-drill-$tag-nfs
mnt3=/mnt/hsc-drill-$tag-nfs3
mkdir -p "$out" "$mnt" "$mnt3"
if ! mountpoint -q "$mnt"; then
  mount -t nfs -o vers=4.2,hard,timeo=20,retrans=3 "$vip:$nfs_export" "$mnt" || exit 3
fi
# v3 over TCP, mountd and the NLM/statd on the server's fixed ports; nolock:
# the records take no locks (lock reclaim is v4's test)
if ! mountpoint -q "$mnt3"; then
  mount -t nfs -o vers=3,proto=tcp,mountproto=tcp,hard,timeo=20,retrans=3,nolock "$vip:$nfs_export" "$mnt3" || exit 3
fi
rm -f "$out/$tag.stop"
for proto in nfs nfs3 smb; do : > "$out/$tag-$proto.ack"; done
end=$((SECONDS + seconds))

# send_nfs/send_smb FILE N: one record over that protocol; true when acknowledged
send_nfs() {
  dd if="$1" of="$mnt/rec-$tag-$2" bs=4096 conv=fsync status=none 2> /dev/null
}

send_nfs3() {
  dd if="$1" of="$mnt3/rec3-$tag-$2" bs=4096 conv=fsync status=none 2> /dev/null
}

send_smb() {
  timeout 15 smbclient -A /root/.hsc-drill-auth "//$vip/$smb_share" -c "put $1 rec-$tag-$2" > /dev/null 2>&1
}

# writer PROTOCOL: numbered records until the end or the stop file
writer() {
  local proto=$1 i=0 rec sum
  rec=$(mktemp)
  while (( SECONDS < end )) && [ ! -e "$out/$tag.stop" ]; do
    i=$((i + 1))
    head -c 4096 /dev/urandom > "$rec"
    sum=$(sha256sum < "$rec" | cut -d' ' -f1)
    if "send_$proto" "$rec" "$i"; then
      echo "$(date +%s.%N) $i $sum" >> "$out/$tag-$proto.ack"
    fi
    sleep 0.2
  done
  rm -f "$rec"
}

writer nfs &
writer nfs3 &
writer smb &
wait
for m in "$mnt" "$mnt3"; do
  umount "$m" 2> /dev/null || umount -l "$m" 2> /dev/null || true
  rmdir "$m" 2> /dev/null || true
done
for proto in nfs nfs3 smb; do sed "s/^/$proto /" "$out/$tag-$proto.ack"; done
