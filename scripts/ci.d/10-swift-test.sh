#!/usr/bin/env bash
# CI: the README's test command, `swift test`, as a new user runs it on a
# node (root, cgroup v1 here), and proof that it is safe there: it runs in a
# private mount namespace with an empty file bound over the node-wide knobs
# (/proc/sys/vm/drop_caches, and the memcg reaper's when the kernel has one),
# and the files must still be empty afterwards. The tests that reach beyond
# their own cgroups must have been skipped, each with its reason; the opt-in
# run (MON_MEMCG_HOST_TESTS=1) is 15-host-tests. Also: no compiler warning
# in the sources or the tests (a fresh clone compiles every file).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="/opt/swift/usr/bin:$PATH"
. scripts/ci/lib.sh
# What .ci/run read from the README's quick start (word-split on purpose).
read -r -a test_command <<<"${README_TEST_COMMAND:-swift test}"

work=$(mktemp -d "${TMPDIR:-/tmp}/mon_memcg-ci-swift-test.XXXXXX")
trap 'rm -rf "$work"' EXIT

if ! swift build --build-tests > "$work/build.log" 2>&1; then
    tail -40 "$work/build.log"
    fail "swift build --build-tests" "the build failed; the end of its log is above"
fi
ok "swift build --build-tests"
no_compiler_warnings "no compiler warnings in Sources/ and Tests/" "$work/build.log"

# The package's own paths: a test run must never fall back to them.
defaults=(/var/log/mon_memcg.log /run/mon_memcg /var/lib/mon_memcg /etc/mon_memcg.conf)
defaults_before=$(for p in "${defaults[@]}"; do [ -e "$p" ] && stat -c '%n %s %Y' "$p"; done; true)

knobs=(/proc/sys/vm/drop_caches)
[ -e /sys/kernel/mm/memcg_reaper/reap ] && knobs+=(/sys/kernel/mm/memcg_reaper/reap)
guarded=false
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
    # One empty sentinel per knob, dated in the past: any open for writing
    # (even one that writes nothing) changes its size or its mtime.
    binds=""
    for knob in "${knobs[@]}"; do
        sentinel=$work/sentinel$(tr / _ <<<"$knob")
        : > "$sentinel"
        touch -d '2000-01-01 00:00:00' "$sentinel"
        binds="$binds $sentinel $knob"
    done
    # The binds live only in this namespace; the script checks each one is
    # in place (same device and inode) before the tests start.
    set +e
    # shellcheck disable=SC2086
    unshare --mount --propagation private sh -c '
        while [ $# -gt 0 ] && [ "$1" != -- ]; do
            mount --bind "$1" "$2" || exit 90
            [ "$(stat -c %d:%i "$1")" = "$(stat -c %d:%i "$2")" ] || exit 91
            shift 2
        done
        shift
        exec "$@"' sh $binds -- "${test_command[@]}" > "$work/test.log" 2>&1
    status=$?
    set -e
    guarded=true
    [ "$status" != 90 ] && [ "$status" != 91 ] \
        || fail "bind a sentinel over ${knobs[*]}" "mount --bind in a private namespace failed (status $status): $(tail -3 "$work/test.log")"
else
    set +e
    "${test_command[@]}" > "$work/test.log" 2>&1
    status=$?
    set -e
fi

summary=$(grep -E '^[^ ]+ Test run with [0-9]+ tests? ' "$work/test.log" | tail -n 1 || true)
skips=$(grep -E '^[^ ]+ Test ".*" skipped' "$work/test.log" || true)
nskips=$(grep -c . <<<"$skips" || true)
if [ "$status" != 0 ] || [ -z "$summary" ] || ! grep -q ' passed after ' <<<"$summary"; then
    swift_test_failures "$work/test.log"
    check_failed "swift test" "exit $status; ${summary:-no test summary}; failures above"
else
    ok "swift test: $(sed -E "s/^[^ ]* //; s/\.$//" <<<"$summary"); $nskips skipped"
fi
[ -n "$skips" ] && sed 's/^/   /' <<<"$skips"

if $guarded; then
    for knob in "${knobs[@]}"; do
        sentinel=$work/sentinel$(tr / _ <<<"$knob")
        if [ -s "$sentinel" ] || [ "$(stat -c %Y "$sentinel")" != "$(date -d '2000-01-01 00:00:00' +%s)" ]; then
            check_failed "swift test leaves $knob alone" "the default run opened it for writing (sentinel: $(stat -c '%s bytes, mtime %y' "$sentinel"), content: $(head -c 100 "$sentinel"))"
        else
            ok "swift test leaves $knob alone (the sentinel bound over it is empty and unmodified)"
        fi
    done
    # The control: the same bind catches a write (a canary that is no valid
    # drop_caches value, and written only once the bind is in place).
    canary=$work/canary
    : > "$canary"
    unshare --mount --propagation private sh -c '
        mount --bind "$1" "$2" && [ "$(stat -c %d:%i "$1")" = "$(stat -c %d:%i "$2")" ] && printf canary > "$2"' \
        sh "$canary" "${knobs[0]}" || true
    if [ "$(cat "$canary")" = canary ]; then
        ok "control: a write to ${knobs[0]} under the same bind lands in the sentinel"
    else
        check_failed "control: a write under the bind lands in the sentinel" "the canary did not arrive, so the check above proves nothing"
    fi
else
    skip "swift test leaves ${knobs[0]} alone" "needs root and unshare(1) to bind a sentinel over it"
fi

defaults_after=$(for p in "${defaults[@]}"; do [ -e "$p" ] && stat -c '%n %s %Y' "$p"; done; true)
if [ "$defaults_before" = "$defaults_after" ]; then
    ok "swift test leaves ${defaults[*]} as they were ($( [ -n "$defaults_after" ] && echo present || echo absent))"
else
    check_failed "swift test leaves the package's paths alone" "before: '${defaults_before}', after: '${defaults_after}'"
fi

# The opt-in tests must be among the skips, said to need MON_MEMCG_HOST_TESTS=1.
host_skips=$(grep -c 'MON_MEMCG_HOST_TESTS=1' <<<"$skips" || true)
if [ "$host_skips" -ge 5 ]; then
    ok "the $host_skips host-changing or heavy tests were skipped, each naming MON_MEMCG_HOST_TESTS=1"
else
    check_failed "host tests skipped by default" "only $host_skips skip(s) name MON_MEMCG_HOST_TESTS=1, expected at least 5 (drop_caches, PSI thrasher, timeout, 2 watch)"
fi
# Any other skip means a test did not run on this machine: say which and why.
while IFS= read -r line; do
    [ -n "$line" ] || continue
    name=$(sed -E 's/^[^ ]+ Test "(.*)" skipped.*/\1/' <<<"$line" | sed 's/: / - /g')
    why=${line#*skipped: }
    skip "test $name" "$why"
done < <(grep -v 'MON_MEMCG_HOST_TESTS=1' <<<"$skips" || true)
finish
