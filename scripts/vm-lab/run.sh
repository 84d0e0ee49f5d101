#!/usr/bin/env bash
# The efficacy lab on cgroup v2: boots Debian's newest installed kernel
# (6.12 here) under QEMU/TCG with scripts/vm's initramfs and
# scripts/vm-lab/guest-lab.sh as its test, runs the cells asked for (each
# a scenario, scaled to the guest, under one arm), and turns the console
# into CSV and a table.
#
#   scripts/vm-lab/run.sh [OUTDIR]     default OUTDIR: .build-vm-lab/
#
# Environment: MON_MEMCG_BINARY (skip the build), MMVM_KERNEL (another
# installed kernel), MMVM_LRU_GEN (what the guest writes to
# /sys/kernel/mm/lru_gen/enabled, default 0: the classic LRU), MMVM_CELLS
# (SCENARIO:ARM,... in the order run, e.g. s2:none,s3:watch; scenarios s1
# s2 s3 s4, arms none timer watch watch-memhigh flusher; watch-memhigh is
# watch with memory_high = on), MMVM_ARMS (default none,watch:
# scenario 1 under each, when MMVM_CELLS is not set), MMVM_MEM (guest MiB,
# default 1024 for scenario 1 alone, 1536 when s2, s3 or s4 runs: their
# files live on the guest's RAM disk and in its page cache at once),
# MMVM_TIMEOUT (default 600 s, plus 150 s per s2/s3/s4 cell), MMVM_CPUS
# (the guest's vCPUs, default 1; 2 lets the agent and a burst run side by
# side as on a node, and takes both of this machine's cores).
# Exit: 0 the quick check passed (scripts/vm-lab/summary.py says what it
# checks), 1 it did not, 77 skipped (the reason is printed: not x86_64, no
# kernel/qemu and none installable; scripts/vm/needs.sh installs them as root).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$repo/.build-vm-lab}
lru_gen=${MMVM_LRU_GEN:-0}
arms=${MMVM_ARMS:-none,watch}
cells=${MMVM_CELLS:-$(echo "$arms" | tr , '\n' | sed 's/^/s1:/' | paste -sd,)}
[[ $cells =~ ^(s[1234]:(none|timer|watch|watch-memhigh|flusher),)*s[1234]:(none|timer|watch|watch-memhigh|flusher)$ ]] \
    || { echo "MMVM_CELLS='$cells': expected SCENARIO:ARM,... with scenarios s1 s2 s3 s4 and arms none timer watch watch-memhigh flusher" >&2; exit 2; }
big=$(tr , '\n' <<<"$cells" | grep -c -v '^s1:' || true)
if [ "$big" -gt 0 ]; then mem=${MMVM_MEM:-1536}; rd_kb=524288; else mem=${MMVM_MEM:-1024}; rd_kb=393216; fi
timeout_s=${MMVM_TIMEOUT:-$((600 + 150 * big))}
cpus=${MMVM_CPUS:-1}
[[ $cpus =~ ^[1-8]$ ]] || { echo "MMVM_CPUS='$cpus': expected 1 to 8" >&2; exit 2; }
export PATH="/opt/swift/usr/bin:$PATH"
skip() { echo "SKIP efficacy v2 VM: $*"; exit 77; }
. "$repo/scripts/vm/needs.sh"
vm_needs
kver=${MMVM_KERNEL:-$(newest_kernel)}
[ -r "/boot/vmlinuz-$kver" ] || skip "no kernel /boot/vmlinuz-$kver (MMVM_KERNEL: one of $(ls /boot | sed -n 's/^vmlinuz-//p' | paste -sd' '))"

mkdir -p "$out"
binary=$("$repo/scripts/vm/release-binary.sh" "$out")
MMVM_GUEST_SCRIPT=$repo/scripts/vm-lab/guest-lab.sh MMVM_RD_KB=$rd_kb \
    "$repo/scripts/vm/build-initramfs.sh" "$out" "$binary" "$kver" >/dev/null
console=$out/console.log
echo "== booting /boot/vmlinuz-$kver (tcg, $cpus vCPU, $mem MiB, lru_gen=$lru_gen, cells $cells)"
started=$(date +%s)
boot() {
    set +e
    "$repo/scripts/vm/boot.sh" "$console" "$timeout_s" "$mem" "$cpus" "/boot/vmlinuz-$kver" "$out/initramfs.cpio" \
        "console=ttyS0 quiet loglevel=3 panic=-1 MMVM_RD_KB=$rd_kb MMVM_LRU_GEN=$lru_gen MMVM_CELLS=$cells"
    status=$?
    set -e
}
boot
# Under TCG on a loaded host the kernel's timer check can fail before init
# (seen once here: "IO-APIC + timer doesn't work!" at 0.004 s); that boot
# says nothing about the lab, so it is tried once more.
if grep -q "IO-APIC + timer doesn't work" "$console"; then
    echo "the guest's timer check failed at boot (a TCG timing flake); booting once more"
    boot
fi
echo "VM took $(( $(date +%s) - started )) s (qemu status $status); console: $console"
grep -q '^MMVM-DONE' "$console" || { tail -n 40 "$console"; echo "FAIL: the guest did not finish"; exit 1; }
grep '^MMVM error' "$console" && { echo "FAIL: guest errors (above)"; exit 1; }
# the binary's first and second start in this boot, before the first cell (guest-lab.sh)
grep '^MMVM warmup' "$console" | sed 's/^MMVM //' || true

/usr/bin/python3 "$repo/scripts/vm-lab/summary.py" "$console" "$out" "$kver" "$lru_gen" "$mem"
