#!/bin/sh
# The reclaim benchmark inside the cgroup v2 VM (issue 22, point 3), run by
# /init as root on a real kernel in place of guest-test.sh. It only reports
# ("MMVM ..." lines and MMVM-BEGIN/END blocks); the host script
# (scripts/vm/bench-v2-reclaim.sh) makes the tables. Sizes and phases come
# from the kernel command line (MMVM_*).
#
# Phases (MMVM_BENCH, any of):
#   probe   does memory.reclaim take "swappiness=" on this kernel
#   amount  mon_memcg check --reclaim-amount all|deficit, ABBA, MMVM_REPS
#           pairs: a session reads COLD once then re-reads HOT in a loop;
#           available_threshold is set so the node is short by SHORT_MB
#   dying   writers' cgroups removed (dying) below the target, then checks
#           with dying_reclaim off / auto; nr_dying_descendants around them
#   swap    anon + file in the target, swap on /dev/ram1; memory.reclaim
#           with the default swappiness against file only, ABBA
CG=/sys/fs/cgroup
T=$CG/user.slice
S=$T/session
MiB=1048576
REPS=${MMVM_REPS:-4}
COLD_MB=${MMVM_COLD_MB:-128}
HOT_FILES=${MMVM_HOT_FILES:-8}
HOT_FILE_MB=${MMVM_HOT_FILE_MB:-16}
SHORT_MB=${MMVM_SHORT_MB:-32}
MARGIN=${MMVM_MARGIN:-32M}
WARM=${MMVM_WARM_S:-10}
AFTER=${MMVM_AFTER_S:-15}
ANON_MB=${MMVM_ANON_MB:-96}
SWAP_ASK_MB=${MMVM_SWAP_ASK_MB:-192}
DYING_N=${MMVM_DYING_N:-8}
DYING_MB=${MMVM_DYING_MB:-8}
# all, deficit, and deficit+inactive (deficit with reclaim_margin raised by
# the target's inactive_file: a possible v2 sizing, measured here).
AMOUNT_ARMS=$(echo "${MMVM_AMOUNT_ARMS:-all,deficit}" | tr , " ")
PHASES=$(echo "${MMVM_BENCH:-probe,amount,dying,swap}" | tr , " ")

mark() { echo "MMVM $*"; }
key() { awk -v k="$2" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' "$1"; }
up() { cut -d' ' -f1 /proc/uptime; }
json_field() { sed -n "s/.*\"$1\":\(-*[0-9]*\).*/\1/p"; }
available() { mon_memcg status --json | json_field available_bytes; }
watermark() { mon_memcg status --json | json_field watermark_bytes; }
passes() { [ -f /tmp/passes ] && wc -c < /tmp/passes || echo 0; }

mkdir -p /var/lib /var/log
mkdir $T $S || exit 1
echo "+memory" > $T/cgroup.subtree_control
mark kernel $(uname -r)
mark lru_gen $(cat /sys/kernel/mm/lru_gen/enabled 2>/dev/null || echo absent)
mark memtotal-kb $(awk '/^MemTotal/ { print $2 }' /proc/meminfo)
mark sizes cold_mb=$COLD_MB hot_mb=$((HOT_FILES * HOT_FILE_MB)) hot_files=$HOT_FILES short_mb=$SHORT_MB margin=$MARGIN warm_s=$WARM after_s=$AFTER reps=$REPS anon_mb=$ANON_MB

# The files, written from the root cgroup and synced (clean pages), then
# dropped: every trial starts from cold.
i=0
while [ $i -lt 2 ]; do dd if=/dev/zero of=/mnt/cold$i bs=1M count=$((COLD_MB / 2)) 2>/dev/null; i=$((i + 1)); done
i=0
while [ $i -lt $HOT_FILES ]; do dd if=/dev/zero of=/mnt/hot$i bs=1M count=$HOT_FILE_MB 2>/dev/null; i=$((i + 1)); done
sync

READER_PID=
start_reader() {
    rm -f /tmp/passes
    sh -c "echo \$\$ > $S/cgroup.procs && while :; do cat /mnt/hot* > /dev/null; echo -n x >> /tmp/passes; done" &
    READER_PID=$!
}
stop_reader() {
    [ -n "$READER_PID" ] && { kill $READER_PID; wait $READER_PID 2>/dev/null; }
    READER_PID=
}
fresh() {
    stop_reader
    sync
    echo 3 > /proc/sys/vm/drop_caches
    sh -c "echo \$\$ > $S/cgroup.procs && cat /mnt/cold* > /dev/null"
    start_reader
    sleep $WARM
}
# One line of counters, prefixed: the target's and the node's.
counters() {
    echo "$1_current=$(cat $T/memory.current) $1_anon=$(key $T/memory.stat anon) $1_file=$(key $T/memory.stat file)" \
         "$1_active_file=$(key $T/memory.stat active_file) $1_inactive_file=$(key $T/memory.stat inactive_file)" \
         "$1_refault_file=$(key $T/memory.stat workingset_refault_file) $1_refault_anon=$(key $T/memory.stat workingset_refault_anon)" \
         "$1_vm_refault_file=$(key /proc/vmstat workingset_refault_file) $1_swap=$(cat $T/memory.swap.current 2>/dev/null || echo 0)" \
         "$1_dying=$(key $T/cgroup.stat nr_dying_descendants) $1_passes=$(passes) $1_t=$(up)"
}

takes_swappiness=no
if case " $PHASES " in *" probe "*|*" swap "*) true ;; *) false ;; esac; then
    # 1 MiB from an empty cgroup: EAGAIN (nothing to reclaim) means the
    # argument was parsed; EINVAL means the kernel does not know it.
    mkdir $CG/probe
    err=$(echo "1048576 swappiness=0" 2>&1 > $CG/probe/memory.reclaim)
    rc=$?
    case $rc:$err in
        0:*|*"Resource temporarily unavailable"*) takes_swappiness=yes ;;
    esac
    mark probe-swappiness rc=$rc takes=$takes_swappiness err="$err"
    err=$(echo "1048576" 2>&1 > $CG/probe/memory.reclaim); mark probe-plain rc=$? err="$err"
    rmdir $CG/probe
fi

check() { # MODE N [extra options]: one mon_memcg check, short by SHORT_MB
    mode=$1 n=$2; shift 2
    avail=$(available) wm=$(watermark)
    thr=$((avail - wm + SHORT_MB * MiB))
    rm -f /tmp/state-$n /tmp/log-$n
    t0=$(up)
    mon_memcg check --available-threshold $thr --growth-threshold 1M --reclaim-amount $mode --reclaim-margin $MARGIN \
        --state-file /tmp/state-$n --log-file /tmp/log-$n "$@" > /tmp/out-$n 2>&1
    rc=$?
    t1=$(up)
    echo "rc=$rc thr=$thr avail_status=$avail wm=$wm check_s=$(echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }')"
}
show_log() {
    echo "MMVM-BEGIN log:$1"; cat /tmp/log-$1 /tmp/out-$1 2>/dev/null; echo "MMVM-END log:$1"
}

case " $PHASES " in *" amount "*)
    n=0
    r=0
    while [ $r -lt $REPS ]; do
        if [ $((r % 2)) = 0 ]; then order=$AMOUNT_ARMS; else order=$(echo $AMOUNT_ARMS | tr ' ' '\n' | sed -n '1!G;h;$p'); fi
        for mode in $order; do
            n=$((n + 1))
            fresh
            before=$(counters b)
            if [ $mode = deficit+inactive ]; then
                # What a v2 deficit would ask if it counted the target's
                # inactive file pages (memory.reclaim takes those first and
                # kubelet does not count them): reclaim_margin + inactive_file.
                m=$(( $(echo $MARGIN | sed 's/M$//') * MiB + $(key $T/memory.stat inactive_file) ))
                c=$(check deficit a$n --dying-reclaim off --reclaim-margin $m)
            else
                c=$(check $mode a$n --dying-reclaim off)
            fi
            mid=$(counters m)
            avail_after=$(available)
            sleep $AFTER
            mark amount n=$n mode=$mode $c avail_after=$avail_after $before $mid $(counters e)
            show_log a$n
        done
        r=$((r + 1))
    done
    stop_reader
;; esac

case " $PHASES " in *" dying "*)
    # Writers in children of the target that are removed after writing:
    # their page cache keeps them dying. The session re-reads its hot set
    # meanwhile. Arms: deficit (dying_reclaim off), all (off), and deficit
    # with dying_reclaim auto and a shortfall larger than the target holds,
    # so that the node is still short after the reclaim (the escalation's
    # condition).
    n=0
    for arm in deficit:off all:off deficit:auto deficit:auto all:off deficit:off; do
        n=$((n + 1))
        mode=${arm%:*} dr=${arm#*:}
        fresh
        i=0
        while [ $i -lt $DYING_N ]; do
            mkdir $T/gone$i
            sh -c "echo \$\$ > $T/gone$i/cgroup.procs && dd if=/dev/zero of=/mnt/gone$i bs=1M count=$DYING_MB conv=fsync 2>/dev/null"
            rmdir $T/gone$i
            i=$((i + 1))
        done
        sleep 1
        before=$(counters b)
        if [ $dr = auto ]; then
            short=$SHORT_MB; SHORT_MB=$(( $(cat $T/memory.current) / MiB + 256 ))
            c=$(check $mode d$n --dying-reclaim auto --drop-caches-interval 10s)
            SHORT_MB=$short
        else
            c=$(check $mode d$n --dying-reclaim off)
        fi
        mid=$(counters m)
        avail_after=$(available)
        sleep 5
        mark dying n=$n mode=$mode dying_reclaim=$dr $c avail_after=$avail_after $before $mid $(counters e)
        show_log d$n
        rm -f /mnt/gone*
    done
    stop_reader
;; esac

case " $PHASES " in *" swap "*)
    # Swap on a second RAM disk (brd's /dev/ram1, the same size as ram0):
    # uncompressed swap kept in guest memory, like zram without
    # compression, so that anonymous pages can be reclaimed at all.
    mkswap /dev/ram1 > /dev/null && swapon /dev/ram1 || mark error swapon
    mark swap "$(tr '\n' ' ' < /proc/swaps)"
    mark vm-swappiness $(cat /proc/sys/vm/swappiness)
    n=0
    r=0
    while [ $r -lt $REPS ]; do
        if [ $((r % 2)) = 0 ]; then order="default fileonly"; else order="fileonly default"; fi
        for arm in $order; do
            n=$((n + 1))
            swapoff /dev/ram1 2>/dev/null; swapon /dev/ram1
            # Anonymous memory in the session: dd's buffer, filled from
            # /dev/zero, kept while dd blocks writing into a pipe nobody reads.
            sh -c "echo \$\$ > $S/cgroup.procs && exec dd if=/dev/zero bs=${ANON_MB}M count=1 2>/dev/null" | sleep 100000 &
            holder=$!
            fresh
            before=$(counters b)
            how=plain
            t0=$(up)
            if [ $arm = fileonly ]; then
                if [ $takes_swappiness = yes ]; then
                    how=arg
                    err=$(echo "$((SWAP_ASK_MB * MiB)) swappiness=0" 2>&1 > $T/memory.reclaim); rc=$?
                else
                    # memory.reclaim uses the memcg's swappiness, which on
                    # cgroup v2 is vm.swappiness: the argument's semantics.
                    how=sysctl
                    old=$(cat /proc/sys/vm/swappiness)
                    echo 0 > /proc/sys/vm/swappiness
                    err=$(echo "$((SWAP_ASK_MB * MiB))" 2>&1 > $T/memory.reclaim); rc=$?
                    echo $old > /proc/sys/vm/swappiness
                fi
            else
                err=$(echo "$((SWAP_ASK_MB * MiB))" 2>&1 > $T/memory.reclaim); rc=$?
            fi
            t1=$(up)
            mid=$(counters m)
            sleep $AFTER
            mark swap n=$n arm=$arm how=$how rc=$rc reclaim_s=$(echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }') $before $mid $(counters e)
            kill $holder 2>/dev/null; wait $holder 2>/dev/null  # dd dies on SIGPIPE
        done
        r=$((r + 1))
    done
    stop_reader
;; esac
exit 0
