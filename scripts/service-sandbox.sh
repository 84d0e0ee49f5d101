#!/usr/bin/env bash
# Runs a command inside the sandbox that packaging/systemd/mon_memcg.service
# declares, as closely as this machine allows without systemd as PID 1.
#
#   scripts/service-sandbox.sh UNIT WORKDIR -- COMMAND [ARGS...]
#
# Inside a private mount and network namespace (unshare):
#   ProtectSystem=strict, ProtectKernelTunables=yes, ProtectControlGroups=yes
#       every mount is remounted read-only (remount,bind,ro: per mount in
#       this namespace only, the host's mounts are untouched), /proc/sys and
#       every cgroup mount too;
#   ReadWritePaths=-/sys/fs/cgroup/memory
#       the cgroup v1 memory mount stays writable;
#   ReadWritePaths=-/sys/fs/cgroup/user.slice/memory.reclaim
#       on cgroup v2, that one file is bind-mounted onto itself, writable,
#       where it exists (the unified mount itself is read-only);
#   ReadWritePaths=-/proc/sys/vm/drop_caches, -/sys/kernel/mm/memcg_reaper/reap
#       the dying-cgroup knobs stay writable (each bind-mounted onto itself,
#       where it exists);
#   RuntimeDirectory=mon_memcg (RuntimeDirectoryPreserve=yes)
#       WORKDIR/state is bind-mounted writable at /run/mon_memcg (over a
#       tmpfs on /run, so the host's /run is neither used nor changed);
#   ReadWritePaths=-/var/log/mon_memcg.log
#       WORKDIR/mon_memcg.log is bind-mounted writable there (same, /var/log);
#   PrivateNetwork=yes
#       a new network namespace with no interfaces up;
#   LimitMEMLOCK=
#       prlimit sets RLIMIT_MEMLOCK to the unit's value (watch's mlockall);
#   CapabilityBoundingSet= (empty), NoNewPrivileges=yes
#       setpriv empties the bounding and inheritable sets: uid 0 with no
#       capabilities, as systemd runs it;
#   SystemCallFilter= and friends
#       scripts/service-sandbox-seccomp.py loads the unit's filter.
# Not emulated: PrivateTmp, PrivateDevices, ProtectHome, ProtectProc and the
# other directives that only take away things mon_memcg never touches.
#
# The script refuses to run if the unit's writable paths differ from the
# ones it emulates, so the emulation cannot silently drift from the unit.
set -euo pipefail

die() { echo "service-sandbox: $*" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)

if [ "${1:-}" = "--inside" ]; then
    # Runs in the new namespaces, still with full capabilities.
    shift
    unit=$1 work=$2
    shift 3  # UNIT WORKDIR --
    mount -t tmpfs -o mode=0755 mon_memcg-sandbox /run
    mkdir -m 0755 /run/mon_memcg
    mount --bind "$work/state" /run/mon_memcg
    mount -t tmpfs -o mode=0755 mon_memcg-sandbox /var/log
    : > /var/log/mon_memcg.log
    mount --bind "$work/mon_memcg.log" /var/log/mon_memcg.log
    mount --bind /proc/sys /proc/sys
    knobs=()
    for knob in /proc/sys/vm/drop_caches /sys/kernel/mm/memcg_reaper/reap /sys/fs/cgroup/user.slice/memory.reclaim; do
        [ -e "$knob" ] || continue
        mount --bind "$knob" "$knob"
        knobs+=("$knob")
    done

    writable=(/sys/fs/cgroup/memory /run/mon_memcg /var/log/mon_memcg.log "${knobs[@]}")
    failed=()
    while read -r target; do
        case "$target" in
            /proc|/dev|/dev/*) continue ;;  # API file systems, as systemd leaves them
        esac
        for w in "${writable[@]}"; do [ "$target" = "$w" ] && continue 2; done
        mount -o remount,bind,ro "$target" 2>/dev/null || failed+=("$target")
    done < <(awk '{ print $5 }' /proc/self/mountinfo | sort -u)
    if [ ${#failed[@]} -gt 0 ]; then
        die "could not make these mounts read-only: ${failed[*]}"
    fi
    ip link set lo up 2>/dev/null || true  # systemd brings up loopback in PrivateNetwork=

    limits=()
    memlock=$(sed -n 's/^LimitMEMLOCK=//p' "$unit")
    if [ -n "$memlock" ]; then
        [ "$memlock" = infinity ] && memlock=unlimited || memlock=$(numfmt --from=iec "$memlock")
        # Raising the hard limit needs CAP_SYS_RESOURCE, which systemd has
        # and a container may not: then the inherited limit stays, said here.
        if prlimit --memlock="$memlock:$memlock" -- true 2>/dev/null; then
            limits=(prlimit --memlock="$memlock:$memlock" --)
        else
            echo "service-sandbox: cannot raise RLIMIT_MEMLOCK to LimitMEMLOCK=$(sed -n "s/^LimitMEMLOCK=//p" "$unit") here (no CAP_SYS_RESOURCE); keeping $(ulimit -Hl) KiB" >&2
        fi
    fi
    exec "${limits[@]}" setpriv --no-new-privs --bounding-set=-all --inh-caps=-all --ambient-caps=-all -- \
        /usr/bin/python3 "$here/service-sandbox-seccomp.py" "$unit" -- "$@"
fi

[ $# -ge 4 ] && [ "$3" = "--" ] || die "usage: $0 UNIT WORKDIR -- COMMAND [ARGS...]"
unit=$(realpath "$1") work=$(realpath "$2")
[ "$(id -u)" = 0 ] || die "must run as root (it builds mount namespaces)"
for tool in unshare setpriv systemd-analyze /usr/bin/python3; do
    command -v "$tool" >/dev/null || die "$tool not found (Debian: apt-get install -y util-linux systemd python3)"
done
/usr/bin/python3 -c 'import seccomp' 2>/dev/null || die "python3 seccomp module missing (Debian: apt-get install -y python3-seccomp)"

# The writable set this script emulates, checked against the unit.
rw=$(sed -n 's/^ReadWritePaths=//p; s/^StateDirectory=/state:/p; s/^RuntimeDirectory=/runtime:/p; s/^RuntimeDirectoryPreserve=/runtime-preserve:/p' "$unit" | LC_ALL=C sort | tr '\n' ' ')
expected="-/proc/sys/vm/drop_caches -/sys/fs/cgroup/memory -/sys/fs/cgroup/user.slice/memory.reclaim -/sys/kernel/mm/memcg_reaper/reap -/var/log/mon_memcg.log runtime-preserve:yes runtime:mon_memcg "
[ "$rw" = "$expected" ] || die "$unit declares writable paths \"$rw\"; this script emulates \"$expected\": update it with the unit"
grep -qx 'ProtectSystem=strict' "$unit" || die "$unit no longer has ProtectSystem=strict: update this script"
grep -qx 'ProtectControlGroups=yes' "$unit" || die "$unit no longer has ProtectControlGroups=yes (this script makes every cgroup mount but the listed ones read-only): update this script"
grep -qx 'CapabilityBoundingSet=' "$unit" || die "$unit no longer has an empty CapabilityBoundingSet=: update this script"

mkdir -p "$work/state"
touch "$work/mon_memcg.log"
exec unshare --mount --net --propagation private -- "$0" --inside "$unit" "$work" "${@:3}"
