"""Tables from the console of scripts/vm/guest-bench.sh (run by
scripts/vm/bench-v2-reclaim.sh): every trial, then medians (range) per arm
and the ratios of medians. Standard library only.

    /usr/bin/python3 scripts/vm/bench-v2-report.py CONSOLE_LOG
"""
import re
import statistics
import sys

MiB = 1 << 20
PAGE = 4096
text = open(sys.argv[1]).read()


def marks(kind):
    rows = []
    for line in text.splitlines():
        if line.startswith(f"MMVM {kind} n="):
            rows.append(dict(kv.split("=", 1) for kv in line.split()[2:] if "=" in kv))
    return rows


def log_of(name):
    m = re.search(rf"^MMVM-BEGIN log:{name}\n(.*?)^MMVM-END log:{name}$", text, re.S | re.M)
    return m.group(1) if m else ""


def num(row, k):
    return float(row.get(k, "nan"))


def med(values):
    return statistics.median(values) if values else float("nan")


def fmt(values, scale=MiB, digits=0):
    if not values:
        return "-"
    v = [x / scale for x in values]
    return f"{med(v):.{digits}f} ({min(v):.{digits}f}–{max(v):.{digits}f})"


def ratio(a, b):
    return f"{a / b:.3f}" if b else "n/a"


def line(cells):
    print("| " + " | ".join(str(c) for c in cells) + " |")


def table(header, rows):
    line(header)
    line(["---"] * len(header))
    for row in rows:
        line(row)


def trials(title, columns, rows, arm, measure, show):
    """A section's heading and one line a trial; the trials' measures by arm."""
    print(f"\n## {title}\n")
    print(columns)
    per = {}
    for r in rows:
        t = measure(r)
        per.setdefault(r[arm], []).append(t)
        print(show(r, t))
    return per


def ratios(per, arm, base, what, blank=False):
    """Medians of `arm` over those of `base`, for each (key, words) in what."""
    if arm not in per or base not in per:
        return
    if blank:
        print()
    for k, words in what:
        print(f"{arm} / {base}, {words} (medians): {ratio(med([t[k] for t in per[arm]]), med([t[k] for t in per[base]]))}")


kernel = re.search(r"^MMVM kernel (\S+)", text, re.M)
sizes = re.search(r"^MMVM sizes (.*)$", text, re.M)
print(f"kernel {kernel.group(1) if kernel else '?'}; {sizes.group(1) if sizes else ''}")
for m in re.finditer(r"^MMVM (probe-\S+ .*|swap /proc.*|vm-swappiness .*|memtotal-kb .*|lru_gen .*)$", text, re.M):
    print(m.group(0))

def amount_trial(r):
    log = log_of(f"a{r['n']}")
    thresh = int(re.search(r"is less global thresh (\d+)", log).group(1)) if "global thresh" in log else None
    seen = int(re.search(r"avalible_mem (-?\d+) is less", log).group(1)) if "avalible_mem" in log else None
    asked = re.search(r"requesting (\d+) bytes", log)
    took = re.search(r"reclaim took ([\d.]+) s", log)
    hot_mb = int(re.search(r"hot_mb=(\d+)", sizes.group(1)).group(1))
    return dict(
        freed=num(r, "b_current") - num(r, "m_current"),
        freed_anon=num(r, "b_anon") - num(r, "m_anon"),
        freed_file=num(r, "b_file") - num(r, "m_file"),
        asked=int(asked.group(1)) if asked else float("nan"),
        seen=(seen - thresh) if thresh is not None else float("nan"),
        recovered=(num(r, "avail_after") - thresh) if thresh is not None else float("nan"),
        gain=(num(r, "avail_after") - seen) if seen is not None else float("nan"),
        refault=(num(r, "e_refault_file") - num(r, "m_refault_file")) * PAGE,
        vm_refault=(num(r, "e_vm_refault_file") - num(r, "m_vm_refault_file")) * PAGE,
        rate=(num(r, "e_passes") - num(r, "m_passes")) * hot_mb * MiB / max(1e-9, num(r, "e_t") - num(r, "m_t")),
        rate_before=float("nan"),
        took=float(took.group(1)) if took else float("nan"),
        check_s=num(r, "check_s"),
        rc=r.get("rc"),
        active=num(r, "b_active_file"), inactive=num(r, "b_inactive_file"),
    )


amount = marks("amount")
if amount:
    per = trials("reclaim_amount all vs deficit (mon_memcg check through memory.reclaim)",
                 "trial mode freed_MiB anon/file_freed_MiB asked_MiB avail_seen-thresh avail_after-thresh refault_file_MiB(target) refault_file_MiB(node) reads_MiB/s took_s check_s",
                 amount, "mode", amount_trial,
                 lambda r, t: f"{r['n']} {r['mode']} rc={t['rc']} {t['freed']/MiB:.0f} {t['freed_anon']/MiB:.0f}/{t['freed_file']/MiB:.0f} {t['asked']/MiB:.0f} "
                              f"{t['seen']/MiB:.0f} {t['recovered']/MiB:.0f} {t['refault']/MiB:.0f} {t['vm_refault']/MiB:.0f} {t['rate']/MiB:.0f} {t['took']:.3f} {t['check_s']:.3f}")
    print()
    table(["reclaim_amount", "trials", "target active/inactive file before MiB", "asked MiB", "freed MiB (range)", "available gained MiB (range)", "available after − thresh, min MiB",
           "refault MiB after (target)", "refault MiB after (node)", "hot-set reads MiB/s after", "took s (range)"],
          [[mode, len(ts), f"{med([t['active'] for t in ts]) / MiB:.0f} / {med([t['inactive'] for t in ts]) / MiB:.0f}", fmt([t["asked"] for t in ts]), fmt([t["freed"] for t in ts]), fmt([t["gain"] for t in ts]),
            f"{min(t['recovered'] for t in ts) / MiB:.0f}", fmt([t["refault"] for t in ts]), fmt([t["vm_refault"] for t in ts]),
            fmt([t["rate"] for t in ts]), fmt([t["took"] for t in ts], 1, 3)]
           for mode in ("all", "deficit", "deficit+inactive") if (ts := per.get(mode))])
    for other in ("deficit", "deficit+inactive"):
        ratios(per, other, "all", (("refault", "target refaults"), ("vm_refault", "node refaults"), ("freed", "freed"),
                                   ("gain", "available gained"), ("took", "reclaim time"), ("rate", "hot-set read rate")), blank=True)

def dying_row(r):
    log = log_of(f"d{r['n']}")
    seen = re.search(r"avalible_mem (-?\d+) is less", log)
    gain = (num(r, "avail_after") - int(seen.group(1))) / MiB if seen and "avail_after" in r else float("nan")
    lines = "; ".join(l.split("     ", 1)[-1].strip() for l in log.splitlines()
                      if re.search(r"dying|drop_caches|reaper", l))
    return [f"{r['mode']}, dying_reclaim {r['dying_reclaim']}", r["rc"], r["b_dying"], r["m_dying"], r["e_dying"],
            f"{(num(r, 'b_current') - num(r, 'm_current')) / MiB:.0f}", f"{gain:.0f}", lines or "-"]


dying = marks("dying")
if dying:
    print("\n## dying cgroups (nr_dying_descendants of the target)\n")
    table(["arm", "rc", "dying before", "after the check", "5 s later", "freed MiB", "available gained MiB", "the check's dying lines"],
          [dying_row(r) for r in dying])

def swap_trial(r):
    return dict(
        anon=num(r, "b_anon") - num(r, "m_anon"), file=num(r, "b_file") - num(r, "m_file"),
        freed=num(r, "b_current") - num(r, "m_current"), swapped=num(r, "m_swap"),
        rf=(num(r, "e_refault_file") - num(r, "m_refault_file")) * PAGE,
        ra=(num(r, "e_refault_anon") - num(r, "m_refault_anon")) * PAGE,
        s=num(r, "reclaim_s"), how=r["how"])


swap = marks("swap")
if swap:
    per = trials("memory.reclaim with the default swappiness vs file only (swap on)",
                 "trial arm how rc anon_freed file_freed swap_after refault_file refault_anon reclaim_s (MiB)",
                 swap, "arm", swap_trial,
                 lambda r, t: f"{r['n']} {r['arm']} {r['how']} {r['rc']} {t['anon']/MiB:.0f} {t['file']/MiB:.0f} {t['swapped']/MiB:.0f} {t['rf']/MiB:.0f} {t['ra']/MiB:.0f} {t['s']:.3f}")
    print()
    table(["arm", "trials", "freed MiB", "anon freed MiB", "file freed MiB", "swap used after MiB", "refault file MiB after", "refault anon MiB after", "reclaim s"],
          [[f"{arm} ({ts[0]['how']})", len(ts), fmt([t["freed"] for t in ts]), fmt([t["anon"] for t in ts]), fmt([t["file"] for t in ts]),
            fmt([t["swapped"] for t in ts]), fmt([t["rf"] for t in ts]), fmt([t["ra"] for t in ts]), fmt([t["s"] for t in ts], 1, 3)]
           for arm in ("default", "fileonly") if (ts := per.get(arm))])
    ratios(per, "fileonly", "default", (("rf", "file refaults"), ("anon", "anon freed"), ("file", "file freed"), ("s", "reclaim time")))
