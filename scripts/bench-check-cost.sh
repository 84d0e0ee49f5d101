#!/usr/bin/env bash
# Cost of one check that finds nothing to do: the mon_memcg binary as the
# RPM builds it (swift build -c release -Xswiftc -static-executable) against
# a shell script doing the same reads and the same decision with
# cat/grep/awk, the way the original tool was written. Wall time and CPU
# (user + system) per run, measured by hyperfine in one session, interleaved
# by hyperfine's own order, with a ratio of medians. Root, cgroup v1.
#
#   scripts/bench-check-cost.sh [BINARY] [RUNS] [OTHER_BINARY...]
#
# Each OTHER_BINARY is measured too, in the same session (e.g. earlier or
# differently linked builds, to see what a change costs or saves); it is
# named after its file name. With OTHER_BINARYs, the units' command line is
# also measured in alternated starts (see the end of this script).
#
# Each binary is measured from a fresh copy in a temporary directory, as rpm
# installs it: the linker's own output file started 0.3 ms slower here
# (a copy next to it in the same directory did not), which would be a
# property of the build tree, not of the program.
set -euo pipefail
cd "$(dirname "$0")/.."
# The units run /usr/sbin/mon_memcg with no arguments, which reads
# /etc/mon_memcg.conf. To measure that command line too without touching
# the host's /etc, the whole session runs in a private mount namespace
# where /etc is a copy holding a mon_memcg.conf that points at the test
# cgroup (every command measured sees the same copy).
if [ -z "${MON_MEMCG_BENCH_NS:-}" ]; then
    exec env MON_MEMCG_BENCH_NS=1 unshare --mount --propagation private "$0" "$@"
fi
src=$(realpath "${1:-.build/release/mon_memcg}")
runs=${2:-300}
mem=/sys/fs/cgroup/memory
[ "$(id -u)" = 0 ] && [ -e $mem/memory.force_empty ] || { echo "needs root and cgroup v1 at $mem" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine not found (apt-get install -y hyperfine)" >&2; exit 1; }

work=$(mktemp -d /tmp/mon_memcg-test-bench-cost.XXXXXX)
cg=mon_memcg-test-bench-cost-$$
mkdir "$mem/$cg"
cleanup() { umount /etc 2>/dev/null || true; rmdir "$mem/$cg" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
install -m 0755 "$src" "$work/mon_memcg"
args=(check --target "$cg" --state-file "$work/state" --log-file "$work/log")
bin=$work/mon_memcg
cp -a /etc "$work/etc"
printf 'target = %s\nstate_file = %s\nlog_file = %s\n' "$cg" "$work/state" "$work/log" > "$work/etc/mon_memcg.conf"
chmod 0644 "$work/etc/mon_memcg.conf"
mount --bind "$work/etc" /etc
others=()
for other in "${@:3}"; do
    name=$(basename "$other")
    mkdir -p "$work/other/$name"
    install -m 0755 "$(realpath "$other")" "$work/other/$name/mon_memcg"
    others+=(-n "other: $name" "$work/other/$name/mon_memcg ${args[*]}")
    others+=(-n "other: $name (no arguments)" "$work/other/$name/mon_memcg")
done

# The same reads and decision as `mon_memcg check`, in the original script's style.
cat > "$work/original-check.sh" <<SH
#!/bin/bash
ROOT=$mem
TARGET=\$ROOT/$cg
STATE=$work/original-last
LOG=$work/original.log
THRESH=\$((4 * 1024 * 1024 * 1024))
CHANGE_MIN=\$((1024 * 1024 * 1024))
total=\$(grep MemTotal /proc/meminfo | awk '{print \$2 * 1024}')
usage=\$(cat \$ROOT/memory.usage_in_bytes)
inactive=\$(grep -w total_inactive_file \$ROOT/memory.stat | awk '{print \$2}')
low=\$(cat /proc/sys/vm/min_free_kbytes)
ws=\$((usage - inactive)); [ \$ws -lt 0 ] && ws=0
avail=\$((total - ws))
global=\$((THRESH + low * 1024))
rss=\$(grep -w total_rss \$TARGET/memory.stat | awk '{print \$2}')
cache=\$(grep -w total_cache \$TARGET/memory.stat | awk '{print \$2}')
current=\$((rss + cache))
last=\$(cat \$STATE 2>/dev/null || echo 0)
if [ \$avail -lt \$global ]; then
    echo "\$(date)     avalible_mem \$avail is less global thresh \$global, need reclaim \$TARGET !!" >> \$LOG
elif [ \$current -lt \$last ]; then
    echo "\$(date)     mem usage decline, change last usage mem \$last -> \$current" >> \$LOG
    echo \$current > \$STATE
fi
SH
chmod +x "$work/original-check.sh"
"$bin" "${args[@]}"
"$work/original-check.sh"
[ ! -s "$work/log" ] && [ ! -s "$work/original.log" ] || { echo "a check found something to do; the comparison needs memory not short" >&2; cat "$work/log" "$work/original.log"; exit 1; }

hyperfine -N --warmup 20 --runs "$runs" --export-json "$work/hf.json" \
    -n "mon_memcg check" "$bin ${args[*]}" \
    -n "mon_memcg (no arguments, as the units run it)" "$bin" \
    -n "mon_memcg check + metrics_file" "$bin ${args[*]} --metrics-file $work/mon_memcg.prom" \
    -n "shell script (original style)" "$work/original-check.sh" \
    "${others[@]}" > "$work/hf.txt"
cat "$work/hf.txt"
python3 - "$work/hf.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
def row(name):
    x = r[name]
    return x["median"] * 1000, (x["user"] + x["system"]) * 1000
print()
print(f"{'command':40} {'wall median':>12} {'CPU mean':>10}")
for name in r:
    w, c = row(name)
    print(f"{name:40} {w:9.2f} ms {c:7.2f} ms")
sw, sc = row("shell script (original style)")
mw, mc = row("mon_memcg check")
print(f"shell / mon_memcg: wall {sw / mw:.1f}x, CPU {sc / mc:.1f}x")
nw, nc = row("mon_memcg (no arguments, as the units run it)")
print(f"shell / mon_memcg with no arguments: wall {sw / nw:.1f}x, CPU {sc / nc:.1f}x")
PY

# hyperfine runs each command hundreds of times in a row, so every run after
# the first finds the binary's pages and the runtime's tables hot in the
# CPU caches. A timer's check starts after other work has run: the same
# command lines again, alternated (A B C A B C ...), so that each start
# follows another binary's. Wall median and CPU mean (user + system, from
# wait4) per command; fork from Python adds the same to every row.
if [ ${#others[@]} -gt 0 ]; then
    alternated=("$bin")
    for other in "${@:3}"; do alternated+=("$work/other/$(basename "$other")/mon_memcg"); done
    echo
    echo "alternated starts, no arguments (as the units run it), $runs rounds:"
    /usr/bin/python3 - "$runs" "${alternated[@]}" <<'PY'
import os, statistics, sys, time
runs, binaries = int(sys.argv[1]), sys.argv[2:]
wall = {b: [] for b in binaries}
cpu = {b: [] for b in binaries}
null = os.open("/dev/null", os.O_WRONLY)
for _ in range(runs):
    for b in binaries:
        start = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os.dup2(null, 1)
            os.dup2(null, 2)
            os.execv(b, [b])
        _, status, usage = os.wait4(pid, 0)
        wall[b].append(time.perf_counter() - start)
        cpu[b].append(usage.ru_utime + usage.ru_stime)
        if status != 0:
            sys.exit(f"{b} exited with status {status}")
first = binaries[0]
for b in binaries:
    name = "mon_memcg" if b == first else "other: " + os.path.basename(os.path.dirname(b))
    w, c = statistics.median(wall[b]) * 1000, statistics.mean(cpu[b]) * 1000
    print(f"{name:40} {w:9.2f} ms {c:7.2f} ms   ({w / (statistics.median(wall[first]) * 1000):.2f}x mon_memcg's wall)")
PY
fi
