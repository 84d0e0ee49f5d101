# old_upgrade_phase FORMAT: the upgrade an existing node makes, from a real
# earlier build (one that kept its state in /var/lib/mon_memcg) to this one
# (state in /run/mon_memcg). Sourced by guest-test.sh after package-phase.sh
# and /mmvm/package-FORMAT.sh; runs when run.sh put the earlier build in
# /mmvm/old (MMSD_OLD_REV or MMSD_OLD_RPM/MMSD_OLD_DEB). package_phase's own
# carry-over check reinstalls this build over a hand-written old state;
# this one lets the earlier build's own binary and units write it:
#   1. the timer's case: the earlier oneshot ran, no daemon; the upgrade
#      must carry its state file over byte for byte and remove the old
#      directory, and this build's oneshot must then run on it;
#   2. the daemon's case: the earlier daemon runs through the upgrade; the
#      scriptlet stops it before it copies the state (so that no save of it
#      lands in the old file after the copy) and starts it again, the
#      package restarts it on this build, with its state in /run, and the
#      old directory is gone.
# Starts and ends with no mon_memcg on the host.

old_upgrade_phase() {
    # shellcheck source=/dev/null
    . "/mmvm/package-$1.sh" || { not_ok "$1: /mmvm/package-$1.sh"; return; }
    local f="$pkg_format from the earlier build" out pid
    echo "MMVMSD phase $f on cgroup $hierarchy"

    # --- 1. no daemon: the earlier oneshot's state, carried by the upgrade --------
    old_install_configured || return
    check "$f: user.slice holds 64 MiB of page cache (a session's dd)" fill_user_slice mmvm-session 64
    systemctl start mon_memcg.service
    check "$f: the earlier build's oneshot ran: Result=success, status 0" \
        [ "$(prop mon_memcg.service Result)/$(prop mon_memcg.service ExecMainStatus)" = success/0 ]
    check "$f: the earlier build kept its state in /var/lib/mon_memcg/state, with last" grep -q '^last ' /var/lib/mon_memcg/state
    cp /var/lib/mon_memcg/state /tmp/mmvm-old-state 2>/dev/null
    sed 's/^/  earlier state: /' /tmp/mmvm-old-state 2>/dev/null
    out=$(pkg_upgrade)
    check "$f: the upgrade runs its scriptlets without error" [ $? = 0 ]
    [ -z "$out" ] || echo "$out" | sed "s/^/  $f: /"
    check "$f: this build is installed" pkg_is_upgrade
    check "$f: the upgrade carried the state to /run/mon_memcg/state byte for byte" cmp -s /tmp/mmvm-old-state /run/mon_memcg/state
    check "$f: the upgrade removed /var/lib/mon_memcg" [ ! -e /var/lib/mon_memcg ]
    check "$f: user.slice holds 64 MiB of page cache again" fill_user_slice mmvm-session2 64
    systemctl start mon_memcg.service
    check "$f: this build's oneshot ran on the carried state: Result=success, status 0" \
        [ "$(prop mon_memcg.service Result)/$(prop mon_memcg.service ExecMainStatus)" = success/0 ]
    check "$f: this build's oneshot replaced the carried state" eval '! cmp -s /tmp/mmvm-old-state /run/mon_memcg/state'
    show_log 6
    old_remove

    # --- 2. the earlier daemon running through the upgrade ----------------------
    old_install_configured || return
    check "$f: user.slice holds 64 MiB of page cache (a session's dd)" fill_user_slice mmvm-session 64
    systemctl start mon_memcg-watch.service
    old_saved() { grep -q '^last ' /var/lib/mon_memcg/state 2>/dev/null; }
    check "$f: the earlier daemon runs and saved its state in /var/lib/mon_memcg" wait_for 60 old_saved
    pid=$(prop mon_memcg-watch.service MainPID)
    out=$(pkg_upgrade)
    check "$f: the upgrade under the running daemon runs its scriptlets without error" [ $? = 0 ]
    [ -z "$out" ] || echo "$out" | sed "s/^/  $f: /"
    check "$f: the scriptlet stopped the earlier daemon before it copied the state, and started it again" \
        eval 'grep -qF "stopped mon_memcg-watch.service to carry its state from /var/lib/mon_memcg to /run/mon_memcg, and started it again" <<<"$out"'
    check "$f: the earlier daemon stopped on SIGTERM (its lever put back), not killed" \
        eval 'sed -n "/watch started (pid $pid)/,\$p" /var/log/mon_memcg.log | grep -q "watch stopped on SIGTERM"'
    restarted() { [ "$(prop mon_memcg-watch.service MainPID)" != "$pid" ] && [ "$(systemctl is-active mon_memcg-watch.service)" = active ]; }
    check "$f: the upgrade restarted the daemon on this build" wait_for 30 restarted
    echo "  after the upgrade: $(systemctl show -p NeedDaemonReload -p FragmentPath mon_memcg-watch.service | tr '\n' ' ')"
    check "$f: systemd runs the daemon from this build's unit (NeedDaemonReload=no)" \
        [ "$(prop mon_memcg-watch.service NeedDaemonReload)" = no ]
    # The %post's copy is in /run already: the daemon must save there
    # itself, which its unit allows only when systemd read this build's.
    cp /run/mon_memcg/state /tmp/mmvm-carried-state 2>/dev/null
    fill_user_slice mmvm-session2 64
    new_saved() { ! cmp -s /tmp/mmvm-carried-state /run/mon_memcg/state && grep -q '^last ' /run/mon_memcg/state; }
    check "$f: the restarted daemon reclaims and saves its state in /run/mon_memcg/state" wait_for 60 new_saved
    check "$f: the upgrade removed /var/lib/mon_memcg, and the daemon made nothing there" [ ! -e /var/lib/mon_memcg ]
    [ ! -e /var/lib/mon_memcg ] || ls -la --time-style=+%T /var/lib/mon_memcg | sed 's/^/  \/var\/lib\/mon_memcg: /'
    check "$f: mon_memcg status reads the daemon's state (exit 0)" eval 'mon_memcg status > /tmp/mmvm-status 2>&1'
    sed 's/^/  status: /' /tmp/mmvm-status | head -n 8
    check "$f: the restarted daemon logged no error" eval '[ -z "$(journalctl -u mon_memcg-watch.service -p err -o cat --no-pager _PID=$(prop mon_memcg-watch.service MainPID))" ]'
    show_log 6
    systemctl stop mon_memcg-watch.service
    old_remove
}

# Installs the earlier build with memory short for this small VM, as
# package_phase does. Fails the phase when the earlier build will not install.
old_install_configured() {
    local out
    out=$(pkg_install_old)
    check "$f: the earlier build installs" [ $? = 0 ] || { echo "$out" | sed "s/^/  $f: /"; return 1; }
    [ -z "$out" ] || echo "$out" | sed "s/^/  $f: /"
    check "$f: it is the earlier build (no RuntimeDirectory=mon_memcg in its units)" \
        eval '! grep -q "^RuntimeDirectory=mon_memcg" "$(systemctl show -p FragmentPath --value mon_memcg.service)"'
    printf '\n# mmvm test\navailable_threshold = 64G\ngrowth_threshold = 1M\n' >> /etc/mon_memcg.conf
}

# Removes the package with package_phase's checks (remove_and_check), and
# what this phase made beside it: the new default the upgrade set beside
# the edited configuration (mon_memcg.conf.rpmnew, .dpkg-dist) and its files.
old_remove() {
    remove_and_check
    rm -f /etc/mon_memcg.conf.rpmnew /etc/mon_memcg.conf.dpkg-old /etc/mon_memcg.conf.dpkg-dist \
        /tmp/mmvm-old-state /tmp/mmvm-carried-state /tmp/mmvm-status
}
