"""Tables for the quick lab's verdict (report.py check_quick), which CI
step 65 turns into its checks:
  /usr/bin/python3 -m unittest discover -s scripts/lab -p 'test_*.py'"""
import contextlib
import io
import unittest

import report


def cell(scenario, arm, evictions=0, notify=0, below=0.0, depth=0, thresholds=None):
    record = {"scenario": scenario, "arm": arm, "rep": 1}
    if thresholds:
        record["thresholds"] = thresholds
    m = {"evictions": evictions, "notify_evictions": notify, "below_eviction_s": below,
         "depth_below_eviction": depth}
    return record, None, m


def verdict(rows):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = report.check_quick(rows)
    return status, out.getvalue().splitlines()


class CheckQuickTests(unittest.TestCase):
    def test_rows(self):
        rows = [
            ("burst shown, watch held: pass",
             [cell("s4", "none", 1, 1, 12.5, 1 << 30), cell("s4", "watch")], 0, ["pass"]),
            ("burst: one 50 ms sample below with watch fails, though no 10 s sample saw it",
             [cell("s4", "none", 1, 1, 12.5, 1 << 30), cell("s4", "watch", 0, 1, 0.05, 40 << 20)], 1,
             ["FAIL: watch let kubelet see memory.available below the eviction threshold: 1 instant(s) below it"]),
            ("burst never below with no agent: the run proved nothing",
             [cell("s4", "none", 0, 0), cell("s4", "watch")], 1,
             ["FAIL: the none arm never went below"]),
            ("scenario 1 still judges kubelet's 10 s samples",
             [cell("s1", "none", 2, 1, 17.0), cell("s1", "watch", 0, 1, 0.2)], 0, ["pass"]),
            ("scenario 1, a 10 s sample below with watch",
             [cell("s1", "none", 2, 1, 17.0), cell("s1", "watch", 1, 1, 3.0)], 1,
             ["FAIL: watch let kubelet see memory.available below the eviction threshold: 1 10 s sample(s)"]),
            ("an arm missing", [cell("s4", "none", 1, 1, 12.5)], 1, ["FAIL: the quick run needs both"]),
            ("no cells at all", [], 1, []),
            ("one scenario failing fails the run, the other's line still says pass",
             [cell("s1", "none", 2), cell("s1", "watch"), cell("s4", "none", 0), cell("s4", "watch")], 1,
             ["pass", "FAIL: the none arm never went below"]),
            ("shipped thresholds are judged apart, named so",
             [cell("s4", "none", 1, 1, 9.0, thresholds="shipped"), cell("s4", "watch", thresholds="shipped")], 0,
             ["quick s4-shipped rep 1:"]),
        ]
        for name, cells, want_status, want_lines in rows:
            with self.subTest(name):
                status, lines = verdict(cells)
                self.assertEqual(status, want_status, lines)
                self.assertEqual(len(lines), len({(r["scenario"], r.get("thresholds")) for r, _, _ in cells}))
                for line, want in zip(lines, want_lines):
                    self.assertIn(want, line)


class ArmWordsTests(unittest.TestCase):
    def test_every_arm_has_its_words(self):
        # A run's table names each arm in words and its cost chart in short
        # ones; an arm without them stopped the report after a 45 min run
        # (2026-12-07).
        for name, words in (("ARM_WORDS", report.ARM_WORDS), ("ARM_SHORT", report.ARM_SHORT)):
            with self.subTest(name):
                self.assertEqual([a for a in report.ARM_ORDER if a not in words], [])




class DirtyWordsTests(unittest.TestCase):
    def test_rows(self):
        defaults = {"dirty_ratio": 20, "dirty_bytes": 0, "dirty_background_ratio": 10, "dirty_background_bytes": 0}
        low = {"dirty_ratio": 0, "dirty_bytes": 268435456, "dirty_background_ratio": 0, "dirty_background_bytes": 67108864}
        rows = [
            ("a run from before the option: nothing said", {}, ""),
            ("the node's own", {"dirty_sysctls": defaults, "dirty_sysctls_before": None},
             " Dirty limits: vm.dirty_ratio 20 %, vm.dirty_background_ratio 10 % (the node's own)."),
            ("set by the run", {"dirty_sysctls": low, "dirty_sysctls_before": defaults},
             " Dirty limits: vm.dirty_bytes 268435456, vm.dirty_background_bytes 67108864 (set for this run by "
             "--dirty-bytes; the node's were vm.dirty_ratio 20 %, vm.dirty_background_ratio 10 %)."),
        ]
        for name, params, want in rows:
            with self.subTest(name):
                self.assertEqual(report.dirty_words(params), want)


if __name__ == "__main__":
    unittest.main()
