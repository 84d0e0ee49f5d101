#!/usr/bin/env bash
# CI: build the RPM from HEAD and check it: rpmlint, the file list and config
# flags, the units (systemd-analyze verify and security), the installed
# binary against this host, and one reclaim inside the service's sandbox.
# Runs on a fresh machine as root: installs what it needs first.
#
# After an intended change to the package's contents, refresh the expected
# list with: UPDATE_EXPECTED=1 bash scripts/ci.d/20-packaging.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="/opt/swift/usr/bin:$PATH"

. scripts/ci/lib.sh
started=$(date +%s)
# Each `step` names the check that its `die` (stop the step) or `pass` reports.
check=""
step() { check=$1; echo "-- $*"; }
pass() { ok "$check ($*)"; }
die() { fail "$check" "$*"; }

max_exposure=2.0
spec=packaging/rpm/mon_memcg.spec
expected=packaging/expected-rpm-files.txt

step "install rpm, rpmlint, systemd, logrotate, python3-seccomp, mandoc"
apt_install rpm rpmlint systemd logrotate python3 python3-seccomp util-linux binutils git mandoc man-db \
    || die "apt-get install failed (output above)"

work=$(mktemp -d "${TMPDIR:-/tmp}/mon_memcg-ci-packaging.XXXXXX")
cgroup=""
cleanup() {
    if [ -n "$cgroup" ] && [ -d "$cgroup" ]; then rmdir "$cgroup" || echo "could not remove $cgroup" >&2; fi
    rm -rf "$work"
}
trap cleanup EXIT

step "scripts/build-rpm.sh"
t0=$(date +%s)
if ! scripts/build-rpm.sh "$work/dist" > "$work/build.log" 2>&1; then
    tail -60 "$work/build.log"
    die "scripts/build-rpm.sh failed; the end of its log is above"
fi
srpm=$(find "$work/dist" -name '*.src.rpm')
rpm_file=$(find "$work/dist" -name '*.rpm' ! -name '*.src.rpm')
[ -n "$srpm" ] && [ -n "$rpm_file" ] || die "build-rpm.sh did not leave an SRPM and a binary RPM in $work/dist"
keep_packages "$srpm" "$rpm_file"  # for 21-deb and 50-systemd-vm
no_compiler_warnings "no compiler warnings in the RPM's build" "$work/build.log"
pass "built $(basename "$srpm") ($(du -k "$srpm" | cut -f1) KiB) and $(basename "$rpm_file") ($(du -k "$rpm_file" | cut -f1) KiB) in $(( $(date +%s) - t0 )) s"

step "rpmlint on the spec, SRPM and RPM"
set +e
rpmlint -r packaging/rpm/mon_memcg.rpmlintrc "$spec" "$srpm" "$rpm_file" > "$work/rpmlint.log" 2>&1
lint_status=$?
set -e
summary=$(grep -E 'checked; [0-9]+ errors, [0-9]+ warnings' "$work/rpmlint.log" || true)
if [ $lint_status -ne 0 ] || ! grep -q ' 0 errors, 0 warnings' <<<"$summary"; then
    cat "$work/rpmlint.log"
    die "rpmlint: fix each finding, or filter it in packaging/rpm/mon_memcg.rpmlintrc with a one-line reason"
fi
summary=${summary#*; }
pass "rpmlint: ${summary%%;*}"

step "file list and config flags vs $expected"
# flags (c config, n noreplace, g ghost, d doc, l license, a artifact; - none),
# mode, owner:group, path; build-id hashes and the version are masked.
version=$(rpm -qp --qf '%{VERSION}' "$rpm_file")
rpm -qp --qf '[%{FILEFLAGS:fflags}\t%{FILEMODES:perms}\t%{FILEUSERNAME}:%{FILEGROUPNAME}\t%{FILENAMES}\n]' "$rpm_file" \
    | awk -F'\t' -v OFS='\t' '{ if ($1 == "") $1 = "-"; print }' \
    | sed -E "s|/usr/lib/\.build-id/[0-9a-f]{2}(/[0-9a-f]+)?|/usr/lib/.build-id/XX\1|; s|/usr/lib/\.build-id/XX/[0-9a-f]+$|/usr/lib/.build-id/XX/HASH|; s|mon_memcg-$version|mon_memcg-VERSION|" \
    > "$work/files.txt"
if [ "${UPDATE_EXPECTED:-}" = 1 ]; then
    { sed -n '/^#/p' "$expected"; cat "$work/files.txt"; } > "$work/expected.new"
    mv "$work/expected.new" "$expected"
    echo "   wrote $expected"
fi
if ! diff -u <(grep -v '^#' "$expected") "$work/files.txt"; then
    die "the RPM's files differ from $expected (- expected, + built); if intended: UPDATE_EXPECTED=1 bash $0"
fi
pass "$(wc -l < "$work/files.txt") entries as expected"

step "install into a scratch root (rpm -i --root --nodeps --noscripts)"
root=$work/root
mkdir -p "$root"
# (Debian's rpm warns on stderr that alien is the usual way: shown only on failure.)
rpm -i --root "$root" --nodeps --noscripts "$rpm_file" 2> "$work/rpm-i.log" \
    || { cat "$work/rpm-i.log"; die "rpm -i --root $root failed"; }
cmp packaging/mon_memcg.conf "$root/etc/mon_memcg.conf" || die "the installed /etc/mon_memcg.conf differs from packaging/mon_memcg.conf"
pass "installed; /etc/mon_memcg.conf is packaging/mon_memcg.conf"

step "the man pages the RPM installs (scripts/build-man.sh in %build)"
for page in "$root/usr/share/man/man8/mon_memcg.8" "$root/usr/share/man/man5/mon_memcg.conf.5"; do
    [ -s "$page" ] || die "$page is missing or empty"
    lint=$(mandoc -T lint -W all "$page" 2>&1) || true
    [ -z "$lint" ] || { echo "$lint"; die "mandoc -T lint -W all: messages above for $page"; }
done
grep -q '^\.SH CONFIGURATION$' "$root/usr/share/man/man8/mon_memcg.8" || die "mon_memcg.8 has no CONFIGURATION section"
pass "mon_memcg(8) and mon_memcg.conf(5) installed, mandoc -T lint -W all silent"

step "systemd-analyze verify --man=no (any output fails)"
# The scratch root needs systemd's own units (sysinit.target, timers.target)
# and the base system's kill(1), which mon_memcg-watch.service's ExecReload= names.
cp -an /usr/lib/systemd/system/. "$root/usr/lib/systemd/system/"
install -D -m 0755 "$(readlink -f /bin/kill)" "$root/usr/bin/kill"
[ -e "$root/bin" ] || ln -s usr/bin "$root/bin"
units="mon_memcg.service mon_memcg.timer mon_memcg-watch.service"
# shellcheck disable=SC2086
verify_out=$(systemd-analyze verify --man=no --root="$root" $units 2>&1) || true
if [ -n "$verify_out" ]; then
    echo "$verify_out"
    die "systemd-analyze verify printed the above for packaging/systemd/"
fi
pass "$units verify silently"

step "presets: installing enables nothing; an earlier-sorting preset can enable"
# The scratch root has no distribution presets, so units no preset names
# would default to enable here (as on Debian): 90-mon_memcg.preset must win.
systemctl --root="$root" preset mon_memcg.timer mon_memcg-watch.service >/dev/null 2>&1
state=$( { systemctl --root="$root" is-enabled mon_memcg.timer mon_memcg-watch.service || true; } | tr '\n' ' ')
[ "$state" = "disabled disabled " ] || die "after systemctl preset: timer and daemon are '$state', expected disabled disabled"
mkdir -p "$root/etc/systemd/system-preset"
echo "enable mon_memcg.timer" > "$root/etc/systemd/system-preset/50-local.preset"
systemctl --root="$root" preset mon_memcg.timer mon_memcg-watch.service >/dev/null 2>&1
state=$( { systemctl --root="$root" is-enabled mon_memcg.timer mon_memcg-watch.service || true; } | tr '\n' ' ')
[ "$state" = "enabled disabled " ] || die "with 50-local.preset enabling the timer: '$state', expected enabled disabled"
systemctl --root="$root" disable mon_memcg.timer >/dev/null 2>&1
rm "$root/etc/systemd/system-preset/50-local.preset"
pass "90-mon_memcg.preset disables both; 50-local.preset's enable wins over it"

step "mon_memcg-watch.service has mon_memcg.service's sandbox"
sandbox_of() { sed -n '/^# --- File system ---/,$p' "$1" | grep -v -e '^#' -e '^$' -e '^\[Install\]' -e '^WantedBy='; }
if ! diff -u <(sandbox_of packaging/systemd/mon_memcg.service) <(sandbox_of packaging/systemd/mon_memcg-watch.service); then
    die "the sandboxing directives of the two services differ (- oneshot, + watch): keep them the same"
fi
pass "same sandboxing directives"

step "systemd-analyze security --offline=yes (exposure <= $max_exposure)"
exposures=""
for service in mon_memcg.service mon_memcg-watch.service; do
    systemd-analyze security --offline=yes --root="$root" "$service" > "$work/security.log" 2>&1 || true
    exposure=$(sed -n "s/.*Overall exposure level for $service: \\([0-9.]*\\).*/\\1/p" "$work/security.log")
    [ -n "$exposure" ] || { cat "$work/security.log"; die "no exposure level in systemd-analyze security's output for $service"; }
    if awk -v e="$exposure" -v m="$max_exposure" 'BEGIN { exit !(e > m) }'; then
        grep '✗' "$work/security.log" || true
        die "$service exposure $exposure is above $max_exposure"
    fi
    exposures="$exposures $service $exposure"
done
pass "exposure:$exposures"

step "tmpfiles.d and logrotate files"
systemd-tmpfiles --root="$root" --create mon_memcg.conf
[ "$(stat -c '%a %U' "$root/var/log/mon_memcg.log")" = "640 root" ] \
    || die "systemd-tmpfiles did not create $root/var/log/mon_memcg.log as 0640 root"
logrotate -d "$root/etc/logrotate.d/mon_memcg" > "$work/logrotate.log" 2>&1 \
    || { cat "$work/logrotate.log"; die "logrotate rejects /etc/logrotate.d/mon_memcg"; }
pass "tmpfiles creates the log 0640; logrotate accepts its file"

step "the installed binary on this host"
status_ran=""
bin=$root/usr/sbin/mon_memcg
"$bin" --help > "$work/help.txt" || die "$bin --help failed"
[ "$("$bin" --version)" = "$version" ] || die "$bin --version says $("$bin" --version), the RPM says $version"
if [ ! -d /sys/fs/cgroup/memory ]; then
    skip "status of the installed binary" "no cgroup v1 memory controller at /sys/fs/cgroup/memory"
else
    "$bin" status > "$work/status.txt" || { cat "$work/status.txt"; die "mon_memcg status (defaults) failed"; }
    "$bin" status --json --config "$root/etc/mon_memcg.conf" > "$work/status.json" \
        || die "mon_memcg status --config (the shipped file) failed"
    /usr/bin/python3 -m json.tool "$work/status.json" >/dev/null || die "status --json is not JSON"
    sed 's/^/   | /' "$work/status.txt" | head -20
    status_ran=1
fi
pass "--help, --version $version${status_ran:+, status}"

step "the binary needs no shared library (runs in a root holding only itself and /proc)"
# A static executable is what lets one RPM serve EL8 (glibc 2.28), EL9 and
# Debian: nothing to resolve on the node. (The Swift runtime reads
# /proc/self/exe at start-up and aborts without /proc, as any node has it.)
if readelf -l "$bin" | grep -q -e INTERP -e DYNAMIC; then
    readelf -l "$bin" | grep -e INTERP -e DYNAMIC
    die "$bin has a program interpreter or dynamic section: build with -Xswiftc -static-executable"
fi
bare=$work/bare-root
install -D -m 0755 "$bin" "$bare/mon_memcg"
mkdir "$bare/proc"
# A private mount namespace: the /proc mount ends with the command.
unshare --mount --propagation private sh -c '
    mount -t proc proc "$1/proc" &&
    chroot "$1" /mon_memcg --version > "$2/bare-version.txt" &&
    chroot "$1" /mon_memcg check --help > /dev/null' sh "$bare" "$work" \
    || die "$bin does not run in a root without libraries (see above)"
[ "$(cat "$work/bare-version.txt")" = "$version" ] || die "$bin --version in the empty root says $(cat "$work/bare-version.txt")"
pass "no interpreter, no dynamic section; --version and check --help run in an empty root"

step "one reclaim inside the service's sandbox (scripts/service-sandbox.sh)"
if [ "$(id -u)" != 0 ] || [ ! -w /sys/fs/cgroup/memory ]; then
    skip "reclaim and watch inside the services' sandboxes" "need root and a writable cgroup v1 memory controller at /sys/fs/cgroup/memory"
else
    unit=$root/usr/lib/systemd/system/mon_memcg.service
    sandbox=$work/sandbox
    mkdir -p "$sandbox"
    cgroup=/sys/fs/cgroup/memory/mon_memcg-test-pkg-$$
    mkdir "$cgroup"
    # 32 MiB of page cache charged to the test cgroup by a process of ours.
    sh -c 'echo $$ > "$1/cgroup.procs" && dd if=/dev/zero of="$2/fill" bs=1M count=32 status=none' sh "$cgroup" "$work"
    if ! scripts/service-sandbox.sh "$unit" "$sandbox" -- "$bin" check \
            --config "$root/etc/mon_memcg.conf" --target "$(basename "$cgroup")" \
            --available-threshold 1T --growth-threshold 0 --dying-reclaim off > "$work/sandbox.out" 2>&1; then
        cat "$work/sandbox.out" "$sandbox/mon_memcg.log"
        die "mon_memcg check failed inside the service's sandbox"
    fi
    grep -q 'reclaim took .* s, freed [0-9]* bytes' "$sandbox/mon_memcg.log" \
        || { cat "$sandbox/mon_memcg.log"; die "no reclaim line in the sandboxed run's log"; }
    grep -q '^last ' "$sandbox/state/state" || die "the sandboxed run wrote no state file"
    [ -e "$sandbox/state/state.lock" ] || die "the sandboxed run took no lock"
    sed 's/^/   | /' "$sandbox/mon_memcg.log"
    # And the sandbox does restrict: no capabilities, read-only /etc, filtered calls.
    scripts/service-sandbox.sh "$unit" "$sandbox" -- sh -c '
        grep -q "^CapEff:[[:space:]]*0*$" /proc/self/status || { echo "capabilities left"; exit 1; }
        if touch /etc/mon_memcg-sandbox-probe 2>/dev/null; then echo "/etc is writable"; exit 1; fi
        nice -n 1 true 2>&1 | grep -q "Operation not permitted" || { echo "setpriority was not filtered"; exit 1; }
    ' || die "the sandbox emulation does not restrict as mon_memcg.service does"
    pass "reclaimed $(sed -n 's/.*freed \([0-9]*\) bytes.*/\1/p' "$sandbox/mon_memcg.log") bytes as uid 0 with no capabilities, read-only /, the unit's syscall filter"

    step "mon_memcg watch inside mon_memcg-watch.service's sandbox: threshold events armed, sd_notify, SIGHUP, SIGTERM"
    unit=$root/usr/lib/systemd/system/mon_memcg-watch.service
    sandbox=$work/sandbox-watch
    mkdir -p "$sandbox"
    # systemd's side of Type=notify: a datagram socket on a path, which the
    # sandbox sees read-only (as a service sees /run/systemd/notify).
    /usr/bin/python3 - "$work/notify.sock" "$work/notify.log" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(0.2)
end = time.time() + 30
with open(sys.argv[2], "a") as out:
    while time.time() < end:
        try:
            m = s.recv(4096)
        except socket.timeout:
            continue
        out.write(m.decode().replace("\n", " | ") + "\n")
        out.flush()
        if m == b"STOPPING=1":
            break
PY
    listener_pid=$!
    for _ in $(seq 50); do [ -S "$work/notify.sock" ] && break; sleep 0.1; done
    scripts/service-sandbox.sh "$unit" "$sandbox" -- env MON_MEMCG_TRACE=1 NOTIFY_SOCKET="$work/notify.sock" WATCHDOG_USEC=1000000 "$bin" watch \
        --config "$root/etc/mon_memcg.conf" --target "$(basename "$cgroup")" \
        --available-threshold 0 --poll-interval 200ms > "$work/sandbox-watch.out" 2>&1 &
    watch_pid=$!
    for _ in $(seq 50); do grep -q ' arm ' "$work/sandbox-watch.out" && break; sleep 0.1; done
    kill -HUP "$watch_pid"
    for _ in $(seq 50); do grep -q 'wake reload' "$work/sandbox-watch.out" && break; sleep 0.1; done
    kill -TERM "$watch_pid"
    watch_status=0
    wait "$watch_pid" || watch_status=$?
    # LimitMEMLOCK= needs CAP_SYS_RESOURCE to emulate (service-sandbox.sh);
    # without it the daemon must say plainly that it runs unlocked.
    lock_line='watch locked its memory'
    lock_said='locked its memory under LimitMEMLOCK='
    if grep -q 'cannot raise RLIMIT_MEMLOCK' "$work/sandbox-watch.out"; then
        lock_line='watch runs with its memory unlocked, so memory pressure can page it out: .*raise LimitMEMLOCK='
        lock_said='said it runs unlocked (LimitMEMLOCK= cannot be emulated here)'
        echo "   note: $(grep -m1 'cannot raise RLIMIT_MEMLOCK' "$work/sandbox-watch.out"): the refusal line is checked instead of the lock"
    fi
    if [ "$watch_status" != 0 ] || ! grep -q ' arm ' "$work/sandbox-watch.out" \
            || grep -q 'no threshold events' "$sandbox/mon_memcg.log" \
            || ! grep -q 'reloaded the configuration on SIGHUP' "$sandbox/mon_memcg.log" \
            || ! grep -q "$lock_line" "$sandbox/mon_memcg.log" \
            || ! tail -1 "$sandbox/mon_memcg.log" | grep -q 'watch stopped on SIGTERM$'; then
        cat "$work/sandbox-watch.out" "$sandbox/mon_memcg.log"
        die "mon_memcg watch (exit $watch_status) did not arm, lock its memory, reload and stop cleanly inside its unit's sandbox"
    fi
    wait "$listener_pid" || true
    if ! grep -q '^READY=1 | STATUS=available ' "$work/notify.log" || ! grep -qx 'WATCHDOG=1' "$work/notify.log" \
            || ! grep -q '^RELOADING=1 | MONOTONIC_USEC=' "$work/notify.log" || [ "$(tail -1 "$work/notify.log")" != "STOPPING=1" ]; then
        cat "$work/notify.log" "$sandbox/mon_memcg.log"
        die "mon_memcg watch did not send READY=1 with STATUS=, WATCHDOG=1, RELOADING=1 and STOPPING=1 to NOTIFY_SOCKET from inside its sandbox"
    fi
    sed 's/^/   | /' "$sandbox/mon_memcg.log"
    sed 's/^/   | notify: /' "$work/notify.log" | grep -v 'WATCHDOG=1' | head -5
    pass "watch armed cgroup.event_control, $lock_said, told systemd READY/STATUS/WATCHDOG/RELOADING/STOPPING, reloaded on SIGHUP and exited 0 on SIGTERM under the unit's syscall filter"
fi

echo "packaging checks done in $(( $(date +%s) - started )) s"
finish
