#!/usr/bin/env python3
"""Run one scenario program as the child of a child subreaper that reaps.

usage: run_reaped.py PROGRAM [ARGS...]

This mimics the test process that runs the scenario corpus under the tracer:
it marks itself PR_SET_CHILD_SUBREAPER, starts PROGRAM as its child (a `.py`
file is run with this interpreter, a `.c` file is first compiled with
`cc -O2 -pthread -Wall` into a temporary directory), and then reaps every
child it has or inherits with a blocking os.waitpid(-1, 0) until ECHILD, so
orphans created by the scenario are collected promptly (unlike pid 1 on these
machines, which reaps inherited orphans ~1.3 s late).

The scenario's stdout is inherited unchanged (this wrapper writes nothing to
stdout). The exit code is the scenario's own: its exit code, or 128+signal.

Set ZT_RUN_REAPED_VERBOSE=1 to get one line per reap on stderr:
  run_reaped: reaped PID status=... t=SECONDS [scenario|inherited]
where t is measured from the scenario's start.
"""
import ctypes
import os
import shutil
import subprocess
import sys
import tempfile
import time

PR_SET_CHILD_SUBREAPER = 36


def set_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong,
                           ctypes.c_ulong, ctypes.c_ulong]
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "prctl(PR_SET_CHILD_SUBREAPER): " + os.strerror(err))


def describe(status):
    if os.WIFEXITED(status):
        return "exit=%d" % os.WEXITSTATUS(status)
    if os.WIFSIGNALED(status):
        return "signal=%d%s" % (os.WTERMSIG(status),
                                " (core)" if os.WCOREDUMP(status) else "")
    return "raw=%#x" % status


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        sys.stderr.write("usage: run_reaped.py PROGRAM [ARGS...]\n")
        return 2
    verbose = os.environ.get("ZT_RUN_REAPED_VERBOSE", "") not in ("", "0")
    prog, args = argv[1], argv[2:]
    tmpdir = None
    if prog.endswith(".c"):
        tmpdir = tempfile.mkdtemp(prefix="zt-scenario-")
        exe = os.path.join(tmpdir, os.path.basename(prog)[:-2])
        subprocess.run(["cc", "-O2", "-Wall", "-pthread", "-o", exe, prog],
                       check=True)
        cmd = [exe] + args
    elif prog.endswith(".py"):
        cmd = [sys.executable, prog] + args
    else:
        cmd = [prog if os.sep in prog else "./" + prog] + args

    set_subreaper()
    sys.stdout.flush()
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.execv(cmd[0], cmd)
        except OSError as e:
            os.write(2, ("run_reaped: exec %s: %s\n" % (cmd[0], e)).encode())
        os._exit(127)

    rc = None
    while True:
        try:
            wpid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if verbose:
            sys.stderr.write("run_reaped: reaped %d %s t=%.3f %s\n" % (
                wpid, describe(status), time.monotonic() - t0,
                "scenario" if wpid == pid else "inherited"))
        if wpid == pid:
            if os.WIFEXITED(status):
                rc = os.WEXITSTATUS(status)
            elif os.WIFSIGNALED(status):
                rc = 128 + os.WTERMSIG(status)
            else:
                rc = 1
    if tmpdir:
        shutil.rmtree(tmpdir, ignore_errors=True)
    if rc != 0:
        sys.stderr.write("run_reaped: %s exited with %s\n" % (prog, rc))
    return rc if rc is not None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
