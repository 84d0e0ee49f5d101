#!/usr/bin/env bash
# cgroup v2 on a real kernel: boots Debian's kernel under QEMU (software
# emulation) and runs mon_memcg status/check/watch in it (scripts/vm/run.sh).
# About 10 s of VM time plus the release build. Skips, saying why, where
# QEMU or a kernel cannot be had (not x86_64, not root, no apt).
set -uo pipefail
cd "$(dirname "$0")/../.."
started=$(date +%s)
bash scripts/vm/run.sh
status=$?
echo "cgroup v2 VM check: status $status after $(( $(date +%s) - started )) s (build, initramfs, boot and test)"
if [ "$status" = 77 ]; then
    exit 0   # skipped; run.sh printed the reason
fi
exit "$status"
