#!/usr/bin/env bash
# Reaction latency and overshoot on the real cgroup v1 memory controller,
# three ways, trials interleaved at random. Root, v1 only.
#   watch   `mon_memcg watch` as shipped (poll_interval 5 s, quicker near
#           the threshold)
#   events  `mon_memcg watch` on the kernel's usage event alone
#           (poll_interval 60 s, MON_MEMCG_ADAPTIVE_POLL=0)
#   poll20  `mon_memcg check` every 20 s, the timer's cadence, started at a
#           random phase
#
#   scripts/bench-reaction.sh [BINARY] [WATCH_TRIALS] [POLL_TRIALS]
#   (WATCH_TRIALS for each of watch and events)
#
# Each trial: a fresh mon_memcg-test-bench-* cgroup as the target, with 64
# MiB of active page cache (read twice) for force_empty to free;
# available_threshold set from `status --json` so that memory turns short
# when the host's working set (root usage - total_inactive_file) grows by
# STEP (128 MiB); a process in the cgroup then grows anonymous memory at
# RATE (64 MiB/s). A sampler reads the root's usage and total_inactive_file
# and the target's usage every millisecond:
#   crossing       first sample with working set >= the start's + STEP
#   reclaim start  first sample where the target's usage fell 16 MiB below
#                  its peak (force_empty dropping the page cache)
#   latency        reclaim start - crossing
#   overshoot      peak working set before the reclaim start - the level
# For watch it also reads the daemon's own wake-up time (MON_MEMCG_TRACE).
# Everything it creates is removed at the end of each trial, also on error.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release/mon_memcg}
watch_trials=${2:-10}
poll_trials=${3:-5}

PYTHONPATH=scripts/lib exec /usr/bin/python3 - "$bin" "$watch_trials" "$poll_trials" <<'PY'
import json, os, random, signal, statistics, subprocess, sys, tempfile, time, shutil
import memcg_cgroups as cgroups

BIN, WATCH_TRIALS, POLL_TRIALS = os.path.realpath(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
cgroups.require_root_v1(sys.argv[1], hint="swift build -c release --static-swift-stdlib")
# SIGTERM/SIGHUP unwind like Ctrl-C, so every trial's cleanup runs.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))
MEM = cgroups.MOUNT
STEP = 128 << 20          # crossing: working set grows this much
RATE = 64 << 20           # grower: bytes per second
CHUNK = 4 << 20
CAP = 2 << 30             # grower stops here whatever happens
DROP = 16 << 20           # reclaim start: target usage this far below its peak
TIMEOUT = 45.0

read_int, working_set = cgroups.read_int, cgroups.working_set

GROWER = f"""
import time
held, t0, n = [], time.monotonic(), 0
while n < {CAP}:
    b = bytearray({CHUNK})
    for j in range(0, len(b), 4096): b[j] = 1
    held.append(b); n += {CHUNK}
    delay = t0 + n / {RATE} - time.monotonic()
    if delay > 0: time.sleep(delay)
time.sleep(120)
"""

def trial(mode, index):
    cg = f"mon_memcg-test-bench-{os.getpid()}-{mode}-{index}"
    path = cgroups.create(MEM, cg)
    scratch = tempfile.mkdtemp(prefix="mon_memcg-test-bench-")
    procs = []
    try:
        cache = f"{scratch}/cache"
        cgroups.spawn(path, ["sh", "-c", f"dd if=/dev/zero of={cache} bs=1M count=64 status=none && cat {cache} {cache} > /dev/null"]).wait()
        status = json.loads(subprocess.run([BIN, "status", "--json", "--target", cg], check=True, capture_output=True).stdout)
        threshold = status["available_bytes"] - status["watermark_bytes"] - STEP
        level = status["working_set_bytes"] + STEP
        common = ["--target", cg, "--available-threshold", str(threshold), "--growth-threshold", "1M",
                  "--state-file", f"{scratch}/state", "--log-file", f"{scratch}/log"]
        trace = f"{scratch}/trace"
        if mode in ("watch", "events"):
            err = open(trace, "w")
            if mode == "watch":
                argv, env = [BIN, "watch"], dict(os.environ, MON_MEMCG_TRACE="1")
            else:
                argv, env = [BIN, "watch", "--poll-interval", "60s"], dict(os.environ, MON_MEMCG_TRACE="1", MON_MEMCG_ADAPTIVE_POLL="0")
            procs.append(subprocess.Popen(argv + common, stderr=err, env=env))
            deadline = time.monotonic() + 10
            while " arm " not in open(trace).read():
                if time.monotonic() > deadline: raise RuntimeError("watch did not arm")
                time.sleep(0.01)
        else:
            loop = f"while :; do {BIN} check {' '.join(common)}; sleep 20; done"
            procs.append(cgroups.spawn(None, ["sh", "-c", loop], new_session=True))
            time.sleep(random.uniform(0, 20))   # the timer's phase is random w.r.t. the crossing
        armed = None
        if mode != "poll20":
            for line in open(trace):
                parts = line.split()
                if len(parts) >= 4 and parts[2] == "arm":
                    armed = int(parts[3].split(",")[0])
        t_usage = None
        grower = cgroups.spawn(path, [sys.executable, "-c", GROWER])
        procs.append(grower)
        t_cross = t_rec = None
        peak_target = 0
        peak_ws = 0
        start = time.monotonic()
        while time.monotonic() - start < TIMEOUT:
            now = time.monotonic()
            usage = read_int(f"{MEM}/memory.usage_in_bytes")
            if armed is not None and t_usage is None and usage >= armed:
                t_usage = now
            ws = working_set()
            target = read_int(f"{path}/memory.usage_in_bytes")
            if t_cross is None and ws >= level:
                t_cross = now
            if target < peak_target - DROP:
                t_rec = now
                break
            peak_target = max(peak_target, target)
            if t_cross is not None:
                peak_ws = max(peak_ws, ws)
            time.sleep(0.001)
        wake = None
        if mode != "poll20":
            for line in open(trace):
                parts = line.split()
                if len(parts) >= 4 and parts[2] == "wake" and parts[3] == "threshold":
                    wake = int(parts[1]) / 1000.0
                    break
        if t_cross is None and t_rec is not None:
            # watch with hold = on reclaimed ahead of the line: no crossing at
            # all; what headroom was left when the reclaim started.
            return dict(mode=mode, ok=False, crossed=False, ahead=True, headroom_mib=(level - ws) / 2**20)
        if t_cross is None or t_rec is None:
            return dict(mode=mode, ok=False, crossed=t_cross is not None)
        return dict(mode=mode, ok=True, latency_ms=(t_rec - t_cross) * 1000,
                    overshoot_mib=max(0, peak_ws - level) / 2**20,
                    wake_ms=None if wake is None else (wake - t_cross) * 1000,
                    usage_to_wake_ms=None if wake is None or t_usage is None else (wake - t_usage) * 1000)
    finally:
        cgroups.kill(*reversed(procs))
        cgroups.remove_or_warn(path, delay=0.05)
        shutil.rmtree(scratch, ignore_errors=True)

results = []
plan = ["watch"] * WATCH_TRIALS + ["events"] * WATCH_TRIALS + ["poll20"] * POLL_TRIALS
random.shuffle(plan)   # interleave, so host noise hits both alike
for i, mode in enumerate(plan):
    r = trial(mode, i)
    results.append(r)
    print(json.dumps(r), flush=True)

def summary(mode):
    ok = [r for r in results if r["mode"] == mode and r["ok"]]
    ahead = [r["headroom_mib"] for r in results if r["mode"] == mode and r.get("ahead")]
    if ahead:
        print(f"{mode}: {len(ahead)}/{sum(r['mode'] == mode for r in results)} trials reclaimed before the crossing "
              f"(hold = on, reclaiming ahead); headroom left at the reclaim's start median {statistics.median(ahead):.1f} MiB "
              f"(min {min(ahead):.1f}, max {max(ahead):.1f})")
    if not ok:
        return f"{mode}: no successful trial"
    lat = [r["latency_ms"] for r in ok]
    over = [r["overshoot_mib"] for r in ok]
    line = (f"{mode}: {len(ok)}/{sum(r['mode'] == mode for r in results)} trials; crossing->reclaim start "
            f"median {statistics.median(lat):.1f} ms (min {min(lat):.1f}, max {max(lat):.1f}); "
            f"overshoot median {statistics.median(over):.1f} MiB (max {max(over):.1f})")
    wakes = [r["wake_ms"] for r in ok if r.get("wake_ms") is not None]
    if wakes:
        line += f"; crossing->daemon wake median {statistics.median(wakes):.1f} ms"
    return line

print(summary("watch"))
print(summary("events"))
print(summary("poll20"))
w = [r["latency_ms"] for r in results if r["mode"] == "watch" and r["ok"]]
p = [r["latency_ms"] for r in results if r["mode"] == "poll20" and r["ok"]]
if w and p:
    print(f"ratio of medians (poll20 / watch): {statistics.median(p) / statistics.median(w):.0f}x")
PY
