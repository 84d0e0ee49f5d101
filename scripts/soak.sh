#!/usr/bin/env bash
# A soak of `mon_memcg watch` on the real memory controller, under the churn
# of a busy login node. Root; cgroup v1 (the memory mount at
# /sys/fs/cgroup/memory) or cgroup v2 (the unified hierarchy at
# /sys/fs/cgroup with the memory controller), whichever the machine has.
#
#   scripts/soak.sh DURATION_SECONDS [BINARY]
#
# For DURATION seconds:
#   - watch runs with metrics_file on, its target a mon_memcg-test-soak-*
#     cgroup (the stand-in for user.slice), state, log and metrics in a temp
#     dir, dying_reclaim off (never drop_caches on a shared machine);
#   - sessions: child cgroups of the target are created and removed at
#     SESSIONS_PER_SECOND (20), each with a process that writes 256 KiB to
#     one of 200 files (page cache, left charged to the removed cgroup);
#     on v2 the target enables the memory controller for them in its
#     cgroup.subtree_control (so nothing runs in the target itself: the
#     crossing's process below gets a child cgroup of its own);
#   - crossings: every ~30 s a process in the target allocates enough
#     anonymous memory to bring kubelet's available memory (MemTotal -
#     (root usage - total_inactive_file) on v1; MemTotal - (the root's
#     memory.stat anon + file - inactive_file) on v2, runc's emulation of
#     the root's usage as cAdvisor reads it: docs/cgroup-v2.md)
#     256 MiB below available_threshold,
#     holds it 8 s, and exits. available_threshold is set from the node's
#     current available memory minus 1 GiB at every reload, and a reload
#     comes 3 s before each crossing, so other people's load on a shared
#     machine cannot make the node short (or not) on its own;
#   - SIGHUP every 60 s besides (after rewriting the configuration); the log is
#     rotated (logrotate's create mode, then SIGHUP) every 5 min, or at half
#     time in runs shorter than 10 min.
# The report: crossings vs the reclaims that answered them (a crossing is
# missed when no check decided "reclaim" while the node was short and no
# reclaim decided earlier was still running when it began), open
# fds and RSS after warm-up (the first crossing and reload) and at the end,
# CPU seconds per hour, the metrics counters, and every error line.
# Exit 1 on any fd growth, any missed crossing, or RSS growth over 1 MiB.
#
# Scaled for a small or slow machine (the cgroup v2 soak runs in a TCG
# guest: scripts/vm-systemd/soak-phase.sh) by the environment, the failure
# rules unchanged: SOAK_SESSIONS_PER_SECOND (20), SOAK_MARGIN_MIB (1024: the
# threshold below the available memory now), SOAK_BELOW_MIB (256: how far a
# crossing goes below it), SOAK_DIR (/var/tmp: the work directory, whose
# session files must be on a disk whose page cache can be reclaimed, not
# tmpfs).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:?usage: scripts/soak.sh DURATION_SECONDS [BINARY]}
bin=${2:-.build/release/mon_memcg}

PYTHONPATH=scripts/lib exec /usr/bin/python3 - "$bin" "$duration" <<'PY'
import os, random, re, signal, subprocess, sys, tempfile, threading, time, shutil
import memcg_cgroups as cgroups

BIN, DURATION = os.path.realpath(sys.argv[1]), float(sys.argv[2])
UNIFIED = "/sys/fs/cgroup"
# v1 when the memory mount is there (memcg_cgroups' checks), else v2 when
# the unified hierarchy offers the memory controller.
V2 = not os.path.exists(f"{cgroups.MOUNT}/memory.force_empty") and os.path.exists(f"{UNIFIED}/cgroup.controllers")
if V2:
    if os.geteuid() != 0:
        sys.exit("needs root")
    with open(f"{UNIFIED}/cgroup.subtree_control") as f:
        if "memory" not in f.read().split():
            sys.exit(f"needs the memory controller enabled in {UNIFIED}/cgroup.subtree_control "
                     "(systemd enables it; without systemd: echo +memory > that file)")
    if not os.access(sys.argv[1], os.X_OK):
        sys.exit(f"no binary at {sys.argv[1]} (swift build -c release -Xswiftc -static-executable --product mon_memcg)")
    MOUNT = UNIFIED
else:
    cgroups.require_root_v1(sys.argv[1])
    MOUNT = cgroups.MOUNT
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
signal.signal(signal.SIGINT, lambda *_: sys.exit(130))
env_num = lambda name, default: float(os.environ.get(name) or default)
SESSIONS_PER_SECOND = env_num("SOAK_SESSIONS_PER_SECOND", 20)
CROSS_EVERY, HOLD = 30.0, 8.0
MARGIN = int(env_num("SOAK_MARGIN_MIB", 1024)) << 20   # available_threshold = available now - MARGIN
BELOW = int(env_num("SOAK_BELOW_MIB", 256)) << 20      # a crossing goes this far below the threshold
WORK_DIR = os.environ.get("SOAK_DIR") or "/var/tmp"

def kubelet_available():
    """kubelet's memory.available for the node. v2: the root cgroup has no
    memory.current; runc (for cAdvisor) takes the root's usage as anon +
    file of its memory.stat, and cAdvisor subtracts inactive_file."""
    if not V2:
        return cgroups.kubelet_available(cgroups.MOUNT)
    st = cgroups.read_stat(f"{UNIFIED}/memory.stat", ("anon", "file", "inactive_file"))
    return cgroups.meminfo("MemTotal") - max(0, st["anon"] + st["file"] - st["inactive_file"])
HUP_EVERY = 60.0
ROTATE_EVERY = 300.0 if DURATION >= 600 else DURATION / 2

def mono():
    return time.clock_gettime(time.CLOCK_MONOTONIC)

def proc_numbers(pid):
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    with open(f"/proc/{pid}/status") as f:
        rss = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return fds, rss, cpu

work = tempfile.mkdtemp(prefix="mon_memcg-soak-", dir=WORK_DIR)
target = f"mon_memcg-test-soak-{random.randrange(1 << 32)}"
tpath = None
stop = threading.Event()
daemon = None
hogs = []
try:
    tpath = cgroups.create(MOUNT, target)
    if V2:
        # The sessions' cgroups are charged and reclaimed as the target's
        # children only with the controller enabled for them here.
        with open(f"{tpath}/cgroup.subtree_control", "w") as f:
            f.write("+memory")
    os.makedirs(f"{work}/metrics")
    os.makedirs(f"{work}/pages")
    conf, log = f"{work}/mon_memcg.conf", f"{work}/mon_memcg.log"
    threshold = [0]

    def write_config():
        threshold[0] = kubelet_available() - MARGIN
        with open(conf + ".new", "w") as f:
            f.write(f"target = {target}\nstate_file = {work}/state/state\nlog_file = {log}\n"
                    f"metrics_file = {work}/metrics/mon_memcg.prom\navailable_threshold = {threshold[0]}\n"
                    f"growth_threshold = 64M\ndying_reclaim = off\n")
        os.chmod(conf + ".new", 0o600)
        os.rename(conf + ".new", conf)

    write_config()
    err = open(f"{work}/daemon.err", "w+")
    daemon = subprocess.Popen([BIN, "watch", "--config", conf], stdout=subprocess.DEVNULL, stderr=err,
                              env=dict(os.environ, MON_MEMCG_TRACE="1"))
    start = mono()

    # Sessions: create, fill with page cache, remove.
    sessions = [0]
    def churn():
        i = 0
        while not stop.is_set():
            t0 = mono()
            cg = cgroups.create(tpath, f"mon_memcg-test-s{i}")
            pid = os.fork()
            if pid == 0:
                try:
                    cgroups.enter(cg)
                    with open(f"{work}/pages/{i % 200}", "wb") as f:
                        f.write(os.urandom(256 << 10))
                finally:
                    os._exit(0)
            os.waitpid(pid, 0)
            for _ in range(50):
                try:
                    os.rmdir(cg)
                    break
                except OSError:
                    time.sleep(0.01)
            i += 1
            sessions[0] = i
            time.sleep(max(0.0, 1.0 / SESSIONS_PER_SECOND - (mono() - t0)))
    churner = threading.Thread(target=churn, daemon=True)
    churner.start()

    crossings = []   # (start, end, crossed, already_short)
    next_cross, next_hup, next_rotate = start + 15, start + HUP_EVERY, start + ROTATE_EVERY
    rearmed = False
    already_short = no_cross = 0
    warm = None
    hups = rotations = 0
    while mono() - start < DURATION:
        now = mono()
        if daemon.poll() is not None:
            print(f"FAIL: watch exited with status {daemon.returncode}")
            break
        if now >= next_rotate:
            os.rename(log, f"{log}.{rotations + 1}")
            fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
            os.close(fd)
            daemon.send_signal(signal.SIGHUP)
            rotations += 1
            next_rotate += ROTATE_EVERY
        if now >= next_hup:
            write_config()
            daemon.send_signal(signal.SIGHUP)
            hups += 1
            next_hup += HUP_EVERY
        if now >= next_cross - 3 and not rearmed:
            write_config()
            daemon.send_signal(signal.SIGHUP)
            hups += 1
            rearmed = True
        if now >= next_cross:
            rearmed = False
            avail = kubelet_available()
            short_before = avail < threshold[0]
            size = max(0, avail - threshold[0] + BELOW)
            if short_before or size > (6 << 30):
                crossings.append((now, now + HOLD, False, True))
                already_short += 1
            else:
                t0 = mono()
                # v2's no-internal-process rule: a target that gives its
                # children the memory controller holds no process itself.
                hog_cg = tpath
                if V2:
                    hog_cg = f"{tpath}/mon_memcg-test-hog"
                    if not os.path.isdir(hog_cg):
                        cgroups.create(tpath, "mon_memcg-test-hog")
                hog = cgroups.spawn(hog_cg, ["/usr/bin/python3", "-c",
                                            f"import time; b = b'x' * {size}; time.sleep({HOLD})"])
                hogs.append(hog)
                crossed = False
                while hog.poll() is None:
                    if kubelet_available() < threshold[0]:
                        crossed = True
                    time.sleep(0.05)
                hogs.remove(hog)
                crossings.append((t0, mono(), crossed, False))
                no_cross += 0 if crossed else 1
            next_cross += CROSS_EVERY
        if warm is None and hups >= 1 and crossings:
            warm = (mono(), *proc_numbers(daemon.pid))
        time.sleep(0.05)
    # The churn ends first: while sessions keep charging pages, a
    # force_empty can run on (it returns only once the target is empty),
    # and a daemon inside a reclaim holds its force_empty (v2:
    # memory.reclaim) descriptor open.
    # The end numbers are taken once it is between checks again (at most
    # 20 s later), so an fd counted is one that stayed, not one in use.
    stop.set()
    churner.join(timeout=5)
    def idle():
        with open(f"{work}/daemon.err") as f:
            lines = [l for l in f.read().splitlines() if l.startswith("trace ")]
        woken = [i for i, l in enumerate(lines) if " wake " in l]
        checked = [i for i, l in enumerate(lines) if " checked " in l]
        return not woken or (checked and checked[-1] > woken[-1])
    settle_until = mono() + 20.0
    while daemon.poll() is None and not idle() and mono() < settle_until:
        time.sleep(0.1)
    end_numbers = (mono(), *proc_numbers(daemon.pid)) if daemon.poll() is None else None
    if warm is None and end_numbers:
        warm = (start, *proc_numbers(daemon.pid))
    daemon.send_signal(signal.SIGTERM)
    status = daemon.wait(timeout=30)
    elapsed = mono() - start

    # Reclaim decisions, from the daemon's trace (CLOCK_MONOTONIC ms).
    err.seek(0)
    trace = err.read()
    # A decision counts from the wake-up that led to it to the end of its
    # reclaim: a check that decided "reclaim" and was still in force_empty
    # when the crossing ended answered that crossing, and so did one
    # already in force_empty when the crossing began. Session churn can
    # keep a v1 force_empty going until reclaim_timeout (45 s, longer than
    # CROSS_EVERY): the daemon is then reclaiming the target the whole
    # time, and no check can start until that write returns.
    reclaims, woke = [], None   # (woke, checked)
    for m in re.finditer(r"^trace (\d+) (wake|checked) (\S+)", trace, re.M):
        t = float(m.group(1)) / 1000
        if m.group(2) == "wake":
            woke = t
        elif m.group(3) == "reclaim":
            reclaims.append((woke if woke is not None else t, t))
            woke = None
    real = [c for c in crossings if c[2]]
    decided_in = lambda c: any(c[0] <= w <= c[1] + 1.0 for w, _ in reclaims)
    running_at = lambda c: any(w < c[0] < done for w, done in reclaims)
    missed = [c for c in real if not decided_in(c) and not running_at(c)]
    by_running = [c for c in real if not decided_in(c) and running_at(c)]
    logs = sorted(p for p in os.listdir(work) if p.startswith("mon_memcg.log"))
    text = "".join(open(f"{work}/{p}").read() for p in logs)
    errors = [l for l in text.splitlines() if "error:" in l]
    errors += [l for l in trace.splitlines() if not l.startswith("trace ") and l.startswith("mon_memcg:")
               and "error:" not in l and l not in errors]
    metrics = open(f"{work}/metrics/mon_memcg.prom").read() if os.path.exists(f"{work}/metrics/mon_memcg.prom") else ""
    def sample(name):
        m = re.search(rf"^{re.escape(name)} (\S+)", metrics, re.M)
        return m.group(1) if m else "?"

    fail = []
    print(f"soak: {elapsed:.0f} s of mon_memcg watch ({BIN}) on {os.uname().release}, cgroup {'v2' if V2 else 'v1'}, target {target}")
    print(f"  scale: {SESSIONS_PER_SECOND:g} sessions/s asked, threshold {MARGIN >> 20} MiB below available, "
          f"crossings {BELOW >> 20} MiB below it")
    print(f"  sessions created and removed: {sessions[0]} ({sessions[0] / elapsed:.1f}/s)")
    print(f"  crossings made: {len(real)}; answered by a reclaim: {len(real) - len(missed)}"
          f" ({len(by_running)} by one already running when it began); missed: {len(missed)}"
          f" (not counted: {already_short} attempts where the node was already short, {no_cross} where it did not cross)")
    print(f"  reclaims decided: {len(reclaims)}; SIGHUPs: {hups}; log rotations: {rotations}; watch exit status: {status}")
    if warm and end_numbers:
        dfd, drss = end_numbers[1] - warm[1], end_numbers[2] - warm[2]
        cpu_h = (end_numbers[3] - warm[3]) / max(1.0, end_numbers[0] - warm[0]) * 3600
        print(f"  open fds: {warm[1]} after warm-up ({warm[0] - start:.0f} s), {end_numbers[1]} at the end (delta {dfd})")
        print(f"  RSS: {warm[2]} KiB after warm-up, {end_numbers[2]} KiB at the end (delta {drss} KiB)")
        print(f"  CPU: {end_numbers[3]:.2f} s in total, {cpu_h:.1f} s per hour after warm-up")
        if dfd > 0: fail.append(f"open fds grew by {dfd}")
        if drss > 1024: fail.append(f"RSS grew by {drss} KiB")
    else:
        fail.append("watch was not running at the end")
    wake = lambda reason: sample('mon_memcg_watch_wakeups_total{reason="' + reason + '"}')
    # v1 wakes on the root's usage threshold, v2 on a PSI trigger.
    print(f"  metrics: reclaims_total {sample('mon_memcg_reclaims_total')}, wake-ups: "
          f"{'pressure ' + wake('pressure') if V2 else 'threshold ' + wake('threshold')}, "
          f"poll {wake('poll')}, reload {wake('reload')}")
    print(f"  error lines: {len(errors)}")
    for l in errors:
        print(f"    {l}")
    if missed:
        fail.append(f"{len(missed)} crossings missed")
        # What the daemon did around each: its trace from 5 s before the
        # crossing to 2 s after it, in seconds from the soak's start, so a
        # failed run says why without its work directory (removed below).
        for c0, c1, _, _ in missed:
            print(f"  missed crossing {c0 - start:.1f}-{c1 - start:.1f} s; watch's trace then:")
            for m in re.finditer(r"^trace (\d+) (.*)$", trace, re.M):
                t = float(m.group(1)) / 1000
                if c0 - 5.0 <= t <= c1 + 2.0:
                    print(f"    {t - start:8.3f} {m.group(2)}")
    if not real:
        fail.append("no crossing was made")
    if status != 0:
        fail.append(f"watch exited {status} on SIGTERM")
    for f in fail:
        print(f"FAIL: {f}")
    sys.exit(1 if fail else 0)
finally:
    stop.set()
    cgroups.kill(*hogs, daemon)
    cgroups.remove_or_warn(tpath)
    shutil.rmtree(work, ignore_errors=True)
PY
