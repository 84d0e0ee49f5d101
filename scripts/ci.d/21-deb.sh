#!/usr/bin/env bash
# CI: build the .deb from HEAD (scripts/build-deb.sh, offline, debhelper) and
# check it as Debian checks its own: lintian (any E: or W: fails; overrides
# only in packaging/debian/mon-memcg.lintian-overrides, each with its
# reason), the payload test against the RPM (scripts/compare-packages.sh),
# piuparts install/purge in a chroot made with mmdebstrap, and the upgrade,
# downgrade and purge life cycle in a chroot (scripts/deb-chroot-test.sh).
# Runs on a fresh machine as root: installs what it needs first.
#
#   MON_MEMCG_RPM=path/to.rpm  compare against this RPM instead of building one
#                              (under .ci/run: the one 20-packaging built, if it ran).
#
# The autopkgtest's systemd part (packaging/debian/tests/install-run-purge:
# the service's check, the daemon active, the units stopped on purge) needs
# systemd as PID 1: the systemd VM runs it; in the chroot here it reports
# what it could not run, shown below as a note.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="/opt/swift/usr/bin:$PATH"

. scripts/ci/lib.sh
started=$(date +%s)
mirror=${MON_MEMCG_DEB_MIRROR:-http://deb.debian.org/debian}

apt_install debhelper dpkg-dev lintian piuparts mmdebstrap rpm cpio binutils git util-linux \
    || fail "install debhelper, lintian, piuparts, mmdebstrap, rpm" "apt-get install failed (output above)"

work=$(mktemp -d "${TMPDIR:-/tmp}/mon_memcg-ci-deb.XXXXXX")
trap 'rm -rf --one-file-system "$work"' EXIT

t0=$(date +%s)
if ! scripts/build-deb.sh "$work/dist" > "$work/build.log" 2>&1; then
    tail -60 "$work/build.log"
    fail "scripts/build-deb.sh" "the build failed; the end of its log is above"
fi
deb=$(find "$work/dist" -name 'mon-memcg_*.deb' | head -n 1)
changes=$(find "$work/dist" -name '*.changes' | head -n 1)
[ -n "$deb" ] && [ -n "$changes" ] || fail "scripts/build-deb.sh" "no mon-memcg_*.deb and .changes in $work/dist"
ok "scripts/build-deb.sh: $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB) in $(( $(date +%s) - t0 )) s"
keep_packages "$deb"  # for 50-systemd-vm
no_compiler_warnings "no compiler warnings in the .deb's build" "$work/build.log"

# lintian on the .changes: the .deb and its -dbgsym package.
lintian --pedantic -I --show-overrides "$changes" > "$work/lintian.log" 2>&1 || true
errors=$(grep -c '^E: ' "$work/lintian.log" || true)
warnings=$(grep -c '^W: ' "$work/lintian.log" || true)
overridden=$(grep -c '^O: ' "$work/lintian.log" || true)
if grep -q '^internal error' "$work/lintian.log"; then
    cat "$work/lintian.log"; check_failed "lintian" "lintian itself failed (above)"
elif [ "$errors" = 0 ] && [ "$warnings" = 0 ]; then
    ok "lintian: 0 errors, 0 warnings ($overridden overridden with reasons, $(grep -c '^[IP]: ' "$work/lintian.log" || true) info/pedantic)"
else
    grep -E '^(E|W): ' "$work/lintian.log"
    check_failed "lintian" "$errors error(s), $warnings warning(s): fix each, or override it in packaging/debian/mon-memcg.lintian-overrides with the reason beside it"
fi

# The maintainer scripts' upgrade path: the running daemon (or timer) is
# try-restarted on the new binary after the upgrade, and nothing stops it
# before. dh_installsystemd --no-start without --restart-after-upgrade writes
# a preinst that stops every unit and no restart, so the node silently lost
# its daemon on each upgrade; the systemd VM (step 50) checks the restart
# itself, this says which script is wrong in seconds.
dpkg-deb -e "$deb" "$work/control"
if [ -e "$work/control/preinst" ] && grep -q 'deb-systemd-invoke stop' "$work/control/preinst"; then
    check_failed "maintainer scripts: no stop before an upgrade" "preinst stops the units (debian/rules: dh_installsystemd needs --restart-after-upgrade beside --no-start)"
elif grep -q "deb-systemd-invoke try-restart .*'mon_memcg-watch.service'.*'mon_memcg.timer'" "$work/control/postinst"; then
    ok "maintainer scripts: no preinst stop; postinst try-restarts mon_memcg-watch.service and mon_memcg.timer on upgrade"
else
    check_failed "maintainer scripts: postinst try-restarts the units on upgrade" "no 'deb-systemd-invoke try-restart' of mon_memcg-watch.service and mon_memcg.timer in $(basename "$deb")'s postinst (debian/rules: dh_installsystemd --restart-after-upgrade)"
fi

rpm_file=${MON_MEMCG_RPM:-}
if [ -z "$rpm_file" ] && rpm_file=$(kept_package "mon_memcg-*.$(uname -m).rpm"); then
    echo "-- the RPM 20-packaging built from this commit: $rpm_file"
fi
if [ -z "$rpm_file" ]; then
    t0=$(date +%s)
    if ! scripts/build-rpm.sh "$work/rpm" > "$work/build-rpm.log" 2>&1; then
        tail -40 "$work/build-rpm.log"
        fail "scripts/build-rpm.sh (for the payload test)" "the build failed; the end of its log is above"
    fi
    rpm_file=$(find "$work/rpm" -name '*.rpm' ! -name '*.src.rpm' | head -n 1)
    ok "scripts/build-rpm.sh for the payload test: $(basename "$rpm_file") in $(( $(date +%s) - t0 )) s"
fi
echo "-- payload test: $(basename "$rpm_file") against $(basename "$deb")"
run_tap "payload test" scripts/compare-packages.sh "$rpm_file" "$deb"

echo "-- piuparts (install, purge) in a chroot made with mmdebstrap"
t0=$(date +%s)
if ! mmdebstrap --variant=minbase bookworm "$work/base.tar.gz" "$mirror" > "$work/mmdebstrap.log" 2>&1; then
    tail -20 "$work/mmdebstrap.log"
    check_failed "piuparts" "mmdebstrap bookworm failed (above)"
elif piuparts -d bookworm -m "$mirror" -b "$work/base.tar.gz" "$deb" > "$work/piuparts.log" 2>&1 \
        && grep -q 'PASS: All tests' "$work/piuparts.log"; then
    ok "piuparts: install and purge clean, nothing left ($(grep -o "Can't test upgrade[^.]*" "$work/piuparts.log" | head -n 1 | sed 's/$/: the upgrade runs in the life cycle below/'); $(( $(date +%s) - t0 )) s)"
else
    grep -E 'ERROR|FAIL' "$work/piuparts.log" | head -40
    check_failed "piuparts" "see above (full log: piuparts.log)"
fi

echo "-- life cycle in an mmdebstrap chroot (scripts/deb-chroot-test.sh)"
set +e
scripts/deb-chroot-test.sh "$deb" "$mirror" > "$work/chroot.log" 2>&1
status=$?
set -e
sed 's/^/   | /' "$work/chroot.log"
tap_results "chroot: " "$work/chroot.log"
# shellcheck disable=SC2154 # ci_failed and tap_checks are set by scripts/ci/lib.sh
case $status in
    0) ;;
    77) echo "   note: $(grep -E '^SKIP ' "$work/chroot.log" | tail -n 1) (not a check of this step: the systemd VM runs it)" ;;
    *) [ "$ci_failed" != 0 ] || check_failed "scripts/deb-chroot-test.sh" "exited $status" ;;
esac
[ "$tap_checks" != 0 ] || check_failed "scripts/deb-chroot-test.sh" "reported no check"

echo "deb checks done in $(( $(date +%s) - started )) s"
finish
