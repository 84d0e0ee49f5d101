#!/usr/bin/python3
"""Structure of the Grafana dashboard, and its PromQL made runnable.

As a script: validates monitoring/grafana/mon_memcg.json (prints ok/FAIL
lines, exit 1 on a failure). As a module: `queries()` and `substitute()`
give the end-to-end test every expression with Grafana's variables
replaced, to evaluate against a real Prometheus.
"""
import json
import re
import sys

DASHBOARD = "monitoring/grafana/mon_memcg.json"
RECORDING = "monitoring/mon_memcg-recording.yml"
METRICS_SWIFT = "Sources/MemcgCore/Metrics.swift"
DS_REFS = ("${datasource}", "$datasource")
# What the issue asks the dashboard to show, as the series that show it.
REQUIRED = {
    "memory.available": "mon_memcg_available_bytes",
    "the threshold": "mon_memcg_global_threshold_bytes",
    "reclaims": "mon_memcg_reclaims_total",
    "bytes freed": "mon_memcg_reclaimed_bytes_total",
    "interruptions": "mon_memcg_interruptions_total",
    "dying cgroups": "mon_memcg_dying_bytes",
    "escalations": "mon_memcg_escalations_total",
    "watch wake-ups by reason": "mon_memcg_watch_wakeups_total",
    "the target's page cache not on disk yet": "mon_memcg_target_dirty_bytes",
    "last-run age": "mon_memcg_last_run_timestamp_seconds",
    "fleet: fraction of nodes below threshold": "job:mon_memcg_nodes_below_threshold:ratio",
    "fleet: reclaims per hour": "job:mon_memcg_reclaims:increase1h",
    "fleet: bytes reclaimed per hour": "job:mon_memcg_reclaimed_bytes:increase1h",
}

failed = 0


def ok(msg):
    print(f"ok: {msg}", flush=True)


def fail(msg):
    global failed
    failed += 1
    print(f"FAIL: {msg}", flush=True)


def all_panels(dash):
    for p in dash.get("panels", []):
        yield p
        yield from p.get("panels", [])  # a collapsed row keeps its panels inside


def queries(dash):
    """(panel id, panel title, refId, expr) for every Prometheus target."""
    out = []
    for p in all_panels(dash):
        for t in p.get("targets", []):
            out.append((p.get("id"), p.get("title"), t.get("refId"), t.get("expr", "")))
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            q = v.get("query")
            out.append((None, f"variable {v['name']}", None, q.get("query") if isinstance(q, dict) else q))
    return out


def substitute(expr, variables):
    """Grafana's $var / ${var} / [[var]] replaced; raises on an unknown one."""
    def repl(m):
        name = m.group(1) or m.group(2) or m.group(3)
        if name not in variables:
            raise KeyError(f"unknown variable ${name} in {expr!r}")
        return variables[name]
    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]", repl, expr)


def label_values_query(q):
    """label_values(selector, label) -> (selector, label) for the series API."""
    m = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\)\s*", q)
    return (m.group(1), m.group(2)) if m else None


def walk_datasources(node, path="$"):
    """Every value of a "datasource" key anywhere in the JSON."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "datasource":
                yield path, v
            yield from walk_datasources(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk_datasources(v, f"{path}[{i}]")


def validate(dash):
    for key in ("title", "uid", "schemaVersion", "panels", "templating"):
        if key not in dash:
            fail(f"dashboard: no top-level {key!r}")
    sv = dash.get("schemaVersion")
    if not isinstance(sv, int) or sv < 36:
        fail(f"dashboard: schemaVersion {sv!r}: current Grafana (10, 11) writes 39; below 36 it is migrated on load")
    else:
        ok(f"dashboard: schemaVersion {sv}, uid {dash.get('uid')!r}, title {dash.get('title')!r}")

    variables = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
    ds = variables.get("datasource")
    if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        fail("dashboard: no datasource variable (name datasource, type datasource, query prometheus)")
    else:
        ok("dashboard: a datasource variable of type prometheus")
    node = variables.get("instance")
    if not node or node.get("type") != "query" or "instance" not in json.dumps(node.get("query")):
        fail("dashboard: no node selector (query variable 'instance' over the instance label)")
    else:
        ok(f"dashboard: node selector 'instance' ({node['query']['query'] if isinstance(node['query'], dict) else node['query']})")

    bad = [(p, v) for p, v in walk_datasources(dash)
           if not (isinstance(v, dict) and v.get("uid") in DS_REFS and v.get("type") in ("prometheus", None))]
    if bad:
        for p, v in bad:
            fail(f"dashboard: {p} is {json.dumps(v)}: use {{\"type\": \"prometheus\", \"uid\": \"${{datasource}}\"}}, not a fixed data source")
    else:
        ok(f"dashboard: all {sum(1 for _ in walk_datasources(dash))} datasource references are ${{datasource}}, no fixed UID")

    ids, panels = [], list(all_panels(dash))
    for p in panels:
        ids.append(p.get("id"))
    dup = sorted({i for i in ids if ids.count(i) > 1}, key=str)
    if dup or any(not isinstance(i, int) or i <= 0 for i in ids):
        fail(f"dashboard: panel ids must be unique positive integers; duplicates {dup}, all {ids}")
    else:
        ok(f"dashboard: {len(ids)} panels, ids unique")

    grid_problems = []
    cells = {}
    for p in panels:
        g = p.get("gridPos", {})
        if not all(isinstance(g.get(k), int) for k in "hwxy") or g["x"] + g["w"] > 24:
            grid_problems.append(f"panel {p.get('id')}: gridPos {g}")
            continue
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                if (x, y) in cells:
                    grid_problems.append(f"panels {cells[(x, y)]} and {p.get('id')} overlap at x={x} y={y}")
                cells[(x, y)] = p.get("id")
    if grid_problems:
        fail("dashboard: layout: " + "; ".join(sorted(set(grid_problems))[:5]))
    else:
        ok("dashboard: every panel has a gridPos inside 24 columns, none overlap")

    target_problems = []
    for p in panels:
        if p.get("type") == "row":
            continue
        refs = [t.get("refId") for t in p.get("targets", [])]
        if not refs:
            target_problems.append(f"panel {p.get('id')} {p.get('title')!r} has no query")
        if len(set(refs)) != len(refs) or not all(refs):
            target_problems.append(f"panel {p.get('id')}: refIds {refs}")
        for t in p.get("targets", []):
            if not t.get("expr", "").strip():
                target_problems.append(f"panel {p.get('id')} target {t.get('refId')}: empty expr")
    if target_problems:
        fail("dashboard: " + "; ".join(target_problems))
    else:
        ok("dashboard: every panel has queries with unique refIds and an expr")

    exprs = " ".join(q[3] for q in queries(dash))
    missing = [f"{what} ({series})" for what, series in REQUIRED.items() if series not in exprs]
    if missing:
        fail("dashboard: nothing shows " + ", ".join(missing))
    else:
        ok("dashboard: shows " + ", ".join(REQUIRED))

    # Every name it queries exists: metrics from Metrics.swift, recorded names from the rules.
    swift = open(METRICS_SWIFT).read()
    rendered = {"mon_memcg_" + n for n in re.findall(r'\b(?:gauge|counter|family)\("([a-z_]+)"', swift)}
    recorded = set(re.findall(r"record:\s*(\S+)", open(RECORDING).read()))
    used_metrics = set(re.findall(r"(?<![:\w])mon_memcg_[a-z_]+(?![:\w])", exprs))
    used_records = set(re.findall(r"\b\w+:mon_memcg_\w+:\w+", exprs))
    unknown = sorted((used_metrics - rendered) | (used_records - recorded))
    if unknown:
        fail(f"dashboard: queries {', '.join(unknown)}, which neither {METRICS_SWIFT} renders nor {RECORDING} records")
    else:
        ok(f"dashboard: its {len(used_metrics)} metrics are rendered by Metrics.swift, its {len(used_records)} recorded series are in the recording rules")


def main():
    try:
        dash = json.load(open(DASHBOARD))
    except (OSError, ValueError) as e:
        fail(f"dashboard: {DASHBOARD}: {e}")
        return 1
    validate(dash)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
