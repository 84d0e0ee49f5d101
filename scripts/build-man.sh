#!/usr/bin/env bash
# Builds mon_memcg.8 and mon_memcg.conf.5 from packaging/man/*.in and what the
# built binary itself says, so the pages cannot disagree with it:
#   OPTIONS        the OPTIONS blocks of `mon_memcg {check,status,config,watch,alive,restore} --help`
#   CONFIGURATION  `mon_memcg config --defaults` (every key, its default, its meaning)
#   EXIT STATUS    the EXIT STATUS block of `mon_memcg --help`
#
#   scripts/build-man.sh BINARY OUTDIR [DATE]
#
# DATE (YYYY-MM-DD) defaults to the last commit's date, or Package.swift's
# mtime outside git (the RPM's %build: git archive stamps the commit time).
# Used by packaging/rpm/mon_memcg.spec and scripts/ci.d/22-man-pages.sh.
# Needs only sh, awk and sed.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:?usage: build-man.sh BINARY OUTDIR [DATE]}
out=${2:?usage: build-man.sh BINARY OUTDIR [DATE]}
date=${3:-$(git -C "$repo" log -1 --format=%cs 2>/dev/null || date -u -r "$repo/Package.swift" +%F)}
die() { echo "build-man: $*" >&2; exit 1; }
[ -x "$bin" ] || die "$bin is not an executable (build it first: swift build --product mon_memcg)"
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/mon_memcg-man.XXXXXX")
trap 'rm -rf "$work"' EXIT

version=$("$bin" --version) || die "$bin --version failed"

# wrap(s) for the awk programs below: words joined into text lines of at
# most 72 bytes, under 80 once indented.
awk_wrap='
    function wrap(s,   w, n, i, line, r) {
        n = split(s, w, " "); line = ""; r = ""
        for (i = 1; i <= n; i++) {
            if (line != "" && length(line) + 1 + length(w[i]) > 72) { r = r line "\n"; line = w[i] }
            else line = line (line == "" ? "" : " ") w[i]
        }
        return r line
    }
'

# Text from the binary is made roff-safe line by line: backslashes as \e, a
# leading . or ' made literal with \&; hyphens in option names become \-
# (minus signs, which copy and paste as such).
# --- CONFIGURATION: comment blocks, each ending in "#key = default".
"$bin" config --defaults > "$work/defaults" || die "$bin config --defaults failed"
awk '
    function esc(s) { gsub(/\\/, "\\e", s); if (s ~ /^[.\047]/) s = "\\&" s; return s }
    /^$/ { started = 1; text = ""; next }       # the header ends at the first blank line
    !started { next }
    /^#[a-z_]+ = / {
        key = $1; sub(/^#/, "", key)
        value = $0; sub(/^#[a-z_]+ = /, "", value)
        gsub(/"/, "", value); gsub(/\\/, "\\e", value)
        printf ".TP\n.BR %s \" = \" \"%s\"\n%s\n", key, value, text
        keys++; text = ""; next
    }
    /^#/ { line = $0; sub(/^# ?/, "", line); text = text (text == "" ? "" : "\n") esc(line); next }
    END { if (keys == 0) exit 1 }
' "$work/defaults" > "$work/configuration" || die "no \"#key = default\" lines in \`$bin config --defaults\`"

# --- OPTIONS: every subcommand's, once; those not every subcommand takes
# are marked with the subcommands that do.
commands="check status config watch alive restore"
for c in $commands; do
    "$bin" "$c" --help > "$work/help-$c" || die "$bin $c --help failed"
    awk -v cmd="$c" '
        /^OPTIONS:/ { on = 1; next }
        on && /^[^ ]/ { on = 0 }
        !on { next }
        /^  -/ {
            # The option is its names and <value>; the help starts after
            # it. Splitting on two spaces instead put the words of a help
            # that follows a 23-column option after one space (--reclaim-amount
            # <mode> Overrides ...) into the option itself.
            if (opt != "") print opt "\t" desc
            line = $0; sub(/^  /, "", line)
            match(line, /^(-[A-Za-z], )?--[a-z][a-z-]*( <[^>]+>)?/)
            opt = substr(line, 1, RLENGTH); desc = substr(line, RLENGTH + 1); sub(/^ +/, "", desc)
            next
        }
        /^ +[^ ]/ { d = $0; sub(/^ +/, "", d); desc = desc (desc == "" ? "" : " ") d; next }
        END { if (opt != "") print opt "\t" desc }
    ' "$work/help-$c" | sed "s/^/$c\t/"
done > "$work/options.tsv"
[ -s "$work/options.tsv" ] || die "no OPTIONS in \`$bin check --help\`"
awk -F'\t' -v all="$(wc -w <<<"$commands")" "$awk_wrap"'
    function esc(s) { gsub(/\\/, "\\e", s); gsub(/-/, "\\-", s); return s }
    function bold_opt(s,   parts, n, i, r) {
        # "-h, --help" or "--target <cgroup>": options bold, <arg> italic
        r = ""
        n = split(s, parts, " ")
        for (i = 1; i <= n; i++) {
            if (parts[i] ~ /^</) { a = parts[i]; gsub(/[<>]/, "", a); r = r " \\fI" a "\\fR" }
            else r = r (r == "" ? "" : " ") "\\fB" esc(parts[i]) "\\fR"
        }
        return r
    }
    !($2 in desc) { order[++n] = $2; desc[$2] = $3 }
    { cmds[$2] = cmds[$2] (cmds[$2] == "" ? "" : ", ") $1; count[$2]++ }
    END {
        for (i = 1; i <= n; i++) {
            o = order[i]
            text = desc[o]
            gsub(/\\/, "\\e", text)
            if (count[o] < all) text = text " (" cmds[o] ")"
            printf ".TP\n%s\n%s\n", bold_opt(o), wrap(text)
        }
    }
' "$work/options.tsv" > "$work/options"

# --- EXIT STATUS: "  N    meaning" entries, wrapped lines (indented
# under the meaning) joined.
"$bin" --help > "$work/help" || die "$bin --help failed"
awk "$awk_wrap"'
    function esc(s) { gsub(/\\/, "\\e", s); s = wrap(s); gsub(/\n[.\047]/, "\n\\&&", s); if (s ~ /^[.\047]/) s = "\\&" s; return s }
    /^EXIT STATUS/ { on = 1; next }
    on && /^$/ { if (n) exit }
    !on { next }
    /^  [0-9]+ +[^ ]/ {
        if (n) printf ".TP\n.B %s\n%s\n", code, esc(text)
        line = $0; sub(/^ +/, "", line)
        code = line; sub(/ .*/, "", code)
        text = line; sub(/^[0-9]+ +/, "", text)
        n++; next
    }
    { line = $0; sub(/^ +/, "", line); if (line != "") text = text " " line }
    END { if (n) printf ".TP\n.B %s\n%s\n", code, esc(text); else exit 1 }
' "$work/help" > "$work/exit-status" || die "no EXIT STATUS entries (\"  N    meaning\") in \`$bin --help\`; adjust scripts/build-man.sh to where they are"

fill() {  # fill TEMPLATE OUTPUT
    awk -v date="$date" -v version="$version" -v opts="$work/options" \
        -v conf="$work/configuration" -v exits="$work/exit-status" '
        function cat(f,   l) { while ((getline l < f) > 0) print l; close(f) }
        $0 == "@OPTIONS@" { cat(opts); next }
        $0 == "@CONFIGURATION@" { cat(conf); next }
        $0 == "@EXIT_STATUS@" { cat(exits); next }
        { gsub(/@DATE@/, date); gsub(/@VERSION@/, version); print }
    ' "$1" > "$2"
    ! grep -q '@[A-Z_]*@' "$2" || die "$2 still has a placeholder: $(grep -o '@[A-Z_]*@' "$2" | head -1)"
}
fill "$repo/packaging/man/mon_memcg.8.in" "$out/mon_memcg.8"
fill "$repo/packaging/man/mon_memcg.conf.5.in" "$out/mon_memcg.conf.5"
echo "build-man: wrote $out/mon_memcg.8 and $out/mon_memcg.conf.5 ($(grep -c '^\.TP' "$work/configuration") keys, $(grep -c '^\.TP' "$work/options") options, $(grep -c '^\.TP' "$work/exit-status") exit statuses; mon_memcg $version, $date)"
