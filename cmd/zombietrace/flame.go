//go:build linux

package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/flame"
	"github.com/zombietrace/zombietrace/internal/procfs"
	rpt "github.com/zombietrace/zombietrace/internal/report"
	"github.com/zombietrace/zombietrace/recording"
)

// lineage keeps who descends from whom, to give each zombie its ancestry:
// the host's root -> ... -> the parent that owed the wait -> the zombie.
type lineage struct {
	by    string // comm, exe, cmdline, cgroup, callsite
	nodes map[uint32]*lnode
	gone  []uint32                 // reaped processes, pruned when nodes grows large
	agg   map[string]*flame.Sample // one sample per distinct stack: bounded by the stacks
	out   []flame.Sample
	n     int // zombies added
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

func newLineage(by string) (*lineage, error) {
	switch by {
	case "", "comm", "exe", "cmdline", "cgroup", "callsite":
	default:
		return nil, fmt.Errorf("--by %q: want comm, exe, cmdline, cgroup or callsite", by)
	}
	if by == "" {
		by = "comm"
	}
	return &lineage{by: by, nodes: map[uint32]*lnode{}, agg: map[string]*flame.Sample{}}, nil
}

// seed adds the process table at the start (a recording's, or /proc's).
func (l *lineage) seed(procs []recording.Proc) {
	for _, p := range procs {
		l.nodes[p.PID] = &lnode{ppid: p.PPID, comm: p.Comm, cmdline: p.Cmdline, cgroup: p.Cgroup}
	}
}

func (l *lineage) seedProc() {
	all, _ := procfs.Default.All()
	for _, p := range all {
		l.nodes[uint32(p.PID)] = &lnode{ppid: uint32(p.PPID), comm: p.Comm, cmdline: procfs.Default.Cmdline(p.PID),
			cgroup: procfs.Default.Cgroup(p.PID)}
	}
}

func (l *lineage) label(pid uint32, n *lnode) string {
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
func (l *lineage) frames(pid uint32) []string {
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

// record follows the tree through the engine's records and collects a
// sample per zombie when it is reaped.
func (l *lineage) record(rec *events.Record) {
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

func (l *lineage) add(pid, ppid uint32, comm string, ns uint64) {
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
	l.agg[key] = &flame.Sample{Frames: frames, ZombieNS: ns, Count: 1}
}

func (l *lineage) leaf(pid uint32, comm string) string {
	if n := l.nodes[pid]; n != nil {
		if lb := l.label(pid, n); lb != "" {
			return lb
		}
	}
	return comm
}

// outstanding adds the zombies still there at the end, with their age.
func (l *lineage) outstanding(zs []events.Zombie) {
	for _, z := range zs {
		l.add(z.PID, z.PPID, z.Comm, z.AgeNS)
	}
}

func (l *lineage) samples() []flame.Sample {
	out := make([]flame.Sample, 0, len(l.agg))
	for _, s := range l.agg {
		out = append(out, *s)
	}
	return out
}

// flameWeight reads --weight.
func flameWeight(weight string) (flame.Weight, error) {
	switch weight {
	case "", "time":
		return flame.WeightTime, nil
	case "count":
		return flame.WeightCount, nil
	}
	return 0, fmt.Errorf("--weight %q: want time or count", weight)
}

// write writes the flame graph to path, in the format its name says.
func (l *lineage) write(path string, weight string, title string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("flame: %w", err)
	}
	if err := l.writeTo(f, path, weight, title); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeTo writes the flame graph to w in the format path's name says (a
// session creates its --flame file before tracing starts).
func (l *lineage) writeTo(w io.Writer, path string, weight string, title string) error {
	l.out = l.samples()
	write, err := flame.Format(path)
	if err != nil {
		return err
	}
	wt, err := flameWeight(weight)
	if err != nil {
		return err
	}
	if err := write(w, l.out, flame.Options{Title: title, Weight: wt,
		Subtitle: fmt.Sprintf("%d zombies; frames: ancestry by %s, width: zombie %s", l.n, l.by, wt)}); err != nil {
		return fmt.Errorf("writing the flame graph: %w", err)
	}
	return nil
}

func flameFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "by", Value: "comm", Usage: "frames: comm, exe, cmdline, cgroup (the cgroup at the root), or callsite (the parent's fork call stack; record with --stacks)"},
		&cli.StringFlag{Name: "weight", Value: "time", Usage: "width: time (zombie time) or count (zombies)"},
	}
}

func reportFlameAction(c *cli.Context) error {
	file, err := fileArg(c, 1)
	if err != nil {
		return err
	}
	path, err := outputArg(c)
	if err != nil {
		return err
	}
	if _, err := flame.Format(path); err != nil {
		return fmt.Errorf("report flame: %w", err)
	}
	if err := jsonRefused(c, "the format comes from -o's extension (.folded, .pb.gz, .svg, .html)"); err != nil {
		return err
	}
	if _, err := flameWeight(c.String("weight")); err != nil {
		return fmt.Errorf("report flame: %w", err)
	}
	lin, err := newLineage(c.String("by"))
	if err != nil {
		return err
	}
	seeded := false
	r, err := loadReplay(c, file, "", func(r *rpt.Replay, rec *events.Record) {
		if !seeded {
			seeded = true
			lin.seed(r.Reader.Procs)
		}
		if r.Keep(rec) || rec.Type == events.RecordFork || rec.Type == events.RecordExec {
			lin.record(rec)
		}
	}, nil)
	if err != nil {
		return err
	}
	if !seeded {
		lin.seed(r.Reader.Procs)
	}
	sum := r.Summary()
	lin.outstanding(sum.Zombies)
	title := fmt.Sprintf("zombie time on %s", r.Reader.Header.Host)
	if err := lin.write(path, c.String("weight"), title); err != nil {
		return fmt.Errorf("report flame: %w", err)
	}
	fmt.Fprintf(os.Stderr, "wrote %s: %d zombies\n", path, lin.n)
	return nil
}
