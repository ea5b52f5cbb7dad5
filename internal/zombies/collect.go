//go:build linux

package zombies

import (
	"fmt"
	"os"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/internal/procfs"
	"github.com/zombietrace/zombietrace/tracer"
)

// Collect lists the host's zombies. As root, one pass of the task iterator
// in the kernel finds them all with their ages (15,000 zombies: no 15,000
// /proc reads); otherwise, or when the iterator cannot load, /proc, without
// ages. warn is why the iterator was not used ("" when it was).
func Collect(proc procfs.Root) (l *List, warn string, err error) {
	if os.Geteuid() == 0 {
		evs, err := tracer.ListAllZombies()
		if err == nil {
			return Group(fromIterator(evs, tracer.BootNow()), proc, true, "task iterator"), "", nil
		}
		warn = fmt.Sprintf("ages unknown: the task iterator did not load (%v)", err)
	} else {
		warn = "ages unknown: the task iterator needs root"
	}
	procs, err := proc.All()
	if err != nil {
		return nil, warn, fmt.Errorf("reading the process table: %w", err)
	}
	var zs []Zombie
	for _, p := range procs {
		if p.State == 'Z' {
			zs = append(zs, Zombie{PID: p.PID, PPID: p.PPID, Comm: p.Comm, Waitable: p.Threads <= 1})
		}
	}
	return Group(zs, proc, false, "/proc"), warn, nil
}

// fromIterator turns the iterator's records into zombies; the age is from
// the scheduler's last run of the task, a lower bound of its exit.
func fromIterator(evs []events.Event, now uint64) []Zombie {
	zs := make([]Zombie, 0, len(evs))
	for i := range evs {
		ev := &evs[i]
		z := Zombie{PID: int(ev.PID), PPID: int(ev.PeerPID), Comm: events.CommString(ev.Comm),
			Waitable: ev.Flags&events.FlagDelayedLeader == 0}
		if now > ev.Time {
			z.AgeNS, z.AgeKnown = now-ev.Time, true
		}
		zs = append(zs, z)
	}
	return zs
}
