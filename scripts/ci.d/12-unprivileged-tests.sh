#!/usr/bin/env bash
# CI: the test suite once more as an unprivileged user (uid 65534), the way
# a developer without root runs it. The fixture-tree suites must pass; only
# tests that need root may skip, each with its reason (they ran as root in
# 10-swift-test). Builds in its own scratch copy of the tracked files.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="/opt/swift/usr/bin:$PATH"
. scripts/ci/lib.sh

[ "$(id -u)" = 0 ] || skip_step "swift test as uid 65534" "needs root to switch to uid 65534 (and this run is unprivileged already)"
work=$(mktemp -d "${TMPDIR:-/tmp}/mon_memcg-ci-unprivileged.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src" "$work/home" "$work/tmp"
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$work/src"
# The package mirror under /opt/swift-packages is root-owned: git refuses it
# to another user unless told it is safe.
printf '[safe]\n\tdirectory = *\n' > "$work/gitconfig"
chown -R 65534:65534 "$work"
chmod 755 "$work"

log=$work/test.log
set +e
(cd "$work/src" && setpriv --reuid=65534 --regid=65534 --clear-groups \
    env HOME="$work/home" TMPDIR="$work/tmp" GIT_CONFIG_GLOBAL="$work/gitconfig" PATH="$PATH" \
    swift test) > "$log" 2>&1
status=$?
set -e

summary=$(grep -E '^[^ ]+ Test run with [0-9]+ tests? ' "$log" | tail -n 1 || true)
skips=$(grep -E '^[^ ]+ (Suite|Test) ".*" skipped: ' "$log" || true)
if [ "$status" != 0 ] || ! grep -q ' passed after ' <<<"$summary"; then
    swift_test_failures "$log"
    check_failed "swift test as uid 65534" "exit $status; ${summary:-no test summary}; failures above"
else
    ok "swift test as uid 65534: $(sed -E "s/^[^ ]* //; s/\.$//" <<<"$summary")"
fi
[ -n "$skips" ] && sed 's/^/   /' <<<"$skips"
# A skip is expected here only for want of root, or for the opt-in host
# tests (they ran as root in 15-host-tests); any other reason is a test that
# quietly depends on the machine.
others=$(grep -v -i -e 'root' -e 'MON_MEMCG_HOST_TESTS=1' <<<"$skips" || true)
if [ -z "$others" ]; then
    ok "as uid 65534 only tests that need root or MON_MEMCG_HOST_TESTS=1 were skipped ($(grep -c . <<<"$skips" || true) skips)"
else
    check_failed "skips as uid 65534" "skipped for another reason: $others"
fi
finish
