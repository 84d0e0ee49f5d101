#!/usr/bin/env bash
# Builds mon_memcg's .deb from the committed tree (HEAD), offline, with
# debhelper (dh, compat 13):
#
#   scripts/build-deb.sh [OUTDIR]      (default: dist/ in the repository)
#
# 1. `git archive HEAD` (uncommitted changes are not packaged), unpacked in a
#    scratch directory, with packaging/debian linked in as debian/: the same
#    units, config, man page sources and logrotate file as the RPM.
# 2. The Swift package dependencies, resolved once here (this step may fetch
#    them, as scripts/build-rpm.sh's Source1 does) and left in .build/, so
#    the package build itself is offline (--disable-automatic-resolution).
# 3. dpkg-buildpackage -b -us -uc (unsigned; sign a release with debsign).
#
# Needs git, dpkg-dev, debhelper and a Swift 6 toolchain on PATH
# (/opt/swift/usr/bin is picked up); Debian: apt-get install -y git dpkg-dev debhelper.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$repo/dist}
[ -d /opt/swift/usr/bin ] && export PATH="/opt/swift/usr/bin:$PATH"

die() { echo "build-deb: $*" >&2; exit 1; }
for tool in git dpkg-buildpackage dh swift tar; do
    command -v "$tool" >/dev/null || die "$tool not found on PATH (Debian: apt-get install -y git dpkg-dev debhelper; Swift: put the toolchain's usr/bin on PATH)"
done

top=$(mktemp -d "${TMPDIR:-/tmp}/mon_memcg-debbuild.XXXXXX")
trap 'rm -rf "$top"' EXIT
mkdir -p "$out"
src=$top/mon-memcg

if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
    echo "build-deb: note: uncommitted changes are not in the package (it is built from HEAD $(git -C "$repo" rev-parse --short HEAD))" >&2
fi

echo "== git archive HEAD"
mkdir -p "$src"
git -C "$repo" archive --format=tar HEAD | tar -xf - -C "$src"
ln -s packaging/debian "$src/debian"

echo "== resolved dependencies (vendored into .build/)"
(cd "$src" && HOME=$top/home swift package resolve >/dev/null) \
    || die "swift package resolve failed in $src (are the package dependencies reachable?)"

# Offline for real where it can be enforced: as root, the package build runs
# in a network namespace with only loopback (unshare -n).
offline=()
if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then offline=(unshare -n); fi
echo "== dpkg-buildpackage -b -us -uc (offline${offline[*]:+: ${offline[*]}, no network})"
# An empty HOME (debian/rules sets its own): the build must not lean on
# ~/.cache/org.swift.swiftpm or other per-user state.
mkdir -p "$top/home"
(cd "$src" && HOME=$top/home "${offline[@]}" dpkg-buildpackage -b -us -uc) \
    || die "dpkg-buildpackage failed (log above)"

find "$top" -maxdepth 1 -type f \( -name '*.deb' -o -name '*.ddeb' -o -name '*.changes' -o -name '*.buildinfo' \) \
    -exec cp {} "$out/" \;
echo "== built:"
find "$top" -maxdepth 1 -type f \( -name '*.deb' -o -name '*.ddeb' -o -name '*.changes' -o -name '*.buildinfo' \) -printf "$out/%f\n"
