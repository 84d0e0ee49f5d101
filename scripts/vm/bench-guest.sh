#!/usr/bin/env bash
# Boots one benchmark guest for the VM benchmarks (scripts/vm/bench-*.sh):
# the cgroup v2 VM's initramfs (scripts/vm/build-initramfs.sh) with the
# release binary and GUEST_SCRIPT in the test's place, under QEMU TCG. A
# static busybox comes from the system, or from busybox-static's package
# unpacked into OUT (not installed: it would replace Debian's busybox).
# Fails unless the guest printed MMVM-DONE and no "MMVM error" line; prints
# the console's path on its last line. WHAT describes the run in the
# "== booting" line.
#
#   scripts/vm/bench-guest.sh OUT KERNEL_VERSION GUEST_SCRIPT DEFAULT_TIMEOUT_S WHAT APPEND
#
# Environment: MMVM_MEM (guest MiB, default 1536), MMVM_TIMEOUT (seconds,
# default DEFAULT_TIMEOUT_S), MMVM_RD_KB (the guest's RAM disk,
# build-initramfs.sh), MON_MEMCG_BINARY (skip the build).
set -euo pipefail
[ $# = 6 ] || { echo "usage: $0 OUT KERNEL_VERSION GUEST_SCRIPT DEFAULT_TIMEOUT_S WHAT APPEND" >&2; exit 64; }
out=$1 kver=$2 guest=$3 timeout_s=${MMVM_TIMEOUT:-$4} what=$5 append=$6
mem=${MMVM_MEM:-1536}
here=$(cd "$(dirname "$0")" && pwd)
kernel=/boot/vmlinuz-$kver
[ -r "$kernel" ] || { echo "no $kernel (apt-get install linux-image-$kver)" >&2; exit 1; }
mkdir -p "$out"
if ! file -L "$(command -v busybox)" | grep -q 'statically linked'; then
    if [ ! -x "$out/busybox-static/bin/busybox" ]; then
        (cd "$out" && rm -f busybox-static_*.deb && apt-get download busybox-static >/dev/null && dpkg-deb -x busybox-static_*.deb busybox-static)
    fi
    export PATH="$out/busybox-static/bin:$PATH"
fi
binary=$("$here/release-binary.sh" "$out")
MMVM_GUEST_SCRIPT=$guest "$here/build-initramfs.sh" "$out" "$binary" "$kver" >&2
console=$out/console-$kver.log
echo "== booting $kver (tcg, ${mem} MiB, $what); load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
started=$(date +%s)
set +e
"$here/boot.sh" "$console" "$timeout_s" "$mem" 1 "$kernel" "$out/initramfs.cpio" "console=ttyS0 quiet loglevel=3 panic=-1 $append"
status=$?
set -e
echo "VM took $(( $(date +%s) - started )) s (qemu status $status); load after: $(cut -d' ' -f1-3 /proc/loadavg); console: $console" >&2
grep -q '^MMVM-DONE' "$console" || { echo "the guest did not finish" >&2; tail -n 40 "$console" >&2; exit 1; }
if grep '^MMVM error' "$console" >&2; then exit 1; fi
echo "$console"
