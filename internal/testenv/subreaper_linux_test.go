//go:build linux

package testenv

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// These tests run under Main themselves: this process is a subreaper.
func TestMain(m *testing.M) { Main(m, nil) }

// noChildren fails t if this process still has a child.
func noChildren(t *testing.T) {
	t.Helper()
	var ws unix.WaitStatus
	if pid, err := unix.Wait4(-1, &ws, unix.WNOHANG|unix.WALL, nil); !errors.Is(err, unix.ECHILD) {
		t.Errorf("wait4 after the reap: pid %d, %v; want ECHILD (children: %v)", pid, err, Describe(Children(os.Getpid())))
	}
}

// An orphan is passed on to this process, and ReapChildren waits for it.
func TestReapChildrenReapsOrphans(t *testing.T) {
	out, err := exec.Command("sh", "-c", "sleep 0.3 >/dev/null & echo $!").Output()
	if err != nil {
		t.Fatal(err)
	}
	orphan, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("sh printed %q", out)
	}
	if kids := Children(os.Getpid()); !slices.Contains(kids, orphan) {
		t.Fatalf("the orphan %d was not passed on to this subreaper (children %v)", orphan, kids)
	}
	start := time.Now()
	ReapChildren(t, 10*time.Second)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("reaping a 0.3 s orphan took %v", d)
	}
	noChildren(t)
}

// A child still running at the deadline is named, killed and reaped, and so
// is the child it orphans when it dies.
func TestReapChildrenKillsLeftovers(t *testing.T) {
	cmd := exec.Command("sh", "-c", "sleep 60 & exec sleep 61")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(strings.Join(Describe([]int{cmd.Process.Pid}), ""), "sleep 61") {
		if time.Now().After(deadline) {
			t.Fatal("sh did not exec sleep")
		}
		time.Sleep(5 * time.Millisecond)
	}
	left, err := reapChildren(100 * time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if want := strconv.Itoa(cmd.Process.Pid) + ` "sleep 61"`; len(left) != 1 || left[0] != want {
		t.Errorf("left %q, want [%s]", left, want)
	}
	noChildren(t)
}

// leakEnv makes TestMainFailsOnALeak, run again in a child test binary,
// leave a process running.
const leakEnv = "ZT_TESTENV_LEAK"

// A run whose tests all pass but leave a process running fails: Main kills
// the process and names it.
func TestMainFailsOnALeak(t *testing.T) {
	if os.Getenv(leakEnv) == "1" {
		if err := exec.Command("sleep", "60").Start(); err != nil {
			t.Fatal(err)
		}
		return // passes, leaking sleep
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainFailsOnALeak$", "-test.count=1")
	cmd.Env = append(os.Environ(), leakEnv+"=1")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("the leaking run ended with %v, want exit status 1:\n%s", err, out)
	}
	if !strings.Contains(string(out), "PASS\n") || !strings.Contains(string(out), `left running after the tests, killed: [`) ||
		!strings.Contains(string(out), `"sleep 60"]`) {
		t.Errorf("want the tests to pass and the sleep to be named:\n%s", out)
	}
}
