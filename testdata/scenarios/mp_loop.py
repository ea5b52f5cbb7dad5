#!/usr/bin/env python3
"""SCENARIOS.md #6: `Process(...).start(); sleep()` in a loop, join at the end.

multiprocessing reaps earlier children (waitpid WNOHANG) only on the next
start(), so each child is a zombie for about one loop period (0.2 s, counted from the child's exit); the
last one is reaped by the final join().
Expected: each child zombie ~0.2 s, reaped by the parent.
"""
import json
import multiprocessing
import os
import sys
import time

ITERATIONS = 4
PERIOD = 0.2


def noop():
    return


def wait_zombie(pid, timeout=10.0):
    """Polls /proc/PID/stat until the process is a zombie (or gone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/stat" % pid) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return
        except OSError:
            return
        time.sleep(0.002)


def main():
    ctx = multiprocessing.get_context("fork")
    procs = []
    for _ in range(ITERATIONS):
        p = ctx.Process(target=noop)
        p.start()
        procs.append(p)
        # The period starts once the child is a zombie: on a loaded machine
        # its exit can take longer than the period, and the reap by the
        # next start() or the join would then come at once.
        wait_zombie(p.pid)
        time.sleep(PERIOD)
    for p in procs:
        p.join()
    ok = all(p.exitcode == 0 for p in procs)
    sys.stdout.write(json.dumps({"scenario": "mp_loop",
                                 "pids": {"parent": os.getpid(),
                                          "children": [p.pid for p in procs]}}, separators=(",", ":")) + "\n")
    sys.stdout.flush()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
