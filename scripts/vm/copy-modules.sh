#!/usr/bin/env bash
# Copies kernel modules out of /lib/modules/KERNEL_VERSION into DEST_DIR as
# plain MODULE.ko files (.ko.xz / .ko.zst / .ko.gz unpacked), for a guest
# to insmod in the order it chooses. Used by both VM tests.
#
#   copy-modules.sh KERNEL_VERSION DEST_DIR MODULE...
set -euo pipefail
kver=$1
dest=$2
shift 2
moddir=/lib/modules/$kver
mkdir -p "$dest"
for m in "$@"; do
    path=$(find "$moddir/kernel" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" -o -name "$m.ko.gz" | head -n 1)
    [ -n "$path" ] || { echo "module $m not found under $moddir" >&2; exit 1; }
    case $path in
        *.xz) xz -dc "$path" > "$dest/$m.ko" ;;
        *.zst) zstd -qdc "$path" > "$dest/$m.ko" ;;
        *.gz) gzip -dc "$path" > "$dest/$m.ko" ;;
        *) cp "$path" "$dest/$m.ko" ;;
    esac
done
