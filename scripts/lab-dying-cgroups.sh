#!/usr/bin/env bash
# Lab scenario for dying memory cgroups on the real kernel (root, cgroup v1
# memory controller at /sys/fs/cgroup/memory). Builds the original design's timeout case
# in mon_memcg-test-* cgroups and runs mon_memcg against it three ways:
#
#   A  original behaviour (dying_reclaim = off), idle target: dying children only
#   B  original behaviour (dying_reclaim = off), busy target: dying children plus
#      live children whose writers keep filling page cache
#   C  new behaviour (dying_reclaim = auto), same busy target as B
#
# Before and after each run it prints the dying count (hierarchy-wide), the
# dying bytes under the target, kubelet's available memory, the target's
# usage, the run's exit status and wall time, and the run's log lines. The
# summary table at the end is what docs/dying-cgroups.md reports.
#
#   scripts/lab-dying-cgroups.sh                # defaults below
#   DYING=8 DYING_MB=64 LIVE=2 WRITERS=4 RECLAIM_TIMEOUT=10s scripts/lab-dying-cgroups.sh
#
# The default reclaim_timeout (100ms) scales the original script's node down to this
# one: force_empty frees ~4 GB/s here, so 45 s on a 1 TB node covers about
# the same share of the charged memory as 100 ms does of the ~4 GB built
# here. With a long timeout this kernel's force_empty frees the dying
# cgroups itself (see docs/dying-cgroups.md).
#
# Rules it keeps: only cgroups named mon_memcg-test-* are created, only
# processes it started are moved (each shell moves itself in), everything is
# removed on exit (also on failure or Ctrl-C), no other cgroup is written.
# Phase C writes 1 to /proc/sys/vm/drop_caches, which is node-wide.
set -euo pipefail
cd "$(dirname "$0")/.."

MOUNT=/sys/fs/cgroup/memory
DYING=${DYING:-8}
DYING_MB=${DYING_MB:-256}
LIVE=${LIVE:-2}
WRITERS=${WRITERS:-8}
WRITER_MB=${WRITER_MB:-32}
RECLAIM_TIMEOUT=${RECLAIM_TIMEOUT:-100ms}
WARMUP=${WARMUP:-5}

if [ "$(id -u)" != 0 ]; then echo "SKIP lab-dying-cgroups: needs root (writes cgroupfs)"; exit 0; fi
if [ ! -e "$MOUNT/memory.force_empty" ]; then echo "SKIP lab-dying-cgroups: needs a cgroup v1 memory controller at $MOUNT"; exit 0; fi
command -v jq >/dev/null || { echo "lab-dying-cgroups: jq is needed (apt-get install -y jq)" >&2; exit 1; }

BIN=${MON_MEMCG_BINARY:-}
if [ -z "$BIN" ]; then
    PATH="/opt/swift/usr/bin:$PATH" swift build -c debug >/dev/null
    BIN=$(PATH="/opt/swift/usr/bin:$PATH" swift build -c debug --show-bin-path)/mon_memcg
fi

WORK=$(mktemp -d /var/tmp/mon_memcg-lab.XXXXXX)  # on disk: page cache that can be dropped
TAG=$$
PIDS=()
CGROUPS=()

# Kills what is left in one of our cgroups (only our processes were moved
# there, and their children inherit it), then removes it, retrying while
# the last tasks exit.
remove_cgroup() {  # absolute path
    local cg=$1 try pid
    [ -d "$cg" ] || return 0
    for (( try=0; try<50; try++ )); do
        while read -r pid; do kill -9 "$pid" 2>/dev/null; done < "$cg/cgroup.procs"
        echo 1 > "$cg/memory.force_empty" 2>/dev/null
        rmdir "$cg" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "WARNING: could not remove $cg" >&2
}

cleanup() {
    set +e
    for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
    PIDS=()
    # Files first: their pages go, so no cgroup of ours is left dying.
    rm -rf "$WORK/data"
    for (( i=${#CGROUPS[@]}-1; i>=0; i-- )); do
        local cg=$MOUNT/${CGROUPS[$i]} child
        for child in "$cg"/mon_memcg-test-*/; do
            [ -d "$child" ] && remove_cgroup "${child%/}"
        done
        remove_cgroup "$cg"
    done
    CGROUPS=()
}
trap 'cleanup; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

# Sets $t (not echoed: a command substitution's subshell would lose CGROUPS).
new_target() {  # name
    t="mon_memcg-test-lab-$1-$TAG"
    CGROUPS+=("$t")
    mkdir "$MOUNT/$t"
}

make_dying() {  # target
    local t=$1 i
    mkdir -p "$WORK/data"
    for (( i=0; i<DYING; i++ )); do
        local c="$MOUNT/$t/mon_memcg-test-dying-$i"
        mkdir "$c"
        # The shell moves itself in (it is ours), writes, syncs, exits.
        sh -c "echo \$\$ > $c/cgroup.procs && exec dd if=/dev/zero of=$WORK/data/$t-dying-$i bs=1M count=$DYING_MB conv=fsync status=none"
        rmdir "$c"
    done
}

start_writers() {  # target
    local t=$1 c w
    mkdir -p "$WORK/data"
    for (( c=0; c<LIVE; c++ )); do
        local cg="$MOUNT/$t/mon_memcg-test-live-$c"
        mkdir "$cg"
        for (( w=0; w<WRITERS; w++ )); do
            local f="$WORK/data/$t-live-$c-$w"
            sh -c "echo \$\$ > $cg/cgroup.procs && exec sh -c 'while :; do for n in 0 1 2 3; do dd if=/dev/zero of=$f-\$n bs=1M count=$WRITER_MB status=none; done; done'" &
            PIDS+=($!)
        done
    done
    sleep "$WARMUP"
}

stop_phase() {
    cleanup
}

# One status --json, as: dying_cgroups dying_bytes available_bytes current_bytes
measure() {  # target
    "$BIN" status --json --target "$1" --available-threshold 64G --growth-threshold 64M |
        jq -r '[.dying_cgroups, .dying_bytes, .available_bytes, .current_bytes] | @tsv'
}

mib() { echo $(( $1 / 1048576 )); }

ROWS=()
run_phase() {  # label target dying_reclaim
    local label=$1 t=$2 mode=$3
    rm -f "$WORK/state" "$WORK/state.lock" "$WORK/log"
    read -r c0 b0 a0 u0 < <(measure "$t")
    local start end status=0
    start=$(date +%s%N)
    "$BIN" check --target "$t" --available-threshold 64G --growth-threshold 64M \
        --reclaim-timeout "$RECLAIM_TIMEOUT" --dying-reclaim "$mode" \
        --state-file "$WORK/state" --log-file "$WORK/log" 2>/dev/null || status=$?
    end=$(date +%s%N)
    # Freed cgroups leave /proc/cgroups from a kernel work queue, a little
    # after their last page: let the count settle before reading it.
    sleep 1
    read -r c1 b1 a1 u1 < <(measure "$t")
    local ms=$(( (end - start) / 1000000 ))
    echo
    echo "== $label (dying_reclaim=$mode, reclaim_timeout=$RECLAIM_TIMEOUT): exit $status after $ms ms"
    echo "   dying cgroups $c0 -> $c1, dying bytes $b0 -> $b1 ($(mib "$b0") -> $(mib "$b1") MiB)"
    echo "   available $a0 -> $a1 ($(mib "$a0") -> $(mib "$a1") MiB), target usage $(mib "$u0") -> $(mib "$u1") MiB"
    sed 's/^/   | /' "$WORK/log"
    ROWS+=("| $label | $mode | $RECLAIM_TIMEOUT | $c0 → $c1 | $(mib "$b0") → $(mib "$b1") | $(mib "$a0") → $(mib "$a1") | $(mib "$u0") → $(mib "$u1") | $status | $(awk "BEGIN{printf \"%.1f\", $ms/1000}") |")
}

echo "kernel $(uname -r), $(nproc) cores; dying children $DYING x $DYING_MB MiB; live children $LIVE x $WRITERS writers of 4 x $WRITER_MB MiB files; reclaim_timeout $RECLAIM_TIMEOUT"
echo "baseline: $("$BIN" status --json | jq .dying_cgroups) dying cgroups on the whole hierarchy (other users of this machine included)"

new_target idle
make_dying "$t"
RECLAIM_TIMEOUT=10s run_phase "A original, idle" "$t" off
stop_phase

new_target busy-original
make_dying "$t"
start_writers "$t"
run_phase "B original, busy writers" "$t" off
stop_phase

new_target busy-new
make_dying "$t"
start_writers "$t"
run_phase "C new, busy writers" "$t" auto
stop_phase

echo
echo "| phase | dying_reclaim | reclaim_timeout | dying cgroups | dying MiB (target) | available MiB | target usage MiB | exit | run s |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
