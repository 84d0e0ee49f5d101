#!/usr/bin/env bash
# CI: mon_memcg watch when the node is at its worst, on the real cgroup v1
# memory controller, with the release binary:
#   1. kill -9 at 120 random points, half of them inside a reclaim, each
#      followed by an immediate restart (WatchKillNineTests, which plain
#      `swift test` runs 20 times only, without MON_MEMCG_HOST_TESTS=1);
#   2. a 2-minute soak (scripts/soak.sh 120): session cgroups created and
#      removed at 20/s, a crossing every 30 s, SIGHUP, a log rotation. Fails
#      on any fd growth, a missed crossing, or RSS growth over 1 MiB.
# About 4 minutes with the release build in place (25-release-binary.sh).
# The same two on cgroup v2 run in step 50's v2 VM
# (scripts/vm-systemd/soak-phase.sh: scripts/kill-nine.sh and soak.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="/opt/swift/usr/bin:$PATH"

passed=0 failed=0 skipped=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
summary() { echo "$(basename "$0" .sh): $passed passed, $failed failed, $skipped skipped"; }

if [ "$(id -u)" != 0 ] || [ ! -e /sys/fs/cgroup/memory/memory.force_empty ]; then
    echo "SKIP: soak: needs root and a cgroup v1 memory controller at /sys/fs/cgroup/memory"
    skipped=1
    summary
    exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/mon_memcg-ci-soak.XXXXXX")
trap 'rm -rf "$work"' EXIT
started=$(date +%s)

swift build -c release -Xswiftc -static-executable --product mon_memcg > "$work/build.log" 2>&1 \
    || { tail -40 "$work/build.log"; fail "release build"; summary; exit 1; }
bin=$(swift build -c release -Xswiftc -static-executable --show-bin-path)/mon_memcg

echo "-- kill -9 of watch, 120 times (MON_MEMCG_BINARY=$bin)"
if MON_MEMCG_HOST_TESTS=1 MON_MEMCG_BINARY=$bin swift test --filter WatchKillNineTests > "$work/kill.log" 2>&1 \
        && grep -q '✔ Test "kill -9 of watch' "$work/kill.log" && grep -q '^kill -9 of watch: 120 kills' "$work/kill.log"; then
    grep '^kill -9 of watch' "$work/kill.log" | sed 's/^/   /'
    ok "kill -9 loop: valid state after every restart, never two reclaims at once"
else
    grep -E '✘|error|^kill -9' "$work/kill.log" | head -30
    fail "kill -9 loop"
fi

echo "-- scripts/soak.sh 120"
if scripts/soak.sh 120 "$bin" > "$work/soak.log" 2>&1; then
    sed 's/^/   /' "$work/soak.log"
    ok "2-minute soak: fd delta 0, RSS within 1 MiB, no crossing missed"
else
    sed 's/^/   /' "$work/soak.log"
    fail "2-minute soak"
fi

echo "soak step done in $(( $(date +%s) - started )) s"
summary
[ "$failed" = 0 ]
