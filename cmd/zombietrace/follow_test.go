//go:build linux

package main

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

// deepTree is a tree for trace --pid P that exists before tracing: P, its
// child C, C's child G, and G's zombie gz. When the file argv[1] appears,
// each of P, C and G forks a child (pc, cc, gc), gc forks ggc, and all of
// them exit and are reaped by their parents, gz too; then G, C and P end.
// Each process prints "role pid" once it exists ("ready" when the tree
// before tracing is complete).
const deepTree = `
import os, sys, time
trigger = sys.argv[1]

def say(role):
    os.write(1, ("%s %d\n" % (role, os.getpid())).encode())

def spawn(role, body):
    pid = os.fork()
    if pid == 0:
        say(role)
        body()
        os._exit(0)
    return pid

def await_trigger():
    while not os.path.exists(trigger):
        time.sleep(0.01)

def reap(pid):
    os.waitpid(pid, 0)

def g_body():
    gz = spawn("gz", lambda: None)
    time.sleep(0.2)                            # gz is a zombie before tracing
    os.write(1, b"ready 0\n")
    await_trigger()
    reap(spawn("gc", lambda: reap(spawn("ggc", lambda: None))))
    reap(gz)

def c_body():
    g = spawn("g", g_body)
    await_trigger()
    reap(spawn("cc", lambda: None))
    reap(g)

say("p")
c = spawn("c", c_body)
await_trigger()
reap(spawn("pc", lambda: None))
reap(c)
`

// startDeepTree starts the tree and waits until it exists; pids reads the
// roles' pids it printed, and trigger makes it run to its end.
func startDeepTree(t *testing.T) (tree *bg, pids func() map[string]int, trigger string) {
	t.Helper()
	trigger = filepath.Join(t.TempDir(), "go")
	tree = startBG(t, python, "-c", deepTree, trigger)
	pids = func() map[string]int {
		out := map[string]int{}
		for _, l := range strings.Split(tree.stdout.String(), "\n") {
			if f := strings.Fields(l); len(f) == 2 && f[0] != "ready" {
				n, _ := strconv.Atoi(f[1])
				out[f[0]] = n
			}
		}
		return out
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(tree.stdout.String(), "ready") {
		if time.Now().After(deadline) {
			t.Fatalf("the tree printed %q", tree.stdout.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return tree, pids, trigger
}

// runDeepTree lets the tree run to its end, with an unrelated process
// beside it.
func runDeepTree(t *testing.T, tree *bg, trigger string) {
	t.Helper()
	other := startBG(t, "sh", "-c", "/bin/true; sleep 0.1")
	if err := os.WriteFile(trigger, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tree.wait(t, 10*time.Second)
	other.wait(t, 10*time.Second)
}

// checkDeepTree checks that lines (the JSON Lines of a --pid P session)
// tell every descendant's story, and nothing else.
func checkDeepTree(t *testing.T, lines []line, pids map[string]int) {
	t.Helper()
	checkContract(t, lines, "light")
	if len(pids) != 8 {
		t.Fatalf("the tree's pids: %v", pids)
	}
	// Every descendant's exit and reap, by its parent.
	parentOf := map[string]string{"c": "p", "g": "c", "gz": "g", "pc": "p", "cc": "c", "gc": "g", "ggc": "gc"}
	for role, parent := range parentOf {
		reap := oneLine(t, lines, "reap", pids[role])
		if reap.str("reaped_by") != "parent" || reap.int("reaper_pid") != int64(pids[parent]) {
			t.Errorf("%s %d: want reaped by its parent %s %d: %v", role, pids[role], parent, pids[parent], reap)
		}
		if role != "gz" { // gz exited before tracing: no exit line
			oneLine(t, lines, "exit", pids[role])
		}
	}
	// Forked after tracing began, at every depth.
	for _, role := range []string{"pc", "cc", "gc", "ggc"} {
		if f := oneLine(t, lines, "fork", pids[role]); f.int("ppid") != int64(pids[parentOf[role]]) {
			t.Errorf("%s's fork: %v", role, f)
		}
	}
	// P itself, reaped by this test (its parent, whose wait began before
	// tracing: seen in exact mode, unseen in light mode).
	oneLine(t, lines, "exit", pids["p"])
	oneLine(t, lines, "reap", pids["p"])
	// G held gz before tracing: the parent table counts it.
	if g := summaryParent(lines, pids["g"]); g == nil || g.int("reaped") != 2 || g.int("preexisting_children") != 1 {
		t.Errorf("G reaped gz (from before) and gc: %v", g)
	}
	// Nothing else.
	known := map[int64]bool{int64(os.Getpid()): true}
	for _, n := range pids {
		known[int64(n)] = true
	}
	for _, l := range lines[1 : len(lines)-1] {
		if l.typ() != "lost" && !known[l.int("pid")] {
			t.Errorf("a line about a process outside the tree: %v", l)
		}
	}
}

// Issue #22, item 14: trace --pid P covers P and all its descendants: the
// ones that existed before tracing at every depth (their exits, reaps and
// zombies) and the ones forked after it, however deep.
func TestTracePidFollowsEveryDescendant(t *testing.T) {
	e2e(t)
	tree, pids, trigger := startDeepTree(t)
	out := filepath.Join(t.TempDir(), "out.jsonl")
	wait := startTrace(t, 60*time.Second, "--json", "--pid", strconv.Itoa(pids()["p"]), "--duration", "2s", "-o", out)
	runDeepTree(t, tree, trigger)
	r := wait()
	if r.code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", r.code, r.stderr)
	}
	checkDeepTree(t, readJSONL(t, out), pids())
}

// The same for record --pid P, read back with report events --json.
func TestRecordPidFollowsEveryDescendant(t *testing.T) {
	e2e(t)
	tree, pids, trigger := startDeepTree(t)
	dir := t.TempDir()
	file, ready := filepath.Join(dir, "tree.zt"), filepath.Join(dir, "ready")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	zr := startCaptured(t, ztCmd(ctx, "record", "-o", file, "--pid", strconv.Itoa(pids()["p"]), "--ready-file", ready))
	waitForFile(t, ready, 30*time.Second, nil)
	runDeepTree(t, tree, trigger)
	time.Sleep(300 * time.Millisecond) // the last events reach the ring buffer
	zr.cmd.Process.Signal(syscall.SIGINT)
	if r := zr.wait(t, ctx); r.code != 0 {
		t.Fatalf("record exited %d: %s", r.code, r.stderr)
	}
	r := zt(t, 30*time.Second, "report", "events", "--json", file)
	if r.code != 0 {
		t.Fatalf("report events --json: %d %s", r.code, r.stderr)
	}
	checkDeepTree(t, parseJSONL(t, r.stdout), pids())
}
