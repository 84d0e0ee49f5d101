"""Tables for the efficacy lab's pure numbers (metrics.py):
  /usr/bin/python3 -m unittest discover -s scripts/lab -p 'test_*.py'"""
import calendar
import os
import statistics
import tempfile
import time
import unittest

import metrics

EPOCH0 = calendar.timegm(time.strptime("Thu Dec  3 10:00:00 2026", "%a %b %d %H:%M:%S %Y"))


def stamp(seconds):
    return time.strftime("%a %b %e %H:%M:%S UTC %Y", time.gmtime(EPOCH0 + seconds))


def events_of(lines):
    with tempfile.NamedTemporaryFile("w", delete=False) as f:
        for t, text in lines:
            f.write(f"{stamp(t)}     {text}\n")
    try:
        return metrics.log_events(f.name, EPOCH0)
    finally:
        os.unlink(f.name)


class LogEventsTests(unittest.TestCase):
    def test_rows(self):
        rows = [
            ("the original's reclaim, as its log shows it", [
                (5, "avalible_mem -300967919616 is less global thresh 4362076160, need reclaim /x//user.slice !!"),
                (5, "Before reclaim:"),
                (5, "mem usage: CURRENT 526179893248 LAST 915800064 CHANGE 525264093184"),
                (6, "After reclaim:"),
                (6, "mem usage total_rss+total_cache 2005598208"),
            ], [{"t": 5, "kind": "reclaim", "before": 526179893248, "freed": 526179893248 - 2005598208}]),
            ("a skip, then a decline", [
                (1, "mem usage: CURRENT 216604540928 LAST 216604540928 CHANGE 0"),
                (1, "change is too small (less than 1073741824 ), so skip reclaim"),
                (9, "mem usage decline, change last usage mem 216604540928 -> 205825900544"),
            ], [{"t": 1, "kind": "skip", "before": 216604540928, "freed": None},
                {"t": 9, "kind": "decline", "from": 216604540928, "to": 205825900544}]),
            ("mon_memcg's own freed count wins over the difference", [
                (2, "mem usage: CURRENT 3000 LAST 0 CHANGE 3000"),
                (2, "After reclaim:"),
                (2, "mem usage total_rss+total_cache 1000"),
                (2, "reclaim took 0.043 s, freed 1900 bytes"),
            ], [{"t": 2, "kind": "reclaim", "before": 3000, "freed": 1900, "took": 0.043}]),
            ("interrupted by reclaim_timeout, then drop_caches", [
                (3, "mem usage: CURRENT 3851087872 LAST 0 CHANGE 3851087872"),
                (48, "reclaim interrupted after 45.001 s, current 399032320, freed 3452055552 bytes (reclaim_timeout 45.000 s)"),
                (49, "dying reclaim drop_caches: wrote 1 to /proc/sys/vm/drop_caches, took 0.100 s; dying cgroups COUNT 3 -> 0"),
            ], [{"t": 3, "kind": "reclaim", "before": 3851087872, "freed": 3452055552, "took": 45.001,
                 "interrupted": "reclaim_timeout 45.000 s"},
                {"t": 49, "kind": "drop_caches"}]),
            ("the original killed mid-force_empty: a reclaim whose result is unknown", [
                (4, "mem usage: CURRENT 5781336064 LAST 0 CHANGE 5781336064"),
            ], [{"t": 4, "kind": "reclaim", "before": 5781336064, "freed": None}]),
            ("watch holding the line: the ahead reclaim and each held step count, freed from their own lines", [
                (1, "hold: available 19992821760 falls at 1073741824 bytes/s and will be below global thresh 19898998784 within 0.100 s (one reclaim step): reclaiming ahead"),
                (1, "memory.force_empty: requesting 297640374 bytes (global thresh 1 + hold margin 2 - available 3, at most current 4); the write is interrupted once"),
                (2, "After reclaim:"),
                (2, "mem usage total_rss+total_cache 3269693440"),
                (2, "reclaim asked 297640374 bytes, freed 471998464 bytes in 0.391 s, stopped: amount reached"),
                (2, "hold step 2: available 20073918464 < global thresh 19904819200 + hold_hysteresis 268435456, reclaiming the shortfall + 789810688 bytes"),
                (3, "After reclaim:"),
                (3, "mem usage total_rss+total_cache 2005598208"),
                (3, "reclaim took 0.043 s, freed 1900 bytes"),
                (3, "hold ended after 2 steps in 0.797 s, available 20554227712 >= global thresh 19904819200 + hold_hysteresis 268435456"),
            ], [{"t": 1, "kind": "reclaim", "before": None, "freed": 471998464, "took": 0.391, "held": True},
                {"t": 2, "kind": "reclaim", "before": None, "freed": 1900, "took": 0.043, "held": True}]),
            ("lines of other shapes are not events", [
                (0, "watch started (pid 1): checks on threshold events"),
                (0, "not a log line at all"),
            ], []),
        ]
        for name, lines, want in rows:
            with self.subTest(name):
                self.assertEqual(events_of(lines), want)


class NumbersTests(unittest.TestCase):
    def test_seconds_below(self):
        t = [0.0, 0.1, 0.2, 0.3]
        self.assertAlmostEqual(metrics.seconds_below(t, [5, 1, 1, 5], 2, 0.1), 0.2)
        self.assertAlmostEqual(metrics.seconds_below(t, [1, 1, 1, 1], 2, 0.1), 0.4)
        self.assertEqual(metrics.seconds_below(t, [5, 5, 5, 5], 2, 0.1), 0.0)

    def test_delta_in_counts_overlapping_windows_once(self):
        t = [0, 1, 2, 3, 4]
        c = [0, 10, 20, 30, 40]
        self.assertEqual(metrics.delta_in(t, c, [(1, 3), (2, 3)]), 30)
        self.assertEqual(metrics.delta_in(t, c, []), 0)
        self.assertEqual(metrics.delta_in(t, [0, -1, 20, 30, 40], [(0, 4)]), 20, "an unreadable sample is skipped")

    def test_cell_metrics(self):
        record = {"params": {"fine_period_s": 1.0, "eviction_threshold": 10, "global_thresh": 20},
                  "agent_cpu_s": 0.5,
                  "events": [{"t": 1.0, "kind": "reclaim", "freed": 7}, {"t": 2.0, "kind": "skip", "freed": None}]}
        s = {"t": [0.0, 1.0, 2.0, 3.0], "kubelet": [1, 0, 1, 1], "available": [30, 15, 5, 25],
             "target_refault_file": [0, 0, 1, 1], "node_refault_file": [0, 0, 2, 3],
             "bystander_read_bytes": [0, 0, 0, 4096]}
        m = metrics.cell_metrics(record, s)
        self.assertEqual((m["kubelet_samples"], m["evictions"]), (3, 1))
        self.assertEqual((m["below_eviction_s"], m["below_thresh_s"], m["min_available"]), (1.0, 2.0, 5))
        self.assertEqual((m["reclaims"], m["skips"], m["freed"]), (1, 1, 7))
        self.assertEqual((m["target_refault_after"], m["node_refault_after"], m["reread_after"]),
                         (4096, 3 * 4096, 4096))
        self.assertIsNone(m["reread_pod_total"], "cells sampled before the pod's column: no split")
        s["pod_read_bytes"] = [100, 100, 100, 1124]
        self.assertEqual(metrics.cell_metrics(record, s)["reread_pod_total"], 1024, "the pod's own share of the re-reads")


class BurstNumbersTests(unittest.TestCase):
    def test_episodes_below(self):
        rows = [
            ("never below", [5, 5, 5], 2, 0),
            ("one run of samples below is one episode", [5, 1, 1, 5], 2, 1),
            ("below, back above, below again: two", [5, 1, 5, 1, 5], 2, 2),
            ("below from the first sample counts", [1, 5], 2, 1),
            ("at the threshold is not below (kubelet: available < threshold)", [5, 2, 2], 2, 0),
            ("no samples", [], 2, 0),
        ]
        for name, values, limit, want in rows:
            with self.subTest(name):
                self.assertEqual(metrics.episodes_below(values, limit), want)

    def test_mean_ci(self):
        mean, lo, hi = metrics.mean_ci([1.0, 2.0, 3.0])
        # mean 2, stdev 1, t(2) = 4.303: half-width 4.303 / sqrt(3)
        self.assertAlmostEqual(mean, 2.0)
        self.assertAlmostEqual(hi - mean, 4.303 / 3 ** 0.5, places=6)
        self.assertAlmostEqual(mean - lo, hi - mean)
        self.assertEqual(metrics.mean_ci([0.0] * 10), (0.0, 0.0, 0.0), "no spread: no interval")
        self.assertEqual(metrics.mean_ci([4.0]), (4.0, 4.0, 4.0), "one repetition")
        wide = metrics.mean_ci([0.0, 1.0] * 20)  # 40 values: the normal's 1.96
        self.assertAlmostEqual(wide[2] - wide[0], 1.96 * statistics.stdev([0.0, 1.0] * 20) / 40 ** 0.5)

    def test_a_cells_own_lines_win_over_the_runs(self):
        """Shipped-threshold cells carry their own eviction threshold and
        the burst's cells their own sampling period."""
        record = {"params": {"fine_period_s": 1.0, "eviction_threshold": 10, "global_thresh": 20},
                  "eviction_threshold": 4, "global_thresh": 20, "fine_period_s": 0.5,
                  "agent_cpu_s": 0.0, "events": []}
        s = {"t": [0.0, 0.5, 1.0, 1.5], "kubelet": [1, 0, 0, 1], "available": [30, 5, 3, 3],
             "target_refault_file": [0] * 4, "node_refault_file": [0] * 4, "bystander_read_bytes": [0] * 4}
        m = metrics.cell_metrics(record, s)
        self.assertEqual(m["evictions"], 1, "only the last kubelet sample is below 4")
        self.assertEqual(m["notify_evictions"], 1)
        self.assertAlmostEqual(m["below_eviction_s"], 1.0, msg="two samples of 0.5 s")
        self.assertAlmostEqual(m["below_thresh_s"], 1.5)
        self.assertEqual(m["depth_below_eviction"], 1)
        del record["eviction_threshold"], record["fine_period_s"]
        m = metrics.cell_metrics(record, s)
        self.assertEqual((m["evictions"], m["below_eviction_s"], m["depth_below_eviction"]), (1, 2.0, 7),
                         "without its own, the run's threshold, and its period for the last sample")


if __name__ == "__main__":
    unittest.main()
