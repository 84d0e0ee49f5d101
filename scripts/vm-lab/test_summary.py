"""Tests of scripts/vm-lab/summary.py's arithmetic and of the quick check
that CI step 66 relies on: python3 -m unittest discover -s scripts/vm-lab"""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import summary  # noqa: E402

MIB = 1 << 20
PARAMS = {"available0": 1000 * MIB, "global_thresh": 900 * MIB, "eviction": 800 * MIB}


def cell(scenario, arm, **kw):
    n = {"scenario": scenario, "arm": arm, "samples_below_eviction": 0, "s_below_eviction": 0.0,
         "s_below_global_thresh": 0.0, "dying_max": None}
    n.update(kw)
    return n


def cells_of(lines):
    """summary.py's cell numbers for a console made of LINES."""
    with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as f:
        f.write("\n".join(lines) + "\n")
    try:
        parsed = summary.parse(f.name)
    finally:
        os.unlink(f.name)
    return summary.cell_numbers(PARAMS, *parsed[1:], seed=1)


class Arithmetic(unittest.TestCase):
    def test_each_sample_counts_until_the_next(self):
        series = [(0.0, 100), (1.0, 50), (3.0, 50), (4.0, 200), (6.0, 10)]
        # below 60 from 1 to 3 and from 3 to 4; the last sample has no next: not counted
        self.assertAlmostEqual(summary.below_seconds(series, 60), 3.0)
        self.assertAlmostEqual(summary.below_seconds(series, 5), 0.0)

    def test_the_10s_sampler_reads_the_last_sample_at_or_before_each_tick(self):
        series = [(0.0, 1), (2.0, 2), (2.5, 3), (12.0, 4), (12.6, 5), (25.0, 6)]
        self.assertEqual(summary.kubelet_ticks(series, 2.3), [2, 4, 5])  # at 2.3, 12.3, 22.3
        self.assertEqual(summary.kubelet_ticks(series, 0.0), [1, 3, 5])  # at 0, 10, 20
        self.assertEqual(summary.kubelet_ticks(series, 5.0), [3, 5, 6])  # 25.0 is the last sample
        self.assertEqual(summary.kubelet_ticks([], 1.0), [])

    def test_reclaims_are_counted_once_each_not_per_memory_reclaim_step(self):
        log = ["x     memory.reclaim step 1: asked 5 bytes, ..., freed 100 bytes in this step; going on",
               "x     reclaim took 0.011 s, freed 100 bytes",
               "x     reclaim interrupted after 1.5 s, current 9, freed 50 bytes",
               "x     change is too small (less than 67108864 ), so skip reclaim",
               "x     dying reclaim drop_caches: wrote 1 to /proc/sys/vm/drop_caches, took 0.1 s"]
        e = summary.agent_events(log)
        self.assertEqual((e["reclaims"], e["freed_bytes"], e["skips"], e["dying_drops"]), (2, 150, 1, 1))


class Console(unittest.TestCase):
    def test_a_console_becomes_cell_numbers(self):
        lines = ["MMVM params available0=%d global_thresh=%d eviction=%d watermark=1" %
                 (PARAMS["available0"], PARAMS["global_thresh"], PARAMS["eviction"]),
                 "MMVM run s3.none.1 99.9",  # a phase-0 run prints before the cell's start
                 "MMVM arm-start s3.none.1 100.0 1 dying=6"]
        avail = [950, 850, 750, 700, 700, 760]
        for i, a in enumerate(avail):
            lines.append(f"MMVM sample s3.none.1 {100.0 + 2 * i} {a * MIB} 5 6")
        lines += ["MMVM sample s3.none.1 112.0 70", "MMVM arm-end s3.none.1 113 refaults=7",
                  "MMVM-BEGIN log-s3.none.1", "MMVM-END log-s3.none.1 rc=0"]
        cells = cells_of(lines)
        n = cells["s3.none.1"]
        self.assertEqual(n["samples"], 6)  # the cut-short line is dropped
        self.assertEqual(n["samples_below_eviction"], 4)
        self.assertAlmostEqual(n["s_below_eviction"], 6.0)   # 4, 6, 8 -> next; 10 is the last
        self.assertAlmostEqual(n["s_below_global_thresh"], 8.0)
        self.assertEqual(n["min_available_bytes"], 700 * MIB)
        self.assertEqual((n["dying_first"], n["dying_max"], n["node_refaulted_pages"]), (6, 6, 7))
        self.assertEqual(n["agent_runs_at_s"], [-0.1])
        self.assertEqual(summary.split_cell("none.1"), ("s1", "none"))
        # an arm with a hyphen (watch with memory_high = on) is one arm
        self.assertEqual(summary.split_cell("s3.watch-memhigh.2"), ("s3", "watch-memhigh"))
        self.assertEqual(set(summary.ARM_NAMES), set(summary.ARMS))
        # the v2 collateral column: pages of 4 KiB as MiB, cells without a count left out
        self.assertEqual(summary.refaults_mib([{"node_refaulted_pages": 256}, {"node_refaulted_pages": 768},
                                               {"node_refaulted_pages": None}]), "2 [1–3]")
        self.assertEqual(summary.refaults_mib([{"node_refaulted_pages": None}]), "–")

    def test_scenario_4s_burst_is_kept_with_the_cell(self):
        lines = ["MMVM params available0=%d global_thresh=%d eviction=%d watermark=1" %
                 (PARAMS["available0"], PARAMS["global_thresh"], PARAMS["eviction"]),
                 "MMVM arm-start s4.none.1 50.0 1 dying=0",
                 "MMVM prefilled s4.none.1 60.5 970000000 files=9",
                 "MMVM sample s4.none.1 50.0 %d 5 0" % (950 * MIB),
                 "MMVM sample s4.none.1 63.6 %d 5 0" % (750 * MIB),
                 "MMVM sample s4.none.1 63.7 %d 5 0" % (740 * MIB),
                 "MMVM burst s4.none.1 63.5 64.25 200",
                 "MMVM arm-end s4.none.1 80 refaults=0"]
        n = cells_of(lines)["s4.none.1"]
        self.assertEqual(n["anon_steps"], [(13.5, "burst 200 MiB in 0.75 s")])
        self.assertAlmostEqual(n["s_below_eviction"], 0.1)  # 0.1 s sampling: 63.6 to 63.7
        self.assertEqual(summary.check({"s4.none.1": n}), [])


class QuickCheck(unittest.TestCase):
    def good(self):
        return {"s1.none.1": cell("s1", "none", samples_below_eviction=30, s_below_eviction=15.0),
                "s1.watch.2": cell("s1", "watch"),
                "s3.none.3": cell("s3", "none", samples_below_eviction=90, s_below_eviction=50.0, dying_max=6),
                "s3.watch.4": cell("s3", "watch", dying_max=6, reclaims=20),
                "s2.none.5": cell("s2", "none", s_below_global_thresh=16.0)}

    def test_a_run_that_shows_the_scenarios_and_the_agent_helping_passes(self):
        self.assertEqual(summary.check(self.good()), [])

    def test_no_agent_without_an_eviction_proved_nothing(self):
        for name in ("s1.none.1", "s3.none.3"):
            c = self.good()
            c[name].update(samples_below_eviction=0, s_below_eviction=0.0)
            self.assertTrue(any(b.startswith(name) for b in summary.check(c)), name)

    def test_scenario_3_without_dying_cgroups_fails(self):
        c = self.good()
        c["s3.none.3"]["dying_max"] = 0
        self.assertTrue(any("dying" in b for b in summary.check(c)))

    def test_watch_must_help(self):
        c = self.good()
        c["s1.watch.2"]["samples_below_eviction"] = 1
        self.assertTrue(any(b.startswith("s1.watch.2") for b in summary.check(c)))
        c = self.good()
        c["s3.watch.4"].update(samples_below_eviction=1, s_below_eviction=0.1)  # one sample, far less than no agent
        self.assertTrue(any(b.startswith("s3.watch.4") for b in summary.check(c)))
        c = self.good()
        c["s3.watch.4"]["reclaims"] = 0
        self.assertTrue(any(b.startswith("s3.watch.4") and "never reclaimed" in b for b in summary.check(c)))

    def test_scenario_4_no_agent_must_see_the_burst_and_watch_must_hold_it(self):
        burst = [(13.5, "burst 200 MiB in 0.75 s")]
        ok = {"s4.none.6": cell("s4", "none", samples_below_eviction=20, s_below_eviction=2.0, anon_steps=burst),
              "s4.watch.7": cell("s4", "watch", reclaims=3)}
        self.assertEqual(summary.check(ok), [])
        c = dict(ok, **{"s4.none.6": cell("s4", "none", anon_steps=burst)})
        self.assertTrue(any(b.startswith("s4.none.6") for b in summary.check(c)))
        c = dict(ok, **{"s4.none.6": cell("s4", "none", samples_below_eviction=20, s_below_eviction=2.0)})
        self.assertTrue(any("did not finish" in b for b in summary.check(c)))
        c = dict(ok, **{"s4.watch.7": cell("s4", "watch", samples_below_eviction=1, s_below_eviction=0.1)})
        self.assertTrue(any(b.startswith("s4.watch.7") for b in summary.check(c)))

    def test_scenario_2_must_reach_global_thresh_and_stay_above_eviction(self):
        c = self.good()
        c["s2.none.5"]["s_below_global_thresh"] = 0.0
        self.assertTrue(any(b.startswith("s2.none.5") for b in summary.check(c)))
        c = self.good()
        c["s2.none.5"]["samples_below_eviction"] = 2
        self.assertTrue(any(b.startswith("s2.none.5") for b in summary.check(c)))


if __name__ == "__main__":
    unittest.main()
