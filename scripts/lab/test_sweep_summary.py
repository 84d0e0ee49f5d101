"""Tables for the sweep's summary (sweep_summary.py): the measured rate
and the spread, run with the lab's other checks (CI step 65):
  /usr/bin/python3 -m unittest discover -s scripts/lab -p 'test_*.py'"""
import contextlib
import io
import json
import os
import tempfile
import unittest

import sweep_summary

GIB = 1 << 30


class MeasuredRateTests(unittest.TestCase):
    def test_rows(self):
        g, e = 10 * GIB, 9 * GIB
        rows = [
            ("1 GiB in 2 s: 512 MiB/s", [(0.0, 11 * GIB), (1.0, g - 1), (3.0, e - 1)], 512.0),
            ("never below global thresh: none", [(0.0, 11 * GIB), (1.0, g + 1)], None),
            ("below global thresh, never below eviction: none", [(0.0, g - 1), (5.0, e + 1)], None),
            ("both in the same sample: none (no interval)", [(0.0, 11 * GIB), (1.0, e - 1)], None),
        ]
        for name, points, expected in rows:
            with self.subTest(name):
                rate = sweep_summary.measured_rate(points, g, e)
                if expected is None:
                    self.assertIsNone(rate)
                else:
                    self.assertAlmostEqual(rate, expected)

    def test_spread(self):
        self.assertEqual(sweep_summary.spread([]), "-")
        self.assertEqual(sweep_summary.spread([2.0, 2.0]), "2.0")
        self.assertEqual(sweep_summary.spread([1.0, 3.0, 2.0], 2), "2.00 [1.00-3.00]")

    def test_table_from_runs(self):
        with tempfile.TemporaryDirectory() as top:
            run = os.path.join(top, "rate-200")
            os.makedirs(run)
            cell = {"arm": "none", "rep": 1, "global_thresh": 10 * GIB, "eviction_threshold": 9 * GIB, "loadavg": [0.5, 1.5],
                    "metrics": {"below_eviction_s": 4.0, "notify_evictions": 1, "below_thresh_s": 9.0, "reclaims": 0}}
            with open(os.path.join(run, "cells.json"), "w") as f:
                json.dump({"params": {}, "cells": [cell]}, f)
            with open(os.path.join(run, "samples-s1.csv"), "w") as f:
                f.write("scenario,arm,rep,t,available\n")
                f.write(f"s1,none,1,0.0,{11 * GIB}\ns1,none,1,1.0,{10 * GIB - 1}\ns1,none,1,6.0,{9 * GIB - 1}\n")
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                self.assertEqual(sweep_summary.main(["sweep_summary.py", top]), 0)
            rows = out.getvalue().splitlines()
            self.assertEqual(rows[2], "| 200 | 205 | none | 4.00 | 1 | 9.0 | 0 | 0.5-1.5 |")


if __name__ == "__main__":
    unittest.main()
