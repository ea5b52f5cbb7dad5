package report

import (
	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/recording"
)

// Subtree follows which processes descend from one (report --pid): those
// below it in the process table at the start, those forked by one of them,
// and those one of them inherited. A fork gives a pid its place anew (pids
// are reused); a descendant stays one after it is reparented away.
type Subtree struct {
	root uint32
	in   map[uint32]bool
}

// NewSubtree starts from root and the process table at the start.
func NewSubtree(root uint32, procs []recording.Proc) *Subtree {
	s := &Subtree{root: root, in: map[uint32]bool{root: true}}
	ppid := make(map[uint32]uint32, len(procs))
	for _, p := range procs {
		ppid[p.PID] = p.PPID
	}
	known := map[uint32]bool{root: true} // pid: whether it descends from root
	var path []uint32
	for _, p := range procs {
		path = path[:0]
		pid, below := p.PID, false
		for len(path) <= len(procs) { // a loop in a damaged table ends here
			if v, ok := known[pid]; ok {
				below = v
				break
			}
			next, ok := ppid[pid]
			if !ok || pid == 0 {
				break
			}
			path = append(path, pid)
			pid = next
		}
		for _, q := range path {
			known[q] = below
		}
	}
	for pid, below := range known {
		if below {
			s.in[pid] = true
		}
	}
	return s
}

// Has reports whether pid is root or descends from it (as far as the
// records replayed so far show).
func (s *Subtree) Has(pid uint32) bool { return pid != 0 && s.in[pid] }

// Follow updates the subtree with one record: every record, before it is
// kept or not.
func (s *Subtree) Follow(rec *events.Record) {
	switch {
	case rec.Type == events.RecordLost || rec.PID == s.root:
	case rec.Type == events.RecordFork:
		if s.in[rec.PPID] {
			s.in[rec.PID] = true
		} else {
			delete(s.in, rec.PID) // a reused pid
		}
	case s.in[rec.PPID]:
		// Its parent or owner is in: its fork came before the recording and
		// the table at the start does not have it, or it was inherited.
		s.in[rec.PID] = true
	}
}

// Keep reports whether rec is about the subtree: a process in it, its
// parent or owner in it, a reparenting away from it, a reap by it.
func (s *Subtree) Keep(rec *events.Record) bool {
	return s.Has(rec.PID) || s.Has(rec.PPID) || s.Has(rec.ReaperPID) ||
		rec.Type == events.RecordReparent && s.Has(rec.OldPPID)
}
