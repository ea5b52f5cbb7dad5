#!/usr/bin/env python3
"""SCENARIOS.md #7: parent polls waitpid(-1, WNOHANG) every 50 ms.

4 children exit after 20, 40, 60 and 80 ms.
Expected: zombie times bounded by the 50 ms period (+ slack), reaped by the parent.
"""
import json
import os
import sys
import time

DELAYS = (0.020, 0.040, 0.060, 0.080)
PERIOD = 0.050
TIMEOUT = 2.0


def main():
    children = []
    for d in DELAYS:
        pid = os.fork()
        if pid == 0:
            time.sleep(d)
            os._exit(0)
        children.append(pid)
    reaped = {}
    deadline = time.monotonic() + TIMEOUT
    while len(reaped) < len(children) and time.monotonic() < deadline:
        time.sleep(PERIOD)
        while True:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            reaped[pid] = status
            if len(reaped) == len(children):
                break
    ok = sorted(reaped) == sorted(children) and all(s == 0 for s in reaped.values())
    if not ok:
        sys.stderr.write("poll_wnohang: reaped %r, children %r\n" % (reaped, children))
    sys.stdout.write(json.dumps({"scenario": "poll_wnohang",
                                 "pids": {"parent": os.getpid(), "children": children}}, separators=(",", ":")) + "\n")
    sys.stdout.flush()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
