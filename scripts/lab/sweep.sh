#!/usr/bin/env bash
# The growth-rate sweep (issue 23): scenario 1 (active page cache growing
# at a steady rate) at several rates, each a run of scripts/lab/efficacy.sh
# into DIR/rate-R/, then one table of where each arm stops holding
# (scripts/lab/sweep_summary.py). Global thresh is --gap-gib below the
# start and each cell lasts long enough for the growth to reach 2 GiB past
# the tight eviction threshold, at least 8 s.
#
#   scripts/lab/sweep.sh [--out DIR] [--rates "50 200 800 2000"] [--reps N]
#                        [--arms none,watch,watch-deficit] [--gap-gib G]
#
# A rate the reader cannot reach is run as fast as it reads; the table's
# "measured" column is the none arm's own rate (1 GiB between global thresh
# and the tight eviction threshold, over the seconds it took). Root, cgroup
# v1, python3-matplotlib, the machine to itself (the lab changes the node:
# see scripts/lab/efficacy.sh). About 4 min per rate and arm at 2 reps.
set -euo pipefail
cd "$(dirname "$0")/../.."

out=docs/efficacy/sweep
rates="50 200 800 2000"
reps=2
arms=none,watch,watch-deficit
gap=1.5
while [ $# -gt 0 ]; do
    case $1 in
        --out) out=$2; shift ;;
        --rates) rates=$2; shift ;;
        --reps) reps=$2; shift ;;
        --arms) arms=$2; shift ;;
        --gap-gib) gap=$2; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "sweep.sh: unknown argument '$1' (see --help)" >&2; exit 64 ;;
    esac
    shift
done

if [ -z "${MON_MEMCG_BINARY:-}" ] && [ "$(id -u)" = 0 ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
    swift build -c release --static-swift-stdlib --product mon_memcg >/dev/null
    MON_MEMCG_BINARY=$(swift build -c release --static-swift-stdlib --show-bin-path)/mon_memcg
    export MON_MEMCG_BINARY
fi
mkdir -p "$out"
for rate in $rates; do
    # gap + 1 GiB (tight eviction) + 2 GiB past it, at this rate; at least 8 s.
    seconds=$(/usr/bin/python3 -c "print(max(8, round(($gap + 3) * 1024 / $rate)))")
    echo "sweep: $rate MiB/s for $seconds s ($arms, $reps reps)"
    scripts/lab/efficacy.sh --out "$out/rate-$rate" -- --scenarios s1 --arms "$arms" --reps "$reps" \
        --rate "$rate" --s1-seconds "$seconds" --gap-gib "$gap" --seed "2026120$((rate % 7))"
done
/usr/bin/python3 scripts/lab/sweep_summary.py "$out" | tee "$out/summary.md"
