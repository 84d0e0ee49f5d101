#!/usr/bin/env bash
# Builds mon_memcg's SRPM and binary RPM from the committed tree (HEAD).
#
#   scripts/build-rpm.sh [OUTDIR]      (default: dist/ in the repository)
#
# 1. Source0: `git archive HEAD` (uncommitted changes are not packaged).
# 2. Source1: the Swift package dependencies, resolved once here (this step
#    may fetch them) and vendored as Package.resolved + .build/{checkouts,
#    repositories,workspace-state.json}, so rpmbuild's %build is offline.
# 3. rpmbuild -ba. On Debian (no macros.systemd, no rpm database) it loads
#    packaging/rpm/debian-compat.macros and passes --nodeps; on Fedora/EL the
#    distribution's macros and dependency checks apply.
#
# The binary links the build host's glibc: build on the distribution release
# the RPM is for (this Debian 12 machine makes binaries that need glibc 2.35+,
# which EL8/EL9 do not have).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$repo/dist}
spec=$repo/packaging/rpm/mon_memcg.spec
[ -d /opt/swift/usr/bin ] && export PATH="/opt/swift/usr/bin:$PATH"

die() { echo "build-rpm: $*" >&2; exit 1; }
for tool in git rpmbuild rpmspec swift tar; do
    command -v "$tool" >/dev/null || die "$tool not found on PATH (Debian: apt-get install -y rpm git; Swift: put the toolchain's usr/bin on PATH)"
done

macros=() nodeps=()
if [ -z "$(rpm --eval '%{?_unitdir}')" ]; then
    macros=(--load "$repo/packaging/rpm/debian-compat.macros")
    nodeps=(--nodeps)
fi

name=$(rpmspec "${macros[@]}" -q --srpm --qf '%{name}' "$spec")
version=$(rpmspec "${macros[@]}" -q --srpm --qf '%{version}' "$spec")
top=$(mktemp -d "${TMPDIR:-/tmp}/mon_memcg-rpmbuild.XXXXXX")
trap 'rm -rf "$top"' EXIT
mkdir -p "$top"/{SOURCES,stage,tmp} "$out"
# SwiftPM and rpm leave lock files named after their paths in TMPDIR
# (`_tmp_mon_memcg-rpmbuild.…lock`): keep them in the build's own tree, which
# goes with it.
export TMPDIR=$top/tmp

if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
    echo "build-rpm: note: uncommitted changes are not in the package (it is built from HEAD $(git -C "$repo" rev-parse --short HEAD))" >&2
fi

echo "== Source0: git archive HEAD"
git -C "$repo" archive --format=tar.gz --prefix="$name-$version/" \
    -o "$top/SOURCES/$name-$version.tar.gz" HEAD

echo "== Source1: resolved dependencies"
tar -xzf "$top/SOURCES/$name-$version.tar.gz" -C "$top/stage"
(cd "$top/stage/$name-$version" && swift package resolve >/dev/null) \
    || die "swift package resolve failed in $top/stage/$name-$version (are the package dependencies reachable?)"
(cd "$top/stage/$name-$version" \
    && tar --sort=name --owner=0 --group=0 --numeric-owner -czf "$top/SOURCES/$name-$version-vendor.tar.gz" \
        Package.resolved .build/checkouts .build/repositories .build/workspace-state.json)

echo "== rpmbuild -ba"
# An empty HOME: the build must not lean on ~/.cache/org.swift.swiftpm or
# other per-user state, just as on a clean build host.
mkdir -p "$top/home"
HOME=$top/home rpmbuild -ba "${macros[@]}" "${nodeps[@]}" \
    --define "_topdir $top" \
    --define "_sourcedir $top/SOURCES" \
    "$spec"

find "$top/SRPMS" "$top/RPMS" -name '*.rpm' -exec cp {} "$out/" \;
echo "== built:"
find "$top/SRPMS" "$top/RPMS" -name '*.rpm' -printf "$out/%f\n"
