#!/usr/bin/env bash
# What the node's cgroup count costs `status` and a reclaiming `check` on
# cgroup v2 (issue 23): boots Debian's kernel under QEMU TCG with the cgroup
# v2 VM's initramfs (scripts/vm/build-initramfs.sh) and
# scripts/vm/guest-node-size.sh in the test's place, then prints the
# medians of its batches and the ratios, big against none. A TCG guest is
# several times slower than the host: compare within the guest only.
#
#   scripts/vm/bench-node-size-v2.sh [KERNEL_VERSION] [BESIDE] [BELOW]
#   (defaults: the newest kernel in /boot, 10000, 1000)
#
# Environment: MON_MEMCG_BINARY (skip the build), MMVM_OUT (default
# .build-vm-nodesize/), MMVM_MEM (guest MiB, default 1536), MMVM_TIMEOUT
# (default 1200 s), MMVM_RUNS / MMVM_BATCHES (5 / 5). Root, x86_64, the
# packages scripts/vm/run.sh installs (run it once).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
here=$repo/scripts/vm
beside=${2:-10000}
below=${3:-1000}
export PATH="/opt/swift/usr/bin:$PATH"
kver=${1:-$(ls /boot/vmlinuz-* | sed 's|/boot/vmlinuz-||' | sort -V | tail -n 1)}
console=$("$here/bench-guest.sh" "${MMVM_OUT:-$repo/.build-vm-nodesize}" "$kver" "$here/guest-node-size.sh" 1200 \
    "$beside beside, $below below" \
    "MMVM_BESIDE=$beside MMVM_BELOW=$below MMVM_RUNS=${MMVM_RUNS:-5} MMVM_BATCHES=${MMVM_BATCHES:-5}" | tail -n 1)
grep '^MMVM \(kernel\|nodesize made\|status:\|log:\)' "$console"
/usr/bin/python3 - "$console" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) == 6 and f[:2] == ["MMVM", "nodesize"] and f[5].isdigit():
        runs.setdefault((f[2], f[3]), []).append(int(f[5]) / 1000)
for cmd in ("status", "check"):
    a, b = runs.get(("n0", cmd)), runs.get(("big", cmd))
    if not a or not b:
        print(f"{cmd}: missing batches"); continue
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"{cmd:<7} N=0 median {ma:7.1f} ms (batches {min(a):.1f}-{max(a):.1f})  N=big median {mb:7.1f} ms (batches {min(b):.1f}-{max(b):.1f})  ratio {mb/ma:5.2f}x")
# the reclaim write alone, from each check's "reclaim took" line (ms steps)
took = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) >= 3 and f[:2] == ["MMVM", "nodesize-took"]:
        took[f[2]] = [float(x) * 1000 for x in f[3:]]
if took.get("n0") and took.get("big"):
    ta, tb = statistics.median(took["n0"]), statistics.median(took["big"])
    print(f"the reclaim write alone: N=0 median {ta:.0f} ms, N=big median {tb:.0f} ms ({len(took['big'])} checks); "
          f"the check less its write: N=big median {statistics.median(runs[('big', 'check')]) - tb:.1f} ms")
PY
