#!/usr/bin/env bash
# The payload test: the .deb and the RPM ship the same files with the same
# contents and modes, apart from the distribution-specific paths listed
# below (each with its reason). Run by scripts/ci.d/21-deb.sh.
#
#   scripts/compare-packages.sh RPM DEB
#
# Prints `ok - …` / `not ok - …` lines; exits 1 if any check failed.
# Lists come from `rpm -qp` (with file modes) and `dpkg-deb -c`; contents
# from the unpacked payloads (rpm2cpio | cpio, dpkg-deb -x). Needs rpm,
# cpio, dpkg.
set -euo pipefail
rpm_file=${1:?usage: compare-packages.sh RPM DEB}
deb_file=${2:?usage: compare-packages.sh RPM DEB}
work=$(mktemp -d "${TMPDIR:-/tmp}/mon_memcg-payloads.XXXXXX")
trap 'rm -rf "$work"' EXIT
failed=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; failed=1; }

# An RPM path as the .deb spells it: Debian 12 keeps units and presets under
# /lib (its /usr merge is not finished; lintian rejects units in /usr/lib),
# zsh's vendor functions are in vendor-completions, dpkg's doc directory is
# named after the package without a version and dh_compress gzips man pages
# and the README (Fedora's brp-compress gzips man pages too: .gz is kept).
to_deb_path() {
    sed -E \
        -e 's|^/usr/lib/systemd/system/|/lib/systemd/system/|' \
        -e 's|^/usr/lib/systemd/system-preset/|/lib/systemd/system-preset/|' \
        -e 's|^/usr/share/zsh/site-functions/|/usr/share/zsh/vendor-completions/|' \
        -e 's|^/usr/share/doc/mon_memcg-[^/]*/README\.md$|/usr/share/doc/mon-memcg/README.md.gz|' \
        -e '/^\/usr\/share\/man\/.*[^z]$/s|$|.gz|'
}
# In the RPM only: build-id links (Debian puts the debug info and its
# build-id in the -dbgsym package); the license text (Debian's is
# /usr/share/doc/mon-memcg/copyright, which names /usr/share/common-licenses);
# %ghost files, which mon_memcg and systemd-tmpfiles create at run time (dpkg
# has no ghost files; postrm purge removes them).
rpm_only='^/usr/lib/\.build-id(/|$)|^/usr/share/licenses/|^/usr/share/doc/mon_memcg-[^/]*$|^/run/mon_memcg(/state(\.lock|\.alive)?)?$|^/var/log/mon_memcg\.log$'
# In the .deb only: Debian's copyright and changelog, lintian's overrides.
deb_only='^/usr/share/doc/mon-memcg/(copyright|changelog\.Debian\.gz)$|^/usr/share/lintian/overrides/mon-memcg$'

# path<TAB>mode, non-directories, plus the directories the RPM owns.
rpm -qp --qf '[%{FILEMODES:perms}\t%{FILENAMES}\n]' "$rpm_file" 2>/dev/null \
    | awk -F'\t' -v OFS='\t' '{ print $2, $1 }' > "$work/rpm.raw"
cut -f1 "$work/rpm.raw" | grep -Ev "$rpm_only" | to_deb_path > "$work/rpm.paths" || true
paste "$work/rpm.paths" <(grep -Ev "$rpm_only" <(cut -f1 "$work/rpm.raw") | while read -r p; do grep -F -m1 "$(printf '%s\t' "$p")" "$work/rpm.raw" | cut -f2; done) \
    | sort > "$work/rpm.list"
dpkg-deb -c "$deb_file" | awk '{ mode = $1; path = $6; sub(/^\./, "", path); sub(/\/$/, "", path); print path "\t" mode }' \
    | sort > "$work/deb.all"
# The .deb lists every parent directory; keep the files, and the directories the RPM owns.
DEB_ONLY=$deb_only awk -F'\t' 'NR == FNR { own[$1] = 1; next }
    $1 !~ ENVIRON["DEB_ONLY"] && ($2 !~ /^d/ || ($1 in own))' "$work/rpm.list" "$work/deb.all" > "$work/deb.list"

if diff -u <(cut -f1 "$work/rpm.list") <(cut -f1 "$work/deb.list") > "$work/paths.diff"; then
    ok "same $(wc -l < "$work/rpm.list") paths, beyond the distribution-specific ones ($(grep -cE "$rpm_only" <(cut -f1 "$work/rpm.raw")) RPM-only, $(cut -f1 "$work/deb.all" | grep -cE "$deb_only") .deb-only)"
else
    sed 's/^/   /' "$work/paths.diff"
    not_ok "the paths differ (- RPM, mapped to Debian's paths; + .deb): ship the file in both, or list it as distribution-specific in $0 with the reason"
fi
if diff -u "$work/rpm.list" "$work/deb.list" > "$work/modes.diff"; then
    ok "same modes"
else
    grep '^[-+]/' "$work/modes.diff" | sed 's/^/   /'
    not_ok "modes differ (- RPM, + .deb)"
fi

mkdir -p "$work/rpm" "$work/deb"
(cd "$work/rpm" && rpm2cpio "$rpm_file" | cpio -idm --quiet 2>/dev/null)
dpkg-deb -x "$deb_file" "$work/deb"
n=0 differ=()
while IFS= read -r p; do
    [ -f "$work/deb$p" ] || continue
    [ "$p" != /usr/sbin/mon_memcg ] || continue
    r=$(grep -Ev "$rpm_only" <(cut -f1 "$work/rpm.raw") | paste - "$work/rpm.paths" | awk -F'\t' -v p="$p" '$2 == p { print $1 }')
    [ -f "$work/rpm$r" ] || continue
    rpm_bytes() { if [[ $r == *.gz ]]; then gzip -dc "$work/rpm$r"; else cat "$work/rpm$r"; fi; }
    deb_bytes() { if [[ $p == *.gz ]]; then gzip -dc "$work/deb$p"; else cat "$work/deb$p"; fi; }
    if cmp -s <(rpm_bytes) <(deb_bytes); then n=$((n + 1)); else differ+=("$p"); fi
done < <(cut -f1 "$work/deb.list")
if [ ${#differ[@]} = 0 ] && [ "$n" -gt 0 ]; then
    ok "same contents in all $n shared files but the binary (man pages and README uncompressed)"
else
    for p in "${differ[@]}"; do echo "   differs: $p"; done
    not_ok "${#differ[@]} shared file(s) differ between the packages (of $((n + ${#differ[@]})))"
fi

# The binaries are built separately (and stripped differently: Debian moves
# the debug info to -dbgsym), so compare what they say, not their bytes.
rb=$work/rpm/usr/sbin/mon_memcg db=$work/deb/usr/sbin/mon_memcg
same_output=1
for args in "--version" "--help" "check --help" "watch --help" "config --defaults"; do
    # shellcheck disable=SC2086
    cmp -s <("$rb" $args 2>&1) <("$db" $args 2>&1) || { echo "   mon_memcg $args differs"; same_output=0; }
done
if [ $same_output = 1 ]; then
    ok "the binaries say the same (--version $("$db" --version), --help, check/watch --help, config --defaults)"
else
    not_ok "the two binaries' output differs (above)"
fi
if readelf -l "$db" | grep -q -e INTERP -e DYNAMIC; then
    not_ok "the .deb's binary has a program interpreter or dynamic section (not static, unlike the RPM's)"
else
    ok "the .deb's binary is static, as the RPM's"
fi
exit $failed
