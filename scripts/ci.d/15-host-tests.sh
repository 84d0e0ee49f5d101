#!/usr/bin/env bash
# CI: the tests the README's `swift test` skips because they reach beyond
# their own mon_memcg-test-* cgroups or load the node (MON_MEMCG_HOST_TESTS=1):
# drop_caches freeing dying cgroups, the PSI thrasher, the original design's
# timeout case (32 writers), watch on the root cgroup's usage threshold, and
# held checks against 8 page-cache writers (HoldKernelTests).
# Needs root and the cgroup v1 memory controller at /sys/fs/cgroup/memory.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="/opt/swift/usr/bin:$PATH"
. scripts/ci/lib.sh

[ "$(id -u)" = 0 ] || skip_step "host tests" "need root (they create cgroups and write kernel files)"
[ -e /sys/fs/cgroup/memory/memory.force_empty ] || skip_step "host tests" "need a cgroup v1 memory controller at /sys/fs/cgroup/memory"
command -v python3 >/dev/null || apt_install python3 || fail "install python3" "apt-get install python3 failed (the watch test grows memory with it)"

work=$(mktemp -d "${TMPDIR:-/tmp}/mon_memcg-ci-host-tests.XXXXXX")
trap 'rm -rf "$work"' EXIT

suites=(DyingCgroupsKernelTests PressureTriggerKernelTests RealKernelTimeoutTests RealKernelWatchTests HoldKernelTests)
skip_args=()
# A machine shared with other people's jobs may say so: then the one test
# that drops the whole node's page cache is left out, and reported as a skip.
if [ "${MON_MEMCG_CI_SHARED_HOST:-}" = 1 ]; then
    skip_args=(--skip dyingThenDropCaches)
    skip "drop_caches test" "MON_MEMCG_CI_SHARED_HOST=1: this machine is shared, and drop_caches drops every job's page cache"
fi
set +e
MON_MEMCG_HOST_TESTS=1 swift test --filter "$(IFS='|'; echo "${suites[*]}")" "${skip_args[@]+"${skip_args[@]}"}" > "$work/test.log" 2>&1
status=$?
set -e
grep -E '^(real kernel|dying |SKIP)' "$work/test.log" | sed 's/^/   /' || true

for suite in "${suites[@]}"; do
    if grep -qE "^[^ ]+ Suite $suite passed" "$work/test.log"; then
        ok "$suite"
    elif line=$(grep -E "^[^ ]+ Suite $suite skipped" "$work/test.log"); then
        skip "$suite" "${line#*skipped: }"
    else
        grep -E '✘' "$work/test.log" | grep -F -e "$suite" -e 'Test "' | head -20
        check_failed "$suite" "failed or did not run (swift test exit $status); failures above"
    fi
done
while IFS= read -r line; do
    [ -n "$line" ] || continue
    name=$(sed -E 's/^[^ ]+ Test "(.*)" skipped.*/\1/' <<<"$line" | sed 's/: / - /g')
    skip "test $name" "${line#*skipped: }"
done < <(grep -E '^[^ ]+ Test ".*" skipped' "$work/test.log" || true)
[ "$status" = 0 ] || [ "$ci_failed" != 0 ] || check_failed "swift test" "exit $status although every suite passed: $(grep -E 'Test run with' "$work/test.log")"
finish
