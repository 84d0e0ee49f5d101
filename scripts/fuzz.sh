#!/usr/bin/env bash
# Fuzzes MemcgCore's parsers with libFuzzer for a bounded time.
#   scripts/fuzz.sh [seconds]   (default 30)
# The parsers and the entry point are compiled together into one binary with
# -sanitize=fuzzer,address; the corpus starts from real kernel files and the
# shipped config. Exits non-zero on any crash, trap or sanitizer report.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
out=.build-fuzz
mkdir -p "$out/corpus"
# ld.gold warns about every ASan symbol; show its output only on failure.
if ! swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name MemcgCore \
    Sources/MemcgCore/*.swift fuzz/FuzzParsers.swift -o "$out/fuzz-parsers" > "$out/build.log" 2>&1; then
    cat "$out/build.log"
    exit 1
fi

# Seeds: one per parser, selected by the first byte.
seed() { { printf "\\x$(printf %02x "$1")"; cat; } > "$out/corpus/seed-$1-$2"; }
packaging_conf=packaging/mon_memcg.conf
[ -f "$packaging_conf" ] && seed 0 conf < "$packaging_conf"
seed 1 meminfo < /proc/meminfo
if [ -r /sys/fs/cgroup/memory/memory.stat ]; then seed 2 stat < /sys/fs/cgroup/memory/memory.stat; fi
seed 3 counter < /proc/sys/vm/min_free_kbytes
printf '4G' | seed 4 size
printf '45s' | seed 5 duration
printf 'mon_memcg-state 1\nlast 915800064\n' | seed 6 state
seed 7 mountinfo < /proc/self/mountinfo
seed 8 cgroups < /proc/cgroups
printf 'nr_descendants 3\nnr_dying_descendants 1\nnr_subsys_memory 4\nnr_dying_subsys_memory 1\n' | seed 9 cgroupstat

"$out/fuzz-parsers" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$out/" "$out/corpus" > "$out/fuzz.log" 2>&1 || { tail -n 60 "$out/fuzz.log"; echo "fuzz: FAILED (crash input saved under $out/)"; exit 1; }
grep -E '^(Done|stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added)' "$out/fuzz.log"
echo "fuzz: parsers survived $seconds s with no crash"
