#!/usr/bin/env python3
"""SCENARIOS.md #13: children killed by a signal.

Child A sleeps 10 s and is SIGKILLed by the parent after 50 ms; child B sends
itself SIGSEGV with the default action (core dumps disabled: RLIMIT_CORE 0 and
not dumpable). The parent reaps both.
Expected: exits reported with signal 9 (killed) and 11 (segv), reaped by the parent.
"""
import ctypes
import json
import os
import resource
import signal
import sys
import time

KILL_AFTER = 0.050
A_SLEEP = 10.0
PR_SET_DUMPABLE = 4


def main():
    killed = os.fork()
    if killed == 0:
        time.sleep(A_SLEEP)
        os._exit(0)
    segv = os.fork()
    if segv == 0:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        try:
            ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
        except Exception:
            pass
        signal.signal(signal.SIGSEGV, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGSEGV)
        os._exit(1)  # not reached
    time.sleep(KILL_AFTER)
    os.kill(killed, signal.SIGKILL)
    _, st_killed = os.waitpid(killed, 0)
    _, st_segv = os.waitpid(segv, 0)
    ok = (os.WIFSIGNALED(st_killed) and os.WTERMSIG(st_killed) == signal.SIGKILL and
          os.WIFSIGNALED(st_segv) and os.WTERMSIG(st_segv) == signal.SIGSEGV)
    if not ok:
        sys.stderr.write("killed: statuses %#x %#x\n" % (st_killed, st_segv))
    sys.stdout.write(json.dumps({"scenario": "killed",
                                 "pids": {"parent": os.getpid(), "killed": killed,
                                          "segv": segv}}, separators=(",", ":")) + "\n")
    sys.stdout.flush()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
