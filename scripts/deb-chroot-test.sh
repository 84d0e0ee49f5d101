#!/usr/bin/env bash
# The .deb's life cycle in a Debian 12 chroot made with mmdebstrap (no
# systemd running): install, upgrade with an edited /etc/mon_memcg.conf and a
# state file, downgrade, then packaging/debian/tests/install-run-purge (the
# autopkgtest; its systemd part needs a booted machine and is reported as
# skipped here). Used by scripts/ci.d/21-deb.sh.
#
#   scripts/deb-chroot-test.sh DEB [MIRROR]
#
# The "previous version" is DEB itself repacked as VERSION~prev, so the
# upgrade and downgrade run this package's own maintainer scripts both ways.
# Prints `ok - …` / `not ok - …` lines, and `SKIP …: why` for what a chroot
# cannot run. Needs root, mmdebstrap, dpkg-deb and unshare.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
deb=$(readlink -f "${1:?usage: deb-chroot-test.sh DEB [MIRROR]}")
mirror=${2:-http://deb.debian.org/debian}
[ "$(id -u)" = 0 ] || { echo "SKIP chroot: needs root (mmdebstrap into a directory, chroot)"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/mon_memcg-debchroot.XXXXXX")
trap 'rm -rf --one-file-system "$work"' EXIT

echo "== the previous version: $(basename "$deb") repacked"
dpkg-deb -R "$deb" "$work/prev"
version=$(sed -n 's/^Version: //p' "$work/prev/DEBIAN/control")
sed -i "s/^Version: .*/Version: ${version}~prev/" "$work/prev/DEBIAN/control"
dpkg-deb -b "$work/prev" "$work/prev.deb" >/dev/null

echo "== mmdebstrap bookworm (minbase, systemd for systemctl is-enabled, logrotate)"
root=$work/root
t0=$(date +%s)
mmdebstrap --variant=minbase --include=systemd,init-system-helpers,logrotate bookworm "$root" "$mirror" > "$work/mmdebstrap.log" 2>&1 \
    || { tail -n 30 "$work/mmdebstrap.log"; exit 1; }
echo "   $(du -sh "$root" | cut -f1) in $(( $(date +%s) - t0 )) s"
mkdir -p "$root/debs"
cp "$deb" "$root/debs/new.deb"
cp "$work/prev.deb" "$root/debs/prev.deb"
install -m 0755 "$repo/packaging/debian/tests/install-run-purge" "$root/debs/install-run-purge"
cp /etc/resolv.conf "$root/etc/resolv.conf"

cat > "$root/debs/lifecycle.sh" <<'INNER'
#!/bin/sh
set -u
failed=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; failed=1; }
dpkgi() { DEBIAN_FRONTEND=noninteractive dpkg -i "$@" > /tmp/dpkg.log 2>&1 < /dev/null || { sed 's/^/   | /' /tmp/dpkg.log; return 1; }; }
units="mon_memcg.service mon_memcg.timer mon_memcg-watch.service"

dpkgi /debs/prev.deb && ok "dpkg -i the previous version" || not_ok "dpkg -i the previous version"
state=$(systemctl is-enabled $units 2>/dev/null | tr '\n' ' ')
[ "$state" = "static disabled disabled " ] && ok "install enables nothing ($state)" || not_ok "after install: '$state'"
[ ! -e /etc/systemd/system/timers.target.wants/mon_memcg.timer ] && [ ! -e /etc/systemd/system/multi-user.target.wants/mon_memcg-watch.service ] \
    && ok "no enablement links" || not_ok "enablement links made on install"

# An operator's edit and a run's state and log.
echo "reclaim_timeout = 30s" >> /etc/mon_memcg.conf
conf_sum=$(md5sum < /etc/mon_memcg.conf)
# A state file where builds before the move to /run kept it: the upgrade
# carries it to /run/mon_memcg and removes the old directory.
mkdir -p /var/lib/mon_memcg
printf 'version 1\nlast 123456789\n' > /var/lib/mon_memcg/state
: > /var/lib/mon_memcg/state.lock
echo "Fri Dec  4 16:00:00 UTC 2026     change is too small (less than 1073741824 ), so skip reclaim" >> /var/log/mon_memcg.log

dpkgi /debs/new.deb && ok "upgrade: dpkg -i the new version (no prompt)" || not_ok "upgrade failed"
[ "$(md5sum < /etc/mon_memcg.conf)" = "$conf_sum" ] && ok "upgrade kept the edited /etc/mon_memcg.conf" || not_ok "upgrade changed the edited /etc/mon_memcg.conf"
ls /etc/mon_memcg.conf.dpkg-* >/dev/null 2>&1 && not_ok "upgrade left $(ls /etc/mon_memcg.conf.dpkg-*)" || ok "no .dpkg-new/.dpkg-dist beside it (the shipped default did not change)"
grep -q '^last 123456789$' /run/mon_memcg/state && ok "upgrade carried the state file from /var/lib/mon_memcg to /run/mon_memcg" || not_ok "upgrade lost the state file"
[ ! -e /var/lib/mon_memcg ] && ok "upgrade removed the old /var/lib/mon_memcg" || not_ok "upgrade left $(ls -A /var/lib/mon_memcg | tr '\n' ' ') in /var/lib/mon_memcg"
grep -q 'skip reclaim' /var/log/mon_memcg.log && ok "upgrade kept the log" || not_ok "upgrade lost the log"
state=$(systemctl is-enabled $units 2>/dev/null | tr '\n' ' ')
[ "$state" = "static disabled disabled " ] && ok "upgrade enables nothing" || not_ok "after upgrade: '$state'"

dpkgi /debs/prev.deb && grep -q 'downgrading' /tmp/dpkg.log && ok "downgrade: dpkg -i the previous version (dpkg warns 'downgrading')" || not_ok "downgrade failed"
[ "$(md5sum < /etc/mon_memcg.conf)" = "$conf_sum" ] && grep -q '^last 123456789$' /run/mon_memcg/state \
    && ok "downgrade kept the edited config and the state file" || not_ok "downgrade lost the config edit or the state"
dpkgi /debs/new.deb && ok "upgrade again" || not_ok "upgrade again failed"

dpkg -r mon-memcg > /tmp/dpkg.log 2>&1 && ok "dpkg -r (remove, not purge)" || not_ok "dpkg -r failed"
[ -f /etc/mon_memcg.conf ] && grep -q '^last 123456789$' /run/mon_memcg/state && [ -f /var/log/mon_memcg.log ] \
    && ok "remove keeps the config, the state and the log" || not_ok "remove deleted the config, the state or the log"
dpkgi /debs/new.deb && ok "reinstall after remove" || not_ok "reinstall after remove failed"
[ "$(md5sum < /etc/mon_memcg.conf)" = "$conf_sum" ] && ok "reinstall kept the edited config" || not_ok "reinstall lost the edited config"

# An operator's enablement and a rotated log, then purge: deb-systemd-helper
# removes the links, postrm the state (and an old /var/lib/mon_memcg) and
# every log.
touch /var/log/mon_memcg.log.1 /var/log/mon_memcg.log.2.gz
mkdir -p /var/lib/mon_memcg && : > /var/lib/mon_memcg/state
systemctl enable mon_memcg.timer > /dev/null 2>&1
[ -L /etc/systemd/system/timers.target.wants/mon_memcg.timer ] || not_ok "systemctl enable mon_memcg.timer made no link"
dpkg --purge mon-memcg > /tmp/dpkg.log 2>&1 || { sed 's/^/   | /' /tmp/dpkg.log; not_ok "dpkg --purge failed"; }
[ ! -e /etc/systemd/system/timers.target.wants/mon_memcg.timer ] && [ ! -L /etc/systemd/system/timers.target.wants/mon_memcg.timer ] \
    && ok "purge removed the timer's enablement link an operator made" || not_ok "purge left the timer's enablement link"
[ ! -e /run/mon_memcg ] && [ ! -e /var/lib/mon_memcg ] && [ ! -e /etc/mon_memcg.conf ] && ! ls /var/log/mon_memcg.log* >/dev/null 2>&1 \
    && ok "purge removed the edited config, the state and the log with its rotations" || not_ok "purge left the config, the state or the log"
dpkgi /debs/new.deb && ok "install after purge (for install-run-purge)" || not_ok "install after purge failed"
exit $failed
INNER

echo "== in the chroot: install, upgrade, downgrade, remove"
set +e
unshare --mount --propagation private sh -c '
    mount -t proc proc "$1/proc" && chroot "$1" sh /debs/lifecycle.sh' sh "$root"
status=$?
set -e
[ $status = 0 ] || exit 1
echo "== in the chroot: packaging/debian/tests/install-run-purge"
set +e
unshare --mount --propagation private sh -c '
    mount -t proc proc "$1/proc" && chroot "$1" sh /debs/install-run-purge' sh "$root"
status=$?
set -e
exit $status
