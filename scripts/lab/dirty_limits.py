"""The node's dirty-page limits for a lab run (efficacy.py --dirty-bytes):
read them, set them for the run, and put back exactly what was there, on
every ending the run's `finally` sees. The kernel keeps one of each pair
non-zero: writing vm.dirty_bytes zeroes vm.dirty_ratio and back, so the
restore writes whichever of the pair was in force."""
import os

NAMES = ("dirty_ratio", "dirty_bytes", "dirty_background_ratio", "dirty_background_bytes")
UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def parse_size(text):
    """'268435456', '256M', '1G' -> bytes."""
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = t[-1:] if t[-1:] in ("K", "M", "G") else ""
    number = t[:-1] if unit else t
    if not number.isdigit():
        raise ValueError(f"{text!r} is not a size (bytes, or a number with K, M or G)")
    return int(number) * UNITS[unit]


def parse_pair(text):
    """'LIMIT:BACKGROUND' -> (limit, background) bytes, background below limit."""
    limit, sep, background = text.partition(":")
    if not sep:
        raise ValueError(f"{text!r}: give LIMIT:BACKGROUND, e.g. 256M:64M")
    limit, background = parse_size(limit), parse_size(background)
    if limit < (1 << 20):
        raise ValueError(f"{text!r}: a limit below 1 MiB would stall every writer on the node")
    if not 0 < background < limit:
        raise ValueError(f"{text!r}: the background limit must be above 0 and below the limit")
    return limit, background


class DirtyLimits:
    def __init__(self, root="/proc/sys/vm"):
        self.root = root
        self.saved = None

    def read(self):
        values = {}
        for name in NAMES:
            with open(os.path.join(self.root, name)) as f:
                values[name] = int(f.read())
        return values

    def _write(self, name, value):
        with open(os.path.join(self.root, name), "w") as f:
            f.write(f"{value}\n")

    def set(self, limit, background):
        """Saves what is there, then sets both in bytes."""
        if self.saved is None:
            self.saved = self.read()
        self._write("dirty_bytes", limit)
        self._write("dirty_background_bytes", background)

    def restore(self):
        """Puts back what set() found; a second call does nothing."""
        if self.saved is None:
            return None
        s = self.saved
        for ratio, size in (("dirty_ratio", "dirty_bytes"), ("dirty_background_ratio", "dirty_background_bytes")):
            if s[size]:
                self._write(size, s[size])
            else:
                self._write(ratio, s[ratio])
        self.saved = None
        return s
