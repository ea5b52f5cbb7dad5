//go:build linux

package main

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

	"github.com/urfave/cli/v2"

	"github.com/zombietrace/zombietrace/internal/procfs"
	"github.com/zombietrace/zombietrace/internal/remedy"
	"github.com/zombietrace/zombietrace/internal/zombies"
	"github.com/zombietrace/zombietrace/tracer"
)

func reapCommand() *cli.Command {
	return &cli.Command{
		Name:  "reap",
		Usage: "remove zombies safely: SIGCHLD nudge to their parent, then terminate it so a reaper inherits them",
		Description: "Without --yes it is a dry run that prints the plan. Each step is verified with the tracer before the\n" +
			"next; it stops at the first that clears the zombies. It refuses pid 1 of any pid namespace, kernel\n" +
			"threads, zombietrace and its ancestors, gone or reused pids, parents without zombies and protected\n" +
			"comms (defaults: " + strings.Join(remedy.DefaultProtected, ", ") + "), and will not terminate a\n" +
			"parent whose zombies would go to a reaper that does not reap (unless --force).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "parent", Usage: "the parent `PID`, or PID:START_NS (start_ns from trace --json: refused if the pid was reused)"},
			&cli.BoolFlag{Name: "auto", Usage: "every parent holding zombies that match --min-zombie, --min-zombies and --comm"},
			&cli.StringFlag{Name: "strategy", Value: "nudge", Usage: "how far to go: nudge, terminate or kill"},
			&cli.DurationFlag{Name: "grace", Value: 2 * time.Second, Usage: "how long a step may take to show an effect (at least 100ms)"},
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "act (otherwise: a dry run that prints the plan)"},
			&cli.BoolFlag{Name: "force", Usage: "terminate even when the heir will not reap"},
			&cli.StringFlag{Name: "audit", Usage: "append every action and its outcome as JSON Lines to `FILE`"},
			&cli.StringSliceFlag{Name: "protect", Usage: "more comms never to signal"},
			&cli.DurationFlag{Name: "min-zombie", Usage: "--auto: only zombies at least `D` old"},
			&cli.IntFlag{Name: "min-zombies", Value: 1, Usage: "--auto: only parents holding at least `N` zombies"},
			&cli.StringFlag{Name: "comm", Usage: "--auto: only parents whose command matches `RE`"},
		},
		Action: reapAction,
	}
}

// parseParent reads PID or PID:START_NS. A START_NS is always checked
// against the process (a short one, a truncated paste, is a mismatch, not
// "no check").
func parseParent(s string) (pid int, startNS uint64, hasStart bool, err error) {
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

func openAudit(path string) (io.WriteCloser, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return f, nil
}

// minGrace is the shortest --grace: a parent scheduled out for tens of ms
// (this shared host stalls that long) must still get to reap.
const minGrace = 100 * time.Millisecond

func reapAction(c *cli.Context) error {
	if c.Args().Len() > 0 {
		return fmt.Errorf("reap: unexpected argument %q", c.Args().First())
	}
	strategy, err := remedy.ParseStrategy(c.String("strategy"))
	if err != nil {
		return fmt.Errorf("reap: %w", err)
	}
	if c.IsSet("parent") == c.Bool("auto") {
		return errors.New("reap: give either --parent PID or --auto")
	}
	// A step judged before the parent could act escalates for nothing: with
	// --grace 0s each step gets one look at the tracer.
	if err := firstError(durationAtLeast(c, minGrace, "grace"), intAtLeast(c, 1, "min-zombies"),
		durationAtLeast(c, 0, "min-zombie")); err != nil {
		return fmt.Errorf("reap: %w", err)
	}
	if os.Geteuid() != 0 {
		return errors.New("reap needs root: it signals other users' processes and traces the result")
	}
	audit, err := openAudit(c.String("audit"))
	if err != nil {
		return err
	}
	var auditW io.Writer
	if audit != nil {
		defer audit.Close()
		auditW = audit
	}
	opts := remedy.Options{Strategy: strategy, Grace: c.Duration("grace"), Force: c.Bool("force"),
		DryRun: !c.Bool("yes"), Out: os.Stdout, Audit: auditW}
	pol := remedy.Policy{Protected: c.StringSlice("protect"), Self: os.Getpid()}
	if c.IsSet("parent") {
		pid, start, hasStart, err := parseParent(c.String("parent"))
		if err != nil {
			return err
		}
		pol.StartNS, pol.CheckStart = start, hasStart
		return remediateOne(pid, pol, opts)
	}
	targets, err := autoTargets(c)
	if err != nil {
		return err
	}
	if len(targets) == 0 {
		fmt.Println("no parent holds zombies that match")
		return nil
	}
	failed := 0
	for _, pid := range targets {
		err := remediateOne(pid, pol, opts)
		var refusal *remedy.Refusal
		switch {
		case err == nil:
		case opts.DryRun && errors.As(err, &refusal):
			// A refusal is part of the plan: the dry run did its job.
			fmt.Printf("parent %d: refused: %s\n", pid, refusal.Reason)
		default:
			fmt.Fprintf(os.Stderr, "zombietrace: %v\n", err)
			failed++
		}
	}
	if failed > 0 {
		if opts.DryRun {
			return fmt.Errorf("reap: %d of %d parents could not be planned", failed, len(targets))
		}
		return fmt.Errorf("reap: %d of %d parents not cleared", failed, len(targets))
	}
	return nil
}

// autoTargets finds the parents holding matching zombies.
func autoTargets(c *cli.Context) ([]int, error) {
	var rx *regexp.Regexp
	if s := c.String("comm"); s != "" {
		var err error
		if rx, err = regexp.Compile(s); err != nil {
			return nil, fmt.Errorf("--comm: %w", err)
		}
	}
	l, _, err := zombies.Collect(procfs.Default)
	if err != nil {
		return nil, err
	}
	min := c.Duration("min-zombie")
	if min > 0 && !l.AgesKnown {
		return nil, fmt.Errorf("--min-zombie needs the zombies' ages, which only root can read")
	}
	var out []int
	for _, p := range l.Parents {
		n := 0
		for _, z := range p.Zombies {
			if z.Waitable && z.AgeNS >= uint64(min) {
				n++
			}
		}
		if n > 0 && n >= c.Int("min-zombies") && (rx == nil || rx.MatchString(p.Comm)) {
			out = append(out, p.PID)
		}
	}
	sort.Ints(out)
	return out, nil
}

func remediateOne(pid int, pol remedy.Policy, opts remedy.Options) error {
	t, err := remedy.Inspect(pid, pol)
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
	heir, err := remedy.FindHeir(t, subreapers, remedy.Evidence{Zombies: held})
	if err != nil {
		return fmt.Errorf("reap: %w", err)
	}
	var w *remedy.Watch
	if !opts.DryRun {
		if w, err = remedy.NewWatch(t, heir.PID); err != nil {
			return err
		}
		defer w.Close()
	}
	out, err := remedy.Run(t, heir, w, opts)
	if err != nil {
		return fmt.Errorf("reap: %w", err)
	}
	if !opts.DryRun && !out.Cleared {
		return fmt.Errorf("reap: %d of %d zombies of %d remain after %s", out.After, out.Before, pid, strings.Join(out.Steps, ", "))
	}
	return nil
}
