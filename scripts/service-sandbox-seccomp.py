#!/usr/bin/python3
"""Exec a command under the system-call restrictions of a systemd unit.

    service-sandbox-seccomp.py UNIT -- COMMAND [ARGS...]

Reads SystemCallFilter=, SystemCallErrorNumber=, MemoryDenyWriteExecute= and
RestrictAddressFamilies= from UNIT, expands the @groups with this machine's
`systemd-analyze syscall-filter` (the same tables systemd uses), loads a
seccomp filter with libseccomp (Debian: python3-seccomp) and execs COMMAND.
PID 1 here is not systemd, so this is how the packaged binary is run under
the unit's filter at all. The caller must already have set no_new_privs
(setpriv --no-new-privs), as systemd does with NoNewPrivileges=yes.

Emulated: allow/deny lists with groups, the errno for denied calls, native
architecture only, W+X mappings denied, socket() families. Not emulated:
LockPersonality, RestrictNamespaces, RestrictRealtime, RestrictSUIDSGID
(they deny calls mon_memcg never makes).
"""
import errno
import os
import re
import socket
import subprocess
import sys

import seccomp


def unit_values(path, key):
    values = []
    with open(path) as unit:
        for line in unit:
            m = re.match(r"^\s*" + re.escape(key) + r"=(.*)$", line)
            if m:
                values.append(m.group(1).strip())
    return values


def syscall_groups():
    """{'@group': ['name' or '@subgroup', ...]} from systemd-analyze."""
    out = subprocess.run(["systemd-analyze", "syscall-filter"], check=True,
                         capture_output=True, text=True).stdout
    groups, current = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            current = line.strip()
            groups[current] = []
        elif current and line.strip() and not line.strip().startswith("#"):
            groups[current].append(line.strip())
    return groups


def expand(items, groups, seen=None):
    seen = set() if seen is None else seen
    names = set()
    for item in items:
        if item.startswith("@"):
            if item in seen:
                continue
            seen.add(item)
            if item not in groups:
                sys.exit(f"service-sandbox-seccomp: unknown group {item} (systemd-analyze syscall-filter lists them)")
            names |= expand(groups[item], groups, seen)
        else:
            names.add(item)
    return names


def allowed_syscalls(unit):
    """systemd's rule: the first list decides allow or deny; later lists add
    to an allow list, or remove from it when they start with ~."""
    groups = syscall_groups()
    allowed = None
    for value in unit_values(unit, "SystemCallFilter"):
        deny = value.startswith("~")
        items = value.lstrip("~").split()
        names = expand(items, groups)
        if allowed is None:
            if deny:
                sys.exit("service-sandbox-seccomp: a deny-list-first SystemCallFilter= is not emulated")
            allowed = names
        elif deny:
            allowed -= names
        else:
            allowed |= names
    if allowed is None:
        sys.exit(f"service-sandbox-seccomp: {unit} has no SystemCallFilter=")
    return allowed


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit(__doc__)
    unit, command = sys.argv[1], sys.argv[3:]

    errno_name = (unit_values(unit, "SystemCallErrorNumber") or ["EPERM"])[-1]
    default = seccomp.ERRNO(getattr(errno, errno_name))
    f = seccomp.SyscallFilter(defaction=default)  # native architecture only

    allowed = allowed_syscalls(unit)
    special = {"mmap", "mprotect", "pkey_mprotect", "socket"}
    for name in sorted(allowed - special):
        try:
            f.add_rule(seccomp.ALLOW, name)
        except (RuntimeError, ValueError):
            pass  # not a call on this architecture (e.g. arm_fadvise64_64)

    mdwe = (unit_values(unit, "MemoryDenyWriteExecute") or ["no"])[-1] == "yes"
    PROT_WRITE, PROT_EXEC = 0x2, 0x4
    if "mmap" in allowed:
        if mdwe:  # writable or executable, never both
            f.add_rule(seccomp.ALLOW, "mmap", seccomp.Arg(2, seccomp.MASKED_EQ, PROT_WRITE, 0))
            f.add_rule(seccomp.ALLOW, "mmap", seccomp.Arg(2, seccomp.MASKED_EQ, PROT_EXEC, 0))
        else:
            f.add_rule(seccomp.ALLOW, "mmap")
    for name in ("mprotect", "pkey_mprotect"):
        if name in allowed:
            if mdwe:  # never make memory executable after the fact
                f.add_rule(seccomp.ALLOW, name, seccomp.Arg(2, seccomp.MASKED_EQ, PROT_EXEC, 0))
            else:
                f.add_rule(seccomp.ALLOW, name)

    families = (unit_values(unit, "RestrictAddressFamilies") or [""])[-1].split()
    if "socket" in allowed:
        if families:
            if families != ["AF_UNIX"]:
                sys.exit("service-sandbox-seccomp: only RestrictAddressFamilies=AF_UNIX is emulated")
            f.add_rule(seccomp.ALLOW, "socket", seccomp.Arg(0, seccomp.EQ, socket.AF_UNIX))
            f.add_rule(seccomp.ERRNO(errno.EAFNOSUPPORT), "socket", seccomp.Arg(0, seccomp.NE, socket.AF_UNIX))
        else:
            f.add_rule(seccomp.ALLOW, "socket")

    f.load()
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
