#!/usr/bin/env bash
# Boots a kernel and initramfs under QEMU for the VM tests (scripts/vm/run.sh,
# scripts/vm-systemd/run.sh) and keeps what the guest wrote to its console.
#
#   scripts/vm/boot.sh CONSOLE TIMEOUT_S MEM_MIB CPUS KERNEL INITRD APPEND
#
# Software emulation (-accel tcg): KVM starts but never boots a kernel on
# these machines. The guest powers off at the end of its test (-no-reboot,
# panic=-1 in APPEND); after TIMEOUT_S seconds it is killed. CONSOLE gets the
# serial console without carriage returns and terminal escape sequences.
# Exit status: qemu's (124 or 137: the guest did not power off in time).
set -uo pipefail
[ $# = 7 ] || { echo "usage: $0 CONSOLE TIMEOUT_S MEM_MIB CPUS KERNEL INITRD APPEND" >&2; exit 64; }
console=$1 timeout_s=$2 mem=$3 cpus=$4 kernel=$5 initrd=$6 append=$7
timeout --kill-after=10 "$timeout_s" qemu-system-x86_64 \
    -accel tcg -m "$mem" -smp "$cpus" -nographic -no-reboot \
    -kernel "$kernel" -initrd "$initrd" -append "$append" \
    </dev/null > "$console.raw" 2>&1
status=$?
tr -d '\r' < "$console.raw" | sed -E 's/\x1b(\[[0-9;?]*[a-zA-Z]|c)//g' > "$console"
rm -f "$console.raw"
exit "$status"
