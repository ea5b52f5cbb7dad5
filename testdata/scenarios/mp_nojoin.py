#!/usr/bin/env python3
"""SCENARIOS.md #1: multiprocessing child exits at once, parent never join()s.

The child (start method 'fork') returns from its target immediately and stays a
zombie while the parent sleeps 0.5 s. The parent then exits normally; Python's
multiprocessing atexit handler joins (reaps) the non-daemon child.
Expected: one zombie of ~0.5 s, reaped by the parent.
"""
import json
import multiprocessing
import os
import sys
import time

SLEEP = 0.5


def noop():
    return


def main():
    ctx = multiprocessing.get_context("fork")
    p = ctx.Process(target=noop)
    p.start()
    time.sleep(SLEEP)  # no join(): the child is a zombie meanwhile
    sys.stdout.write(json.dumps({"scenario": "mp_nojoin",
                                 "pids": {"parent": os.getpid(), "child": p.pid}}, separators=(",", ":")) + "\n")
    sys.stdout.flush()
    # Normal exit: multiprocessing's exit handler reaps the child.


if __name__ == "__main__":
    main()
