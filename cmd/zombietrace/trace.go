//go:build linux

package main

import (
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/zombietrace/zombietrace/internal/procfs"
	"github.com/zombietrace/zombietrace/internal/remedy"
	"github.com/zombietrace/zombietrace/internal/session"
)

func traceCommand() *cli.Command {
	return &cli.Command{
		Name:  "trace",
		Usage: "trace the host (or --pid and its descendants) live until Ctrl-C or --duration",
		Flags: append(outputFlags(),
			&cli.DurationFlag{Name: "duration", Aliases: []string{"d"}, Usage: "stop after `D` (e.g. 30s)"},
			&cli.IntFlag{Name: "pid", Aliases: []string{"p"}, Usage: "only `PID` and its descendants (existing ones included)"},
			&cli.StringFlag{Name: "comm", Usage: "only records whose process or parent command matches `RE`"},
			&cli.DurationFlag{Name: "min-zombie", Usage: "only reap lines with a zombie time of at least `D` (the summary counts everything)"},
			&cli.StringFlag{Name: "remediate", Usage: "apply `STRATEGY` (nudge, terminate, kill) to parents of zombies older than --min-zombie, one step per --remediate-interval"},
			&cli.DurationFlag{Name: "remediate-interval", Value: time.Minute, Usage: "at most one remediation step per parent per `D`"},
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "with --remediate: act (otherwise it says what it would do)"},
			&cli.BoolFlag{Name: "force", Usage: "with --remediate: terminate even when the heir will not reap"},
			&cli.StringFlag{Name: "audit", Usage: "with --remediate: append actions as JSON Lines to `FILE`"},
		),
		Action: traceAction,
	}
}

func traceAction(c *cli.Context) error {
	if c.Args().Len() > 0 {
		return fmt.Errorf("trace: unexpected argument %q", c.Args().First())
	}
	pid, err := pidFlag(c)
	if err != nil {
		return err
	}
	if err := firstError(requires(c, "remediate", "yes", "force", "audit", "remediate-interval"),
		checkWritable(c, "audit")); err != nil {
		return err
	}
	cfg, err := sessionConfig(c, pid, os.Stdout)
	if err != nil {
		return err
	}
	if c.IsSet("remediate") {
		// Before the session: a bad strategy or audit file is known at once.
		rem, err := remedy.NewRemediator(remedy.RemediatorConfig{Strategy: c.String("remediate"),
			MinAge: c.Duration("min-zombie"), Interval: c.Duration("remediate-interval"), Act: c.Bool("yes"),
			Force: c.Bool("force"), AuditPath: c.String("audit"), Policy: remedy.Policy{Self: os.Getpid()}, Log: os.Stderr})
		if err != nil {
			return err
		}
		defer rem.Close()
		cfg.Idle = rem.Check // between reads: it acts on what the engine holds
	}
	return withVerifierLog(session.Trace(c.Context, cfg), c.Bool("debug"))
}

// pidFlag reads --pid: 0 when not given, an error for a pid that is not there.
func pidFlag(c *cli.Context) (int, error) {
	if !c.IsSet("pid") {
		return 0, nil
	}
	pid := c.Int("pid")
	if pid <= 0 {
		return 0, fmt.Errorf("--pid %d: not a process id", pid)
	}
	if _, err := procfs.Default.Stat(pid); err != nil {
		return 0, fmt.Errorf("--pid %d: no such process", pid)
	}
	return pid, nil
}
