#!/usr/bin/env bash
# CI: the RPM on a real systemd host (scripts/vm-systemd/run.sh): Debian 12
# with systemd as PID 1 on cgroup v1, booted under QEMU (software emulation).
# rpm -i/-U/-e and their scriptlets, the preset, the oneshot in its real
# sandbox, the timer's real schedule (its first run is 5 min after boot, so
# this takes about 6 minutes of VM time), Type=notify, reload, the watchdog.
# Where QEMU, mmdebstrap or root cannot be had the step is skipped with the
# reason (exit 77), which fails CI unless .ci/run's ALLOWED_SKIPS lists it.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/ci/lib.sh
run_tap "systemd VM" scripts/vm-systemd/run.sh
finish
