//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/internal/procfs"
	"github.com/zombietrace/zombietrace/tracer"
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
	// Before the session: a bad strategy or audit file is known at once.
	var rem *remediator
	if c.IsSet("remediate") {
		rem, err = newRemediator(c.String("remediate"), c.Duration("min-zombie"), c.Duration("remediate-interval"),
			c.Bool("yes"), c.Bool("force"), c.String("audit"))
		if err != nil {
			return err
		}
		defer rem.close()
	}
	s, err := openSession(c, sessionConfig{filter: pid > 0, defaultTo: os.Stdout})
	if err != nil {
		return err
	}
	if err := s.seed(pid); err != nil {
		s.close()
		return err
	}
	if rem != nil {
		rem.eng = s.eng
		s.onIdle = rem.check
	}
	if err := s.ready(c); err != nil {
		s.close()
		return err
	}
	ctx := c.Context
	if d := c.Duration("duration"); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	if err := s.loop(ctx); err != nil {
		s.close()
		return err
	}
	return s.finish()
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

// seed follows pid and its existing descendants (pid 0: the whole host) and
// feeds the zombies that exist now among them.
func (s *session) seed(pid int) error {
	seeded, err := s.follow(pid)
	if err != nil {
		return err
	}
	return s.seedZombies(seededZombie(seeded))
}

// follow (pid > 0) follows pid and its existing descendants in the kernel
// and tells the engine whose waits were kept from the start: theirs and
// that of pid's parent, which owes pid its reap. The seeded tree is
// returned (nil: the whole host).
func (s *session) follow(pid int) (map[uint32]bool, error) {
	if pid <= 0 {
		return nil, nil
	}
	seeded, owes, err := seedFollow(s.tr, pid)
	if err != nil {
		return nil, err
	}
	pids := make([]uint32, 0, len(seeded)+1)
	for p := range seeded {
		pids = append(pids, p)
	}
	if owes != 0 {
		pids = append(pids, owes)
	}
	sort.Slice(pids, func(i, j int) bool { return pids[i] < pids[j] })
	s.followed, s.followedAt = pids, tracer.BootNow()
	s.eng.Follow(s.followed, s.followedAt)
	return seeded, nil
}

// seededZombie selects the zombies of a seeded tree and its members'
// (nil: every zombie).
func seededZombie(seeded map[uint32]bool) func(*events.Event) bool {
	return func(ev *events.Event) bool {
		return seeded == nil || seeded[ev.PID] || seeded[ev.PeerPID]
	}
}

// seedFollow marks pid and its existing descendants as traced, and their
// parents as owing reaps: pid's own parent (owes) is outside the tree. /proc
// is read twice: a fork between the reads is caught by the second, and forks
// after the first Follow are caught in the kernel.
func seedFollow(tr *tracer.Tracer, pid int) (seen map[uint32]bool, owes uint32, err error) {
	seen = make(map[uint32]bool)
	for pass := 0; pass < 2; pass++ {
		procs, err := procfs.Default.Descendants(pid)
		if err != nil {
			return nil, 0, fmt.Errorf("--pid %d: %w", pid, err)
		}
		for _, p := range procs {
			if seen[uint32(p.PID)] {
				continue
			}
			seen[uint32(p.PID)] = true
			if err := tr.Follow(uint32(p.PID), 0, tracer.FollowTrace); err != nil {
				return nil, 0, err
			}
			if p.PID == pid && p.PPID > 0 {
				owes = uint32(p.PPID)
				if err := tr.Follow(owes, 0, tracer.FollowOwes); err != nil {
					return nil, 0, err
				}
			}
		}
		time.Sleep(time.Millisecond)
	}
	return seen, owes, nil
}
