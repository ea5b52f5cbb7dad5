//go:build linux

package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/internal/procfs"
	"github.com/zombietrace/zombietrace/internal/remedy"
	"github.com/zombietrace/zombietrace/internal/zombies"
	"github.com/zombietrace/zombietrace/tracer"
)

// remediator applies a remediation policy continuously during trace: at most
// one step per parent per interval, escalating from a nudge up to the
// strategy while zombies older than the threshold remain.
type remediator struct {
	strategy remedy.Strategy
	minAge   time.Duration
	interval time.Duration
	act      bool
	force    bool
	pol      remedy.Policy
	audit    io.WriteCloser // nil: no --audit
	log      io.Writer
	eng      *events.Engine // the session's, set once it is open
	last     map[uint32]time.Time
	steps    map[uint32]int // steps already taken per parent
	checked  time.Time
}

// check runs from the session's idle callback.
func (r *remediator) check() {
	if time.Since(r.checked) < min(time.Second, r.interval) {
		return
	}
	r.checked = time.Now()
	sum := r.eng.Summary(tracer.BootNow())
	owed := map[uint32]int{}
	for _, z := range sum.Zombies {
		if time.Duration(z.AgeNS) >= r.minAge {
			owed[z.PPID]++
		}
	}
	for ppid := range r.steps {
		if owed[ppid] == 0 {
			delete(r.steps, ppid) // cleared: start over next time
		}
	}
	for ppid, n := range owed {
		if time.Since(r.last[ppid]) < r.interval {
			continue
		}
		r.last[ppid] = time.Now()
		r.step(int(ppid), n)
	}
}

func (r *remediator) step(ppid, n int) {
	t, err := remedy.Inspect(ppid, r.pol)
	if err != nil {
		fmt.Fprintf(r.log, "remediate: %d zombies of %d: %v\n", n, ppid, err)
		return
	}
	want := remedy.Nudge
	if r.steps[uint32(ppid)] > 0 && r.strategy >= remedy.Terminate {
		want = remedy.Terminate // the nudge did not clear them
	}
	subreapers, _ := tracer.Subreapers()
	ev := remedy.Evidence{SeenReaping: func(pid int) bool { return r.eng.HasReaped(uint32(pid)) }}
	if want == remedy.Terminate {
		// Whether the heir holds old zombies matters only when the parent dies.
		ev.Zombies, _, _ = zombies.Collect(procfs.Default)
	}
	heir, err := remedy.FindHeir(t, subreapers, ev)
	if err != nil {
		fmt.Fprintf(r.log, "remediate: %d: %v\n", ppid, err)
		return
	}
	opts := remedy.Options{Strategy: want, Grace: 0, Force: r.force, DryRun: !r.act, Audit: r.audit, Out: r.log}
	if want == remedy.Terminate {
		opts.Grace = 2 * time.Second
	}
	r.steps[uint32(ppid)]++
	// The live session itself shows the reaps; Run only needs a watch to
	// count them: without one it judges by /proc.
	if _, err := remedy.RunStep(t, heir, opts); err != nil {
		fmt.Fprintf(r.log, "remediate: %v\n", err)
	}
}

func newRemediator(strategy string, minAge, interval time.Duration, act, force bool, auditPath string) (*remediator, error) {
	s, err := remedy.ParseStrategy(strategy)
	if err != nil {
		return nil, fmt.Errorf("--remediate: %w", err)
	}
	if minAge <= 0 {
		return nil, fmt.Errorf("--remediate needs --min-zombie (how old a zombie must be to act on it)")
	}
	audit, err := remedy.OpenAudit(auditPath)
	if err != nil {
		return nil, err
	}
	r := &remediator{strategy: s, minAge: minAge, interval: interval, act: act, force: force,
		pol: remedy.Policy{Self: os.Getpid()}, log: os.Stderr,
		last: map[uint32]time.Time{}, steps: map[uint32]int{}}
	if audit != nil {
		r.audit = audit
	}
	return r, nil
}

// close closes the audit log.
func (r *remediator) close() error {
	if r.audit == nil {
		return nil
	}
	return r.audit.Close()
}
