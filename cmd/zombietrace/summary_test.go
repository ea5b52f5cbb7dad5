//go:build linux

package main

// End-to-end tests of the summary's parent table where the CLI wires the
// engine: names of parents the events never named (from /proc, or the
// recording's process table), whose waits a followed session sees.

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// heldZombies is a tree for trace --pid P: a subreaper R ("ztreaper") that
// never waits, its child M ("ztmiddle") and M's child P ("ztleaky"), which
// forks two children that exit at once and never waits for them. P prints
// its pid and theirs, then exits when the file argv[1] appears: its zombies
// go to R (the nearest subreaper), not to P's parent M, which polls for P
// and reaps it. M dies with R; the test process (a subreaper too) inherits
// what is left.
const heldZombies = `
import ctypes, os, sys, time
libc = ctypes.CDLL(None)
libc.prctl(36, 1, 0, 0, 0)                 # PR_SET_CHILD_SUBREAPER
if os.fork() == 0:
    libc.prctl(1, 9, 0, 0, 0)              # PR_SET_PDEATHSIG: SIGKILL
    libc.prctl(15, b"ztmiddle", 0, 0, 0)   # PR_SET_NAME
    p = os.fork()
    if p == 0:
        libc.prctl(15, b"ztleaky", 0, 0, 0)
        kids = [os.fork() for _ in range(2)]
        if 0 in kids:
            os._exit(0)
        time.sleep(0.2)                    # both are zombies now
        print(os.getpid(), *kids, flush=True)
        while not os.path.exists(sys.argv[1]):
            time.sleep(0.01)
        os._exit(0)
    while os.waitpid(p, os.WNOHANG)[0] == 0:  # polls: waits the tracer sees
        time.sleep(0.01)
    time.sleep(60)
    os._exit(0)
libc.prctl(15, b"ztreaper", 0, 0, 0)
time.sleep(60)
`

// startHeldZombies starts the tree and returns P's and its zombies' pids,
// and the file that makes P exit.
func startHeldZombies(t *testing.T) (p int, zombies []int, trigger string) {
	t.Helper()
	trigger = filepath.Join(t.TempDir(), "exit-now")
	tree := startBG(t, python, "-c", heldZombies, trigger)
	deadline := time.Now().Add(10 * time.Second)
	for len(strings.Fields(tree.stdout.String())) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("the tree printed %q", tree.stdout.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, f := range strings.Fields(tree.stdout.String()) {
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("the tree printed %q", tree.stdout.String())
		}
		zombies = append(zombies, n)
	}
	return zombies[0], zombies[1:], trigger
}

// parentByComm returns the summary's parent with that comm.
func parentByComm(t *testing.T, lines []line, comm string) line {
	t.Helper()
	for _, p := range lines[len(lines)-1]["parents"].([]any) {
		if l := line(p.(map[string]any)); l.str("comm") == comm {
			return l
		}
	}
	t.Fatalf("no parent %q in the summary: %v", comm, lines[len(lines)-1])
	return nil
}

// checkHeldZombies checks the parent table of the held-zombies story:
// every parent named, P "never waited" (followed from the start), R
// unknown (its waits are traced only from when it owes followed zombies).
func checkHeldZombies(t *testing.T, lines []line, p int) {
	t.Helper()
	sum := lines[len(lines)-1]
	lp := parentByComm(t, lines, "ztleaky")
	if lp.int("pid") != int64(p) {
		t.Errorf("ztleaky is pid %d, want %d: %v", lp.int("pid"), p, lp)
	}
	if w, ok := lp["waited"].(bool); !ok || w {
		t.Errorf("P was followed from the start and never waited: want waited false: %v", lp)
	}
	lr := parentByComm(t, lines, "ztreaper")
	if w, ok := lr["waited"]; !ok || w != nil {
		t.Errorf("R's waits were traced only from when it owed: want waited null: %v", lr)
	}
	if lr.int("inherited") != 2 || lr.int("outstanding") != 2 {
		t.Errorf("R inherited P's two zombies and holds them: %v", lr)
	}
	lm := parentByComm(t, lines, "ztmiddle")
	if w, _ := lm["waited"].(bool); !w || lm.int("reaped") != 1 {
		t.Errorf("M reaped P: %v", lm)
	}
	for _, pa := range sum["parents"].([]any) {
		if l := line(pa.(map[string]any)); l.str("comm") == "" {
			t.Errorf("a parent without a name: %v", l)
		}
	}
	for _, z := range sum["zombies"].([]any) {
		if l := line(z.(map[string]any)); l.int("ppid") == lr.int("pid") && l.str("comm") != "ztleaky" {
			t.Errorf("R's zombie: %v", l)
		}
	}
}

// Issue #22, item 7: trace --pid P on a parent that already holds zombies
// named neither P nor the reaper that inherited them ("NEVER WAITED while
// holding zombies: 22053 (), 1 ()"), and called a reaper whose waits
// --pid does not trace "never waited".
func TestTracePidNamesAndWaited(t *testing.T) {
	e2e(t)
	p, _, trigger := startHeldZombies(t)
	out := filepath.Join(t.TempDir(), "out.jsonl")
	wait := startTrace(t, 60*time.Second, "--json", "--pid", strconv.Itoa(p), "--duration", "2s", "-o", out)
	if err := os.WriteFile(trigger, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r := wait()
	if r.code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", r.code, r.stderr)
	}
	lines := readJSONL(t, out)
	checkContract(t, lines, "light")
	checkHeldZombies(t, lines, p)
}

// The same through record --pid and report: names from the recording's
// process table, whose waits were seen from its header; --verify holds.
func TestRecordPidNamesAndWaited(t *testing.T) {
	e2e(t)
	p, _, trigger := startHeldZombies(t)
	dir := t.TempDir()
	file, ready := filepath.Join(dir, "held.zt"), filepath.Join(dir, "ready")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	zr := startCaptured(t, ztCmd(ctx, "record", "-o", file, "--pid", strconv.Itoa(p), "--ready-file", ready))
	waitForFile(t, ready, 30*time.Second, nil)
	if err := os.WriteFile(trigger, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	zr.cmd.Process.Signal(syscall.SIGINT)
	if r := zr.wait(t, ctx); r.code != 0 {
		t.Fatalf("record exited %d: %s", r.code, r.stderr)
	}
	if r := zt(t, 30*time.Second, "report", "--verify", file); r.code != 0 {
		t.Fatalf("report --verify: %d %s", r.code, r.stderr)
	}
	r := zt(t, 30*time.Second, "report", "--json", file)
	if r.code != 0 {
		t.Fatalf("report --json: %d %s", r.code, r.stderr)
	}
	checkHeldZombies(t, parseJSONL(t, r.stdout), p)
}

// Issue #22, item 8: `run --comm true -- python3 app.py`, where app.py
// Popens `true` three times and never waits, emptied the PARENTS table:
// the zombies match, their parent does not. A parent stays when any of
// its children match.
func TestRunCommKeepsTheLeakingParent(t *testing.T) {
	e2e(t)
	out := filepath.Join(t.TempDir(), "out.jsonl")
	app := `
import os, subprocess, time
ps = [subprocess.Popen(["true"]) for _ in range(3)]
time.sleep(0.3)
print(os.getpid(), flush=True)
os._exit(0)  # no Popen.__del__: it would poll them
`
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	zr := startCaptured(t, ztCmd(ctx, "run", "--json", "--comm", "true", "-o", out, "--", python, "-c", app))
	r := zr.wait(t, ctx)
	if r.code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", r.code, r.stderr)
	}
	app1, err := strconv.Atoi(strings.TrimSpace(r.stdout))
	if err != nil {
		t.Fatalf("app printed %q", r.stdout)
	}
	lines := readJSONL(t, out)
	checkContract(t, lines, "light")
	py := summaryParent(lines, app1)
	if py == nil {
		t.Fatalf("the leaking python3 %d is not in the summary: %v", app1, lines[len(lines)-1])
	}
	if py.int("children") != 3 || py.int("passed_on") != 3 {
		t.Errorf("python3's row: want 3 children, all passed on: %v", py)
	}
	if w, ok := py["waited"].(bool); !ok || w {
		t.Errorf("python3 never waited: %v", py)
	}
	self := zr.cmd.Process.Pid
	if zp := summaryParent(lines, self); zp == nil || zp.int("inherited") != 3 || zp.int("reaped") < 3 {
		t.Errorf("zombietrace %d inherited and reaped the three (kept: its inherited children match): %v", self, zp)
	}
}
