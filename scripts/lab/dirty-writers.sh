#!/usr/bin/env bash
# What lower dirty limits cost writers whose data must all reach the disk
# (docs/efficacy.md, "The kernel's dirty limits"): WRITERS dd processes
# each write GIB GiB of new data to files of their own on the lab's disk
# (/var/tmp), with the node's dirty limits as they are ("node") and with
# LIMIT:BACKGROUND in vm.dirty_bytes/vm.dirty_background_bytes ("set"),
# blocks alternating node, set, node, set, ... REPS times each. Per run:
# seconds until every writer's last write() returned, then until `sync`
# returned (everything on disk), MiB/s of each, and the node's peak
# nr_dirty + nr_writeback (sampled every 0.2 s).
# --fsync-every MIB: each writer calls fsync(2) on its file after every MIB
# it wrote (a dd of MIB with conv=fsync, one after the other), as a
# database or a log shipper that waits for its data would; the run's
# "writes returned" then includes those waits.
#
#   scripts/lab/dirty-writers.sh [--writers 4] [--gib 4] [--reps 3] [--limits 256M:64M] [--fsync-every MIB]
#
# Root. It changes the node: its dirty limits during the "set" runs (put
# back after each, and on exit, failure or ^C), and WRITERS x GIB GiB on
# /var/tmp's disk during each run (removed after it). Needs the machine to
# itself: other writers share the disk and the limits.
set -euo pipefail
writers=4 gib=4 reps=3 limits=256M:64M fsync_every=0
while [ $# -gt 0 ]; do
    case $1 in
        --writers) writers=$2; shift ;;
        --gib) gib=$2; shift ;;
        --reps) reps=$2; shift ;;
        --limits) limits=$2; shift ;;
        --fsync-every) fsync_every=$2; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "dirty-writers.sh: unknown argument '$1' (see --help)" >&2; exit 64 ;;
    esac
    shift
done
case $fsync_every in
    0) ;;
    *[!0-9]*|'') echo "dirty-writers.sh: --fsync-every takes MiB, a whole number (got '$fsync_every')" >&2; exit 64 ;;
    *) [ $(( gib * 1024 % fsync_every )) = 0 ] || {
           echo "dirty-writers.sh: --fsync-every $fsync_every does not divide --gib $gib GiB ($((gib * 1024)) MiB)" >&2; exit 64; } ;;
esac
[ "$(id -u)" = 0 ] || { echo "dirty-writers.sh: needs root (it sets vm.dirty_bytes)" >&2; exit 77; }
# Parsing, saving, setting and putting back the limits: dirty_limits.py,
# the lab's one copy of the kernel's rules for them (and its tests).
dl() { /usr/bin/python3 "$(dirname "$0")/dirty_limits.py" "$@"; }
read -r limit background < <(dl parse "$limits") || exit 64
need=$(( writers * gib * 1024 * 1024 ))  # KiB
free=$(df -Pk /var/tmp | awk 'NR == 2 { print $4 }')
[ "$free" -gt $(( need * 2 )) ] || {
    echo "dirty-writers.sh: /var/tmp has $((free / 1024)) MiB free; the runs write $((need / 1024)) MiB each: fewer --writers or --gib" >&2; exit 1; }

work=$(mktemp -d /var/tmp/mon_memcg-lab-dirty.XXXXXX)
restore() { [ ! -s "$work/saved.json" ] || dl restore "$work/saved.json"; }
# The writers: their loops first (with --fsync-every a loop starts one dd
# after another), then every dd writing into $work.
writer_pids=() sampler=
cleanup() {
    [ ${#writer_pids[@]} = 0 ] || kill "${writer_pids[@]}" 2>/dev/null || true
    [ -z "$sampler" ] || kill "$sampler" 2>/dev/null || true
    pkill -f "of=$work/w" 2>/dev/null || true
    restore; rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
dl save "$work/saved.json"

now() { date +%s.%N; }
unwritten_pages() { awk '$1 == "nr_dirty" || $1 == "nr_writeback" { s += $2 } END { print s }' /proc/vmstat; }
page=$(getconf PAGESIZE)
echo "node's dirty limits: $(cat "$work/saved.json"); set runs: vm.dirty_bytes $limit, vm.dirty_background_bytes $background"
echo "$writers writers x $gib GiB each$([ "$fsync_every" = 0 ] || echo ", fsync every $fsync_every MiB"), $reps reps of each setting, alternating; kernel $(uname -r), $(nproc) cores"
run() {  # run SETTING REP
    local t0 t1 t2 peak=0 p i k
    sync
    [ "$1" = set ] && dl set "$limits"
    ( while :; do unwritten_pages; sleep 0.2; done ) > "$work/samples" &
    sampler=$!
    t0=$(now)
    writer_pids=()
    for ((i = 0; i < writers; i++)); do
        if [ "$fsync_every" = 0 ]; then
            dd if=/dev/zero of="$work/w$i" bs=1M count=$((gib * 1024)) status=none &
        else
            ( for ((k = 0; k < gib * 1024 / fsync_every; k++)); do
                  dd if=/dev/zero of="$work/w$i" bs=1M count="$fsync_every" seek=$((k * fsync_every)) \
                      conv=notrunc,fsync status=none
              done ) &
        fi
        writer_pids+=($!)
    done
    wait "${writer_pids[@]}"
    writer_pids=()
    t1=$(now)
    sync
    t2=$(now)
    kill "$sampler"; wait "$sampler" 2>/dev/null || true
    sampler=
    peak=$(sort -n "$work/samples" | tail -n 1)
    [ "$1" = set ] && restore
    rm -f "$work"/w*
    awk -v s="$1" -v r="$2" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v mib=$((writers * gib * 1024)) -v peak="$peak" -v page="$page" 'BEGIN {
        printf "%-4s rep %d: writes returned after %6.2f s (%5.0f MiB/s), on disk after %6.2f s (%5.0f MiB/s); peak dirty + writeback %5.0f MiB\n",
            s, r, t1 - t0, mib / (t1 - t0), t2 - t0, mib / (t2 - t0), peak * page / 1048576 }'
}
for ((r = 1; r <= reps; r++)); do
    run node "$r"
    run set "$r"
done
