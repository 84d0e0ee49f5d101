# The RPM's side of package-phase.sh: how this format installs, upgrades,
# lists and removes mon_memcg. Sourced by package-phase.sh; the files are
# what scripts/vm-systemd/run.sh copies into the guest.
#
# A format file defines (a .deb would add package-deb.sh with the same names):
#   pkg_format               the word in the check names
#   pkg_install              install the first build; its output on stdout
#   pkg_install_old          install the earlier build in /mmvm/old (old-upgrade-phase.sh)
#   pkg_upgrade              install the second build over the first
#   pkg_is_upgrade           true when the second build is what is installed
#   pkg_reinstall            install the second build again over itself (its
#                            scriptlets run as in an upgrade)
#   pkg_version              the installed version, for the log
#   pkg_files                every path the package owns, one a line
#   pkg_remove               remove it as an operator would
#   pkg_not_installed        true when the package database no longer has it
#   pkg_kept_config          what removal keeps of the edited configuration
#                            (a path, or nothing); the phase deletes it after
#                            checking, so the next phase starts from nothing
pkg_format=rpm
# (--nodeps: Debian's rpm database is empty; Debian's rpm also tells on
# stderr that alien is the usual way, which is not shown.)
rpm_quiet() { grep -v -e 'use Alien' -e 'know what you are doing' || true; }
pkg_install() { rpm -i --nodeps /mmvm/mon_memcg.rpm 2>&1 | rpm_quiet; return "${PIPESTATUS[0]}"; }
pkg_install_old() { rpm -i --nodeps /mmvm/old/mon_memcg.rpm 2>&1 | rpm_quiet; return "${PIPESTATUS[0]}"; }
pkg_upgrade() { rpm -U --nodeps /mmvm/mon_memcg-upgrade.rpm 2>&1 | rpm_quiet; return "${PIPESTATUS[0]}"; }
pkg_is_upgrade() { [ "$(rpm -q --qf '%{RELEASE}' mon_memcg)" = 1.mmvm2 ]; }
pkg_reinstall() { rpm -U --replacepkgs --nodeps /mmvm/mon_memcg-upgrade.rpm 2>&1 | rpm_quiet; return "${PIPESTATUS[0]}"; }
pkg_version() { rpm -q mon_memcg; }
pkg_files() { rpm -ql mon_memcg; }
# On EL the systemd package's file trigger reloads systemd after a package
# removed unit files (the spec's %postun does not; debian-compat.macros
# follow EL8); Debian's rpm has no such trigger, so it is done here.
pkg_remove() {
    local status
    rpm -e mon_memcg 2>&1 | rpm_quiet
    status=${PIPESTATUS[0]}
    systemctl daemon-reload
    return "$status"
}
pkg_not_installed() { ! rpm -q mon_memcg >/dev/null 2>&1; }
# %config(noreplace), edited: rpm -e keeps it as .rpmsave.
pkg_kept_config() { echo /etc/mon_memcg.conf.rpmsave; }
