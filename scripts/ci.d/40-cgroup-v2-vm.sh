#!/usr/bin/env bash
# CI: cgroup v2 on a real kernel: boots Debian's kernel under QEMU (software
# emulation) and runs mon_memcg status/check/watch in it (scripts/vm/run.sh).
# 30-80 s of VM time plus the release build (30 s and 79 s measured with
# the memory_high kill rounds, on a quiet and a loaded host; about 10 s
# before them). Where QEMU or a kernel cannot
# be had (not x86_64, no apt) the step is skipped with the reason (exit 77),
# which fails CI unless .ci/run's ALLOWED_SKIPS lists it.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/ci/lib.sh
run_tap "cgroup v2 VM" scripts/vm/run.sh
finish
