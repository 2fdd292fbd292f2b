#!/usr/bin/env bash
# Build the Tier 3 VM base image (Debian 12, real kernel with DRBD 8.4).
# Everything the scenario needs is baked in: a TCG guest never runs apt.
# Output (in $HSC_VM_STATE, default lab/vm/state): base.qcow2, vmlinuz,
# initrd.img, id_ed25519(.pub). Rebuilt only when packages.txt or this
# script changes (the key is stored beside the image).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
STATE=${HSC_VM_STATE:-$HERE/state}
MIRROR=${HSC_VM_MIRROR:-http://deb.debian.org/debian}
SIZE=${HSC_VM_DISK_SIZE:-3G}
mkdir -p "$STATE"
KEY=$(cat "$HERE/packages.txt" "$0" | sha256sum | cut -c1-16)
if [[ -f $STATE/base.qcow2 && -f $STATE/image.key && $(cat "$STATE/image.key") == "$KEY" ]]; then
  echo "base image up to date ($KEY)"
  exit 0
fi
for tool in debootstrap qemu-img mkfs.ext4 ssh-keygen; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install debootstrap qemu-utils e2fsprogs openssh-client)" >&2; exit 1; }
done
[[ -f $STATE/id_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C hsc-lab-vm -f "$STATE/id_ed25519"
ROOTFS=$STATE/rootfs
rm -f "$STATE/base.raw" "$STATE/base.qcow2"
PKGS=$(grep -v '^#' "$HERE/packages.txt" | paste -sd, -)
# a finished debootstrap of the same package list is reused (an interrupted
# build resumes at the configuration)
if [[ ! -f $ROOTFS/.hsc-debootstrap-$KEY ]]; then
  rm -rf "$ROOTFS"
  debootstrap --variant=minbase --include="$PKGS" bookworm "$ROOTFS" "$MIRROR"
  touch "$ROOTFS/.hsc-debootstrap-$KEY"
fi

# --- guest configuration ---------------------------------------------------
install -d -m 700 "$ROOTFS/root/.ssh"
install -m 600 "$STATE/id_ed25519.pub" "$ROOTFS/root/.ssh/authorized_keys"
printf 'PermitRootLogin prohibit-password\nUseDNS no\nPasswordAuthentication no\n' \
  > "$ROOTFS/etc/ssh/sshd_config.d/hsc-lab.conf"
printf '/dev/vda / ext4 defaults,noatime 0 1\n' > "$ROOTFS/etc/fstab"
: > "$ROOTFS/etc/machine-id"
rm -f "$ROOTFS/etc/corosync/corosync.conf"
printf 'nameserver 10.0.2.3\n' > "$ROOTFS/etc/resolv.conf"
cat > "$ROOTFS/etc/hosts" <<'HOSTS'
127.0.0.1 localhost
10.99.0.11 node1
10.99.0.12 node2
HOSTS
# eth0: QEMU user network (DHCP, ssh port forward); eth1: private link
install -d "$ROOTFS/etc/systemd/network"
printf '[Match]\nName=eth0\n[Network]\nDHCP=ipv4\n' > "$ROOTFS/etc/systemd/network/10-eth0.network"
# hostname and the private address come from the kernel command line:
# hsc.hostname=node1 hsc.addr=10.99.0.11/24
cat > "$ROOTFS/usr/local/sbin/hsc-lab-net" <<'NET'
#!/bin/sh
for arg in $(cat /proc/cmdline); do
  case $arg in
    hsc.hostname=*) hostname "${arg#*=}"; echo "${arg#*=}" > /etc/hostname ;;
    hsc.addr=*) ip link set eth1 up; ip addr replace "${arg#*=}" dev eth1 ;;
  esac
done
NET
chmod 755 "$ROOTFS/usr/local/sbin/hsc-lab-net"
cat > "$ROOTFS/etc/systemd/system/hsc-lab-net.service" <<'UNIT'
[Unit]
Description=hastorage lab: hostname and private link from the kernel command line
Before=network-pre.target corosync.service pcsd.service
Wants=network-pre.target
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/hsc-lab-net
RemainAfterExit=yes
[Install]
WantedBy=multi-user.target
UNIT
chroot "$ROOTFS" systemctl enable hsc-lab-net.service systemd-networkd.service serial-getty@ttyS0.service >/dev/null 2>&1
# what costs minutes of TCG boot and is not needed: e2scrub_reap alone took
# 3.5 min on a loaded host; pcsd is not used (the scenario forms the cluster
# from corosync.conf and drives the CIB with pcs -f / cibadmin locally)
chroot "$ROOTFS" systemctl disable apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer \
  e2scrub_reap.service fstrim.timer pcsd.service pcsd-ruby.service man-db.timer >/dev/null 2>&1 || true
# the kernel module is loaded on demand by drbdadm; load it at boot so that
# `drbdadm --version` reports the 8.4 kernel dialect from the first task on
echo drbd > "$ROOTFS/etc/modules-load.d/drbd.conf"
cp -L "$ROOTFS"/boot/vmlinuz-* "$STATE/vmlinuz"
cp -L "$ROOTFS"/boot/initrd.img-* "$STATE/initrd.img"
chmod 644 "$STATE/vmlinuz" "$STATE/initrd.img"
rm -rf "$ROOTFS/var/cache/apt/archives/"*.deb "$ROOTFS/var/lib/apt/lists/"* "$ROOTFS"/.hsc-debootstrap-*
mkfs.ext4 -q -F -L root -d "$ROOTFS" "$STATE/base.raw" "$SIZE"
qemu-img convert -O qcow2 "$STATE/base.raw" "$STATE/base.qcow2"
rm -rf "$STATE/base.raw" "$ROOTFS"
echo "$KEY" > "$STATE/image.key"
echo "built $STATE/base.qcow2 ($KEY)"
