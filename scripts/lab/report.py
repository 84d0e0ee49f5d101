"""The efficacy lab's report: from the cells efficacy.py wrote in RAW, the
tables (OUT/results.md), per scenario and thresholds a chart of every
repetition (OUT/sN.png, OUT/sN-shipped.png) and a cost chart
(OUT/sN-cost.png), the raw samples as one CSV per scenario
(OUT/samples-sN.csv), the cells' events (OUT/cells.json) and the agents'
own logs (OUT/logs/CELL.log).

  report.py RAW OUT             write the report
  report.py --recount DIR       from a report already written (DIR/cells.json
                                and DIR/samples-sN.csv), the would-be
                                evictions of a kubelet with
                                --kernel-memcg-notification, per arm and
                                repetition: for runs made before the lab
                                counted them
  report.py RAW --check-quick   only judge the quick run (CI): fail when the
                                none arm showed nothing (scenario 1: no
                                would-be eviction in kubelet's 10 s
                                samples; scenario 4: no instant below the
                                eviction threshold), or when the watch arm
                                let kubelet see one (scenario 1: a 10 s
                                sample below; scenario 4: any instant below)
"""
import glob
import json
import os
import shutil
import sys

import dirty_limits
import efficacy
import metrics

GIB = 1 << 30
MIB = 1 << 20
ARM_ORDER = efficacy.ARMS
ARM_WORDS = {
    "none": "none (no agent)",
    "original-20s": "original, every 20 s",
    "original-70s": "original, every 60–80 s",
    "timer": "mon_memcg check, every 20 s",
    "watch": "mon_memcg watch",
    "watch-deficit": "mon_memcg watch, reclaim_amount = deficit",
    "watch-limit": "mon_memcg watch, memory_limit = on",
    "watch-limit-deficit": "mon_memcg watch, memory_limit = on, reclaim_amount = deficit",
    "watch-limit-deficit-1g": "mon_memcg watch, memory_limit = on, reclaim_amount = deficit, reclaim_margin = 1G",
    "watch-limit-deficit-tmpfs": "mon_memcg watch, memory_limit = on, reclaim_amount = deficit, state_file on tmpfs",
    "watch-state-disk": "mon_memcg watch, state_file on disk",
    "watch-limit-deficit-state-disk": "mon_memcg watch, memory_limit = on, reclaim_amount = deficit, state_file on disk",
    "watch-base": "mon_memcg watch, the --base-binary build",
    "watch-limit-deficit-base": "mon_memcg watch, memory_limit = on, reclaim_amount = deficit, the --base-binary build",
    "flusher": "flusher (drop_caches every 20 s)",
}
TITLES = {
    "s1": "Scenario 1: continuous reclaimable growth",
    "s2": "Scenario 2: real usage near the threshold",
    "s3": "Scenario 3: busy writers and dying cgroups",
    "s4": "Scenario 4: a burst of active page cache from near the line",
}
ARM_SHORT = {"none": "none", "original-20s": "original\n20 s", "original-70s": "original\n60-80 s",
             "timer": "check\n20 s", "watch": "watch", "watch-deficit": "watch\ndeficit", "watch-limit": "watch\nlimit",
             "watch-limit-deficit": "watch\nlimit+deficit", "watch-limit-deficit-1g": "watch\nlimit+deficit\nmargin 1G",
             "watch-limit-deficit-tmpfs": "watch\nlimit+deficit\nstate on tmpfs",
             "watch-state-disk": "watch\nstate on disk",
             "watch-limit-deficit-state-disk": "watch\nlimit+deficit\nstate on disk",
             "watch-base": "watch\nbase build",
             "watch-limit-deficit-base": "watch\nlimit+deficit\nbase build",
             "flusher": "flusher\n20 s"}
THRESHOLD_WORDS = {
    "tight": "tight thresholds (eviction 1 GiB below global thresh)",
    "shipped": "shipped thresholds (eviction 4 GiB + min_free - 100 MiB below global thresh)",
}


def thresholds_of(record):
    return record.get("thresholds", "tight")


def suffix(thresholds):
    return "" if thresholds == "tight" else f"-{thresholds}"


def load(raw):
    rows = []
    for path in sorted(glob.glob(os.path.join(raw, "*.json"))):
        if os.path.basename(path) == "params.json":
            continue
        record = json.load(open(path))
        samples = metrics.load_samples(path[:-5] + ".csv")
        rows.append((record, samples, metrics.cell_metrics(record, samples)))
    rows.sort(key=lambda r: (r[0]["scenario"], thresholds_of(r[0]), ARM_ORDER.index(r[0]["arm"]), r[0]["rep"]))
    return rows


def fmt(values, scale=1.0, digits=1):
    med, lo, hi = metrics.spread([v / scale for v in values])
    if lo == hi:
        return f"{med:.{digits}f}"
    return f"{med:.{digits}f} [{lo:.{digits}f}–{hi:.{digits}f}]"


def reps(values, digits=None):
    return ", ".join(str(v) if digits is None else f"{v:.{digits}f}" for v in values)


def ci(values, digits=2):
    mean, lo, hi = metrics.mean_ci(values)
    if len(values) < 2:
        return f"{mean:.{digits}f} (n=1)"
    return f"{mean:.{digits}f} [{max(0.0, lo):.{digits}f}–{hi:.{digits}f}]"


def measured(table, scenario, thresholds):
    """(arm, its metrics) for the arms this run measured, in ARM_ORDER."""
    return [(arm, table[(scenario, thresholds, arm)]) for arm in ARM_ORDER
            if (scenario, thresholds, arm) in table]


def groups(rows):
    """(scenario, thresholds) measured, in order."""
    return sorted({(r[0]["scenario"], thresholds_of(r[0])) for r in rows},
                  key=lambda g: (g[0], ["tight", "shipped"].index(g[1])))


def dirty_words(p):
    """The node's dirty limits during the run, as params.json recorded
    them (runs before --dirty-bytes existed recorded none)."""
    d = p.get("dirty_sysctls")
    if not d:
        return ""
    before = p.get("dirty_sysctls_before")
    how = f"set for this run by --dirty-bytes; the node's were {dirty_limits.describe(before)}" if before else "the node's own"
    return f" Dirty limits: {dirty_limits.describe(d)} ({how})."


def tables(rows, params):
    table = metrics.aggregate([(r, m) for r, _, m in rows])
    out = []
    p = params
    out.append(f"Machine: kernel {p['kernel']}, {p['cores']} cores, MemTotal {p['mem_total'] / GIB:.1f} GiB; "
               f"available at the start {p['available_start'] / GIB:.2f} GiB; "
               f"mon_memcg's global thresh {p['global_thresh'] / GIB:.2f} GiB "
               f"(available_threshold {p['available_threshold']} + min_free {p['min_free']}); "
               f"eviction threshold {p['eviction_threshold'] / GIB:.2f} GiB "
               f"(`--eviction-hard=memory.available<{p['eviction_threshold'] // MIB}Mi`)"
               + (f", with the shipped thresholds {p['eviction_thresholds']['shipped'] / GIB:.2f} GiB "
                  f"(`memory.available<{p['eviction_thresholds']['shipped'] // MIB}Mi`)"
                  if "shipped" in p.get("thresholds", []) else "")
               + f"; {p['reps']} repetitions, seed {p['seed']}." + dirty_words(p))
    per_cell = sorted({r["global_thresh"] for r, _, _ in rows if "global_thresh" in r})
    if len(per_cell) > 1:
        out.append("")
        out.append(f"The lines above are the run's at its start; these cells set theirs from the available memory "
                   f"at each cell's start (the same distances): global thresh {per_cell[0] / GIB:.2f}–"
                   f"{per_cell[-1] / GIB:.2f} GiB (cells.json has each).")
    out.append("")
    out.append("Each cell: median [min–max] over the repetitions, or, where it says so, the mean and its "
               "95 % confidence interval (Student's t over the repetitions; n is the number of repetitions); "
               "would-be evictions are listed per repetition: **10 s** counts kubelet's housekeeping samples "
               "below the eviction threshold, **notify** the episodes below it in the fine samples (a kubelet "
               "with `--kernel-memcg-notification` evicts at the first instant of each).")
    for scenario, thr in groups(rows):
        mine = [r for r in rows if r[0]["scenario"] == scenario and thresholds_of(r[0]) == thr]
        loads = [x for r in mine for x in r[0].get("loadavg", [])]
        period = mine[0][0].get("fine_period_s", p["fine_period_s"])
        out.append("")
        out.append(f"### {TITLES[scenario]} ({p['durations_s'][scenario]:.0f} s), {THRESHOLD_WORDS[thr]}")
        out.append("")
        words = f"Fine samples every {period * 1000:.0f} ms"
        if loads:
            words += f"; the machine's 1-minute load average {min(loads):.1f}–{max(loads):.1f} over these cells"
        bursts = [r[0]["burst"] for r in mine if "burst" in r[0] and "mib_s" in r[0]["burst"]]
        if bursts:
            rates = sorted(b["mib_s"] for b in bursts)
            sizes = sorted(b["read_mib"] for b in bursts)
            took = sorted(b["end"] - b["start"] for b in bursts)
            starts = sorted(b["start"] for b in bursts)
            kind = mine[0][0]["params"].get("burst", {}).get("kind", "read")
            how = {"read": "new files read twice", "write": "new data written and read back twice"}[kind]
            words += (f"; the burst ({how}): {sizes[0]}–{sizes[-1]} MiB of active page cache in {took[0]:.2f}–{took[-1]:.2f} s "
                      f"({rates[0]:.0f}–{rates[-1]:.0f} MiB/s), starting {starts[0]:.1f}–{starts[-1]:.1f} s into the cell")
        unfinished = sum(1 for r in mine if r[0].get("burst", {}).get("unfinished"))
        if unfinished:
            words += f"; in {unfinished} cell(s) the burst had not finished by the cell's end"
        out.append(words + ".")
        out.append("")
        burst_col = bool(bursts)
        out.append("| arm | n | s below eviction, mean [95 % CI] | s below eviction, each rep | would-be evictions: notify "
                   "| would-be evictions: 10 s | deepest below eviction MiB | s below global thresh "
                   "| min available GiB | reclaims | drop_caches | freed GiB | agent CPU s |"
                   + (" burst MiB/s, each rep |" if burst_col else ""))
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|" + ("---|" if burst_col else ""))
        for arm, c in measured(table, scenario, thr):
            rates = ""
            if burst_col:
                cells = sorted((r[0] for r in mine if r[0]["arm"] == arm), key=lambda r: r["rep"])
                rates = " " + ", ".join(f"{r['burst']['mib_s']:.0f}" if "mib_s" in r["burst"] else "unfinished"
                                        for r in cells) + " |"
            out.append(f"| {ARM_WORDS[arm]} | {len(c['below_eviction_s'])} | {ci(c['below_eviction_s'])} "
                       f"| {reps(c['below_eviction_s'], 2)} | {reps(c['notify_evictions'])} | {reps(c['evictions'])} "
                       f"| {fmt(c['depth_below_eviction'], MIB, 0)} "
                       f"| {fmt(c['below_thresh_s'])} | {fmt(c['min_available'], GIB, 2)} "
                       f"| {fmt(c['reclaims'], digits=0)} | {fmt(c['drops'], digits=0)} "
                       f"| {fmt(c['freed'], GIB, 2)} | {fmt(c['agent_cpu_s'], digits=2)} |" + rates)
        none = table.get((scenario, thr, "none"))
        if none:
            shown = sum(1 for v in none["notify_evictions"] if v > 0)
            out.append("")
            out.append(f"With no agent, memory.available went below the eviction threshold in {shown} of "
                       f"{len(none['notify_evictions'])} repetitions: in the others this cell showed nothing "
                       "for any arm to prevent.")
        out.append("")
        out.append("Collateral, MiB, in the minute after each reclaim or drop (and over the whole cell); "
                   "the whole cell's re-reads also as a mean [95 % CI]:")
        out.append("")
        arms = measured(table, scenario, thr)
        # The pod's share (outside the target) where the cells sampled it.
        split = all(None not in c.get("reread_pod_total", [None]) for _, c in arms)
        out.append("| arm | target refaults | node refaults | bystanders' disk re-reads | whole cell: node refaults "
                   "| whole cell: re-reads | whole cell: re-reads, mean [95 % CI] |"
                   + (" whole cell: the pod's re-reads (outside the target) |" if split else ""))
        out.append("|---|---|---|---|---|---|---|" + ("---|" if split else ""))
        for arm, c in arms:
            out.append(f"| {ARM_WORDS[arm]} | {fmt(c['target_refault_after'], MIB, 0)} "
                       f"| {fmt(c['node_refault_after'], MIB, 0)} | {fmt(c['reread_after'], MIB, 0)} "
                       f"| {fmt(c['node_refault_total'], MIB, 0)} | {fmt(c['reread_total'], MIB, 0)} "
                       f"| {ci([v / MIB for v in c['reread_total']], 0)} |"
                       + (f" {fmt(c['reread_pod_total'], MIB, 0)} |" if split else ""))
    return "\n".join(out) + "\n"


REP_COLORS = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple",
              "tab:brown", "tab:pink", "tab:gray", "tab:olive", "tab:cyan"]


def chart(rows, params, scenario, thresholds, path):
    """Every repetition of every arm, on one y axis shared by all the arms
    (so their depths compare at a glance), each repetition in its colour
    with its own events: a solid tick for a reclaim (a held step too), a
    dashed one for a drop_caches."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    cells = [r for r in rows if r[0]["scenario"] == scenario and thresholds_of(r[0]) == thresholds]
    arms = [a for a in ARM_ORDER if any(r[0]["arm"] == a for r in cells)]
    fig, axes = plt.subplots(len(arms), 1, figsize=(10, 1.9 * len(arms) + 0.8), sharex=True, sharey=True,
                             squeeze=False)
    # Each cell against its own global thresh: scenario 4 sets its lines
    # per cell, so absolute GiB would not line up between repetitions.
    first = cells[0][0]
    g = 0.0
    e = (first.get("eviction_threshold", params["eviction_threshold"])
         - first.get("global_thresh", params["global_thresh"])) / GIB
    for ax, arm in zip(axes[:, 0], arms):
        mine = sorted((r for r in cells if r[0]["arm"] == arm), key=lambda r: r[0]["rep"])
        for i, (record, s, m) in enumerate(mine):
            color = REP_COLORS[(record["rep"] - 1) % len(REP_COLORS)]
            base = record.get("global_thresh", params["global_thresh"])
            ax.plot(s["t"], [(a - base) / GIB for a in s["available"]], lw=0.8, alpha=0.75, color=color)
            kt = [t for t, k in zip(s["t"], s["kubelet"]) if k]
            ka = [(a - base) / GIB for a, k in zip(s["available"], s["kubelet"]) if k]
            ax.scatter(kt, ka, s=10, zorder=3, color=["tab:red" if a < e else "black" for a in ka],
                       label="kubelet's 10 s samples (red: would evict)" if i == 0 else None)
            for ev in record["events"]:
                if ev["kind"] in ("reclaim", "drop_caches", "reaper"):
                    ax.axvline(ev["t"], color=color, lw=0.9, alpha=0.7,
                               ls="-" if ev["kind"] == "reclaim" else "--")
            b = record.get("burst", {})
            if "start" in b:
                ax.axvspan(b["start"], b["end"], color=color, alpha=0.06)
        ax.axhline(g, color="tab:orange", ls="--", lw=1, label="mon_memcg global thresh")
        ax.axhline(e, color="tab:red", ls=":", lw=1.2, label="eviction threshold")
        below = ", ".join(f"{m['below_eviction_s']:.1f}" for _, _, m in mine)
        ax.set_title(f"{ARM_WORDS[arm]}: s below eviction per rep {below}", fontsize=9, loc="left")
        ax.set_ylabel("GiB above\nglobal thresh", fontsize=7)
        ax.tick_params(labelsize=8)
    axes[-1, 0].set_xlabel("seconds since the cell began; one colour per repetition, its events as ticks "
                           "(solid: a reclaim, at the second of its log line; dashed: a drop_caches); "
                           "shaded: the burst", fontsize=8)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", fontsize=7, ncol=4, frameon=False)
    fig.suptitle(f"{TITLES[scenario]}, {thresholds} thresholds: kubelet's memory.available, "
                 "less the cell's global thresh",
                 fontsize=10, x=0.01, ha="left")
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    fig.savefig(path, dpi=90)
    plt.close(fig)


def cost_chart(rows, scenario, thresholds, path):
    """What each arm cost, per repetition (dots) and on average (bars): the
    bystanders' disk re-reads and the node's refaults over the whole cell,
    and the agent's CPU time."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    cells = [r for r in rows if r[0]["scenario"] == scenario and thresholds_of(r[0]) == thresholds]
    arms = [a for a in ARM_ORDER if any(r[0]["arm"] == a for r in cells)]
    panels = [("reread_total", MIB, "bystanders' disk re-reads, MiB"),
              ("node_refault_total", MIB, "node refaults, MiB"),
              ("agent_cpu_s", 1.0, "agent CPU, s")]
    fig, axes = plt.subplots(1, len(panels), figsize=(12, 3.6), squeeze=False)
    for ax, (key, scale, label) in zip(axes[0], panels):
        for x, arm in enumerate(arms):
            values = [m[key] / scale for r, _, m in cells if r["arm"] == arm]
            ax.bar(x, sum(values) / len(values), color="lightsteelblue", width=0.6)
            ax.scatter([x] * len(values), values, s=12, color="black", zorder=3)
        ax.set_xticks(range(len(arms)))
        ax.set_xticklabels([ARM_SHORT[a] for a in arms], fontsize=7.5)
        ax.set_title(label, fontsize=9)
        ax.tick_params(axis="y", labelsize=8)
    fig.suptitle(f"{TITLES[scenario]}, {thresholds} thresholds: cost per cell (bar: mean, dots: each repetition)",
                 fontsize=10, x=0.01, ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.93))
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
                out.write("scenario,thresholds,arm,rep," + ",".join(columns) + "\n")
            for i in range(len(s["t"])):
                out.write(f"{scenario},{thresholds_of(record)},{record['arm']},{record['rep']},"
                          + ",".join(str(s[c][i]) if c in s else "" for c in columns) + "\n")


def check_quick(rows):
    """Scenario 1 judges kubelet's 10 s samples; scenario 4 (the burst)
    every fine sample: any instant below the eviction threshold is an
    eviction for a kubelet with --kernel-memcg-notification. One line per
    scenario and repetition, ending "pass" or "FAIL: why"."""
    by = {}
    for record, _, m in rows:
        key = (record["scenario"], thresholds_of(record), record["rep"])
        by.setdefault(key, {})[record["arm"]] = m
    failed = False
    for (scenario, thr, rep), arms in sorted(by.items()):
        none, watch = arms.get("none"), arms.get("watch")
        name = f"quick {scenario}{suffix(thr)} rep {rep}:"
        if none is None or watch is None:
            print(f"{name} FAIL: the quick run needs both the none and the watch arm")
            failed = True
            continue
        if scenario == "s4":
            numbers = (f"none {none['below_eviction_s']:.2f} s below the eviction threshold "
                       f"({none['notify_evictions']} episodes, deepest {none['depth_below_eviction'] // MIB} MiB), "
                       f"watch {watch['below_eviction_s']:.2f} s ({watch['notify_evictions']} episodes, "
                       f"deepest {watch['depth_below_eviction'] // MIB} MiB)")
            shown, let, what = none["notify_evictions"], watch["notify_evictions"], "instant(s) below it"
        else:
            numbers = f"none {none['evictions']} would-be evictions, watch {watch['evictions']}"
            shown, let, what = none["evictions"], watch["evictions"], "10 s sample(s) below it"
        problems = []
        if shown == 0:
            problems.append("the none arm never went below the eviction threshold: the scenario showed "
                            "nothing (machine too slow or too big?)")
        if let > 0:
            problems.append(f"watch let kubelet see memory.available below the eviction threshold: {let} {what}")
        failed = failed or bool(problems)
        print(f"{name} {numbers}: " + ("FAIL: " + "; ".join(problems) if problems else "pass"))
    return 1 if failed or not by else 0


def copy_logs(raw, out):
    """The agents' own logs (and their stderr when not empty), as written."""
    logs = os.path.join(out, "logs")
    os.makedirs(logs, exist_ok=True)
    for path in sorted(glob.glob(os.path.join(raw, "*.log")) + glob.glob(os.path.join(raw, "*.stderr"))):
        if os.path.getsize(path) > 0:
            shutil.copy(path, logs)


def recount(directory):
    """Episodes below the eviction threshold in the committed samples of an
    earlier run (its cells.json gives the threshold)."""
    import csv
    saved = json.load(open(os.path.join(directory, "cells.json")))
    params = saved["params"]
    # Each cell's own line where it set one (scenarios 3 and 4 do, and
    # every shipped cell has its own distance); the run's otherwise.
    lines = {(c["scenario"], thresholds_of(c), c["arm"], c["rep"]):
             c.get("eviction_threshold", params["eviction_threshold"]) for c in saved["cells"]}
    for path in sorted(glob.glob(os.path.join(directory, "samples-s*.csv"))):
        cells = {}
        with open(path) as f:
            for row in csv.DictReader(f):
                key = (row.get("thresholds", "tight"), row["arm"], int(row["rep"]))
                cells.setdefault(key, []).append(int(row["available"]))
        scenario = os.path.basename(path)[len("samples-"):-len(".csv")]
        print(f"{scenario}: notify would-be evictions per repetition (each cell's eviction threshold, "
              f"the run's {params['eviction_threshold']} where it set none; samples every "
              f"{params['fine_period_s'] * 1000:.0f} ms)")
        for arm in ARM_ORDER:
            for thr in ("tight", "shipped"):
                reps_ = sorted(k[2] for k in cells if k[:2] == (thr, arm))
                if reps_:
                    counts = [metrics.episodes_below(cells[(thr, arm, r)], lines[(scenario, thr, arm, r)])
                              for r in reps_]
                    print(f"  {ARM_WORDS[arm]}{'' if thr == 'tight' else ', ' + thr}: {reps(counts)}")
    return 0


def main(argv):
    if len(argv) < 3 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stdout if len(argv) > 1 and argv[1] in ("-h", "--help") else sys.stderr)
        return 0 if len(argv) > 1 and argv[1] in ("-h", "--help") else 64
    if argv[1] == "--recount":
        return recount(argv[2])
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
    for scenario, thr in groups(rows):
        chart(rows, params, scenario, thr, os.path.join(out, f"{scenario}{suffix(thr)}.png"))
        cost_chart(rows, scenario, thr, os.path.join(out, f"{scenario}{suffix(thr)}-cost.png"))
    for scenario in sorted({r[0]["scenario"] for r in rows}):
        samples_csv(rows, scenario, os.path.join(out, f"samples-{scenario}.csv"))
    copy_logs(raw, out)
    with open(os.path.join(out, "cells.json"), "w") as f:
        json.dump({"params": params,
                   "cells": [dict({k: v for k, v in record.items() if k != "params"}, metrics=m) for record, _, m in rows]}, f, indent=1)
    print(f"report: {len(rows)} cells -> {out}/results.md, charts and samples")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
