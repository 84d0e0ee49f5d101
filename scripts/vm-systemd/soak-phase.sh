# soak_phase: CI step 55's kill -9 loop and 2-minute soak, on cgroup v2.
# Sourced by guest-test.sh after guest-lib.sh, in the v2 VM only, last:
# run.sh puts /mmvm/soak (scripts/soak.sh, scripts/kill-nine.sh,
# scripts/lib/memcg_cgroups.py and the static release binary) into the v2
# VM's initramfs. Step 55 runs both on the host's cgroup v1.
#
# Scaled to a TCG guest with one vCPU and 1.5 GiB (the failure rules are
# step 55's):
#   - the kill -9 loop: 40 kills (step 55: 120), half of them inside the
#     target's memory.reclaim. A round here costs about 2 s of emulated CPU
#     (a python3 writing 32 MiB of page cache, watch's start and reclaim,
#     the check after the kill) against a few ms on the host, so 40 rounds
#     (20 inside a reclaim) keep the phase near a minute and a half;
#   - the soak: the same 120 s, crossings every 30 s, SIGHUP, a log
#     rotation, but 5 sessions per second (step 55: 20: forking the
#     python3 that makes them is slow under TCG), and a threshold 256 MiB
#     below the available memory with crossings 64 MiB below it (step 55:
#     1 GiB and 256 MiB, more than this guest's free memory).
# The session files are on the RAM disk's ext4 (/srv/disk), whose page
# cache memory.reclaim can free; the root's tmpfs would hold them as shmem.

soak_kill_rounds=${MMVM_KILL_ROUNDS:-40}

soak_phase() {
    echo "MMVMSD phase soak (scripts/kill-nine.sh $soak_kill_rounds, scripts/soak.sh 120) on cgroup $hierarchy"
    local dir=/srv/disk/soak out status bin=/mmvm/soak/mon_memcg
    mkdir -p "$dir"
    # run.sh's MMSD_SOAK_WRAPPER: a deliberately broken stand-in, to see the checks fail.
    if [ -x /mmvm/soak/wrapper ]; then
        bin=/mmvm/soak/wrapper
        echo "  (MMSD_SOAK_WRAPPER: the phase runs /mmvm/soak/wrapper instead of the binary)"
    fi
    out=$(SOAK_DIR=$dir /mmvm/soak/scripts/kill-nine.sh "$soak_kill_rounds" "$bin" 2>&1)
    status=$?
    sed 's/^/  /' <<<"$out"
    check "kill -9 of watch $soak_kill_rounds times (half inside memory.reclaim): lock free, state and metrics whole, the next check works" \
        [ "$status" = 0 ]
    out=$(SOAK_DIR=$dir SOAK_SESSIONS_PER_SECOND=5 SOAK_MARGIN_MIB=256 SOAK_BELOW_MIB=64 \
        /mmvm/soak/scripts/soak.sh 120 "$bin" 2>&1)
    status=$?
    sed 's/^/  /' <<<"$out"
    check "2-minute soak on cgroup v2: fd delta 0, RSS within 1 MiB, no crossing missed" [ "$status" = 0 ]
    check "the soak and the kill -9 loop left no mon_memcg-test-* cgroup" \
        eval '[ -z "$(find /sys/fs/cgroup -maxdepth 1 -name "mon_memcg-test-*")" ]'
    rm -rf "$dir"
}
