#!/bin/sh
# The efficacy lab's quick mode inside the cgroup v2 VM (busybox sh, run by
# scripts/vm/guest-init.sh as /guest-test.sh). Scenario 1 (continuous
# reclaimable growth) scaled to a TCG guest: a session in user.slice writes
# CHUNK_MB files on the ext2 RAM disk and reads each twice, so its page
# cache is active and kubelet's working set counts it; once under each arm.
# It only reports (MMVM lines); scripts/vm-lab/run.sh judges and writes CSV.
CG=/sys/fs/cgroup
T=$CG/user.slice
S=$T/mon_memcg-test-session
MiB=1048576
CHUNK_MB=${MMVM_CHUNK_MB:-16}
CHUNKS=${MMVM_CHUNKS:-20}
PAUSE=${MMVM_PAUSE:-0.5}
HOLD_S=${MMVM_HOLD_S:-15}
ARMS=${MMVM_ARMS:-none,watch}
LRU_GEN=${MMVM_LRU_GEN:-0}

mark() { echo "MMVM $*"; }
now() { cut -d' ' -f1 /proc/uptime; }
# kubelet's v2 formula (docs/cgroup-v2.md): MemTotal - max(0, root anon + file - inactive_file).
available() {
    awk 'FILENAME == "/proc/meminfo" && $1 == "MemTotal:" { total = $2 * 1024 }
         FILENAME != "/proc/meminfo" && $1 == "anon" { a = $2 }
         FILENAME != "/proc/meminfo" && $1 == "file" { f = $2 }
         FILENAME != "/proc/meminfo" && $1 == "inactive_file" { i = $2 }
         END { ws = a + f - i; if (ws < 0) ws = 0; printf "%.0f\n", total - ws }' /proc/meminfo $CG/memory.stat
}

mkdir -p /var/lib /var/log /tmp/lab
mkdir $T || exit 1
mark lru_gen-before $(cat /sys/kernel/mm/lru_gen/enabled 2>/dev/null || echo none)
# 6.12 turns MGLRU on; with it read() cache stays inactive and kubelet never
# counts it (docs/cgroup-v2.md). LRU_GEN=0 gives the classic active/inactive
# LRU, which the v1 lab's scenarios assume; the run says which it used.
[ -e /sys/kernel/mm/lru_gen/enabled ] && echo "$LRU_GEN" > /sys/kernel/mm/lru_gen/enabled
mark lru_gen $(cat /sys/kernel/mm/lru_gen/enabled 2>/dev/null || echo none)

wm=$(( $(cat /proc/sys/vm/min_free_kbytes) * 1024 ))
a0=$(available)
# Thresholds from the starting point, as the v1 lab calibrates them: global
# thresh 40% of the growth below the start, kubelet's eviction threshold
# 30% further down; the growth itself goes 100% below the start.
growth=$((CHUNK_MB * CHUNKS * MiB))
gthresh=$((a0 - growth * 4 / 10))
evict=$((gthresh - growth * 3 / 10))
thr=$((gthresh - wm))
mark params available0=$a0 watermark=$wm global_thresh=$gthresh eviction=$evict growth=$growth chunk_mb=$CHUNK_MB chunks=$CHUNKS

k=0
for arm in $(echo $ARMS | tr , ' '); do
    k=$((k + 1))
    cell=$arm.$k
    rm -f /mnt/lab-* /tmp/lab/*
    sync; echo 3 > /proc/sys/vm/drop_caches
    cat > /tmp/lab/config <<CFG
available_threshold = $thr
growth_threshold = $((16 * MiB))
target = user.slice
cgroup_root = $CG
state_file = /tmp/lab/state
log_file = /tmp/lab/log
CFG
    mkdir $S || { mark error mkdir $S; exit 1; }
    wpid=
    case $arm in
    none) ;;
    watch)
        mon_memcg watch --config /tmp/lab/config > /tmp/lab/watch.out 2>&1 &
        wpid=$! ;;
    timer|flusher)
        # every 20 s, the first run at a random phase (a timer is not in
        # phase with the scenario); the flusher is the drop_caches cron job.
        # The job runs in a subshell: its own "> drop_caches" must not be
        # overridden by the ">> watch.out" that collects its output.
        phase=$((RANDOM % 20))
        if [ $arm = timer ]; then job="mon_memcg check --config /tmp/lab/config"; else job="echo 1 > /proc/sys/vm/drop_caches"; fi
        sh -c "sleep $phase; while :; do echo MMVM run $cell \$(cut -d' ' -f1 /proc/uptime); ( $job ) >> /tmp/lab/watch.out 2>&1; sleep 20; done" &
        wpid=$! ;;
    *) mark error unknown arm $arm; exit 1 ;;
    esac
    t0=$(now)
    mark arm-start $cell $t0 $(available)
    # the session: moves itself into its cgroup, then grows
    sh -c "echo \$\$ > $S/cgroup.procs
        i=0
        while [ \$i -lt $CHUNKS ]; do
            dd if=/dev/zero of=/mnt/lab-\$i bs=1M count=$CHUNK_MB conv=fsync 2>/dev/null
            cat /mnt/lab-\$i > /dev/null; cat /mnt/lab-\$i > /dev/null
            i=\$((i + 1)); sleep $PAUSE
        done" &
    spid=$!
    # the kubelet emulator's samples, every 0.5 s of guest time until the
    # session is done and HOLD_S more have passed
    end=
    while :; do
        t=$(now)
        echo "MMVM sample $cell $t $(available) $(cat $T/memory.current)"
        if [ -z "$end" ] && ! kill -0 $spid 2>/dev/null; then
            end=$(awk -v t=$t -v h=$HOLD_S 'BEGIN { print t + h }')
        fi
        [ -n "$end" ] && awk -v t=$t -v e=$end 'BEGIN { exit !(t >= e) }' && break
        sleep 0.5
    done
    if [ -n "$wpid" ]; then kill -TERM $wpid; wait $wpid; mark agent-exit $cell $?; fi
    mark arm-end $cell $(now)
    echo "MMVM-BEGIN log-$cell"; cat /tmp/lab/log 2>/dev/null; cat /tmp/lab/watch.out 2>/dev/null; echo "MMVM-END log-$cell rc=0"
    # empty the session cgroup (its shell has exited) and remove it
    rmdir $S || mark error rmdir $S
done
rm -f /mnt/lab-*
