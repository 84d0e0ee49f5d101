#!/bin/bash
# What cgroup v1's only kernel lever, memory.limit_in_bytes, does to a
# target when it is set near the target's usage (issue 23: "measure it, and
# ship it only opt-in with the same floors and restore, or not at all").
# docs/cgroup-v2.md ("v1: memory.limit_in_bytes, measured") has one run's
# numbers and the decision taken from them.
#
# Runs on the real v1 memory controller as root; everything happens in its
# own cgroups (/sys/fs/cgroup/memory/mon_memcg-test-limit-*), with
# processes it started, and files in its own directory under /var/tmp
# (a disk file system: tmpfs pages are shmem, which nothing reclaims
# without swap). All of it is removed on exit, also on failure.
#
#   sudo scripts/measure-v1-limit.sh [MiB]     (default 512)
#
# Prints one "measure NAME VALUE" line per number; exit 0 when it ran,
# 77 when there is no v1 memory controller or it is not root.
set -u
MEM=/sys/fs/cgroup/memory
SIZE_MB=${1:-512}
MiB=1048576

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (writes memory.limit_in_bytes of its own test cgroup)"; exit 77; }
[ -w $MEM/memory.limit_in_bytes ] || [ -e $MEM/memory.limit_in_bytes ] || {
    echo "SKIP: no cgroup v1 memory controller at $MEM"; exit 77; }

DIR=$(mktemp -d /var/tmp/mon_memcg-test-limit.XXXXXX)
CGS=()
PIDS=()
cleanup() {
    # Only this script's processes are in its cgroups (dd, sleep and the
    # shells that moved themselves there).
    for cg in "${CGS[@]}"; do
        [ -d "$cg" ] && for p in $(cat "$cg/tasks"); do kill -9 "$p" 2>/dev/null; done
    done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$DIR"
    for cg in "${CGS[@]}"; do
        [ -d "$cg" ] || continue
        # Uncharge its page cache first, so the rmdir leaves no dying cgroup.
        for _ in 1 2 3 4 5; do [ -s "$cg/tasks" ] || break; sleep 0.2; done
        echo 0 > "$cg/memory.force_empty" 2>/dev/null
        rmdir "$cg" 2>/dev/null || echo "measure cleanup-failed $cg"
    done
}
trap cleanup EXIT
trap 'exit 1' INT TERM

m() { echo "measure $*"; }
stat_of() { awk -v k="$2" '$1 == k { print $2 }' "$1/memory.stat"; }
oom_kills() { awk '$1 == "oom_kill" { print $2 }' "$1/memory.oom_control"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# new_cg NAME: sets cg (not a $(...) subshell: CGS must be the script's).
new_cg() { cg=$MEM/mon_memcg-test-limit-$$-$1; mkdir "$cg" || exit 1; CGS+=("$cg"); }
# set_limit CG BYTES: the write, timed; prints "ms rc".
set_limit() {
    local t0 rc
    t0=$(now_ms)
    echo "$2" > "$1/memory.limit_in_bytes" 2>"$DIR/limit.err"; rc=$?
    echo "$(( $(now_ms) - t0 )) $rc"
}
# anon CG MB: a process in CG that holds MB of anonymous memory (dd's
# buffer stays resident while dd blocks writing to a pipe nobody reads).
anon() {
    bash -c "echo \$\$ > $1/cgroup.procs && exec dd if=/dev/zero bs=${2}M count=1 2>/dev/null | sleep 3600" &
    PIDS+=($!)
    for _ in $(seq 1 50); do
        [ "$(stat_of "$1" total_rss)" -ge $(( ($2 - 8) * MiB )) ] 2>/dev/null && return 0
        sleep 0.1
    done
}
# cache CG NAME MB: clean page cache charged to CG (written, then synced).
cache() {
    bash -c "echo \$\$ > $1/cgroup.procs && dd if=/dev/zero of=$DIR/$2 bs=1M count=$3 2>/dev/null && sync $DIR/$2"
}
# The dd processes in CG (each holds one anon buffer).
holders() { local n=0; for p in $(cat "$1/tasks"); do [ "$(cat /proc/$p/comm 2>/dev/null)" = dd ] && n=$((n + 1)); done; echo $n; }

# 1. Page cache only: the limit set 1/4 of the size above nothing but
#    clean cache. The kernel reclaims the cache inside the write.
new_cg cache
cache "$cg" f1 "$SIZE_MB"
u=$(cat "$cg/memory.usage_in_bytes")
m cache.usage_before "$u"
read -r ms rc < <(set_limit "$cg" $((SIZE_MB / 4 * MiB)))
m cache.limit "$((SIZE_MB / 4 * MiB))"
m cache.write_ms "$ms"
m cache.write_rc "$rc"
m cache.usage_after "$(cat "$cg/memory.usage_in_bytes")"
m cache.oom_kills "$(oom_kills "$cg")"

# 2. Anonymous memory and page cache: the limit at anon + 64 MiB (a floor
#    like memory.high's on v2), then a process of the target allocates
#    128 MiB more anon while the limit is in place.
new_cg anon
anon "$cg" "$SIZE_MB"
cache "$cg" f2 "$SIZE_MB"
rss=$(stat_of "$cg" total_rss)
m anon.rss "$rss"
m anon.usage_before "$(cat "$cg/memory.usage_in_bytes")"
read -r ms rc < <(set_limit "$cg" $((rss + 64 * MiB)))
m anon.limit "$((rss + 64 * MiB))"
m anon.write_ms "$ms"
m anon.write_rc "$rc"
m anon.usage_after "$(cat "$cg/memory.usage_in_bytes")"
m anon.oom_kills_after_write "$(oom_kills "$cg")"
anon "$cg" 128
sleep 1
m anon.oom_kills_after_growth "$(oom_kills "$cg")"
m anon.holders_alive_of_2 "$(holders "$cg")"
m anon.rss_after_growth "$(stat_of "$cg" total_rss)"
m anon.usage_after_growth "$(cat "$cg/memory.usage_in_bytes")"
# 3. The limit below anon: nothing can be reclaimed (no swap).
rss=$(stat_of "$cg" total_rss)
read -r ms rc < <(set_limit "$cg" $((rss - 64 * MiB)))
m below_anon.write_ms "$ms"
m below_anon.write_rc "$rc"
m below_anon.error "\"$(sed 's/.*write error: //' "$DIR/limit.err")\""
m below_anon.oom_kills "$(oom_kills "$cg")"

# 4. A busy writer (dirty page cache, no sync) under a limit of a quarter
#    of what it writes: does it finish, how long, does the kernel OOM-kill it?
new_cg writer
echo $((SIZE_MB / 4 * MiB)) > "$cg/memory.limit_in_bytes"
t0=$(now_ms)
bash -c "echo \$\$ > $cg/cgroup.procs && exec dd if=/dev/zero of=$DIR/f3 bs=1M count=$SIZE_MB 2>/dev/null"
rc=$?
m writer.limit "$((SIZE_MB / 4 * MiB))"
m writer.ms "$(( $(now_ms) - t0 ))"
m writer.rc "$rc"
m writer.oom_kills "$(oom_kills "$cg")"
m writer.max_usage "$(cat "$cg/memory.max_usage_in_bytes")"
new_cg free
t0=$(now_ms)
bash -c "echo \$\$ > $cg/cgroup.procs && exec dd if=/dev/zero of=$DIR/f4 bs=1M count=$SIZE_MB 2>/dev/null"
m writer_unlimited.ms "$(( $(now_ms) - t0 ))"
exit 0
