"""The node's dirty-page limits for a lab run (efficacy.py --dirty-bytes,
dirty-writers.sh): read them, set them for the run, and put back exactly
what was there, on every ending the run sees. The kernel keeps one of each
pair non-zero: writing vm.dirty_bytes zeroes vm.dirty_ratio and back, so the
restore writes whichever of the pair was in force.

As a command, for the shell scripts (root for set and restore):
  dirty_limits.py parse LIMIT:BACKGROUND   print the two byte counts, or fail saying why
  dirty_limits.py save FILE                the four sysctls as they are, as JSON in FILE
  dirty_limits.py set LIMIT:BACKGROUND     vm.dirty_bytes and vm.dirty_background_bytes
  dirty_limits.py restore FILE             put back what `save` wrote"""
import json
import os
import sys

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


def describe(values):
    """The setting each threshold follows, as sysctl names it:
    'vm.dirty_ratio 20 %, vm.dirty_background_ratio 10 %'."""
    def one(ratio, size):
        return f"vm.{size} {values[size]}" if values[size] else f"vm.{ratio} {values[ratio]} %"
    return f"{one('dirty_ratio', 'dirty_bytes')}, {one('dirty_background_ratio', 'dirty_background_bytes')}"


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
        self.write_back(s)
        self.saved = None
        return s

    def write_back(self, values):
        """Writes VALUES (as read()) back: of each pair, the one in force."""
        for ratio, size in (("dirty_ratio", "dirty_bytes"), ("dirty_background_ratio", "dirty_background_bytes")):
            if values[size]:
                self._write(size, values[size])
            else:
                self._write(ratio, values[ratio])


def main(argv):
    if len(argv) != 3 or argv[1] not in ("parse", "save", "set", "restore"):
        print(__doc__, file=sys.stderr)
        return 64
    verb, arg = argv[1], argv[2]
    limits = DirtyLimits()
    if verb in ("parse", "set"):
        try:
            limit, background = parse_pair(arg)
        except ValueError as e:
            print(f"dirty_limits.py: {e}", file=sys.stderr)
            return 64
        if verb == "parse":
            print(limit, background)
        else:
            limits.set(limit, background)
    elif verb == "save":
        with open(arg, "w") as f:
            json.dump(limits.read(), f)
    else:
        with open(arg) as f:
            limits.write_back(json.load(f))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
