#!/usr/bin/python3
"""Where a traced agent waited: for each `strace -tt -T` file
(scripts/lab/agent-strace.sh), each system call's count, total, median
and longest duration, the longest total first. Writes to a cgroup's
memory.force_empty or memory.limit_in_bytes are counted apart from other
writes: they are the reclaim itself, not a wait.

    /usr/bin/python3 scripts/lab/syscall_time.py TRACE..."""
import re
import sys

CALL = re.compile(r"^\d+\s+\S+\s+(?:<\.\.\. )?(\w+)")
TOOK = re.compile(r"<([0-9.]+)>$")
FD = re.compile(r"^\d+\s+\S+\s+(?:<\.\.\. )?\w+\((\d+)")
OPEN = re.compile(r'openat\([^,]+, "([^"]+)".*= (\d+)')


def summary(path):
    """{name: [seconds]} for one trace. A write is named after the file
    its descriptor was last opened on when that is a reclaim file. The
    agent is one process, so descriptors are keyed alone; a write another
    thread's call interrupted in the trace (`<unfinished ...>`, then
    `<... write resumed>`) takes its descriptor from the unfinished line."""
    files = {}    # fd -> path, from the openat lines
    pending = {}  # thread id -> fd of its unfinished write
    times = {}
    for line in open(path):
        tid = line.split(None, 1)[0]
        opened = OPEN.search(line)
        if opened:
            files[opened.group(2)] = opened.group(1)
        call, took, fd = CALL.match(line), TOOK.search(line), FD.match(line)
        if call and call.group(1) == "write" and fd and line.rstrip().endswith("<unfinished ...>"):
            pending[tid] = fd.group(1)
        if not call or not took:
            continue
        name = call.group(1)
        if name == "write":
            target = files.get(pending.pop(tid, "") if "resumed" in line else (fd.group(1) if fd else ""), "")
            if target.endswith(("memory.force_empty", "memory.limit_in_bytes", "memory.reclaim")):
                name = "write " + target.rsplit("/", 1)[1]
        times.setdefault(name, []).append(float(took.group(1)))
    return times


def main(paths):
    for path in paths:
        print(path)
        for name, took in sorted(summary(path).items(), key=lambda kv: -sum(kv[1])):
            took.sort()
            print(f"  {name:48} {len(took):5d} calls  total {sum(took):7.2f} s  "
                  f"median {took[len(took) // 2] * 1000:8.2f} ms  longest {took[-1] * 1000:8.1f} ms")


if __name__ == "__main__":
    main(sys.argv[1:])
