#!/usr/bin/env bash
# CI: the fleet monitoring in monitoring/ (docs/monitoring.md), checked with
# Debian's prometheus and prometheus-node-exporter:
# 1. promtool check rules: no errors, no warnings;
# 2. promtool test rules: every alert fires in one group and stays quiet in
#    another, and those tests fail on a broken rule (check_rules.py);
# 3. the dashboard's structure (check_dashboard.py);
# 4. end to end (e2e.py): real `mon_memcg check` runs reclaiming a
#    mon_memcg-test-* cgroup, node_exporter's textfile collector, Prometheus
#    with the shipped rules on 127.0.0.1: values, a recording rule, alerts
#    pending -> firing -> resolved with their times and the ALERTS series,
#    every dashboard query evaluated.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="/opt/swift/usr/bin:$PATH"

step=$(basename "$0" .sh)  # the name .ci/run reads the summary line by
started=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/mon_memcg-ci-monitoring.XXXXXX")
out="$work/results"
: > "$out"
cgroup=/sys/fs/cgroup/memory/mon_memcg-test-monitoring-$$
policy_rc=""
cleanup() {
    if [ -n "$policy_rc" ]; then rm -f "$policy_rc"; fi
    # e2e.py stops what it started and removes its cgroup; this is the
    # backstop for when it was killed.
    if [ -f "$work/e2e/pids" ]; then
        while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done < "$work/e2e/pids"
    fi
    rm -f "$work/e2e/cache"
    for cg in "$cgroup/watch" "$cgroup"; do
        if [ -d "$cg" ]; then rmdir "$cg" || echo "could not remove $cg: rmdir it by hand" >&2; fi
    done
    rm -rf "$work"
}
trap cleanup EXIT

# Every ok/FAIL/SKIP line, also from the Python checks, goes through here.
report() { tee -a "$out"; }
ok() { echo "ok: $*" | report; }
fail() { echo "FAIL: $*" | report; }
skip() { echo "SKIP: $*" | report; }
# A Python check prints its own ok/FAIL lines; a crash (traceback, no
# FAIL line) or a kill still counts as a failure. 77 is its SKIP.
pycheck() {
    local what=$1 before status
    shift
    before=$(grep -c '^FAIL: ' "$out" || true)
    set +e
    "$@" | report
    status=${PIPESTATUS[0]}
    set -e
    if [ "$status" -ne 0 ] && [ "$status" -ne 77 ] && [ "$(grep -c '^FAIL: ' "$out" || true)" -eq "$before" ]; then
        fail "$what: exited with status $status without saying why (output above)"
    fi
}
summary() {
    local p f s
    p=$(grep -c '^ok: ' "$out" || true)
    f=$(grep -c '^FAIL: ' "$out" || true)
    s=$(grep -c '^SKIP: ' "$out" || true)
    echo "-- took $(( $(date +%s) - started )) s"
    echo "$step: $p passed, $f failed, $s skipped"
    [ "$f" -eq 0 ] || exit 1
    exit 0
}

echo "-- apt-get install prometheus prometheus-node-exporter python3-yaml"
export DEBIAN_FRONTEND=noninteractive
if ! command -v promtool > /dev/null || ! command -v prometheus-node-exporter > /dev/null \
        || ! /usr/bin/python3 -c 'import yaml' 2> /dev/null; then
    # The packages' init scripts would start prometheus and node_exporter
    # on all interfaces; policy-rc.d (as in Debian's container images) keeps
    # them stopped. Ours is removed again, a present one left alone.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        policy_rc=/usr/sbin/policy-rc.d
        printf '#!/bin/sh\n# mon_memcg CI: start no services while installing\nexit 101\n' > "$policy_rc"
        chmod 755 "$policy_rc"
    fi
    apt-get update -qq > /dev/null
    if ! apt-get install -y -qq --no-install-recommends prometheus prometheus-node-exporter python3-yaml > "$work/apt.log" 2>&1; then
        tail -20 "$work/apt.log"
        skip "$step: apt-get install prometheus prometheus-node-exporter python3-yaml failed (log above)"
        echo "$step: 0 passed, 0 failed, 1 skipped"
        exit 77
    fi
    if [ -n "$policy_rc" ]; then rm -f "$policy_rc"; policy_rc=""; fi
fi
echo "   $(prometheus --version 2>&1 | head -1); $(prometheus-node-exporter --version 2>&1 | head -1)"

echo "-- promtool check rules"
for rules in monitoring/mon_memcg-alerts.yml monitoring/mon_memcg-recording.yml; do
    if promtool check rules "$rules" > "$work/check.log" 2>&1 && ! grep -qi 'warn' "$work/check.log"; then
        ok "promtool check rules $rules: $(grep -o 'SUCCESS.*' "$work/check.log")"
    else
        cat "$work/check.log"
        fail "promtool check rules $rules: errors or warnings above"
    fi
done

echo "-- promtool test rules"
for tests in monitoring/tests/alerts.test.yml monitoring/tests/recording.test.yml; do
    if promtool test rules "$tests" > "$work/test.log" 2>&1; then
        ok "promtool test rules $tests: $(/usr/bin/python3 -c 'import sys, yaml; print(len(yaml.safe_load(open(sys.argv[1]))["tests"]))' "$tests") groups passed"
        /usr/bin/python3 -c 'import sys, yaml; [print("     -", g["name"]) for g in yaml.safe_load(open(sys.argv[1]))["tests"]]' "$tests"
    else
        cat "$work/test.log"
        fail "promtool test rules $tests: the failing group is above"
    fi
done

echo "-- alert fields, runbooks, test coverage per alert, broken rules caught"
pycheck check_rules.py /usr/bin/python3 monitoring/tests/check_rules.py

echo "-- dashboard structure"
pycheck check_dashboard.py /usr/bin/python3 monitoring/tests/check_dashboard.py

echo "-- end to end: mon_memcg check on the real kernel -> node_exporter -> prometheus"
if [ "$(id -u)" -ne 0 ] || [ ! -e /sys/fs/cgroup/memory/memory.usage_in_bytes ]; then
    skip "e2e: needs root and the cgroup v1 memory controller at /sys/fs/cgroup/memory"
    summary
fi
if ! swift build --product mon_memcg > "$work/build.log" 2>&1; then
    tail -30 "$work/build.log"
    fail "e2e: swift build --product mon_memcg failed (log above)"
    summary
fi
bin=.build/debug/mon_memcg
mkdir "$work/e2e"
# e2e.py bounds itself (230 s) and cleans up; timeout is the backstop.
pycheck e2e timeout -k 10 260 /usr/bin/python3 monitoring/tests/e2e.py --bin "$bin" --work "$work/e2e" --cgroup "${cgroup##*/}"
summary
