package recording

import (
	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/internal/procfs"
)

// Names looks processes up in the process table at start, for the engine's
// names of parents it saw no fork, exec or wait of (events.Engine.SetNames):
// the entry with the pid whose start time is the process's to the clock
// tick the table holds (a later process with the pid is another).
func Names(procs []Proc) func(events.Key) string {
	byPID := make(map[uint32]Proc, len(procs))
	for _, p := range procs {
		byPID[p.PID] = p
	}
	return func(k events.Key) string {
		p, ok := byPID[k.PID]
		if !ok || procfs.StartTicks(p.StartNS) != procfs.StartTicks(k.Start) {
			return ""
		}
		return p.Comm
	}
}
