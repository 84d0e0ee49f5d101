#!/usr/bin/env bash
# CI: the metrics file, as Prometheus' own Python client parses it. The Swift
# tests check the text with a strict validator of their own; this checks it
# with the reference parser (Debian's python3-prometheus-client, run by
# /usr/bin/python3, never whatever python3 is first on PATH) on files written
# by the built binary: after a oneshot reclaim and by `mon_memcg watch`.
# Host-independent: the binary runs against a fixture tree made here.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="/opt/swift/usr/bin:$PATH"
. scripts/ci/lib.sh

apt_install python3 python3-prometheus-client || fail "install python3-prometheus-client" "apt-get install failed (output above)"
/usr/bin/python3 -c 'import prometheus_client' || fail "install python3-prometheus-client" "/usr/bin/python3 cannot import prometheus_client"
ok "Debian's python3-prometheus-client $(dpkg-query -W -f '${Version}' python3-prometheus-client) for /usr/bin/python3"
swift build --product mon_memcg > /dev/null || fail "swift build --product mon_memcg" "the build failed"
bin=$(swift build --show-bin-path)/mon_memcg

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

parse() {  # parse FILE "METRIC...": one check
    local out
    if out=$(/usr/bin/python3 - "$1" "$2" 2>&1 <<'PY'
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
print(f"{path.rsplit('/', 1)[-1]} ({len(families)} families parsed by prometheus_client)")
PY
    ); then
        ok "$out"
    else
        check_failed "$(basename "$1")" "$out"
    fi
}

echo "-- oneshot check with metrics_file"
"$bin" check "${args[@]}" --metrics-file "$work/metrics/check.prom" || fail "check.prom" "mon_memcg check failed"
parse "$work/metrics/check.prom" "mon_memcg_available_bytes mon_memcg_global_threshold_bytes mon_memcg_target_current_bytes mon_memcg_target_last_bytes mon_memcg_reclaims_total mon_memcg_skips_total mon_memcg_interruptions_total mon_memcg_reclaimed_bytes_total mon_memcg_last_reclaim_duration_seconds mon_memcg_last_run_timestamp_seconds mon_memcg_last_run_success"

echo "-- mon_memcg watch with metrics_file (fixture: polling)"
"$bin" watch "${args[@]}" --metrics-file "$work/metrics/watch.prom" --poll-interval 100ms 2> "$work/watch.err" &
watch_pid=$!
for _ in $(seq 100); do grep -q 'reason="poll"' "$work/metrics/watch.prom" 2>/dev/null && break; sleep 0.1; done
kill -TERM "$watch_pid"
wait "$watch_pid" || fail "watch.prom" "mon_memcg watch did not exit 0 on SIGTERM: $(cat "$work/watch.err")"
watch_pid=""
parse "$work/metrics/watch.prom" "mon_memcg_skips_total mon_memcg_reclaims_total mon_memcg_watch_wakeups_total mon_memcg_last_run_success"
finish
