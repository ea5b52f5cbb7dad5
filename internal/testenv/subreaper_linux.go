//go:build linux

package testenv

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Main is the TestMain of a package whose tests run real processes:
//
//	func TestMain(m *testing.M) { testenv.Main(m, setup) }
//
// The test process becomes a child subreaper first, so whatever the tested
// programs orphan is inherited by it and not by pid 1, which on these
// machines reaps orphans about 1.3 s late and with no wait a tracer sees:
// each test contains its own process tree. Then setup (nil: none) prepares
// the package; an error from it ends the run with status 1, and the
// teardown it returns (nil: none) runs after the tests. After the tests,
// every child left is reaped; one still running then was leaked by a test:
// it is killed, named on stderr, and the run fails.
func Main(m *testing.M, setup func() (teardown func(), err error)) {
	os.Exit(runMain(m, setup))
}

// finalReapWait is how long the processes left after the tests get to end
// by themselves before they are killed.
const finalReapWait = 3 * time.Second

func runMain(m *testing.M, setup func() (func(), error)) int {
	if err := Subreaper(); err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 1
	}
	if setup != nil {
		teardown, err := setup()
		if err != nil {
			fmt.Fprintln(os.Stderr, "testenv: setting up the tests:", err)
			return 1
		}
		if teardown != nil {
			defer teardown() // after the last reap: a leftover may still use what setup made
		}
	}
	code := m.Run()
	// Last line of defence: nothing inherited may outlive the tests.
	left, err := reapChildren(finalReapWait)
	if len(left) > 0 {
		fmt.Fprintf(os.Stderr, "testenv: processes left running after the tests, killed: %v\n", left)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
	}
	if (len(left) > 0 || err != nil) && code == 0 {
		code = 1
	}
	return code
}

// Subreaper makes this process a child subreaper (PR_SET_CHILD_SUBREAPER):
// the orphans of its descendants are passed on to it. Main calls it; a test
// binary without Main's setup can call it from its own TestMain.
func Subreaper() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("PR_SET_CHILD_SUBREAPER: %w", err)
	}
	return nil
}

// ReapChildren reaps every child of this process until none is left: the
// zombies it inherited as a subreaper, and those of the children the test
// started that nothing else waits for. A child still running after wait
// was leaked by the test: t fails, naming it, and it is killed and reaped
// (with whatever it orphans in turn).
func ReapChildren(t testing.TB, wait time.Duration) {
	t.Helper()
	left, err := reapChildren(wait)
	if len(left) > 0 {
		t.Errorf("processes still running %v after the test: killed", left)
	}
	if err != nil {
		t.Error(err)
	}
}

// killWait bounds how long killed children take to be reaped.
const killWait = 5 * time.Second

// reapChildren reaps children (wait4 -1, any kind) until there are none
// (ECHILD). Past wait it kills, on every pass, the children still running,
// which reparented grandchildren join, and returns what it found running
// the first time; an error if some are still not reaped killWait later.
func reapChildren(wait time.Duration) (left []string, err error) {
	deadline := time.Now().Add(wait)
	killing := false
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG|unix.WALL, nil)
		switch {
		case errors.Is(err, unix.EINTR), err == nil && pid > 0:
			continue
		case errors.Is(err, unix.ECHILD):
			return left, nil
		case err != nil:
			return left, fmt.Errorf("wait4: %w", err)
		}
		if time.Now().After(deadline) {
			if killing {
				return left, fmt.Errorf("children still not reaped %v after SIGKILL: %v", killWait, Describe(Children(os.Getpid())))
			}
			killing, deadline = true, time.Now().Add(killWait)
			left = Describe(Children(os.Getpid()))
		}
		if killing {
			for _, k := range Children(os.Getpid()) {
				_ = unix.Kill(k, unix.SIGKILL)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Children lists the children of pid, from /proc (zombies too).
func Children(pid int) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:]) // state, ppid, ...
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, p)
		}
	}
	return out
}

// describe names processes by pid and command line.
// Describe names each pid by its command line, for a test's message.
func Describe(pids []int) []string {
	var out []string
	for _, p := range pids {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p))
		out = append(out, fmt.Sprintf("%d %q", p, strings.ReplaceAll(strings.TrimRight(string(b), "\x00"), "\x00", " ")))
	}
	return out
}
