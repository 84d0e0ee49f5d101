#!/usr/bin/env bash
# Reclaim on cgroup v2 measured as v1's was (issue 22, point 3): boots
# Debian's kernel under QEMU TCG with the cgroup v2 VM's initramfs
# (scripts/vm/build-initramfs.sh) and scripts/vm/guest-bench.sh in the
# test's place, then prints the trials and the tables (medians, ratios).
#
#   scripts/vm/bench-v2-reclaim.sh [KERNEL_VERSION] [PHASES] [REPS]
#   (defaults: the newest kernel in /boot, probe,amount,dying,swap, 4)
#   e.g. scripts/vm/bench-v2-reclaim.sh 6.12.107+deb12-amd64
#        scripts/vm/bench-v2-reclaim.sh 6.1.0-57-amd64 probe
#
# Environment: MON_MEMCG_BINARY (skip the build), MMVM_OUT (default
# .build-vm-bench/), MMVM_MEM (guest MiB, default 1536), MMVM_TIMEOUT
# (default 2400 s). Root (modules, apt), x86_64; the same packages as
# scripts/vm/run.sh (run it once to install them).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
here=$repo/scripts/vm
out=${MMVM_OUT:-$repo/.build-vm-bench}
mem=${MMVM_MEM:-1536}
timeout_s=${MMVM_TIMEOUT:-2400}
phases=${2:-probe,amount,dying,swap}
reps=${3:-4}
rd_kb=655360
export PATH="/opt/swift/usr/bin:$PATH"

kver=${1:-}
if [ -z "$kver" ]; then
    kver=$(ls /boot/vmlinuz-* | sed 's|/boot/vmlinuz-||' | sort -V | tail -n 1)
fi
kernel=/boot/vmlinuz-$kver
[ -r "$kernel" ] || { echo "no $kernel (apt-get install linux-image-$kver)" >&2; exit 1; }

mkdir -p "$out"
# A static busybox for the guest: the installed one, or busybox-static's
# unpacked into OUT (without installing it: it replaces Debian's busybox).
if ! file -L "$(command -v busybox)" | grep -q 'statically linked'; then
    if [ ! -x "$out/busybox-static/bin/busybox" ]; then
        (cd "$out" && rm -f busybox-static_*.deb && apt-get download busybox-static >/dev/null && dpkg-deb -x busybox-static_*.deb busybox-static)
    fi
    export PATH="$out/busybox-static/bin:$PATH"
fi
binary=$("$here/release-binary.sh" "$out")
MMVM_RD_KB=$rd_kb MMVM_GUEST_SCRIPT=$here/guest-bench.sh "$here/build-initramfs.sh" "$out" "$binary" "$kver"

console=$out/console-$kver.log
echo "== booting $kernel (tcg, ${mem} MiB, phases: $phases, $reps repetitions); load: $(cut -d' ' -f1-3 /proc/loadavg)"
started=$(date +%s)
set +e
"$here/boot.sh" "$console" "$timeout_s" "$mem" 1 "$kernel" "$out/initramfs.cpio" \
    "console=ttyS0 quiet loglevel=3 panic=-1 MMVM_RD_KB=$rd_kb MMVM_BENCH=$phases MMVM_REPS=$reps ${MMVM_EXTRA:-}"
status=$?
set -e
echo "VM took $(( $(date +%s) - started )) s (qemu status $status); load after: $(cut -d' ' -f1-3 /proc/loadavg); console: $console"
grep -q '^MMVM-DONE' "$console" || { echo "the guest did not finish"; tail -n 40 "$console"; exit 1; }
grep '^MMVM error' "$console" && exit 1
/usr/bin/python3 "$here/bench-v2-report.py" "$console"
