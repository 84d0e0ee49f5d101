#!/bin/busybox sh
# /init of the cgroup v2 test VM (PID 1 inside the guest). Sets up what a
# unified-hierarchy node has (proc, sys, cgroup2 with the memory controller
# enabled for children) plus a real block-backed file system, because page
# cache on tmpfs or the initramfs cannot be reclaimed without swap. Then runs
# /guest-test.sh and powers off. Every line meant for the host starts with
# "MMVM"; the host reads the serial console.
/bin/busybox --install -s /bin
export PATH=/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mkdir -p /sys/fs/cgroup
mount -t cgroup2 cgroup2 /sys/fs/cgroup
echo "+memory" > /sys/fs/cgroup/cgroup.subtree_control
echo  # the firmware leaves escape sequences on the console's current line
echo "MMVM kernel $(uname -r)"
echo "MMVM uptime-at-init $(cut -d' ' -f1 /proc/uptime)"

# Block devices and ext4 are modules in Debian's kernel; dependency order.
for m in crc16 mbcache jbd2 crc32c_generic ext4; do
    insmod /modules/$m.ko || echo "MMVM error insmod $m"
done
insmod /modules/brd.ko rd_size=${MMVM_RD_KB:-262144} || echo "MMVM error insmod brd"
# The ext2 image made on the host comes as its non-zero 4 KiB blocks plus a
# map ("first-block count" per run): a fresh RAM disk reads as zeros, so
# writing the rest would only spend seconds of emulated CPU and pin
# hundreds of MiB of guest memory in brd.
zcat /ext2-blocks.gz > /tmp/ext2-blocks || echo "MMVM error unpacking the ext2 image"
src=0
while read -r first count; do
    dd if=/tmp/ext2-blocks of=/dev/ram0 bs=4096 skip=$src seek=$first count=$count conv=notrunc 2>/dev/null \
        || echo "MMVM error writing blocks $first+$count to /dev/ram0"
    src=$((src + count))
done < /ext2-blocks.map
rm -f /tmp/ext2-blocks
mount -t ext2 /dev/ram0 /mnt || echo "MMVM error mount /dev/ram0"
# The block device's own page cache belongs to the root cgroup; drop it so
# the node starts clean.
sync; echo 3 > /proc/sys/vm/drop_caches

sh /guest-test.sh
echo "MMVM guest-test-exit $?"
echo "MMVM uptime-at-end $(cut -d' ' -f1 /proc/uptime)"
echo "MMVM-DONE"
umount /mnt 2>/dev/null
poweroff -f
