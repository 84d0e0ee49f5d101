"""One chart per lab run: kubelet's available memory (v2 formula, sampled in
the guest) against guest seconds for every cell, coloured by arm, with
global thresh and the eviction threshold.

    chart.py SAMPLES.csv PARAMS.json PNG TITLE     (what scripts/vm-lab/run.sh wrote)
"""
import csv
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

MIB = 1 << 20
COLOURS = {"none": "tab:red", "timer": "tab:orange", "watch": "tab:green", "flusher": "tab:blue"}


def main():
    samples, params, png, title = sys.argv[1:5]
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
        arm = cell.split(".")[0]
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


if __name__ == "__main__":
    main()
