#!/usr/bin/env python3
"""SCENARIOS.md #14: join() inside the spawning loop.

5 multiprocessing children, each started and joined at once.
Expected: zombie time ~0, reaped by the parent; spawns are serialised.
"""
import json
import multiprocessing
import os
import sys

ITERATIONS = 5


def noop():
    return


def main():
    ctx = multiprocessing.get_context("fork")
    children = []
    ok = True
    for _ in range(ITERATIONS):
        p = ctx.Process(target=noop)
        p.start()
        p.join()
        children.append(p.pid)
        ok = ok and p.exitcode == 0
    sys.stdout.write(json.dumps({"scenario": "join_loop",
                                 "pids": {"parent": os.getpid(), "children": children}}, separators=(",", ":")) + "\n")
    sys.stdout.flush()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
