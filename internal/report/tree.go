package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/output"
)

// kthreadd is the parent of every kernel thread.
const kthreadd = 2

// TreeOptions tune the tree view.
type TreeOptions struct {
	// KernelThreads lists kthreadd and its children too (left out by
	// default, but for zombies and for --pid inside that tree).
	KernelThreads bool
}

// Node is one process of the tree view.
type Node struct {
	PID   uint32 `json:"pid"`
	Start uint64 `json:"start_ns"`
	PPID  uint32 `json:"ppid"` // who owes its reap: the parent, or the reaper after reparenting
	Comm  string `json:"comm"`
	// State is running, exited (not yet waitable) or zombie.
	State events.ProcState `json:"state"`
	// AtStart: known only from the process table at the recording's start
	// (no event of it since).
	AtStart  bool        `json:"at_start"`
	Zombie   *ZombieInfo `json:"zombie,omitempty"`
	Children []*Node     `json:"children"`
}

// ZombieInfo is what the tree knows of a zombie the engine holds.
type ZombieInfo struct {
	AgeNS       uint64 `json:"age_ns"`
	OwedBy      uint32 `json:"owed_by"`
	Waited      bool   `json:"waited"`      // its owner has waited for children, but not reaped it
	Preexisting bool   `json:"preexisting"` // a zombie before the recording: the age is a lower bound
}

// Tree is the process tree at the replay's end.
type Tree struct {
	At    uint64
	Roots []*Node
}

// BuildTree builds the process tree at the end of the replay: the processes
// the engine holds, and those of the table at the start it never saw.
func BuildTree(r *Replay, opt TreeOptions) *Tree {
	nodes := map[uint32]*Node{}
	seen := map[uint32]bool{}
	for _, v := range r.Engine.Processes() {
		seen[v.PID] = true
		if v.State == events.ProcReaped {
			continue
		}
		n := &Node{PID: v.PID, Start: v.Start, PPID: v.PPID, Comm: v.Comm, State: v.State, Children: []*Node{}}
		if v.State == events.ProcZombie {
			n.Zombie = &ZombieInfo{AgeNS: r.End - min(r.End, v.ZombieSince), OwedBy: v.PPID,
				Waited: v.OwnerWaited, Preexisting: v.Preexisting}
		}
		nodes[v.PID] = n
	}
	for _, p := range r.Reader.Procs {
		if seen[p.PID] {
			continue
		}
		n := &Node{PID: p.PID, Start: p.StartNS, PPID: p.PPID, Comm: p.Comm, State: events.ProcRunning, AtStart: true, Children: []*Node{}}
		if p.State == "Z" {
			n.State = events.ProcZombie
		}
		nodes[p.PID] = n
	}
	show := func(n *Node) bool {
		if r.sub != nil && !r.sub.Has(n.PID) {
			return false
		}
		kernel := n.PID == kthreadd || n.PPID == kthreadd
		return !kernel || opt.KernelThreads || n.State == events.ProcZombie || r.PID == kthreadd
	}
	t := &Tree{At: r.End}
	for pid, n := range nodes {
		if !show(n) {
			delete(nodes, pid)
		}
	}
	for pid, n := range nodes {
		if p, ok := nodes[n.PPID]; ok && n.PPID != pid {
			p.Children = append(p.Children, n)
		} else {
			t.Roots = append(t.Roots, n)
		}
	}
	var order func([]*Node)
	order = func(ns []*Node) {
		sort.Slice(ns, func(i, j int) bool { return ns[i].PID < ns[j].PID })
		for _, n := range ns {
			order(n.Children)
		}
	}
	order(t.Roots)
	return t
}

// WriteTreeText writes the tree for a person, zombies marked.
func WriteTreeText(w io.Writer, r *Replay, t *Tree) error {
	fmt.Fprintf(w, "process tree at %s (%s)\n", r.Clock.Wall(t.At).Format(time.RFC3339Nano), r.Offset(t.At))
	var walk func(n *Node, prefix string, last bool, depth int)
	walk = func(n *Node, prefix string, last bool, depth int) {
		branch, next := "├─ ", "│  "
		if last {
			branch, next = "└─ ", "   "
		}
		if depth == 0 {
			branch, next = "", ""
		}
		fmt.Fprintf(w, "%s%s%s\n", prefix, branch, label(n))
		for i, k := range n.Children {
			walk(k, prefix+next, i == len(n.Children)-1, depth+1)
		}
	}
	for _, root := range t.Roots {
		walk(root, "", true, 0)
	}
	return nil
}

func label(n *Node) string {
	s := fmt.Sprintf("%d %s", n.PID, output.Printable(n.Comm))
	switch z := n.Zombie; {
	case z != nil:
		waited := "never waited"
		if z.Waited {
			waited = "has waited"
		}
		est := ""
		if z.Preexisting {
			est = ">= "
		}
		s += fmt.Sprintf(" <defunct> zombie for %s%s, %d owes the wait (%s)", est, output.Dur(z.AgeNS), z.OwedBy, waited)
	case n.State == events.ProcZombie:
		s += " <defunct> (zombie at start)"
	}
	return s
}

// TreeJSON is the tree view's JSON (docs/json.md).
type TreeJSON struct {
	Type      string  `json:"type"` // "tree"
	Time      string  `json:"time"`
	OffsetNS  uint64  `json:"offset_ns"`
	Processes []*Node `json:"processes"`
}

// WriteTreeJSON writes the tree as one JSON object.
func WriteTreeJSON(w io.Writer, r *Replay, t *Tree) error {
	roots := t.Roots
	if roots == nil {
		roots = []*Node{}
	}
	b, err := json.Marshal(TreeJSON{Type: "tree", Time: r.Clock.Wall(t.At).Format(time.RFC3339Nano),
		OffsetNS: t.At - min(t.At, r.Reader.Header.StartNS), Processes: roots})
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
