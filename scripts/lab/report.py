"""The efficacy lab's report: from the cells efficacy.py wrote in RAW, the
tables (OUT/results.md), one chart per scenario (OUT/sN.png), the raw
samples as one CSV per scenario (OUT/samples-sN.csv) and the cells' events
(OUT/cells.json).

  report.py RAW OUT             write the report
  report.py RAW --check-quick   only judge the quick run (CI): fail when the
                                watch arm has a would-be eviction in a
                                repetition where the none arm has some, or
                                when the none arm has none (nothing shown)
"""
import glob
import json
import os
import sys

import metrics

GIB = 1 << 30
MIB = 1 << 20
ARM_ORDER = ["none", "original-20s", "original-70s", "timer", "watch", "flusher"]
ARM_WORDS = {
    "none": "none (no agent)",
    "original-20s": "original, every 20 s",
    "original-70s": "original, every 60–80 s",
    "timer": "mon_memcg check, every 20 s",
    "watch": "mon_memcg watch",
    "flusher": "flusher (drop_caches every 20 s)",
}
TITLES = {
    "s1": "Scenario 1: continuous reclaimable growth",
    "s2": "Scenario 2: real usage near the threshold",
    "s3": "Scenario 3: busy writers and dying cgroups",
}


def load(raw):
    rows = []
    for path in sorted(glob.glob(os.path.join(raw, "*.json"))):
        if os.path.basename(path) == "params.json":
            continue
        record = json.load(open(path))
        samples = metrics.load_samples(path[:-5] + ".csv")
        rows.append((record, samples, metrics.cell_metrics(record, samples)))
    rows.sort(key=lambda r: (r[0]["scenario"], ARM_ORDER.index(r[0]["arm"]), r[0]["rep"]))
    return rows


def fmt(values, scale=1.0, digits=1):
    med, lo, hi = metrics.spread([v / scale for v in values])
    if lo == hi:
        return f"{med:.{digits}f}"
    return f"{med:.{digits}f} [{lo:.{digits}f}–{hi:.{digits}f}]"


def reps(values):
    return ", ".join(str(v) for v in values)


def measured(table, scenario):
    """(arm, its metrics) for the arms this run measured, in ARM_ORDER."""
    return [(arm, table[(scenario, arm)]) for arm in ARM_ORDER if (scenario, arm) in table]


def tables(rows, params):
    table = metrics.aggregate([(r, m) for r, _, m in rows])
    out = []
    p = params
    out.append(f"Machine: kernel {p['kernel']}, {p['cores']} cores, MemTotal {p['mem_total'] / GIB:.1f} GiB; "
               f"available at the start {p['available_start'] / GIB:.2f} GiB; "
               f"mon_memcg's global thresh {p['global_thresh'] / GIB:.2f} GiB "
               f"(available_threshold {p['available_threshold']} + min_free {p['min_free']}); "
               f"eviction threshold {p['eviction_threshold'] / GIB:.2f} GiB "
               f"(`--eviction-hard=memory.available<{p['eviction_threshold'] // MIB}Mi`); "
               f"{p['reps']} repetitions, seed {p['seed']}.")
    out.append("")
    out.append("Each cell: median [min–max] over the repetitions; would-be evictions are listed per repetition.")
    for scenario in sorted({s for s, _ in table}):
        out.append("")
        out.append(f"### {TITLES[scenario]} ({p['durations_s'][scenario]:.0f} s)")
        out.append("")
        out.append("| arm | would-be evictions | s below eviction | s below global thresh | min available GiB "
                   "| reclaims | drop_caches | freed GiB | agent CPU s |")
        out.append("|---|---|---|---|---|---|---|---|---|")
        for arm, c in measured(table, scenario):
            out.append(f"| {ARM_WORDS[arm]} | {reps(c['evictions'])} | {fmt(c['below_eviction_s'])} "
                       f"| {fmt(c['below_thresh_s'])} | {fmt(c['min_available'], GIB, 2)} "
                       f"| {fmt(c['reclaims'], digits=0)} | {fmt(c['drops'], digits=0)} "
                       f"| {fmt(c['freed'], GIB, 2)} | {fmt(c['agent_cpu_s'], digits=2)} |")
        out.append("")
        out.append("Collateral, MiB, in the minute after each reclaim or drop (and over the whole cell):")
        out.append("")
        out.append("| arm | target refaults | node refaults | bystanders' disk re-reads | whole cell: node refaults | whole cell: re-reads |")
        out.append("|---|---|---|---|---|---|")
        for arm, c in measured(table, scenario):
            out.append(f"| {ARM_WORDS[arm]} | {fmt(c['target_refault_after'], MIB, 0)} "
                       f"| {fmt(c['node_refault_after'], MIB, 0)} | {fmt(c['reread_after'], MIB, 0)} "
                       f"| {fmt(c['node_refault_total'], MIB, 0)} | {fmt(c['reread_total'], MIB, 0)} |")
    return "\n".join(out) + "\n"


def chart(rows, params, scenario, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    cells = [r for r in rows if r[0]["scenario"] == scenario]
    arms = [a for a in ARM_ORDER if any(r[0]["arm"] == a for r in cells)]
    fig, axes = plt.subplots(len(arms), 1, figsize=(10, 1.9 * len(arms) + 0.8), sharex=True, squeeze=False)
    g = params["global_thresh"] / GIB
    e = params["eviction_threshold"] / GIB
    for ax, arm in zip(axes[:, 0], arms):
        mine = sorted((r for r in cells if r[0]["arm"] == arm), key=lambda r: r[0]["rep"])
        for record, s, m in mine:
            first = record["rep"] == mine[0][0]["rep"]
            ax.plot(s["t"], [a / GIB for a in s["available"]], lw=1.4 if first else 0.7,
                    alpha=1.0 if first else 0.35, color="tab:blue",
                    label="memory.available (rep 1 bold)" if first else None)
            if first:
                kt = [t for t, k in zip(s["t"], s["kubelet"]) if k]
                ka = [a / GIB for a, k in zip(s["available"], s["kubelet"]) if k]
                ax.scatter(kt, ka, s=18, zorder=3, color=["tab:red" if a < e else "black" for a in ka],
                           label="kubelet's samples (red: would evict)")
                for ev in record["events"]:
                    if ev["kind"] in ("reclaim", "drop_caches", "reaper"):
                        ax.axvline(ev["t"], color="tab:green" if ev["kind"] == "reclaim" else "tab:purple",
                                   lw=1.0, alpha=0.8)
        ax.axhline(g, color="tab:orange", ls="--", lw=1, label="mon_memcg global thresh")
        ax.axhline(e, color="tab:red", ls=":", lw=1.2, label="eviction threshold")
        ev = [m["evictions"] for _, _, m in mine]
        ax.set_title(f"{ARM_WORDS[arm]}: would-be evictions {', '.join(map(str, ev))}", fontsize=9, loc="left")
        ax.set_ylabel("GiB", fontsize=8)
        ax.tick_params(labelsize=8)
    axes[-1, 0].set_xlabel("seconds since the scenario began (green: a reclaim, purple: a drop_caches,"
                           " each at the second of its log line)", fontsize=8)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", fontsize=7, ncol=4, frameon=False)
    fig.suptitle(f"{TITLES[scenario]}: memory.available as kubelet computes it", fontsize=10, x=0.01, ha="left")
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    fig.savefig(path, dpi=90)
    plt.close(fig)


def samples_csv(rows, scenario, path):
    columns = None
    with open(path, "w") as out:
        for record, s, _ in rows:
            if record["scenario"] != scenario:
                continue
            if columns is None:
                columns = list(s.keys())
                out.write("scenario,arm,rep," + ",".join(columns) + "\n")
            for i in range(len(s["t"])):
                out.write(f"{scenario},{record['arm']},{record['rep']},"
                          + ",".join(str(s[c][i]) for c in columns) + "\n")


def check_quick(rows):
    by = {}
    for record, _, m in rows:
        by.setdefault((record["scenario"], record["rep"]), {})[record["arm"]] = m["evictions"]
    failed = False
    for (scenario, rep), arms in sorted(by.items()):
        none, watch = arms.get("none"), arms.get("watch")
        print(f"quick {scenario} rep {rep}: none {none} would-be evictions, watch {watch}")
        if none is None or watch is None:
            print("FAIL: the quick run needs both the none and the watch arm")
            failed = True
        elif none == 0:
            print("FAIL: the none arm had no would-be eviction: the scenario showed nothing (machine too slow or too big?)")
            failed = True
        elif watch > 0:
            print(f"FAIL: watch let kubelet see memory.available below the eviction threshold {watch} time(s)")
            failed = True
    return 1 if failed or not by else 0


def main(argv):
    raw = argv[1]
    rows = load(raw)
    if len(argv) > 2 and argv[2] == "--check-quick":
        return check_quick(rows)
    out = argv[2]
    os.makedirs(out, exist_ok=True)
    params = json.load(open(os.path.join(raw, "params.json")))
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("<!-- written by scripts/lab/report.py from one run of scripts/lab/efficacy.sh -->\n")
        f.write(tables(rows, params))
    for scenario in sorted({r[0]["scenario"] for r in rows}):
        chart(rows, params, scenario, os.path.join(out, f"{scenario}.png"))
        samples_csv(rows, scenario, os.path.join(out, f"samples-{scenario}.csv"))
    with open(os.path.join(out, "cells.json"), "w") as f:
        json.dump({"params": params,
                   "cells": [dict({k: v for k, v in record.items() if k != "params"}, metrics=m) for record, _, m in rows]}, f, indent=1)
    print(f"report: {len(rows)} cells -> {out}/results.md, charts and samples")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
