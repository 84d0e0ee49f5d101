#!/usr/bin/env bash
# CI: the efficacy lab's quick mode on cgroup v2 (scripts/vm-lab/run.sh):
# Debian's newest installed kernel under QEMU/TCG, one boot, six cells:
# scenario 1 (320 MiB of active page cache in 16 MiB steps), scenario 3
# (six dying cgroups of 16 MiB, then 8 busy writers) and scenario 4 (a
# burst of 192 MiB of active page cache from 32 MiB above global thresh),
# each once with no agent and once under `mon_memcg watch`. Fails when a
# no-agent cell never takes kubelet's available (v2 formula) below the
# eviction threshold (the scenario proved nothing), when scenario 3 left no
# dying cgroup or scenario 4's burst did not finish, when watch lets
# scenario 1, 3 or 4 go below the eviction threshold at all, or when watch
# in scenario 3 never reclaims (scripts/vm-lab/summary.py check(); its
# unit tests run first). The step's
# time is in docs/efficacy.md "cgroup v2". Skips (exit 77) where QEMU or a
# kernel cannot be had.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/ci/lib.sh

unit_log=$(mktemp "${TMPDIR:-/tmp}/mon_memcg-ci-vm-lab-unit.XXXXXX")
if /usr/bin/python3 -m unittest discover -s scripts/vm-lab -p 'test_*.py' > "$unit_log" 2>&1; then
    ok "v2 lab numbers and quick check ($(grep -o 'Ran [0-9]* tests' "$unit_log"))"
else
    cat "$unit_log"; check_failed "v2 lab numbers and quick check" "unittest failed (output above)"
fi
rm -f "$unit_log"

export MMVM_CELLS=${MMVM_CELLS:-s1:none,s1:watch,s3:none,s3:watch,s4:none,s4:watch}
run_tap "efficacy v2 VM (quick)" scripts/vm-lab/run.sh
finish
