//go:build linux

package remedy

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zombietrace/zombietrace/events"
)

// The configuration is checked before trace starts: the errors name its
// flags.
func TestNewRemediatorRefusals(t *testing.T) {
	ok := RemediatorConfig{Strategy: "nudge", MinAge: time.Second, Interval: time.Minute}
	for _, c := range []struct {
		edit func(*RemediatorConfig)
		want string
	}{
		{func(c *RemediatorConfig) { c.Strategy = "nuke" }, `--remediate: strategy "nuke": want nudge, terminate or kill`},
		{func(c *RemediatorConfig) { c.MinAge = 0 }, "--remediate needs --min-zombie (how old a zombie must be to act on it)"},
		{func(c *RemediatorConfig) { c.AuditPath = "/nonexistent/audit.jsonl" }, "audit log: open /nonexistent/audit.jsonl: "},
	} {
		cfg := ok
		c.edit(&cfg)
		if _, err := NewRemediator(cfg); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", cfg, err, c.want)
		}
	}
	cfg := ok
	cfg.AuditPath = filepath.Join(t.TempDir(), "audit.jsonl")
	r, err := NewRemediator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(cfg.AuditPath); err != nil {
		t.Errorf("the audit log is not created at once: %v", err)
	}
}

// zombieOf is an engine holding one old zombie of parent.
func zombieOf(parent uint32) *events.Engine {
	child := parent + 1
	eng := events.NewEngine(events.ModeLight, nil)
	eng.Begin(1e8)
	for _, ev := range []events.Event{
		{Kind: events.KindFork, Time: 2e8, PID: child, TID: child, Start: 2e8, PeerPID: parent, PeerStart: 1e7, NSPID: child,
			Options: events.SIGCHLD, Code: int32(parent)},
		{Kind: events.KindNotify, Time: 3e8, PID: child, TID: child, Start: 2e8, PeerPID: parent, PeerStart: 1e7, NSPID: child,
			Code: events.CLDExited, Flags: events.FlagNotifySelf},
	} {
		eng.Handle(&ev)
	}
	return eng
}

// Check steps against the parents of zombies older than MinAge, at most
// once per interval: here the parent is gone, which is said on the log.
func TestRemediatorCheck(t *testing.T) {
	var log strings.Builder
	r, err := NewRemediator(RemediatorConfig{Strategy: "terminate", MinAge: time.Second, Interval: time.Minute, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	eng := zombieOf(gonePID)
	r.Check(eng)
	gone := strconv.Itoa(gonePID)
	if want := "remediate: 1 zombies of " + gone + ": pid " + gone + ": no such process\n"; log.String() != want {
		t.Errorf("log %q, want %q", log.String(), want)
	}
	log.Reset()
	r.Check(eng)
	if log.Len() != 0 {
		t.Errorf("a second check within the interval acted: %q", log.String())
	}
	young, err := NewRemediator(RemediatorConfig{Strategy: "nudge", MinAge: 1e6 * time.Hour, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	young.Check(eng)
	if log.Len() != 0 {
		t.Errorf("acted on a zombie younger than MinAge: %q", log.String())
	}
}
