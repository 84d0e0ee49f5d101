"""The efficacy lab's driver: replays the original design's three test
scenarios, and a burst (scenario 4), on this machine's real cgroup v1
memory controller under each arm, while a kubelet emulator samples
memory.available. Run it through
scripts/lab/efficacy.sh, which checks the machine first.

One cell = one scenario under one arm with one pair of thresholds
(tight or shipped), once. For each cell it writes, in
the output directory: CELL.csv (the sampler's rows, see load.py `sample`),
CELL.json (parameters, the agent's events and CPU time) and CELL.log (the
agent's own log). metrics.py turns them into numbers; report.py into the
table and the charts.

Rules kept: every cgroup it creates is named mon_memcg-test-*; only
processes it started are moved into them (each moves itself in before it
execs); everything is removed on exit, failure and Ctrl-C included. The
flusher arm and mon_memcg's dying-cgroup escalation write
/proc/sys/vm/drop_caches, which is node-wide: the lab runs only when asked.
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import dirty_limits
import metrics

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))
import memcg_cgroups as cgroups  # noqa: E402
from memcg_cgroups import MOUNT, kubelet_available, meminfo, read_int  # noqa: E402

LOAD = [sys.executable, os.path.join(HERE, "load.py")]
ORIGINAL = os.path.join(HERE, "original.sh")
MIB = 1 << 20
GIB = 1 << 30
POOL_FILE_MIB = 256
SERVICE_TIMEOUT = 60.0  # mon_memcg.service's TimeoutStartSec=1min

ARMS = ["none", "original-20s", "original-70s", "timer", "watch", "watch-deficit", "watch-limit",
        "watch-limit-deficit", "watch-limit-deficit-1g", "watch-state-disk", "watch-limit-deficit-state-disk",
        "watch-base", "watch-limit-deficit-base", "flusher"]
# The opt-in watch arms: watch as shipped plus these settings (memory_limit:
# v1's memory.limit_in_bytes lever, off by default). Not run unless --arms names them.
OPT_IN_SETTINGS = {
    "watch-deficit": ["reclaim_amount = deficit"],
    "watch-limit": ["memory_limit = on"],
    "watch-limit-deficit": ["reclaim_amount = deficit", "memory_limit = on"],
    # reclaim_margin = growth_threshold (the lab's 1 GiB): each reclaim lifts
    # available memory growth_threshold clear of global thresh, so the
    # target has grown that much again by the next crossing and the
    # original's growth rule does not skip it (v2's auto is sized the same way).
    "watch-limit-deficit-1g": ["reclaim_amount = deficit", "memory_limit = on", "reclaim_margin = 1G"],
    # watch and watch-limit-deficit with state_file (and so the heartbeat
    # and the run lock beside it) on the lab's disk, where the packages kept
    # it (/var/lib/mon_memcg) before it moved to /run/mon_memcg: under the
    # writers a rename there waits about 100 ms (docs/efficacy.md), and a
    # held episode saves the state before it clamps. (The run of 2026-12-07
    # named the lever arm on tmpfs watch-limit-deficit-tmpfs.)
    "watch-state-disk": [],
    "watch-limit-deficit-state-disk": ["reclaim_amount = deficit", "memory_limit = on"],
}
# watch and watch-limit-deficit run by --base-binary (an earlier build),
# with the settings of the arm each is the base of: a change measured
# against its baseline in one run, the arms' order randomized together,
# instead of two runs an hour apart.
BASE_ARMS = {"watch-base": "watch", "watch-limit-deficit-base": "watch-limit-deficit"}
OPT_IN_SETTINGS.update({base: OPT_IN_SETTINGS.get(arm, []) for base, arm in BASE_ARMS.items()})
# Every other mon_memcg arm keeps its state on a tmpfs the lab mounts for
# the run, as the shipped state_file is on /run (tmpfs).
STATE_ON_DISK = {"watch-state-disk", "watch-limit-deficit-state-disk"}
OPT_IN_ARMS = tuple(OPT_IN_SETTINGS)
WATCH_ARMS = ("watch",) + OPT_IN_ARMS
SCENARIOS = ["s1", "s2", "s3", "s4"]
TITLES = {
    "s1": "continuous reclaimable growth",
    "s2": "real usage near the threshold",
    "s3": "busy writers and dying cgroups",
    "s4": "a burst of active page cache from near the line",
}
# The distance from mon_memcg's global thresh down to kubelet's eviction
# threshold. tight: 1 GiB (--eviction-below-gib, the lab's first runs).
# shipped: what the defaults give on a node, available_threshold 4G +
# vm.min_free_kbytes above kubelet's default memory.available<100Mi; the
# lab places that distance at the top of this machine's memory (global
# thresh below the available memory at the start), not at 4 GiB absolute.
THRESHOLDS = ["tight", "shipped"]
KUBELET_DEFAULT_EVICTION = 100 * MIB


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Cgroups:
    """The lab's own cgroups, removed in reverse order of creation."""

    def __init__(self):
        self.made = []
        self.procs = []

    def make(self, relative):
        path = cgroups.create(MOUNT, relative)
        self.made.append(path)
        return path

    def spawn(self, cgroup, argv, env=None, stdout=subprocess.DEVNULL):
        """Starts ARGV in its own session, moved into CGROUP before exec
        (None: it stays in the lab's own cgroup)."""
        p = cgroups.spawn(cgroup, argv, new_session=True, env=env, stdout=stdout,
                          stderr=subprocess.DEVNULL, text=True)
        self.procs.append(p)
        return p

    def kill_all(self):
        for p in self.procs:
            if p.returncode is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for p in self.procs:
            if p.returncode is None:
                try:
                    p.wait(timeout=10)
                except (subprocess.TimeoutExpired, ChildProcessError):
                    pass
        self.procs = []

    def remove_all(self):
        """Kills what is left (only the lab's processes were moved into its
        cgroups), empties each so no dying cgroup of ours stays charged,
        and removes it."""
        self.kill_all()
        for path in reversed(self.made):
            cgroups.remove_or_warn(path, empty=True)
        self.made = []


class Agent:
    """One arm's agent for one cell: started before the scenario, stopped
    after it, with the CPU time of every process it ran (wait4's rusage:
    the process and the children it waited for, kernel time included, so
    the reclaim's own work in force_empty or drop_caches counts)."""

    def __init__(self, arm, cell, lab):
        self.arm, self.cell, self.lab = arm, cell, lab
        self.cpu = 0.0
        self.runs = 0
        self.events = []  # {"t", "kind", ...}; log-derived ones come later
        self.stop = threading.Event()
        self.thread = None
        self.watch = None

    def env(self):
        e = dict(os.environ, TZ="UTC", LC_ALL="C")
        e.update(ORIGINAL_CGROUP=MOUNT, ORIGINAL_TARGET=self.lab.target_name,
                 ORIGINAL_THRESH=str(self.cell.threshold), ORIGINAL_CHANGE=str(self.lab.growth),
                 ORIGINAL_LOG=self.cell.log, ORIGINAL_LAST=self.cell.path("last"))
        return e

    def command(self):
        """A timer arm's one run."""
        if self.arm.startswith("original"):
            return ["/bin/bash", ORIGINAL]
        if self.arm == "timer":
            return [self.lab.binary, "check", "--config", self.cell.config]
        if self.arm == "flusher":
            return ["/bin/sh", "-c", "echo 1 > /proc/sys/vm/drop_caches"]
        raise ValueError(self.arm)

    def spacing(self):
        if self.arm == "original-70s":
            return self.lab.rng.uniform(60.0, 80.0)
        return 20.0

    def start(self, t0):
        self.t0 = t0
        if self.arm == "none":
            return
        if self.arm in WATCH_ARMS:
            binary = self.lab.base_binary if self.arm in BASE_ARMS else self.lab.binary
            self.watch = subprocess.Popen([binary, "watch", "--config", self.cell.config],
                                          env=self.env(), stdout=subprocess.DEVNULL,
                                          stderr=open(self.cell.path("stderr"), "w"),
                                          preexec_fn=os.setsid)
            return
        # A timer is not in phase with the scenario: its first run comes at
        # a random point of its first spacing.
        first = self.lab.rng.uniform(0.0, 70.0 if self.arm == "original-70s" else 20.0)
        self.thread = threading.Thread(target=self.loop, args=(t0 + first,), daemon=True)
        self.thread.start()

    def run_once(self):
        """One run the way systemd runs the oneshot: SIGTERM at
        TimeoutStartSec. The flusher records what the drop freed."""
        cached = meminfo("Cached") if self.arm == "flusher" else 0
        began = time.monotonic()
        p = subprocess.Popen(self.command(), env=self.env(), stdout=subprocess.DEVNULL,
                             stderr=open(self.cell.path("stderr"), "a"), preexec_fn=os.setsid)
        killed = None
        while True:
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid:
                p.returncode = status
                break
            now = time.monotonic()
            if killed is None and (now - began >= SERVICE_TIMEOUT or self.stop.is_set()):
                killed = "timeout" if now - began >= SERVICE_TIMEOUT else "cell end"
                os.killpg(p.pid, signal.SIGTERM)
            time.sleep(0.02)
        self.cpu += usage.ru_utime + usage.ru_stime
        self.runs += 1
        t = began - self.t0
        if self.arm == "flusher":
            self.events.append({"t": t, "kind": "drop_caches",
                                "freed": max(0, cached - meminfo("Cached"))})
        if killed:
            self.events.append({"t": time.monotonic() - self.t0, "kind": f"killed ({killed})"})
        return began

    def loop(self, first):
        next_start = first
        while not self.stop.is_set():
            delay = next_start - time.monotonic()
            if delay > 0 and self.stop.wait(delay):
                break
            began = self.run_once()
            # OnUnitActiveSec counts from the last start; a run longer than
            # the spacing is followed by the next one at once.
            next_start = max(began + self.spacing(), time.monotonic())

    def finish(self):
        self.stop.set()
        if self.thread:
            self.thread.join()
        if self.watch:
            os.killpg(self.watch.pid, signal.SIGTERM)
            _, status, usage = os.wait4(self.watch.pid, 0)
            self.watch.returncode = status
            self.cpu += usage.ru_utime + usage.ru_stime
            self.runs = 1


class Cell:
    def __init__(self, out, scenario, arm, rep, thresholds="tight"):
        # tight cells keep the names of the lab's first runs
        middle = "" if thresholds == "tight" else f"{thresholds}-"
        self.name = f"{scenario}-{middle}{arm}-r{rep}"
        self.scenario, self.arm, self.rep, self.thresholds = scenario, arm, rep, thresholds
        self.dir = out
        self.log = self.path("log")
        self.config = self.path("conf")
        self.threshold = None  # available_threshold, set by Lab.run_cell from the cell's lines

    def path(self, suffix):
        return os.path.join(self.dir, f"{self.name}.{suffix}")


def session_anon_steps(path):
    """The session's anon steps as load.py anon printed them: [seconds
    after its start, bytes held] per step done, so a cell says how fast it
    really grew (and how far, when the kernel killed it)."""
    steps = []
    try:
        with open(path) as f:
            for line in f:
                words = line.split()
                # "anon PLANNED s: BYTES bytes at DONE s"
                if len(words) >= 8 and words[0] == "anon" and words[5] == "at":
                    steps.append([float(words[6]), int(words[3])])
    except OSError:
        pass
    return steps


class Lab:
    def __init__(self, args):
        self.args = args
        self.binary = args.binary
        self.base_binary = args.base_binary
        self.out = args.out
        self.rng = random.Random(args.seed)
        self.cg = Cgroups()
        self.tmpfs = None  # the mount of state_path, made by the first cell that needs it
        # The running cell's agent and sampler: started outside self.cg (in
        # their own sessions), so an interrupted run stops them here.
        self.cell_agent = None
        self.cell_sampler = None
        self.tag = str(os.getpid())
        self.target_name = f"mon_memcg-test-lab-{self.tag}-target"
        self.work = args.work
        self.growth = GIB  # the original's default "change", mon_memcg's growth_threshold
        self.rate = args.rate
        self.durations = {"s1": args.s1_seconds, "s2": args.s2_seconds, "s3": args.s3_seconds,
                          "s4": args.s4_seconds}
        self.dirty = dirty_limits.DirtyLimits()

    # -- the machine's numbers -------------------------------------------
    def calibrate(self):
        samples = sorted(kubelet_available() for _ in range(5))
        self.available0 = samples[2]
        self.min_free = read_int("/proc/sys/vm/min_free_kbytes") * 1024
        self.run_lines = self.lines(self.available0)
        self.global_thresh = self.run_lines["global_thresh"]
        self.threshold = self.run_lines["threshold"]  # available_threshold
        self.evictions = self.run_lines["evictions"]
        self.eviction = self.evictions["tight"]
        self.pool_mib = int(self.rate * self.durations["s1"] * 1.1)
        self.pool_mib -= self.pool_mib % POOL_FILE_MIB
        self.pool_mib += POOL_FILE_MIB
        self.hot_mib = {"pod": 512, "session": 256}
        self.dying = (self.args.dying, self.args.dying_mib)
        self.writers = (self.args.writers, self.args.writer_slots, self.args.writer_mib)
        self.session_anon = None
        if self.args.s3_session_anon:
            start, rate, most = (float(x) for x in self.args.s3_session_anon.split(":"))
            self.session_anon = (start, rate, most)

    def lines(self, available):
        """mon_memcg's global thresh --gap-gib below AVAILABLE, its
        available_threshold, and kubelet's eviction threshold for each
        setting of THRESHOLDS."""
        global_thresh = available - int(self.args.gap_gib * GIB)
        return {"global_thresh": global_thresh, "threshold": global_thresh - self.min_free,
                "evictions": {"tight": global_thresh - int(self.args.eviction_below_gib * GIB),
                              "shipped": global_thresh - (4 * GIB + self.min_free - KUBELET_DEFAULT_EVICTION)}}

    def fits(self):
        """Why the scenarios do not fit this machine, or None."""
        hot = sum(self.hot_mib.values()) * MIB
        if self.threshold <= 0:
            return (f"available memory {self.available0} is below the lab's gap of "
                    f"{self.args.gap_gib} GiB: nothing to reclaim before kubelet would evict")
        floor = self.available0 - hot - self.rate * self.durations["s1"] * MIB
        if floor < 2 * GIB:
            return (f"scenario 1 would take available memory down to {floor // MIB} MiB "
                    f"(start {self.available0 // MIB} MiB, {self.rate} MiB/s for "
                    f"{self.durations['s1']} s): lower --rate or --s1-seconds")
        n, slots, mib = self.writers
        plateau = hot + self.dying[0] * self.dying[1] * MIB + n * slots * mib * MIB
        if self.available0 - plateau < 2 * GIB:
            return (f"scenario 3's page cache ({plateau // MIB} MiB) leaves less than 2 GiB "
                    f"of {self.available0 // MIB} MiB available: fewer --writers or --dying")
        lowest = min(self.evictions[t] for t in self.args.thresholds)
        if "s4" in self.args.scenarios and lowest - self.args.burst_over_gib * GIB < 2 * GIB:
            return (f"scenario 4's burst would take available memory down to "
                    f"{(lowest - self.args.burst_over_gib * GIB) // MIB} MiB: lower --gap-gib")
        anon = self.available0 - self.eviction + GIB
        if self.available0 - anon < 2 * GIB:
            return "scenario 2's anonymous memory would leave less than 2 GiB available"
        disk = shutil.disk_usage(self.work).free
        need = (self.pool_mib + sum(self.hot_mib.values()) + n * slots * mib) * MIB + 2 * GIB
        if "s4" in self.args.scenarios:
            need += self.available0 - lowest + GIB
        if disk < need:
            return f"{self.work} has {disk // MIB} MiB free, the lab's files need {need // MIB} MiB"
        return None

    def params(self):
        n, slots, mib = self.writers
        return {
            "kernel": os.uname().release, "cores": os.cpu_count(),
            "mem_total": meminfo("MemTotal"), "available_start": self.available0,
            "min_free": self.min_free, "available_threshold": self.threshold,
            "global_thresh": self.global_thresh, "eviction_threshold": self.eviction,
            "growth_threshold": self.growth, "rate_mib_s": self.rate,
            "durations_s": self.durations, "pool_mib": self.pool_mib,
            "hot_mib": self.hot_mib, "dying": {"cgroups": self.dying[0], "mib_each": self.dying[1]},
            "writers": {"count": n, "slots": slots, "mib_per_file": mib, "rate": "unlimited"},
            "s3_session_anon": (dict(zip(("start_s", "mib_s", "max_mib"), self.session_anon))
                                if self.session_anon else None),
            "seed": self.args.seed, "reps": self.args.reps, "arms": self.args.arms,
            "scenarios": self.args.scenarios, "binary": self.binary, "base_binary": self.base_binary,
            "flusher_interval_s": 20, "timer_interval_s": 20, "original_slow_spacing_s": [60, 80],
            "kubelet_period_s": 10, "fine_period_s": self.args.fine,
            "thresholds": self.args.thresholds, "eviction_thresholds": self.evictions,
            "burst": {"near_mib": self.args.burst_near_mib, "over_gib": self.args.burst_over_gib,
                      "prefill_rate_mib_s": self.args.burst_prefill_rate,
                      "pause_s": self.args.burst_pause, "fine_period_s": self.args.burst_fine,
                      "kind": self.args.burst_kind},
            # The four sysctls during the run, and what --dirty-bytes replaced.
            "dirty_sysctls": self.dirty.read(), "dirty_sysctls_before": self.dirty.saved,
        }

    # -- files -----------------------------------------------------------
    def stop_cell(self):
        """An interrupted run: the running cell's agent stopped as a cell's
        end stops it (watch gets SIGTERM and puts back what it set), and its
        sampler killed; both were started in their own sessions."""
        if self.cell_sampler is not None and self.cell_sampler.poll() is None:
            self.cell_sampler.kill()
            self.cell_sampler.wait()
        if self.cell_agent is not None:
            try:
                self.cell_agent.finish()
            except (OSError, ChildProcessError):
                pass
        self.cell_agent = self.cell_sampler = None

    def make_files(self):
        """The pool scenario 1 reads, the bystanders' hot sets and the
        sources of scenario 3's dying cgroups, written with O_DIRECT so
        none of it is in the page cache (nor charged) when a cell starts."""
        self.hot = {k: self.write_file(f"hot-{k}", v) for k, v in self.hot_mib.items()}
        self.dying_files = [self.write_file(f"dying-{i}", self.dying[1]) for i in range(self.dying[0])
                            if "s3" in self.args.scenarios]  # only scenario 3 makes dying cgroups

    def fresh_files(self, name, mib):
        """MIB of new files under WORK/NAME, in POOL_FILE_MIB pieces (the
        last one smaller), for one cell: see fresh_pool."""
        shutil.rmtree(f"{self.work}/{name}", ignore_errors=True)
        os.makedirs(f"{self.work}/{name}")
        files = []
        mib -= mib % 4  # write_file writes 4 MiB blocks
        while mib > 0:
            size = min(POOL_FILE_MIB, mib)
            files.append(self.write_file(f"{name}/{len(files)}", size))
            mib -= size
        return files

    def fresh_pool(self):
        """Scenario 1's files, written anew for each cell: a reclaim leaves
        shadow entries in a file's page cache, so re-reading last cell's
        files would count as refaults and pass for collateral."""
        shutil.rmtree(f"{self.work}/pool", ignore_errors=True)
        os.makedirs(f"{self.work}/pool")
        self.pool = [self.write_file(f"pool/{i}", POOL_FILE_MIB)
                     for i in range(self.pool_mib // POOL_FILE_MIB)]

    def write_file(self, name, mib):
        path = f"{self.work}/{name}"
        if not (os.path.exists(path) and os.path.getsize(path) == mib * MIB):
            subprocess.run(["dd", "if=/dev/zero", f"of={path}", "bs=4M", f"count={mib // 4}",
                            "oflag=direct", "status=none"], check=True)
        return path

    # -- one cell --------------------------------------------------------
    def write_config(self, cell):
        with open(cell.config, "w") as f:
            f.write("# written by scripts/lab/efficacy.py for one cell; the rest are defaults\n"
                    f"available_threshold = {cell.threshold}\n"
                    f"growth_threshold = {self.growth}\n"
                    f"target = {self.target_name}\n"
                    f"cgroup_root = {MOUNT}\n"
                    f"state_file = {self.state_path(cell)}\n"
                    f"log_file = {cell.log}\n"
                    + "".join(f"{line}\n" for line in OPT_IN_SETTINGS.get(cell.arm, [])))
        os.chmod(cell.config, 0o644)

    def state_path(self, cell):
        """The cell's state_file: on a tmpfs mounted for the run (unmounted
        at its end), or for the arms in STATE_ON_DISK beside its log."""
        if cell.arm in STATE_ON_DISK:
            return cell.path("state")
        if self.tmpfs is None:
            path = tempfile.mkdtemp(prefix="mon_memcg-lab-state.", dir="/var/tmp")
            subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", path], check=True)
            self.tmpfs = path
        return os.path.join(self.tmpfs, f"{cell.name}.state")

    def unmount_tmpfs(self):
        if self.tmpfs is not None:
            if subprocess.run(["umount", self.tmpfs], check=False).returncode == 0:
                os.rmdir(self.tmpfs)
            else:
                print(f"efficacy lab: could not unmount the state tmpfs {self.tmpfs}; "
                      f"unmount it with 'umount {self.tmpfs}' once no agent uses it", file=sys.stderr)
            self.tmpfs = None

    def run_cell(self, cell):
        for suffix in ("log", "state", "stderr", "last"):
            if os.path.exists(cell.path(suffix)):
                os.remove(cell.path(suffix))
        # Scenarios 3 and 4 set their lines from the available memory at
        # the cell's start: on a shared machine other jobs' memory moves
        # kubelet's number by gigabytes within an hour (one run began
        # 2.5 GiB above its lines and had cells that started below them).
        # The burst is meant to start near the line, and scenario 3's
        # dying cgroups and hot sets fill 3.75 of its 4 GiB gap, so a few
        # hundred MiB of drift would start the cell below global thresh.
        # Scenarios 1 and 2 keep the run's.
        lines = self.lines(kubelet_available()) if cell.scenario in ("s3", "s4") else self.run_lines
        global_thresh = lines["global_thresh"]
        eviction = lines["evictions"][cell.thresholds]
        cell.threshold = lines["threshold"]  # mon_memcg's and the original script's (Agent.env)
        self.write_config(cell)
        if cell.scenario == "s1":
            self.fresh_pool()
        if cell.scenario == "s4":
            # The burst's files, sized for this cell: the prefill from the
            # available memory now (less the hot sets about to be read) to
            # near_mib above global thresh, then the burst from there to
            # over_gib below the eviction threshold.
            hot = sum(self.hot_mib.values())
            prefill_mib = max(0, (kubelet_available() - global_thresh) // MIB
                              - hot - self.args.burst_near_mib)
            burst_mib = int(self.args.burst_near_mib + (global_thresh - eviction) / MIB
                            + self.args.burst_over_gib * 1024)
            prefill = self.fresh_files("prefill", prefill_mib)
            if self.args.burst_kind == "read":
                bursting = ["read"] + self.fresh_files("burst", burst_mib)
            else:
                shutil.rmtree(f"{self.work}/burst", ignore_errors=True)
                bursting = ["write", f"{self.work}/burst", str(burst_mib - burst_mib % 32)]
        subprocess.run(["sync"])
        target = self.cg.make(self.target_name)
        session = self.cg.make(f"{self.target_name}/mon_memcg-test-session")
        pod = self.cg.make(f"mon_memcg-test-lab-{self.tag}-pod")
        pod_reader = self.cg.spawn(pod, LOAD + ["hotset", "2", self.hot["pod"]])
        session_reader = self.cg.spawn(session, LOAD + ["hotset", "2", self.hot["session"]])
        time.sleep(4)  # both hot sets read twice: active, charged
        duration = self.durations[cell.scenario]
        fine = self.args.burst_fine if cell.scenario == "s4" else self.args.fine
        available_start = kubelet_available()
        load_start = os.getloadavg()[0]
        agent = Agent(cell.arm, cell, self)
        phase = self.rng.uniform(0.0, 10.0)
        t0 = time.monotonic()
        sampler = subprocess.Popen(LOAD + ["sample", cell.path("csv"), str(phase), str(fine),
                                           str(duration), MOUNT, self.target_name,
                                           str(pod_reader.pid), str(session_reader.pid)])
        self.cell_agent, self.cell_sampler = agent, sampler
        epoch0 = time.time()
        # A daemon is already running when trouble starts. In scenario 3
        # every arm is started before the dying cgroups fill, inside the
        # sampled window: on a node they accumulate while the agent runs
        # (a timer's runs are placed from t0 either way).
        early = cell.arm in WATCH_ARMS or cell.scenario == "s3"
        if early:
            agent.start(t0)
        dying_made = None
        if cell.scenario == "s3":
            self.make_dying(target)
            dying_made = time.monotonic() - t0  # the writers start here
        if cell.scenario == "s4":
            at = prefill_mib / self.args.burst_prefill_rate + self.args.burst_pause
            self.cg.spawn(session, LOAD + ["burst", cell.path("burst"), str(self.args.burst_prefill_rate),
                                           str(at)] + prefill + ["--"] + bursting)
        else:
            self.start_load(cell, session, target, available_start)
        if not early:
            agent.start(t0)
        sampler.wait()
        load_end = os.getloadavg()[0]  # the machine is shared: each number says its load
        agent.finish()
        self.cell_agent = self.cell_sampler = None
        # Tasks the kernel OOM-killed in the target (memory.oom_control's
        # oom_kill, kernels since 4.13): a limit on it (watch-limit) must
        # not cost the session its processes. None where it is not shown.
        oom_kills = None
        try:
            with open(f"{target}/memory.oom_control") as f:
                oom_kills = next((int(l.split()[1]) for l in f if l.startswith("oom_kill ")), None)
        except OSError:
            pass
        self.cg.remove_all()
        for name in ("writers", "prefill", "burst"):
            shutil.rmtree(f"{self.work}/{name}", ignore_errors=True)
        events = agent.events + metrics.log_events(cell.log, epoch0)
        record = {"cell": cell.name, "scenario": cell.scenario, "arm": cell.arm, "rep": cell.rep,
                  "thresholds": cell.thresholds, "global_thresh": global_thresh,
                  "eviction_threshold": eviction, "fine_period_s": fine,
                  "phase": phase, "duration": duration, "available_start": available_start,
                  "loadavg": [load_start, load_end],
                  "agent_cpu_s": agent.cpu, "agent_runs": agent.runs, "events": events, "oom_kills": oom_kills,
                  "params": self.params()}
        if dying_made is not None:
            record["dying_made_s"] = dying_made
        if cell.scenario == "s3" and self.session_anon:
            record["session_anon"] = session_anon_steps(cell.path("anon"))
        if cell.scenario == "s4":
            record["burst"] = self.burst_record(cell.path("burst"), t0, prefill_mib, burst_mib)
        with open(cell.path("json"), "w") as f:
            json.dump(record, f, indent=1)
        return record

    @staticmethod
    def burst_record(path, t0, prefill_mib, burst_mib):
        """When the burst ran, in s since the cell began, from what
        load.py burst wrote (nothing: it had not finished by the cell's
        end, which the record says)."""
        out = {"prefill_mib": prefill_mib, "burst_mib": burst_mib}
        try:
            prefilled, began, ended, mib = open(path).read().split()
        except (OSError, ValueError):
            out["unfinished"] = True
            return out
        out.update(prefill_end=float(prefilled) - t0, start=float(began) - t0, end=float(ended) - t0,
                   read_mib=int(mib))
        out["mib_s"] = out["read_mib"] / max(1e-3, out["end"] - out["start"])
        return out

    def make_dying(self, target):
        """Session cgroups removed while charged: each reads its file twice
        (active cache), exits, and its cgroup is removed (dying)."""
        for i, path in enumerate(self.dying_files):
            c = self.cg.make(f"{self.target_name}/mon_memcg-test-dying-{i}")
            p = self.cg.spawn(c, LOAD + ["readtwice", "100000", path], stdout=subprocess.PIPE)
            p.stdout.readline()  # "done"
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            p.stdout.close()
            for _ in range(50):
                try:
                    os.rmdir(c)
                    self.cg.made.remove(c)
                    break
                except OSError:
                    time.sleep(0.05)

    def start_load(self, cell, session, target, available_start):
        if cell.scenario == "s1":
            self.cg.spawn(session, LOAD + ["readtwice", str(self.rate)] + self.pool)
        elif cell.scenario == "s2":
            # Just above global thresh, then past it (between it and the
            # eviction threshold), a little more (a skip: change too small),
            # then released (mem usage decline).
            room = (available_start - self.global_thresh) / GIB
            below = (self.global_thresh - self.eviction) / GIB
            a = max(0.0, room - 0.5)
            b = room + 0.4 * below
            c = room + 0.7 * below
            d = self.durations["s2"]
            plan = f"0:{a:.3f},{d * 0.22:.1f}:{b:.3f},{d * 0.45:.1f}:{c:.3f},{d * 0.7:.1f}:0"
            self.cg.spawn(session, LOAD + ["anon", plan])
        elif cell.scenario == "s3":
            n, slots, mib = self.writers
            live = self.cg.make(f"{self.target_name}/mon_memcg-test-live")
            for w in range(n):
                self.cg.spawn(live, LOAD + ["writer", f"{self.work}/writers/{w}", str(slots), str(mib), "0"])
            if self.session_anon:
                with open(cell.path("anon"), "w") as out:
                    self.cg.spawn(session, LOAD + ["anon", self.session_anon_plan()], stdout=out)

    def session_anon_plan(self):
        """--s3-session-anon START:MIB_S:MAX_MIB as load.py anon's plan: one
        more 64 MiB block (load.py anon's unit) every 64/MIB_S s from
        START s after the writers start, to MAX_MIB, then held: a session's
        process growing while the node is short, which a v1 limit on the
        target (watch-limit) must let go of rather than OOM-kill."""
        start, rate, most = self.session_anon
        steps = [f"{start + i * 64 / rate:.2f}:{(i + 1) * 64 / 1024:.4f}" for i in range(int(most // 64))]
        return ",".join(steps)

    # -- the whole run ---------------------------------------------------
    def cells(self):
        """Arms interleaved: each repetition of a scenario takes the arms in
        an order drawn at random (from --seed), so neither a drift of the
        machine nor what the previous cell left behind falls on one arm."""
        order = []
        for rep in range(1, self.args.reps + 1):
            for scenario in self.args.scenarios:
                for thresholds in self.args.thresholds:
                    arms = list(self.args.arms)
                    self.rng.shuffle(arms)
                    order += [(scenario, arm, rep, thresholds) for arm in arms]
        return order

    def run(self):
        os.makedirs(self.out, exist_ok=True)
        if self.args.dirty_bytes:
            # Before calibrating: the lines are measured as the cells run.
            self.dirty.set(*self.args.dirty_bytes)
            log(f"dirty limits set for this run: {self.dirty.read()} (were {self.dirty.saved})")
        self.calibrate()
        problem = self.fits()
        if problem:
            print(f"efficacy lab: refused: {problem}", file=sys.stderr)
            return 3
        p = self.params()
        log(f"kernel {p['kernel']}, {p['cores']} cores, MemTotal {p['mem_total'] // MIB} MiB, "
            f"available at start {self.available0 // MIB} MiB")
        log(f"mon_memcg available_threshold {self.threshold} (global thresh {self.global_thresh} = "
            f"{self.args.gap_gib} GiB below the start), eviction threshold {self.eviction} "
            f"(memory.available<{self.eviction // MIB}Mi, {self.args.eviction_below_gib} GiB below global thresh)")
        if "shipped" in self.args.thresholds:
            log(f"shipped thresholds: eviction threshold {self.evictions['shipped']} (memory.available<"
                f"{self.evictions['shipped'] // MIB}Mi: 4 GiB + min_free - 100 MiB below global thresh)")
        log(f"scenarios {self.args.scenarios} ({self.durations}), arms {self.args.arms}, "
            f"{self.args.reps} repetition(s), seed {self.args.seed}")
        log(f"writing the lab's files in {self.work} (scenario 1's pool of {self.pool_mib} MiB: anew for each cell)")
        self.make_files()
        with open(os.path.join(self.out, "params.json"), "w") as f:
            json.dump(p, f, indent=1)
        cells = self.cells()
        for i, (scenario, arm, rep, thresholds) in enumerate(cells, 1):
            cell = Cell(self.out, scenario, arm, rep, thresholds)
            record = self.run_cell(cell)
            m = metrics.cell_metrics(record, metrics.load_samples(cell.path("csv")))
            log(f"{i}/{len(cells)} {cell.name}: {m['evictions']} would-be evictions of "
                f"{m['kubelet_samples']}, {m['notify_evictions']} at the first instant below, "
                f"{m['below_eviction_s']:.2f} s below eviction (deepest {m['depth_below_eviction'] // MIB} MiB), "
                f"{m['below_thresh_s']:.1f} s below global thresh, min {m['min_available'] // MIB} MiB, "
                f"{m['reclaims']} reclaims, {m['drops']} drop_caches, cpu {m['agent_cpu_s']:.2f} s")
            time.sleep(self.args.settle)
        return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--base-binary", default=None,
                    help=f"the build the arms {', '.join(sorted(BASE_ARMS))} run (a baseline for --binary)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--work", required=True, help="a directory on a disk-backed file system")
    ap.add_argument("--reps", type=int, default=3)
    # The defaults are the lab's first full run; the burst's run names its
    # scenario, arms and thresholds (docs/efficacy.md).
    ap.add_argument("--arms", default=",".join(a for a in ARMS if a not in OPT_IN_ARMS),
                    help=f"comma-separated, of {', '.join(ARMS)}")
    ap.add_argument("--scenarios", default="s1,s2,s3", help=f"comma-separated, of {', '.join(SCENARIOS)}")
    ap.add_argument("--seed", type=int, default=20261203)
    ap.add_argument("--rate", type=float, default=200.0, help="scenario 1's MiB/s of active page cache")
    ap.add_argument("--gap-gib", type=float, default=4.0, help="global thresh below the starting available memory")
    ap.add_argument("--eviction-below-gib", type=float, default=1.0)
    ap.add_argument("--s1-seconds", type=float, default=40)
    ap.add_argument("--s2-seconds", type=float, default=36)
    ap.add_argument("--s3-seconds", type=float, default=60)
    ap.add_argument("--dying", type=int, default=6)
    ap.add_argument("--dying-mib", type=int, default=512)
    ap.add_argument("--s3-session-anon", metavar="START:MIB_S:MAX_MIB", default=None,
                    help="scenario 3: also a session process growing anon (64 MiB steps) from START s after "
                         "the writers start, at MIB_S, to MAX_MIB, held to the cell's end")
    ap.add_argument("--writers", type=int, default=32)
    ap.add_argument("--writer-slots", type=int, default=24)
    ap.add_argument("--writer-mib", type=int, default=8)
    ap.add_argument("--fine", type=float, default=0.1, help="the fine sampler's period, s")
    ap.add_argument("--settle", type=float, default=2.0)
    ap.add_argument("--thresholds", default="tight", help="tight, shipped or both (comma-separated): see THRESHOLDS")
    ap.add_argument("--s4-seconds", type=float, default=30)
    ap.add_argument("--burst-near-mib", type=int, default=256,
                    help="scenario 4: available memory this far above global thresh when the burst starts")
    ap.add_argument("--burst-over-gib", type=float, default=1.0,
                    help="scenario 4: the burst goes this far below the eviction threshold with no agent")
    ap.add_argument("--burst-prefill-rate", type=float, default=600.0, help="scenario 4: the prefill's MiB/s")
    ap.add_argument("--burst-pause", type=float, default=5.0, help="scenario 4: s between the prefill and the burst")
    ap.add_argument("--burst-fine", type=float, default=0.05, help="scenario 4's fine sampler period, s")
    ap.add_argument("--burst-kind", choices=["read", "write"], default="read",
                    help="scenario 4: read new files twice (clean cache, at the disk's speed) or write new "
                         "data and read it back twice (dirty cache, at the page cache's speed)")
    ap.add_argument("--dirty-bytes", metavar="LIMIT:BACKGROUND", default=None,
                    help="set the node's vm.dirty_bytes and vm.dirty_background_bytes for the run (e.g. 256M:64M) "
                         "and put back what was there when it ends (done, an error, Ctrl-C or SIGTERM; not kill -9); "
                         "every run records the four "
                         "dirty sysctls in params.json (docs/efficacy.md, \"The kernel's dirty limits\")")
    args = ap.parse_args()
    if args.dirty_bytes:
        try:
            args.dirty_bytes = dirty_limits.parse_pair(args.dirty_bytes)
        except ValueError as e:
            ap.error(f"--dirty-bytes {e}")
    args.arms = [a for a in args.arms.split(",") if a]
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    args.thresholds = [t for t in args.thresholds.split(",") if t]
    for t in args.thresholds:
        if t not in THRESHOLDS:
            ap.error(f"unknown thresholds {t!r}: one of {', '.join(THRESHOLDS)}")
    for a in args.arms:
        if a not in ARMS:
            ap.error(f"unknown arm {a!r}: one of {', '.join(ARMS)}")
        if a in BASE_ARMS and not args.base_binary:
            ap.error(f"arm {a!r} runs the baseline build: give it with --base-binary PATH")
    if args.base_binary and not os.access(args.base_binary, os.X_OK):
        ap.error(f"--base-binary {args.base_binary}: not an executable file")
    for s in args.scenarios:
        if s not in SCENARIOS:
            ap.error(f"unknown scenario {s!r}: one of {', '.join(SCENARIOS)}")
    lab = Lab(args)

    def interrupted(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupted)
    try:
        return lab.run()
    except KeyboardInterrupt:
        print("efficacy lab: interrupted; removing its cgroups", file=sys.stderr)
        return 130
    finally:
        lab.stop_cell()
        restored = lab.dirty.restore()
        if restored:
            log(f"dirty limits put back: {restored}")
        lab.cg.remove_all()
        lab.unmount_tmpfs()
        shutil.rmtree(f"{lab.work}/writers", ignore_errors=True)
        for name in ("pool", "prefill", "burst"):
            shutil.rmtree(f"{lab.work}/{name}", ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
