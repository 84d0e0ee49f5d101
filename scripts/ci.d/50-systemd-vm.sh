#!/usr/bin/env bash
# The RPM on a real systemd host (scripts/vm-systemd/run.sh): Debian 12 with
# systemd as PID 1 on cgroup v1, booted under QEMU (software emulation).
# rpm -i/-e and their scriptlets, the preset, the oneshot in its real
# sandbox, the timer's real schedule (its first run is 5 min after boot, so
# this takes about 6 minutes of VM time), Type=notify, reload, the watchdog.
# Skips, saying why, where QEMU, mmdebstrap or root cannot be had.
set -uo pipefail
cd "$(dirname "$0")/../.."
started=$(date +%s)
bash scripts/vm-systemd/run.sh
status=$?
echo "systemd VM check: status $status after $(( $(date +%s) - started )) s (RPM, root file system, boot and test)"
if [ "$status" = 77 ]; then
    exit 0   # skipped; run.sh printed the reason
fi
exit "$status"
