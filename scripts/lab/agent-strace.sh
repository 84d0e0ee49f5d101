#!/bin/sh
# The lab's agent under strace, to see which system calls it waits in:
# every call's wall-clock start and duration (-tt -T), one file per agent
# process in $MON_MEMCG_STRACE_DIR. Give this script as the lab's binary:
#
#   MON_MEMCG_STRACE_BINARY=.build/release/mon_memcg MON_MEMCG_STRACE_DIR=/tmp/strace \
#   MON_MEMCG_BINARY=scripts/lab/agent-strace.sh scripts/lab/efficacy.sh --out /tmp/lab-strace -- \
#       --scenarios s3 --thresholds tight --arms watch-limit-deficit --reps 2 --seed 20261210
#   /usr/bin/python3 scripts/lab/syscall_time.py /tmp/strace/*.txt
#
# strace stops the agent at each traced call, so cells run this way time
# the calls, not the agent's holding: their seconds below are not
# comparable with a lab run's.
set -eu
: "${MON_MEMCG_STRACE_BINARY:?the mon_memcg binary to trace}"
: "${MON_MEMCG_STRACE_DIR:?a directory for the traces}"
mkdir -p "$MON_MEMCG_STRACE_DIR"
exec strace -f -tt -T -o "$MON_MEMCG_STRACE_DIR/agent.$$.txt" \
    -e trace=fsync,fdatasync,write,pwrite64,openat,rename,renameat,renameat2,read \
    "$MON_MEMCG_STRACE_BINARY" "$@"
