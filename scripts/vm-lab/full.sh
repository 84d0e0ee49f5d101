#!/usr/bin/env bash
# The v2 efficacy lab's full run of scenarios 2 and 3: BOOTS boots of
# scripts/vm-lab/run.sh, each running every arm once per scenario, the arms
# rotated from boot to boot (as the v1 lab rotates them per repetition), at
# most PARALLEL guests at once; then the tables across all boots
# (summary.py --table), their samples and cells in one place (summary.py
# --merge) and one chart per scenario (chart.py --scenario).
#
#   scripts/vm-lab/full.sh OUTROOT [BOOTS [PARALLEL [FIRST]]]
#       defaults: 4 boots, 1 at a time, numbered from FIRST=1 (more boots
#       can be added later to the same OUTROOT)
#
# Each boot writes OUTROOT/bootN/ (console.log, samples.csv, cells.json,
# params.json) and OUTROOT/bootN.txt (run.sh's output, the host's load
# average before and after). MON_MEMCG_BINARY and MMVM_LRU_GEN pass through.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
root=${1:?usage: $0 OUTROOT [BOOTS [PARALLEL [FIRST]]]}
boots=${2:-4}
parallel=${3:-1}
first=${4:-1}
arms=(none timer watch flusher)
mkdir -p "$root"
export PATH="/opt/swift/usr/bin:$PATH"
# one build for all boots (parallel boots must not each build it)
MON_MEMCG_BINARY=$("$repo/scripts/vm/release-binary.sh" "$root") || exit 1
export MON_MEMCG_BINARY

cells_of() {  # the cells of boot $1: every arm for s2, then for s3, rotated by the boot's number
    local k=$(( ($1 - 1) % 4 )) s a out=()
    for s in s2 s3; do
        for a in "${arms[@]:k}" "${arms[@]:0:k}"; do out+=("$s:$a"); done
    done
    (IFS=,; echo "${out[*]}")
}

one() {
    local b=$1 log=$root/boot$1.txt
    {
        echo "boot $b: cells $(cells_of "$b"); host load before: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u)"
        MMVM_CELLS=$(cells_of "$b") "$repo/scripts/vm-lab/run.sh" "$root/boot$b"
        echo "exit status $?; host load after: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u)"
    } > "$log" 2>&1
    rm -rf "$root/boot$b/initramfs" "$root/boot$b/initramfs.cpio"
}

b=$first
last=$((first + boots - 1))
while [ "$b" -le "$last" ]; do
    pids=()
    for _ in $(seq "$parallel"); do
        [ "$b" -le "$last" ] || break
        one "$b" &
        pids+=($!)
        b=$((b + 1))
        sleep 5  # the two guests' builds of the initramfs do not collide
    done
    wait "${pids[@]}"
done

dirs=$(ls -d "$root"/boot*/ | sort -V | while read -r d; do [ -s "$d/cells.json" ] && echo "${d%/}"; done)
# shellcheck disable=SC2086
/usr/bin/python3 "$repo/scripts/vm-lab/summary.py" --table $dirs | tee "$root/tables.md"
# shellcheck disable=SC2086
/usr/bin/python3 "$repo/scripts/vm-lab/summary.py" --merge "$root" $dirs
kver=$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["kernel"])' "$(echo "$dirs" | head -n 1)/params.json")
for s in s2 s3; do
    # shellcheck disable=SC2086
    /usr/bin/python3 "$repo/scripts/vm-lab/chart.py" --scenario "$s" --png "$root/$s.png" \
        --title "cgroup v2, scenario ${s#s}, $kver, TCG guest, $(echo "$dirs" | wc -l) boots" $dirs
done
