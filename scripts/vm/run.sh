#!/usr/bin/env bash
# The cgroup v2 test on a real kernel: boots Debian's kernel under QEMU
# (software emulation: KVM does not work on these machines) with a small
# initramfs, runs mon_memcg status/check inside on cgroup v2, and judges the
# console output here.
#
#   scripts/vm/run.sh                      build the static binary, the initramfs, boot, assert
#   scripts/vm/run.sh --save-fixture DIR   also keep the guest's kernel files (root and target
#                                          memory.stat, mountinfo, ...) as a fixture tree in DIR
#
# Environment: MON_MEMCG_BINARY (skip the build and use this binary),
# MMVM_OUT (build directory, default .build-vm/), MMVM_TIMEOUT (seconds for
# the whole boot, default 300), MMVM_MEM (guest MiB, default 512).
# Exit status: 0 all assertions passed, 1 a failure, 77 skipped (the reason
# is printed: not x86_64, no kernel/qemu and none installable).
set -euo pipefail
save_fixture=
if [ "${1:-}" = --save-fixture ]; then save_fixture=${2:?--save-fixture needs a directory}; fi
repo=$(cd "$(dirname "$0")/../.." && pwd)
here=$repo/scripts/vm
out=${MMVM_OUT:-$repo/.build-vm}
timeout_s=${MMVM_TIMEOUT:-300}
mem=${MMVM_MEM:-512}
fill_mb=150
request_mb=100
rd_kb=262144
export PATH="/opt/swift/usr/bin:$PATH"

skip() { echo "SKIP cgroup v2 VM test: $*"; exit 77; }

. "$here/needs.sh"
vm_needs
# MMVM_KERNEL=VERSION boots another installed kernel (6.1.0-57-amd64: the classic LRU).
kver=${MMVM_KERNEL:-$(newest_kernel)}
kernel=/boot/vmlinuz-$kver

mkdir -p "$out"
binary=$("$here/release-binary.sh" "$out")
"$here/build-initramfs.sh" "$out" "$binary" "$kver"

echo "== booting $kernel (tcg, ${mem} MiB, timeout ${timeout_s} s)"
console=$out/console.log
started=$(date +%s%N)
set +e
"$here/boot.sh" "$console" "$timeout_s" "$mem" 1 "$kernel" "$out/initramfs.cpio" \
    "console=ttyS0 quiet loglevel=3 panic=-1 MMVM_RD_KB=$rd_kb MMVM_FILL_MB=$fill_mb MMVM_REQUEST_MB=$request_mb"
qemu_status=$?
set -e
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
elapsed=$((elapsed_ms / 1000)).$(printf %03d $((elapsed_ms % 1000)))
echo "VM boot+test took ${elapsed} s (qemu status $qemu_status); console: $console"

if [ "$qemu_status" = 124 ] || [ "$qemu_status" = 137 ]; then
    echo "not ok - the VM did not power off within ${timeout_s} s"; tail -n 40 "$console"
    echo "0 passed, 1 failed"; exit 1
fi
if ! grep -q '^MMVM-DONE' "$console"; then
    echo "not ok - the guest did not finish its test (no MMVM-DONE)"; tail -n 60 "$console"
    echo "0 passed, 1 failed"; exit 1
fi

if [ -n "$save_fixture" ]; then
    # Guest paths map to DIR/proc/... and DIR/cgroup/...: the layout the
    # tests' --proc-root and --cgroup-root expect.
    sed -n 's/^MMVM-BEGIN file://p' "$console" | while read -r path; do
        case $path in
            /proc/*) dest=$save_fixture/proc/${path#/proc/} ;;
            /sys/fs/cgroup/*) dest=$save_fixture/cgroup/${path#/sys/fs/cgroup/} ;;
            *) continue ;;
        esac
        mkdir -p "$(dirname "$dest")"
        sed -n "\\|^MMVM-BEGIN file:$path\$|,\\|^MMVM-END file:$path rc=|p" "$console" | sed '1d;$d' >"$dest"
    done
    echo "kernel files saved under $save_fixture"
fi

# ---- judging the console ----
passed=0
failed=0
ok() { echo "ok - $*"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $*"; failed=$((failed + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }
mark() { sed -n "s/^MMVM $1 //p" "$console" | head -n 1; }
block() { sed -n "/^MMVM-BEGIN $1\$/,/^MMVM-END $1 rc=/p" "$console" | sed '1d;$d'; }
rc() { sed -n "s/^MMVM-END $1 rc=//p" "$console" | head -n 1; }
has() { grep -qF -- "$2" <<<"$1"; }
seconds_between() { echo "$1" | awk '{ printf "%.2f", $2 - $1 }'; }
within() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }

grep '^MMVM error' "$console" && not_ok "guest setup reported errors" || true
echo "guest: kernel $(mark kernel), init at $(mark uptime-at-init) s, done at $(mark uptime-at-end) s of guest uptime"
echo "guest: fill took $(seconds_between "$(mark fill-seconds)") s; target memory.current $(mark target-current-after-fill), file $(mark target-file-after-fill), inactive_file $(mark target-inactive-file-after-fill)"
check "the kernel has memory.reclaim" [ "$(mark has-memory.reclaim)" = yes ]
check "page cache of about ${fill_mb} MiB is charged to the target" \
    within "$(mark target-file-after-fill)" $((fill_mb * 1048576 * 9 / 10)) $((fill_mb * 1048576 * 11 / 10))

status_text=$(block status)
check "status exits 0" [ "$(rc status)" = 0 ]
check "status names cgroup v2 and its root" has "$status_text" "cgroup v2, /sys/fs/cgroup"
check "status shows the v2 working-set inputs" has "$status_text" "root anon + file"
status_json=$(block status-json)
check "status --json says hierarchy v2" has "$status_json" '"hierarchy":"v2"'
check "status shows the target's page cache not on disk yet in v2 words (file_dirty)" has "$status_text" "target file_dirty "
check "status reads the kernel's dirty threshold from the guest's /proc/vmstat" \
    eval 'grep -Eq "\"dirty_threshold_bytes\":[1-9]" <<<"$status_json"'
echo "$status_text" | sed 's/^/    | /'

log=$(block log)
requested=$(sed -n 's/.*memory\.reclaim: requesting \([0-9]*\) bytes.*/\1/p' <<<"$log" | head -n 1)
dropped=$(mark check1-dropped)
after_logged=$(sed -n 's/.*mem usage memory\.current \([0-9]*\)$/\1/p' <<<"$log" | head -n 1)
check "check 1 exits 0" [ "$(rc check1)" = 0 ]
check "check 1 logs the original script's need-reclaim line with the v2 target path" has "$log" "need reclaim /sys/fs/cgroup//user.slice !!"
check "check 1 requests about ${request_mb} MiB (requested ${requested:-none})" \
    within "${requested:-0}" $(((request_mb - 8) * 1048576)) $(((request_mb + 8) * 1048576))
check "check 1 freed about what it requested: memory.current dropped by ${dropped:-?} of ${requested:-?} bytes" \
    within "${dropped:-0}" "$(( ${requested:-1} * 85 / 100 ))" "$(( ${requested:-1} * 135 / 100 ))"
check "check 1 logs the usage after reclaim in v2 words" [ -n "$after_logged" ]
# memory.current counts the target's kernel memory too, which no reclaim
# frees: the request is bounded by what memory.stat says can go, and says so
check "check 1's request is bounded by the target's reclaimable memory (memory.stat), below its memory.current" \
    has "$log" "(memory.stat; current "
check "state after check 1 holds that usage as last" [ "$(block state1)" = "$(printf 'mon_memcg-state 1\nlast %s' "${after_logged:-x}")" ]
echo "check 1: requested ${requested:-?} bytes, memory.current dropped by ${dropped:-?} bytes ($(mark check1-current-before) -> $(mark check1-current-after)), run took $(seconds_between "$(mark check1-seconds)") s of guest time"

check "check 2 exits 0" [ "$(rc check2)" = 0 ]
check "check 2 skips: change is too small" has "$log" "change is too small (less than 1073741824 ), so skip reclaim"
check "check 2 leaves the state alone" [ "$(block state2)" = "$(block state1)" ]

dry=$(block dryrun)
check "dry run exits 0" [ "$(rc dryrun)" = 0 ]
check "dry run says what it would write to memory.reclaim" has "$dry" "dry-run: would have written"
check "dry run writes no state" [ "$(mark dryrun-state-exists)" = no ]
dry_drop=$(( $(mark dryrun-current-before) - $(mark dryrun-current-after) ))
check "dry run reclaims nothing (memory.current moved by $dry_drop bytes)" within "$dry_drop" -4194304 4194304

check "check 3 (more than reclaimable) exits 0" [ "$(rc check3)" = 0 ]
check "check 3 logs EAGAIN as partial progress" has "$log" "EAGAIN"
check "check 3 stops on its own well before its 30 s reclaim_timeout ($(seconds_between "$(mark check3-seconds)") s)" \
    within "$(seconds_between "$(mark check3-seconds)")" 0 25
check "check 3 records the usage after it" has "$(block state3)" "last "

# The request bound with free swap (guest-test.sh 5b): the two dry runs'
# bounds differ by the target's anon + shmem, which swap.max 0 leaves out.
bound_of() { sed -n 's/.*at most \(reclaimable\|current\) \([0-9]*\).*/\2/p' <<<"$1" | head -n 1; }
check "a swap device for the memory.swap.max dry runs (SwapFree $(mark swap-free-kb) kB)" [ "$(mark swap-on)" = yes ]
with_max=$(bound_of "$(block dryswapmax)")
with_0=$(bound_of "$(block dryswap0)")
anon=$(mark swap-target-anon); shmem=$(mark swap-target-shmem)
swappable=$(( ${anon:-0} + ${shmem:-0} ))
check "with memory.swap.max 0 the request bound leaves out the target's anon + shmem ($swappable): ${with_0:-none} against ${with_max:-none} with max" \
    within "$(( ${with_max:-0} - ${with_0:-0} ))" $((swappable - 4194304)) $((swappable + 4194304))
echo "check 3: target anon $(mark eagain-target-anon), memory.current $(mark check3-current-before) -> $(mark check3-current-after)"

watch_log=$(block watch-log)
check "the kernel has PSI (/proc/pressure/memory)" [ "$(mark has-pressure-memory)" = yes ]
check "watch says it checks on memory pressure events" has "$watch_log" "checks on memory pressure events from /proc/pressure/memory and every 0.500 s"
check "watch armed the PSI trigger" has "$watch_log" 'armed the PSI trigger "some 300000 2000000" on /proc/pressure/memory'
check "watch stops on SIGTERM with status 0" [ "$(mark watch-exit)" = 0 ]
check "watch logs its stop" has "$(tail -n 1 <<<"$watch_log")" "watch stopped on SIGTERM"
echo "---- guest watch log ----"
echo "$watch_log" | sed 's/^/    | /'

hold_log=$(block hold-log)
echo "hold: target inactive_file $(mark hold-target-inactive-file), active_file $(mark hold-target-active-file) before the episode"
check "watch (hold = on) stops on SIGTERM with status 0" [ "$(mark hold-exit)" = 0 ]
check "watch reclaimed and held: a held episode ended" has "$hold_log" "hold ended after"
if [ "$(mark hold-target-active-file)" = 0 ]; then
    # MGLRU (Debian's 6.12): read() cache stays inactive however often it is
    # read (docs/cgroup-v2.md), so kubelet counts none of the target and no
    # reclaim of it can lift available: the steps must grow past what did
    # not lift, then stop when the target has nothing left, and say so.
    check "kubelet counts none of the target (active_file 0): the steps grew after a step that lifted nothing" \
        has "$hold_log" "hold step 2:"
    check "and the episode stopped when the target had nothing reclaimable left, saying so" \
        has "$hold_log" "it has nothing reclaimable left now"
else
    check "the held episode's end line says recovered (>= global thresh)" \
        eval 'grep "hold ended after" <<<"$hold_log" | head -n 1 | grep -q ">= global thresh"'
fi
echo "---- guest hold log ----"
echo "$hold_log" | sed 's/^/    | /'

# memory_high = on: every round must leave memory.high as it found it.
echo "lever: target memory.current $(mark lever-target-current), anon $(mark lever-target-anon), file $(mark lever-target-file); threshold $(mark lever-threshold)"
rounds=$(sed -n 's/^MMVM lever-round //p' "$console")
echo "$rounds" | sed 's/^/    lever round /'
check "memory_high: 10 rounds of watch stopped by kill -9 or SIGTERM ran" [ "$(grep -c kind= <<<"$rounds")" = 10 ]
changed=$(awk '{ o = a = ""; for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "original") o = kv[2]; if (kv[1] == "after") a = kv[2] }
                 if (o == "" || o != a) print $1 }' <<<"$rounds")
check "memory_high: every round left memory.high at its original value after the next start (rounds changed: ${changed:-none})" [ -z "$changed" ]
engaged_kills=$(awk '/kind=kill/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "original") o = kv[2]; if (kv[1] == "killed") k = kv[2] }
                      if (o != k) n++ } END { print n + 0 }' <<<"$rounds")
check "memory_high: at least one kill -9 landed with the lever engaged ($engaged_kills did), so the restore at the next start was exercised" \
    [ "$engaged_kills" -ge 1 ]
engaged_terms=$(awk '/kind=term/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "original") o = kv[2]; if (kv[1] == "during") d = kv[2] }
                      if (o != d) n++ } END { print n + 0 }' <<<"$rounds")
check "memory_high: both SIGTERM rounds stopped watch with the lever engaged ($engaged_terms did)" [ "$engaged_terms" = 2 ]
check "memory_high: no round left the record in its state file" \
    eval '! grep -q "state=[1-9]" <<<"$rounds"'
echo "---- guest lever log (round 1) ----"
block lever-log-1 | sed 's/^/    | /'
echo "---- guest lever stderr ----"
block lever-stderr | sed 's/^/    | /'

# reclaim_timeout with a writer in the target (guest-test.sh 9): the run
# is interrupted, exits 6, and says what of the target was not on disk.
timeout_log=$(block timeout-log)
unwritten=$(grep "at reclaim_timeout the target held" <<<"$timeout_log" | head -n 1)
u_dirty=$(sed -n 's/.* file_dirty \([0-9]*\) and file_writeback \([0-9]*\) bytes.*/\1/p' <<<"$unwritten")
u_writeback=$(sed -n 's/.* file_dirty \([0-9]*\) and file_writeback \([0-9]*\) bytes.*/\2/p' <<<"$unwritten")
echo "reclaim_timeout: target file $(mark timeout-target-file); file_dirty/file_writeback before the check $(mark timeout-target-before), after it $(mark timeout-target-after)"
check "check with reclaim_timeout 100ms is interrupted and exits 6 (exit $(rc check-timeout))" [ "$(rc check-timeout)" = 6 ]
check "it logs the interruption by reclaim_timeout" has "$timeout_log" "(reclaim_timeout 0.100 s"
check "then what of the target was dirty or under writeback, in v2 words (file_dirty ${u_dirty:-none}, file_writeback ${u_writeback:-none})" \
    [ -n "$u_dirty" ] && [ -n "$u_writeback" ]
# The writer keeps MiB dirty (the guest's nr_dirty_background_threshold is
# about 25 MiB; 6-14 MiB were seen): a line that read nothing says 0 and 0.
check "and the numbers are the writer's page cache: file_dirty + file_writeback > 0" \
    [ $(( ${u_dirty:-0} + ${u_writeback:-0} )) -gt 0 ]
timeout_metrics=$(block timeout-metrics)
check "its metrics publish the target's file_dirty and file_writeback as gauges, and the interruption" \
    eval 'grep -Eq "^mon_memcg_target_dirty_bytes [0-9]+$" <<<"$timeout_metrics" && grep -Eq "^mon_memcg_target_writeback_bytes [0-9]+$" <<<"$timeout_metrics" && grep -qx "mon_memcg_interruptions_total 1" <<<"$timeout_metrics"'
echo "$timeout_metrics" | sed 's/^/    metrics: /'
echo "---- guest reclaim_timeout log ----"
echo "$timeout_log" | sed 's/^/    | /'

echo "---- guest log file ----"
echo "$log" | sed 's/^/    | /'
echo "cgroup-v2-vm: $passed passed, $failed failed"
[ "$failed" = 0 ]
