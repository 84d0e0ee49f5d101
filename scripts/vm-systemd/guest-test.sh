#!/bin/bash
# Runs inside the systemd VM (scripts/vm-systemd/run.sh) as mmvm-test.service,
# once the system reached multi-user.target, on the cgroup hierarchy the VM
# was booted for (mmvm.hierarchy=v1|v2). For each package format whose
# files run.sh put in /mmvm (package-FORMAT.sh, listed in /mmvm/formats),
# package-phase.sh installs it, lets systemd run the units as shipped (real
# sandbox, timer, Type=notify, watchdog) and removes it. Prints "ok"/"not
# ok" lines and a last "MMVMSD-DONE passed=N failed=M" line to the console,
# then powers off.
set -u
. /mmvm/guest-lib.sh
. /mmvm/package-phase.sh
. /mmvm/old-upgrade-phase.sh
finish() {
    echo "MMVMSD-DONE passed=$passed failed=$failed"
    systemctl poweroff --no-block
    exit 0
}

echo "MMVMSD kernel $(uname -r); $(systemctl --version | head -n 1); cgroup $hierarchy; booted in $(uptime_s) s"
if [ "$hierarchy" = v1 ]; then
    check "systemd runs the cgroup v1 (legacy) hierarchy with the memory controller" hierarchy_is_up
else
    check "systemd runs the unified cgroup v2 hierarchy with the memory controller" hierarchy_is_up
fi
[ "$failed" = 0 ] || finish
check "ext4 on /dev/ram0 for the sessions' files" ram_disk
[ "$failed" = 0 ] || finish

for format in $(cat /mmvm/formats); do
    package_phase "$format"
done
# The upgrade from a real earlier build, for each format run.sh put one of
# in /mmvm/old (MMSD_OLD_REV).
for format in $(cat /mmvm/old/formats 2>/dev/null); do
    old_upgrade_phase "$format"
done
# The DaemonSet's v2 variant under runc (run.sh adds /mmvm/k8s to the v2 VM only).
if [ -d /mmvm/k8s ]; then
    . /mmvm/k8s/k8s-phase.sh
    k8s_phase
fi
# Step 55's kill -9 loop and soak on v2 (run.sh adds /mmvm/soak to the v2 VM only).
if [ -d /mmvm/soak ]; then
    . /mmvm/soak/soak-phase.sh
    soak_phase
fi
finish
