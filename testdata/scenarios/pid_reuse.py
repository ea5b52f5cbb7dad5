#!/usr/bin/env python3
"""SCENARIOS.md #16: pid reuse (needs root: writes /proc/sys/kernel/ns_last_pid).

Child A _exits and is reaped; the parent then writes A-1 to ns_last_pid and
forks B, so that B gets A's pid. Other processes may fork in between, so this
is retried a few times. "reused" in the output tells whether B's pid == A's.
Expected: A and B are two distinct processes (identity = pid + start time),
never confused.
"""
import json
import os
import sys

NS_LAST_PID = "/proc/sys/kernel/ns_last_pid"
ATTEMPTS = 10


def fork_exit():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    return pid


def main():
    first = fork_exit()
    _, st = os.waitpid(first, 0)
    ok = st == 0
    second = None
    reused = False
    for _ in range(ATTEMPTS):
        try:
            with open(NS_LAST_PID, "w") as f:
                f.write("%d" % (first - 1))
        except OSError as e:
            sys.stderr.write("pid_reuse: cannot write %s: %s\n" % (NS_LAST_PID, e))
            second = fork_exit()
            _, st = os.waitpid(second, 0)
            ok = ok and st == 0
            break
        second = fork_exit()
        _, st = os.waitpid(second, 0)
        ok = ok and st == 0
        if second == first:
            reused = True
            break
        sys.stderr.write("pid_reuse: got %d instead of %d, retrying\n" % (second, first))
    sys.stdout.write(json.dumps({"scenario": "pid_reuse",
                                 "pids": {"parent": os.getpid(), "first": first,
                                          "second": second, "reused": reused}}, separators=(",", ":")) + "\n")
    sys.stdout.flush()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
