# Sourced by CI step 70 (scripts/ci.d/70-kubernetes.sh, the v1 host) and the
# v2 VM's k8s phase (scripts/vm-systemd/k8s-phase.sh, copied into the guest
# by scripts/vm-systemd/run.sh): the DaemonSet's container under `runc run`,
# how both wait for it to end, find its daemon, kill the daemon with SIGKILL while a held
# episode's lever is set on the target, and check that the container's
# PID 1 (`watch --supervise`) put the lever back.

# container_exit SECONDS: waits up to SECONDS for `runc run` ($runc_pid, the
# caller's) to end: its status in $exit_status (empty if still running),
# and $runc_pid cleared.
container_exit() {
    exit_status=
    for _ in $(seq $(($1 * 10))); do
        if ! kill -0 "$runc_pid" 2> /dev/null; then
            exit_status=0
            wait "$runc_pid" || exit_status=$?
            break
        fi
        sleep 0.1
    done
    runc_pid=
}

# supervisor_started LOG: the daemon's pid in the container, as PID 1
# (`watch --supervise`) said it in the container's log LOG; empty until it
# has.
supervisor_started() {
    sed -n 's/^mon_memcg: watch --supervise: started the daemon, pid \([0-9]*\);.*/\1/p' "$1" | head -n 1
}

# daemon_of PID: the first child of PID (PID 1's daemon, as this host sees
# both).
daemon_of() { awk '{print $1}' "/proc/$1/task/$1/children" 2> /dev/null; }

# supervised_kill DAEMON_PID LEVER_PATH ORIGINAL: SIGKILL to DAEMON_PID
# (PID 1's child), then polls LEVER_PATH (the target's memory.limit_in_bytes
# or memory.high, as this host sees it) every 10 ms for up to 5 s until it
# reads ORIGINAL again. Prints the milliseconds from the kill to that read,
# or nothing when it did not come back.
supervised_kill() {
    local pid=$1 lever=$2 original=$3 t0
    [ -n "$pid" ] || return 0
    t0=$(date +%s%N)
    kill -KILL "$pid" || return 0
    for _ in $(seq 500); do
        if [ "$(cat "$lever")" = "$original" ]; then echo $((($(date +%s%N) - t0) / 1000000)); return 0; fi
        sleep 0.01
    done
}

# supervised_restore_logged LOG FILE CONTAINER_TARGET ORIGINAL WRITTEN:
# whether the container's log LOG has PID 1's line on how its daemon ended
# and the restore's line for FILE (memory.limit_in_bytes, memory.high) on
# CONTAINER_TARGET (the target's path in the container), put back to
# ORIGINAL from WRITTEN.
supervised_restore_logged() {
    local log=$1 file=$2 target=$3 original=$4 written=$5
    grep -q 'watch --supervise: the daemon, pid [0-9]*, was killed by SIGKILL' "$log" \
        && grep -qF "$file restored to $original on $target (was $written, set by a held episode): watch --supervise, after the daemon it started ended (was killed by SIGKILL)" "$log"
}
