#!/usr/bin/env bash
# CI: the RPM and the .deb on a real systemd host (scripts/vm-systemd/run.sh): Debian 12
# with systemd as PID 1, booted under QEMU (software emulation) twice, side
# by side: on cgroup v1 and on the unified hierarchy (cgroup v2). In each:
# rpm -i/-U/-e and their scriptlets, the preset, the oneshot reclaiming
# user.slice in its real sandbox (memory.force_empty on v1, memory.reclaim on
# v2), the timer's schedule and 20 s cadence, Type=notify, the daemon's
# sandbox and its answer to a crossing, reload, the watchdog, nothing left
# after rpm -e; then the same for the .deb (dpkg -i, an upgrade that
# restarts the running daemon and keeps the edited conffile, purge). In the v2 VM then, the DaemonSet's cgroup-v2 variant under
# runc (scripts/vm-systemd/k8s-phase.sh): status against the host's, a
# crossing answered through memory.reclaim. Where QEMU, mmdebstrap or root cannot be had the step is
# skipped with the reason (exit 77), which fails CI unless .ci/run's
# ALLOWED_SKIPS lists it.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/ci/lib.sh
run_tap "systemd VM" scripts/vm-systemd/run.sh
finish
