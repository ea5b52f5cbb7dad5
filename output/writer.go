package output

import (
	"regexp"

	"github.com/zombietrace/zombietrace/events"
)

// Writer is a rendering of a session: JSON Lines or the human view.
type Writer interface {
	Start(Start) error
	Record(*events.Record) error
	Summary(*events.Summary) error
	Flush() error
}

// Filter selects which records are shown; the summary still counts everything.
type Filter struct {
	// MinZombieNS shows only reaps at least this old (exits, forks and execs
	// are hidden when it is set, since their zombie time is not known yet).
	MinZombieNS uint64
	// Comm shows only records whose process or parent command matches.
	Comm *regexp.Regexp
}

// Keep reports whether r passes the filter.
func (f *Filter) Keep(r *events.Record) bool {
	if r.Type == events.RecordLost {
		return true
	}
	if f.Comm != nil && !f.Comm.MatchString(r.Comm) && !f.Comm.MatchString(r.ParentComm) {
		return false
	}
	if f.MinZombieNS > 0 {
		switch r.Type {
		case events.RecordReap:
			return r.ZombieNS >= f.MinZombieNS
		case events.RecordReparent:
			return true
		default:
			return false
		}
	}
	return true
}

// FilterSummary keeps the zombies that match Comm (the process or its
// parent) and the parents that match, own a zombie kept, or any of whose
// children matched (ParentStats.ChildMatched: the engine's MatchChildren
// with the same Comm): a parent that leaks zombies matching Comm stays in
// the table although its own name does not. MinZombieNS does not apply to
// the summary.
func (f *Filter) FilterSummary(s *events.Summary) {
	if f.Comm == nil {
		return
	}
	keepParent := make(map[uint32]bool)
	zs := s.Zombies[:0]
	for _, z := range s.Zombies {
		if f.Comm.MatchString(z.Comm) || f.Comm.MatchString(z.ParentComm) {
			zs = append(zs, z)
			keepParent[z.PPID] = true
		}
	}
	s.Zombies = zs
	ps := s.Parents[:0]
	for _, p := range s.Parents {
		if keepParent[p.PID] || p.ChildMatched || f.Comm.MatchString(p.Comm) {
			ps = append(ps, p)
		}
	}
	s.Parents = ps
}

// Discard renders nothing.
type Discard struct{}

func (Discard) Start(Start) error             { return nil }
func (Discard) Record(*events.Record) error   { return nil }
func (Discard) Summary(*events.Summary) error { return nil }
func (Discard) Flush() error                  { return nil }
