#!/usr/bin/env python3
"""Remediation target: a parent that never waits (SCENARIOS.md #5 kind).

usage: never_waits.py [N]    (N children, default 3)

The parent forks N children that _exit(0) at once. SIGCHLD keeps its default
disposition (ignored, no handler) and the parent never calls wait, so all N
stay zombies. Once they are all `Z` in /proc it prints one line:
  {"scenario":"never_waits","pids":{"parent":P,"children":[...]}}
and sleeps up to 60 s (LIFETIME), then exits, leaving its zombies to the
nearest subreaper (the test process) or pid 1.

Remediation: a SIGCHLD nudge does nothing (default action: ignore; no
handler waits). SIGTERM kills the parent (Python installs no SIGTERM
handler: default action), so its zombies are inherited by the nearest
subreaper, which reaps them.
"""
import json
import os
import signal
import sys
import time

LIFETIME = 60.0
SETUP_TIMEOUT = 5.0


def proc_state(pid):
    """State letter of /proc/PID/stat, None if the pid is gone."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read()
    except OSError:
        return None
    return chr(data[data.rindex(b")") + 2])


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    if n < 1:
        sys.stderr.write("never_waits: N must be >= 1\n")
        return 2
    # Default disposition even if the caller left SIGCHLD ignored (SIG_IGN
    # survives exec and would autoreap the children).
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    sys.stdout.flush()
    children = []
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        children.append(pid)

    # Nobody reaps them, so their pids cannot be reused meanwhile.
    limit = time.monotonic() + SETUP_TIMEOUT
    while not all(proc_state(c) == "Z" for c in children):
        if time.monotonic() > limit:
            sys.stderr.write("never_waits: children not zombies after %.0f s\n"
                             % SETUP_TIMEOUT)
            return 1
        time.sleep(0.001)

    print(json.dumps({"scenario": "never_waits",
                      "pids": {"parent": os.getpid(), "children": children}},
                     separators=(",", ":")), flush=True)

    deadline = time.monotonic() + LIFETIME
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        time.sleep(left)  # never waits for its children
    return 0


if __name__ == "__main__":
    sys.exit(main())
