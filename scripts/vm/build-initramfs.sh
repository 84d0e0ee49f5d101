#!/usr/bin/env bash
# Builds the cgroup v2 test VM's initramfs, uncompressed (the kernel reads a
# plain newc cpio; skipping gzip saves seconds of emulated decompression).
#
#   build-initramfs.sh OUT_DIR MON_MEMCG_BINARY KERNEL_VERSION
#
# Contents: /init (guest-init.sh), /guest-test.sh, static busybox, the
# mon_memcg binary (with the shared libraries ldd names, if it is not
# the static executable the RPM ships), the modules for a
# RAM block device and ext2 (from /lib/modules/KERNEL_VERSION, decompressed
# here), and an empty ext2 image (its non-zero blocks, gzipped, and their
# map) that the guest writes onto /dev/ram0.
set -euo pipefail
out=$1
binary=$2
kver=$3
here=$(cd "$(dirname "$0")" && pwd)
stage=$out/initramfs

rm -rf "$stage"
mkdir -p "$stage"/{bin,usr/sbin,proc,sys,dev,mnt,tmp,modules,etc}

busybox=$(command -v busybox)
file -L "$busybox" | grep -q 'statically linked' || { echo "$busybox is not static (apt-get install busybox-static)" >&2; exit 1; }
cp "$busybox" "$stage/bin/busybox"

# The binary, stripped (symbols are a third of a static-stdlib binary and
# every byte is read by an emulated CPU), and its loader and libraries if
# it has any (ldd fails on a static executable: nothing to copy then).
strip -o "$stage/usr/sbin/mon_memcg" "$binary" 2>/dev/null || cp "$binary" "$stage/usr/sbin/mon_memcg"
chmod 755 "$stage/usr/sbin/mon_memcg"
{ ldd "$binary" 2>/dev/null || true; } | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | while read -r lib; do
    mkdir -p "$stage$(dirname "$lib")"
    cp -L "$lib" "$stage$lib"
done

# Modules the guest loads (in its own order), unpacked here.
"$here/copy-modules.sh" "$kver" "$stage/modules" brd crc16 mbcache jbd2 crc32c_generic ext4

# An empty ext2 file system the size of the RAM disk (Debian's busybox
# has no mkfs.ext2), 4 KiB blocks. Only its non-zero blocks are shipped,
# with a map of where they go: the guest's fresh RAM disk reads as zeros.
image=$out/ext2.img
rm -f "$image"
mke2fs -q -F -t ext2 -b 4096 -m 0 "$image" "${MMVM_RD_KB:-262144}k"
# cmp -l prints the 1-based offset of every non-zero byte; it ends with
# "EOF on ext2.img" (status 1) because /dev/zero never ends.
{ cmp -l "$image" /dev/zero 2>/dev/null || true; } \
    | awk '{ b = int(($1 - 1) / 4096); if (NR == 1 || b != last) { print b; last = b } }' \
    | awk 'NR == 1 { first = $1; n = 1; prev = $1; next }
           $1 == prev + 1 { n++; prev = $1; next }
           { print first, n; first = $1; n = 1; prev = $1 }
           END { if (NR) print first, n }' > "$stage/ext2-blocks.map"
[ -s "$stage/ext2-blocks.map" ] || { echo "no non-zero blocks found in $image" >&2; exit 1; }
: > "$out/ext2-blocks"
while read -r first count; do
    dd if="$image" bs=4096 skip="$first" count="$count" status=none >> "$out/ext2-blocks"
done < "$stage/ext2-blocks.map"
gzip -9c "$out/ext2-blocks" > "$stage/ext2-blocks.gz"
rm -f "$image" "$out/ext2-blocks"

cp "$here/guest-init.sh" "$stage/init"
# MMVM_GUEST_SCRIPT: another script in the test's place (the benchmark,
# scripts/vm/bench-v2-reclaim.sh); /init runs it as /guest-test.sh.
cp "${MMVM_GUEST_SCRIPT:-$here/guest-test.sh}" "$stage/guest-test.sh"
chmod 755 "$stage/init" "$stage/guest-test.sh"

(cd "$stage" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet --owner 0:0) > "$out/initramfs.cpio"
echo "initramfs: $(du -h "$out/initramfs.cpio" | cut -f1) ($(ls "$stage/modules" | tr '\n' ' '), libs: $(cd "$stage" && find lib* -type f 2>/dev/null | tr '\n' ' '))"
