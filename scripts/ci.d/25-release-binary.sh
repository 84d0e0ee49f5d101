#!/usr/bin/env bash
# CI: the end-to-end tests (Tests/CLITests: fixture trees, the real kernel's
# reclaim, deadline, lock and watch) once more, against the release binary
# built as the RPM builds it: optimized and fully static (static glibc, its
# own timer and signal code). With MON_MEMCG_HOST_TESTS=1, so the deadline
# (32 writers) and watch tests run against it too; 10-swift-test ran the
# default set against the debug build.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="/opt/swift/usr/bin:$PATH"
. scripts/ci/lib.sh

log=$(mktemp "${TMPDIR:-/tmp}/mon_memcg-ci-release.XXXXXX")
trap 'rm -f "$log"' EXIT
swift build -c release -Xswiftc -static-executable --product mon_memcg > "$log" 2>&1 \
    || { tail -40 "$log"; fail "release build" "swift build -c release -Xswiftc -static-executable failed"; }
ok "release build (swift build -c release -Xswiftc -static-executable, the spec's build)"
no_compiler_warnings "no compiler warnings in the release build" "$log"
bin=$(swift build -c release -Xswiftc -static-executable --show-bin-path)/mon_memcg
# (readelf: binutils, which the Swift toolchain's linker needs anyway.)
if readelf -l "$bin" | grep -q -e INTERP -e DYNAMIC; then
    check_failed "static executable" "$bin has a program interpreter or dynamic section"
else
    ok "static executable"
fi

host=1
if [ "$(id -u)" != 0 ] || [ ! -e /sys/fs/cgroup/memory/memory.force_empty ]; then host=0; fi
set +e
MON_MEMCG_HOST_TESTS=$host MON_MEMCG_BINARY=$bin swift test --filter CLITests > "$log" 2>&1
status=$?
set -e
summary=$(grep -E '^[^ ]+ Test run with [0-9]+ tests? ' "$log" | tail -n 1 || true)
if [ "$status" = 0 ] && grep -q ' passed after ' <<<"$summary"; then
    ok "CLITests against $bin: $(sed -E "s/^[^ ]* //; s/\.$//" <<<"$summary")"
else
    swift_test_failures "$log"
    check_failed "CLITests against the release binary" "exit $status; ${summary:-no test summary}"
fi
while IFS= read -r line; do
    [ -n "$line" ] || continue
    name=$(sed -E 's/^[^ ]+ Test "(.*)" skipped.*/\1/' <<<"$line" | sed 's/: / - /g')
    skip "test $name" "${line#*skipped: }"
done < <(grep -E '^[^ ]+ Test ".*" skipped' "$log" || true)
finish
