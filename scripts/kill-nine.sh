#!/usr/bin/env bash
# kill -9 of `mon_memcg watch` on the real memory controller, cgroup v1 or
# v2 (whichever the machine has), with a real reclaim to be killed in:
#
#   scripts/kill-nine.sh ROUNDS [BINARY]
#
# Tests/CLITests/WatchKillNineTests.swift does the same on a fixture tree
# (its reclaim a FIFO, so it can hold a kill inside one as long as it
# likes); this is its counterpart on a real kernel, for the cgroup v2 VM
# (scripts/vm-systemd/soak-phase.sh), where the reclaim is the target's
# memory.reclaim (v1: memory.force_empty). Root.
#
# Each round: a process in a child cgroup of a mon_memcg-test-kill9-*
# target writes 32 MiB of page cache and exits (its pages stay charged: the
# growth that makes the next check reclaim; the thresholds make memory
# short at once); watch starts (MON_MEMCG_TRACE=1) and gets SIGKILL -- in
# odd rounds once it holds the target's reclaim file open (inside the
# reclaim: the file's descriptor is open only while the write runs), in even
# rounds after a random 0-1.5 s. Then, before the restart, what a
# restarted daemon (Restart=on-failure) would find must be sound:
#   - the lock (state.lock) is free: flock(LOCK_EX|LOCK_NB) takes it;
#   - the state file, if there is one, is whole: the version line, "key
#     value" lines, a newline at the end (a half-written one would fail);
#   - the metrics file, if there is one, is whole (ends with a newline,
#     every sample line "name value");
#   - no temp file is left beside the state file or the metrics file once
#     the next check has run (a kill between a save's create and rename
#     leaves one; the next run, holding the lock, removes it);
#   - `mon_memcg check` with the same configuration exits 0 (the next check
#     works, taking the lock and reading the state).
# Exit 1 when any of these fails in any round, or when fewer than a quarter
# of the rounds were killed inside a reclaim (the test would then not test
# what it says).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:?usage: scripts/kill-nine.sh ROUNDS [BINARY]}
bin=${2:-.build/release/mon_memcg}

PYTHONPATH=scripts/lib exec /usr/bin/python3 - "$bin" "$rounds" <<'PY'
import fcntl, os, random, re, shutil, signal, subprocess, sys, tempfile, time
import memcg_cgroups as cgroups

BIN, ROUNDS = os.path.realpath(sys.argv[1]), int(sys.argv[2])
UNIFIED = "/sys/fs/cgroup"
V2 = not os.path.exists(f"{cgroups.MOUNT}/memory.force_empty") and os.path.exists(f"{UNIFIED}/cgroup.controllers")
if os.geteuid() != 0:
    sys.exit("needs root")
if not V2 and cgroups.unusable():
    sys.exit(cgroups.unusable())
if not os.access(sys.argv[1], os.X_OK):
    sys.exit(f"no binary at {sys.argv[1]} (swift build -c release -Xswiftc -static-executable --product mon_memcg)")
MOUNT = UNIFIED if V2 else cgroups.MOUNT
RECLAIM_FILE = "memory.reclaim" if V2 else "memory.force_empty"
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
WORK_DIR = os.environ.get("SOAK_DIR") or "/var/tmp"

def mono():
    return time.clock_gettime(time.CLOCK_MONOTONIC)

def holds_reclaim_file(pid, path):
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == path:
                    return True
            except OSError:
                pass
    except OSError:
        pass
    return False

def torn_or_bad(path, bad_lines):
    """What is wrong with a file the daemon replaces atomically, or None
    (also when it does not exist yet): one that does not end with a newline
    was torn by the kill; otherwise bad_lines(lines) says which lines are
    not of its format."""
    if not os.path.exists(path):
        return None
    text = open(path).read()
    if not text.endswith("\n"):
        return f"{path} does not end with a newline: {text[-60:]!r}"
    bad = bad_lines(text.split("\n")[:-1])
    return f"{path}: lines {bad[:3]!r}" if bad else None

STATE_LINE = re.compile(r"^[a-z0-9_]+ [0-9a-f-]+$")
def state_problem(path):
    return torn_or_bad(path, lambda lines: lines[:1] if lines[:1] != ["mon_memcg-state 1"]
                       else [l for l in lines[1:] if not STATE_LINE.match(l)])

SAMPLE = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? \S+$")
def metrics_problem(path):
    return torn_or_bad(path, lambda lines: [l for l in lines if l and not l.startswith("#") and not SAMPLE.match(l)])

work = tempfile.mkdtemp(prefix="mon_memcg-kill9-", dir=WORK_DIR)
target = f"mon_memcg-test-kill9-{random.randrange(1 << 32)}"
tpath = daemon = None
try:
    tpath = cgroups.create(MOUNT, target)
    if V2:
        with open(f"{tpath}/cgroup.subtree_control", "w") as f:
            f.write("+memory")
    fill = cgroups.create(tpath, "mon_memcg-test-fill")
    os.makedirs(f"{work}/state")
    os.makedirs(f"{work}/metrics")
    conf, state, log = f"{work}/mon_memcg.conf", f"{work}/state/state", f"{work}/mon_memcg.log"
    metrics = f"{work}/metrics/mon_memcg.prom"
    reclaim_path = f"{tpath}/{RECLAIM_FILE}"
    with open(conf, "w") as f:
        # Short at once (the threshold above MemTotal) and every 32 MiB
        # written is growth: every check reclaims.
        f.write(f"target = {target}\nstate_file = {state}\nlog_file = {log}\nmetrics_file = {metrics}\n"
                f"available_threshold = {cgroups.meminfo('MemTotal') + (1 << 30)}\ngrowth_threshold = 16M\n"
                f"dying_reclaim = off\npoll_interval = 200ms\n")
    os.chmod(conf, 0o600)
    err = open(f"{work}/daemon.err", "w")
    fails, inside, elsewhere, waited_out, check_ms = [], 0, 0, 0, []
    started = mono()
    for round in range(ROUNDS):
        writer = cgroups.spawn(fill, ["/usr/bin/python3", "-c",
                                      f"f = open('{work}/page-{round % 4}', 'wb'); f.write(b'x' * (32 << 20)); f.close()"])
        writer.wait()
        daemon = subprocess.Popen([BIN, "watch", "--config", conf], stdout=subprocess.DEVNULL, stderr=err,
                                  env=dict(os.environ, MON_MEMCG_TRACE="1"))
        mid = round % 2 == 1
        if mid:
            deadline, seen = mono() + 10, False
            while mono() < deadline and daemon.poll() is None:
                if holds_reclaim_file(daemon.pid, reclaim_path):
                    seen = True
                    break
            if seen:
                inside += 1
            else:
                waited_out += 1
        else:
            time.sleep(random.uniform(0, 1.5))
            elsewhere += 1
        if daemon.poll() is not None:
            fails.append(f"round {round}: watch exited with {daemon.returncode} before the kill")
        daemon.kill()
        daemon.wait()
        # What the restart finds.
        try:
            with open(f"{state}.lock", "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(lock, fcntl.LOCK_UN)
        except FileNotFoundError:
            pass
        except BlockingIOError:
            fails.append(f"round {round}: {state}.lock still held after the kill")
        for problem in (state_problem(state), metrics_problem(metrics)):
            if problem:
                fails.append(f"round {round}: {problem}")
        t0 = mono()
        check = subprocess.run([BIN, "check", "--config", conf], capture_output=True, text=True)
        check_ms.append((mono() - t0) * 1000)
        # A kill between a save's create and rename leaves its temp file;
        # the next run (which holds the lock) removes it.
        left = [p for d in ("state", "metrics") for p in os.listdir(f"{work}/{d}")
                if p not in ("state", "state.lock", "state.alive", "mon_memcg.prom")]
        if left:
            fails.append(f"round {round}: left beside the state or metrics after the next check: {left}")
        if check.returncode != 0:
            fails.append(f"round {round}: the next check exited {check.returncode}: {check.stderr.strip()[-300:]}")
        if state_problem(state) or not os.path.exists(state):
            fails.append(f"round {round}: after the check: {state_problem(state) or 'no state file'}")
    elapsed = mono() - started
    text = open(log).read() if os.path.exists(log) else ""
    print(f"kill -9 of watch: {ROUNDS} kills in {elapsed:.0f} s on {os.uname().release}, cgroup {'v2' if V2 else 'v1'} "
          f"({RECLAIM_FILE}), target {target}")
    print(f"  killed inside a reclaim ({RECLAIM_FILE} open): {inside}; at a random point: {elsewhere}; "
          f"reclaim not seen within 10 s: {waited_out}")
    print(f"  reclaims logged: {text.count('reclaim took ')}; the checks after each kill: "
          f"{sum(1 for _ in check_ms)} run, median {sorted(check_ms)[len(check_ms) // 2]:.0f} ms")
    if inside < ROUNDS // 4:
        fails.append(f"only {inside} of {ROUNDS} kills inside a reclaim")
    for f in fails[:20]:
        print(f"FAIL: {f}")
    sys.exit(1 if fails else 0)
finally:
    cgroups.kill(daemon)
    cgroups.remove_or_warn(tpath)
    shutil.rmtree(work, ignore_errors=True)
PY
