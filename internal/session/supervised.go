//go:build linux

package session

import (
	"context"

	"golang.org/x/sys/unix"

	"github.com/zombietrace/zombietrace/internal/supervise"
)

// Supervised is `zombietrace run`: a command traced with all its
// descendants, the session ending when the command and everything it left
// behind are gone (or stopped), not at the first Ctrl-C.
type Supervised struct {
	Command supervise.Options // its Signals are subscribed before Open
	// Interrupted says whether a signal came while the tracer loaded: the
	// command is then never started and that is the error.
	Interrupted func() error
}

// RunSupervised traces cfg's session around the command and returns its
// wait status. cfg.Tracer.Filter is set: the command's tree only.
func RunSupervised(cfg Config, sup Supervised) (unix.WaitStatus, error) {
	cfg.Tracer.Filter = true
	s, err := Open(cfg)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	if err := s.FollowChildren(); err != nil {
		return 0, err
	}
	if sup.Interrupted != nil {
		if err := sup.Interrupted(); err != nil {
			return 0, err
		}
	}
	cmd, err := supervise.Start(sup.Command)
	if err != nil {
		return 0, err
	}
	// Not ready (its ready file or profile not written): the command is
	// stopped, and the error is the user's to see.
	rerr := s.Ready()
	if rerr != nil {
		unix.Kill(cmd.PID(), unix.SIGTERM)
	}
	// Signals are forwarded to the command by supervise.
	var status unix.WaitStatus
	var werr error
	lerr := s.RunWhile(func() { status, werr = cmd.Wait(context.Background()) })
	ferr := s.Finish()
	for _, err := range []error{rerr, werr, lerr, ferr} {
		if err != nil {
			return status, err
		}
	}
	return status, nil
}
