package flame

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/recording"
)

// Lineage keeps who descends from whom, to give each zombie its ancestry:
// the host's root -> ... -> the parent that owed the wait -> the zombie.
// It turns the engine's records (live, or replayed from a recording) into
// the Samples the writers draw.
type Lineage struct {
	by    string // comm, exe, cmdline, cgroup, callsite
	nodes map[uint32]*lnode
	gone  []uint32           // reaped processes, pruned when nodes grows large
	agg   map[string]*Sample // one sample per distinct stack: bounded by the stacks
	n     int                // zombies added
}

// maxNodes bounds the process table of a long session: past it, processes
// already reaped are forgotten (their orphans' ancestry then ends there).
const maxNodes = 1 << 18

type lnode struct {
	ppid     uint32
	comm     string
	exe      string
	cmdline  string
	cgroup   string
	callsite string // where its parent forked it (--stacks)
}

// NewLineage tracks the ancestry with frames labelled by: comm (the
// default, also ""), exe, cmdline, cgroup (the cgroup at the root) or
// callsite (the parent's fork call stack between it and the zombie).
func NewLineage(by string) (*Lineage, error) {
	switch by {
	case "", "comm", "exe", "cmdline", "cgroup", "callsite":
	default:
		// No "--by" here: the caller names its flag (see Format).
		return nil, fmt.Errorf("%q: unknown frame label: want comm, exe, cmdline, cgroup or callsite", by)
	}
	if by == "" {
		by = "comm"
	}
	return &Lineage{by: by, nodes: map[uint32]*lnode{}, agg: map[string]*Sample{}}, nil
}

// ParseWeight reads a weight's name: time (also "") or count.
func ParseWeight(name string) (Weight, error) {
	switch name {
	case "", "time":
		return WeightTime, nil
	case "count":
		return WeightCount, nil
	}
	return 0, fmt.Errorf("%q: unknown weight: want time or count", name)
}

// Seed adds the process table at the start (a recording's, or /proc's).
func (l *Lineage) Seed(procs []recording.Proc) {
	for _, p := range procs {
		l.nodes[p.PID] = &lnode{ppid: p.PPID, comm: p.Comm, cmdline: p.Cmdline, cgroup: p.Cgroup}
	}
}

func (l *Lineage) label(pid uint32, n *lnode) string {
	if n == nil {
		return fmt.Sprintf("pid %d", pid)
	}
	switch l.by {
	case "exe", "callsite":
		if n.exe != "" {
			return n.exe
		}
	case "cmdline":
		if n.cmdline != "" {
			return n.cmdline
		}
		if n.exe != "" {
			return n.exe
		}
	}
	return n.comm
}

// frames walks up from pid to the root.
func (l *Lineage) frames(pid uint32) []string {
	var rev []string
	seen := map[uint32]bool{}
	var top *lnode // the cgroup comes from the nearest ancestor that has one
	for pid != 0 && !seen[pid] && len(rev) < 64 {
		seen[pid] = true
		n := l.nodes[pid]
		rev = append(rev, l.label(pid, n))
		if n == nil {
			break
		}
		if top == nil && n.cgroup != "" {
			top = n
		}
		pid = n.ppid
	}
	if l.by == "cgroup" {
		cg := "(no cgroup)"
		if n := top; n != nil && n.cgroup != "" {
			cg = n.cgroup
		}
		rev = append(rev, cg)
	}
	out := make([]string, len(rev))
	for i, f := range rev {
		out[len(rev)-1-i] = f
	}
	return out
}

// Record follows the tree through the engine's records and collects a
// sample per zombie when it is reaped.
func (l *Lineage) Record(rec *events.Record) {
	switch rec.Type {
	case events.RecordFork:
		parent := l.nodes[rec.PPID]
		n := &lnode{ppid: rec.PPID, comm: rec.Comm}
		if parent != nil {
			n.exe, n.cmdline, n.cgroup = parent.exe, parent.cmdline, parent.cgroup
		}
		n.callsite = rec.Callsite
		l.nodes[rec.PID] = n
	case events.RecordExec:
		n := l.nodes[rec.PID]
		if n == nil {
			n = &lnode{}
			l.nodes[rec.PID] = n
		}
		n.comm, n.exe, n.cmdline = rec.Comm, rec.Filename, ""
	case events.RecordReap:
		if rec.ReapedBy != events.ReapedByAutoreap && rec.ZombieNS != 0 {
			l.add(rec.PID, rec.PPID, rec.Comm, rec.ZombieNS)
		}
		l.gone = append(l.gone, rec.PID)
		if len(l.nodes) > maxNodes {
			for _, pid := range l.gone {
				delete(l.nodes, pid)
			}
			l.gone = l.gone[:0]
		}
	}
}

func (l *Lineage) add(pid, ppid uint32, comm string, ns uint64) {
	frames := l.frames(ppid)
	if l.by == "callsite" {
		// Which function of the parent spawned it: a leak profiler for children.
		cs := "(no call site: --stacks was off, or no frame pointers)"
		if n := l.nodes[pid]; n != nil && n.callsite != "" {
			cs = n.callsite
		}
		frames = append(frames, strings.Split(cs, ";")...)
	}
	frames = append(frames, l.leaf(pid, comm))
	l.n++
	key := strings.Join(frames, "\x00")
	if s := l.agg[key]; s != nil {
		s.ZombieNS += ns
		s.Count++
		return
	}
	l.agg[key] = &Sample{Frames: frames, ZombieNS: ns, Count: 1}
}

func (l *Lineage) leaf(pid uint32, comm string) string {
	if n := l.nodes[pid]; n != nil {
		if lb := l.label(pid, n); lb != "" {
			return lb
		}
	}
	return comm
}

// Outstanding adds the zombies still there at the end, with their age.
func (l *Lineage) Outstanding(zs []events.Zombie) {
	for _, z := range zs {
		l.add(z.PID, z.PPID, z.Comm, z.AgeNS)
	}
}

// Zombies is how many zombies the samples stand for.
func (l *Lineage) Zombies() int { return l.n }

// Samples are the zombies so far, one per distinct ancestry.
func (l *Lineage) Samples() []Sample {
	out := make([]Sample, 0, len(l.agg))
	for _, s := range l.agg {
		out = append(out, *s)
	}
	return out
}

// WriteFile writes the flame graph to path, in the format its name says.
func (l *Lineage) WriteFile(path string, weight Weight, title string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("flame: %w", err)
	}
	if err := l.Write(f, path, weight, title); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Write writes the flame graph to w in the format path's name says (a
// session creates its flame graph file before tracing starts).
func (l *Lineage) Write(w io.Writer, path string, weight Weight, title string) error {
	write, err := Format(path)
	if err != nil {
		return err
	}
	if err := write(w, l.Samples(), Options{Title: title, Weight: weight,
		Subtitle: fmt.Sprintf("%d zombies; frames: ancestry by %s, width: zombie %s", l.n, l.by, weight)}); err != nil {
		return fmt.Errorf("writing the flame graph: %w", err)
	}
	return nil
}
