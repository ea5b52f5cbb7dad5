#!/usr/bin/env python3
"""SCENARIOS.md #2: SIGCHLD handler that loops waitpid(-1, WNOHANG).

5 children each _exit(0) after 10 ms; the handler reaps until 0/ECHILD.
Expected: zombie time ~0 (a few ms), reaped by the parent.
"""
import json
import os
import signal
import sys
import time

NCHILD = 5
CHILD_DELAY = 0.010
TIMEOUT = 2.0

reaped = {}


def on_sigchld(signum, frame):
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        reaped[pid] = status


def main():
    signal.signal(signal.SIGCHLD, on_sigchld)
    children = []
    for _ in range(NCHILD):
        pid = os.fork()
        if pid == 0:
            time.sleep(CHILD_DELAY)
            os._exit(0)
        children.append(pid)
    deadline = time.monotonic() + TIMEOUT
    while len(reaped) < NCHILD and time.monotonic() < deadline:
        time.sleep(0.005)
    ok = sorted(reaped) == sorted(children) and all(s == 0 for s in reaped.values())
    if not ok:
        sys.stderr.write("sigchld_loop: reaped %r, children %r\n" % (reaped, children))
    sys.stdout.write(json.dumps({"scenario": "sigchld_loop",
                                 "pids": {"parent": os.getpid(), "children": children}}, separators=(",", ":")) + "\n")
    sys.stdout.flush()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
