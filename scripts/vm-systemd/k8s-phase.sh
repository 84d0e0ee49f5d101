# k8s_phase: the DaemonSet's cgroup v2 variant (deploy/kubernetes/cgroup-v2)
# run by runc on this systemd host, as a kubelet would run the pod. Sourced
# by guest-test.sh after guest-lib.sh, in the v2 VM only: run.sh puts
# /mmvm/k8s (the bundle made on the host by scripts/k8s-pod-to-oci.py from
# the rendered manifest, rootfs unpacked from the image with umoci, the
# hostPaths as this guest's own paths) and Debian 12's runc into the v2 VM's
# initramfs. Runs after the package phase, which leaves no mon_memcg behind.
# (a) status in the container against the host's, (b) a crossing answered
# through memory.reclaim, a SIGTERM stop, (c) a second run with
# memory_high = on whose daemon is killed with SIGKILL: PID 1 restores.
#
# The root here is the initramfs, on which pivot_root(2) fails (EINVAL), so
# runc runs with --no-pivot (containerd's no_pivot_root for the same case),
# which refuses a private root propagation, so the bundle keeps runc's
# default (rslave) there; nothing else differs from step 70 on the v1 host.

. /mmvm/k8s/runc-container.sh  # container_exit, supervisor_started, daemon_of, supervised_kill, supervised_restore_logged

k8s_id=mon-memcg-k8s
k8s_bundle=/mmvm/k8s/bundle
k8s_log=/mmvm/k8s/container.log
k8s_pid_of() { runc state "$k8s_id" 2>/dev/null | sed -n 's/^ *"pid": *\([0-9]*\),.*/\1/p'; }
json_num() { sed -n "s/.*\"$1\":\(-\{0,1\}[0-9]*\).*/\1/p"; }
json_str() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
abs() { local d=$1; echo $((d < 0 ? -d : d)); }

k8s_phase() {
    echo "MMVMSD phase k8s (deploy/kubernetes/cgroup-v2 under runc) on cgroup $hierarchy"
    sed 's/^/  bundle: /' /mmvm/k8s/derived.txt
    # kubelet makes the DirectoryOrCreate hostPaths before it starts the pod.
    mkdir -p /run/mon_memcg /var/lib/node_exporter/textfile_collector
    (cd "$k8s_bundle" && exec runc --root /run/runc run --no-pivot "$k8s_id") > "$k8s_log" 2>&1 &
    local runc_pid=$! cpid started status mounts host1 host2 ctr d1 d2 tol before peak after runs
    # PID 1 is watch --supervise (the DaemonSet's args); the daemon its child.
    started() {
        local inner
        inner=$(supervisor_started "$k8s_log")
        [ -s /run/mon_memcg/state.alive ] && [ -n "$inner" ] && [ "$inner" != 1 ] && grep -q "watch started (pid $inner)" "$k8s_log"
    }
    check "runc started the DaemonSet's container; watch --supervise (PID 1) started the daemon, which completed its first check" wait_for 30 started
    sed 's/^/  container log: /' "$k8s_log"
    cpid=$(k8s_pid_of)
    status=$(grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' "/proc/$cpid/status" | tr -s '\t ' ' ' | tr '\n' ' ')
    echo "  /proc/$cpid/status: $status"
    check "the container runs with no capability, no_new_privs and a seccomp filter" \
        grep -q 'CapEff: 0000000000000000 CapBnd: 0000000000000000 NoNewPrivs: 1 Seccomp: 2' <<<"$status"
    mounts=$(awk '$5 == "/" || $5 ~ /^\/host\// || $5 == "/etc/mon_memcg" || $5 == "/run/mon_memcg" || $5 ~ /^\/var\/lib\// {split($6, o, ","); print $5 " " o[1]}' "/proc/$cpid/mountinfo" | sort | tr '\n' ' ')
    echo "  mounts in the container: $mounts"
    check "root, config and /host/proc read-only; /host/cgroup (the unified hierarchy), state and textfile read-write" \
        [ "$mounts" = "/ ro /etc/mon_memcg ro /host/cgroup rw /host/proc ro /run/mon_memcg rw /var/lib/node_exporter/textfile_collector rw " ]

    # (a) status as kubectl exec runs it, between two runs on this host.
    host1=$(/mmvm/k8s/mon_memcg status --json --state-file /tmp/k8s-host-state 2>&1)
    ctr=$(runc --root /run/runc exec --process /mmvm/k8s/status-process.json "$k8s_id" 2>&1)
    host2=$(/mmvm/k8s/mon_memcg status --json --state-file /tmp/k8s-host-state 2>&1)
    for s in host1 ctr host2; do
        echo "  status $s: hierarchy $(json_str hierarchy <<<"${!s}") cgroup_root $(json_str cgroup_root <<<"${!s}")" \
            "mem_total $(json_num mem_total_bytes <<<"${!s}") working_set $(json_num working_set_bytes <<<"${!s}")" \
            "available $(json_num available_bytes <<<"${!s}") target_path $(json_str target_path <<<"${!s}")"
    done
    check "status in the container and on the host: hierarchy v2 (the container's /host/cgroup, the host's /sys/fs/cgroup)" \
        [ "$(json_str hierarchy <<<"$ctr")/$(json_str cgroup_root <<<"$ctr")/$(json_str hierarchy <<<"$host1")/$(json_str cgroup_root <<<"$host1")" = "v2//host/cgroup/v2//sys/fs/cgroup" ]
    check "status in the container and on the host: the same MemTotal ($(json_num mem_total_bytes <<<"$ctr"))" \
        [ -n "$(json_num mem_total_bytes <<<"$ctr")" -a "$(json_num mem_total_bytes <<<"$ctr")" = "$(json_num mem_total_bytes <<<"$host1")" ]
    # The root's signal (kubelet's memory.available) moves between reads by
    # what the guest allocates meanwhile: the exec'd process itself, runc,
    # the journal. 8 MiB is under 1 % of this guest's MemTotal and far below
    # any threshold (4G, 1G); the container's read is bracketed by the host's.
    tol=$((8 * 1048576))
    d1=$(abs $(( $(json_num available_bytes <<<"$ctr") - $(json_num available_bytes <<<"$host1") )))
    d2=$(abs $(( $(json_num available_bytes <<<"$ctr") - $(json_num available_bytes <<<"$host2") )))
    echo "  available: container - host before = $d1 bytes, container - host after = $d2 bytes (tolerance $tol)"
    check "status in the container and on the host: kubelet's available for the root within 8 MiB (read moments apart)" \
        [ -n "$(json_num available_bytes <<<"$ctr")" -a "$d1" -le "$tol" -a "$d2" -le "$tol" ]

    # (b) a crossing: the ConfigMap's thresholds (--set, made on the host)
    # make memory short in this guest; a session's 64 MiB of page cache in
    # user.slice is growth; watch in the container answers it through
    # /host/cgroup/user.slice/memory.reclaim.
    runs=$(grep -c 'reclaim took ' "$k8s_log")
    before=$(target_usage)
    fill_user_slice mmvm-k8s-session 64
    peak=$(target_usage)
    echo "  user.slice memory.current: $before before the session's dd, $peak after"
    answered() { [ "$(grep -c 'reclaim took ' "$k8s_log")" -gt "$runs" ] && [ "$(target_usage)" -lt $((16 * 1048576)) ]; }
    wait_for 30 answered
    after=$(target_usage)
    grep -E 'need reclaim|memory\.reclaim|reclaim took' "$k8s_log" | tail -n 3 | sed 's/^/  container log: /'
    echo "  user.slice memory.current after: $after"
    check "the container's watch answered the crossing: need reclaim /host/cgroup//user.slice, memory.reclaim, reclaim took" \
        eval '[ "$(grep -c "reclaim took " "$k8s_log")" -gt "$runs" ] && grep -q "need reclaim /host/cgroup//user.slice !!" "$k8s_log" && grep -q "memory.reclaim step 1: asked " "$k8s_log"'
    check "user.slice fell below 16 MiB (memory.current $peak -> $after)" [ "$after" -lt $((16 * 1048576)) ]

    runc --root /run/runc kill "$k8s_id" TERM
    wait "$runc_pid"
    status=$?
    check "SIGTERM (what kubelet sends) stops watch with status 0" \
        eval '[ "$status" = 0 ] && grep -q "watch stopped on SIGTERM" "$k8s_log"'
    runc --root /run/runc delete -f "$k8s_id" >/dev/null 2>&1
    systemctl stop mmvm-k8s-session.service
    rm -f /srv/disk/mmvm-k8s-session
    k8s_killed_daemon
}

# (c) The daemon killed with SIGKILL while a held episode holds user.slice's
# memory.high (an OOM kill, a crash): PID 1 (watch --supervise) outlives it,
# puts memory.high back at once (kubelet would restart the container only
# after its back-off) and ends the container with 128 + 9. Step 70 shows the
# same for v1's memory.limit_in_bytes on the host; this is the real v2
# kernel's. A second run of the same bundle with memory_high = on; the node
# stays short whatever user.slice frees (available_threshold = 64G), and a
# session's 192 MiB of page cache puts user.slice above memory.high's floor
# (what it cannot give back + 128M), so the episode's start sets it.
k8s_killed_daemon() {
    local conf log2 runc_pid high_before engaged spid cpid restored_ms= exit_status
    conf=$(readlink -f "$k8s_bundle/volumes/config/mon_memcg.conf")
    sed -i '/^memory_high *=/d' "$conf"
    echo 'memory_high = on' >> "$conf"
    high_before=$(cat "$target/memory.high")
    fill_user_slice mmvm-k8s-lever 192
    log2=/mmvm/k8s/container-killed.log
    (cd "$k8s_bundle" && exec runc --root /run/runc run --no-pivot "$k8s_id") > "$log2" 2>&1 &
    runc_pid=$!
    lever_set() { [ "$(cat "$target/memory.high")" != "$high_before" ] && grep -q '^memory_high_written ' /run/mon_memcg/state 2>/dev/null; }
    if wait_for 30 lever_set; then
        engaged=$(cat "$target/memory.high")
        ok "runc, memory_high = on: a held episode set user.slice's memory.high to $engaged (was $high_before)"
    else
        sed 's/^/  container log: /' "$log2" | tail -n 20
        not_ok "runc, memory_high = on: the lever was not set within 30 s"
    fi
    spid=$(k8s_pid_of)
    cpid=$(daemon_of "$spid")
    [ -n "${engaged:-}" ] && restored_ms=$(supervised_kill "$cpid" "$target/memory.high" "$high_before")
    # runc run ends with the container's PID 1; 10 s is the limit for it.
    container_exit 10
    [ -n "$exit_status" ] || runc --root /run/runc kill "$k8s_id" KILL >/dev/null 2>&1
    grep -E 'memory.high (set|restored)|watch --supervise' "$log2" | tail -n 6 | sed 's/^/  container log: /'
    if [ -n "${engaged:-}" ] && [ -n "$restored_ms" ] && [ "$exit_status" = 137 ] \
        && supervised_restore_logged "$log2" memory.high /host/cgroup/user.slice "$high_before" "$engaged"; then
        ok "runc: the daemon killed with SIGKILL: PID 1 put memory.high back to $high_before ${restored_ms} ms after the kill, then ended the container with status 137"
    else
        not_ok "runc: after the daemon's SIGKILL: memory.high $(cat "$target/memory.high") (was $high_before), container status '${exit_status:-still running after 10 s}', daemon pid '$cpid'"
        echo "$high_before" > "$target/memory.high"
    fi
    runc --root /run/runc delete -f "$k8s_id" >/dev/null 2>&1
    systemctl stop mmvm-k8s-lever.service
    rm -f /srv/disk/mmvm-k8s-lever
}
