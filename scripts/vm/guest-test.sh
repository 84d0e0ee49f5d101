#!/bin/sh
# The test proper, run by /init inside the VM as root on a real cgroup v2
# kernel. It only reports (MMVM lines and MMVM-BEGIN/END blocks); the host
# script (run.sh) judges. Sizes come from the kernel command line.
CG=/sys/fs/cgroup
T=$CG/user.slice
MiB=1048576
FILL_MB=${MMVM_FILL_MB:-150}
REQUEST_MB=${MMVM_REQUEST_MB:-100}
GROWTH=$((16 * MiB))

mark() { echo "MMVM $*"; }
stat_of() { awk -v k="$2" '$1 == k { print $2 }' "$1/memory.stat"; }
# run NAME CMD...: the command's output between markers, with its status.
run() {
    name=$1; shift
    echo "MMVM-BEGIN $name"
    "$@" 2>&1
    rc=$?
    echo "MMVM-END $name rc=$rc"
    return $rc
}
json_field() { sed -n "s/.*\"$1\":\(-*[0-9]*\).*/\1/p"; }

mkdir -p /run /var/lib /var/log
mkdir $T || exit 1
mark has-memory.reclaim $([ -e $T/memory.reclaim ] && echo yes || echo no)

# Page cache charged to the target: a shell that moves itself into the
# target writes files on the ext2 ramdisk and syncs them to the device, so
# the pages are clean, inactive and reclaimable.
t0=$(cut -d' ' -f1 /proc/uptime)
sh -c "echo \$\$ > $T/cgroup.procs && dd if=/dev/zero of=/mnt/fill1 bs=1M count=$((FILL_MB / 2)) 2>/dev/null \
    && dd if=/dev/zero of=/mnt/fill2 bs=1M count=$((FILL_MB - FILL_MB / 2)) 2>/dev/null && sync"
mark fill-seconds "$t0 $(cut -d' ' -f1 /proc/uptime)"
mark target-current-after-fill $(cat $T/memory.current)
mark target-file-after-fill $(stat_of $T file)
mark target-inactive-file-after-fill $(stat_of $T inactive_file)
mark root-anon $(stat_of $CG anon)
mark root-file $(stat_of $CG file)
mark root-inactive-file $(stat_of $CG inactive_file)

# The kernel's own files at this moment, for the host to keep as a fixture
# tree (run.sh --save-fixture); the blocks are named by their path.
for f in /proc/self/mountinfo /proc/meminfo /proc/sys/vm/min_free_kbytes \
         $CG/cgroup.controllers $CG/memory.stat $T/memory.stat $T/memory.current; do
    run "file:$f" cat $f
done

# 1. status: the hierarchy is detected from /proc/self/mountinfo (no
#    cgroup_root anywhere), the node signal is kubelet's v2 formula.
run status mon_memcg status
run status-json mon_memcg status --json
json=$(mon_memcg status --json)
avail=$(echo "$json" | json_field available_bytes)
wm=$(echo "$json" | json_field watermark_bytes)
mark status-available $avail
mark status-watermark $wm

# 2. check that must reclaim about REQUEST_MB: the threshold is chosen so
#    that global thresh + growth_threshold - available = REQUEST_MB.
thr=$((avail - wm - GROWTH + REQUEST_MB * MiB))
[ $thr -lt 0 ] && { mark error "available $avail too small for the test"; thr=0; }
mark check1-threshold $thr
mark check1-planned-request $((REQUEST_MB * MiB))
before=$(cat $T/memory.current)
t0=$(cut -d' ' -f1 /proc/uptime)
run check1 mon_memcg check --available-threshold $thr --growth-threshold $GROWTH
mark check1-seconds "$t0 $(cut -d' ' -f1 /proc/uptime)"
after=$(cat $T/memory.current)
mark check1-current-before $before
mark check1-current-after $after
mark check1-dropped $((before - after))
run state1 cat /run/mon_memcg/state

# 3. memory is still short for the default 4G threshold, but the target did
#    not grow by growth_threshold since the reclaim: the original script's skip.
run check2 mon_memcg check --growth-threshold 1G
run state2 cat /run/mon_memcg/state

# 4. dry run: says what it would write to memory.reclaim, writes nothing.
before=$(cat $T/memory.current)
run dryrun mon_memcg check --dry-run --state-file /run/mon_memcg/state-dry --growth-threshold 0
mark dryrun-current-before $before
mark dryrun-current-after $(cat $T/memory.current)
mark dryrun-state-exists $([ -e /run/mon_memcg/state-dry ] && echo yes || echo no)

# 5. more asked than the target can give: anonymous memory held by a
#    process in the target cannot be reclaimed without swap, so the kernel
#    answers EAGAIN; the run must log the partial progress and end on its own.
# dd's 40 MiB buffer stays resident while it blocks writing to a pipe
# that sleep never reads.
sh -c "echo \$\$ > $T/cgroup.procs && dd if=/dev/zero bs=40M count=1 2>/dev/null | sleep 600" &
holder=$!
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    [ "$(stat_of $T anon)" -gt $((35 * MiB)) ] && break
    sleep 1
done
mark eagain-target-anon $(stat_of $T anon)
before=$(cat $T/memory.current)
t0=$(cut -d' ' -f1 /proc/uptime)
run check3 mon_memcg check --state-file /run/mon_memcg/state-eagain --growth-threshold 0 --reclaim-timeout 30s
mark check3-seconds "$t0 $(cut -d' ' -f1 /proc/uptime)"
mark check3-current-before $before
mark check3-current-after $(cat $T/memory.current)
run state3 cat /run/mon_memcg/state-eagain

# 5b. with free swap, the request bound counts the target's anon only as far
#     as swap can take it: all of it with memory.swap.max "max", none with
#     0. A swap device on the second RAM disk; dry runs, nothing reclaimed.
if mkswap /dev/ram1 >/dev/null 2>&1 && swapon /dev/ram1; then
    mark swap-on yes
    mark swap-free-kb $(awk '$1 == "SwapFree:" { print $2 }' /proc/meminfo)
    mark swap-target-anon $(stat_of $T anon)
    mark swap-target-shmem $(stat_of $T shmem)
    echo max > $T/memory.swap.max
    run dryswapmax mon_memcg check --dry-run --state-file /run/mon_memcg/state-dry --growth-threshold 0
    echo 0 > $T/memory.swap.max
    run dryswap0 mon_memcg check --dry-run --state-file /run/mon_memcg/state-dry --growth-threshold 0
    echo max > $T/memory.swap.max
    swapoff /dev/ram1
else
    mark swap-on no
fi
kill $holder 2>/dev/null

# 6. watch: arms a PSI trigger on /proc/pressure/memory (v2 has no usage
#    thresholds), checks, and stops on SIGTERM. Threshold 0: nothing to reclaim.
mark has-pressure-memory $([ -e /proc/pressure/memory ] && echo yes || echo no)
mon_memcg watch --available-threshold 0 --poll-interval 500ms \
    --state-file /run/mon_memcg/state-watch --log-file /var/log/watch.log 2>/tmp/watch.err &
watcher=$!
for i in 1 2 3 4 5 6 7 8 9 10; do
    grep -q "pressure events" /var/log/watch.log 2>/dev/null && break
    sleep 1
done
sleep 1
kill -TERM $watcher
wait $watcher
mark watch-exit $?
run watch-log cat /var/log/watch.log
run watch-stderr cat /tmp/watch.err

# 7. watch holds the line (hold = on, the default): the target holds 60 MiB
#    of inactive page cache (written and synced) and 40 MiB of active (read
#    twice); memory is made 24 MiB short, so only the active pages can lift
#    kubelet's available. memory.reclaim frees inactive file pages first,
#    which kubelet never counted (docs/cgroup-v2.md): the check's own
#    request may lift nothing, and the episode's steps grow until the line.
#    Under MGLRU (6.12) read() cache stays inactive however often it is
#    read: kubelet then counts none of the target, and the episode must stop
#    when the target has nothing left (run.sh judges by active_file).
rm -f /mnt/fill1 /mnt/fill2
sh -c "echo \$\$ > $T/cgroup.procs && dd if=/dev/zero of=/mnt/cold bs=1M count=60 2>/dev/null \
    && dd if=/dev/zero of=/mnt/hot bs=1M count=40 2>/dev/null && sync && cat /mnt/hot > /dev/null && cat /mnt/hot > /dev/null"
mark hold-target-inactive-file $(stat_of $T inactive_file)
mark hold-target-active-file $(stat_of $T active_file)
json=$(mon_memcg status --json)
avail=$(echo "$json" | json_field available_bytes)
wm=$(echo "$json" | json_field watermark_bytes)
thr=$((avail - wm + 24 * MiB))
mark hold-threshold $thr
mon_memcg watch --available-threshold $thr --growth-threshold 16M --hold-hysteresis 4M --poll-interval 500ms \
    --state-file /run/mon_memcg/state-hold --log-file /var/log/hold.log 2>/tmp/hold.err &
holder=$!
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    grep -q "hold ended" /var/log/hold.log 2>/dev/null && break
    sleep 1
done
kill -TERM $holder
wait $holder
mark hold-exit $?
run hold-log cat /var/log/hold.log
run hold-status-json mon_memcg status --json --available-threshold $thr

# 8. memory_high = on (issue 23): watch sets the target's memory.high while
#    the node is short and must put it back in every ending. A reader keeps
#    the target over the line: it reads the RAM disk's block device in a
#    loop, so its page cache is charged to the target while brd allocates
#    nothing for blocks never written. The threshold is 1 GiB above what
#    is available: the node stays short, the episode never recovers, the
#    lever stays engaged between wake-ups. Each round starts watch with a
#    fresh state file, kills it (kill -9 after a random delay, or SIGTERM),
#    then for kill -9 runs the next start (`check`), and reports memory.high
#    before the kill, after it and after the next start; run.sh fails the
#    step if any round leaves it changed. Odd rounds start from a value
#    someone else set (480 MiB) instead of max.
rm -f /mnt/cold /mnt/hot
sh -c "echo \$\$ > $T/cgroup.procs && while :; do dd if=/dev/ram0 of=/dev/null bs=1M 2>/dev/null; done" &
reader=$!
sleep 2
mark lever-target-current $(cat $T/memory.current)
mark lever-target-anon $(stat_of $T anon)
mark lever-target-file $(stat_of $T file)
json=$(mon_memcg status --json)
avail=$(echo "$json" | json_field available_bytes)
wm=$(echo "$json" | json_field watermark_bytes)
thr=$((avail - wm + 1024 * MiB))
[ $thr -lt 0 ] && thr=0
mark lever-threshold $thr
rand_ms() { echo $(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % $1 )); }
# The lever only engages when the target holds more than its floor: what it
# cannot give back without swap + 128 MiB, i.e. when its reclaimable page
# cache (file - shmem - file_mapped) is above 128 MiB. Each round's watch
# reclaims that cache every 0.3 s; the reader refills it between rounds,
# but not always past the floor within the next round's start (a CI run
# saw the lever engage in round 1 only). So each round waits for 160 MiB
# of it first, up to 10 s, and says when it did not get there.
cache_above_floor() {
    i=0
    while [ $i -lt 100 ]; do
        [ $(( $(stat_of $T file) - $(stat_of $T shmem) - $(stat_of $T file_mapped) )) -gt $((160 * MiB)) ] && return 0
        usleep 100000; i=$((i + 1))
    done
    mark lever-cache-short $round $(stat_of $T file)
}
round=0
for kind in kill kill kill kill kill kill term kill kill term; do
    round=$((round + 1))
    if [ $((round % 2)) = 1 ]; then original=max; else original=503316480; fi
    echo $original > $T/memory.high
    cache_above_floor
    S=/run/mon_memcg/state-lever-$round
    L=/var/log/lever-$round.log
    mon_memcg watch --memory-high on --available-threshold $thr --growth-threshold 16M --hold-hysteresis 4M \
        --poll-interval 300ms --state-file $S --log-file $L 2>>/tmp/lever.err &
    w=$!
    if [ $kind = kill ]; then
        # Anywhere from before the first check to several wake-ups later;
        # the first round waits for the lever, so at least one kill lands
        # while it is engaged.
        if [ $round = 1 ]; then
            for i in $(seq 1 40); do grep -q "memory.high set to" $L 2>/dev/null && break; usleep 250000; done
        fi
        delay=$(rand_ms 3000)
        usleep $((delay * 1000))
        during=$(cat $T/memory.high)
        kill -9 $w
        wait $w 2>/dev/null
        killed=$(cat $T/memory.high)
        mon_memcg check --state-file $S --log-file $L --available-threshold $thr --growth-threshold 16M >/dev/null 2>>/tmp/lever.err
        after=$(cat $T/memory.high)
    else
        for i in $(seq 1 40); do grep -q "memory.high set to" $L 2>/dev/null && break; usleep 250000; done
        delay=$(rand_ms 1500)
        usleep $((delay * 1000))
        during=$(cat $T/memory.high)
        kill -TERM $w
        wait $w
        killed=$(cat $T/memory.high)
        after=$killed
    fi
    mark lever-round $round kind=$kind delay_ms=$delay original=$original during=$during killed=$killed after=$after \
        state=$(grep -c memory_high $S 2>/dev/null)
done
run lever-log-1 cat /var/log/lever-1.log
run lever-log-7 cat /var/log/lever-7.log
run lever-stderr cat /tmp/lever.err
kill $reader 2>/dev/null
echo max > $T/memory.high

# 9. reclaim_timeout interrupts memory.reclaim while a writer in the target
#    keeps its page cache dirty: the run exits 6 and its log says how much
#    of the target was dirty or under writeback at that moment
#    (file_dirty/file_writeback, docs/troubleshooting.md section 8). The
#    writer rewrites one 48 MiB file on the RAM disk's ext2 without sync,
#    so dirty pages wait for the flusher; the threshold is 1 GiB above what
#    is available, so the run asks for all the target's page cache, and
#    100 ms (the shortest reclaim_timeout) is less than its memory.reclaim
#    steps take for that under QEMU's emulation (two runs: the first step
#    took 0.11 s, and the deadline stopped the second).
sh -c "echo \$\$ > $T/cgroup.procs && while :; do dd if=/dev/zero of=/mnt/dirty bs=1M count=48 conv=notrunc 2>/dev/null; done" &
writer=$!
sleep 3
mark timeout-target-file $(stat_of $T file)
mark timeout-target-before "$(stat_of $T file_dirty) $(stat_of $T file_writeback)"
json=$(mon_memcg status --json)
avail=$(echo "$json" | json_field available_bytes)
wm=$(echo "$json" | json_field watermark_bytes)
thr=$((avail - wm + 1024 * MiB))
run check-timeout mon_memcg check --available-threshold $thr --growth-threshold 0 --reclaim-timeout 100ms \
    --state-file /run/mon_memcg/state-timeout --log-file /var/log/timeout.log --metrics-file /run/mon_memcg/timeout.prom
mark timeout-target-after "$(stat_of $T file_dirty) $(stat_of $T file_writeback)"
kill $writer 2>/dev/null
run timeout-log cat /var/log/timeout.log
run timeout-metrics grep -E '^mon_memcg_(target_dirty|target_writeback|interruptions)' /run/mon_memcg/timeout.prom
rm -f /mnt/dirty

run log cat /var/log/mon_memcg.log
exit 0
