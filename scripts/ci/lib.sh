# Shared by the CI steps in scripts/ci.d/ (sourced, not run). The contract
# .ci/run reads (see docs/development.md):
#   ok: <check>               a check passed
#   FAIL: <check>: <why>      a check failed
#   SKIP: <check>: <why>      a check cannot apply on this machine
#   <step>: N passed, N failed, N skipped    once, last
# exit 0 (nothing failed), 1 (something failed), 77 (the whole step could
# not run; after a SKIP line with the reason).

ci_step=$(basename "$0" .sh)
ci_passed=0
ci_failed=0
ci_skipped=0

ok() { ci_passed=$((ci_passed + 1)); echo "ok: $*"; }
# check_failed CHECK WHY: record a failure and go on with the next check.
check_failed() { ci_failed=$((ci_failed + 1)); echo "FAIL: $1: $2"; }
# fail CHECK WHY: record a failure and end the step (the later checks need this one).
fail() { check_failed "$1" "$2"; ci_summary; exit 1; }
skip() { ci_skipped=$((ci_skipped + 1)); echo "SKIP: $1: $2"; }
# skip_step CHECK WHY: the whole step cannot run here.
skip_step() { skip "$1" "$2"; ci_summary; exit 77; }
ci_summary() { echo "$ci_step: $ci_passed passed, $ci_failed failed, $ci_skipped skipped"; }
finish() {
    ci_summary
    [ "$ci_failed" = 0 ] || exit 1
    exit 0
}

# apt_install PKG...: Debian packages a step needs (a fresh machine has only
# the base image). Quiet unless it fails.
apt_install() {
    local log
    log=$(mktemp "${TMPDIR:-/tmp}/mon_memcg-ci-apt.XXXXXX")
    if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
           DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"; } > "$log" 2>&1; then
        tail -20 "$log"
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
}

# Packages a step built, for a later step of the same run (.ci/run sets
# MON_MEMCG_CI_ARTIFACTS) to check instead of building them again: an RPM
# build takes 70-180 s. build-rpm.sh and build-deb.sh package HEAD (git
# archive), so what is kept is filed under HEAD's commit id and found only
# by a step on the same commit. A step run alone builds its own.
kept_dir() { [ -n "${MON_MEMCG_CI_ARTIFACTS:-}" ] && echo "$MON_MEMCG_CI_ARTIFACTS/$(git rev-parse HEAD)"; }
# keep_packages FILE...: keep them for the later steps.
keep_packages() {
    local dir
    dir=$(kept_dir) || return 0
    mkdir -p "$dir" && cp "$@" "$dir/"
}
# kept_package GLOB: the path of a kept package whose name matches GLOB.
kept_package() {
    local dir f
    dir=$(kept_dir) || return 1
    for f in "$dir"/$1; do
        [ -f "$f" ] && { echo "$f"; return 0; }
    done
    return 1
}

# no_compiler_warnings CHECK LOG: fail CHECK when the build log has a
# compiler warning (SwiftPM already silences those of remote dependencies).
no_compiler_warnings() {
    local n
    n=$(grep -cE '^[^ ].*:[0-9]+:[0-9]+: warning: ' "$2" || true)
    if [ "$n" != 0 ]; then
        grep -E '^[^ ].*:[0-9]+:[0-9]+: warning: ' "$2" | sort -u
        check_failed "$1" "$n compiler warning line(s), listed above"
    else
        ok "$1"
    fi
}

# swift_test_failures LOG: what a failed `swift test` run says, for the
# line above a step's FAIL: each ✘, error or fatal line and the six after it,
# where a failed expectation's message (a state file, a log) goes on.
swift_test_failures() {
    grep -E -A6 '✘|error:|Fatal' "$1" | head -80
}

# tap_results PREFIX LOG: each `ok - X` / `not ok - X` line of a test
# script's LOG as this contract's ok / FAIL line, the check named PREFIX X
# (the output was shown above it); their number in tap_checks.
tap_results() {
    local prefix=$1 line
    tap_checks=0
    while IFS= read -r line; do
        case $line in
            "ok - "*) ok "$prefix${line#ok - }"; tap_checks=$((tap_checks + 1)) ;;
            "not ok - "*) check_failed "$prefix${line#not ok - }" "see the output above"; tap_checks=$((tap_checks + 1)) ;;
        esac
    done < "$2"
}

# run_tap NAME SCRIPT [ARGS]: run a test script that prints `ok - X`,
# `not ok - X` and, when it cannot run, `SKIP <what>: <why>` with exit 77
# (scripts/vm/run.sh, scripts/vm-systemd/run.sh), shown indented, and turn
# its results into this contract's lines. Exit 77 is a skip, never a pass.
run_tap() {
    local name=$1 log status line
    shift
    log=$(mktemp "${TMPDIR:-/tmp}/mon_memcg-ci-tap.XXXXXX")
    set +e
    bash "$@" 2>&1 | tee "$log" | sed -u 's/^/   | /'
    status=${PIPESTATUS[0]}
    set -e
    tap_results "" "$log"
    line=$(grep -E '^SKIP [^:]*: ' "$log" | tail -n 1 || true)
    rm -f "$log"
    if [ "$status" = 77 ]; then
        if [ -n "$line" ]; then skip_step "$name" "${line#*: }"; fi
        skip_step "$name" "$1 exited 77 without saying why"
    fi
    [ "$status" = 0 ] || [ "$ci_failed" != 0 ] || check_failed "$name" "$1 exited $status"
    [ "$tap_checks" != 0 ] || [ "$status" != 0 ] || check_failed "$name" "$1 exited 0 but reported no check"
}
