#!/usr/bin/env bash
# CI: the RPM and the .deb on a real systemd host (scripts/vm-systemd/run.sh): Debian 12
# with systemd as PID 1, booted under QEMU (software emulation) twice, side
# by side: on cgroup v1 and on the unified hierarchy (cgroup v2). In each:
# rpm -i/-U/-e and their scriptlets, the preset, the oneshot reclaiming
# user.slice in its real sandbox (memory.force_empty on v1, memory.reclaim on
# v2), the timer's schedule and 20 s cadence, Type=notify, the daemon's
# sandbox and its answer to a crossing, reload, the watchdog, nothing left
# after rpm -e; then the same for the .deb (dpkg -i, an upgrade that
# restarts the running daemon and keeps the edited conffile, purge), and the
# upgrade of both from a real earlier build (5f52752, below). In the v2 VM then, the DaemonSet's cgroup-v2 variant under
# runc (scripts/vm-systemd/k8s-phase.sh): status against the host's, a
# crossing answered through memory.reclaim, and with memory_high = on the
# daemon killed with SIGKILL: memory.high restored by PID 1 (watch --supervise). Last in the v2 VM, step 55's
# kill -9 loop (scripts/kill-nine.sh, 40 kills, half inside memory.reclaim)
# and 2-minute soak (scripts/soak.sh 120, 5 sessions/s) on cgroup v2
# (scripts/vm-systemd/soak-phase.sh); either failing fails the step.
# 761 s run alone from a clean clone with the earlier build's phase
# (mmdebstrap 255 s, beside this tree's and the earlier tree's package
# builds; the v1 VM 338 s, the v2 VM 505 s, side by side); in a full run
# the packages come from steps 20 and 21 (docs/development.md).
# Where QEMU, mmdebstrap or root cannot be had the step is
# skipped with the reason (exit 77), which fails CI unless .ci/run's
# ALLOWED_SKIPS lists it.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/ci/lib.sh
# The packages 20-packaging and 21-deb built and checked from this commit,
# when this run made them (the upgrade RPM is still rebuilt from the SRPM).
if rpm=$(kept_package "mon_memcg-*.$(uname -m).rpm") && srpm=$(kept_package "mon_memcg-*.src.rpm"); then
    echo "-- the RPM and SRPM 20-packaging built from this commit: $rpm"
    export MMSD_RPM=$rpm MMSD_SRPM=$srpm
fi
if deb=$(kept_package "mon-memcg_*.deb"); then
    echo "-- the .deb 21-deb built from this commit: $deb"
    export MMVM_DEB=$deb
fi
# The upgrade from a real earlier build (old-upgrade-phase.sh): 5f52752 is
# the last commit whose packages kept the state in /var/lib/mon_memcg (the
# next, e4646fa, moved it to /run), the layout change the scriptlets carry
# over. Upgrading from it, the RPM restarted the daemon under the old unit
# (no daemon-reload before the old %postun's restart) until 265b170. Its
# packages build with its own scripts while mmdebstrap runs.
# MMSD_OLD_REV= (empty) leaves the phase out.
old_rev=${MMSD_OLD_REV-5f52752}
if [ -n "$old_rev" ] && ! git cat-file -e "$old_rev^{commit}" 2>/dev/null; then
    fail "the earlier build $old_rev" "this clone has no commit $old_rev (a shallow clone?): git fetch --unshallow, or MMSD_OLD_REV= to leave the upgrade from it out"
fi
export MMSD_OLD_REV=$old_rev
run_tap "systemd VM" scripts/vm-systemd/run.sh
finish
