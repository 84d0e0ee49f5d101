#!/usr/bin/env bash
# What the node's cgroup count costs `status` and a reclaiming `check`:
# each binary measured by hyperfine with no other cgroups than the target
# (N=0) and with BESIDE cgroups beside the target and BELOW below it
# (N=BESIDE), in one session. Root, cgroup v1 at /sys/fs/cgroup/memory.
#
#   scripts/bench-node-size.sh BINARY [BASELINE_BINARY] [RUNS] [BESIDE] [BELOW]
#
# Defaults: RUNS 30, BESIDE 10000, BELOW 1000. Every cgroup it makes is named
# mon_memcg-test-* (the target mon_memcg-test-node-PID, the cgroups beside
# it below mon_memcg-test-node-PID-beside), holds no process, and is removed
# on exit, also on failure or ^C. Each check reclaims: available_threshold
# is above the machine's memory and growth_threshold 0, the state file is
# removed before each run, and dying_reclaim is off (no drop_caches on the
# host). The check's force_empty has nothing to free (the target is empty):
# what is measured is the check's own cost around the write.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:?usage: $0 BINARY [BASELINE_BINARY] [RUNS] [BESIDE] [BELOW]}")
base=${2:-}
runs=${3:-30}
beside=${4:-10000}
below=${5:-1000}
mem=/sys/fs/cgroup/memory
if [ "$(id -u)" != 0 ] || [ ! -e $mem/memory.force_empty ]; then echo "needs root and cgroup v1 at $mem" >&2; exit 1; fi
command -v hyperfine >/dev/null || { echo "hyperfine not found (apt-get install -y hyperfine)" >&2; exit 1; }

work=$(mktemp -d /tmp/mon_memcg-test-bench-node.XXXXXX)
target=mon_memcg-test-node-$$
side=mon_memcg-test-node-$$-beside
# Children first, each directory once; an rmdir that fails (a process we did
# not start moved in) is reported, not forced.
cleanup() {
    local d
    for d in "$mem/$target" "$mem/$side"; do
        [ -d "$d" ] || continue
        find "$d" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null || true
        rmdir "$d" || echo "could not remove $d" >&2
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir "$mem/$target" "$mem/$side"

install -m 0755 "$bin" "$work/new"
names=(new)
[ -n "$base" ] && { install -m 0755 "$(realpath "$base")" "$work/base"; names+=(base); }
# One config per binary, which differ only in the log file: each binary's
# "reclaim took" lines are its own.
for n in "${names[@]}"; do
    printf 'target = %s\nstate_file = %s\nlog_file = %s\navailable_threshold = 1024Gi\ngrowth_threshold = 0\ndying_reclaim = off\n' \
        "$target" "$work/state" "$work/log-$n" > "$work/conf-$n"
done

measure() {
    local label=$1 cmds=() n
    for n in "${names[@]}"; do
        cmds+=(-n "$n status ($label)" "$work/$n status --config $work/conf-$n")
        cmds+=(-n "$n check ($label)" "$work/$n check --config $work/conf-$n")
        : > "$work/log-$n"
    done
    hyperfine -N --warmup 3 --runs "$runs" --prepare "rm -f $work/state" \
        --export-json "$work/$label.json" "${cmds[@]}" >&2
    /usr/bin/python3 - "$work/$label.json" "$label" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    t = sorted(r["times"])
    print(f'{r["command"]:<28} median {r["median"]*1000:8.1f} ms  min {t[0]*1000:7.1f}  max {t[-1]*1000:7.1f}  user+sys {(r["user"]+r["system"])*1000:6.1f} ms')
PY
    # The kernel's own part of a check: force_empty's time as each check
    # logged it ("reclaim took S s", ms resolution), and the check less it.
    for n in "${names[@]}"; do
        grep -o 'reclaim took [0-9.]* s' "$work/log-$n" | awk '{ print $3 * 1000 }' | sort -n > "$work/took-$n-$label"
        /usr/bin/python3 - "$work/$label.json" "$n check ($label)" "$work/took-$n-$label" <<'PY'
import json, statistics, sys
times = next(r["times"] for r in json.load(open(sys.argv[1]))["results"] if r["command"] == sys.argv[2])
took = [float(x) for x in open(sys.argv[3]) if x.strip()]
if took:
    w = statistics.median(took)
    print(f'{sys.argv[2]:<28} force_empty (its log) median {w:6.1f} ms over {len(took)} checks; check less it {statistics.median(times)*1000 - w:7.1f} ms')
PY
    done
}

# Decision to first write: strace (seccomp-filtered, only openat stops)
# stamps the check's first open of the target's memory.stat, which the
# decision reads, and its open of memory.force_empty; the difference, in
# ms, median and range over FIRST_RUNS runs. Each traced openat adds tens
# of µs, so with many children below the target the numbers are high.
first_write() {
    local label=$1 n i
    command -v strace >/dev/null || { echo "strace not found: first-write latency not measured" >&2; return 0; }
    for n in "${names[@]}"; do
        for ((i = 0; i < ${FIRST_RUNS:-15}; i++)); do
            rm -f "$work/state"
            strace -f --seccomp-bpf -e trace=openat -ttt -o "$work/trace" "$work/$n" check --config "$work/conf-$n" >/dev/null
            awk -v t="$target" '
                $3 ~ "openat" && index($0, t "/memory.stat\"") && !s { s = $2 }
                $3 ~ "openat" && index($0, t "/memory.force_empty\"") && !e { e = $2 }
                END { if (s && e) printf "%.3f\n", (e - s) * 1000 }' "$work/trace"
        done > "$work/first-$n-$label"
        sort -n "$work/first-$n-$label" | awk -v n="$n" -v l="$label" '{ v[NR] = $1 } END {
            printf "%-5s first write (%s)       median %8.3f ms  min %7.3f  max %7.3f  (%d runs, strace)\n", n, l, v[int((NR + 1) / 2)], v[1], v[NR], NR }'
    done
}

# One run to see that the check reclaims and status works (exit 0 both).
"$work/new" check --config "$work/conf-new" >/dev/null
grep -q "need reclaim" "$work/log-new" || { echo "the check did not reclaim; see $work/log-new" >&2; cat "$work/log-new" >&2; exit 1; }
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== N=0 (no cgroup but the target)"
measure n0 | tee "$work/n0.txt"
first_write n0
echo "creating $beside cgroups beside the target and $below below it ..." >&2
for ((i = 0; i < beside; i++)); do mkdir "$mem/$side/mon_memcg-test-b$i"; done
for ((i = 0; i < below; i++)); do mkdir "$mem/$target/mon_memcg-test-c$i"; done
echo "== N=$beside beside, $below below"
measure big | tee "$work/big.txt"
first_write big
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$work/n0.json" "$work/big.json" <<'PY'
import json, sys
a = {r["command"]: r["median"] for r in json.load(open(sys.argv[1]))["results"]}
b = {r["command"]: r["median"] for r in json.load(open(sys.argv[2]))["results"]}
for k in a:
    kb = k.replace("(n0)", "(big)")
    print(f'{k.replace(" (n0)", ""):<14} N=0 {a[k]*1000:7.1f} ms  N=big {b[kb]*1000:7.1f} ms  ratio {b[kb]/a[k]:5.2f}x')
PY
