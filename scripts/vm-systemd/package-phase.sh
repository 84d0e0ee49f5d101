# package_phase FORMAT: one package's life on this systemd host, from
# install to removal, with the checks every format must pass. Sourced by
# guest-test.sh after guest-lib.sh (helpers, $hierarchy, $target).
# /mmvm/package-FORMAT.sh says how that format installs, upgrades and
# removes (the hooks are listed in package-rpm.sh); everything else here is
# the same for any format: the units as shipped, the sandbox on this
# hierarchy, the timer, the daemon, and nothing left behind. A phase starts
# and ends with no mon_memcg on the host, so phases can follow each other.

package_phase() {
    # shellcheck source=/dev/null
    . "/mmvm/package-$1.sh" || { not_ok "$1: /mmvm/package-$1.sh"; return; }
    local f=$pkg_format out pid restarts status runs
    echo "MMVMSD phase $f on cgroup $hierarchy"

    # --- install: scriptlets -------------------------------------------------
    out=$(pkg_install)
    check "$f: install runs its scriptlets without error" [ $? = 0 ]
    [ -z "$out" ] || echo "$out" | sed "s/^/  $f: /"
    check "$f: after install: systemd-tmpfiles made /var/log/mon_memcg.log 0640 root" [ "$(stat -c '%a %U' /var/log/mon_memcg.log 2>&1)" = "640 root" ]
    check "$f: after install: no preset names the timer, so it stays disabled" [ "$(systemctl is-enabled mon_memcg.timer 2>&1)" = disabled ]
    check "$f: after install: the daemon stays disabled too" [ "$(systemctl is-enabled mon_memcg-watch.service 2>&1)" = disabled ]

    # --- a session's page cache in the real user.slice -----------------------
    check "$f: user.slice holds 64 MiB of page cache (a session's dd)" fill_user_slice mmvm-session 64
    echo "  user.slice $usage_file before: $(target_usage)"
    [ "$hierarchy" = v1 ] || check "$f: user.slice has memory.reclaim (the one cgroup file the units make writable on v2)" test -e "$target/memory.reclaim"
    # Memory "short" for this small VM: a threshold above its MemTotal.
    printf '\n# mmvm test\navailable_threshold = 64G\ngrowth_threshold = 1M\n' >> /etc/mon_memcg.conf

    # --- the oneshot under its real sandbox ------------------------------------
    systemctl start mon_memcg.service
    echo "  mon_memcg.service: Result=$(prop mon_memcg.service Result), ExecMainStatus=$(prop mon_memcg.service ExecMainStatus)"
    check "$f: mon_memcg.service ran: Result=success, status 0" [ "$(prop mon_memcg.service Result)/$(prop mon_memcg.service ExecMainStatus)" = success/0 ]
    if [ "$hierarchy" = v1 ]; then
        check "$f: the service reclaimed user.slice through memory.force_empty (reclaim took …)" log_has "reclaim took "
    else
        check "$f: the service reclaimed user.slice through memory.reclaim (memory.reclaim step 1, reclaim took …)" \
            eval 'log_has "memory.reclaim step 1: asked " && log_has "reclaim took "'
        grep -E 'memory\.reclaim|reclaim took' /var/log/mon_memcg.log | tail -n 3 | sed 's/^/  service log: /'
    fi
    echo "  user.slice $usage_file after: $(target_usage)"
    check "$f: user.slice is below 16 MiB after the service's reclaim" [ "$(target_usage)" -lt $((16 * 1048576)) ]
    check "$f: the state file holds last" grep -q '^last ' /run/mon_memcg/state
    show_log 8

    # --- the journal: one line per event, with its priority (LogPriorities) ---
    # The reclaim is a notice, so -p info shows it; the original's
    # "Before reclaim:" is info, so -p notice does not. A run that finds the
    # run lock taken skips its reclaim: a warning.
    jsvc() { journalctl -u "$1" -p "$2" -o cat --no-pager 2>/dev/null; }
    check "$f: journalctl -u mon_memcg.service -p info shows the reclaim (reclaim took …)" eval 'jsvc mon_memcg.service info | grep -q "^reclaim took "'
    check "$f: journalctl -p notice leaves out the info lines (Before reclaim:)" eval '! jsvc mon_memcg.service notice | grep -q "^Before reclaim:"'
    flock -n /run/mon_memcg/state.lock systemctl start mon_memcg.service
    lock_warned() { jsvc mon_memcg.service warning | grep -q "^another mon_memcg run holds /run/mon_memcg/state.lock"; }
    check "$f: journalctl -u mon_memcg.service -p warning shows the reclaim skipped for the run lock" wait_for 10 lock_warned
    check "$f: the log file's lines carry no priority prefix" eval '! grep -q "<[0-7]>" /var/log/mon_memcg.log'
    journalctl -u mon_memcg.service -p warning -o short-precise --no-pager | tail -n 3 | sed 's/^/  journal -p warning: /'

    # --- the daemon: Type=notify, STATUS=, its sandbox, a crossing, reload ----
    systemctl start mon_memcg.timer   # (not enabled): the daemon must stop it
    t0=$(date +%s%N)
    systemctl start mon_memcg-watch.service
    echo "  systemctl start mon_memcg-watch.service returned after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
    check "$f: mon_memcg-watch.service is active (READY=1 arrived)" [ "$(systemctl is-active mon_memcg-watch.service)" = active ]
    check "$f: Conflicts= stopped the timer" [ "$(systemctl is-active mon_memcg.timer)" = inactive ]
    status=$(prop mon_memcg-watch.service StatusText)
    echo "  StatusText: $status"
    check "$f: systemctl status shows the last check (STATUS=)" [ "${status#available }" != "$status" ]
    check "$f: WatchdogSec=2min is in force" [ "$(prop mon_memcg-watch.service WatchdogUSec)" = 2min ]
    # The sandbox as the kernel sees it, from inside the daemon's mount
    # namespace: on this hierarchy, what mon_memcg writes is writable and
    # the rest of cgroupfs is not.
    pid=$(prop mon_memcg-watch.service MainPID)
    mnt() { nsenter -t "$pid" -m findmnt -n -o OPTIONS --target "$1" | cut -d, -f1; }
    if [ "$hierarchy" = v1 ]; then
        echo "  in the daemon's namespace: memory mount $(mnt /sys/fs/cgroup/memory), cpu mount $(mnt /sys/fs/cgroup/cpu,cpuacct)"
        check "$f: in the daemon's sandbox the v1 memory mount is writable, another controller's is not" \
            [ "$(mnt /sys/fs/cgroup/memory)/$(mnt /sys/fs/cgroup/cpu,cpuacct)" = rw/ro ]
    else
        echo "  in the daemon's namespace: $target/memory.reclaim $(mnt "$target/memory.reclaim"), $target/memory.max $(mnt "$target/memory.max"), /sys/fs/cgroup $(mnt /sys/fs/cgroup)"
        check "$f: in the daemon's sandbox user.slice/memory.reclaim is writable, the rest of the unified mount is not" \
            [ "$(mnt "$target/memory.reclaim")/$(mnt "$target/memory.max")/$(mnt /sys/fs/cgroup)" = rw/ro/ro ]
    fi
    # A crossing: a second session writes 48 MiB while the daemon runs; the
    # node is "short" (available_threshold = 64G), so the growth is answered
    # by a reclaim from the daemon (v1: woken by the usage threshold event
    # or its poll; v2: its poll, PSI being quiet here).
    runs=$(count_in_log "reclaim took ")
    fill_user_slice mmvm-session2 48
    echo "  user.slice $usage_file after the second session's dd: $(target_usage)"
    answered() { [ "$(count_in_log "reclaim took ")" -gt "$runs" ] && [ "$(target_usage)" -lt $((16 * 1048576)) ]; }
    check "$f: the daemon answered the crossing: a reclaim, user.slice below 16 MiB again" wait_for 30 answered
    grep -E 'need reclaim|reclaim took' /var/log/mon_memcg.log | tail -n 2 | sed 's/^/  watch log: /'
    systemctl reload mon_memcg-watch.service
    reloaded() { log_has "reloaded the configuration on SIGHUP"; }
    check "$f: systemctl reload: the configuration is re-read" wait_for 15 reloaded
    # A bad configuration on reload is refused: an error in the journal.
    echo 'mmvm_bogus_key = 1' >> /etc/mon_memcg.conf
    systemctl reload mon_memcg-watch.service
    reload_erred() { jsvc mon_memcg-watch.service err | grep -q "^mon_memcg: reload on SIGHUP refused"; }
    check "$f: journalctl -u mon_memcg-watch.service -p err shows the refused reload" wait_for 15 reload_erred
    journalctl -u mon_memcg-watch.service -p warning -o short-precise --no-pager | tail -n 3 | sed 's/^/  journal -p warning: /'
    sed -i '/^mmvm_bogus_key = 1$/d' /etc/mon_memcg.conf
    reloads=$(count_in_log "reloaded the configuration on SIGHUP")
    systemctl reload mon_memcg-watch.service
    reloaded_again() { [ "$(count_in_log "reloaded the configuration on SIGHUP")" -gt "$reloads" ]; }
    check "$f: the fixed configuration reloads again" wait_for 15 reloaded_again
    check "$f: journalctl -u mon_memcg-watch.service -p info shows the daemon's reclaim" eval 'jsvc mon_memcg-watch.service info | grep -q "^reclaim took "'
    check "$f: still active after the reload" [ "$(systemctl is-active mon_memcg-watch.service)" = active ]

    # An upgrade while the daemon runs: the package restarts it on the new
    # binary, and the edited configuration stays.
    pid=$(prop mon_memcg-watch.service MainPID)
    out=$(pkg_upgrade)
    check "$f: upgrade runs its scriptlets without error" [ $? = 0 ]
    [ -z "$out" ] || echo "$out" | sed "s/^/  $f: /"
    echo "  installed: $(pkg_version)"
    check "$f: the upgrade is installed" pkg_is_upgrade
    restarted_on_upgrade() { [ "$(prop mon_memcg-watch.service MainPID)" != "$pid" ] && [ "$(systemctl is-active mon_memcg-watch.service)" = active ]; }
    check "$f: the upgrade restarted the running daemon (try-restart)" wait_for 30 restarted_on_upgrade
    check "$f: the edited /etc/mon_memcg.conf is kept, no .rpmnew/.dpkg-new (default unchanged)" \
        test "$(tail -n 1 /etc/mon_memcg.conf)" = "growth_threshold = 1M" -a ! -e /etc/mon_memcg.conf.rpmnew -a ! -e /etc/mon_memcg.conf.dpkg-new

    # The state's move from /var/lib/mon_memcg to /run/mon_memcg: with no
    # state in /run, the package's scriptlet (the RPM's %post, the .deb's
    # postinst) carries an old /var/lib/mon_memcg/state over. The daemon's
    # own state is put back afterwards (the watchdog part restarts it).
    systemctl stop mon_memcg-watch.service
    rm -f /tmp/mmvm-state.keep
    [ ! -e /run/mon_memcg/state ] || mv /run/mon_memcg/state /tmp/mmvm-state.keep
    mkdir -p /var/lib/mon_memcg
    printf 'mon_memcg-state 1\nlast 4242424242\n' > /var/lib/mon_memcg/state
    out=$(pkg_reinstall)
    check "$f: reinstalling runs its scriptlets without error" [ $? = 0 ]
    [ -z "$out" ] || echo "$out" | sed "s/^/  $f: /"
    check "$f: with no state in /run, the scriptlet carried /var/lib/mon_memcg/state to /run/mon_memcg/state" \
        grep -qx 'last 4242424242' /run/mon_memcg/state
    rm -rf /var/lib/mon_memcg
    if [ -e /tmp/mmvm-state.keep ]; then mv /tmp/mmvm-state.keep /run/mon_memcg/state; else rm -f /run/mon_memcg/state; fi

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
    check "$f: a hung daemon (SIGSTOP) is killed by the watchdog and restarted" wait_for 60 restarted
    echo "  pid $pid -> $(prop mon_memcg-watch.service MainPID), NRestarts $(prop mon_memcg-watch.service NRestarts)"
    rm -r /run/systemd/system/mon_memcg-watch.service.d
    systemctl daemon-reload
    lever_killed

    systemctl stop mon_memcg-watch.service
    check "$f: systemctl stop: the daemon logs its stop and exits 0" \
        [ "$(tail -n 1 /var/log/mon_memcg.log | sed 's/.*     //')/$(prop mon_memcg-watch.service ExecMainStatus)" = "watch stopped on SIGTERM/0" ]
    show_log 4

    timer_cadence

    # --- the sandbox as systemd sees it ------------------------------------------
    local unit exposure
    for unit in mon_memcg.service mon_memcg-watch.service; do
        exposure=$(systemd-analyze security "$unit" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
        check "$f: $unit: systemd-analyze security (online) exposure $exposure <= 2.0" awk -v e="${exposure:-99}" 'BEGIN { exit !(e <= 2.0) }'
    done

    # --- removal: nothing left behind ----------------------------------------------
    systemctl start mon_memcg.timer
    remove_and_check
}

# Removes the package as an operator would and checks that nothing of it is
# left: no file it owned, state, log, unit link, cgroup, process or loaded
# unit, the timer stopped, and the edited configuration kept where the
# format keeps it. Then stops the test's sessions. Uses $f for the check
# names (package_phase, old_upgrade_phase).
remove_and_check() {
    local out owned kept left
    owned=$(pkg_files)
    kept=$(pkg_kept_config)
    out=$(pkg_remove)
    check "$f: removal runs its scriptlets without error" [ $? = 0 ]
    [ -z "$out" ] || echo "$out" | sed "s/^/  $f: /"
    check "$f: removal stopped the timer" [ "$(systemctl is-active mon_memcg.timer 2>&1)" != active ]
    check "$f: the package database no longer has mon_memcg" pkg_not_installed
    left=$(for p in $owned /run/mon_memcg /var/lib/mon_memcg /var/log/mon_memcg.log; do [ ! -e "$p" ] || echo "$p"; done
           find /etc/systemd /run/systemd/system -name 'mon_memcg*' 2>/dev/null
           find /sys/fs/cgroup -name 'mon_memcg*' 2>/dev/null
           pgrep -a -x mon_memcg
           systemctl list-units --all --plain --no-legend 'mon_memcg*' | grep -v 'not-found' )
    [ -z "$left" ] || echo "$left" | sed 's/^/  left behind: /'
    check "$f: nothing left behind: no file it owned, state, log, unit link, cgroup, process or loaded unit" [ -z "$left" ]
    if [ -n "$kept" ]; then
        check "$f: the edited configuration is kept as $kept" test -e "$kept"
        rm -f "$kept"
    fi
    systemctl stop mmvm-session.service mmvm-session2.service
    rm -f /srv/disk/mmvm-session /srv/disk/mmvm-session2
}

# The timer on its real schedule: first 5 min after boot (OnBootSec=5min),
# then 20 s after each start (OnUnitActiveSec=20s, AccuracySec=1s). The
# schedule comes from systemd itself (systemctl show); instead of waiting
# for the boot offset, the service is started once by hand, which is what
# OnUnitActiveSec= counts from, and then the timer must start it three
# times 20 s apart.
schedule_as_shipped() {
    local tm
    tm=$(systemctl show -p TimersMonotonic mon_memcg.timer | tr '\n' ' ')
    [[ $tm == *"OnBootUSec=5min"* && $tm == *"OnUnitActiveUSec=20s"* ]] && [ "$(prop mon_memcg.timer AccuracyUSec)" = 1s ]
}
timer_cadence() {
    local starts t0 trig0 early
    systemctl enable --now mon_memcg.timer 2>&1 | sed 's/^/  /'
    check "$f: the timer is enabled and active" [ "$(systemctl is-enabled mon_memcg.timer)/$(systemctl is-active mon_memcg.timer)" = enabled/active ]
    # (Not --value: that prints only the first of the timer's triggers.)
    systemctl show -p TimersMonotonic mon_memcg.timer | sed 's/^/  /'
    echo "  NextElapseUSecMonotonic: $(prop mon_memcg.timer NextElapseUSecMonotonic) (uptime $(uptime_s) s)"
    check "$f: systemd schedules it 5 min after boot, then 20 s after each run, 1 s accuracy" \
        schedule_as_shipped
    early=$(awk -v u="$(uptime_s)" 'BEGIN { print (u < 280 ? 1 : 0) }')
    if [ "$early" = 1 ]; then
        check "$f: its first elapse is due 5 min after boot (NextElapseUSecMonotonic=5min)" [ "$(prop mon_memcg.timer NextElapseUSecMonotonic)" = 5min ]
    else
        echo "  (booted $(uptime_s) s ago: OnBootSec has passed, the timer runs on its own)"
    fi
    # The boot elapse (OnBootSec=5min, at 300 s) must not fall among the
    # hand start and the three timer starts (about 65 s): it starts the
    # service out of the 20 s cadence, as systemd should (a CI run saw
    # starts at 255, 275, 296 and 300 s). A phase that reaches this point
    # within 70 s of it waits until it has passed.
    local u
    u=$(uptime_s)
    if awk -v u="$u" 'BEGIN { exit !(u > 230 && u < 305) }'; then
        echo "  (uptime $u s: waiting past the boot elapse at 300 s before timing the cadence)"
        sleep "$(awk -v u="$u" 'BEGIN { print 306 - u }')"
    fi
    trig0=$(prop mon_memcg.timer LastTriggerUSecMonotonic)
    systemctl list-timers --all mon_memcg.timer --no-pager 2>&1 | sed 's/^/  /'
    runs=$(count_in_log "need reclaim")
    t0=$(uptime_s)
    systemctl start mon_memcg.service
    echo "  started mon_memcg.service by hand at $t0 s; NextElapseUSecMonotonic now $(prop mon_memcg.timer NextElapseUSecMonotonic)"
    three_more() { [ "$(count_in_log "need reclaim")" -ge $((runs + 4)) ]; }
    check "$f: the timer then ran the service three times" wait_for 90 three_more
    check "$f: the timer itself fired (LastTriggerUSecMonotonic moved)" [ "$(prop mon_memcg.timer LastTriggerUSecMonotonic)" != "$trig0" ]
    starts=$(journalctl -u mon_memcg.service -o short-monotonic --no-pager 2>/dev/null | grep 'Starting' | sed 's/^\[ *\([0-9.]*\)\].*/\1/' | tail -n 4)
    echo "  service starts (monotonic s): $(echo $starts)"
    # The hand start, then three timer starts, each 20 s after the one before.
    check "$f: every 20 s (OnUnitActiveSec=20s, AccuracySec=1s)" \
        awk -v s="$(echo $starts)" 'BEGIN { n = split(s, t, " "); if (n != 4) exit 1
            for (i = 2; i <= 4; i++) { d = t[i] - t[i-1]; if (d < 19.5 || d > 22.5) exit 1 } }'
    check "$f: a later run skips: the original script's \"change is too small\"" log_has "change is too small"
    show_log 4
}

# lever_killed: kill -9 of the daemon while a held episode's lever is on
# user.slice (memory_limit = on on v1; memory_high = on on v2, which also
# needs the target's memory.high in a drop-in, as docs/cgroup-v2.md says).
# The unit's ExecStopPost= (mon_memcg restore) puts the original back as soon
# as systemd sees the daemon gone, before its restart (RestartSec=5s). Then
# the lever is turned off again and the daemon restarted (its SIGTERM puts
# back what the restarted one set).
lever_killed() {
    local key file original pid restarts t0 ms at_restore was d=/run/systemd/system/mon_memcg-watch.service.d
    if [ "$hierarchy" = v1 ]; then key=memory_limit file=memory.limit_in_bytes; else key=memory_high file=memory.high; fi
    original=$(cat "$target/$file")
    # 192 MiB of page cache in user.slice while no daemon runs: the first
    # check of the one started below reclaims it (the node stays short:
    # available_threshold = 64G), and its held episode sets the lever first.
    # v2's memory.high is never set below anon + kernel memory + 128 MiB,
    # so the target must hold more than that. The earlier sessions' files
    # make room on the RAM disk.
    systemctl stop mon_memcg-watch.service
    rm -f /srv/disk/mmvm-session /srv/disk/mmvm-session2
    check "$f: user.slice holds 192 MiB of page cache (a third session's dd)" fill_user_slice mmvm-session3 192
    echo "$key = on" >> /etc/mon_memcg.conf
    mkdir -p "$d"
    [ "$hierarchy" = v1 ] || printf '[Service]\nReadWritePaths=-%s/memory.high\n' "$target" > "$d/mmvm-lever.conf"
    systemctl daemon-reload
    systemctl start mon_memcg-watch.service
    engaged() { [ "$(cat "$target/$file")" != "$original" ] && grep -q "^${key}_written " /run/mon_memcg/state; }
    check "$f: $key = on: a held episode set user.slice's $file (was $original)" wait_for 30 engaged
    was=no
    engaged && was=yes
    echo "  $file $(cat "$target/$file"); state: $(grep "^${key}_" /run/mon_memcg/state | tr '\n' ' ')"
    grep -F "$file" /var/log/mon_memcg.log | tail -n 3 | sed 's/^/  watch log: /'
    pid=$(prop mon_memcg-watch.service MainPID)
    restarts=$(prop mon_memcg-watch.service NRestarts)
    t0=$(date +%s%N)
    kill -KILL "$pid"
    restored() { [ "$(cat "$target/$file")" = "$original" ]; }
    wait_for 10 restored
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    at_restore=$(prop mon_memcg-watch.service NRestarts)
    echo "  kill -9 of $pid: $file $(cat "$target/$file") within $ms ms (polled every 200 ms), NRestarts $restarts -> $at_restore"
    check "$f: kill -9 of the daemon with the lever set: ExecStopPost= (mon_memcg restore) put $file back to $original, before the restart" \
        [ "$was/$(cat "$target/$file")/$at_restore" = "yes/$original/$restarts" ]
    check "$f: the log says so (mon_memcg restore, after the run that set it ended)" \
        log_has "$file restored to $original on $target (was .*, set by a held episode): mon_memcg restore, after the run that set it ended"
    check "$f: so does journalctl -u mon_memcg-watch.service" \
        eval 'journalctl -u mon_memcg-watch.service -o cat --no-pager | grep -q "^$file restored to $original .*: mon_memcg restore, after the run"'
    check "$f: the state file no longer records the lever" eval '! grep -q "^${key}_" /run/mon_memcg/state'
    restarted() { [ "$(prop mon_memcg-watch.service NRestarts)" -gt "$restarts" ] && [ "$(systemctl is-active mon_memcg-watch.service)" = active ]; }
    check "$f: systemd restarted the daemon after it (Restart=on-failure)" wait_for 30 restarted
    show_log 6
    sed -i "/^$key = on\$/d" /etc/mon_memcg.conf
    rm -f "$d/mmvm-lever.conf"
    rmdir "$d" 2>/dev/null
    systemctl daemon-reload
    systemctl restart mon_memcg-watch.service
    check "$f: with $key off again and the daemon restarted, $file is $original" restored
    systemctl stop mmvm-session3.service
    rm -f /srv/disk/mmvm-session3
}
