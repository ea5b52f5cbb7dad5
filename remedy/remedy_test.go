//go:build linux

package remedy

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/zombietrace/zombietrace/procfs"
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
	good := Heir{PID: 7, Comm: "tini", Why: "the nearest child subreaper", Reaps: true, Verdict: "tini is an init/supervisor that reaps"}
	bad := Heir{PID: 9, Comm: "sleep", Why: "the pid-namespace init", Verdict: "it neither waits"}
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
