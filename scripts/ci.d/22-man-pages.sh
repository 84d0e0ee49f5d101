#!/usr/bin/env bash
# CI: mon_memcg(8) and mon_memcg.conf(5) as scripts/build-man.sh builds them
# (the script the RPM spec runs): Debian's mandoc -T lint reports nothing at
# all (-W all: errors, warnings and style), man --warnings -l renders them
# without a diagnostic, every section is there, and the generated sections
# hold every option, key and exit status the binary itself lists.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="/opt/swift/usr/bin:$PATH"
. scripts/ci/lib.sh

command -v mandoc >/dev/null && command -v man >/dev/null || apt_install mandoc man-db \
    || fail "install mandoc, man-db" "apt-get install failed (output above)"
work=$(mktemp -d "${TMPDIR:-/tmp}/mon_memcg-ci-man.XXXXXX")
trap 'rm -rf "$work"' EXIT

swift build --product mon_memcg > "$work/build.log" 2>&1 || { tail -30 "$work/build.log"; fail "swift build --product mon_memcg" "the build failed"; }
bin=$(swift build --show-bin-path)/mon_memcg
scripts/build-man.sh "$bin" "$work" || fail "scripts/build-man.sh" "it failed (message above)"
ok "scripts/build-man.sh"
pages=("$work/mon_memcg.8" "$work/mon_memcg.conf.5")

for page in "${pages[@]}"; do
    name=$(basename "$page")
    if lint=$(mandoc -T lint -W all "$page" 2>&1) && [ -z "$lint" ]; then
        ok "mandoc -T lint -W all $name: nothing"
    else
        echo "$lint"
        check_failed "mandoc -T lint -W all $name" "$(grep -c . <<<"$lint") message(s), above"
    fi
    # man(1) through groff: -ww warnings on stderr; the text must render.
    if diag=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >"$work/$name.txt") && [ -z "$diag" ] && [ -s "$work/$name.txt" ]; then
        ok "man --warnings -l $name: renders ($(wc -l < "$work/$name.txt") lines), no diagnostic"
    else
        echo "$diag"
        check_failed "man --warnings -l $name" "diagnostics above, or no output"
    fi
done

section_check() {  # section_check PAGE SECTION...
    local page=$1 missing=() s
    shift
    for s in "$@"; do grep -qx ".SH \"\\?$s\"\\?" "$page" || missing+=("$s"); done
    if [ ${#missing[@]} = 0 ]; then ok "$(basename "$page") has $*"
    else check_failed "sections of $(basename "$page")" "missing: ${missing[*]}"; fi
}
section_check "${pages[0]}" NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS CONFIGURATION FILES "EXIT STATUS" ENVIRONMENT EXAMPLES "SEE ALSO"
section_check "${pages[1]}" NAME SYNOPSIS DESCRIPTION KEYS FILES EXAMPLES "SEE ALSO"

# What the binary lists must be in the rendered text of the pages.
missing=()
for key in $("$bin" config --defaults | sed -n 's/^#\([a-z_]*\) = .*/\1/p'); do
    default=$("$bin" config --defaults | sed -n "s/^#$key = //p")
    for page in "${pages[@]}"; do
        grep -qF "$key = $default" "$work/$(basename "$page").txt" || missing+=("$key=$default in $(basename "$page")")
    done
done
[ ${#missing[@]} = 0 ] && ok "every key of config --defaults, with its default, in both pages" \
    || check_failed "keys in the pages" "missing: ${missing[*]}"
missing=()
for c in check status config watch; do
    for opt in $("$bin" "$c" --help | sed -n '/^OPTIONS:/,$p' | grep -oE '^  (-[a-z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+'); do
        grep -qE -- "^ +(-[a-z], )?$opt( |$)" "$work/mon_memcg.8.txt" || missing+=("$c $opt")
    done
    grep -qE "^ +$c( |$)" "$work/mon_memcg.8.txt" || missing+=("command $c")
done
[ ${#missing[@]} = 0 ] && ok "every subcommand and every option of their --help in mon_memcg.8" \
    || check_failed "options in mon_memcg.8" "missing: ${missing[*]}"
# Each option's line holds the option and its value only, the help on the
# lines below (a help one space after its option was once taken into it);
# only an option narrower than the indent (--json) has its help beside it,
# at the help's column.
bad=$(sed -n '/^OPTIONS/,/^CONFIGURATION/p' "$work/mon_memcg.8.txt" | grep -E '^ {7}-' \
    | grep -vE '^ {7}(-[a-zA-Z], )?--[a-z][a-z-]*( [a-z]+)?$' | grep -vE '^ {7}-[^ ]{1,5} +[^ ]' || true)
bad+=$(sed -n '/^OPTIONS/,/^CONFIGURATION/p' "$work/mon_memcg.8.txt" | grep -E '^ {7}-[^ ]{1,5} +[^ ]' \
    | grep -vE '^.{14}[^ ]' || true)
[ -z "$bad" ] && ok "every option line in mon_memcg.8's OPTIONS is the option alone" \
    || check_failed "option lines in mon_memcg.8" "help text on the option's line: $bad"
# Each default is stated once, in the option's own words.
bad=$(awk '/^\.SH OPTIONS/ { on = 1; next } /^\.SH/ { on = 0 }
    on && /^\.TP/ { if (n > 1) print entry; entry = ""; n = 0; next }
    on { entry = entry " " $0; n += gsub(/\(default/, "&") }
    END { if (n > 1) print entry }' "$work/mon_memcg.8")
[ -z "$bad" ] && ok "no option states its default twice" || check_failed "defaults in mon_memcg.8" "stated twice: $bad"
codes=$("$bin" --help | sed -n '/^EXIT STATUS/,/^$/p' | grep -oE '^  [0-9]+ ' | tr -d ' ' | tr '\n' ' ' || true)
missing=()
for code in $codes; do
    sed -n '/^EXIT STATUS/,/^ENVIRONMENT/p' "$work/mon_memcg.8.txt" | grep -qE "^ +$code( |$)" || missing+=("$code")
done
[ -n "$codes" ] && [ ${#missing[@]} = 0 ] && ok "exit statuses ${codes% } in EXIT STATUS" \
    || check_failed "exit statuses in mon_memcg.8" "the binary lists '${codes}', missing from the page: ${missing[*]-}"
finish
