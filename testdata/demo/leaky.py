#!/usr/bin/env python3
"""A small "leaky service" for a live zombietrace demo (~3 s).

Run it under the tracer (which is a child subreaper):

  t=0.0  worker pool: 4 subprocess.Popen workers, nobody waits for them
         -> 4 zombies for ~1.8-2 s, reaped late by this process (a late waiter)
  t=0.0  well-behaved part: a SIGCHLD handler reaps 3 forked children at once
         -> zombie time ~0, reaped by this process
  t=0.2  SIG_IGN part: signal(SIGCHLD, SIG_IGN), 2 children
         -> autoreaped by the kernel, the service is not to blame
  t=0.5  double fork: a "daemon" grandchild outlives its parent
         -> reparented to the tracer (subreaper), which reaps it at ~t=1.5
  t=2.1  cleanup: the pool finally wait()s its workers
  t=2.6  exit with no child of its own left

It prints a few human-readable lines on stdout. Standard library only.
"""
import os
import signal
import subprocess
import sys
import time

T0 = time.monotonic()

WORKER_SLEEPS = ("0.05", "0.1", "0.15", "0.2")
HANDLED_CHILDREN = 3
HANDLED_CHILD_DELAY = 0.05
IGNORED_CHILDREN = 2
IGNORE_WINDOW = 0.3
DAEMON_LIFETIME = 1.0
SERVE_UNTIL = 2.1
END_AT = 2.6


def say(msg):
    print("[%5.2fs] leaky(%d): %s" % (time.monotonic() - T0, os.getpid(), msg), flush=True)


def sleep_until(t):
    delay = T0 + t - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
        return s[s.rfind(")") + 2]
    except OSError:
        return "-"


def leaky_pool():
    workers = [subprocess.Popen(["/bin/sleep", s]) for s in WORKER_SLEEPS]
    say("worker pool started %d workers %s ... and forgot to wait() for them"
        % (len(workers), [w.pid for w in workers]))
    return workers


def well_behaved():
    pending = set()
    reaped = []

    def on_sigchld(signum, frame):
        # Reap our own children in a loop (not waitpid(-1): that would also
        # reap the pool's workers and hide the leak this demo is about).
        for pid in list(pending):
            try:
                wpid, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pending.discard(pid)
                continue
            if wpid:
                pending.discard(pid)
                reaped.append(pid)

    signal.signal(signal.SIGCHLD, on_sigchld)
    # Block SIGCHLD while forking so no exit is missed before its pid is known.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
    children = []
    for _ in range(HANDLED_CHILDREN):
        pid = os.fork()
        if pid == 0:
            time.sleep(HANDLED_CHILD_DELAY)
            os._exit(0)
        children.append(pid)
        pending.add(pid)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
    say("SIGCHLD handler part: forked %s, the handler reaps each one as it exits" % children)
    deadline = time.monotonic() + 1.0
    while pending and time.monotonic() < deadline:
        time.sleep(0.005)
    on_sigchld(signal.SIGCHLD, None)  # belt and braces
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    say("SIGCHLD handler part: reaped %d of %d at once" % (len(reaped), len(children)))


def ignoring(workers):
    # The workers must have exited before SIGCHLD is ignored, or the kernel
    # would autoreap them too (autoreap is decided at the child's exit).
    deadline = time.monotonic() + 1.0
    while any(state(w.pid) not in ("Z", "-") for w in workers) and time.monotonic() < deadline:
        time.sleep(0.01)
    say("the pool's workers are zombies now: %s"
        % ", ".join("%d:%s" % (w.pid, state(w.pid)) for w in workers))
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    children = []
    for _ in range(IGNORED_CHILDREN):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        children.append(pid)
    say("SIG_IGN part: SIGCHLD ignored, forked %s: the kernel reaps them itself" % children)
    time.sleep(IGNORE_WINDOW)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)


def double_fork():
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(r)
        gc = os.fork()
        if gc == 0:
            os.close(w)
            devnull = os.open(os.devnull, os.O_RDWR)
            os.dup2(devnull, 0)
            os.dup2(devnull, 1)
            os.setsid()
            time.sleep(DAEMON_LIFETIME)
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
    os.waitpid(child, 0)
    say("double fork: intermediate %d reaped, daemon %s now belongs to the reaper"
        % (child, data.decode().strip()))


def main():
    say("leaky service starting")
    workers = leaky_pool()
    well_behaved()
    ignoring(workers)
    double_fork()
    say("serving requests... (the pool's %d zombies are still there)" % len(workers))
    sleep_until(SERVE_UNTIL)
    for w in workers:
        w.wait()
    say("cleanup: finally wait()ed the workers, exit codes %s" % [w.returncode for w in workers])
    sleep_until(END_AT)
    try:
        pid, _ = os.waitpid(-1, os.WNOHANG)
        say("unexpected: child %d still around" % pid)
        rc = 1
    except ChildProcessError:
        say("done, no child of mine left")
        rc = 0
    return rc


if __name__ == "__main__":
    sys.exit(main())
