//go:build linux

package session

import (
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/internal/procfs"
	"github.com/zombietrace/zombietrace/tracer"
)

// FollowTree (pid > 0) follows pid and its existing descendants in the
// kernel and tells the engine whose waits were kept from the start: theirs
// and that of pid's parent, which owes pid its reap. pid 0: the whole host.
func (s *Session) FollowTree(pid int) error {
	if pid <= 0 {
		return nil
	}
	seeded, owes, err := seedFollow(s.tr, pid)
	if err != nil {
		return err
	}
	pids := make([]uint32, 0, len(seeded)+1)
	for p := range seeded {
		pids = append(pids, p)
	}
	if owes != 0 {
		pids = append(pids, owes)
	}
	sort.Slice(pids, func(i, j int) bool { return pids[i] < pids[j] })
	s.seeded, s.followed, s.followedAt = seeded, pids, tracer.BootNow()
	s.eng.Follow(s.followed, s.followedAt)
	return nil
}

// SeedZombies feeds the zombies that exist now: those of the tree
// FollowTree seeded and its members' (every one without a tree).
func (s *Session) SeedZombies() error {
	return s.pipe.SeedZombies(seededZombie(s.seeded))
}

// FollowChildren follows this process's children from their fork on, and
// keeps its own waits: run reaps the orphans it inherits. Its waits are
// seen from now on, the command's and its descendants' from their forks;
// nobody else's but while owing them a reap.
func (s *Session) FollowChildren() error {
	// Go's os package probes pidfd support once by forking a child that exits
	// at once; do it now, before our children are traced.
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		p.Release()
	}
	self := uint32(os.Getpid())
	if err := s.tr.Follow(self, 0, tracer.FollowOwes|tracer.FollowChildren); err != nil {
		return err
	}
	s.eng.Follow([]uint32{self}, tracer.BootNow())
	return nil
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
			return nil, 0, fmt.Errorf("reading the descendants of %d: %w", pid, err)
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
