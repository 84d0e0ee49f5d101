#!/usr/bin/python3
"""The growth-rate sweep's table (scripts/lab/sweep.sh): for each rate-R/
directory under DIR, each arm's seconds below the tight eviction threshold
and below global thresh (median [min-max] over its repetitions), the
would-be evictions of a kubelet with --kernel-memcg-notification, and the
rate the growth really had (the none arm's, measured between global thresh
and the eviction threshold from the 100 ms samples).

    sweep_summary.py DIR
"""
import csv
import gzip
import json
import os
import statistics
import sys

GIB = 1 << 30


def spread(values, digits=1):
    if not values:
        return "-"
    med = statistics.median(values)
    lo, hi = min(values), max(values)
    if lo == hi:
        return f"{med:.{digits}f}"
    return f"{med:.{digits}f} [{lo:.{digits}f}-{hi:.{digits}f}]"


def samples(directory):
    """(arm, rep) -> [(t, available)] from samples-s1.csv(.gz)."""
    for name in ("samples-s1.csv", "samples-s1.csv.gz"):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            opener = gzip.open if name.endswith(".gz") else open
            rows = {}
            with opener(path, "rt") as f:
                for r in csv.DictReader(f):
                    rows.setdefault((r["arm"], int(r["rep"])), []).append((float(r["t"]), int(r["available"])))
            return rows
    return {}


def measured_rate(points, global_thresh, eviction):
    """MiB/s between the first sample below global thresh and the first
    below the eviction threshold; None when it never got there."""
    below_global = next((t for t, a in points if a < global_thresh), None)
    below_eviction = next((t for t, a in points if a < eviction), None)
    if below_global is None or below_eviction is None or below_eviction <= below_global:
        return None
    return (global_thresh - eviction) / (1 << 20) / (below_eviction - below_global)


def rate_of(name):
    try:
        return float(name.split("-", 1)[1])
    except (IndexError, ValueError):
        return None


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 64
    top = argv[1]
    runs = sorted((rate_of(n), n) for n in os.listdir(top) if n.startswith("rate-") and rate_of(n) is not None)
    print("| asked MiB/s | measured MiB/s (none) | arm | s below eviction | would-be evictions (notification) | s below global thresh | reclaims | load |")
    print("|---|---|---|---|---|---|---|---|")
    for rate, name in runs:
        directory = os.path.join(top, name)
        with open(os.path.join(directory, "cells.json")) as f:
            cells = json.load(f)["cells"]
        points = samples(directory)
        rates = [r for c in cells if c["arm"] == "none"
                 for r in [measured_rate(points.get((c["arm"], c["rep"]), []), c["global_thresh"], c["eviction_threshold"])]
                 if r is not None]
        arms = []
        for c in cells:
            if c["arm"] not in arms:
                arms.append(c["arm"])
        for arm in arms:
            mine = [c for c in cells if c["arm"] == arm]
            m = [c["metrics"] for c in mine]
            loads = [l for c in mine for l in c.get("loadavg", [])]
            load = f"{min(loads):.1f}-{max(loads):.1f}" if loads else "-"
            print(f"| {rate:g} | {spread(rates, 0)} | {arm} | {spread([x['below_eviction_s'] for x in m], 2)} | "
                  f"{', '.join(str(x['notify_evictions']) for x in m)} | {spread([x['below_thresh_s'] for x in m])} | "
                  f"{spread([x['reclaims'] for x in m], 0)} | {load} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
