#!/usr/bin/env python3
"""SCENARIOS.md #3: signal(SIGCHLD, SIG_IGN) -> children are autoreaped.

3 children _exit(0) at once; the parent sleeps 0.3 s and never waits.
Expected: reaped by the kernel ("autoreap"), zombie time 0, parent not blamed.
"""
import json
import os
import signal
import sys
import time

NCHILD = 3
SLEEP = 0.3


def main():
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    children = []
    for _ in range(NCHILD):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        children.append(pid)
    time.sleep(SLEEP)
    # Self-check: with SIG_IGN there is nothing left to wait for.
    try:
        pid, _ = os.waitpid(-1, os.WNOHANG)
        sys.stderr.write("sigign: unexpected waitable child %d\n" % pid)
        rc = 1
    except ChildProcessError:
        rc = 0
    sys.stdout.write(json.dumps({"scenario": "sigign",
                                 "pids": {"parent": os.getpid(), "children": children}}, separators=(",", ":")) + "\n")
    sys.stdout.flush()
    return rc


if __name__ == "__main__":
    sys.exit(main())
