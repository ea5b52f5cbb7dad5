#!/usr/bin/env python3
"""SCENARIOS.md #9: orphan.

The child sleeps 0.3 s and _exit(0)s; the parent prints its JSON line and
exits at once with os._exit(0). The child is reparented to the subreaper
running the scenario, which reaps it.
Expected: child reparented (ppid changes), its exit attributed to the new parent.
"""
import json
import os
import sys
import time

CHILD_SLEEP = 0.3


def main():
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)  # do not hold the scenario's stdout open
        time.sleep(CHILD_SLEEP)
        os._exit(0)
    sys.stdout.write(json.dumps({"scenario": "orphan",
                                 "pids": {"parent": os.getpid(), "child": pid}}, separators=(",", ":")) + "\n")
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
