#!/usr/bin/env python3
"""SCENARIOS.md #4: double fork.

The child forks a grandchild, reports its pid through a pipe and _exit(0)s at
once; the parent reaps the child. The grandchild, now an orphan, sleeps 0.2 s
and _exit(0)s while the parent is still alive (it sleeps 0.4 s), so the
grandchild is reaped by the subreaper that runs the scenario.
Expected: grandchild reaped by a reaper that is not its original parent.
"""
import json
import os
import sys
import time

GRANDCHILD_SLEEP = 0.2
PARENT_SLEEP = 0.4


def main():
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(r)
        gc = os.fork()
        if gc == 0:
            os.close(w)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)  # do not hold the scenario's stdout open
            time.sleep(GRANDCHILD_SLEEP)
            os._exit(0)
        os.write(w, b"%d\n" % gc)
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 64)
        if not chunk:
            break
        data += chunk
    os.close(r)
    _, status = os.waitpid(child, 0)
    grandchild = int(data.strip())
    time.sleep(PARENT_SLEEP)
    sys.stdout.write(json.dumps({"scenario": "double_fork",
                                 "pids": {"parent": os.getpid(), "child": child,
                                          "grandchild": grandchild}}, separators=(",", ":")) + "\n")
    sys.stdout.flush()
    return 0 if status == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
