#!/usr/bin/env bash
# CI: the end-to-end tests (Tests/CLITests: fixture trees, the real kernel's
# reclaim, deadline, lock and watch) once more, against the release binary
# built as the RPM builds it: optimized and fully static (static glibc, its
# own timer and signal code). `swift test` ran them against the debug build.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="/opt/swift/usr/bin:$PATH"

fail() { echo "FAIL: $*" >&2; exit 1; }

echo "-- swift build -c release -Xswiftc -static-executable (the spec's build)"
log=$(mktemp "${TMPDIR:-/tmp}/mon_memcg-ci-release.XXXXXX")
trap 'rm -f "$log"' EXIT
swift build -c release -Xswiftc -static-executable --product mon_memcg > "$log" 2>&1 \
    || { tail -40 "$log"; fail "the release build failed"; }
bin=$(swift build -c release -Xswiftc -static-executable --show-bin-path)/mon_memcg
# (readelf: binutils, which the Swift toolchain's linker needs anyway.)
! readelf -l "$bin" | grep -q -e INTERP -e DYNAMIC || fail "$bin is not a static executable"

echo "-- swift test --filter CLITests, MON_MEMCG_BINARY=$bin"
MON_MEMCG_BINARY=$bin swift test --filter CLITests > "$log" 2>&1 || { grep -E '✘|error' "$log" | head -40; fail "CLITests failed against the release binary"; }
grep -E '^✔ Test run with' "$log" || fail "no test summary in the CLITests output"
echo "release-binary: CLITests passed against $bin"
