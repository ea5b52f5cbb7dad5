//go:build linux

package remedy

import (
	"fmt"
	"io"
	"time"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/internal/procfs"
	"github.com/zombietrace/zombietrace/internal/zombies"
	"github.com/zombietrace/zombietrace/tracer"
)

// RemediatorConfig is trace --remediate's policy.
type RemediatorConfig struct {
	Strategy  string        // how far to go: nudge, terminate or kill
	MinAge    time.Duration // act on zombies at least this old (required)
	Interval  time.Duration // at most one step per parent per Interval
	Act       bool          // signal (otherwise: say what would be done)
	Force     bool          // terminate even when the heir will not reap
	AuditPath string        // append every action as JSON Lines here ("": no log)
	Policy    Policy        // what may be touched
	Log       io.Writer     // human lines
}

// Remediator applies a remediation policy continuously during trace: at most
// one step per parent per interval, escalating from a nudge up to the
// strategy while zombies older than the threshold remain.
type Remediator struct {
	strategy Strategy
	minAge   time.Duration
	interval time.Duration
	act      bool
	force    bool
	pol      Policy
	audit    io.WriteCloser // nil: no --audit
	log      io.Writer
	last     map[uint32]time.Time
	steps    map[uint32]int // steps already taken per parent
	checked  time.Time
}

// NewRemediator checks the configuration and opens the audit log. Its
// errors name trace's flags: they are printed as they are.
func NewRemediator(cfg RemediatorConfig) (*Remediator, error) {
	s, err := ParseStrategy(cfg.Strategy)
	if err != nil {
		return nil, fmt.Errorf("--remediate: %w", err)
	}
	if cfg.MinAge <= 0 {
		return nil, fmt.Errorf("--remediate needs --min-zombie (how old a zombie must be to act on it)")
	}
	audit, err := OpenAudit(cfg.AuditPath)
	if err != nil {
		return nil, err
	}
	log := cfg.Log
	if log == nil {
		log = io.Discard
	}
	return &Remediator{strategy: s, minAge: cfg.MinAge, interval: cfg.Interval, act: cfg.Act, force: cfg.Force,
		pol: cfg.Policy, audit: audit, log: log,
		last: map[uint32]time.Time{}, steps: map[uint32]int{}}, nil
}

// Check looks at the zombies eng holds now and steps against their
// parents; it runs from the session's idle callback, so it looks at most
// once a second (or per interval, if shorter).
func (r *Remediator) Check(eng *events.Engine) {
	if time.Since(r.checked) < min(time.Second, r.interval) {
		return
	}
	r.checked = time.Now()
	sum := eng.Summary(tracer.BootNow())
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
		r.Step(eng, int(ppid), n)
	}
}

// Step takes the next step against ppid, which owes n zombies: a nudge
// first, then up to the strategy. eng says whether a heir was seen
// reaping.
func (r *Remediator) Step(eng *events.Engine, ppid, n int) {
	t, err := Inspect(ppid, r.pol)
	if err != nil {
		fmt.Fprintf(r.log, "remediate: %d zombies of %d: %v\n", n, ppid, err)
		return
	}
	want := Nudge
	if r.steps[uint32(ppid)] > 0 && r.strategy >= Terminate {
		want = Terminate // the nudge did not clear them
	}
	subreapers, _ := tracer.Subreapers()
	ev := Evidence{SeenReaping: func(pid int) bool { return eng.HasReaped(uint32(pid)) }}
	if want == Terminate {
		// Whether the heir holds old zombies matters only when the parent dies.
		ev.Zombies, _, _ = zombies.Collect(procfs.Default)
	}
	heir, err := FindHeir(t, subreapers, ev)
	if err != nil {
		fmt.Fprintf(r.log, "remediate: %d: %v\n", ppid, err)
		return
	}
	opts := Options{Strategy: want, Grace: 0, Force: r.force, DryRun: !r.act, Audit: r.audit, Out: r.log}
	if want == Terminate {
		opts.Grace = 2 * time.Second
	}
	r.steps[uint32(ppid)]++
	// The live session itself shows the reaps; Run only needs a watch to
	// count them: without one it judges by /proc.
	if _, err := RunStep(t, heir, opts); err != nil {
		fmt.Fprintf(r.log, "remediate: %v\n", err)
	}
}

// Close closes the audit log.
func (r *Remediator) Close() error {
	if r.audit == nil {
		return nil
	}
	return r.audit.Close()
}
