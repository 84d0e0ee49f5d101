# What the QEMU guests of scripts/vm and scripts/vm-lab need from Debian,
# installed when missing and possible. Sourced, after the caller defines
# skip() (print the reason, exit 77):
#
#   . scripts/vm/needs.sh; vm_needs
#
# The install holds /run/lock/mon_memcg-vm-needs.lock: CI runs the two VM
# steps side by side on a fresh machine, and two apt-get runs at once fail
# on dpkg's lock instead of waiting for it.

# The newest kernel in /boot with its modules installed (the guest loads
# brd for its RAM disk).
newest_kernel() {
    local k v best=
    for k in /boot/vmlinuz-*; do
        [ -r "$k" ] || continue
        v=${k#/boot/vmlinuz-}
        [ -n "$(find "/lib/modules/$v/kernel/drivers/block" -name 'brd.ko*' 2>/dev/null | head -n 1)" ] || continue
        best=$(printf '%s\n%s\n' "$best" "$v" | sed '/^$/d' | sort -V | tail -n 1)
    done
    echo "$best"
}

vm_missing() {
    local m=()
    command -v qemu-system-x86_64 >/dev/null || m+=(qemu-system-x86)
    command -v busybox >/dev/null && file -L "$(command -v busybox)" | grep -q 'statically linked' || m+=(busybox-static)
    command -v mke2fs >/dev/null || m+=(e2fsprogs)
    command -v cpio >/dev/null || m+=(cpio)
    command -v file >/dev/null || m+=(file)
    [ -n "$(newest_kernel)" ] || m+=(linux-image-amd64)
    echo "${m[@]}"
}

vm_needs() {
    [ "$(uname -m)" = x86_64 ] || skip "needs an x86_64 host (uname -m: $(uname -m))"
    local need
    need=$(vm_missing)
    [ -n "$need" ] || return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        exec 9>/run/lock/mon_memcg-vm-needs.lock
        flock 9
        need=$(vm_missing)  # the other step may have installed them meanwhile
        if [ -n "$need" ]; then
            echo "installing: $need"
            apt-get update -q >/dev/null
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need >/dev/null \
                || skip "apt-get install $need failed"
        fi
        flock -u 9
        exec 9>&-
    fi
    need=$(vm_missing)
    [ -z "$need" ] || skip "missing $need (apt-get install $need as root)"
}
