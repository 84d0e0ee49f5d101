#!/usr/bin/env bash
# CI: the metrics file, as Prometheus' own Python client parses it. The Swift
# tests check the text with a strict validator of their own; this checks it
# with the reference parser (prometheus_client, from PyPI) on files written
# by the built binary: after a oneshot reclaim and by `mon_memcg watch`.
# Host-independent: the binary runs against a fixture tree made here.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="/opt/swift/usr/bin:$PATH"

fail() { echo "FAIL: $*" >&2; exit 1; }

echo "-- pip install prometheus_client"
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "prometheus_client==0.26.0" \
    || fail "pip could not install prometheus_client"
swift build --product mon_memcg > /dev/null
bin=.build/debug/mon_memcg

work=$(mktemp -d "${TMPDIR:-/tmp}/mon_memcg-ci-metrics.XXXXXX")
watch_pid=""
cleanup() {
    if [ -n "$watch_pid" ]; then kill -KILL "$watch_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# A host where memory is short (1 GiB MemTotal, 3 GB usage) and user.slice grew.
mkdir -p "$work/proc/sys/vm" "$work/cgroup/user.slice" "$work/state" "$work/metrics"
printf 'MemTotal:       1048576 kB\nMemAvailable:    524288 kB\n' > "$work/proc/meminfo"
echo 65536 > "$work/proc/sys/vm/min_free_kbytes"
echo 3000000000 > "$work/cgroup/memory.usage_in_bytes"
printf 'total_rss 1500000000\ntotal_cache 1500000000\ntotal_inactive_file 100000000\n' > "$work/cgroup/memory.stat"
printf 'total_rss 1000000000\ntotal_cache 2000000000\ntotal_inactive_file 100000000\n' > "$work/cgroup/user.slice/memory.stat"
: > "$work/cgroup/user.slice/memory.force_empty"
args=(--cgroup-root "$work/cgroup" --proc-root "$work/proc" --state-file "$work/state/state" --log-file "$work/log")

parse() {
    python3 - "$1" "$2" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
path, expect = sys.argv[1], sys.argv[2].split()
text = open(path).read()
families = {f.name: f for f in text_string_to_metric_families(text)}
for name in expect:
    kind = "counter" if name.endswith("_total") else "gauge"
    family = families.get(name[:-len("_total")] if kind == "counter" else name)
    if family is None:
        sys.exit(f"{path}: no {name} in\n{text}")
    if family.type != kind:
        sys.exit(f"{path}: {name} is a {family.type}, expected a {kind}")
    if not family.samples:
        sys.exit(f"{path}: {name} has no sample")
print(f"   ok: {path.rsplit('/', 1)[-1]}: {len(families)} families parsed by prometheus_client")
PY
}

echo "-- oneshot check with metrics_file"
"$bin" check "${args[@]}" --metrics-file "$work/metrics/check.prom" || fail "mon_memcg check failed"
parse "$work/metrics/check.prom" "mon_memcg_available_bytes mon_memcg_global_threshold_bytes mon_memcg_target_current_bytes mon_memcg_target_last_bytes mon_memcg_reclaims_total mon_memcg_skips_total mon_memcg_interruptions_total mon_memcg_reclaimed_bytes_total mon_memcg_last_reclaim_duration_seconds mon_memcg_last_run_timestamp_seconds mon_memcg_last_run_success"

echo "-- mon_memcg watch with metrics_file (fixture: polling)"
"$bin" watch "${args[@]}" --metrics-file "$work/metrics/watch.prom" --poll-interval 100ms 2> "$work/watch.err" &
watch_pid=$!
for _ in $(seq 100); do grep -q 'reason="poll"' "$work/metrics/watch.prom" 2>/dev/null && break; sleep 0.1; done
kill -TERM "$watch_pid"
wait "$watch_pid" || fail "mon_memcg watch did not exit 0 on SIGTERM: $(cat "$work/watch.err")"
watch_pid=""
parse "$work/metrics/watch.prom" "mon_memcg_skips_total mon_memcg_reclaims_total mon_memcg_watch_wakeups_total mon_memcg_last_run_success"
echo "metrics: 2 passed, 0 failed"
