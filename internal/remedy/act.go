//go:build linux

package remedy

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/internal/procfs"
	"github.com/zombietrace/zombietrace/output"
)

// Strategy is how far the escalation may go.
type Strategy int

const (
	Nudge     Strategy = iota // SIGCHLD to the parent, repeated while it reaps
	Terminate                 // then SIGTERM: its zombies go to the heir
	Kill                      // then SIGKILL
)

// ParseStrategy reads nudge, terminate or kill.
func ParseStrategy(s string) (Strategy, error) {
	switch s {
	case "nudge":
		return Nudge, nil
	case "terminate":
		return Terminate, nil
	case "kill":
		return Kill, nil
	}
	return 0, fmt.Errorf("strategy %q: want nudge, terminate or kill", s)
}

func (s Strategy) String() string { return [...]string{"nudge", "terminate", "kill"}[s] }

// Options of a remediation.
type Options struct {
	Strategy Strategy
	Grace    time.Duration // how long a step may take to show an effect
	Force    bool          // terminate even when the heir will not reap
	DryRun   bool          // print the plan only
	Out      io.Writer     // human lines
	Audit    io.Writer     // JSON Lines, one per action (nil: none)
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	Time          time.Time      `json:"time"`
	Action        string         `json:"action"` // plan, nudge, terminate, kill, refuse, done
	DryRun        bool           `json:"dry_run"`
	ParentPID     int            `json:"parent_pid"`
	ParentStart   uint64         `json:"parent_start_ticks"`
	ParentComm    string         `json:"parent_comm"`
	HeirPID       int            `json:"heir_pid,omitempty"`
	HeirComm      string         `json:"heir_comm,omitempty"`
	HeirReaps     string         `json:"heir_reaps"` // yes, no, unknown
	HeirVerdict   string         `json:"heir_verdict,omitempty"`
	Signal        string         `json:"signal,omitempty"`
	ZombiesBefore int            `json:"zombies_before"`
	ZombiesAfter  int            `json:"zombies_after"`
	ReapedBy      map[string]int `json:"reaped_by,omitempty"`
	WithinNS      int64          `json:"within_ns,omitempty"`
	Note          string         `json:"note,omitempty"`
}

// Outcome of a remediation.
type Outcome struct {
	Cleared  bool
	Before   int
	After    int
	ReapedBy map[string]int
	Steps    []string
}

type run struct {
	t     *Target
	heir  Heir
	w     *Watch
	opts  Options
	pidfd int
	left  []procfs.Proc
	out   Outcome
}

func (r *run) say(format string, args ...any) {
	if r.opts.Out != nil {
		// Names come from the processes themselves: never raw to a terminal.
		fmt.Fprintln(r.opts.Out, output.Printable(fmt.Sprintf(format, args...)))
	}
}

func (r *run) audit(e AuditEntry) {
	e.Time = time.Now().UTC()
	e.DryRun = r.opts.DryRun
	e.ParentPID, e.ParentStart, e.ParentComm = r.t.PID, r.t.StartTicks, r.t.Comm
	e.HeirPID, e.HeirComm, e.HeirReaps, e.HeirVerdict = r.heir.PID, r.heir.Comm, r.heir.Reaping.String(), r.heir.Verdict
	if r.opts.Audit != nil {
		b, _ := json.Marshal(e)
		r.opts.Audit.Write(append(b, '\n'))
	}
}

// Plan describes what would be done.
func Plan(t *Target, heir Heir, opts Options) []string {
	steps := []string{fmt.Sprintf("nudge: SIGCHLD to %d (%s), repeated while each nudge reaps something (helps a parent whose handler reaps but lost coalesced signals)", t.PID, t.Comm)}
	if opts.Strategy >= Terminate {
		s := fmt.Sprintf("terminate: SIGTERM to %d; its %d zombies go to %d (%s, %s)", t.PID, len(t.Zombies), heir.PID, heir.Comm, heir.Why)
		switch heir.Reaping {
		case ReapingNo:
			s += " — which will NOT reap them: " + heir.Verdict
			if !opts.Force {
				s += "; refused without --force"
			}
		case ReapingUnknown:
			s += " — whether it reaps them is " + heir.Verdict + ": the result is verified"
		default:
			s += ", which will reap them: " + heir.Verdict
		}
		steps = append(steps, s)
	}
	if opts.Strategy >= Kill {
		steps = append(steps, fmt.Sprintf("kill: SIGKILL to %d if SIGTERM did not end it", t.PID))
	}
	return steps
}

// Run applies the escalation ladder up to opts.Strategy, one step at a
// time, each verified with the tracer, and stops at the first that clears
// the zombies.
func Run(t *Target, heir Heir, w *Watch, opts Options) (*Outcome, error) {
	r := &run{t: t, heir: heir, w: w, opts: opts, left: t.Zombies, pidfd: -1}
	r.out = Outcome{Before: len(t.Zombies), ReapedBy: map[string]int{}}
	r.say("parent %d (%s) holds %d zombies; heir %d (%s, %s): %s", t.PID, t.Comm, len(t.Zombies), heir.PID, heir.Comm, heir.Why, heir.Verdict)
	for i, s := range Plan(t, heir, opts) {
		r.say("  step %d: %s", i+1, s)
	}
	r.audit(AuditEntry{Action: "plan", ZombiesBefore: len(t.Zombies), ZombiesAfter: len(t.Zombies), Note: strings.Join(Plan(t, heir, opts), "; ")})
	if opts.DryRun {
		r.say("dry run: nothing was signalled (add --yes to act)")
		r.out.After = len(t.Zombies)
		return &r.out, nil
	}
	fd, err := openChecked(t.PID, t.StartTicks)
	if err != nil {
		r.audit(AuditEntry{Action: "refuse", ZombiesBefore: len(r.left), ZombiesAfter: len(r.left), Note: err.Error()})
		return nil, err
	}
	r.pidfd = fd
	defer unix.Close(fd)

	if r.nudge() {
		return r.finish(), nil
	}
	if opts.Strategy < Terminate {
		return r.finish(), nil
	}
	if heir.Reaping == ReapingNo && !opts.Force {
		// Said once: the caller prints the refusal.
		msg := fmt.Sprintf("not terminating %d: its zombies would only move to %d (%s), which will not reap them (%s); use --force to do it anyway",
			t.PID, heir.PID, heir.Comm, heir.Verdict)
		r.audit(AuditEntry{Action: "refuse", ZombiesBefore: len(r.left), ZombiesAfter: len(r.left), Note: msg})
		r.out.After = len(r.left)
		return &r.out, &Refusal{msg}
	}
	if r.end(unix.SIGTERM, "terminate") {
		return r.finish(), nil
	}
	if opts.Strategy >= Kill {
		r.end(unix.SIGKILL, "kill")
	}
	return r.finish(), nil
}

func (r *run) finish() *Outcome {
	r.out.After = len(r.left)
	r.out.Cleared = len(r.left) == 0
	if r.out.Cleared {
		r.say("done: all %d zombies are gone", r.out.Before)
	} else {
		r.say("not cleared: %d of %d zombies remain", len(r.left), r.out.Before)
	}
	r.audit(AuditEntry{Action: "done", ZombiesBefore: r.out.Before, ZombiesAfter: len(r.left), ReapedBy: r.out.ReapedBy})
	return &r.out
}

// openChecked opens a pidfd and checks, after opening, that the pid still
// has the expected start: the pidfd then refers to that process for good.
func openChecked(pid int, startTicks uint64) (int, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return -1, &Refusal{fmt.Sprintf("pid %d: %v", pid, err)}
	}
	st, err := procfs.Default.Stat(pid)
	if err != nil || st.StartTicks != startTicks {
		unix.Close(fd)
		return -1, &Refusal{fmt.Sprintf("pid %d is no longer the process inspected (gone or reused)", pid)}
	}
	return fd, nil
}

func (r *run) signal(sig unix.Signal) error {
	if err := unix.PidfdSendSignal(r.pidfd, sig, nil, 0); err != nil {
		return fmt.Errorf("sending %s to %d: %w", unix.SignalName(sig), r.t.PID, err)
	}
	return nil
}

// refresh drops the zombies that are gone, counting who reaped them.
func (r *run) refresh() {
	kept := r.left[:0]
	var gone []int // gone from /proc with no reap record yet
	for _, z := range r.left {
		if rec, ok := r.w.Reaped(z.PID); ok {
			r.out.ReapedBy[string(rec.ReapedBy)]++
			continue
		}
		st, err := procfs.Default.Stat(z.PID)
		if err != nil || st.StartTicks != z.StartTicks || st.State != 'Z' {
			gone = append(gone, z.PID)
			continue
		}
		kept = append(kept, z)
	}
	r.left = kept
	if len(gone) == 0 {
		return
	}
	// /proc saw them go first: give the tracer's reader a moment, then
	// settle the rest as a live session does (no reap seen). Once for all
	// of them: an init that reaps unseen releases them together.
	unrecorded := func() bool {
		for _, pid := range gone {
			if _, ok := r.w.Reaped(pid); !ok {
				return true
			}
		}
		return false
	}
	for deadline := time.Now().Add(300 * time.Millisecond); unrecorded() && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if unrecorded() {
		r.w.Settle()
	}
	for _, pid := range gone {
		if rec, ok := r.w.Reaped(pid); ok {
			r.out.ReapedBy[string(rec.ReapedBy)]++
		} else {
			r.out.ReapedBy["gone"]++ // released, but no reap the tracer could name
		}
	}
}

// waitFor polls until cond or the deadline.
func (r *run) waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		r.refresh()
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *run) nudge() bool {
	r.out.Steps = append(r.out.Steps, "nudge")
	for n := 1; len(r.left) > 0; n++ {
		before := len(r.left)
		began := time.Now()
		if err := r.signal(unix.SIGCHLD); err != nil {
			r.say("nudge %d: %v", n, err)
			return false
		}
		progressed := r.waitFor(r.opts.Grace, func() bool { return len(r.left) < before })
		if progressed {
			// A handler may reap a few per signal: let it finish this one.
			r.waitFor(100*time.Millisecond, func() bool { return false })
		}
		reaped := before - len(r.left)
		r.say("nudge %d: SIGCHLD to %d reaped %d zombie(s) within %s; %d left", n, r.t.PID, reaped, time.Since(began).Round(time.Millisecond), len(r.left))
		r.audit(AuditEntry{Action: "nudge", Signal: "SIGCHLD", ZombiesBefore: before, ZombiesAfter: len(r.left),
			ReapedBy: copyCounts(r.out.ReapedBy), WithinNS: int64(time.Since(began))})
		if reaped == 0 {
			r.say("nudge: no effect after %s: the parent does not reap on SIGCHLD", r.opts.Grace)
			return false
		}
	}
	return true
}

// end sends SIGTERM or SIGKILL, waits for the parent to die and for its
// zombies to be reaped by the heir.
func (r *run) end(sig unix.Signal, name string) bool {
	r.out.Steps = append(r.out.Steps, name)
	before := len(r.left)
	began := time.Now()
	if err := r.signal(sig); err != nil {
		r.say("%s: %v", name, err)
		return false
	}
	died := r.waitExit(r.opts.Grace)
	if !died {
		r.say("%s: %d (%s) is still alive after %s", name, r.t.PID, r.t.Comm, r.opts.Grace)
		r.audit(AuditEntry{Action: name, Signal: unix.SignalName(sig), ZombiesBefore: before, ZombiesAfter: len(r.left), WithinNS: int64(time.Since(began)), Note: "the parent did not exit"})
		return false
	}
	// The heir reaps now; an init may take a moment (pid 1 here: ~1.3 s).
	r.waitFor(r.opts.Grace+3*time.Second, func() bool { return len(r.left) == 0 })
	r.say("%s: %d (%s) exited; %d of %d zombies reaped within %s (%s)", name, r.t.PID, r.t.Comm, before-len(r.left), before,
		time.Since(began).Round(time.Millisecond), describeCounts(r.out.ReapedBy))
	r.audit(AuditEntry{Action: name, Signal: unix.SignalName(sig), ZombiesBefore: before, ZombiesAfter: len(r.left),
		ReapedBy: copyCounts(r.out.ReapedBy), WithinNS: int64(time.Since(began))})
	return len(r.left) == 0
}

// waitExit waits for the pidfd to become readable: the process exited.
func (r *run) waitExit(d time.Duration) bool {
	fds := []unix.PollFd{{Fd: int32(r.pidfd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, int(d.Milliseconds()))
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return err == nil && n > 0
	}
}

func copyCounts(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func describeCounts(m map[string]int) string {
	var parts []string
	for _, k := range []string{string(events.ReapedByParent), string(events.ReapedByReaper), string(events.ReapedByUnseen), string(events.ReapedByAutoreap), "gone"} {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d by %s", m[k], k))
		}
	}
	if len(parts) == 0 {
		return "none reaped"
	}
	return strings.Join(parts, ", ")
}

// RunStep applies exactly one step (opts.Strategy: a single nudge, or a
// terminate/kill) without waiting for the outcome: for trace --remediate,
// whose live session shows the result. Refusals apply as in Run.
func RunStep(t *Target, heir Heir, opts Options) (*Outcome, error) {
	r := &run{t: t, heir: heir, opts: opts, left: t.Zombies, pidfd: -1}
	r.out = Outcome{Before: len(t.Zombies), After: len(t.Zombies), ReapedBy: map[string]int{}}
	name, sig := "nudge", unix.SIGCHLD
	switch opts.Strategy {
	case Terminate:
		name, sig = "terminate", unix.SIGTERM
	case Kill:
		name, sig = "kill", unix.SIGKILL
	}
	if opts.Strategy >= Terminate && heir.Reaping == ReapingNo && !opts.Force {
		msg := fmt.Sprintf("not terminating %d (%s): its %d zombies would only move to %d (%s), which will not reap them (%s)",
			t.PID, t.Comm, len(t.Zombies), heir.PID, heir.Comm, heir.Verdict)
		r.audit(AuditEntry{Action: "refuse", ZombiesBefore: len(t.Zombies), ZombiesAfter: len(t.Zombies), Note: msg})
		return &r.out, &Refusal{msg}
	}
	if opts.DryRun {
		r.say("remediate (dry run): would %s %d (%s), which holds %d zombies; heir %d (%s): %s", name, t.PID, t.Comm, len(t.Zombies), heir.PID, heir.Comm, heir.Verdict)
		r.audit(AuditEntry{Action: name, Signal: unix.SignalName(sig), ZombiesBefore: len(t.Zombies), ZombiesAfter: len(t.Zombies), Note: "dry run"})
		return &r.out, nil
	}
	fd, err := openChecked(t.PID, t.StartTicks)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	r.pidfd = fd
	if err := r.signal(sig); err != nil {
		return nil, err
	}
	r.say("remediate: %s: %s to %d (%s), which holds %d zombies", name, unix.SignalName(sig), t.PID, t.Comm, len(t.Zombies))
	r.audit(AuditEntry{Action: name, Signal: unix.SignalName(sig), ZombiesBefore: len(t.Zombies), ZombiesAfter: len(t.Zombies), Note: "outcome shown by the live trace"})
	return &r.out, nil
}
