#!/usr/bin/env bash
# CI: the efficacy lab's quick mode on cgroup v2 (scripts/vm-lab/run.sh):
# Debian's newest installed kernel under QEMU/TCG, scenario 1 scaled to the
# guest (320 MiB of active page cache in 16 MiB steps), once with no agent
# and once under `mon_memcg watch`. Fails when the no-agent cell never takes
# kubelet's available (v2 formula) below the eviction threshold, or when
# watch lets it go below. About 90 s of VM time (83 s measured) plus the
# release build. Skips (exit 77) where QEMU or a kernel cannot be had.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/ci/lib.sh
run_tap "efficacy v2 VM (quick)" scripts/vm-lab/run.sh
finish
