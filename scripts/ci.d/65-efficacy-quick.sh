#!/usr/bin/env bash
# CI: the efficacy lab's quick mode (scripts/lab/efficacy.sh --quick):
# scenario 1 (continuous reclaimable growth) and scenario 4 (a burst of
# active page cache from near the line, tight thresholds), each with no
# agent and with mon_memcg watch as shipped, on the real cgroup v1 memory
# controller, kubelet emulated. Fails if watch lets kubelet see
# memory.available below the eviction threshold (scenario 1: in a 10 s
# housekeeping sample; scenario 4: at any 50 ms sample, which a kubelet
# with --kernel-memcg-notification would act on), or if the no-agent arm
# never went below it (then the scenario proved nothing). Keeps the lab
# from rotting; the full lab (docs/efficacy.md) is run by hand. First the
# unit tests of the lab's numbers and of scripts/lib/memcg_cgroups.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/ci/lib.sh
export PATH="/opt/swift/usr/bin:$PATH"

if [ "$(id -u)" != 0 ] || [ ! -e /sys/fs/cgroup/memory/memory.force_empty ]; then
    skip_step "quick efficacy lab" "needs root and a cgroup v1 memory controller at /sys/fs/cgroup/memory"
fi
apt_install python3-matplotlib || fail "install python3-matplotlib" "apt-get failed (output above)"
ok "python3-matplotlib installed"

# The lab's pure numbers first (log parsing, windows, seconds below).
if /usr/bin/python3 -m unittest discover -s scripts/lab -p 'test_*.py' > /tmp/mon_memcg-ci-lab-unit.log 2>&1; then
    ok "lab metrics tables ($(grep -o 'Ran [0-9]* tests' /tmp/mon_memcg-ci-lab-unit.log))"
else
    cat /tmp/mon_memcg-ci-lab-unit.log; check_failed "lab metrics tables" "unittest failed (output above)"
fi
rm -f /tmp/mon_memcg-ci-lab-unit.log
# The scripts' cgroup module (scripts/lib/memcg_cgroups.py): fake trees, and
# one mon_memcg-test-* cgroup on this kernel.
unit_log=$(mktemp "${TMPDIR:-/tmp}/mon_memcg-ci-lib-unit.XXXXXX")
if /usr/bin/python3 -m unittest discover -v -s scripts/lib -p 'test_*.py' > "$unit_log" 2>&1; then
    if grep -q 'skipped' "$unit_log"; then
        grep 'skipped' "$unit_log"; check_failed "cgroup module tables" "the real-kernel test was skipped as root on cgroup v1 (above)"
    else
        ok "cgroup module tables, real kernel included ($(grep -o 'Ran [0-9]* tests' "$unit_log"))"
    fi
else
    cat "$unit_log"; check_failed "cgroup module tables" "unittest failed (output above)"
fi
rm -f "$unit_log"

work=$(mktemp -d "${TMPDIR:-/tmp}/mon_memcg-ci-efficacy.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The same build as 55-soak.sh: already there when that step ran.
swift build -c release -Xswiftc -static-executable --product mon_memcg > "$work/build.log" 2>&1 \
    || { tail -40 "$work/build.log"; fail "release build" "swift build failed (output above)"; }
bin=$(swift build -c release -Xswiftc -static-executable --show-bin-path)/mon_memcg

started=$(date +%s)
set +e
MON_MEMCG_BINARY=$bin scripts/lab/efficacy.sh --quick > "$work/lab.log" 2>&1
status=$?
set -e
seconds=$(( $(date +%s) - started ))
sed 's/^/   | /' "$work/lab.log"
# One verdict line per scenario (report.py --check-quick); both must be there.
for scenario in s1 s4; do
    verdict=$(grep "^quick $scenario rep 1:" "$work/lab.log" || true)
    if [ -n "$verdict" ] && [ "${verdict%: pass}" != "$verdict" ]; then
        ok "quick efficacy lab, $scenario: ${verdict#quick $scenario rep 1: }"
    else
        check_failed "quick efficacy lab, $scenario" "${verdict:-no verdict} (scripts/lab/efficacy.sh --quick exited $status; output above)"
    fi
done
[ "$status" = 0 ] || check_failed "quick efficacy lab" "scripts/lab/efficacy.sh --quick exited $status after ${seconds} s (output above)"
echo "   quick efficacy lab: ${seconds} s"
# Its rule: every cgroup it made is gone.
left=$(find /sys/fs/cgroup/memory -maxdepth 2 -type d -name 'mon_memcg-test-lab-*' | wc -l)
if [ "$left" = 0 ]; then ok "the lab left no mon_memcg-test-lab-* cgroup"; else check_failed "cleanup" "$left mon_memcg-test-lab-* cgroups left"; fi
finish
