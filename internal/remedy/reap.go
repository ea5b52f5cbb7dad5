//go:build linux

package remedy

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zombietrace/zombietrace/internal/procfs"
	"github.com/zombietrace/zombietrace/internal/zombies"
	"github.com/zombietrace/zombietrace/tracer"
)

// MinGrace is the shortest grace a step may get: a parent scheduled out
// for tens of ms (this shared host stalls that long) must still get to
// reap.
const MinGrace = 100 * time.Millisecond

// ParseParent reads PID or PID:START_NS (reap --parent). A START_NS is
// always checked against the process (a short one, a truncated paste, is a
// mismatch, not "no check").
func ParseParent(s string) (pid int, startNS uint64, hasStart bool, err error) {
	pidStr, startStr, hasStart := strings.Cut(s, ":")
	pid, err = strconv.Atoi(pidStr)
	if err != nil || pid <= 0 {
		return 0, 0, false, fmt.Errorf("--parent %q: want PID or PID:START_NS", s)
	}
	if !hasStart {
		return pid, 0, false, nil
	}
	ns, err := strconv.ParseUint(startStr, 10, 64)
	if err != nil {
		return 0, 0, false, fmt.Errorf("--parent %q: START_NS must be the start_ns of trace --json", s)
	}
	return pid, ns, true, nil
}

// OpenAudit opens the audit log for appending ("": no log, nil).
func OpenAudit(path string) (io.WriteCloser, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return f, nil
}

// Criteria select the parents of reap --auto.
type Criteria struct {
	Comm       string        // a regular expression the parent's comm matches ("": any)
	MinAge     time.Duration // only zombies at least this old count
	MinZombies int           // only parents holding at least this many
}

// AutoTargets finds the parents holding zombies that match c, in pid order.
func AutoTargets(c Criteria) ([]int, error) {
	var rx *regexp.Regexp
	if c.Comm != "" {
		var err error
		if rx, err = regexp.Compile(c.Comm); err != nil {
			return nil, fmt.Errorf("--comm: %w", err)
		}
	}
	l, _, err := zombies.Collect(procfs.Default)
	if err != nil {
		return nil, err
	}
	if c.MinAge > 0 && !l.AgesKnown {
		return nil, fmt.Errorf("--min-zombie needs the zombies' ages, which only root can read")
	}
	var out []int
	for _, p := range l.Parents {
		n := 0
		for _, z := range p.Zombies {
			if z.Waitable && z.AgeNS >= uint64(c.MinAge) {
				n++
			}
		}
		if n > 0 && n >= c.MinZombies && (rx == nil || rx.MatchString(p.Comm)) {
			out = append(out, p.PID)
		}
	}
	sort.Ints(out)
	return out, nil
}

// Remediate inspects pid, finds the heir of its zombies and runs the
// escalation of opts against it (zombietrace reap), traced unless it is a
// dry run. Not clearing the zombies is an error. The errors name the reap
// command: they are printed as they are.
func Remediate(pid int, pol Policy, opts Options) error {
	t, err := Inspect(pid, pol)
	if err != nil {
		if opts.Audit != nil {
			fmt.Fprintf(opts.Audit, `{"time":%q,"action":"refuse","parent_pid":%d,"note":%q}`+"\n", time.Now().UTC().Format(time.RFC3339Nano), pid, err.Error())
		}
		return fmt.Errorf("reap: %w", err)
	}
	subreapers, err := tracer.Subreapers()
	if err != nil {
		return err
	}
	held, _, err := zombies.Collect(procfs.Default)
	if err != nil {
		return err
	}
	heir, err := FindHeir(t, subreapers, Evidence{Zombies: held})
	if err != nil {
		return fmt.Errorf("reap: %w", err)
	}
	var w *Watch
	if !opts.DryRun {
		if w, err = NewWatch(t, heir.PID); err != nil {
			return err
		}
		defer w.Close()
	}
	out, err := Run(t, heir, w, opts)
	if err != nil {
		return fmt.Errorf("reap: %w", err)
	}
	if !opts.DryRun && !out.Cleared {
		return fmt.Errorf("reap: %d of %d zombies of %d remain after %s", out.After, out.Before, pid, strings.Join(out.Steps, ", "))
	}
	return nil
}

// RemediateEach remediates the parents one after the other (reap --auto):
// one that fails does not stop the others; warn gets its error, and the
// count of failures is the error returned. In a dry run a refusal is part
// of the plan, printed on opts.Out, not a failure.
func RemediateEach(pids []int, pol Policy, opts Options, warn func(error)) error {
	out := opts.Out
	if out == nil {
		out = io.Discard
	}
	if len(pids) == 0 {
		fmt.Fprintln(out, "no parent holds zombies that match")
		return nil
	}
	failed := 0
	for _, pid := range pids {
		err := Remediate(pid, pol, opts)
		var refusal *Refusal
		switch {
		case err == nil:
		case opts.DryRun && errors.As(err, &refusal):
			// A refusal is part of the plan: the dry run did its job.
			fmt.Fprintf(out, "parent %d: refused: %s\n", pid, refusal.Reason)
		default:
			warn(err)
			failed++
		}
	}
	if failed > 0 {
		if opts.DryRun {
			return fmt.Errorf("reap: %d of %d parents could not be planned", failed, len(pids))
		}
		return fmt.Errorf("reap: %d of %d parents not cleared", failed, len(pids))
	}
	return nil
}
