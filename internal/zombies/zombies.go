// Package zombies is `zombietrace ps`: the zombies on the host now, grouped
// by the parent that holds them, parents first. In an incident the answer is
// who holds how many and since when; the zombies themselves follow, capped
// per parent.
package zombies

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/zombietrace/zombietrace/output"
)

// Zombie is one zombie process.
type Zombie struct {
	PID      int    `json:"pid"`
	PPID     int    `json:"ppid"`
	Comm     string `json:"comm"`
	AgeNS    uint64 `json:"age_ns,omitempty"`
	AgeKnown bool   `json:"age_known"`
	// Waitable is false for a leader that exited while its threads still
	// run: not a zombie a wait can collect yet.
	Waitable bool `json:"waitable"`
}

// Parent is a process holding zombies.
type Parent struct {
	PID     int      `json:"pid"`
	Comm    string   `json:"comm"`
	Cmd     string   `json:"cmd"`
	Count   int      `json:"count"`
	Oldest  uint64   `json:"oldest_age_ns,omitempty"`
	Zombies []Zombie `json:"zombies"` // oldest first
}

// List is the host's zombies, by parent: most zombies first, then oldest.
type List struct {
	Parents   []Parent `json:"parents"`
	Total     int      `json:"total"`
	AgesKnown bool     `json:"ages_known"`
	// Source says how they were listed: "task iterator" (root: one pass
	// in the kernel, with ages) or "/proc".
	Source string `json:"source"`
}

// Names looks up a parent's name and command line.
type Names interface {
	Name(pid int) string
	Cmdline(pid int) string
}

// Group builds the list from zombies; names fills in their parents.
func Group(zs []Zombie, names Names, agesKnown bool, source string) *List {
	byParent := map[int]*Parent{}
	for _, z := range zs {
		p := byParent[z.PPID]
		if p == nil {
			p = &Parent{PID: z.PPID}
			byParent[z.PPID] = p
		}
		p.Zombies = append(p.Zombies, z)
		p.Count++
		p.Oldest = max(p.Oldest, z.AgeNS)
	}
	l := &List{Total: len(zs), AgesKnown: agesKnown, Source: source, Parents: []Parent{}}
	for _, p := range byParent {
		slices.SortFunc(p.Zombies, func(a, b Zombie) int {
			return cmp.Or(cmp.Compare(b.AgeNS, a.AgeNS), cmp.Compare(a.PID, b.PID))
		})
		p.Comm, p.Cmd = names.Name(p.PID), names.Cmdline(p.PID)
		l.Parents = append(l.Parents, *p)
	}
	slices.SortFunc(l.Parents, func(a, b Parent) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(b.Oldest, a.Oldest), cmp.Compare(a.PID, b.PID))
	})
	return l
}

// WriteJSON writes the list as one JSON object: every zombie, by parent.
func (l *List) WriteJSON(w io.Writer) error {
	return json.NewEncoder(w).Encode(l)
}

// WriteText writes the parents' table, then each parent's zombies, at most
// perParent of them (all when perParent < 0). Names are escaped: any
// process can name itself.
func (l *List) WriteText(w io.Writer, perParent int) error {
	if l.Total == 0 {
		_, err := fmt.Fprintln(w, "no zombies")
		return err
	}
	fmt.Fprintf(w, "%d %s under %d %s\n\n", l.Total, plural(l.Total, "zombie"), len(l.Parents), plural(len(l.Parents), "parent"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PARENT\tCOMM\tZOMBIES\tOLDEST\tPARENT COMMAND")
	for _, p := range l.Parents {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\n", p.PID, output.Printable(p.Comm), p.Count, l.age(p.Oldest, true), output.Printable(p.Cmd))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, p := range l.Parents {
		shown := p.Zombies
		note := "oldest first"
		if perParent >= 0 && len(shown) > perParent {
			shown = shown[:perParent]
			note = fmt.Sprintf("oldest first, %d of %d shown: --all lists every one", perParent, p.Count)
		}
		fmt.Fprintf(w, "\n%d (%s) holds %d (%s):\n", p.PID, output.Printable(p.Comm), p.Count, note)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  PID\tCOMM\tAGE")
		for _, z := range shown {
			age := l.age(z.AgeNS, z.AgeKnown)
			if !z.Waitable {
				age += " (threads still run: not waitable yet)"
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\n", z.PID, output.Printable(z.Comm), age)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func (l *List) age(ns uint64, known bool) string {
	if !l.AgesKnown || !known {
		return "?"
	}
	return "~" + output.Dur(ns)
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
