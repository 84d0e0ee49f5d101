#!/usr/bin/python3
"""End to end: real mon_memcg checks on the real kernel, read by a real
node_exporter's textfile collector, scraped by a real Prometheus that loads
the shipped rules (alerts with the test-only `for:` of tests/e2e-for.yml).

    /usr/bin/python3 monitoring/tests/e2e.py --bin .build/debug/mon_memcg --work DIR [--cgroup mon_memcg-test-NAME]

Needs root and the cgroup v1 memory controller at /sys/fs/cgroup/memory;
exits 77 after a SKIP line without them. Everything listens on 127.0.0.1;
every process it starts is stopped and its cgroup removed on any exit.
Prints `ok:` / `FAIL:` lines and a timeline; exit 1 if anything failed.
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

import yaml

sys.dont_write_bytecode = True  # no __pycache__ left in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_dashboard  # noqa: E402

MEMCG = "/sys/fs/cgroup/memory"
ALERTS = "monitoring/mon_memcg-alerts.yml"
RECORDING = "monitoring/mon_memcg-recording.yml"
FOR_OVERRIDE = "monitoring/tests/e2e-for.yml"
DASHBOARD = "monitoring/grafana/mon_memcg.json"
DEADLINE_S = 230          # the whole test, then it is stopped and cleaned up
CACHE_MIB = 256           # page cache put into the test cgroup

STALE_AFTER_S = None      # MonMemcgNotRunning's "> N", read from the shipped rule
T0 = time.monotonic()
WALL0 = time.time()       # the same start, for Prometheus' timestamps
failures = 0
passes = 0


def stamp():
    return f"[t+{time.monotonic() - T0:6.1f}s {time.strftime('%H:%M:%S', time.gmtime())}Z]"


def log(msg):
    print(f"   {stamp()} {msg}", flush=True)


def ok(msg):
    global passes
    passes += 1
    print(f"ok: e2e: {msg}", flush=True)


def fail(msg):
    global failures
    failures += 1
    print(f"FAIL: e2e: {msg}", flush=True)


class Abort(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Prom:
    def __init__(self, base):
        self.base = base

    def get(self, path, **params):
        url = f"{self.base}{path}?{urllib.parse.urlencode(params)}" if params else f"{self.base}{path}"
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                body = json.load(r)
        except urllib.error.HTTPError as e:
            body = json.load(e)
        if body.get("status") != "success":
            raise RuntimeError(f"{path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr):
        return self.get("/api/v1/query", query=expr)["result"]

    def query_range(self, expr, start, end, step=1):
        return self.get("/api/v1/query_range", query=expr, start=f"{start:.3f}", end=f"{end:.3f}", step=step)["result"]

    def scalar(self, expr):
        r = self.query(expr)
        return float(r[0]["value"][1]) if r else None

    def alerts(self):
        return self.get("/api/v1/alerts")["alerts"]


class AlertWatcher(threading.Thread):
    """Polls /api/v1/alerts and logs every state change with its time."""

    def __init__(self, prom):
        super().__init__(daemon=True)
        self.prom = prom
        self.state = {}       # alertname -> pending | firing
        self.history = []     # (wall time, alertname, old, new)
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                now = {}
                for a in self.prom.alerts():
                    now[a["labels"]["alertname"]] = a["state"]
                self.update(now)
            except Exception as e:  # noqa: BLE001 - logged; the next poll retries
                log(f"alerts API: {e}")
            self.stop.wait(0.25)

    def update(self, now):
        with self.lock:
            for name in sorted(set(self.state) | set(now)):
                old, new = self.state.get(name, "inactive"), now.get(name, "inactive")
                if old != new:
                    self.history.append((time.time(), name, old, new))
                    log(f"ALERT {name}: {old} -> {new}")
            self.state = now

    def first(self, name, new, after=0.0):
        with self.lock:
            for t, n, _, s in self.history:
                if n == name and s == new and t >= after:
                    return t
        return None

    def ever(self, name):
        with self.lock:
            return any(n == name for _, n, _, _ in self.history)


def wait_until(what, pred, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.25)
    raise Abort(f"timed out after {timeout:.0f} s waiting for {what}")


def parse_prom_text(path):
    """{(name, frozenset(labels)): value} of a metrics file (no escapes needed here)."""
    samples = {}
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"(\w+)(?:\{(.*)\})?\s+(\S+)", line)
        labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        samples[(m.group(1), labels)] = float(m.group(3))
    return samples


def override_for(workdir):
    """The shipped alerts with only `for:` replaced; refuses any other drift."""
    shipped = yaml.safe_load(open(ALERTS))
    fors = yaml.safe_load(open(FOR_OVERRIDE))
    seen = set()
    for group in shipped["groups"]:
        for rule in group["rules"]:
            name = rule.get("alert")
            if name in fors:
                rule["for"] = fors[name]
                seen.add(name)
            elif name and "for" in rule:
                raise Abort(f"{FOR_OVERRIDE} has no entry for {name} (for: {rule['for']}): the test would wait that long")
    unknown = set(fors) - seen
    if unknown:
        raise Abort(f"{FOR_OVERRIDE} names {sorted(unknown)}, which {ALERTS} does not have")
    global STALE_AFTER_S
    expr = next(r["expr"] for g in shipped["groups"] for r in g["rules"] if r.get("alert") == "MonMemcgNotRunning")
    STALE_AFTER_S = float(re.search(r"mon_memcg_last_run_timestamp_seconds\s*>\s*(\d+)", expr).group(1))
    path = os.path.join(workdir, "mon_memcg-alerts.e2e.yml")
    with open(path, "w") as f:
        yaml.safe_dump(shipped, f, sort_keys=False)
    return path, fors


class Run:
    def __init__(self, args):
        self.args = args
        self.work = args.work
        self.procs = []
        self.cgroup = args.cgroup
        self.cgpath = os.path.join(MEMCG, self.cgroup)
        self.cache = os.path.join(self.work, "cache")
        self.textdir = os.path.join(self.work, "textfile")
        self.metrics = os.path.join(self.textdir, "mon_memcg.prom")
        self.conf = os.path.join(self.work, "mon_memcg.conf")
        self.watcher = None

    # -- processes -------------------------------------------------------
    def start(self, name, argv):
        out = open(os.path.join(self.work, f"{name}.log"), "w")
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append((name, p))
        with open(os.path.join(self.work, "pids"), "a") as f:
            f.write(f"{p.pid}\n")
        return p

    def cleanup(self):
        if self.watcher:
            self.watcher.stop.set()
        for name, p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(5)
        # Deleting the file uncharges its page cache, so the cgroup dies empty.
        if os.path.exists(self.cache):
            os.unlink(self.cache)
        for path in (os.path.join(self.cgpath, "watch"), self.cgpath):
            if not os.path.isdir(path):
                continue
            for _ in range(50):
                try:
                    # Only processes this test started were moved in here.
                    for pid in open(os.path.join(path, "cgroup.procs")).read().split():
                        os.kill(int(pid), signal.SIGKILL)
                    os.rmdir(path)
                    break
                except (ProcessLookupError, OSError):
                    time.sleep(0.1)
            else:
                print(f"FAIL: e2e: cannot remove {path}; remove it with: rmdir {path}", flush=True)

    # -- mon_memcg -------------------------------------------------------
    def common(self):
        # dying_reclaim off: the escalation may write /proc/sys/vm/drop_caches,
        # which is node-wide; this test touches only its own cgroup.
        return ["--config", self.conf, "--available-threshold", "1T", "--growth-threshold", "64M",
                "--dying-reclaim", "off", "--state-file", os.path.join(self.work, "state"),
                "--log-file", os.path.join(self.work, "mon_memcg.log"), "--metrics-file", self.metrics]

    def check(self, target, expect_status):
        t = time.time()
        r = subprocess.run([self.args.bin, "check", "--target", target] + self.common(),
                           capture_output=True, text=True, timeout=70)
        log(f"mon_memcg check --target {target}: exit {r.returncode} {r.stderr.strip()}")
        if r.returncode != expect_status:
            raise Abort(f"mon_memcg check --target {target} exited {r.returncode}, expected {expect_status}: {r.stderr}")
        return t

    def file_timestamp(self):
        return parse_prom_text(self.metrics)[("mon_memcg_last_run_timestamp_seconds", frozenset())]

    def wait_scraped(self, prom, what):
        """Until Prometheus holds the file's last_run_timestamp_seconds."""
        ts = self.file_timestamp()
        wait_until(f"Prometheus to scrape {what}",
                   lambda: prom.scalar(f'mon_memcg_last_run_timestamp_seconds{{job="node"}} == {ts:.0f}') is not None, 20)
        return ts

    # -- the test --------------------------------------------------------
    def run(self):
        a = self.args
        os.makedirs(self.textdir)
        open(self.conf, "w").close()  # empty: defaults plus the options, whatever /etc holds
        os.chmod(self.conf, 0o600)
        alerts_path, fors = override_for(self.work)
        ok(f"alert rules loaded as shipped, `for:` replaced from {FOR_OVERRIDE} ({', '.join(f'{k} {v}' for k, v in fors.items())})")

        ne_port, prom_port = free_port(), free_port()
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [os.path.abspath(RECORDING), alerts_path],
            "scrape_configs": [{"job_name": "node", "static_configs": [{"targets": [f"127.0.0.1:{ne_port}"]}]}],
        }
        prom_yml = os.path.join(self.work, "prometheus.yml")
        with open(prom_yml, "w") as f:
            yaml.safe_dump(config, f)
        r = subprocess.run(["promtool", "check", "config", prom_yml], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise Abort(f"promtool check config: {r.stdout}{r.stderr}")
        ok("promtool check config: the test's prometheus.yml with the recording rules and the overridden alerts")

        self.start("node_exporter", ["prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{ne_port}",
                                     "--collector.disable-defaults", "--collector.textfile",
                                     f"--collector.textfile.directory={self.textdir}"])
        self.start("prometheus", ["prometheus", f"--config.file={prom_yml}",
                                  f"--storage.tsdb.path={os.path.join(self.work, 'tsdb')}",
                                  f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"])
        prom = Prom(f"http://127.0.0.1:{prom_port}")

        def ready():
            for name, p in self.procs:
                if p.poll() is not None:
                    raise Abort(f"{name} exited with {p.returncode}: {open(os.path.join(self.work, name + '.log')).read()[-2000:]}")
            try:
                return prom.scalar('up{job="node"} == 1') is not None
            except Exception:  # noqa: BLE001 - not listening yet
                return False
        wait_until("Prometheus up and scraping node_exporter", ready, 30)
        instance = f"127.0.0.1:{ne_port}"
        ok(f"prometheus {prom_port} scrapes prometheus-node-exporter {instance} (textfile collector on {self.textdir}), both on 127.0.0.1")
        self.watcher = AlertWatcher(prom)
        self.watcher.start()
        start_wall = WALL0

        # 1. A check on the empty cgroup: memory is "short" (1T threshold)
        # but the target did not grow, so it skips; the counters start at 0.
        os.mkdir(self.cgpath)
        log(f"created {self.cgpath}")
        self.check(self.cgroup, 0)
        self.wait_scraped(prom, "the first check")

        # 2. Page cache from a process started in the cgroup, then a check
        # that reclaims it.
        fill = subprocess.run(["sh", "-c", 'echo $$ > "$1/cgroup.procs" && exec dd if=/dev/zero of="$2" bs=1M count="$3" status=none',
                               "fill", self.cgpath, self.cache, str(CACHE_MIB)], timeout=60)
        stat = dict(line.split() for line in open(os.path.join(self.cgpath, "memory.stat")))
        charged = int(stat["total_cache"]) + int(stat["total_rss"])
        log(f"dd wrote {CACHE_MIB} MiB in the cgroup (exit {fill.returncode}); total_rss+total_cache {charged}")
        if fill.returncode != 0 or charged < (CACHE_MIB // 2) << 20:
            raise Abort(f"could not put page cache into {self.cgpath} (dd exit {fill.returncode}, charged {charged})")
        self.check(self.cgroup, 0)
        mlog = open(os.path.join(self.work, "mon_memcg.log")).read()
        if "reclaim took" not in mlog:
            raise Abort(f"the check did not reclaim; its log:\n{mlog}")
        self.wait_scraped(prom, "the reclaiming check")

        # The metrics arrive with the file's values.
        file_samples = parse_prom_text(self.metrics)
        got = {}
        for s in prom.query(f'{{__name__=~"mon_memcg_.+", instance="{instance}"}}'):
            labels = {k: v for k, v in s["metric"].items() if k not in ("__name__", "instance", "job")}
            got[(s["metric"]["__name__"], frozenset(labels.items()))] = float(s["value"][1])
        diff = {k: (v, got.get(k)) for k, v in file_samples.items() if got.get(k) != v}
        if diff or set(got) - set(file_samples):
            fail(f"Prometheus differs from {self.metrics}: {diff}, extra {set(got) - set(file_samples)}")
        else:
            ok(f"all {len(file_samples)} samples of the metrics file are in Prometheus with the file's values")
        v = {name: val for (name, labels), val in file_samples.items() if not labels}
        min_free = int(open("/proc/sys/vm/min_free_kbytes").read()) * 1024
        expect = [
            ("mon_memcg_reclaims_total == 1", v["mon_memcg_reclaims_total"] == 1),
            (f"mon_memcg_reclaimed_bytes_total >= {CACHE_MIB // 2} MiB", v["mon_memcg_reclaimed_bytes_total"] >= (CACHE_MIB // 2) << 20),
            (f"mon_memcg_target_current_bytes >= {CACHE_MIB // 2} MiB", v["mon_memcg_target_current_bytes"] >= (CACHE_MIB // 2) << 20),
            ("mon_memcg_global_threshold_bytes == 1T + min_free_kbytes", v["mon_memcg_global_threshold_bytes"] == (1 << 40) + min_free),
            ("mon_memcg_available_bytes < global threshold", v["mon_memcg_available_bytes"] < v["mon_memcg_global_threshold_bytes"]),
            ("mon_memcg_last_run_success == 1", v["mon_memcg_last_run_success"] == 1),
            ("mon_memcg_interruptions_total == 0", v["mon_memcg_interruptions_total"] == 0),
            ("mon_memcg_dying_bytes present (measured around the reclaim)", "mon_memcg_dying_bytes" in v),
        ]
        wrong = [what for what, good in expect if not good]
        if wrong:
            fail(f"metric values: not {wrong}; file: {v}")
        else:
            ok("values: " + "; ".join(what for what, _ in expect)
               + f" (reclaimed {int(v['mon_memcg_reclaimed_bytes_total'])} bytes)")

        # Recording rules evaluate on those series.
        def recorded():
            inc = prom.scalar(f'instance:mon_memcg_reclaims:increase1h{{instance="{instance}"}}')
            freed = prom.scalar(f'instance:mon_memcg_reclaimed_bytes:increase1h{{instance="{instance}"}}')
            ratio = prom.scalar('job:mon_memcg_nodes_below_threshold:ratio{job="node"}')
            count = prom.scalar('job:mon_memcg_nodes:count{job="node"}')
            if inc is not None and inc >= 1 and freed and freed >= v["mon_memcg_reclaimed_bytes_total"] and ratio == 1 and count == 1:
                return inc, freed, ratio, count
            return None
        inc, freed, ratio, count = wait_until("the recording rules", recorded, 20)
        ok(f"recording rules: instance:mon_memcg_reclaims:increase1h {inc:.2f}, instance:mon_memcg_reclaimed_bytes:increase1h {freed:.0f}, "
           f"job:mon_memcg_nodes_below_threshold:ratio {ratio:g}, job:mon_memcg_nodes:count {count:g}")

        # 3. mon_memcg watch for a few seconds: wake-ups by reason. Its
        # cgroup_root is the test cgroup, so the usage threshold it arms is
        # registered in a cgroup this test created.
        os.mkdir(os.path.join(self.cgpath, "watch"))
        w = self.start("watch", [a.bin, "watch", "--cgroup-root", self.cgpath, "--target", "watch",
                                 "--poll-interval", "200ms"] + self.common())
        time.sleep(2.5)
        w.send_signal(signal.SIGTERM)
        status = w.wait(10)
        wakeups = {dict(labels).get("reason"): val for (name, labels), val in parse_prom_text(self.metrics).items()
                   if name == "mon_memcg_watch_wakeups_total"}
        log(f"mon_memcg watch ran 2.5 s, exit {status} on SIGTERM; wake-ups {wakeups}")
        if status != 0 or not wakeups.get("poll"):
            raise Abort(f"mon_memcg watch: exit {status}, wake-ups {wakeups}: {open(os.path.join(self.work, 'watch.log')).read()}")
        # Several of its checks share a timestamp second: wait for the count.
        polls = None
        try:
            polls = wait_until("the watch daemon's last wake-up count in Prometheus", lambda: prom.scalar(
                f'mon_memcg_watch_wakeups_total{{instance="{instance}", reason="poll"}} == {wakeups["poll"]:g}'), 20)
        except Abort:
            pass
        if polls == wakeups["poll"]:
            ok(f"mon_memcg_watch_wakeups_total{{reason=\"poll\"}} {polls:g} in Prometheus, as in the file")
        else:
            fail(f"mon_memcg_watch_wakeups_total{{reason=\"poll\"}} is {polls} in Prometheus, {wakeups['poll']} in the file")

        # 4. A failing check (the target does not exist: exit 4), then a good one.
        failed_at = self.check(f"{self.cgroup}-absent", 4)
        if parse_prom_text(self.metrics)[("mon_memcg_last_run_success", frozenset())] != 0:
            raise Abort("the failing check did not write mon_memcg_last_run_success 0")
        self.wait_scraped(prom, "the failing check")
        for_s = float(str(fors["MonMemcgCheckFailing"]).rstrip("s"))
        pending = wait_until("MonMemcgCheckFailing pending",
                             lambda: self.watcher.first("MonMemcgCheckFailing", "pending", failed_at), 15)
        firing = wait_until("MonMemcgCheckFailing firing",
                            lambda: self.watcher.first("MonMemcgCheckFailing", "firing", failed_at), for_s + 15)
        good_at = self.check(self.cgroup, 0)
        resolved = wait_until("MonMemcgCheckFailing resolved",
                              lambda: self.watcher.first("MonMemcgCheckFailing", "inactive", good_at), 15)
        if failed_at < pending and firing - pending >= for_s - 1.5 and good_at < resolved:
            ok(f"MonMemcgCheckFailing: failing check at t+{failed_at - start_wall:.1f}s, pending +{pending - failed_at:.1f}s after it, "
               f"firing {firing - pending:.1f}s later (for: {fors['MonMemcgCheckFailing']}), good check at t+{good_at - start_wall:.1f}s, "
               f"resolved {resolved - good_at:.1f}s after it")
        else:
            fail(f"MonMemcgCheckFailing order: failing check {failed_at}, pending {pending}, firing {firing}, good check {good_at}, resolved {resolved}")
        self.alerts_series(prom, "MonMemcgCheckFailing", start_wall, need=("pending", "firing"))
        if prom.query('ALERTS{alertname="MonMemcgCheckFailing"}'):
            fail("ALERTS still has MonMemcgCheckFailing after the good check")
        else:
            ok("ALERTS{alertname=\"MonMemcgCheckFailing\"} is empty now (resolved)")
        last_check = self.file_timestamp()

        # 5. Every dashboard query, over the run so far, while checks have
        # stopped (the agent-stopped alert is next).
        self.dashboard_queries(prom, instance, start_wall)

        # 6. No more checks: MonMemcgNotRunning once the last check is 90 s old.
        for_s = float(str(fors["MonMemcgNotRunning"]).rstrip("s"))
        left = last_check + STALE_AFTER_S - time.time()
        log(f"checks stopped; MonMemcgNotRunning is due {left:.0f} s from now ({STALE_AFTER_S:g} s after the last check) plus for: {fors['MonMemcgNotRunning']}")
        pending = wait_until("MonMemcgNotRunning pending",
                             lambda: self.watcher.first("MonMemcgNotRunning", "pending"), left + 15)
        firing = wait_until("MonMemcgNotRunning firing",
                            lambda: self.watcher.first("MonMemcgNotRunning", "firing"), for_s + 15)
        if pending - last_check >= STALE_AFTER_S - 1 and firing - pending >= for_s - 1.5:
            ok(f"MonMemcgNotRunning: pending {pending - last_check:.1f}s after the last check, firing {firing - pending:.1f}s later")
        else:
            fail(f"MonMemcgNotRunning too early: last check {last_check}, pending {pending}, firing {firing}")
        alert = [x for x in prom.alerts() if x["labels"]["alertname"] == "MonMemcgNotRunning"]
        if alert and alert[0]["labels"].get("instance") == instance and alert[0]["labels"].get("severity") == "warning" \
                and re.fullmatch(rf"mon_memcg has not run on {re.escape(instance)} for (\d+m )?\d+s", alert[0]["annotations"]["summary"]):
            ok(f"MonMemcgNotRunning labels {alert[0]['labels']}, summary {alert[0]['annotations']['summary']!r}")
        else:
            fail(f"MonMemcgNotRunning as Prometheus has it: {alert}")

        # 7. The metrics file goes away: the series vanish, MonMemcgNotRunning
        # resolves and MonMemcgMetricsMissing takes over.
        removed_at = time.time()
        os.unlink(self.metrics)
        log(f"removed {self.metrics}")
        missing = wait_until("MonMemcgMetricsMissing firing",
                             lambda: self.watcher.first("MonMemcgMetricsMissing", "firing", removed_at), 20)
        gone = self.watcher.first("MonMemcgNotRunning", "inactive", removed_at)
        if gone:
            ok(f"metrics file removed: MonMemcgMetricsMissing firing {missing - removed_at:.1f}s later, MonMemcgNotRunning resolved")
        else:
            fail("MonMemcgNotRunning still active after the metrics vanished")

        # Prometheus' own record, and no alert that had no reason to fire.
        self.alerts_series(prom, "MonMemcgNotRunning", start_wall, need=("pending", "firing"))
        self.alerts_series(prom, "MonMemcgMetricsMissing", start_wall, need=("pending", "firing"))
        # 1T threshold: every check is below it, and the check reclaimed.
        self.alerts_series(prom, "MonMemcgReclaimNotHelping", start_wall, need=("firing",))
        quiet = ["MonMemcgReclaimsInterrupted", "MonMemcgWritersOutpaceDisk", "MonMemcgDyingCgroupsHoldMemory", "MonMemcgEscalatingOften", "MonMemcgNearEviction"]
        noisy = [n for n in quiet if self.watcher.ever(n) or prom.query_range(f'ALERTS{{alertname="{n}"}}', start_wall, time.time())]
        if noisy:
            fail(f"alerts active without a cause in this run: {noisy}")
        else:
            ok(f"never active (no interruption, escalation, dying bytes or 1 GiB not on disk, {v['mon_memcg_available_bytes'] / 2**30:.1f} GiB available): {', '.join(quiet)}")

    def alerts_series(self, prom, name, start, need):
        # The rule evaluation that the alerts API showed may be a second
        # ahead of the last step of a range query made at once: retry briefly.
        end = time.monotonic() + 5
        while True:
            series = prom.query_range(f'ALERTS{{alertname="{name}"}}', start, time.time() + 1, 1)
            seen = {}
            for s in series:
                ts = [float(t) for t, _ in s["values"]]
                seen[s["metric"]["alertstate"]] = (min(ts) - start, max(ts) - start)
            ordered = "pending" not in need or "firing" not in need or \
                ("pending" in seen and "firing" in seen and seen["pending"][0] < seen["firing"][0])
            good = all(st in seen for st in need) and ordered
            if good or time.monotonic() > end:
                break
            time.sleep(0.5)
        text = ", ".join(f"{st} t+{a:.0f}s..t+{b:.0f}s" for st, (a, b) in sorted(seen.items(), key=lambda x: x[1]))
        if good:
            ok(f"ALERTS{{alertname=\"{name}\"}} in Prometheus: {text}")
        else:
            fail(f"ALERTS{{alertname=\"{name}\"}}: expected {' then '.join(need)}, got: {text or 'nothing'}")

    def dashboard_queries(self, prom, instance, start):
        dash = json.load(open(DASHBOARD))
        end = time.time()
        # As Grafana writes a selected value into a regex: escaped, and the
        # backslash doubled inside PromQL's double-quoted string.
        variables = {"datasource": "prometheus", "job": "node", "instance": re.escape(instance).replace("\\", "\\\\"),
                     "__rate_interval": "10s", "__interval": "1s", "__range": f"{int(end - start)}s"}
        for pid, title, ref, expr in check_dashboard.queries(dash):
            what = f"dashboard panel {pid} {title!r} {ref}" if pid else f"dashboard {title}"
            try:
                lv = check_dashboard.label_values_query(expr)
                if lv:
                    sel, label = lv
                    data = prom.get("/api/v1/series", **{"match[]": check_dashboard.substitute(sel, variables),
                                                         "start": f"{start:.3f}", "end": f"{end:.3f}"})
                    values = sorted({s.get(label) for s in data} - {None})
                    good = bool(values)
                    detail = f"{label} values {values}"
                else:
                    q = check_dashboard.substitute(expr, variables)
                    data = prom.query_range(q, start, end, 1)
                    points = sum(len(s["values"]) for s in data)
                    good = points > 0
                    detail = f"{len(data)} series, {points} points"
            except Exception as e:  # noqa: BLE001 - reported as the panel's failure
                fail(f"{what}: {expr!r}: {e}")
                continue
            if good:
                ok(f"{what}: {detail}")
            else:
                fail(f"{what}: {expr!r} returned no data, though this run produced its metrics")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--cgroup", default=f"mon_memcg-test-monitoring-{os.getpid()}",
                    help="name of the cgroup to create under the memory controller (mon_memcg-test-*)")
    args = ap.parse_args()
    if not re.fullmatch(r"mon_memcg-test-[\w.-]+", args.cgroup):
        ap.error("--cgroup must be mon_memcg-test-<name>")
    if os.geteuid() != 0:
        print("SKIP: e2e: needs root (cgroup writes, mon_memcg check)", flush=True)
        return 77
    if not os.path.exists(os.path.join(MEMCG, "memory.usage_in_bytes")):
        print(f"SKIP: e2e: no cgroup v1 memory controller at {MEMCG}", flush=True)
        return 77

    def stop(signum, _frame):
        raise Abort(f"stopped by signal {signum}" if signum != signal.SIGALRM else f"the test ran past {DEADLINE_S} s")
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM):
        signal.signal(s, stop)
    signal.alarm(DEADLINE_S)

    run = Run(args)
    try:
        run.run()
    except Exception as e:  # noqa: BLE001 - any crash is this test's failure, after the cleanup below
        if not isinstance(e, Abort):
            traceback.print_exc(file=sys.stdout)
        fail(str(e) or type(e).__name__)
        for name in ("mon_memcg.log", "prometheus.log", "node_exporter.log"):
            p = os.path.join(args.work, name)
            if os.path.exists(p):
                print(f"--- end of {p}:\n{open(p).read()[-1500:]}", flush=True)
    finally:
        signal.alarm(0)
        run.cleanup()
    print(f"   {stamp()} end-to-end done: {passes} passed, {failures} failed", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
