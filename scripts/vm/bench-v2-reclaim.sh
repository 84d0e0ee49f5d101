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
phases=${2:-probe,amount,dying,swap}
reps=${3:-4}
rd_kb=655360
export PATH="/opt/swift/usr/bin:$PATH"

kver=${1:-}
if [ -z "$kver" ]; then
    kver=$(ls /boot/vmlinuz-* | sed 's|/boot/vmlinuz-||' | sort -V | tail -n 1)
fi
console=$(MMVM_RD_KB=$rd_kb "$here/bench-guest.sh" "${MMVM_OUT:-$repo/.build-vm-bench}" "$kver" "$here/guest-bench.sh" 2400 \
    "phases: $phases, $reps repetitions" \
    "MMVM_RD_KB=$rd_kb MMVM_BENCH=$phases MMVM_REPS=$reps ${MMVM_EXTRA:-}" | tail -n 1)
/usr/bin/python3 "$here/bench-v2-report.py" "$console"
