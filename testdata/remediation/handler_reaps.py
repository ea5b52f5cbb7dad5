#!/usr/bin/env python3
"""Remediation target: a reaping SIGCHLD handler installed too late.

usage: handler_reaps.py [N]    (N children, default 3)

The parent forks N children that _exit(0) at once while SIGCHLD still has its
default disposition, so their SIGCHLDs are discarded. Once all N are `Z` in
/proc it installs a SIGCHLD handler that reaps in a loop (waitpid(-1,
WNOHANG) until 0 or ECHILD), prints one line:
  {"scenario":"handler_reaps","pids":{"parent":P,"children":[...]}}
and sleeps up to 60 s (LIFETIME), then exits (any zombies left go to the
nearest subreaper).

Remediation: one SIGCHLD nudge reaps all N zombies at once (the handler runs
in the main thread: the sleep is interrupted, the handler runs, the sleep
resumes). SIGTERM kills the parent (default action); zombies still there are
inherited by the nearest subreaper.
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


def reap_all(signum, frame):
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    if n < 1:
        sys.stderr.write("handler_reaps: N must be >= 1\n")
        return 2
    # Default disposition even if the caller left SIGCHLD ignored (SIG_IGN
    # survives exec and would autoreap the children), and not blocked (the
    # nudge must reach the handler).
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
    sys.stdout.flush()
    children = []
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        children.append(pid)

    # Nobody reaps them yet, so their pids cannot be reused meanwhile.
    limit = time.monotonic() + SETUP_TIMEOUT
    while not all(proc_state(c) == "Z" for c in children):
        if time.monotonic() > limit:
            sys.stderr.write("handler_reaps: children not zombies after %.0f s\n"
                             % SETUP_TIMEOUT)
            return 1
        time.sleep(0.001)

    # Too late: the children's SIGCHLDs were discarded (default action).
    signal.signal(signal.SIGCHLD, reap_all)

    print(json.dumps({"scenario": "handler_reaps",
                      "pids": {"parent": os.getpid(), "children": children}},
                     separators=(",", ":")), flush=True)

    deadline = time.monotonic() + LIFETIME
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        time.sleep(left)  # a SIGCHLD runs reap_all, then the sleep resumes
    return 0


if __name__ == "__main__":
    sys.exit(main())
