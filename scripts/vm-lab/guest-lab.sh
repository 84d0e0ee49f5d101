#!/bin/sh
# The efficacy lab inside the cgroup v2 VM (busybox sh, run by
# scripts/vm/guest-init.sh as /guest-test.sh). It runs the cells named in
# MMVM_CELLS (SCENARIO:ARM, comma-separated, in that order; default: s1 under
# each arm of MMVM_ARMS), samples kubelet's v2 number every 0.5 s and only
# reports (MMVM lines); scripts/vm-lab/run.sh judges and writes CSV. The
# scenarios are the v1 lab's (scripts/lab/efficacy.py), scaled to a TCG
# guest as docs/efficacy.md "cgroup v2" says:
#   s1  continuous reclaimable growth: 20 files of 16 MiB written to the
#       ext2 RAM disk and read twice each (active page cache), 0.5 s apart.
#   s2  real usage near the threshold: anonymous memory held by the session
#       (busybox dd buffers), just above global thresh, then between it and
#       the eviction threshold, a step smaller than growth_threshold, then
#       released; a 16 MiB hot set is the only reclaimable memory.
#   s3  busy writers and dying cgroups: six session cgroups read 16 MiB each
#       twice and are removed while charged, then 8 writers rewrite a ring
#       of 16 files of 2 MiB each as fast as they can, reading each back
#       twice.
#   s4  a burst from near the line (the v1 lab's scenario 4): the session
#       reads 8 MiB files twice each, 0.2 s apart, until available is 32 MiB
#       above global thresh (the prefill), waits 3 s, then reads 8 MiB files
#       twice each as fast as it can, from 32 MiB above global thresh to
#       64 MiB below the eviction threshold (the burst), and keeps its pages
#       12 s; sampled every 0.1 s, not 0.5 s, so a burst of a second is seen.
CG=/sys/fs/cgroup
T=$CG/user.slice
S=$T/mon_memcg-test-session
MiB=1048576
CHUNK_MB=${MMVM_CHUNK_MB:-16}
CHUNKS=${MMVM_CHUNKS:-20}
PAUSE=${MMVM_PAUSE:-0.5}
HOLD_S=${MMVM_HOLD_S:-15}
ARMS=${MMVM_ARMS:-none,watch}
CELLS=${MMVM_CELLS:-$(echo "$ARMS" | tr , '\n' | sed 's/^/s1:/' | tr '\n' , | sed 's/,$//')}
LRU_GEN=${MMVM_LRU_GEN:-0}
S2_S=${MMVM_S2_S:-36}
S3_S=${MMVM_S3_S:-60}
HOT_MB=16
DYING=6
DYING_MB=16
WRITERS=8
SLOTS=16
WRITE_MB=2
S4_NEAR_MB=32
S4_OVER_MB=64
S4_FILE_MB=8
S4_PREFILL_FILES=16
S4_AFTER_S=12
S4_PERIOD=0.1

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
dying() { awk '$1 == "nr_dying_descendants" { print $2 }' $T/cgroup.stat; }
refaults() { awk '$1 == "workingset_refault_file" { print $2 }' /proc/vmstat; }
# waits until cgroup $1 has no process left (its shells were killed), then removes it
remove_cgroup() {
    n=0
    while [ -n "$(cat "$1/cgroup.procs")" ] && [ $n -lt 100 ]; do
        for p in $(cat "$1/cgroup.procs"); do kill -KILL "$p" 2>/dev/null; done
        sleep 0.1; n=$((n + 1))
    done
    rmdir "$1" || mark error rmdir "$1"
}

mkdir -p /var/lib /var/log /tmp/lab
mkdir $T || exit 1
# The target's children get their own memory controller, as under systemd
# with memory accounting: without it a removed child is charged nothing and
# never stays dying (its pages are the target's own), and scenario 3 would
# have no dying cgroups. (The first scenario 1 runs, before scenario 3 was
# added, ran without it: their session's pages were charged to the target
# itself, which changes nothing that the target's numbers show.)
echo +memory > $T/cgroup.subtree_control || mark error enabling memory in $T/cgroup.subtree_control
mark lru_gen-before $(cat /sys/kernel/mm/lru_gen/enabled 2>/dev/null || echo none)
# 6.12 turns MGLRU on; with it read() cache stays inactive and kubelet never
# counts it (docs/cgroup-v2.md). LRU_GEN=0 gives the classic active/inactive
# LRU, which the v1 lab's scenarios assume; the run says which it used.
[ -e /sys/kernel/mm/lru_gen/enabled ] && echo "$LRU_GEN" > /sys/kernel/mm/lru_gen/enabled
mark lru_gen $(cat /sys/kernel/mm/lru_gen/enabled 2>/dev/null || echo none)

wm=$(( $(cat /proc/sys/vm/min_free_kbytes) * 1024 ))
a0=$(available)
# Thresholds from the starting point, as the v1 lab calibrates them: global
# thresh 40% of scenario 1's growth below the start, kubelet's eviction
# threshold 30% further down; the growth itself goes 100% below the start.
# Every scenario keeps these numbers (the v1 lab also calibrates once).
growth=$((CHUNK_MB * CHUNKS * MiB))
gthresh=$((a0 - growth * 4 / 10))
evict=$((gthresh - growth * 3 / 10))
thr=$((gthresh - wm))
# growth_threshold: s1 keeps 16 MiB (one of its files); s2 and s3 use
# 64 MiB, which sits between s2's small step (29 MiB) and s3's dying
# cgroups (96 MiB) as the v1 lab's 1 GiB sits between 0.3 GiB and 3 GiB.
GROWTH_S1=$((16 * MiB))
GROWTH_S23=$((64 * MiB))
# s4's burst: from S4_NEAR_MB above global thresh to S4_OVER_MB below the
# eviction threshold, in whole files
S4_BURST_FILES=$(( (S4_NEAR_MB + (gthresh - evict) / MiB + S4_OVER_MB + S4_FILE_MB - 1) / S4_FILE_MB ))
mark params cpus=$(grep -c ^processor /proc/cpuinfo) available0=$a0 watermark=$wm global_thresh=$gthresh eviction=$evict growth=$growth chunk_mb=$CHUNK_MB chunks=$CHUNKS growth_threshold_s1=$GROWTH_S1 growth_threshold_s23=$GROWTH_S23 s4_burst_mb=$((S4_BURST_FILES * S4_FILE_MB))

# The files scenarios 2 and 3 read, written once (clean, on the RAM disk)
# and dropped from the cache before every cell, as the v1 lab's are.
# write_files DIR COUNT MB [DD-OPTION]: DIR/0 .. DIR/COUNT-1 of MB MiB each.
write_files() {
    mkdir -p $1
    i=0
    while [ $i -lt $2 ]; do
        dd if=/dev/zero of=$1/$i bs=1M count=$3 $4 2>/dev/null || mark error writing $1/$i
        i=$((i + 1))
    done
}
need_files() {
    [ -e /mnt/hot ] && return
    dd if=/dev/zero of=/mnt/hot bs=1M count=$HOT_MB conv=fsync 2>/dev/null || mark error writing /mnt/hot
    write_files /mnt/dying $DYING $DYING_MB conv=fsync
}

# s3's dying cgroups: each reads its file twice (active page cache charged to
# it), its shell exits, and the cgroup is removed while charged.
make_dying() {
    i=0
    while [ $i -lt $DYING ]; do
        c=$T/mon_memcg-test-dying-$i
        mkdir $c || { mark error mkdir $c; return; }
        sh -c "echo \$\$ > $c/cgroup.procs; cat /mnt/dying/$i > /dev/null; cat /mnt/dying/$i > /dev/null"
        remove_cgroup $c
        i=$((i + 1))
    done
}

# s4's files, written anew for each s4 cell (the RAM disk holds them beside
# scenario 3's, not beside its writers' ring) and dropped from the cache with
# the others before the cell: the prefill's and the burst's.
s4_files() {
    write_files /mnt/pre $S4_PREFILL_FILES $S4_FILE_MB
    write_files /mnt/burst $S4_BURST_FILES $S4_FILE_MB
}

# s4's session: a subshell of this script (it needs available()), moved
# into $S by writing 0 (the writer itself) to cgroup.procs; what it reads
# is charged there.
s4_session() {
    echo 0 > $S/cgroup.procs
    near=$((gthresh + S4_NEAR_MB * MiB))
    i=0
    while [ $i -lt $S4_PREFILL_FILES ] && [ "$(available)" -gt $near ]; do
        cat /mnt/pre/$i /mnt/pre/$i > /dev/null
        i=$((i + 1)); sleep 0.2
    done
    mark prefilled $cell $(now) $(available) files=$i
    sleep 3
    b=$(now)
    i=0
    while [ $i -lt $S4_BURST_FILES ]; do cat /mnt/burst/$i /mnt/burst/$i > /dev/null; i=$((i + 1)); done
    mark burst $cell $b $(now) $((S4_BURST_FILES * S4_FILE_MB))
    sleep $S4_AFTER_S
}

# The session of each scenario, as one shell that first moves itself into
# $S; it lasts as long as the scenario (the sampler waits for it).
session() {
    case $1 in
    s1) echo "echo \$\$ > $S/cgroup.procs
        i=0
        while [ \$i -lt $CHUNKS ]; do
            dd if=/dev/zero of=/mnt/lab-\$i bs=1M count=$CHUNK_MB conv=fsync 2>/dev/null
            cat /mnt/lab-\$i > /dev/null; cat /mnt/lab-\$i > /dev/null
            i=\$((i + 1)); sleep $PAUSE
        done" ;;
    s2)
        # v1: held anonymous memory leaves available 0.5 x (global thresh -
        # eviction) above global thresh, at 22% of the cell 0.4 x that gap
        # below it, at 45% 0.7 x below (a step of 0.3 x the gap, less than
        # growth_threshold), at 70% nothing. Each dd holds its buffer
        # (anonymous memory, touched by the read from /dev/zero) while it
        # blocks writing into a pipe nobody reads.
        gap=$(( (gthresh - evict) / MiB ))
        room=$(( ($(available) - gthresh) / MiB ))
        m1=$((room - gap / 2)); m2=$((room + gap * 4 / 10 - m1)); m3=$((gap * 3 / 10))
        [ $m1 -gt 0 ] || m1=1
        t1=$(awk -v d=$S2_S 'BEGIN { print d * 0.22 }')
        t2=$(awk -v d=$S2_S 'BEGIN { print d * (0.45 - 0.22) }')
        t3=$(awk -v d=$S2_S 'BEGIN { print d * (0.70 - 0.45) }')
        t4=$(awk -v d=$S2_S 'BEGIN { print d * (1 - 0.70) }')
        echo "echo \$\$ > $S/cgroup.procs
        hold() { dd if=/dev/zero bs=\${1}M count=1 2>/dev/null | sleep 100000 & echo \$! >> /tmp/lab/holders; echo MMVM anon $cell \$(cut -d' ' -f1 /proc/uptime) +\${1}M; }
        hold $m1; sleep $t1
        hold $m2; sleep $t2
        hold $m3; sleep $t3
        kill \$(cat /tmp/lab/holders); echo MMVM anon $cell \$(cut -d' ' -f1 /proc/uptime) released
        sleep $t4" ;;
    s3)
        echo "echo \$\$ > $S/cgroup.procs
        w=0
        while [ \$w -lt $WRITERS ]; do
            mkdir -p /mnt/w\$w
            (n=0; while :; do f=/mnt/w\$w/\$((n % $SLOTS)); dd if=/dev/zero of=\$f bs=1M count=$WRITE_MB 2>/dev/null; cat \$f > /dev/null; cat \$f > /dev/null; n=\$((n + 1)); done) &
            pids=\"\$pids \$!\"
            w=\$((w + 1))
        done
        sleep $S3_S
        kill \$pids" ;;
    esac
}

# The binary's first start in a boot is slow under TCG: qemu translates each
# code page the first time it runs. In the first cell of boot fixa
# (docs/efficacy.md) watch wrote its first line about 2.7 s after it was
# launched, while the writers already ran, and started its first episode
# 174 MiB below global thresh; in the later cells, within the second it was
# launched. A real CPU has no such cost, and a node's watch starts long
# before the memory it guards runs short. So the binary runs twice here,
# timed (a read-only status), before the first cell: every cell's agent then
# starts as the later cells' did.
warm() {
    s=$(now)
    mon_memcg status --cgroup-root $CG --target user.slice --state-file /tmp/lab/warm-state --log-file /tmp/lab/warm-log \
        > /dev/null 2>&1 || mark error warm-up status failed >&2  # not into $(warm)
    awk -v s=$s -v e=$(now) 'BEGIN { printf "%.2f", e - s }'
}
mark warmup first_start_s=$(warm) second_start_s=$(warm)
# The RAM disk (brd) allocates a page the first time a block is written and
# keeps it: in a boot's first s3 cell the writers' ring takes 256 MiB of
# new pages while the node is short, in the later cells it reuses them. The
# ring written once here, and removed, puts the first cell where the others are.
if echo ",$CELLS," | grep -q ',s3:'; then
    s=$(now)
    w=0
    while [ $w -lt $WRITERS ]; do write_files /mnt/w$w $SLOTS $WRITE_MB; w=$((w + 1)); done
    sync; rm -rf /mnt/w*
    mark warmup ring_written_s=$(awk -v s=$s -v e=$(now) 'BEGIN { printf "%.2f", e - s }')
fi

k=0
for c in $(echo $CELLS | tr , ' '); do
    scen=${c%%:*}
    arm=${c#*:}
    k=$((k + 1))
    cell=$scen.$arm.$k
    rm -rf /mnt/lab-* /mnt/w* /mnt/pre /mnt/burst /tmp/lab/*
    [ $scen = s1 ] || need_files
    [ $scen = s4 ] && s4_files
    sync; echo 3 > /proc/sys/vm/drop_caches
    # the dying cgroups of an earlier cell are freed with their pages
    n=0; while [ "$(dying)" != 0 ] && [ $n -lt 50 ]; do sleep 0.2; n=$((n + 1)); done
    gt=$GROWTH_S23; [ $scen = s1 ] && gt=$GROWTH_S1
    cat > /tmp/lab/config <<CFG
available_threshold = $thr
growth_threshold = $gt
target = user.slice
cgroup_root = $CG
state_file = /tmp/lab/state
log_file = /tmp/lab/log
CFG
    mkdir $S || { mark error mkdir $S; exit 1; }
    hpid=
    if [ $scen != s1 ]; then
        # the session's hot set (the v1 lab's session bystander), read every
        # 2 s: active, and what a reclaim of the target can take from it
        sh -c "echo \$\$ > $S/cgroup.procs; while :; do cat /mnt/hot > /dev/null; sleep 2; done" &
        hpid=$!
        sleep 3
    fi
    [ $scen = s3 ] && make_dying
    wpid=
    case $arm in
    none) ;;
    watch|watch-memhigh)
        # watch-memhigh: the kernel's own loop too (memory.high on the
        # target during a held episode, docs/cgroup-v2.md); off by default
        [ $arm = watch-memhigh ] && echo "memory_high = on" >> /tmp/lab/config
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
    r0=$(refaults)
    mark arm-start $cell $t0 $(available) dying=$(dying)
    if [ $scen = s4 ]; then s4_session & else sh -c "$(session $scen)" & fi
    spid=$!
    hold_s=$HOLD_S; [ $scen = s1 ] || hold_s=0
    period=0.5; [ $scen = s4 ] && period=$S4_PERIOD
    # the kubelet emulator's samples, every 0.5 s (s4: 0.1 s) of guest time
    # until the session is done and hold_s more have passed
    end=
    while :; do
        t=$(now)
        echo "MMVM sample $cell $t $(available) $(cat $T/memory.current) $(dying)"
        if [ -z "$end" ] && ! kill -0 $spid 2>/dev/null; then
            end=$(awk -v t=$t -v h=$hold_s 'BEGIN { print t + h }')
        fi
        [ -n "$end" ] && awk -v t=$t -v e=$end 'BEGIN { exit !(t >= e) }' && break
        sleep $period
    done
    if [ -n "$wpid" ]; then kill -TERM $wpid; wait $wpid; mark agent-exit $cell $?; fi
    [ -n "$hpid" ] && kill $hpid
    mark arm-end $cell $(now) refaults=$(( $(refaults) - r0 ))
    echo "MMVM-BEGIN log-$cell"; cat /tmp/lab/log 2>/dev/null; cat /tmp/lab/watch.out 2>/dev/null; echo "MMVM-END log-$cell rc=0"
    # empty the session cgroup (what is left of its processes) and remove it
    remove_cgroup $S
done
rm -rf /mnt/lab-* /mnt/w* /mnt/pre /mnt/burst
