#!/bin/sh
# pr_writer LOG SECONDS DEVICE...: every 0.5 s one 4 KiB direct, synchronous
# write to each DEVICE (at 32 MiB, away from anything else), for SECONDS.
# Two lines per write, each fsynced (the node may be reset any moment), one
# before it and one when it returns; a write held until the node is reset
# has only the first:
#   <epoch seconds> <device name> begin
#   <epoch seconds> <device name> <dd exit code> <dd's error, if any>
log=$1
secs=$2
shift 2
end=$(( $(date +%s) + secs ))
while [ "$(date +%s)" -lt "$end" ]; do
  for dev in "$@"; do
    printf '%s %s begin\n' "$(date +%s.%N)" "$(basename "$dev")" >> "$log"
    sync "$log"
    err=$(dd if=/dev/zero of="$dev" bs=4096 count=1 seek=8192 oflag=direct,dsync conv=notrunc status=none 2>&1)
    rc=$?
    printf '%s %s %s %s\n' "$(date +%s.%N)" "$(basename "$dev")" "$rc" "$(printf '%s' "$err" | tr '\n' ' ')" >> "$log"
    sync "$log"
  done
  sleep 0.5
done
