#!/usr/bin/env bash
# `mon_memcg watch` at rest: CPU and memory over SECONDS (default 60) with
# the default poll_interval (5 s) and memory not short, read from
# /proc/PID/stat and /proc/PID/status; with metrics_file set, and without.
# Compared, in the same run, with what the timer's cadence costs: three
# oneshot checks a minute, their CPU measured here by /usr/bin/time.
# Root, cgroup v1.
#
#   scripts/bench-rest.sh [BINARY] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-.build/release/mon_memcg}")
seconds=${2:-60}
mem=/sys/fs/cgroup/memory
[ "$(id -u)" = 0 ] && [ -e $mem/memory.force_empty ] || { echo "needs root and cgroup v1 at $mem" >&2; exit 1; }

work=$(mktemp -d /tmp/mon_memcg-test-bench-rest.XXXXXX)
cg=mon_memcg-test-bench-rest-$$
mkdir "$mem/$cg"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    rmdir "$mem/$cg" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
# CPU time on the CPU in nanoseconds (schedstat), not 10 ms clock ticks.
cpu_ns() { awk '{ print $1 }' "/proc/$1/schedstat"; }

start() {  # name, extra args...
    local name=$1; shift
    "$bin" watch --target "$cg" --state-file "$work/$name.state" --log-file "$work/$name.log" "$@" &
    pids+=($!)
}
start plain
start metrics --metrics-file "$work/mon_memcg.prom"
sleep 2   # past start-up
declare -A t0
for p in "${pids[@]}"; do t0[$p]=$(cpu_ns "$p"); done
wall0=$(date +%s.%N)
sleep "$seconds"
wall=$(echo "$(date +%s.%N) - $wall0" | bc)
names=(plain metrics)
i=0
for p in "${pids[@]}"; do
    used=$(( $(cpu_ns "$p") - ${t0[$p]} ))
    rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$p/status")
    hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$p/status")
    printf 'watch (%s): CPU %.1f ms in %.1f s = %.4f %% of a core; RSS %d KiB (peak %d KiB)\n' \
        "${names[$i]}" "$(echo "$used / 1000000" | bc -l)" "$wall" "$(echo "100 * $used / 1000000000 / $wall" | bc -l)" "$rss" "$hwm"
    i=$((i + 1))
done
grep -o 'reason="poll"} [0-9]*' "$work/mon_memcg.prom" | sed 's/^/metrics: polls /'

# The timer's cadence for comparison: 3 oneshot checks a minute, the CPU of
# one check measured over 100 of them (bash's time: user + sys of children).
TIMEFORMAT='%U %S'
cpu=$( { time (for _ in $(seq 100); do "$bin" check --target "$cg" --state-file "$work/oneshot.state" --log-file "$work/oneshot.log"; done) ; } 2>&1 | tail -1)
per=$(echo "$cpu" | awk '{ print ($1 + $2) * 1000 / 100 }')
printf 'timer (3 oneshot checks a minute): %.2f ms CPU per check = %.4f %% of a core (process start-up included; systemd'"'"'s own work per run not)\n' \
    "$per" "$(echo "100 * 3 * $per / 1000 / 60" | bc -l)"
