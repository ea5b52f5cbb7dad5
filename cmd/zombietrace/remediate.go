//go:build linux

package main

import (
	"os"
	"time"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/internal/remedy"
)

// remediator is trace --remediate's remedy.Remediator as trace holds it:
// eng is set once the session is open, before the first check.
type remediator struct {
	rem *remedy.Remediator
	eng *events.Engine // the session's
}

func newRemediator(strategy string, minAge, interval time.Duration, act, force bool, auditPath string) (*remediator, error) {
	rem, err := remedy.NewRemediator(remedy.RemediatorConfig{Strategy: strategy, MinAge: minAge, Interval: interval,
		Act: act, Force: force, AuditPath: auditPath, Policy: remedy.Policy{Self: os.Getpid()}, Log: os.Stderr})
	if err != nil {
		return nil, err
	}
	return &remediator{rem: rem}, nil
}

// check runs from the session's idle callback.
func (r *remediator) check() { r.rem.Check(r.eng) }

// step takes the next step against ppid, which owes n zombies.
func (r *remediator) step(ppid, n int) { r.rem.Step(r.eng, ppid, n) }

// close closes the audit log.
func (r *remediator) close() error { return r.rem.Close() }
