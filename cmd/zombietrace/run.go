//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/zombietrace/zombietrace/internal/session"
	"github.com/zombietrace/zombietrace/internal/supervise"
)

func runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run a command, trace it and all its descendants, report when it ends",
		ArgsUsage: "[flags] -- COMMAND [ARGS...]",
		Description: "The report goes to stderr (or -o FILE; -o - for stdout), never mixed into the command's stdout.\n" +
			"zombietrace becomes a child subreaper: orphans of the traced tree are inherited and reaped at once,\n" +
			"and it exits when the command and everything it left behind are gone (--exit-with-command: when the command is).\n" +
			"SIGINT, SIGTERM, SIGHUP and SIGQUIT are forwarded to the command. Once it has ended, the first goes to every\n" +
			"process still held (all its descendants), which get SIGKILL after --kill-grace or at a second signal.\n" +
			"The exit status is the command's (128+signal after a signal death).",
		Flags: append(outputFlags(),
			&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "run the command as `USER`"},
			&cli.DurationFlag{Name: "kill-grace", Value: 2 * time.Second, Usage: "after the command has ended, a signal stops what it left behind: SIGKILL after `D`"},
			&cli.BoolFlag{Name: "exit-with-command", Usage: "exit when the command does, leaving what it left behind to the system's reaper"},
			&cli.StringFlag{Name: "comm", Usage: "only records whose process or parent command matches `RE`"},
			&cli.DurationFlag{Name: "min-zombie", Usage: "only reap lines with a zombie time of at least `D`"},
		),
		Action: runAction,
	}
}

func runAction(c *cli.Context) error {
	argv := c.Args().Slice()
	if err := checkRun(c, argv); err != nil {
		return err
	}
	// Signals that arrive while the tracer loads must not be lost: subscribe
	// first; one that came before the command started means do not start it.
	sigs := make(chan os.Signal, 16)
	supervise.Notify(sigs)
	defer signal.Stop(sigs)
	cfg, err := sessionConfig(c, 0, os.Stderr)
	if err != nil {
		return err
	}
	status, err := session.RunSupervised(cfg, session.Supervised{
		Command: supervise.Options{Argv: argv, User: c.String("user"), Signals: sigs,
			KillGrace: c.Duration("kill-grace"), ExitWithCommand: c.Bool("exit-with-command")},
		Interrupted: func() error { return interruptedBefore(c, sigs) },
	})
	if err != nil {
		return withVerifierLog(err, c.Bool("debug"))
	}
	if code := supervise.ExitCode(status); code != 0 {
		return exitStatus{code}
	}
	return nil
}

// checkRun checks run's command line and its own flags.
func checkRun(c *cli.Context, argv []string) error {
	if len(argv) == 0 {
		return fmt.Errorf("run: no command given: zombietrace run [flags] -- COMMAND [ARGS...]")
	}
	if _, err := supervise.Resolve(argv); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if err := durationAtLeast(c, 0, "kill-grace"); err != nil {
		return err
	}
	if c.Bool("exit-with-command") && c.IsSet("kill-grace") {
		return fmt.Errorf("--kill-grace has no effect with --exit-with-command: nothing is stopped")
	}
	return nil
}

// interruptedBefore is the status of a command never started: a signal
// came while the tracer loaded.
func interruptedBefore(c *cli.Context, sigs chan os.Signal) error {
	if sig := supervise.Pending(sigs); sig != nil {
		return exitStatus{128 + int(sig.(syscall.Signal))}
	}
	// One that came before we subscribed ended the app's context instead.
	if in, ok := context.Cause(c.Context).(interrupted); ok {
		return exitStatus{128 + int(in.sig)}
	}
	return nil
}
