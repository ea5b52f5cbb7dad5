#!/usr/bin/env python3
"""SCENARIOS.md #5: subprocess.Popen without wait().

/bin/true exits at once and stays a zombie while the parent sleeps 0.5 s; the
parent then leaves with os._exit(0), so Python never reaps it: the zombie is
inherited and reaped by the subreaper running the scenario.
Expected: zombie outstanding ~0.5 s, parent never waited, reaped by the reaper.
"""
import json
import os
import subprocess
import sys
import time

SLEEP = 0.5


def main():
    p = subprocess.Popen(["/bin/true"])
    time.sleep(SLEEP)
    sys.stdout.write(json.dumps({"scenario": "popen_nowait",
                                 "pids": {"parent": os.getpid(), "child": p.pid}}, separators=(",", ":")) + "\n")
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
