#!/usr/bin/env python3
"""SCENARIOS.md #6: `Process(...).start(); sleep()` in a loop, join at the end.

multiprocessing reaps earlier children (waitpid WNOHANG) only on the next
start(), so each child is a zombie for about one loop period (0.2 s); the last
one is reaped by the final join().
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


def main():
    ctx = multiprocessing.get_context("fork")
    procs = []
    for _ in range(ITERATIONS):
        p = ctx.Process(target=noop)
        p.start()
        procs.append(p)
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
