#!/usr/bin/env bash
# CI: the efficacy lab's quick mode on cgroup v2 (scripts/vm-lab/run.sh):
# Debian's newest installed kernel under QEMU/TCG, scenario 1 scaled to the
# guest (320 MiB of active page cache in 16 MiB steps), once with no agent
# and once under `mon_memcg watch`. Fails when the no-agent cell never takes
# kubelet's available (v2 formula) below the eviction threshold, or when
# watch lets it go below. Measured: `CI=true MON_MEMCG_BINARY=<static
# release binary> bash .ci/run 66` took 118 s (112 s of it the VM) on the
# shared 2-core machine; without MON_MEMCG_BINARY add the release build
# (the same one steps 25 and 40 build, so incremental by then). Skips
# (exit 77) where QEMU or a kernel cannot be had.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/ci/lib.sh
run_tap "efficacy v2 VM (quick)" scripts/vm-lab/run.sh
finish
