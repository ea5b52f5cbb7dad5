//go:build linux

package remedy

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/zombietrace/zombietrace/internal/procfs"
	"github.com/zombietrace/zombietrace/internal/zombies"
)

func TestParseStrategy(t *testing.T) {
	for in, want := range map[string]Strategy{"nudge": Nudge, "terminate": Terminate, "kill": Kill} {
		got, err := ParseStrategy(in)
		if err != nil || got != want || got.String() != in {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	if _, err := ParseStrategy("nuke"); err == nil {
		t.Error("nuke accepted")
	}
}

func TestPlanSaysWhatWillHappen(t *testing.T) {
	tg := &Target{PID: 42, Comm: "leaky", Zombies: make([]procfs.Proc, 3)}
	good := Heir{PID: 7, Comm: "tini", Why: "the nearest child subreaper", Reaping: ReapingYes, Verdict: "tini is an init/supervisor that reaps"}
	bad := Heir{PID: 9, Comm: "sleep", Why: "the pid-namespace init", Reaping: ReapingNo, Verdict: "it has held 1 zombie of its own for 5s without reaping"}
	unknown := Heir{PID: 1, Comm: "process_api", Why: "the pid-namespace init", Reaping: ReapingUnknown, Verdict: "unknown: ..."}
	if p := Plan(tg, unknown, Options{Strategy: Terminate}); !strings.Contains(p[1], "whether it reaps them is unknown") || strings.Contains(p[1], "refused") || strings.Contains(p[1], "NOT") {
		t.Errorf("plan with a heir nothing is known of %q", p)
	}
	if p := Plan(tg, good, Options{Strategy: Nudge}); len(p) != 1 || !strings.Contains(p[0], "SIGCHLD to 42") {
		t.Errorf("nudge plan %q", p)
	}
	p := Plan(tg, good, Options{Strategy: Kill})
	if len(p) != 3 || !strings.Contains(p[1], "which will reap them") || !strings.Contains(p[2], "SIGKILL") {
		t.Errorf("kill plan %q", p)
	}
	if p := Plan(tg, bad, Options{Strategy: Terminate}); !strings.Contains(p[1], "will NOT reap") || !strings.Contains(p[1], "refused without --force") {
		t.Errorf("plan with a heir that never waits %q", p)
	}
	if p := Plan(tg, bad, Options{Strategy: Terminate, Force: true}); strings.Contains(p[1], "refused") {
		t.Errorf("--force plan still refuses: %q", p)
	}
}

// The refusals that need no other process: pid 1, a kernel thread, a gone
// pid, this process's own ancestry.
func TestInspectRefusals(t *testing.T) {
	for pid, want := range map[int]string{1: "pid 1 of its pid namespace", 2: "kernel thread", 1 << 30: "no such process"} {
		_, err := Inspect(pid, Policy{})
		var r *Refusal
		if !errors.As(err, &r) || !strings.Contains(r.Reason, want) {
			t.Errorf("pid %d: %v, want %q", pid, err, want)
		}
	}
	_, err := Inspect(os.Getppid(), Policy{Self: os.Getpid()})
	if err == nil || !strings.Contains(err.Error(), "ancestors") {
		t.Errorf("own parent: %v", err)
	}
}

// A heir is judged from what can be known; where nothing says, it is
// unknown, not "will not" (an init that reaps with no wait seen from here,
// like pid 1 of the machine this was found on, would be misjudged).
func TestJudgeHeir(t *testing.T) {
	old := &zombies.List{AgesKnown: true, Parents: []zombies.Parent{{PID: 50, Count: 2, Oldest: uint64(4 * time.Second)}, {PID: 60, Count: 1, Oldest: uint64(time.Second)}}}
	sigchld := uint64(1) << (sigCHLD - 1)
	for _, c := range []struct {
		name string
		pid  int
		p    procfs.Proc
		st   procfs.Status
		ev   Evidence
		want Reaping
	}{
		{"an init nothing is known of", 1, procfs.Proc{State: 'S', Comm: "process_api"}, procfs.Status{}, Evidence{Zombies: old}, ReapingUnknown},
		{"a young zombie of its own", 60, procfs.Proc{State: 'S', Comm: "x"}, procfs.Status{}, Evidence{Zombies: old}, ReapingUnknown},
		{"old zombies of its own", 50, procfs.Proc{State: 'S', Comm: "x"}, procfs.Status{SigCgt: sigchld}, Evidence{Zombies: old}, ReapingNo},
		{"stopped", 7, procfs.Proc{State: 'T', Comm: "tini"}, procfs.Status{}, Evidence{}, ReapingNo},
		{"ignores SIGCHLD", 7, procfs.Proc{State: 'S', Comm: "x"}, procfs.Status{SigIgn: sigchld}, Evidence{}, ReapingYes},
		{"in a wait", 7, procfs.Proc{State: 'S', Comm: "x"}, procfs.Status{Syscall: nrWait4}, Evidence{}, ReapingYes},
		{"seen reaping", 7, procfs.Proc{State: 'S', Comm: "x"}, procfs.Status{}, Evidence{SeenReaping: func(int) bool { return true }}, ReapingYes},
		{"a known init", 7, procfs.Proc{State: 'S', Comm: "tini"}, procfs.Status{}, Evidence{}, ReapingYes},
		{"a SIGCHLD handler", 7, procfs.Proc{State: 'S', Comm: "x"}, procfs.Status{SigCgt: sigchld}, Evidence{}, ReapingYes},
	} {
		if got, why := judge(c.pid, c.p, c.st, c.ev); got != c.want {
			t.Errorf("%s: %v (%s), want %v", c.name, got, why, c.want)
		}
	}
}

// A START_NS that does not match is a refusal, a short one (a truncated
// paste, under one 10 ms tick) included: it never turns the check off.
func TestInspectChecksTheStartAlways(t *testing.T) {
	st, err := procfs.Default.Stat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for _, start := range []uint64{0, 12345, st.StartNS() + 1e9} {
		_, err := Inspect(os.Getpid(), Policy{StartNS: start, CheckStart: true})
		var r *Refusal
		if !errors.As(err, &r) || !strings.Contains(r.Reason, "the pid was reused") {
			t.Errorf("START_NS %d: %v, want the reuse refusal", start, err)
		}
	}
	_, err = Inspect(os.Getpid(), Policy{StartNS: st.StartNS() + 3e6, CheckStart: true})
	if err != nil && strings.Contains(err.Error(), "reused") {
		t.Errorf("the process's own START_NS (within its tick) refused: %v", err)
	}
}

// A step names its signal as signal(7) does ("SIGCHLD to 42"), in the line
// and in the audit, not by strsignal's text ("child exited to 42").
func TestStepNamesTheSignal(t *testing.T) {
	sleep := exec.Command("sleep", "30")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sleep.Process.Kill(); sleep.Wait() }()
	st, err := procfs.Default.Stat(sleep.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	tg := &Target{PID: sleep.Process.Pid, StartTicks: st.StartTicks, Comm: "sleep", Zombies: make([]procfs.Proc, 1)}
	var out, audit strings.Builder
	if _, err := RunStep(tg, Heir{}, Options{Strategy: Nudge, Out: &out, Audit: &audit}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "nudge: SIGCHLD to ") || !strings.Contains(audit.String(), `"signal":"SIGCHLD"`) {
		t.Errorf("line %q, audit %q: want SIGCHLD named", out.String(), audit.String())
	}
}
