"""Turns the lab guest's console (scripts/vm-lab/guest-lab.sh) into
OUT/samples.csv (arm, guest seconds since the arm started, kubelet's
available bytes, the target's memory.current) and a table per arm; exits 1
when the quick check fails: the none arm must show at least one would-be
eviction (a sample below kubelet's eviction threshold), watch none.

    summary.py CONSOLE OUT KERNEL LRU_GEN
"""
import csv
import json
import sys

MIB = 1 << 20


def parse(console):
    params, samples, starts = {}, [], {}
    with open(console) as f:
        for line in f:
            w = line.split()
            if w[:2] == ["MMVM", "params"]:
                params = {k: int(v) for k, v in (x.split("=") for x in w[2:])}
            elif w[:2] == ["MMVM", "arm-start"]:
                starts[w[2]] = float(w[3])
            elif w[:2] == ["MMVM", "sample"] and len(w) == 6:
                arm = w[2]
                samples.append((arm, float(w[3]) - starts[arm], int(w[4]), int(w[5])))
    return params, samples


def table(params, samples):
    """Per cell (ARM.N), in the order the guest ran them."""
    rows = {}
    for arm, t, avail, current in samples:
        r = rows.setdefault(arm, {"samples": 0, "evictions": 0, "below_thresh": 0, "min": avail})
        r["samples"] += 1
        r["evictions"] += avail < params["eviction"]
        r["below_thresh"] += avail < params["global_thresh"]
        r["min"] = min(r["min"], avail)
    return rows


def main():
    console, out, kernel, lru_gen = sys.argv[1:5]
    params, samples = parse(console)
    if not params or not samples:
        sys.exit(f"{console}: no MMVM params/sample lines (the guest did not run the lab)")
    with open(f"{out}/samples.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["kernel", "lru_gen", "arm", "cell", "t_s", "available_bytes", "target_current_bytes"])
        for cell, t, avail, current in samples:
            w.writerow([kernel, lru_gen, cell.split(".")[0], cell, f"{t:.2f}", avail, current])
    rows = table(params, samples)
    with open(f"{out}/params.json", "w") as f:
        json.dump(dict(params, kernel=kernel, lru_gen=lru_gen, sample_period_s=0.5), f, indent=1, sort_keys=True)
    print(f"kernel {kernel}, lru_gen {lru_gen}; available at start {params['available0'] // MIB} MiB, "
          f"global thresh {params['global_thresh'] // MIB} MiB, eviction threshold {params['eviction'] // MIB} MiB, "
          f"growth {params['growth'] // MIB} MiB")
    print("| cell | samples (0.5 s) | would-be evictions | samples below global thresh | lowest available (MiB) |")
    print("|---|---|---|---|---|")
    for arm, r in rows.items():
        print(f"| {arm} | {r['samples']} | {r['evictions']} | {r['below_thresh']} | {r['min'] // MIB} |")
    bad = []
    for cell, r in rows.items():
        arm = cell.split(".")[0]
        if arm == "none" and r["evictions"] == 0:
            bad.append(f"{cell} saw no would-be eviction: the scenario did not push kubelet's number down")
        if arm == "watch" and r["evictions"] > 0:
            bad.append(f"{cell} let kubelet see memory below the eviction threshold in {r['evictions']} samples")
    # TAP lines for scripts/ci/lib.sh's run_tap
    for cell, r in rows.items():
        arm = cell.split(".")[0]
        if arm == "none":
            print(f"{'ok' if r['evictions'] else 'not ok'} - {cell}: the scenario took kubelet's available "
                  f"below the eviction threshold ({r['evictions']} samples)")
        if arm == "watch":
            print(f"{'not ok' if r['evictions'] else 'ok'} - {cell}: kubelet's available stayed above the "
                  f"eviction threshold (lowest {r['min'] // MIB} MiB, {r['evictions']} samples below)")
    for b in bad:
        print("FAIL:", b)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
