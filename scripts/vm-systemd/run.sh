#!/usr/bin/env bash
# The RPM on a real systemd host: boots Debian's kernel under QEMU (software
# emulation: KVM does not work on these machines) with a Debian 12 userland
# (mmdebstrap: systemd, rpm) as its initramfs, systemd as PID 1 on the
# cgroup v1 hierarchy, and runs scripts/vm-systemd/guest-test.sh there: rpm
# -i and its scriptlets, the oneshot in its real sandbox, the timer's
# schedule, the daemon's Type=notify, reload and watchdog, rpm -e.
#
#   scripts/vm-systemd/run.sh [RPM UPGRADE_RPM]
#
# Default: build the RPM with scripts/build-rpm.sh, and an upgrade of it by
# rebuilding its SRPM with Release 1.mmvm2 (for rpm -U and %postun).
#
# Environment: MMSD_OUT (work directory, default .build-vm-systemd/),
# MMSD_TIMEOUT (seconds for boot and test, default 600), MMSD_MEM (guest
# MiB, default 2048). Exit status: 0 all passed, 1 a failure, 77 skipped
# (the reason is printed: not x86_64, not root, nothing installable).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
here=$repo/scripts/vm-systemd
out=${MMSD_OUT:-$repo/.build-vm-systemd}
timeout_s=${MMSD_TIMEOUT:-600}
mem=${MMSD_MEM:-2048}
mirror=${MMSD_MIRROR:-http://deb.debian.org/debian}
export PATH="/opt/swift/usr/bin:$PATH"

skip() { echo "SKIP systemd VM test: $*"; exit 77; }
[ "$(uname -m)" = x86_64 ] || skip "needs an x86_64 host (uname -m: $(uname -m))"
[ "$(id -u)" = 0 ] || skip "needs root (mmdebstrap into a directory, device nodes)"

kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1 || true)
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
command -v cpio >/dev/null || need+=(cpio)
command -v rpmbuild >/dev/null || need+=(rpm)
[ -n "$kernel" ] || need+=(linux-image-amd64)
if [ ${#need[@]} -gt 0 ]; then
    command -v apt-get >/dev/null || skip "missing ${need[*]} and no apt-get"
    echo "installing: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q "${need[@]}" >/dev/null || skip "apt-get install ${need[*]} failed"
    kernel=$(ls /boot/vmlinuz-* | sort -V | tail -n 1)
fi

rm -rf "$out"
mkdir -p "$out"
rpm_file=${1:-}
upgrade_file=${2:-}
if [ -z "$rpm_file" ]; then
    echo "== scripts/build-rpm.sh, and the same SRPM rebuilt as Release 1.mmvm2"
    "$repo/scripts/build-rpm.sh" "$out/dist" > "$out/build-rpm.log" 2>&1 || { tail -n 40 "$out/build-rpm.log"; exit 1; }
    rpm_file=$(find "$out/dist" -name '*.rpm' ! -name '*.src.rpm' | head -n 1)
    srpm=$(find "$out/dist" -name '*.src.rpm' | head -n 1)
    macros=()
    [ -n "$(rpm --eval '%{?_unitdir}')" ] || macros=(--load "$repo/packaging/rpm/debian-compat.macros" --nodeps)
    mkdir -p "$out/rebuild/home"
    HOME=$out/rebuild/home rpmbuild --rebuild "${macros[@]}" --define "_topdir $out/rebuild" --define "dist .mmvm2" "$srpm" \
        > "$out/rebuild.log" 2>&1 || { tail -n 40 "$out/rebuild.log"; exit 1; }
    upgrade_file=$(find "$out/rebuild/RPMS" -name '*.rpm' | head -n 1)
fi
[ -f "$rpm_file" ] || { echo "no RPM at '$rpm_file'" >&2; exit 1; }
[ -f "$upgrade_file" ] || { echo "no upgrade RPM at '$upgrade_file'" >&2; exit 1; }

# The guest's root: Debian 12, minbase plus systemd and rpm; no docs, man
# pages or locales (every byte is unpacked by an emulated CPU at boot).
echo "== mmdebstrap bookworm (systemd, rpm)"
root=$out/root
t0=$(date +%s)
mmdebstrap --variant=minbase --include=systemd,systemd-sysv,rpm,logrotate,procps,e2fsprogs,kmod \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    bookworm "$root" "$mirror" > "$out/mmdebstrap.log" 2>&1 || { tail -n 30 "$out/mmdebstrap.log"; exit 1; }
echo "   $(du -sh "$root" | cut -f1) in $(( $(date +%s) - t0 )) s"

install -D -m 0644 "$rpm_file" "$root/mmvm/mon_memcg.rpm"
install -D -m 0644 "$upgrade_file" "$root/mmvm/mon_memcg-upgrade.rpm"
# A RAM block device with ext4 for the session's page cache: the root here
# is the initramfs (tmpfs), whose pages no reclaim can free.
kver=${kernel#/boot/vmlinuz-}
"$repo/scripts/vm/copy-modules.sh" "$kver" "$root/mmvm/modules" brd crc16 mbcache jbd2 crc32c_generic ext4
install -D -m 0755 "$here/guest-test.sh" "$root/mmvm/guest-test.sh"
cat > "$root/etc/systemd/system/mmvm-test.service" <<'UNIT'
[Unit]
Description=mon_memcg systemd VM test
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/mmvm/guest-test.sh
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
[Install]
WantedBy=multi-user.target
UNIT
ln -s /etc/systemd/system/mmvm-test.service "$root/etc/systemd/system/multi-user.target.wants/mmvm-test.service"
# No login prompt on the console the test writes to.
ln -sf /dev/null "$root/etc/systemd/system/serial-getty@ttyS0.service"
ln -sf /dev/null "$root/etc/systemd/system/getty@tty1.service"
echo mmvm > "$root/etc/hostname"

echo "== initramfs (cpio)"
(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) > "$out/initramfs.cpio"
echo "   $(du -h "$out/initramfs.cpio" | cut -f1)"

echo "== booting $kernel with systemd (tcg, ${mem} MiB, timeout ${timeout_s} s)"
console=$out/console.log
started=$(date +%s)
set +e
"$repo/scripts/vm/boot.sh" "$console" "$timeout_s" "$mem" 2 "$kernel" "$out/initramfs.cpio" \
    "console=ttyS0 rdinit=/sbin/init systemd.unified_cgroup_hierarchy=0 systemd.show_status=0 quiet loglevel=3 panic=-1"
qemu_status=$?
set -e
echo "VM boot+test took $(( $(date +%s) - started )) s (qemu status $qemu_status); console: $console"

grep -E '^(ok|not ok) - |^  |^MMVMSD' "$console" || true
done_line=$(grep '^MMVMSD-DONE ' "$console" | tail -n 1)
if [ -z "$done_line" ]; then
    echo "not ok - the guest did not finish its test (no MMVMSD-DONE)"
    tail -n 60 "$console"
    exit 1
fi
passed=$(sed 's/.*passed=\([0-9]*\).*/\1/' <<<"$done_line")
failed=$(sed 's/.*failed=\([0-9]*\).*/\1/' <<<"$done_line")
echo "systemd-vm: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
