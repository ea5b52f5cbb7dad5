//go:build linux

package supervise

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zombietrace/zombietrace/internal/procfs"
)

func TestExitCode(t *testing.T) {
	// Wait statuses: code << 8 for an exit, the signal number for a death.
	for ws, want := range map[unix.WaitStatus]int{0: 0, 3 << 8: 3, 9: 137, 15: 143} {
		if got := ExitCode(ws); got != want {
			t.Errorf("status %#x: %d, want %d", uint32(ws), got, want)
		}
	}
}

func TestResolve(t *testing.T) {
	if _, err := Resolve(nil); err == nil {
		t.Error("no command accepted")
	}
	if _, err := Resolve([]string{"/nonexistent/cmd"}); err == nil {
		t.Error("a missing command accepted")
	}
	if p, err := Resolve([]string{"sh"}); err != nil || p == "" {
		t.Errorf("sh: %q %v", p, err)
	}
}

// left is what a command left behind: the command has ended, and the
// processes it started in the background are this process's descendants.
type left struct {
	sup   *Supervisor
	sigs  chan os.Signal
	done  chan struct{}
	ws    unix.WaitStatus
	err   error
	procs []procfs.Proc
	ended time.Duration // Wait's run time
}

// leaveBehind starts `sh -c script` under a Supervisor, with Wait running,
// and returns once the command has ended and want processes named sleep
// live on. Signals are sent to the supervisor through its channel.
func leaveBehind(t *testing.T, opts Options, script string, want int) *left {
	t.Helper()
	l := &left{sigs: make(chan os.Signal, 16), done: make(chan struct{})}
	Notify(l.sigs)
	opts.Argv, opts.Signals = []string{"sh", "-c", script}, l.sigs
	sup, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	l.sup = sup
	start := time.Now()
	go func() {
		defer close(l.done)
		l.ws, l.err = sup.Wait(context.Background())
		l.ended = time.Since(start)
	}()
	t.Cleanup(func() { cleanUp(t, l) })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		l.procs = held(t)
		sleeps := 0
		for _, p := range l.procs {
			if p.Comm == "sleep" {
				sleeps++
			}
		}
		_, err := procfs.Default.Stat(sup.PID())
		if sleeps == want && errors.Is(err, fs.ErrNotExist) {
			return l
		}
		if time.Now().After(deadline) {
			t.Fatalf("the command %d did not end leaving %d sleeps: %+v", sup.PID(), want, l.procs)
		}
	}
}

// held lists this process's live descendants.
func held(t *testing.T) []procfs.Proc {
	t.Helper()
	procs, err := procfs.Default.Descendants(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	var out []procfs.Proc
	for _, p := range procs[1:] {
		if p.State != 'Z' {
			out = append(out, p)
		}
	}
	return out
}

// cleanUp kills and reaps whatever a test left.
func cleanUp(t *testing.T, l *left) {
	select {
	case <-l.done:
	case <-time.After(10 * time.Second):
		t.Errorf("Wait still running at the end of the test")
		signalHeld(unix.SIGKILL)
		<-l.done
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		signalHeld(unix.SIGKILL)
		var ws unix.WaitStatus
		if _, err := unix.Wait4(-1, &ws, unix.WNOHANG|unix.WALL, nil); errors.Is(err, unix.ECHILD) {
			return
		}
	}
	t.Errorf("processes left after the test: %+v", held(t))
}

// waitFor is Wait's end, within d.
func (l *left) waitFor(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-l.done:
	case <-time.After(d):
		t.Fatalf("Wait did not return within %v; held: %+v", d, held(t))
	}
	if l.err != nil {
		t.Fatal(l.err)
	}
	if code := ExitCode(l.ws); code != 3 {
		t.Errorf("status %d, want the command's 3", code)
	}
	for _, p := range l.procs {
		if st, err := procfs.Default.Stat(p.PID); err == nil && st.StartTicks == p.StartTicks && st.State != 'Z' {
			t.Errorf("%d (%s) outlived Wait", p.PID, p.Comm)
		}
	}
}

// Background jobs, one in a session of its own with a child of its own:
// all of them this process's after the shell exits. They ignore SIGINT
// (background jobs of a non-interactive shell).
const leaver = `sleep 30 & setsid sh -c 'sleep 30; true' & exit 3`

// After the command has ended, a SIGINT goes to everything it left; what
// ignores it gets SIGKILL after the grace. Wait waited them out (30 s).
func TestWaitStopsWhatTheCommandLeft(t *testing.T) {
	l := leaveBehind(t, Options{KillGrace: 500 * time.Millisecond}, leaver, 2)
	sent := time.Now()
	l.sigs <- unix.SIGINT
	l.waitFor(t, 5*time.Second)
	if d := time.Since(sent); d < 400*time.Millisecond {
		t.Errorf("Wait returned %v after SIGINT, before the 500ms grace", d)
	}
}

// A second signal kills at once.
func TestWaitSecondSignalKills(t *testing.T) {
	l := leaveBehind(t, Options{KillGrace: time.Hour}, leaver, 2)
	l.sigs <- unix.SIGINT
	time.Sleep(200 * time.Millisecond)
	select {
	case <-l.done:
		t.Fatal("Wait returned after one SIGINT, which all of them ignore")
	default:
	}
	l.sigs <- unix.SIGINT
	l.waitFor(t, 3*time.Second)
}

// The signal reaches every descendant, whatever its session: SIGTERM ends
// them all without the grace.
func TestWaitSignalsEveryDescendant(t *testing.T) {
	for _, sig := range []unix.Signal{unix.SIGTERM, unix.SIGHUP} {
		t.Run(unix.SignalName(sig), func(t *testing.T) {
			l := leaveBehind(t, Options{KillGrace: time.Hour}, leaver, 2)
			l.sigs <- sig
			l.waitFor(t, 3*time.Second)
		})
	}
}

// ExitWithCommand returns when the command ends; what it left lives on.
func TestWaitExitWithCommand(t *testing.T) {
	l := leaveBehind(t, Options{ExitWithCommand: true}, leaver, 2)
	select {
	case <-l.done:
	case <-time.After(3 * time.Second):
		t.Fatal("Wait did not return when the command ended")
	}
	if l.err != nil || ExitCode(l.ws) != 3 {
		t.Errorf("status %d, %v; want the command's 3", ExitCode(l.ws), l.err)
	}
	if n := len(held(t)); n < 3 {
		t.Errorf("%d processes live on, want the 3 the command left", n)
	}
}
