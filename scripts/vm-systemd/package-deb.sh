# The .deb's side of package-phase.sh (the hooks are listed in
# package-rpm.sh): dpkg installs, upgrades, lists and purges mon-memcg.
# Sourced by package-phase.sh; the files are what scripts/vm-systemd/run.sh
# copies into the guest: the .deb scripts/build-deb.sh built, and the same
# package repacked as version …+mmvm2 for the upgrade.
pkg_format=deb
pkg_install() { dpkg -i /mmvm/mon-memcg.deb 2>&1; }
pkg_install_old() { dpkg -i /mmvm/old/mon-memcg.deb 2>&1; }
# --force-confold: the test edited /etc/mon_memcg.conf, as an operator
# would; an upgrade keeps it without asking (docs/packaging.md).
pkg_upgrade() { dpkg -i --force-confold /mmvm/mon-memcg-upgrade.deb 2>&1; }
pkg_is_upgrade() { [ "$(dpkg-query -W -f '${Version}' mon-memcg)" = "$(cat /mmvm/deb-upgrade-version)" ]; }
pkg_reinstall() { dpkg -i --force-confold /mmvm/mon-memcg-upgrade.deb 2>&1; }
pkg_version() { dpkg-query -W -f '${Package} ${Version}\n' mon-memcg; }
# dpkg -L lists the directories too (and /lib, a link to one on a merged
# /usr): the phase checks the files.
pkg_files() { dpkg -L mon-memcg | while read -r p; do [ -d "$p" ] || echo "$p"; done; }
# Purge, as an operator removing it for good does: postrm removes the state
# and the log, dpkg the conffiles (a plain remove keeps them, as dpkg does).
pkg_remove() { dpkg --purge mon-memcg 2>&1; }
pkg_not_installed() { ! dpkg-query -W -f '${Status}' mon-memcg 2>/dev/null | grep -q 'ok installed'; }
# Purged: nothing of the configuration is kept.
pkg_kept_config() { :; }
