#!/bin/sh
# The node-size benchmark inside the cgroup v2 VM (issue 23), run by /init
# in place of guest-test.sh (scripts/vm/bench-node-size-v2.sh boots it):
# `status` and a reclaiming `check` with no cgroup but the target, then with
# MMVM_BESIDE memory cgroups beside the target and MMVM_BELOW below it, as
# scripts/bench-node-size.sh does on v1. Prints "MMVM nodesize LABEL CMD
# BATCH US" per batch of MMVM_RUNS runs (the mean of a batch: one clock read
# per batch keeps the clock's own cost out of each run).
CG=/sys/fs/cgroup
T=$CG/mon_memcg-test-node
B=$CG/mon_memcg-test-node-beside
RUNS=${MMVM_RUNS:-5}
BATCHES=${MMVM_BATCHES:-5}
BESIDE=${MMVM_BESIDE:-10000}
BELOW=${MMVM_BELOW:-1000}

# Nanoseconds of CLOCK_MONOTONIC (/proc/timer_list "now at N nsecs").
now() { sed -n 's/^now at \([0-9]*\) nsecs$/\1/p;/^now at/q' /proc/timer_list; }
[ -n "$(now)" ] || { echo "MMVM error no clock: /proc/timer_list has no 'now at'"; exit 1; }

mkdir "$T" "$B" || { echo "MMVM error mkdir"; exit 1; }
echo "+memory" > "$T/cgroup.subtree_control"
echo "+memory" > "$B/cgroup.subtree_control"
printf 'target = mon_memcg-test-node\nstate_file = /tmp/state\nlog_file = /tmp/log\navailable_threshold = 1024Gi\ngrowth_threshold = 0\ndying_reclaim = off\n' > /tmp/conf
mon_memcg check --config /tmp/conf >/dev/null
grep -q "need reclaim" /tmp/log || { echo "MMVM error the check did not reclaim"; cat /tmp/log; exit 1; }

measure() {
    label=$1
    for cmd in status check; do
        for i in 1 2; do rm -f /tmp/state; mon_memcg $cmd --config /tmp/conf >/dev/null; done
        b=0
        while [ $b -lt "$BATCHES" ]; do
            t0=$(now)
            i=0
            while [ $i -lt "$RUNS" ]; do
                [ $cmd = check ] && rm -f /tmp/state
                mon_memcg $cmd --config /tmp/conf >/dev/null || echo "MMVM error $cmd exited $?"
                i=$((i + 1))
            done
            t1=$(now)
            echo "MMVM nodesize $label $cmd $b $(( (t1 - t0) / RUNS / 1000 ))"
            b=$((b + 1))
        done
    done
}

# How long each check's reclaim write itself took (its "reclaim took" line,
# ms resolution): the kernel's share of a check's time, apart from mon_memcg's reads.
took() { sed -n "$(( $1 + 1 )),\$p" /tmp/log | sed -n 's/.*reclaim took \([0-9.]*\) s.*/\1/p' | tr '\n' ' '; }

mark=$(wc -l < /tmp/log)
measure n0
echo "MMVM nodesize-took n0 $(took "$mark")"
t0=$(now)
i=0; while [ $i -lt "$BESIDE" ]; do mkdir "$B/mon_memcg-test-b$i"; i=$((i + 1)); done
i=0; while [ $i -lt "$BELOW" ]; do mkdir "$T/mon_memcg-test-c$i"; i=$((i + 1)); done
echo "MMVM nodesize made $BESIDE beside and $BELOW below in $(( ($(now) - t0) / 1000000 )) ms; nr_descendants $(grep '^nr_descendants' $CG/cgroup.stat)"
mark=$(wc -l < /tmp/log)
measure big
echo "MMVM nodesize-took big $(took "$mark")"
mon_memcg status --config /tmp/conf | sed -n '/Dying/,/^$/p' | sed 's/^/MMVM status: /'
tail -n 3 /tmp/log | sed 's/^/MMVM log: /'
