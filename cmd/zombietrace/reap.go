//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/zombietrace/zombietrace/internal/remedy"
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
	if err := firstError(durationAtLeast(c, remedy.MinGrace, "grace"), intAtLeast(c, 1, "min-zombies"),
		durationAtLeast(c, 0, "min-zombie")); err != nil {
		return fmt.Errorf("reap: %w", err)
	}
	if os.Geteuid() != 0 {
		return errors.New("reap needs root: it signals other users' processes and traces the result")
	}
	audit, err := remedy.OpenAudit(c.String("audit"))
	if err != nil {
		return err
	}
	if audit != nil {
		defer audit.Close()
	}
	opts := remedy.Options{Strategy: strategy, Grace: c.Duration("grace"), Force: c.Bool("force"),
		DryRun: !c.Bool("yes"), Out: os.Stdout, Audit: audit}
	pol := remedy.Policy{Protected: c.StringSlice("protect"), Self: os.Getpid()}
	if c.IsSet("parent") {
		pid, start, hasStart, err := remedy.ParseParent(c.String("parent"))
		if err != nil {
			return err
		}
		pol.StartNS, pol.CheckStart = start, hasStart
		return remedy.Remediate(pid, pol, opts)
	}
	targets, err := remedy.AutoTargets(remedy.Criteria{Comm: c.String("comm"), MinAge: c.Duration("min-zombie"), MinZombies: c.Int("min-zombies")})
	if err != nil {
		return err
	}
	return remedy.RemediateEach(targets, pol, opts, func(err error) { fmt.Fprintf(os.Stderr, "zombietrace: %v\n", err) })
}
