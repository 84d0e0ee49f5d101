# Sourced by the systemd VM's guest scripts (guest-test.sh, package-phase.sh):
# the "ok"/"not ok" lines the host turns into CI checks, waiting, and the
# two hierarchies' words for the same things. No package format here.

passed=0
failed=0
ok() { echo "ok - $*"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $*"; failed=$((failed + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }
# Waits up to $1 seconds for a command to succeed.
wait_for() { local t=$1; shift; for _ in $(seq $((t * 5))); do "$@" && return 0; sleep 0.2; done; "$@"; }
prop() { systemctl show -p "$2" --value "$1"; }
log_has() { grep -q -- "$1" /var/log/mon_memcg.log 2>/dev/null; }
count_in_log() { grep -c -- "$1" /var/log/mon_memcg.log 2>/dev/null || true; }
show_log() { echo "--- /var/log/mon_memcg.log"; sed 's/^/  | /' /var/log/mon_memcg.log | tail -n "${1:-15}"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }

# The hierarchy this VM was booted for (mmvm.hierarchy= on the kernel
# command line, next to systemd.unified_cgroup_hierarchy=), and where the
# target, user.slice, is on it.
hierarchy=$(sed -n 's/.*mmvm\.hierarchy=\([a-z0-9]*\).*/\1/p' /proc/cmdline)
case $hierarchy in
    v1) target=/sys/fs/cgroup/memory/user.slice usage_file=memory.usage_in_bytes ;;
    *) hierarchy=v2 target=/sys/fs/cgroup/user.slice usage_file=memory.current ;;
esac
# The target's usage in bytes: v1's memory.usage_in_bytes, v2's memory.current.
target_usage() { cat "$target/$usage_file" 2>/dev/null || echo 0; }
# Whether systemd runs the hierarchy the VM was booted for, with the memory
# controller where mon_memcg looks for it.
hierarchy_is_up() {
    case $hierarchy in
        v1) test -e /sys/fs/cgroup/memory/memory.force_empty ;;
        v2) [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] && grep -qw memory /sys/fs/cgroup/cgroup.controllers ;;
    esac
}

# A RAM block device with ext4 for the sessions' page cache: the root is the
# initramfs (tmpfs), whose pages no reclaim can free.
ram_disk() {
    mountpoint -q /srv/disk && return 0
    for m in crc16 mbcache jbd2 crc32c_generic ext4; do insmod /mmvm/modules/$m.ko 2>/dev/null; done
    insmod /mmvm/modules/brd.ko rd_nr=1 rd_size=262144
    mkfs.ext4 -q /dev/ram0 && mkdir -p /srv/disk && mount /dev/ram0 /srv/disk
}

# fill_user_slice UNIT MiB: a long-lived "session" in the guest's real
# user.slice (as an ssh login's scope would be) writes MiB of page cache to
# the RAM disk and stays, so its pages stay charged to a live cgroup below
# user.slice. Waits until user.slice has grown by that much.
fill_user_slice() {
    local unit=$1 mib=$2 before
    before=$(target_usage)
    systemctl stop "$unit" 2>/dev/null
    systemd-run --quiet --slice=user.slice -p MemoryAccounting=yes --unit="$unit" \
        sh -c "dd if=/dev/zero of=/srv/disk/$unit bs=1M count=$mib status=none && sync && exec sleep 100000"
    grown() { [ "$(target_usage)" -ge $((before + (mib - 4) * 1048576)) ]; }
    wait_for 30 grown
}
