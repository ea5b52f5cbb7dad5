#!/usr/bin/env python3
"""SCENARIOS.md #16: pid reuse (needs root: clone3 with set_tid, Linux 5.5).

Child A _exits and is reaped; the parent then forks B onto A's pid with
clone3's set_tid, so that B gets A's pid every time: the pid is free once A
is reaped, and nothing else can be given it until the pid counter wraps. If
another process took it in between all the same (EEXIST: one that sets pids
too), this is tried again with a new A, a few times, then the scenario fails.
Expected: A and B are two distinct processes (identity = pid + start time),
never confused.
"""
import ctypes
import errno
import json
import os
import signal
import sys

ATTEMPTS = 10
SYS_CLONE3 = 435  # the same number on every architecture


class CloneArgs(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint64) for name in (
        "flags", "pidfd", "child_tid", "parent_tid", "exit_signal",
        "stack", "stack_size", "tls", "set_tid", "set_tid_size")]


libc = ctypes.CDLL(None, use_errno=True)


def fork_exit(onto=0):
    """Forks a child that _exits at once, onto pid `onto` if not 0; returns
    its pid, or None when another process holds `onto`."""
    if not onto:
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        return pid
    tid = ctypes.c_int(onto)
    args = CloneArgs(exit_signal=signal.SIGCHLD, set_tid=ctypes.addressof(tid), set_tid_size=1)
    pid = libc.syscall(SYS_CLONE3, ctypes.byref(args), ctypes.c_size_t(ctypes.sizeof(args)))
    if pid == 0:
        os._exit(0)
    if pid < 0:
        err = ctypes.get_errno()
        if err == errno.EEXIST:
            return None
        raise OSError(err, "clone3 onto pid %d: %s" % (onto, os.strerror(err)))
    return pid


def main():
    ok = True
    for _ in range(ATTEMPTS):
        first = fork_exit()
        _, st = os.waitpid(first, 0)
        ok = ok and st == 0
        second = fork_exit(onto=first)
        if second is not None:
            break
        sys.stderr.write("pid_reuse: pid %d was taken by another process, trying again\n" % first)
    else:
        sys.stderr.write("pid_reuse: pid taken by another process in each of %d attempts\n" % ATTEMPTS)
        return 1
    _, st = os.waitpid(second, 0)
    ok = ok and st == 0
    sys.stdout.write(json.dumps({"scenario": "pid_reuse",
                                 "pids": {"parent": os.getpid(), "first": first,
                                          "second": second, "reused": second == first}}, separators=(",", ":")) + "\n")
    sys.stdout.flush()
    return 0 if ok and second == first else 1


if __name__ == "__main__":
    sys.exit(main())
