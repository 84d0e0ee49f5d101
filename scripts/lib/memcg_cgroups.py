"""The scripts' one way to set up, read and remove cgroup v1 memory cgroups
(the efficacy lab, the soak, the benchmarks). Standard library only; run
with /usr/bin/python3. The scripts import it with scripts/lib on
sys.path (PYTHONPATH=scripts/lib for the heredocs in scripts/*.sh).

Rules it keeps for its callers: every cgroup it creates is named
mon_memcg-test-*; only the caller's own processes are moved into one (each
moves itself in before it execs); removal kills what is left inside (only
the caller's processes), removes mon_memcg-test-* children first and
retries while the last tasks exit. Only remove_or_warn() prints (one
line when a cgroup stays); remove() returns False and lets the caller say it.

Every function takes the mount (or a cgroup's directory) as an argument,
so the unit tests point it at a temp-dir fake tree.
"""
import os
import signal
import subprocess
import sys
import time

MOUNT = "/sys/fs/cgroup/memory"
PREFIX = "mon_memcg-test-"
MEMINFO = "/proc/meminfo"


# -- the checks a script makes before it touches anything -------------------
def unusable(mount=MOUNT):
    """Why this process cannot run the real-kernel scripts, or None."""
    if os.geteuid() != 0:
        return "needs root"
    if not os.path.exists(f"{mount}/memory.force_empty"):
        return f"needs a cgroup v1 memory controller at {mount}"
    return None


def require_root_v1(binary=None, hint="swift build -c release -Xswiftc -static-executable --product mon_memcg"):
    """Exits 1 with the reason when the machine cannot run a script (root,
    v1 memory controller, an executable BINARY)."""
    problem = unusable()
    if problem is None and binary is not None and not os.access(binary, os.X_OK):
        problem = f"no binary at {binary} ({hint})"
    if problem:
        sys.exit(problem)


# -- reading -----------------------------------------------------------------
def read_int(path, default=None):
    """The first number in PATH (usage_in_bytes, min_free_kbytes, ...);
    DEFAULT instead when it cannot be read, if one is given."""
    try:
        with open(path, "rb") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        if default is None:
            raise
        return default


def read_stat(path, names=None):
    """memory.stat (or /proc/vmstat) as {key: int}. With NAMES, only those
    keys, each 0 when absent or when the file cannot be read (a sampler
    keeps going while a cgroup is removed)."""
    values = dict.fromkeys(names, 0) if names is not None else {}
    try:
        with open(path) as f:
            for line in f:
                key, _, value = line.partition(" ")
                if names is None or key in values:
                    values[key] = int(value)
    except OSError:
        if names is None:
            raise
    return values


def meminfo(key, path=MEMINFO):
    """One /proc/meminfo field, in bytes."""
    with open(path) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{path} has no {key}")


def working_set(mount=MOUNT):
    """kubelet's working set of the root cgroup: usage_in_bytes -
    total_inactive_file, saturating at 0."""
    usage = read_int(f"{mount}/memory.usage_in_bytes")
    inactive = read_stat(f"{mount}/memory.stat", ("total_inactive_file",))["total_inactive_file"]
    return max(0, usage - inactive)


def kubelet_available(mount=MOUNT, meminfo_path=MEMINFO):
    """memory.available as kubelet computes it on cgroup v1 (and mon_memcg
    reads it): MemTotal - working set."""
    return meminfo("MemTotal", meminfo_path) - working_set(mount)


def working_set_v2(root):
    """kubelet's working set of the cgroup v2 root (ROOT: the cgroup2
    mount). The root has no memory.current: runc's fs2 statMemory falls back
    to rootStatsFromMeminfo, which sets the usage to memory.stat's anon +
    file ("the same value as usage_in_bytes in v1"); cAdvisor's
    setMemoryStats subtracts inactive_file, saturating at 0. Older runc
    (statsFromMeminfo) used MemTotal - MemFree instead: see
    docs/cgroup-v2.md for which one this follows and why."""
    stat = read_stat(f"{root}/memory.stat", ("anon", "file", "inactive_file"))
    return max(0, stat["anon"] + stat["file"] - stat["inactive_file"])


def kubelet_available_v2(root, meminfo_path=MEMINFO):
    """memory.available as kubelet computes it on cgroup v2 (and mon_memcg's
    NodeSignalV2): MemTotal - working_set_v2."""
    return meminfo("MemTotal", meminfo_path) - working_set_v2(root)


def tasks(path):
    """The pids in a cgroup's cgroup.procs ([] when it is gone)."""
    try:
        with open(f"{path}/cgroup.procs") as f:
            return [int(p) for p in f.read().split()]
    except FileNotFoundError:
        return []


# -- set-up --------------------------------------------------------------------
def create(mount, relative, limit=None):
    """Makes MOUNT/RELATIVE (its last part must start mon_memcg-test-),
    with memory.limit_in_bytes = LIMIT if given; returns its path."""
    name = relative.rstrip("/").rsplit("/", 1)[-1]
    if not name.startswith(PREFIX):
        raise ValueError(f"{relative}: the scripts only make {PREFIX}* cgroups")
    path = f"{mount}/{relative}"
    os.mkdir(path)
    if limit is not None:
        with open(f"{path}/memory.limit_in_bytes", "w") as f:
            f.write(str(limit))
    return path


def enter(path, pid=0):
    """Moves PID (0: this process) into the cgroup at PATH."""
    with open(f"{path}/cgroup.procs", "w") as f:
        f.write(str(pid or os.getpid()))


def spawn(path, argv, new_session=False, **popen):
    """Starts ARGV moved into the cgroup at PATH before it execs (PATH None:
    it stays where the caller is). NEW_SESSION: its own process group, so
    kill() reaches what it starts."""
    def child():
        if new_session:
            os.setsid()
        if path:
            enter(path)
    return subprocess.Popen(argv, preexec_fn=child, **popen)


def force_empty(path):
    """Writes memory.force_empty: frees what the cgroup has charged."""
    with open(f"{path}/memory.force_empty", "w") as f:
        f.write("1\n")


# -- removal -------------------------------------------------------------------
def kill_tasks(path):
    """SIGKILL to every task in the cgroup (the caller's own: nothing else
    is ever moved into a mon_memcg-test-* cgroup)."""
    for pid in tasks(path):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def kill(*procs):
    """SIGKILL to each Popen still running (None: skipped), to its whole
    process group when it leads one (started with new_session=True), and
    reaps it."""
    for p in procs:
        if p is None or p.poll() is not None:
            continue
        try:
            if os.getpgid(p.pid) == p.pid:
                os.killpg(p.pid, signal.SIGKILL)
            else:
                p.kill()
        except ProcessLookupError:
            pass
        p.wait()


def remove(path, empty=False, attempts=100, delay=0.1, rmdir=os.rmdir):
    """Removes the cgroup at PATH and its mon_memcg-test-* children: kills
    their tasks, with EMPTY writes memory.force_empty first (so no dying
    cgroup stays charged), and retries rmdir while the last tasks exit.
    True when PATH is gone; False after ATTEMPTS tries."""
    for _ in range(attempts):
        if not os.path.isdir(path):
            return True
        for child in sorted(os.listdir(path)):
            if child.startswith(PREFIX) and os.path.isdir(f"{path}/{child}"):
                remove(f"{path}/{child}", empty, attempts, delay, rmdir)
        kill_tasks(path)
        if empty:
            try:
                force_empty(path)
            except OSError:
                pass
        try:
            rmdir(path)
            return True
        except FileNotFoundError:
            return True
        except OSError:
            time.sleep(delay)
    return not os.path.isdir(path)


def remove_or_warn(path, **kw):
    """remove(), and one line on stderr when the cgroup stays (PATH None:
    nothing was made)."""
    if path is not None and not remove(path, **kw):
        print(f"WARNING: could not remove {path}", file=sys.stderr)
