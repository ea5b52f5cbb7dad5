//go:build linux

// Command zombietrace traces the exit/wait lifecycle of processes: who leaves
// zombies, for how long, and who reaps them.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/zombietrace/zombietrace/internal/supervise"
	"github.com/zombietrace/zombietrace/output"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "0.1.0-dev"

func main() {
	os.Exit(run())
}

// interrupted ends the commands' context when SIGINT, SIGTERM or SIGHUP (an
// SSH session dropped) arrives: every session then ends cleanly, with its
// summary. run needs to know which, for the status of a command it never
// started.
type interrupted struct{ sig syscall.Signal }

func (i interrupted) Error() string { return i.sig.String() + " signal received" }

func run() int {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, supervise.Catchable(os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)...)
	defer signal.Stop(sigs)
	go func() {
		select {
		case sig := <-sigs:
			cancel(interrupted{sig.(syscall.Signal)})
		case <-ctx.Done():
		}
	}()
	return execute(ctx, os.Args, os.Stdout, os.Stderr)
}

// execute runs the command line args; the app's own output (help, version)
// goes to stdout, errors as one line to stderr. It returns the exit status.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := newApp()
	app.Writer, app.ErrWriter = stdout, stderr
	args, err := normalizeArgs(app, args)
	if err == nil {
		err = app.RunContext(ctx, args)
	}
	if err != nil {
		if ec, ok := err.(exitCoder); ok {
			if msg := ec.Error(); msg != "" {
				fmt.Fprintf(stderr, "zombietrace: %s\n", output.Printable(msg))
			}
			return ec.ExitCode()
		}
		fmt.Fprintf(stderr, "zombietrace: %s\n", output.Printable(err.Error()))
		return 1
	}
	return 0
}

type exitCoder interface {
	error
	ExitCode() int
}

// exitStatus ends the process with a code and no message (run's command status).
type exitStatus struct{ code int }

func (e exitStatus) Error() string { return "" }
func (e exitStatus) ExitCode() int { return e.code }
