"""Tables for dirty_limits.py, on a fake /proc/sys/vm that behaves as the
kernel's (writing one of a pair zeroes the other):
  /usr/bin/python3 -m unittest discover -s scripts/lab -p 'test_*.py'"""
import contextlib
import io
import os
import tempfile
import unittest

import dirty_limits
from dirty_limits import DirtyLimits

PAIRS = {"dirty_ratio": "dirty_bytes", "dirty_bytes": "dirty_ratio",
         "dirty_background_ratio": "dirty_background_bytes", "dirty_background_bytes": "dirty_background_ratio"}


class KernelLike(DirtyLimits):
    """The kernel's handlers: a write to one of a pair zeroes the other."""
    def _write(self, name, value):
        super()._write(name, value)
        super()._write(PAIRS[name], 0)


def fake(values):
    d = tempfile.mkdtemp()
    for name, v in values.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(f"{v}\n")
    return d


class DirtyLimitsTests(unittest.TestCase):
    def test_set_then_restore(self):
        rows = [
            ("the kernel's defaults (ratios)", {"dirty_ratio": 20, "dirty_bytes": 0,
                                                "dirty_background_ratio": 10, "dirty_background_bytes": 0}),
            ("bytes an SRE set", {"dirty_ratio": 0, "dirty_bytes": 1 << 30,
                                  "dirty_background_ratio": 0, "dirty_background_bytes": 1 << 28}),
            ("mixed: a byte limit, a background ratio", {"dirty_ratio": 0, "dirty_bytes": 536870912,
                                                        "dirty_background_ratio": 5, "dirty_background_bytes": 0}),
        ]
        for name, before in rows:
            with self.subTest(name):
                d = KernelLike(fake(before))
                d.set(256 << 20, 64 << 20)
                self.assertEqual(d.read(), {"dirty_ratio": 0, "dirty_bytes": 256 << 20,
                                            "dirty_background_ratio": 0, "dirty_background_bytes": 64 << 20})
                self.assertEqual(d.restore(), before)
                self.assertEqual(d.read(), before)
                self.assertIsNone(d.restore(), "a second restore writes nothing")
                self.assertEqual(d.read(), before)

    def test_set_twice_keeps_the_first_saved(self):
        before = {"dirty_ratio": 20, "dirty_bytes": 0, "dirty_background_ratio": 10, "dirty_background_bytes": 0}
        d = KernelLike(fake(before))
        d.set(256 << 20, 64 << 20)
        d.set(1 << 30, 256 << 20)
        d.restore()
        self.assertEqual(d.read(), before)

    def test_parse(self):
        self.assertEqual(dirty_limits.parse_pair("256M:64M"), (256 << 20, 64 << 20))
        self.assertEqual(dirty_limits.parse_pair("1G:256MiB"), (1 << 30, 256 << 20))
        self.assertEqual(dirty_limits.parse_pair("268435456:67108864"), (268435456, 67108864))
        for bad in ["256M", "64M:256M", "256M:0", "512K:256K", "x:1M", "256M:"]:
            with self.subTest(bad), self.assertRaises(ValueError):
                dirty_limits.parse_pair(bad)

    def test_command_parse(self):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            self.assertEqual(dirty_limits.main(["dirty_limits.py", "parse", "1G:256M"]), 0)
            self.assertEqual(dirty_limits.main(["dirty_limits.py", "parse", "64M:256M"]), 64)
            self.assertEqual(dirty_limits.main(["dirty_limits.py", "frobnicate", "x"]), 64)
        self.assertEqual(out.getvalue(), f"{1 << 30} {256 << 20}\n")

    def test_describe(self):
        self.assertEqual(dirty_limits.describe({"dirty_ratio": 20, "dirty_bytes": 0, "dirty_background_ratio": 0,
                                                "dirty_background_bytes": 67108864}),
                         "vm.dirty_ratio 20 %, vm.dirty_background_bytes 67108864")


if __name__ == "__main__":
    unittest.main()
