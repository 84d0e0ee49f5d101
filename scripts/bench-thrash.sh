#!/usr/bin/env bash
# How fast `mon_memcg watch` starts a reclaim when the node thrashes, with
# its memory locked (the default) and unlocked (MON_MEMCG_LOCK_MEMORY=0),
# trials interleaved at random in one run. Root, cgroup v1.
#
#   scripts/bench-thrash.sh [BINARY] [TRIALS_PER_ARM]
#
# The thrash: the daemon runs inside a mon_memcg-test-thrash-* cgroup limited
# to LIMIT (96 MiB) where a reader streams a 768 MiB file over and over, so
# the cgroup's reclaim keeps evicting file pages, the daemon's unlocked code
# among them; a process holding LIMIT - 28 MiB of anonymous memory leaves
# the file pages little room. (The host itself is not put under pressure: the machine is
# shared.) Before each trial the binary is evicted from the page cache
# (posix_fadvise DONTNEED; never drop_caches).
#
# The node the daemon watches is a fixture tree (meminfo, root and target
# memory.stat) so the crossing happens when this script says: it renames a
# short root usage into place. The target's memory.force_empty is a FIFO:
# the instant the daemon opens it for writing is the reclaim start.
#   crossing -> reclaim   rename to FIFO open (includes the wait for the
#                         next poll: poll_interval 2 s, uniform)
#   wake -> reclaim       the daemon's own wake-up (MON_MEMCG_TRACE) to the
#                         FIFO open: the work a page fault slows down
#   major faults          the daemon's majflt during the trial (/proc/PID/stat)
# Everything it creates is removed at the end, also on error or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release/mon_memcg}
trials=${2:-12}

PYTHONPATH=scripts/lib exec /usr/bin/python3 - "$bin" "$trials" <<'PY'
import os, random, signal, statistics, subprocess, sys, tempfile, threading, time, shutil
import memcg_cgroups as cgroups

BIN, TRIALS = os.path.realpath(sys.argv[1]), int(sys.argv[2])
cgroups.require_root_v1(sys.argv[1])
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
LIMIT = 96 << 20
BIG = 768 << 20
HOG = LIMIT - (28 << 20)

def now_ms():
    return time.clock_gettime(time.CLOCK_MONOTONIC) * 1000.0

def write(path, text):
    with open(path + ".new", "w") as f:
        f.write(text)
    os.rename(path + ".new", path)

def stat(rss, cache, inactive):
    return (f"cache {cache}\nrss {rss}\nrss_huge 0\nshmem 0\nmapped_file 0\ninactive_file {cache // 2}\n"
            f"active_file {cache - cache // 2}\nhierarchical_memory_limit 9223372036854771712\n"
            f"total_cache {cache}\ntotal_rss {rss}\ntotal_inactive_anon 0\ntotal_active_anon {rss}\n"
            f"total_inactive_file {inactive}\ntotal_active_file {max(0, cache - inactive)}\n")

def set_root(tree, usage):
    write(f"{tree}/cgroup/memory.usage_in_bytes", f"{usage}\n")
    write(f"{tree}/cgroup/memory.stat", stat(usage // 2, usage // 2, 0))

def majflt(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[9])

def kib(pid, name, key):
    """A "Key: N kB" line of /proc/PID/NAME (smaps_rollup's Locked, status' VmRSS)."""
    with open(f"/proc/{pid}/{name}") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1

def evict(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)

work = tempfile.mkdtemp(prefix="mon_memcg-bench-thrash-", dir="/var/tmp")
cg = None
thrasher = hog = None
try:
    tree = f"{work}/tree"
    for d in ("proc/sys/vm", "cgroup/user.slice", "state"):
        os.makedirs(f"{tree}/{d}")
    write(f"{tree}/proc/meminfo", "MemTotal: 24000000 kB\nMemFree: 12000000 kB\nMemAvailable: 12000000 kB\n")
    write(f"{tree}/proc/sys/vm/min_free_kbytes", "65536\n")
    write(f"{tree}/proc/cgroups", "#subsys_name\thierarchy\tnum_cgroups\tenabled\nmemory\t4\t2\t1\n")
    write(f"{tree}/cgroup/user.slice/memory.stat", stat(1_000_000_000, 2_000_000_000, 1_000_000_000))
    fifo = f"{tree}/cgroup/user.slice/memory.force_empty"
    os.mkfifo(fifo)
    big = f"{work}/big"
    subprocess.run(["dd", "if=/dev/urandom", f"of={big}", "bs=1M", f"count={BIG >> 20}", "conv=fsync", "status=none"], check=True)
    # Page cache is charged to the cgroup that first reads a page: out of
    # the cache, so the stream's pages are the thrash cgroup's.
    evict(big)

    cg = cgroups.create(cgroups.MOUNT, f"mon_memcg-test-thrash-{random.randrange(1 << 32)}", limit=LIMIT)
    # Anonymous memory that cannot be reclaimed (no swap) leaves the file
    # pages of the cgroup about 28 MiB, which the stream churns through.
    hog = cgroups.spawn(cg, ["/usr/bin/python3", "-c", f"import time; b = b'x' * {HOG}; time.sleep(86400)"])
    thrasher = cgroups.spawn(cg, ["sh", "-c", f"while :; do cat '{big}' > /dev/null; done"])

    args = ["watch", "--cgroup-root", f"{tree}/cgroup", "--proc-root", f"{tree}/proc", "--state-file", f"{tree}/state/state",
            "--log-file", f"{work}/mon_memcg.log", "--poll-interval", "2s", "--dying-reclaim", "off"]
    arms = ["locked", "unlocked"] * TRIALS
    random.shuffle(arms)
    results = {"locked": [], "unlocked": []}
    for i, arm in enumerate(arms):
        set_root(tree, 2_000_000_000)           # not short
        try: os.unlink(f"{tree}/state/state")   # last 0: the crossing reclaims
        except FileNotFoundError: pass
        evict(BIN)
        env = dict(os.environ, MON_MEMCG_TRACE="1", MON_MEMCG_ADAPTIVE_POLL="0")
        if arm == "unlocked":
            env["MON_MEMCG_LOCK_MEMORY"] = "0"
        err = open(f"{work}/trace.{i}", "w+")
        daemon = cgroups.spawn(cg, [BIN] + args, env=env, stderr=err, stdout=subprocess.DEVNULL)
        opened = []
        def reader():
            fd = os.open(fifo, os.O_RDONLY)
            opened.append(now_ms())
            while os.read(fd, 64):
                pass
            os.close(fd)
        t = threading.Thread(target=reader, daemon=True)
        t.start()
        # Not a multiple of poll_interval, so the crossing lands at a
        # random phase of the polls.
        time.sleep(random.uniform(5.0, 7.0))
        faults0 = majflt(daemon.pid)
        crossing = now_ms()
        set_root(tree, 30_000_000_000)          # short: MemTotal 24 GB
        t.join(timeout=10)
        faults = majflt(daemon.pid) - faults0
        locked, rss = kib(daemon.pid, "smaps_rollup", "Locked"), kib(daemon.pid, "status", "VmRSS")
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=10)
        if not opened:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)   # release the reader
            os.close(fd)
            print(f"trial {i} ({arm}): no reclaim within 10 s", file=sys.stderr)
            continue
        err.seek(0)
        wakes = [float(l.split()[1]) for l in err if l.startswith("trace ") and " wake " in l]
        wake = max(w for w in wakes if w <= opened[0] + 1)
        r = {"cross": opened[0] - crossing, "wake": opened[0] - wake, "majflt": faults, "locked": locked, "rss": rss}
        results[arm].append(r)
        print(f"trial {i:2} {arm:8}  crossing->reclaim {r['cross']:7.1f} ms  wake->reclaim {r['wake']:6.1f} ms  "
              f"major faults {faults:4}  Locked {locked} kB  RSS {rss} kB", flush=True)

    print()
    print(f"binary {BIN} ({os.path.getsize(BIN) >> 20} MiB), thrash: {BIG >> 20} MiB file streamed in a {LIMIT >> 20} MiB cgroup, "
          f"{TRIALS} trials per arm, interleaved; poll_interval 2 s")
    print("| arm | crossing → reclaim start, median (min–max) ms | wake → reclaim start, median (min–max) ms | major faults in the trial, median (max) | Locked kB | RSS kB |")
    print("|---|---|---|---|---|---|")
    for arm in ("locked", "unlocked"):
        rs = results[arm]
        if not rs:
            continue
        def col(k):
            v = [r[k] for r in rs]
            return f"{statistics.median(v):.1f} ({min(v):.1f}–{max(v):.1f})"
        mf = [r["majflt"] for r in rs]
        print(f"| {arm} | {col('cross')} | {col('wake')} | {statistics.median(mf):.0f} ({max(mf)}) | "
              f"{statistics.median([r['locked'] for r in rs]):.0f} | {statistics.median([r['rss'] for r in rs]):.0f} |")
finally:
    cgroups.kill(thrasher, hog)
    cgroups.remove_or_warn(cg)
    shutil.rmtree(work, ignore_errors=True)
PY
