"""Charts of the v2 efficacy lab: kubelet's available memory (v2 formula,
sampled in the guest) against guest seconds since each cell started.

    chart.py SAMPLES.csv PARAMS.json PNG TITLE
        one run, every cell on one chart, coloured by arm, in MiB, with
        global thresh and the eviction threshold (scenario 1's charts).
    chart.py --scenario S --png PNG --title TITLE RUN_DIR...
        scenario S from several runs (each RUN_DIR holds the samples.csv and
        params.json scripts/vm-lab/run.sh wrote), one panel per arm. Each
        boot calibrates its own thresholds, so the curves are drawn relative
        to their run's eviction threshold (0 on the chart); global thresh is
        the dashed line above it.
"""
import argparse
import csv
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

MIB = 1 << 20
COLOURS = {"none": "tab:red", "timer": "tab:orange", "watch": "tab:green", "watch-memhigh": "tab:purple",
           "flusher": "tab:blue"}
ARMS = ["none", "timer", "watch", "watch-memhigh", "flusher"]
NAMES = {"none": "none (no agent)", "timer": "mon_memcg check every 20 s", "watch": "mon_memcg watch",
         "watch-memhigh": "mon_memcg watch, memory_high = on", "flusher": "flusher (drop_caches every 20 s)"}


def arm_of(cell):
    w = cell.split(".")
    return w[1] if len(w) == 3 else w[0]


def one_run(samples, params, png, title):
    with open(params) as f:
        p = json.load(f)
    cells = {}
    with open(samples) as f:
        for r in csv.DictReader(f):
            cells.setdefault(r["cell"], ([], []))
            cells[r["cell"]][0].append(float(r["t_s"]))
            cells[r["cell"]][1].append(int(r["available_bytes"]) / MIB)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    seen = set()
    for cell, (t, a) in cells.items():
        arm = arm_of(cell)
        ax.plot(t, a, color=COLOURS.get(arm, "grey"), lw=1.2, alpha=0.8,
                label=None if arm in seen else arm)
        seen.add(arm)
    ax.axhline(p["global_thresh"] / MIB, color="black", ls="--", lw=0.8, label="global thresh")
    ax.axhline(p["eviction"] / MIB, color="purple", ls=":", lw=1.2, label="eviction threshold")
    ax.set_xlabel("guest seconds since the cell started")
    ax.set_ylabel("kubelet's memory.available (MiB)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(png, dpi=110)


def many_runs(scenario, png, title, runs):
    curves = {arm: [] for arm in ARMS}
    gap = None
    for run in runs:
        with open(os.path.join(run, "params.json")) as f:
            p = json.load(f)
        gap = (p["global_thresh"] - p["eviction"]) / MIB
        cells = {}
        with open(os.path.join(run, "samples.csv")) as f:
            for r in csv.DictReader(f):
                if r.get("scenario", "s1") != scenario:
                    continue
                c = cells.setdefault(r["cell"], ([], []))
                c[0].append(float(r["t_s"]))
                c[1].append((int(r["available_bytes"]) - p["eviction"]) / MIB)
        for cell, tv in cells.items():
            curves[arm_of(cell)].append(tv)
    arms = [a for a in ARMS if curves[a]]
    if not arms:
        sys.exit(f"no cell of scenario {scenario} in {', '.join(runs)}")
    fig, axes = plt.subplots(1, len(arms), figsize=(3.2 * len(arms), 3.8), sharey=True, squeeze=False)
    for ax, arm in zip(axes[0], arms):
        for t, a in curves[arm]:
            ax.plot(t, a, color=COLOURS[arm], lw=1.0, alpha=0.7)
        ax.axhline(gap, color="black", ls="--", lw=0.8, label="global thresh")
        ax.axhline(0, color="purple", ls=":", lw=1.2, label="eviction threshold")
        ax.set_title(f"{NAMES[arm]} ({len(curves[arm])} cells)", fontsize=8)
        ax.set_xlabel("guest s since the cell started", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0][0].set_ylabel("available − eviction threshold (MiB)", fontsize=8)
    axes[0][0].legend(fontsize=7, loc="lower left")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(png, dpi=110)


def main():
    if sys.argv[1:2] != ["--scenario"]:
        one_run(*sys.argv[1:5])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--png", required=True)
    ap.add_argument("--title", required=True)
    ap.add_argument("runs", nargs="+")
    a = ap.parse_args()
    many_runs(a.scenario, a.png, a.title, a.runs)


if __name__ == "__main__":
    main()
