#!/usr/bin/env bash
# The efficacy lab: would-be pod evictions, on the real kernel, in the
# original design's three test scenarios and a burst, under up to twelve
# arms (no agent; the original script every 20 s and every 60-80 s;
# mon_memcg check every 20 s; mon_memcg watch, as shipped, with
# reclaim_amount = deficit, with memory_limit = on, with both, with both
# and reclaim_margin = 1G, and as shipped and with both with its state file
# on the lab's disk instead of a tmpfs; a drop_caches flusher every 20 s). See
# docs/efficacy.md.
#
#   scripts/lab/efficacy.sh            the first full lab (about 50 min): scenarios
#                                      1-3 x 6 arms x 3 repetitions, arms in random
#                                      order; the report goes to docs/efficacy/
#   scripts/lab/efficacy.sh --quick    scenarios 1 and 4 (the burst), none and
#                                      watch, once each (about 3 min); fails if
#                                      watch lets kubelet see an eviction, or
#                                      if none saw none (CI)
#   scripts/lab/efficacy.sh [--out DIR] [-- EFFICACY.PY OPTIONS]
#                                      e.g. -- --scenarios s4 --thresholds tight,shipped
#                                      --arms none,watch,watch-deficit --reps 10
#                                      or -- --dirty-bytes 256M:64M: the node's dirty
#                                      limits for the run, put back at its end
#
# It changes the node: memory pressure, and /proc/sys/vm/drop_caches (the
# flusher arm and mon_memcg's dying-cgroup escalation drop the page cache of
# every workload). It runs only when started by hand or by CI, never from
# swift test. Needs root, the cgroup v1 memory controller at
# /sys/fs/cgroup/memory, Debian's python3-matplotlib, and a machine whose
# memory fits the scenarios (it refuses, saying why, where they do not).
# MON_MEMCG_BINARY names the binary; by default it builds the release one.
# A change against its baseline in one run: the arms watch-base and
# watch-limit-deficit-base run the build given after the "--" as
# --base-binary PATH, interleaved with the others.
set -euo pipefail
cd "$(dirname "$0")/../.."

quick=false
out=docs/efficacy
extra=()
while [ $# -gt 0 ]; do
    case $1 in
        --quick) quick=true ;;
        --out) out=$2; shift ;;
        --) shift; extra=("$@"); break ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "efficacy.sh: unknown argument '$1' (see --help)" >&2; exit 64 ;;
    esac
    shift
done

if [ "$(id -u)" != 0 ]; then
    echo "SKIP efficacy lab: needs root (it creates mon_memcg-test-* cgroups and writes drop_caches)"; exit 77
fi
if [ ! -e /sys/fs/cgroup/memory/memory.force_empty ]; then
    echo "SKIP efficacy lab: needs a cgroup v1 memory controller at /sys/fs/cgroup/memory"; exit 77
fi
# Debian's interpreter and packages, not whichever python3 comes first.
py=/usr/bin/python3
if ! $py -c 'import matplotlib' 2>/dev/null; then
    echo "efficacy lab: $py cannot import matplotlib (apt-get install -y python3-matplotlib)" >&2; exit 1
fi

bin=${MON_MEMCG_BINARY:-}
if [ -z "$bin" ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
    swift build -c release --static-swift-stdlib --product mon_memcg >/dev/null
    bin=$(swift build -c release --static-swift-stdlib --show-bin-path)/mon_memcg
fi

# On disk (not tmpfs): the scenarios' page cache must be the reclaimable
# kind a node's is.
work=$(mktemp -d /var/tmp/mon_memcg-lab.XXXXXX)
raw=$(mktemp -d /var/tmp/mon_memcg-lab-raw.XXXXXX)
trap 'rm -rf "$work" "$raw"' EXIT

if $quick; then
    $py scripts/lab/efficacy.py --binary "$bin" --out "$raw" --work "$work" \
        --reps 1 --scenarios s1,s4 --arms none,watch --s1-seconds 32 --gap-gib 3 --settle 1 "${extra[@]+"${extra[@]}"}"
    $py scripts/lab/report.py "$raw" --check-quick
    exit $?
fi
# A run takes up to hours: whatever stops it or its report keeps what it
# measured, beside the output, to report again.
keep_raw() {
    mkdir -p "$out"
    rm -rf "$out/raw-unreported"
    cp -a "$raw" "$out/raw-unreported"
    echo "efficacy lab: $1; the cells measured are kept in $out/raw-unreported" \
         "(scripts/lab/report.py $out/raw-unreported $out reports them)" >&2
    exit 1
}
$py scripts/lab/efficacy.py --binary "$bin" --out "$raw" --work "$work" "${extra[@]+"${extra[@]}"}" \
    || keep_raw "the run stopped (exit $?)"
$py scripts/lab/report.py "$raw" "$out" || keep_raw "the report failed (exit $?)"
