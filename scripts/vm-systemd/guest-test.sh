#!/bin/bash
# Runs inside the systemd VM (scripts/vm-systemd/run.sh) as mmvm-test.service,
# once the system reached multi-user.target: installs the RPM with rpm(8),
# lets systemd run the units as shipped (real sandbox, timer, Type=notify,
# watchdog), erases the package, and prints "ok"/"not ok" lines and a last
# "MMVMSD-DONE passed=N failed=M" line to the console. Then powers off.
set -u
passed=0
failed=0
ok() { echo "ok - $*"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $*"; failed=$((failed + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }
# Waits up to $1 seconds for a command to succeed.
wait_for() { local t=$1; shift; for _ in $(seq $((t * 5))); do "$@" && return 0; sleep 0.2; done; "$@"; }
prop() { systemctl show -p "$2" --value "$1"; }
log_has() { grep -q -- "$1" /var/log/mon_memcg.log; }
count_in_log() { grep -c -- "$1" /var/log/mon_memcg.log; }
show_log() { echo "--- /var/log/mon_memcg.log"; sed 's/^/  | /' /var/log/mon_memcg.log | tail -n "${1:-15}"; }
mem=/sys/fs/cgroup/memory
finish() {
    echo "MMVMSD-DONE passed=$passed failed=$failed"
    systemctl poweroff --no-block
    exit 0
}

echo "MMVMSD kernel $(uname -r); $(systemctl --version | head -n 1); booted in $(cut -d' ' -f1 /proc/uptime) s"
check "systemd runs the cgroup v1 (legacy) hierarchy with the memory controller" test -e $mem/memory.force_empty
[ "$failed" = 0 ] || finish

# --- install: scriptlets ---------------------------------------------------
out=$(rpm -i --nodeps /mmvm/mon_memcg.rpm 2>&1)
check "rpm -i runs its scriptlets without error" [ $? = 0 ]
[ -n "$out" ] && echo "$out" | sed 's/^/  rpm: /'
check "%post: systemd-tmpfiles made /var/log/mon_memcg.log 0640 root" [ "$(stat -c '%a %U' /var/log/mon_memcg.log 2>&1)" = "640 root" ]
check "%post: no preset names the timer, so it stays disabled" [ "$(systemctl is-enabled mon_memcg.timer 2>&1)" = disabled ]
check "%post: the daemon stays disabled too" [ "$(systemctl is-enabled mon_memcg-watch.service 2>&1)" = disabled ]

# --- an ssh session's page cache in user.slice ------------------------------
# On ext4 on a RAM disk: the root is the initramfs, whose pages cannot be reclaimed.
for m in crc16 mbcache jbd2 crc32c_generic ext4; do insmod /mmvm/modules/$m.ko 2>/dev/null; done
insmod /mmvm/modules/brd.ko rd_nr=1 rd_size=262144
mkfs.ext4 -q /dev/ram0 && mkdir -p /srv/disk && mount /dev/ram0 /srv/disk
check "ext4 on /dev/ram0 for the session's files" mountpoint -q /srv/disk
systemd-run --quiet --slice=user.slice -p MemoryAccounting=yes --unit=mmvm-session \
    sh -c 'dd if=/dev/zero of=/srv/disk/fill bs=1M count=64 status=none && sync && exec sleep 100000'
filled() { [ "$(cat $mem/user.slice/memory.usage_in_bytes 2>/dev/null || echo 0)" -ge $((60 * 1048576)) ]; }
check "user.slice holds 64 MiB of page cache (a session's dd)" wait_for 30 filled
echo "  user.slice usage before: $(cat $mem/user.slice/memory.usage_in_bytes)"
# Memory "short" for this small VM: a threshold above its MemTotal.
printf '\n# mmvm test\navailable_threshold = 64G\ngrowth_threshold = 1M\n' >> /etc/mon_memcg.conf

# --- the oneshot under its real sandbox -------------------------------------
systemctl start mon_memcg.service
check "mon_memcg.service ran: Result=success, status 0" [ "$(prop mon_memcg.service Result)/$(prop mon_memcg.service ExecMainStatus)" = success/0 ]
check "it reclaimed user.slice (original log: reclaim took …)" log_has "reclaim took "
after=$(cat $mem/user.slice/memory.usage_in_bytes)
echo "  user.slice usage after: $after"
check "user.slice is below 16 MiB after force_empty" [ "$after" -lt $((16 * 1048576)) ]
check "the state file holds last" grep -q '^last ' /var/lib/mon_memcg/state
show_log 8

# --- the daemon: Type=notify, STATUS=, reload, watchdog ------------------------
systemctl start mon_memcg.timer   # (not enabled): the daemon must stop it
t0=$(date +%s%N)
systemctl start mon_memcg-watch.service
echo "  systemctl start mon_memcg-watch.service returned after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check "mon_memcg-watch.service is active (READY=1 arrived)" [ "$(systemctl is-active mon_memcg-watch.service)" = active ]
check "Conflicts= stopped the timer" [ "$(systemctl is-active mon_memcg.timer)" = inactive ]
status=$(prop mon_memcg-watch.service StatusText)
echo "  StatusText: $status"
check "systemctl status shows the last check (STATUS=)" [ "${status#available }" != "$status" ]
check "WatchdogSec=2min is in force" [ "$(prop mon_memcg-watch.service WatchdogUSec)" = 2min ]
systemctl reload mon_memcg-watch.service
reloaded() { log_has "reloaded the configuration on SIGHUP"; }
check "systemctl reload: the configuration is re-read" wait_for 15 reloaded
check "still active after the reload" [ "$(systemctl is-active mon_memcg-watch.service)" = active ]

# An upgrade while the daemon runs: %postun restarts it on the new binary,
# and the edited configuration stays (%config(noreplace)).
pid=$(prop mon_memcg-watch.service MainPID)
out=$(rpm -U --nodeps /mmvm/mon_memcg-upgrade.rpm 2>&1)
check "rpm -U runs its scriptlets without error" [ $? = 0 ]
[ -n "$out" ] && echo "$out" | grep -v -e 'use Alien' -e 'know what you are doing' | sed 's/^/  rpm: /'
echo "  installed: $(rpm -q mon_memcg)"
check "the upgrade is installed" [ "$(rpm -q --qf '%{RELEASE}' mon_memcg)" = 1.mmvm2 ]
restarted_on_upgrade() { [ "$(prop mon_memcg-watch.service MainPID)" != "$pid" ] && [ "$(systemctl is-active mon_memcg-watch.service)" = active ]; }
check "%postun restarted the running daemon (try-restart)" wait_for 30 restarted_on_upgrade
check "the edited /etc/mon_memcg.conf is kept, no .rpmnew (default unchanged)" \
    test "$(tail -n 1 /etc/mon_memcg.conf)" = "growth_threshold = 1M" -a ! -e /etc/mon_memcg.conf.rpmnew

# The watchdog, shortened by a runtime drop-in: a stopped (hung) daemon is
# killed and restarted by systemd.
mkdir -p /run/systemd/system/mon_memcg-watch.service.d
printf '[Service]\nWatchdogSec=3s\nRestartSec=1s\n' > /run/systemd/system/mon_memcg-watch.service.d/mmvm.conf
systemctl daemon-reload
systemctl restart mon_memcg-watch.service
pid=$(prop mon_memcg-watch.service MainPID)
restarts=$(prop mon_memcg-watch.service NRestarts)
kill -STOP "$pid"
restarted() { [ "$(prop mon_memcg-watch.service NRestarts)" -gt "$restarts" ] && [ "$(systemctl is-active mon_memcg-watch.service)" = active ]; }
check "a hung daemon (SIGSTOP) is killed by the watchdog and restarted" wait_for 60 restarted
echo "  pid $pid -> $(prop mon_memcg-watch.service MainPID), NRestarts $(prop mon_memcg-watch.service NRestarts)"
journalctl -u mon_memcg-watch.service --no-pager -o cat 2>/dev/null | grep -i -E 'watchdog|restart' | tail -n 3 | sed 's/^/  journal: /'
rm -r /run/systemd/system/mon_memcg-watch.service.d
systemctl daemon-reload
systemctl stop mon_memcg-watch.service
check "systemctl stop: the daemon logs its stop and exits 0" \
    [ "$(tail -n 1 /var/log/mon_memcg.log | sed 's/.*     //')/$(prop mon_memcg-watch.service ExecMainStatus)" = "watch stopped on SIGTERM/0" ]
show_log 6

# --- the timer, on its real schedule -------------------------------------------
# OnBootSec=5min: the first run 5 minutes after boot (this VM is younger),
# then OnUnitActiveSec=20s after each run started.
systemctl enable --now mon_memcg.timer 2>&1 | sed 's/^/  /'
check "the timer is enabled and active" [ "$(systemctl is-enabled mon_memcg.timer)/$(systemctl is-active mon_memcg.timer)" = enabled/active ]
check "its first run is due 5 min after boot (OnBootSec=5min)" [ "$(prop mon_memcg.timer NextElapseUSecMonotonic)" = 5min ]
systemctl list-timers --all mon_memcg.timer --no-pager 2>&1 | sed 's/^/  /'
runs=$(count_in_log "need reclaim")
uptime_s() { cut -d' ' -f1 /proc/uptime; }
three_runs() { [ "$(count_in_log "need reclaim")" -ge $((runs + 3)) ]; }
wait_s=$(awk -v u="$(uptime_s)" 'BEGIN { w = 300 - u + 90; print (w < 90 ? 90 : int(w)) }')
echo "  waiting up to $wait_s s for three timer runs (uptime $(uptime_s) s)"
check "the timer ran the service three times" wait_for "$wait_s" three_runs
starts=$(journalctl -u mon_memcg.service -o short-monotonic --no-pager 2>/dev/null | grep 'Starting' | sed 's/^\[ *\([0-9.]*\)\].*/\1/' | tail -n 4)
echo "  service starts (monotonic s): $(echo $starts)"
# The last three starts came from the timer: at ~300 s, then 20 s apart.
read -r -a t <<<"$(echo "$starts" | tail -n 3 | tr '\n' ' ')"
check "first timer run at 300-310 s of uptime" awk -v a="${t[0]:-0}" 'BEGIN { exit !(a >= 300 && a < 310) }'
check "then every 20 s (OnUnitActiveSec=20s, AccuracySec=1s)" \
    awk -v a="${t[0]:-0}" -v b="${t[1]:-0}" -v c="${t[2]:-0}" 'BEGIN { d1 = b - a; d2 = c - b; exit !(d1 >= 19.5 && d1 <= 22 && d2 >= 19.5 && d2 <= 22) }'
check "a later run skips: the original script's \"change is too small\"" log_has "change is too small"
show_log 4

# --- the sandbox as systemd sees it ---------------------------------------------
for unit in mon_memcg.service mon_memcg-watch.service; do
    exposure=$(systemd-analyze security "$unit" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
    check "$unit: systemd-analyze security (online) exposure $exposure <= 2.0" awk -v e="${exposure:-99}" 'BEGIN { exit !(e <= 2.0) }'
done

# --- erase ---------------------------------------------------------------------
systemctl start mon_memcg.timer
out=$(rpm -e mon_memcg 2>&1)
check "rpm -e runs its scriptlets without error" [ $? = 0 ]
[ -n "$out" ] && echo "$out" | sed 's/^/  rpm: /'
check "%preun stopped the timer" [ "$(systemctl is-active mon_memcg.timer 2>&1)" != active ]
check "the units and the binary are gone" test ! -e /usr/lib/systemd/system/mon_memcg.timer -a ! -e /usr/sbin/mon_memcg
check "the edited configuration is kept as /etc/mon_memcg.conf.rpmsave" test -e /etc/mon_memcg.conf.rpmsave
check "the state directory and the log are gone" test ! -e /var/lib/mon_memcg -a ! -e /var/log/mon_memcg.log
systemctl stop mmvm-session.service
finish
