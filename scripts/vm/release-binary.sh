#!/usr/bin/env bash
# Prints the path of the binary the VM tests put in the guest: MON_MEMCG_BINARY
# when set, else the release build the RPM ships (a fully static executable),
# built here with its log in OUT/build.log.
#
#   scripts/vm/release-binary.sh OUT
set -euo pipefail
out=${1:?usage: $0 OUT}
repo=$(cd "$(dirname "$0")/../.." && pwd)
if [ -n "${MON_MEMCG_BINARY:-}" ]; then
    echo "$MON_MEMCG_BINARY"
    exit 0
fi
echo "== swift build -c release -Xswiftc -static-executable" >&2
(cd "$repo" && swift build -c release -Xswiftc -static-executable --product mon_memcg >"$out/build.log" 2>&1) || { tail -n 30 "$out/build.log" >&2; exit 1; }
echo "$(cd "$repo" && swift build -c release -Xswiftc -static-executable --show-bin-path)/mon_memcg"
