#!/usr/bin/env bash
# The RPM on a real systemd host, on both cgroup hierarchies: boots Debian's
# kernel under QEMU (software emulation: KVM does not work on these
# machines) with a Debian 12 userland (mmdebstrap: systemd, rpm) as its
# initramfs and systemd as PID 1, once per hierarchy, the VMs side by side:
#   v1  systemd.unified_cgroup_hierarchy=0 (legacy: the v1 memory mount)
#   v2  systemd.unified_cgroup_hierarchy=1 (unified, systemd's default)
# and runs scripts/vm-systemd/guest-test.sh in each: per package format
# (package-phase.sh with package-rpm.sh) the install and its scriptlets,
# the oneshot reclaiming the real user.slice in its real sandbox, the
# daemon's Type=notify, sandbox, answer to a crossing, reload, upgrade and
# watchdog, the timer's schedule and cadence, removal leaving nothing behind.
#
#   scripts/vm-systemd/run.sh [RPM UPGRADE_RPM]
#
# Default: build the RPM with scripts/build-rpm.sh (MMSD_RPM=FILE with
# MMSD_SRPM=ITS_SRPM: that one), and an upgrade of it by
# rebuilding its SRPM with Release 1.mmvm2 (for rpm -U and %postun), then
# the .deb from scripts/build-deb.sh (MMVM_DEB=FILE: that one; MMVM_WITH_DEB=0: none),
# repacked one version up for its upgrade; the guest's root
# is made by mmdebstrap meanwhile. Each VM runs the RPM's phase, then the
# .deb's (package-phase.sh with package-rpm.sh, package-deb.sh).
#
# Environment: MMSD_OUT (work directory, default .build-vm-systemd/),
# MMSD_HIERARCHIES (default "v1 v2"), MMSD_TIMEOUT (seconds for one VM's
# boot and test, default 900: the v2 VM took 455 s with its soak phase on a loaded host), MMSD_MEM (MiB per guest, default 1536),
# MMSD_SMP (vCPUs per guest, default 1: two VMs fill the two cores),
# MMSD_SOAK_WRAPPER (a script the v2 VM's soak phase runs instead of the
# binary, to see it fail: soak-phase.sh).
# The upgrade from a real earlier build (old-upgrade-phase.sh; CI's step 50
# sets MMSD_OLD_REV=5f52752):
# MMSD_OLD_REV=COMMIT builds that commit's RPM and .deb with its own
# scripts/build-rpm.sh and scripts/build-deb.sh (a git worktree), or
# MMSD_OLD_RPM=FILE / MMSD_OLD_DEB=FILE give them; each VM then upgrades
# from them to this tree's build after the package phases.
# Exit status: 0 all passed, 1 a failure, 77 skipped (the reason is
# printed: not x86_64, not root, nothing installable).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
here=$repo/scripts/vm-systemd
out=${MMSD_OUT:-$repo/.build-vm-systemd}
timeout_s=${MMSD_TIMEOUT:-900}
mem=${MMSD_MEM:-1536}
smp=${MMSD_SMP:-1}
hierarchies=${MMSD_HIERARCHIES:-v1 v2}
mirror=${MMSD_MIRROR:-http://deb.debian.org/debian}
export PATH="/opt/swift/usr/bin:$PATH"
for h in $hierarchies; do
    case $h in v1|v2) ;; *) echo "MMSD_HIERARCHIES: '$h' is neither v1 nor v2" >&2; exit 1 ;; esac
done

skip() { echo "SKIP systemd VM test: $*"; exit 77; }
[ "$(uname -m)" = x86_64 ] || skip "needs an x86_64 host (uname -m: $(uname -m))"
[ "$(id -u)" = 0 ] || skip "needs root (mmdebstrap into a directory, device nodes)"

# The newest kernel with cgroup v1's memory controller: the v1 VM needs it,
# and from Linux 6.12 it is optional (CONFIG_MEMCG_V1; Debian's 6.12 has it
# off). Both VMs boot the same kernel, so one initramfs serves them.
v1_kernel() {
    local k v
    for k in $(ls /boot/vmlinuz-* 2>/dev/null | sort -rV); do
        v=${k#/boot/vmlinuz-}
        grep -q '^# CONFIG_MEMCG_V1 is not set' "/boot/config-$v" 2>/dev/null && continue
        echo "$k"
        return
    done
}
kernel=$(v1_kernel)
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
command -v cpio >/dev/null || need+=(cpio)
command -v rpmbuild >/dev/null || need+=(rpm)
# The .deb's phase (MMVM_WITH_DEB=0 leaves it out): scripts/build-deb.sh's tools.
with_deb=${MMVM_WITH_DEB:-1}
if [ "$with_deb" != 0 ]; then
    command -v dpkg-buildpackage >/dev/null || need+=(dpkg-dev)
    command -v dh >/dev/null || need+=(debhelper)
fi
[ -n "$kernel" ] || need+=(linux-image-amd64)
if [[ " $hierarchies " == *" v2 "* ]]; then  # the v2 DaemonSet run (as step 70 installs them)
    command -v umoci >/dev/null || need+=(umoci)
    command -v skopeo >/dev/null || need+=(skopeo)
    command -v runc >/dev/null || need+=(runc)
    command -v strip >/dev/null || need+=(binutils)
    command -v kubectl >/dev/null || need+=(kubectl)
    /usr/bin/python3 -c 'import yaml' 2>/dev/null || need+=(python3-yaml)
fi
if [ ${#need[@]} -gt 0 ]; then
    command -v apt-get >/dev/null || skip "missing ${need[*]} and no apt-get"
    echo "installing: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q "${need[@]}" >/dev/null || skip "apt-get install ${need[*]} failed"
    kernel=$(v1_kernel)
    [ -n "$kernel" ] || skip "no kernel with cgroup v1's memory controller in /boot after installing linux-image-amd64"
fi

rm -rf "$out"
mkdir -p "$out"

# The guests' root (one for both VMs): Debian 12, minbase plus systemd and
# rpm (python3 for the v2 VM's soak phase); no docs, man pages or locales (every byte is unpacked by an emulated
# CPU at boot). Made in the background while the RPMs build.
root=$out/root
t0=$(date +%s)
mmdebstrap --variant=minbase --include=systemd,systemd-sysv,init-system-helpers,rpm,logrotate,procps,e2fsprogs,kmod,python3 \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    bookworm "$root" "$mirror" > "$out/mmdebstrap.log" 2>&1 &
mmdebstrap_pid=$!
trap 'kill "$mmdebstrap_pid" 2>/dev/null || true' EXIT

rpm_file=${1:-${MMSD_RPM:-}}
upgrade_file=${2:-}
srpm=${MMSD_SRPM:-}
if [ -z "$rpm_file" ]; then
    echo "== scripts/build-rpm.sh"
    "$repo/scripts/build-rpm.sh" "$out/dist" > "$out/build-rpm.log" 2>&1 || { tail -n 40 "$out/build-rpm.log"; exit 1; }
    rpm_file=$(find "$out/dist" -name '*.rpm' ! -name '*.src.rpm' | head -n 1)
    srpm=$(find "$out/dist" -name '*.src.rpm' | head -n 1)
    echo "   built in $(( $(date +%s) - t0 )) s"
fi
if [ -z "$upgrade_file" ]; then
    [ -f "$srpm" ] || { echo "no SRPM to rebuild the upgrade from: with MMSD_RPM, set MMSD_SRPM to the SRPM it was built from" >&2; exit 1; }
    echo "== $(basename "$srpm") rebuilt as Release 1.mmvm2 (the upgrade)"
    t1=$(date +%s)
    macros=()
    [ -n "$(rpm --eval '%{?_unitdir}')" ] || macros=(--load "$repo/packaging/rpm/debian-compat.macros" --nodeps)
    mkdir -p "$out/rebuild/home"
    HOME=$out/rebuild/home rpmbuild --rebuild "${macros[@]}" --define "_topdir $out/rebuild" --define "dist .mmvm2" "$srpm" \
        > "$out/rebuild.log" 2>&1 || { tail -n 40 "$out/rebuild.log"; exit 1; }
    upgrade_file=$(find "$out/rebuild/RPMS" -name '*.rpm' | head -n 1)
    echo "   built in $(( $(date +%s) - t1 )) s"
fi
[ -f "$rpm_file" ] || { echo "no RPM at '$rpm_file'" >&2; exit 1; }
[ -f "$upgrade_file" ] || { echo "no upgrade RPM at '$upgrade_file'" >&2; exit 1; }

# The .deb from the same tree, and the same package repacked one version up
# for dpkg's upgrade (the binary is the same; what is tested is dpkg's
# handling of the conffile, the units and the scriptlets).
deb_file=${MMVM_DEB:-}
if [ "$with_deb" != 0 ]; then
    if [ -z "$deb_file" ]; then
        echo "== scripts/build-deb.sh"
        t1=$(date +%s)
        "$repo/scripts/build-deb.sh" "$out/dist-deb" > "$out/build-deb.log" 2>&1 || { tail -n 40 "$out/build-deb.log"; exit 1; }
        deb_file=$(find "$out/dist-deb" -name 'mon-memcg_*.deb' | head -n 1)
        echo "   built in $(( $(date +%s) - t1 )) s"
    fi
    [ -f "$deb_file" ] || { echo "no .deb at '$deb_file'" >&2; exit 1; }
    dpkg-deb -R "$deb_file" "$out/deb-upgrade"
    deb_upgrade_version="$(sed -n 's/^Version: //p' "$out/deb-upgrade/DEBIAN/control")+mmvm2"
    sed -i "s/^Version: .*/Version: $deb_upgrade_version/" "$out/deb-upgrade/DEBIAN/control"
    dpkg-deb -b "$out/deb-upgrade" "$out/deb-upgrade.deb" > /dev/null
fi

# The earlier build for old-upgrade-phase.sh: given, or built from
# MMSD_OLD_REV by that tree's own scripts.
old_rpm=${MMSD_OLD_RPM:-}
old_deb=${MMSD_OLD_DEB:-}
if [ -n "${MMSD_OLD_REV:-}" ]; then
    echo "== the earlier build: $MMSD_OLD_REV's scripts/build-rpm.sh and scripts/build-deb.sh"
    t1=$(date +%s)
    git -C "$repo" worktree add --detach "$out/old-src" "$MMSD_OLD_REV" > "$out/old-build.log" 2>&1 \
        || { tail -n 20 "$out/old-build.log"; exit 1; }
    old_built() {
        (cd "$out/old-src" && scripts/build-rpm.sh "$out/old-dist" && { [ "$with_deb" = 0 ] || scripts/build-deb.sh "$out/old-dist-deb"; })
    }
    old_built >> "$out/old-build.log" 2>&1 || { git -C "$repo" worktree remove --force "$out/old-src"; tail -n 40 "$out/old-build.log"; exit 1; }
    git -C "$repo" worktree remove --force "$out/old-src"
    old_rpm=$(find "$out/old-dist" -name '*.rpm' ! -name '*.src.rpm' | head -n 1)
    [ "$with_deb" = 0 ] || old_deb=$(find "$out/old-dist-deb" -name 'mon-memcg_*.deb' | head -n 1)
    echo "   $(basename "$old_rpm") ${old_deb:+and $(basename "$old_deb") }built in $(( $(date +%s) - t1 )) s"
fi
for f in $old_rpm $old_deb; do [ -f "$f" ] || { echo "no earlier build at '$f'" >&2; exit 1; }; done

# The DaemonSet's v2 variant for the v2 VM (k8s-phase.sh): the image as CI's
# step 70 builds it (scripts/build-image.sh from the static release binary),
# the manifest rendered with kubectl kustomize, and the runc bundle made from
# it by scripts/k8s-pod-to-oci.py, as step 70 does on the v1 host. The
# bundle is made here, under a staging root that becomes / in the guest:
# the DirectoryOrCreate hostPaths and the ConfigMap volume are made under
# it and their sources rewritten to the guest's own paths (the guest's
# k8s-phase.sh creates the hostPaths, as kubelet would). The thresholds make
# memory short in the small guest, as package-phase.sh's do.
k8s=
if [[ " $hierarchies " == *" v2 "* ]]; then
    echo "== the DaemonSet's v2 variant: image, rendered manifest, runc bundle"
    k8s=$out/k8s-stage
    command -v umoci >/dev/null && command -v skopeo >/dev/null && command -v runc >/dev/null && command -v kubectl >/dev/null \
        && /usr/bin/python3 -c 'import yaml' 2>/dev/null \
        || { echo "the v2 DaemonSet run needs umoci, skopeo, runc, kubectl and python3-yaml (scripts/ci.d/70-kubernetes.sh installs them)" >&2; exit 1; }
    swift build -c release -Xswiftc -static-executable --product mon_memcg > "$out/k8s-build.log" 2>&1 \
        || { tail -n 30 "$out/k8s-build.log"; exit 1; }
    "$repo/scripts/build-image.sh" "$(swift build -c release -Xswiftc -static-executable --show-bin-path)/mon_memcg" "$out/image" \
        > "$out/k8s-image.log" 2>&1 || { tail -n 30 "$out/k8s-image.log"; exit 1; }
    version=$(sed -n 's/^Version: *//p' "$repo/packaging/rpm/mon_memcg.spec")
    kubectl kustomize "$repo/deploy/kubernetes/cgroup-v2" > "$out/k8s-v2.yaml"
    skopeo inspect --config "oci:$out/image/oci:$version" > "$out/k8s-image-config.json"
    bundle=$k8s/mmvm/k8s/bundle
    mkdir -p "$k8s/mmvm/k8s"
    umoci unpack --image "$out/image/oci:$version" "$bundle" > /dev/null
    /usr/bin/python3 "$repo/scripts/k8s-pod-to-oci.py" bundle "$out/k8s-v2.yaml" --image-config "$out/k8s-image-config.json" \
        --bundle "$bundle" --cgroups-path /mon-memcg-k8s \
        --host-path "/run/mon_memcg=$k8s/run/mon_memcg" \
        --host-path "/var/lib/node_exporter/textfile_collector=$k8s/var/lib/node_exporter/textfile_collector" \
        --set available_threshold=64G --set growth_threshold=1M > "$k8s/mmvm/k8s/derived.txt"
    rm -r "$k8s/var" "$k8s/run"
    # The staging root's paths become the guest's; what kubectl exec runs:
    # the probe's process with status --json instead of alive.
    /usr/bin/python3 - "$bundle" "$k8s" <<'PY'
import json, sys
bundle, stage = sys.argv[1:]
spec = json.load(open(bundle + "/config.json"))
for m in spec["mounts"]:
    if m["source"].startswith(stage + "/"):
        m["source"] = m["source"][len(stage):]
# The guest's root is the initramfs, where pivot_root(2) fails, so runc runs
# with --no-pivot, which refuses a private root propagation: runc's default
# (rslave, which containerd leaves in place) instead.
assert spec["linux"].pop("rootfsPropagation") == "private"
json.dump(spec, open(bundle + "/config.json", "w"), indent=2)
p = json.load(open(bundle + "/probe.json"))
p["args"] = [p["args"][0], "status", "--json", "--config", p["args"][p["args"].index("--config") + 1]]
json.dump(p, open(bundle + "/../status-process.json", "w"), indent=2)
PY
    sed -i "s|$k8s||g" "$k8s/mmvm/k8s/derived.txt"
    # The image's own binary, for status on the guest host.
    install -m 0755 "$bundle/rootfs/usr/sbin/mon_memcg" "$k8s/mmvm/k8s/mon_memcg"
    install -m 0644 "$here/k8s-phase.sh" "$repo/scripts/lib/runc-container.sh" "$k8s/mmvm/k8s/"
    # Debian 12's runc (the guest's release) from this host's package.
    install -D -m 0755 "$(command -v runc)" "$k8s/usr/sbin/runc"
    sed 's/^/   /' "$k8s/mmvm/k8s/derived.txt"
fi

# Step 55's kill -9 loop and soak for the v2 VM (soak-phase.sh), beside
# /mmvm/k8s in the v2 VM's own archive: the scripts and the static release
# binary built above.
if [ -n "$k8s" ]; then
    mkdir -p "$k8s/mmvm/soak/scripts/lib"
    install -m 0755 "$repo/scripts/soak.sh" "$repo/scripts/kill-nine.sh" "$k8s/mmvm/soak/scripts/"
    install -m 0644 "$repo/scripts/lib/memcg_cgroups.py" "$k8s/mmvm/soak/scripts/lib/"
    install -m 0644 "$here/soak-phase.sh" "$k8s/mmvm/soak/"
    install -m 0755 "$(swift build -c release -Xswiftc -static-executable --show-bin-path)/mon_memcg" "$k8s/mmvm/soak/mon_memcg"
    # To see the phase fail: a wrapper run instead of the binary (it finds
    # the binary at /mmvm/soak/mon_memcg), e.g. one that breaks watch.
    if [ -n "${MMSD_SOAK_WRAPPER:-}" ]; then
        install -m 0755 "$MMSD_SOAK_WRAPPER" "$k8s/mmvm/soak/wrapper"
    fi
fi

echo "== mmdebstrap bookworm (systemd, rpm)"
wait "$mmdebstrap_pid" || { tail -n 30 "$out/mmdebstrap.log"; exit 1; }
trap - EXIT
echo "   $(du -sh "$root" | cut -f1), ready $(( $(date +%s) - t0 )) s after the start"

install -D -m 0644 "$rpm_file" "$root/mmvm/mon_memcg.rpm"
install -D -m 0644 "$upgrade_file" "$root/mmvm/mon_memcg-upgrade.rpm"
formats=rpm
if [ -n "$deb_file" ]; then
    install -D -m 0644 "$deb_file" "$root/mmvm/mon-memcg.deb"
    install -D -m 0644 "$out/deb-upgrade.deb" "$root/mmvm/mon-memcg-upgrade.deb"
    echo "$deb_upgrade_version" > "$root/mmvm/deb-upgrade-version"
    formats="rpm deb"
fi
# A RAM block device with ext4 for the sessions' page cache: the root here
# is the initramfs (tmpfs), whose pages no reclaim can free.
kver=${kernel#/boot/vmlinuz-}
"$repo/scripts/vm/copy-modules.sh" "$kver" "$root/mmvm/modules" brd crc16 mbcache jbd2 crc32c_generic ext4
install -D -m 0755 "$here/guest-test.sh" "$root/mmvm/guest-test.sh"
install -m 0644 "$here/guest-lib.sh" "$here/package-phase.sh" "$here/package-rpm.sh" "$here/package-deb.sh" \
    "$here/old-upgrade-phase.sh" "$root/mmvm/"
# The earlier build, for the upgrade from it (old-upgrade-phase.sh).
# /mmvm/old/formats lists the formats it has, for guest-test.sh.
[ -z "$old_rpm" ] || { install -D -m 0644 "$old_rpm" "$root/mmvm/old/mon_memcg.rpm" && echo rpm >> "$root/mmvm/old/formats"; }
[ -z "$old_deb" ] || [ -z "$deb_file" ] || { install -D -m 0644 "$old_deb" "$root/mmvm/old/mon-memcg.deb" && echo deb >> "$root/mmvm/old/formats"; }
# The package formats the guest installs, one phase each, in this order
# (a format adds its package-FORMAT.sh and its files in /mmvm).
echo "$formats" > "$root/mmvm/formats"
cat > "$root/etc/systemd/system/mmvm-test.service" <<'UNIT'
[Unit]
Description=mon_memcg systemd VM test
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/mmvm/guest-test.sh
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
[Install]
WantedBy=multi-user.target
UNIT
ln -s /etc/systemd/system/mmvm-test.service "$root/etc/systemd/system/multi-user.target.wants/mmvm-test.service"
# No login prompt on the console the test writes to.
ln -sf /dev/null "$root/etc/systemd/system/serial-getty@ttyS0.service"
ln -sf /dev/null "$root/etc/systemd/system/getty@tty1.service"
echo mmvm > "$root/etc/hostname"

echo "== initramfs (cpio)"
(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) > "$out/initramfs.cpio"
echo "   $(du -h "$out/initramfs.cpio" | cut -f1)"
if [ -n "$k8s" ]; then
    # The v2 VM's initramfs: the same archive with a second one appended
    # (the kernel unpacks both), holding only /mmvm/k8s, /mmvm/soak and runc, so the v1
    # VM boots exactly what it did before.
    (cd "$k8s" && find ./mmvm/k8s ./mmvm/soak ./usr/sbin/runc -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) > "$out/k8s.cpio"
    cat "$out/initramfs.cpio" "$out/k8s.cpio" > "$out/initramfs-v2.cpio"
    echo "   v2: + $(du -h "$out/k8s.cpio" | cut -f1) (/mmvm/k8s, /mmvm/soak, runc)"
fi

# One VM per hierarchy, side by side, each with its own console log; the
# hierarchy is the only difference (the kernel command line).
boot() {  # boot HIERARCHY: boots, tests and powers off one VM
    local h=$1 unified=0 started status initramfs=$out/initramfs.cpio
    [ "$h" = v2 ] && unified=1
    [ -f "$out/initramfs-$h.cpio" ] && initramfs=$out/initramfs-$h.cpio
    started=$(date +%s)
    set +e
    # The console comes without carriage returns and the terminal resets systemd writes to the tty.
    "$repo/scripts/vm/boot.sh" "$out/console-$h.log" "$timeout_s" "$mem" "$smp" "$kernel" "$initramfs" \
        "console=ttyS0 rdinit=/sbin/init systemd.unified_cgroup_hierarchy=$unified mmvm.hierarchy=$h systemd.show_status=0 quiet loglevel=3 panic=-1"
    status=$?
    set -e
    echo "$(( $(date +%s) - started )) $status" > "$out/time-$h"
}
echo "== booting $kernel with systemd, one VM per hierarchy, side by side: $hierarchies (tcg, $smp vCPU and $mem MiB each, timeout $timeout_s s)"
started=$(date +%s)
pids=()
for h in $hierarchies; do boot "$h" & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done
echo "   all VMs done in $(( $(date +%s) - started )) s"

result=0
for h in $hierarchies; do
    console=$out/console-$h.log
    read -r took qemu_status < "$out/time-$h"
    echo
    echo "== VM $h (cgroup $h): boot+test took $took s (qemu status $qemu_status); console: $console"
    # Each check is named after its VM's hierarchy, so the VMs' checks are distinct.
    grep -E '^(ok|not ok) - |^  |^MMVMSD' "$console" | sed -E "s/^(ok|not ok) - /\1 - $h: /" || true
    done_line=$(grep '^MMVMSD-DONE ' "$console" | tail -n 1 || true)
    if [ -z "$done_line" ]; then
        echo "not ok - $h: the guest did not finish its test (no MMVMSD-DONE)"
        tail -n 60 "$console"
        result=1
        continue
    fi
    passed=$(sed 's/.*passed=\([0-9]*\).*/\1/' <<<"$done_line")
    failed=$(sed 's/.*failed=\([0-9]*\).*/\1/' <<<"$done_line")
    echo "systemd-vm $h: $passed passed, $failed failed in $took s"
    [ "$failed" = 0 ] && [ "$passed" -gt 0 ] || result=1
done
exit $result
