"""The efficacy lab's numbers, from a cell's samples (CELL.csv), its record
(CELL.json) and its agent's log: pure functions, so report.py can redo
them from the committed CSVs."""
import calendar
import csv
import re
import statistics
import time

PAGE = 4096
COLLATERAL_WINDOW = 60.0  # "the minute after each reclaim"

LINE = re.compile(r"^(\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d UTC \d{4})     (.*)$")
CURRENT = re.compile(r"^mem usage: CURRENT (-?\d+) LAST (-?\d+) CHANGE (-?\d+)$")
AFTER = re.compile(r"^mem usage total_rss\+total_cache (\d+)$")
TOOK = re.compile(r"^reclaim took ([\d.]+) s, freed (-?\d+) bytes$")
INTERRUPTED = re.compile(r"^reclaim interrupted after ([\d.]+) s, current (\d+), freed (-?\d+) bytes \((.*)\)$")
ESCALATION = re.compile(r"^dying reclaim (drop_caches|reaper): (wrote|write of 1)")
DECLINE = re.compile(r"^mem usage decline, change last usage mem (\d+) -> (\d+)$")
# watch with hold = on: a held step, or a reclaim ahead of the line, starts a
# reclaim without the original's CURRENT line (docs/log-format.md).
HELD = re.compile(r"^hold(?: step \d+: available|: available .* reclaiming ahead$)")
ASKED = re.compile(r"^reclaim asked \d+ bytes, freed (-?\d+) bytes in ([\d.]+) s, stopped: ")


def log_events(path, epoch0):
    """Reclaims, skips, declines and dying-cgroup escalations in a log in
    the original script's format (the original and mon_memcg both write
    it), with t in seconds since the cell began (date(1) has 1 s steps)."""
    events = []
    pending = None

    def flush():
        nonlocal pending
        if pending:
            events.append(pending)
        pending = None
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        return events
    for raw in lines:
        m = LINE.match(raw)
        if not m:
            continue
        t = calendar.timegm(time.strptime(m.group(1), "%a %b %d %H:%M:%S UTC %Y")) - epoch0
        text = m.group(2)
        if c := CURRENT.match(text):
            flush()
            pending = {"t": t, "kind": "reclaim", "before": int(c.group(1)), "freed": None}
        elif text.startswith("change is too small") and pending:
            pending["kind"] = "skip"
            flush()
        elif HELD.match(text):
            flush()
            pending = {"t": t, "kind": "reclaim", "before": None, "freed": None, "held": True}
        elif (a := AFTER.match(text)) and pending:
            if pending["before"] is not None:
                pending["freed"] = pending["before"] - int(a.group(1))
        elif (k := ASKED.match(text)) and pending:
            pending["freed"], pending["took"] = int(k.group(1)), float(k.group(2))
            flush()
        elif (k := TOOK.match(text)) and pending:
            pending["freed"], pending["took"] = int(k.group(2)), float(k.group(1))
            flush()
        elif (i := INTERRUPTED.match(text)) and pending:
            pending["freed"], pending["took"] = int(i.group(3)), float(i.group(1))
            pending["interrupted"] = i.group(4)
            flush()
        elif e := ESCALATION.match(text):
            flush()
            events.append({"t": t, "kind": e.group(1)})
        elif d := DECLINE.match(text):
            flush()
            events.append({"t": t, "kind": "decline", "from": int(d.group(1)), "to": int(d.group(2))})
    flush()
    return events


def load_samples(path):
    cols = {}
    with open(path) as f:
        for row in csv.DictReader(f):
            for k, v in row.items():
                cols.setdefault(k, []).append(float(v) if k == "t" else int(v))
    return cols


def seconds_below(t, values, limit, period):
    total = 0.0
    for i, v in enumerate(values):
        if v < limit:
            total += (t[i + 1] - t[i]) if i + 1 < len(t) else period
    return total


def episodes_below(values, limit):
    """How many times VALUES went below LIMIT: each run of consecutive
    samples below it is one (a sample below at the start counts). A kubelet
    with --kernel-memcg-notification is woken by a memcg usage threshold at
    the crossing and evicts then; each such episode is one would-be
    eviction, at the sampler's resolution (an episode shorter than one
    sampling period can fall between two samples and is not counted)."""
    count = 0
    below = False
    for v in values:
        if v < limit and not below:
            count += 1
        below = v < limit
    return count


# Two-sided 95 % quantiles of Student's t for 1..30 degrees of freedom;
# beyond 30 the normal's 1.96 is within 2 % of them.
T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
       2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
       2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def mean_ci(values):
    """(mean, low, high): the mean and its 95 % confidence interval by
    Student's t over the repetitions (independent cells, the arms' order
    drawn at random). One value: the interval is that value; it says
    nothing about the spread, and report.py prints n beside it."""
    n = len(values)
    mean = statistics.fmean(values)
    if n < 2:
        return mean, mean, mean
    half = (T95[n - 2] if n - 1 <= len(T95) else 1.96) * statistics.stdev(values) / n ** 0.5
    return mean, mean - half, mean + half


def delta_in(t, counter, windows):
    """What COUNTER grew by while inside any window (union, not sum)."""
    total = 0
    for i in range(1, len(t)):
        if counter[i] < 0 or counter[i - 1] < 0:
            continue
        if any(a <= t[i] <= b for a, b in windows):
            total += max(0, counter[i] - counter[i - 1])
    return total


def growth(counter):
    good = [c for c in counter if c >= 0]
    return max(0, good[-1] - good[0]) if good else 0


ACTIONS = ("reclaim", "drop_caches", "reaper")


def cell_metrics(record, s):
    p = record["params"]
    t, avail = s["t"], s["available"]
    # A cell's own lines and period (scenario 4, shipped thresholds) win
    # over the run's; the lab's first runs recorded only the run's.
    period = record.get("fine_period_s", p["fine_period_s"])
    eviction = record.get("eviction_threshold", p["eviction_threshold"])
    thresh = record.get("global_thresh", p["global_thresh"])
    events = record["events"]
    kubelet = [a for a, k in zip(avail, s["kubelet"]) if k]
    windows = [(e["t"], e["t"] + COLLATERAL_WINDOW) for e in events if e["kind"] in ACTIONS]
    freed = sum(e.get("freed") or 0 for e in events if e["kind"] in ACTIONS)
    return {
        "kubelet_samples": len(kubelet),
        "evictions": sum(1 for a in kubelet if a < eviction),
        "notify_evictions": episodes_below(avail, eviction),
        "below_eviction_s": seconds_below(t, avail, eviction, period),
        "below_thresh_s": seconds_below(t, avail, thresh, period),
        "min_available": min(avail),
        "depth_below_eviction": max(0, eviction - min(avail)),
        "reclaims": sum(1 for e in events if e["kind"] == "reclaim"),
        "skips": sum(1 for e in events if e["kind"] == "skip"),
        "drops": sum(1 for e in events if e["kind"] == "drop_caches"),
        "freed": freed,
        "agent_cpu_s": record["agent_cpu_s"],
        "target_refault_after": delta_in(t, s["target_refault_file"], windows) * PAGE,
        "node_refault_after": delta_in(t, s["node_refault_file"], windows) * PAGE,
        "reread_after": delta_in(t, s["bystander_read_bytes"], windows),
        "target_refault_total": growth(s["target_refault_file"]) * PAGE,
        "node_refault_total": growth(s["node_refault_file"]) * PAGE,
        "reread_total": growth(s["bystander_read_bytes"]),
        # The pod's hot set is outside the target: only a node-wide drop
        # (the flusher, the dying-cgroup escalation) makes it re-read.
        # Cells sampled before the column existed have none.
        "reread_pod_total": growth(s["pod_read_bytes"]) if "pod_read_bytes" in s else None,
    }


def spread(values):
    """(median, min, max) of one metric over the repetitions."""
    return statistics.median(values), min(values), max(values)


def aggregate(rows):
    """rows: [(record, metrics)] -> {(scenario, thresholds, arm): {metric:
    [values by rep]}}; cells of the lab's first runs are "tight"."""
    table = {}
    for record, m in rows:
        key = (record["scenario"], record.get("thresholds", "tight"), record["arm"])
        cell = table.setdefault(key, {})
        for k, v in m.items():
            cell.setdefault(k, []).append(v)
    return table
