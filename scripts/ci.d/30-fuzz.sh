#!/usr/bin/env bash
# CI: fuzz every MemcgCore parser for a bounded time (see scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="/opt/swift/usr/bin:$PATH"
. scripts/ci/lib.sh
seconds=${FUZZ_SECONDS:-30}
if bash scripts/fuzz.sh "$seconds"; then
    ok "libFuzzer on the parsers: $seconds s, no crash"
else
    check_failed "libFuzzer on the parsers" "a crash, a trap or a sanitizer report (input saved under .build-fuzz/), or the fuzzer did not build; see above"
fi
[ -f .build-fuzz/build.log ] && no_compiler_warnings "no compiler warnings in the fuzz build" .build-fuzz/build.log
finish
