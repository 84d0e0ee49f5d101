#!/usr/bin/env bash
# The collateral of a reclaim on cgroup v1: reclaim_amount = all (force_empty
# to the end, the original script) against deficit (force_empty stopped once
# the shortfall plus reclaim_margin is freed), trials interleaved (ABBA), on
# the real kernel. Root, v1 only; touches only its own cgroups.
#
#   scripts/bench-reclaim-amount.sh [BINARY] [REPETITIONS] [SHORT_MIB] [MARGIN]
#   (defaults: .build/release/mon_memcg, 4, 256, 256M)
#
# The target is a mon_memcg-test-bench-amount-* cgroup with one session
# child. Each trial: the target is emptied, the session reads COLD (2 GiB,
# read once: inactive) then re-reads HOT (2 GiB in 16 files) in a loop for
# WARM seconds. Memory "turns short" by configuration, not by pressure on
# the node: available_threshold = kubelet's available now - watermark +
# SHORT, so the check sees a shortfall of SHORT. Then one `mon_memcg check
# --reclaim-amount MODE`, and the session keeps reading for AFTER (30) s.
# Measured per trial:
#   freed       the target's total_rss+total_cache before - after the check
#   avail       kubelet's memory.available (MemTotal - (root usage -
#               root total_inactive_file)) just before and just after,
#               against the global thresh the check used
#   refault     the target's total_workingset_refault_file over AFTER s
#   read        the session's read throughput over AFTER s (and over the
#               last 5 s before the check, for comparison)
#   took        the reclaim's duration from the check's log
# Then once: what deficit and all do to dying cgroups below the target
# (children that wrote page cache and were removed), from the check's own
# "dying cgroups before/after reclaim" lines.
# Everything it creates is removed at the end, also on error.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release/mon_memcg}
reps=${2:-4}
short_mib=${3:-256}
margin=${4:-256M}

PYTHONPATH=scripts/lib exec /usr/bin/python3 - "$bin" "$reps" "$short_mib" "$margin" <<'PY'
import os, re, signal, statistics, subprocess, sys, tempfile, time, shutil
import memcg_cgroups as cgroups

BIN, REPS, SHORT, MARGIN = os.path.realpath(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) << 20, sys.argv[4]
cgroups.require_root_v1(sys.argv[1], hint="swift build -c release --product mon_memcg")
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))
MEM = cgroups.MOUNT
HOT_FILES, HOT_MIB = 16, 128
COLD_FILES, COLD_MIB = 2, 1024
WARM, AFTER = 12.0, 30.0
PAGE = os.sysconf("SC_PAGE_SIZE")

def read(path):
    with open(path) as f:
        return f.read()

def stat(cg):
    return cgroups.read_stat(f"{MEM}/{cg}/memory.stat")

def usage(cg):
    s = stat(cg)
    return s["total_rss"] + s["total_cache"]

available = cgroups.kubelet_available

def watermark():
    return cgroups.read_int("/proc/sys/vm/min_free_kbytes") * 1024

def force_empty(cg):
    cgroups.force_empty(f"{MEM}/{cg}")

work = tempfile.mkdtemp(prefix="mon_memcg-test-bench-amount-", dir="/var/tmp")
target = f"mon_memcg-test-bench-amount-{os.getpid()}"
session = f"{target}/mon_memcg-test-session"
made = []
reader = None

def inside(cg, script, **kw):
    return subprocess.Popen(["/bin/sh", "-c", f"echo $$ > {MEM}/{cg}/cgroup.procs && exec {script}"], **kw)

READER = r'''
import os, sys, time
files, counter = sys.argv[1:-1], sys.argv[-1]
total, buf = 0, bytearray(1 << 20)
fd_out = os.open(counter, os.O_WRONLY | os.O_CREAT, 0o600)
while True:
    for name in files:
        with open(name, "rb", buffering=0) as f:
            while True:
                n = f.readinto(buf)
                if not n:
                    break
                total += n
        os.pwrite(fd_out, b"%20d\n" % total, 0)
'''

def read_count(path):
    try:
        return int(read(path).strip() or 0)
    except (FileNotFoundError, ValueError):
        return 0

def check(mode, threshold, log, state):
    r = subprocess.run([BIN, "check", "--target", target, "--available-threshold", str(threshold),
                        "--growth-threshold", "1M", "--reclaim-amount", mode, "--reclaim-margin", MARGIN,
                        "--dying-reclaim", "off", "--state-file", state, "--log-file", log],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise SystemExit(f"check {mode} exited {r.returncode}: {r.stderr}")
    return read(log)

def trial(mode, n):
    global reader
    force_empty(target)
    cold = [f"{work}/cold{i}" for i in range(COLD_FILES)]
    hot = [f"{work}/hot{i}" for i in range(HOT_FILES)]
    subprocess.run(["/bin/sh", "-c", f"echo $$ > {MEM}/{session}/cgroup.procs && cat {' '.join(cold)} > /dev/null"], check=True)
    counter = f"{work}/count-{n}"
    reader = inside(session, f"/usr/bin/python3 -c '{READER}' {' '.join(hot)} {counter}")
    time.sleep(WARM - 5)
    c0, t0 = read_count(counter), time.monotonic()
    time.sleep(5)
    c1, t1 = read_count(counter), time.monotonic()
    before_rate = (c1 - c0) / (t1 - t0)
    s = stat(target)
    before_usage = s["total_rss"] + s["total_cache"]
    before_active, before_inactive = s["total_active_file"], s["total_inactive_file"]
    refault0 = s["total_workingset_refault_file"]
    avail_before = available()
    threshold = avail_before - watermark() + SHORT
    log, state = f"{work}/log-{n}", f"{work}/state-{n}"
    text = check(mode, threshold, log, state)
    avail_after = available()
    after_usage = usage(target)
    c2, t2 = read_count(counter), time.monotonic()
    time.sleep(AFTER)
    c3, t3 = read_count(counter), time.monotonic()
    refault = (stat(target)["total_workingset_refault_file"] - refault0) * PAGE
    cgroups.kill(reader)
    reader = None
    thresh = int(re.search(r"is less global thresh (\d+)", text).group(1))
    seen = int(re.search(r"avalible_mem (-?\d+) is less", text).group(1))
    took = re.search(r"(?:reclaim took|reclaim asked \d+ bytes, freed -?\d+ bytes in) ([\d.]+) s", text)
    stop = re.search(r"stopped: (.*)", text)
    asked = re.search(r"requesting (\d+) bytes", text)
    return dict(mode=mode, freed=before_usage - after_usage, before=before_usage, active=before_active, inactive=before_inactive,
                avail_seen=seen, avail_before=avail_before, avail_after=avail_after, thresh=thresh,
                refault=refault, rate_before=before_rate, rate_after=(c3 - c2) / (t3 - t2),
                took=float(took.group(1)) if took else float("nan"), stop=stop.group(1) if stop else "finished",
                asked=int(asked.group(1)) if asked else None)

def mib(b):
    return f"{b / (1 << 20):.0f}"

def dying_experiment():
    """Children that wrote page cache and were removed (dying), a live
    session with a hot set; deficit then all, the tool's own measurements."""
    global reader
    parent = f"mon_memcg-test-bench-dying-{os.getpid()}"
    made.append(cgroups.create(MEM, parent))
    live = f"{parent}/mon_memcg-test-live"
    cgroups.create(MEM, live)
    for i in range(8):
        child = f"{parent}/mon_memcg-test-gone{i}"
        cgroups.create(MEM, child)
        subprocess.run(["/bin/sh", "-c", f"echo $$ > {MEM}/{child}/cgroup.procs && dd if=/dev/zero of={work}/gone{i} bs=1M count=128 conv=fsync status=none"], check=True)
        os.rmdir(f"{MEM}/{child}")
    hot = [f"{work}/hot{i}" for i in range(HOT_FILES)]
    # Out of the trials' target, so the live session's reads charge them anew.
    force_empty(target)
    counter = f"{work}/count-dying"
    reader = inside(live, f"/usr/bin/python3 -c '{READER}' {' '.join(hot)} {counter}")
    time.sleep(WARM)
    out = []
    for mode in ("deficit", "all"):
        threshold = available() - watermark() + SHORT
        log = f"{work}/log-dying-{mode}"
        r = subprocess.run([BIN, "check", "--target", parent, "--available-threshold", str(threshold),
                            "--growth-threshold", "1M", "--reclaim-amount", mode, "--reclaim-margin", MARGIN,
                            "--dying-reclaim", "off", "--state-file", f"{work}/state-dying-{mode}", "--log-file", log],
                           capture_output=True, text=True, timeout=120)
        text = read(log)
        lines = [l.split("     ", 1)[-1] for l in text.splitlines()
                 if "dying cgroups" in l or "reclaim asked" in l or "total_rss+total_cache" in l]
        out.append((mode, r.returncode, lines))
        time.sleep(2)
    cgroups.kill(reader)
    reader = None
    return out

try:
    made.append(cgroups.create(MEM, target))
    cgroups.create(MEM, session)
    # The files, written once from inside the session (so charged to it).
    names = [f"hot{i}" for i in range(HOT_FILES)] + [f"cold{i}" for i in range(COLD_FILES)]
    sizes = [HOT_MIB] * HOT_FILES + [COLD_MIB] * COLD_FILES
    script = " && ".join(f"dd if=/dev/zero of={work}/{n} bs=1M count={s} conv=fsync status=none" for n, s in zip(names, sizes))
    subprocess.run(["/bin/sh", "-c", f"echo $$ > {MEM}/{session}/cgroup.procs && {script}"], check=True)
    order = []
    for i in range(REPS):
        order += ["all", "deficit"] if i % 2 == 0 else ["deficit", "all"]
    rows = []
    for n, mode in enumerate(order):
        row = trial(mode, n)
        rows.append(row)
        print(f"trial {n + 1}/{len(order)} {mode}: freed {mib(row['freed'])} MiB of {mib(row['before'])} "
              f"(active {mib(row['active'])}, inactive {mib(row['inactive'])}), "
              f"avail {mib(row['avail_before'])} -> {mib(row['avail_after'])} MiB vs thresh {mib(row['thresh'])}, "
              f"refault {mib(row['refault'])} MiB, read {mib(row['rate_before'])} -> {mib(row['rate_after'])} MiB/s, "
              f"took {row['took']:.3f} s, stopped: {row['stop']}"
              + (f", asked {mib(row['asked'])} MiB, avail rose {mib(row['avail_after'] - row['avail_before'])} MiB" if row['asked'] else ""),
              flush=True)
    print()
    print(f"| reclaim_amount | trials | freed MiB | avail after - thresh MiB (min) | refault MiB in {AFTER:.0f} s | read MiB/s before -> after | took s |")
    print("|---|---|---|---|---|---|---|")
    med = {}
    for mode in ("all", "deficit"):
        rs = [r for r in rows if r["mode"] == mode]
        m = lambda k: statistics.median(r[k] for r in rs)
        med[mode] = m("refault")
        margin_min = min(r["avail_after"] - r["thresh"] for r in rs)
        print(f"| {mode} | {len(rs)} | {mib(m('freed'))} ({mib(min(r['freed'] for r in rs))}-{mib(max(r['freed'] for r in rs))}) "
              f"| {mib(margin_min)} | {mib(m('refault'))} ({mib(min(r['refault'] for r in rs))}-{mib(max(r['refault'] for r in rs))}) "
              f"| {mib(m('rate_before'))} -> {mib(m('rate_after'))} | {m('took'):.3f} |")
    print()
    recovered = all(r["avail_after"] >= r["thresh"] for r in rows)
    ratio = med["deficit"] / med["all"] if med["all"] else float("nan")
    print(f"memory.available back above global thresh after every reclaim: {'yes' if recovered else 'NO'}")
    print(f"refaults, deficit / all (medians): {ratio:.3f} (goal: at most 0.2)")
    print()
    print("dying cgroups (8 children of 128 MiB written then removed, a live session re-reading 2 GiB):")
    for mode, rc, lines in dying_experiment():
        print(f"  {mode} (exit {rc}):")
        for l in lines:
            print(f"    {l}")
finally:
    cgroups.kill(reader)
    # The files first: their pages go with them, so nothing stays dying.
    shutil.rmtree(work, ignore_errors=True)
    for path in made:
        cgroups.remove_or_warn(path, empty=True, attempts=50)
PY
