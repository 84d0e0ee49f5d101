#!/bin/bash
# REFERENCE ONLY, NEVER SHIPPED: the original script, written for the
# efficacy lab from the original design's description (its "脚本逻辑" and
# its log excerpts), so the lab can run the original design side by side
# with mon_memcg. It keeps the original's decisions and wording; it has no
# lock, no bound of its own (the lab ends it at the service's 1 min
# TimeoutStartSec, as systemd did), no validation.
#
# The lab sets, instead of the original's fixed paths:
#   ORIGINAL_CGROUP    the v1 memory mount          (/sys/fs/cgroup/memory)
#   ORIGINAL_TARGET    the target, relative to it   (user.slice)
#   ORIGINAL_THRESH    the threshold in bytes       (4G)
#   ORIGINAL_CHANGE    the growth needed, bytes     (1G)
#   ORIGINAL_LOG       the log                      (/var/log/mon_memcg.log)
#   ORIGINAL_LAST      where "last mem" is kept between runs
CG=${ORIGINAL_CGROUP:-/sys/fs/cgroup/memory}
# The original's log shows "/sys/fs/cgroup/memory//user.slice": its path
# was the mount, a slash, and "/user.slice".
TARGET=$CG//${ORIGINAL_TARGET:-user.slice}
THRESH=${ORIGINAL_THRESH:-4294967296}
CHANGE=${ORIGINAL_CHANGE:-1073741824}
LOG=${ORIGINAL_LOG:-/var/log/mon_memcg.log}
LAST_FILE=${ORIGINAL_LAST:-/var/run/mon_memcg.last}

log() { echo "$(date)     $*" >> "$LOG"; }
stat_of() { awk -v k="$2" '$1 == k { print $2 }' "$1/memory.stat"; }
usage_of_target() {
    awk '$1 == "total_rss" { r = $2 } $1 == "total_cache" { c = $2 } END { printf "%.0f\n", r + c }' "$TARGET/memory.stat"
}

total=$(( $(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) * 1024 ))
usage=$(cat "$CG/memory.usage_in_bytes")
inactive=$(stat_of "$CG" total_inactive_file)
low=$(( $(cat /proc/sys/vm/min_free_kbytes) * 1024 ))
working_set=$(( usage - inactive ))
[ "$working_set" -lt 0 ] && working_set=0
avail=$(( total - working_set ))
global_thresh=$(( THRESH + low ))

current=$(usage_of_target)
last=$(cat "$LAST_FILE" 2>/dev/null || echo 0)

if [ "$avail" -lt "$global_thresh" ]; then
    log "avalible_mem $avail is less global thresh $global_thresh, need reclaim $TARGET !!"
    log "Before reclaim:"
    change=$(( current - last ))
    log "mem usage: CURRENT $current LAST $last CHANGE $change"
    if [ "$change" -lt "$CHANGE" ]; then
        log "change is too small (less than $CHANGE ), so skip reclaim"
        exit 0
    fi
    echo 1 > "$TARGET/memory.force_empty"
    current=$(usage_of_target)
    log "After reclaim:"
    log "mem usage total_rss+total_cache $current"
    echo "$current" > "$LAST_FILE"
elif [ "$current" -lt "$last" ]; then
    log "mem usage decline, change last usage mem $last -> $current"
    echo "$current" > "$LAST_FILE"
fi
