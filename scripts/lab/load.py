"""The efficacy lab's workloads and its sampler, each run as its own process
(`/usr/bin/python3 scripts/lab/load.py KIND ...`) so the driver can put it in
a cgroup before it starts and kill it as a whole.

Kinds:
  readtwice RATE_MIB FILE...   read each file twice (the second read makes
                               its pages active: kubelet counts them), at
                               RATE_MIB MiB/s of new page cache, then idle
  hotset PERIOD FILE           re-read FILE every PERIOD seconds: a workload
                               whose cache a reclaim can cost (collateral)
  anon PLAN                    hold anonymous memory by a plan
                               "t0:GiB,t1:GiB,..." (seconds since start)
  burst OUT PREFILL_RATE AT PREFILL_FILES -- read BURST_FILES
  burst OUT PREFILL_RATE AT PREFILL_FILES -- write DIR MIB
                               read the prefill files twice at PREFILL_RATE
                               MiB/s (near the line), then at AT seconds
                               read the burst files twice (or write MIB MiB
                               of new files in DIR and read them back twice),
                               region by region, as fast as this machine
                               can; OUT gets the burst's start and end
  writer DIR SLOTS MIB RATE    write MIB MiB to the next of SLOTS files, read
                               it back twice, RATE files per second at most
                               (0: no limit)
  sample OUT PHASE PERIOD ...  the sampler (see `sample`)
"""
import mmap
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from memcg_cgroups import meminfo, read_int, read_stat  # noqa: E402

CHUNK = 1 << 20
PAGE = 4096


def read_whole(path):
    with open(path, "rb", buffering=0) as f:
        while f.read(CHUNK):
            pass


def readtwice(rate_mib, files):
    """Turns out active page cache at a steady rate, file by file."""
    started = time.monotonic()
    done_mib = 0.0
    for path in files:
        read_whole(path)
        read_whole(path)
        done_mib += os.path.getsize(path) / CHUNK
        ahead = started + done_mib / rate_mib - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
    print("done", flush=True)
    signal.pause()  # the cache stays charged until the driver ends us


BURST_REGION = 32 * CHUNK


def read_regions_twice(path, buf):
    """Reads PATH region by region (BUF's size), each region twice at
    once, so its pages turn active as they are charged; yields the bytes
    of each region."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
        offset = 0
        while True:
            n = os.preadv(fd, [buf], offset)
            if n <= 0:
                break
            os.preadv(fd, [buf[:n]], offset)
            offset += n
            yield n
    finally:
        os.close(fd)


def burst(out, prefill_rate, at, prefill, how, files):
    """Scenario 4: the target's session first reads PREFILL (each file
    twice) at a steady rate, which takes available memory near the line;
    then, at AT s, turns BURST files into active page cache as fast as
    this machine reads: each 32 MiB region read twice at once, so its
    pages are active (kubelet counts them) within milliseconds of being
    charged, not after the whole file (8 MiB regions were 4x slower here,
    32 and 128 MiB the same: 2 GiB in 0.9-1.0 s). HOW = "write": the
    pages are new data written to new files in FILES[0], FILES[1] MiB in
    all, each region written and read back twice: dirty active page cache,
    which a reclaim must write back before it can free it. Writes the prefill's end,
    the burst's start and end (CLOCK_MONOTONIC, s: the driver's clock)
    and the MiB it read to OUT once done; the cache stays charged until the driver
    ends us."""
    started = time.monotonic()
    buf = memoryview(bytearray(BURST_REGION))
    done = 0
    for path in prefill:
        # Region by region like the burst, paced: whole files read with
        # 1 MiB reads were 3-5x slower here and made the prefill late.
        for n in read_regions_twice(path, buf):
            done += n
            ahead = started + done / CHUNK / prefill_rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
    prefilled = time.monotonic()
    time.sleep(max(0.0, started + at - time.monotonic()))
    if how == "write":
        data = os.urandom(CHUNK) * (BURST_REGION // CHUNK)
        os.makedirs(files[0], exist_ok=True)
        left = int(files[1]) * CHUNK
    began = time.monotonic()
    total = 0
    if how == "write":
        per_file = 256 * CHUNK
        while total < left:
            fd = os.open(os.path.join(files[0], str(total // per_file)), os.O_RDWR | os.O_CREAT, 0o644)
            try:
                offset = 0
                while offset < per_file and total < left:
                    os.pwrite(fd, data, offset)
                    os.preadv(fd, [buf], offset)
                    os.preadv(fd, [buf], offset)
                    offset += BURST_REGION
                    total += BURST_REGION
            finally:
                os.close(fd)
    for path in files if how == "read" else []:
        total += sum(read_regions_twice(path, buf))
    ended = time.monotonic()
    with open(out, "w") as f:
        f.write(f"{prefilled:.3f} {began:.3f} {ended:.3f} {total // CHUNK}\n")
    signal.pause()


def hotset(period, path):
    while True:
        t0 = time.monotonic()
        read_whole(path)
        read_whole(path)
        time.sleep(max(0.0, period - (time.monotonic() - t0)))


def anon(plan):
    """Anonymous memory by plan: each step resizes what is held."""
    steps = []
    for item in plan.split(","):
        t, gib = item.split(":")
        steps.append((float(t), float(gib)))
    started = time.monotonic()
    held = []
    size = 0
    block = 64 * CHUNK
    for at, gib in steps:
        time.sleep(max(0.0, started + at - time.monotonic()))
        want = int(gib * (1 << 30)) // block
        while len(held) > want:
            held.pop().close()
        while len(held) < want:
            m = mmap.mmap(-1, block, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
            m.write(b"\x01" * block)  # touch every page: charged now
            held.append(m)
        size = len(held) * block
        # The planned time, then when the step was done: a plan faster than
        # this machine can touch pages falls behind it.
        print(f"anon {at:.1f} s: {size} bytes at {time.monotonic() - started:.3f} s", flush=True)
    signal.pause()


def writer(directory, slots, mib, rate):
    """One of the busy writers: new data, read back twice (active), in a
    ring of SLOTS files so the page cache it can hold is bounded."""
    os.makedirs(directory, exist_ok=True)
    data = os.urandom(CHUNK)
    n = 0
    while True:
        t0 = time.monotonic()
        path = os.path.join(directory, f"w{n % slots}")
        with open(path, "wb", buffering=0) as f:
            for _ in range(mib):
                f.write(data)
        read_whole(path)
        read_whole(path)
        n += 1
        if rate > 0:  # 0: as fast as it can, like the original's cp loops
            time.sleep(max(0.0, 1.0 / rate - (time.monotonic() - t0)))


def read_bytes_of(pid):
    """Bytes a process made the block layer fetch (/proc/PID/io
    read_bytes): a cache miss that a refault counter may not see."""
    if pid <= 0:
        return 0
    try:
        with open(f"/proc/{pid}/io") as f:
            for line in f:
                if line.startswith("read_bytes:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def sample(out, phase, period, duration, mount, target, pids):
    """Fine samples every PERIOD s, and kubelet's: every 10 s from PHASE s,
    each computed as kubelet does on cgroup v1:
      memory.available = MemTotal - max(0, root usage_in_bytes - root total_inactive_file)
    Columns: t (s since start), kubelet (1 on kubelet's sample), available,
    root usage, root inactive file, target rss+cache, target and node
    workingset_refault_file, bystanders' read_bytes, memory cgroups counted
    by /proc/cgroups (dying ones included), and the first bystander's own
    read_bytes (the pod's, outside the target: PIDS lists it first)."""
    memtotal = meminfo("MemTotal")
    started = time.monotonic()
    next_fine = started
    next_kubelet = started + phase
    end = started + duration
    with open(out, "w") as o:
        o.write("t,kubelet,available,root_usage,root_inactive_file,target_usage,"
                "target_refault_file,node_refault_file,bystander_read_bytes,memory_cgroups,pod_read_bytes\n")
        while True:
            now = time.monotonic()
            if now >= end:
                break
            kubelet = now >= next_kubelet
            if kubelet:
                next_kubelet += 10.0
            usage = read_int(f"{mount}/memory.usage_in_bytes", -1)
            root = read_stat(f"{mount}/memory.stat", ("total_inactive_file",))
            inactive = root["total_inactive_file"]
            available = memtotal - max(0, usage - inactive)
            t = read_stat(f"{mount}/{target}/memory.stat",
                            ("total_rss", "total_cache", "total_workingset_refault_file"))
            node = read_stat("/proc/vmstat", ("workingset_refault_file",))
            read = [max(0, read_bytes_of(p)) for p in pids]
            bystanders = sum(read)
            cgroups = -1
            with open("/proc/cgroups") as f:
                for line in f:
                    if line.startswith("memory\t"):
                        cgroups = int(line.split()[2])
            o.write(f"{now - started:.3f},{int(kubelet)},{available},{usage},{inactive},"
                    f"{t['total_rss'] + t['total_cache']},{t['total_workingset_refault_file']},"
                    f"{node['workingset_refault_file']},{bystanders},{cgroups},{read[0] if read else 0}\n")
            next_fine += period
            wake = min(next_fine, next_kubelet)
            delay = wake - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            elif next_fine < time.monotonic():
                next_fine = time.monotonic()  # fell behind: do not burst


def main(argv):
    kind = argv[1]
    if kind == "readtwice":
        readtwice(float(argv[2]), argv[3:])
    elif kind == "hotset":
        hotset(float(argv[2]), argv[3])
    elif kind == "anon":
        anon(argv[2])
    elif kind == "burst":
        split = argv.index("--")
        burst(argv[2], float(argv[3]), float(argv[4]), argv[5:split], argv[split + 1], argv[split + 2:])
    elif kind == "writer":
        writer(argv[2], int(argv[3]), int(argv[4]), float(argv[5]))
    elif kind == "sample":
        out, phase, period, duration, mount, target = argv[2:8]
        pids = [int(p) for p in argv[8:]]
        sample(out, float(phase), float(period), float(duration), mount, target, pids)
    else:
        sys.exit(f"load.py: unknown kind {kind!r}")


if __name__ == "__main__":
    main(sys.argv)
