// Package flame renders zombietrace's flame-style reports.
//
// A report answers "which part of the process tree holds the zombie time?"
// the way a CPU flame graph answers "which code is hot?". Each Sample is the
// ancestry of one zombie (or of a group of zombies with identical ancestry):
// host root -> ... -> the parent that owed the wait -> the zombie child.
// The width of a frame is the zombie time (default) or the zombie count of
// everything below it.
// Lineage builds those samples from the engine's records, live or
// replayed from a recording.
//
// Output formats:
//
//   - .folded: Brendan Gregg's folded stacks ("a;b;c 12345"), readable by
//     flamegraph.pl, inferno and speedscope (WriteFolded).
//   - .pb.gz: a gzipped pprof profile with two sample types, zombie_time and
//     zombies, for `go tool pprof` (WritePprof).
//   - .html: a self-contained interactive page (WriteHTML).
//   - .svg: a self-contained interactive SVG with an embedded script and a
//     static rendering for viewers that do not run scripts (WriteSVG).
//
// The interactive graphs are icicle graphs: the host root is at the top and
// the zombies are at the bottom.
package flame

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sample is one zombie (or a group of zombies with identical stacks).
type Sample struct {
	// Frames from the root to the zombie itself, e.g.
	// ["systemd 1", "sshd 800", "python3 4242", "sleep 4250"].
	Frames []string
	// ZombieNS is the zombie time in nanoseconds (summed over the group).
	ZombieNS uint64
	// Count is the number of zombies this sample stands for. A Sample always
	// stands for at least one zombie, so 0 is read as 1.
	Count uint64
}

// Weight selects what the width of a frame measures.
type Weight int

const (
	// WeightTime: width is zombie time in nanoseconds (the default).
	WeightTime Weight = iota
	// WeightCount: width is the number of zombies.
	WeightCount
)

// String returns "time" or "count".
func (w Weight) String() string {
	switch w {
	case WeightTime:
		return "time"
	case WeightCount:
		return "count"
	}
	return "Weight(" + strconv.Itoa(int(w)) + ")"
}

func (w Weight) valid() bool { return w == WeightTime || w == WeightCount }

// Options configure the rendered reports.
type Options struct {
	// Title is the heading of the page; "Zombie flame graph" if empty.
	Title string
	// Weight selects the initial width metric (the page can switch).
	// For .folded it selects the value written; .pb.gz holds both.
	Weight Weight
	// Subtitle is an optional second line, e.g. the host and time range.
	Subtitle string
}

// DefaultTitle is used when Options.Title is empty.
const DefaultTitle = "Zombie flame graph"

// UnknownFrame replaces empty frame names and empty stacks.
const UnknownFrame = "[unknown]"

// Format picks the writer from a file name: ".folded", ".pb.gz", ".svg" or
// ".html" (case-insensitive); anything else is an error.
func Format(path string) (func(io.Writer, []Sample, Options) error, error) {
	base := strings.ToLower(filepath.Base(path))
	switch {
	case strings.HasSuffix(base, ".folded"):
		return func(w io.Writer, s []Sample, o Options) error { return WriteFolded(w, s, o.Weight) }, nil
	case strings.HasSuffix(base, ".pb.gz"):
		return func(w io.Writer, s []Sample, _ Options) error { return WritePprof(w, s) }, nil
	case strings.HasSuffix(base, ".svg"):
		return WriteSVG, nil
	case strings.HasSuffix(base, ".html"):
		return WriteHTML, nil
	}
	// No "flame:" prefix: the caller names its command or flag (report
	// flame, --flame) and a second name stuttered.
	return nil, fmt.Errorf("%q: unknown flame graph format: want a name ending in .folded, .pb.gz, .svg or .html", path)
}

// count returns the number of zombies a sample stands for (0 is read as 1).
func (s Sample) count() uint64 {
	if s.Count == 0 {
		return 1
	}
	return s.Count
}

// frames returns the sanitized frames of s; an empty stack becomes [unknown].
func (s Sample) frames() []string {
	if len(s.Frames) == 0 {
		return []string{UnknownFrame}
	}
	out := make([]string, len(s.Frames))
	for i, f := range s.Frames {
		out[i] = cleanName(f)
	}
	return out
}

// cleanName makes a frame name safe for every output: valid UTF-8, no
// control characters (tabs and newlines become spaces, others U+FFFD), no
// characters XML forbids, not empty.
func cleanName(s string) string {
	ok := s != ""
	if ok {
		for i := 0; i < len(s); {
			r, n := utf8.DecodeRuneInString(s[i:])
			if (r == utf8.RuneError && n == 1) || unicode.IsControl(r) || r == 0xFFFE || r == 0xFFFF {
				ok = false
				break
			}
			i += n
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case unicode.IsControl(r) || r == 0xFFFE || r == 0xFFFF:
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return UnknownFrame
	}
	return b.String()
}

// addSat adds without wrapping around.
func addSat(a, b uint64) uint64 {
	if s := a + b; s >= a {
		return s
	}
	return math.MaxUint64
}

// node is one frame of the merged tree. Values are cumulative (the frame and
// everything below it); self values are the zombies whose stack ends here.
type node struct {
	name      string
	timeNS    uint64
	count     uint64
	selfNS    uint64
	selfCount uint64
	children  []*node
	index     map[string]*node
}

func (n *node) value(w Weight) uint64 {
	if w == WeightCount {
		return n.count
	}
	return n.timeNS
}

func (n *node) child(name string) *node {
	if c, ok := n.index[name]; ok {
		return c
	}
	c := &node{name: name}
	if n.index == nil {
		n.index = make(map[string]*node)
	}
	n.index[name] = c
	n.children = append(n.children, c)
	return c
}

// buildTree merges the samples into a tree under a synthetic root (the
// "all" frame, which is not part of any stack). Children are sorted by name.
func buildTree(samples []Sample) *node {
	root := &node{name: "all"}
	for _, s := range samples {
		c := s.count()
		n := root
		n.timeNS = addSat(n.timeNS, s.ZombieNS)
		n.count = addSat(n.count, c)
		for _, f := range s.frames() {
			n = n.child(f)
			n.timeNS = addSat(n.timeNS, s.ZombieNS)
			n.count = addSat(n.count, c)
		}
		n.selfNS = addSat(n.selfNS, s.ZombieNS)
		n.selfCount = addSat(n.selfCount, c)
	}
	root.finish()
	return root
}

func (n *node) finish() {
	n.index = nil
	sort.Slice(n.children, func(i, j int) bool { return n.children[i].name < n.children[j].name })
	for _, c := range n.children {
		c.finish()
	}
}

// depth is the number of frame levels below n (0 for a leaf).
func (n *node) depth() int {
	d := 0
	for _, c := range n.children {
		if cd := c.depth() + 1; cd > d {
			d = cd
		}
	}
	return d
}

// FormatDuration renders nanoseconds in human units: "850 ns", "12.3 µs",
// "4.56 ms", "7.89 s", "2m 05s", "3h 07m". The interactive pages use the
// same rules.
func FormatDuration(ns uint64) string {
	f := float64(ns)
	switch {
	case ns < 1000:
		return strconv.FormatUint(ns, 10) + " ns"
	case ns < 1e6:
		return fixed(f/1e3) + " µs"
	case ns < 1e9:
		return fixed(f/1e6) + " ms"
	case ns < 60e9:
		return fixed(f/1e9) + " s"
	case ns < 3600e9:
		s := ns / 1e9
		return fmt.Sprintf("%dm %02ds", s/60, s%60)
	}
	m := ns / 60e9
	return fmt.Sprintf("%dh %02dm", m/60, m%60)
}

// fixed prints v with 3 significant digits for v in [1, 1000).
func fixed(v float64) string {
	dec := 0
	switch {
	case v < 10:
		dec = 2
	case v < 100:
		dec = 1
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}
