package output

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/zombietrace/zombietrace/events"
)

// TextWriter writes the human view: one aligned line per event of interest
// and the end-of-session tables.
type TextWriter struct {
	w       *bufio.Writer
	clock   Clock
	verbose bool // forks and execs too
	header  bool
}

// NewTextWriter writes to w; verbose adds fork and exec lines.
func NewTextWriter(w io.Writer, clock Clock, verbose bool) *TextWriter {
	return &TextWriter{w: bufio.NewWriter(w), clock: clock, verbose: verbose}
}

// Start writes the session banner.
func (t *TextWriter) Start(s Start) error {
	_, err := fmt.Fprintf(t.w, "zombietrace %s: kernel %s, %s mode (reaps %s)\n", s.Version, s.Kernel, s.Mode, modeNote(s.Mode))
	return err
}

func modeNote(m events.Mode) string {
	if m == events.ModeExact {
		return "from wait4/waitid returns"
	}
	return "inferred from wait entries and exit notifications"
}

const lineFormat = "%-12s %-8s %7s %7s %-16s %s\n"

// Record writes one line (exits, reaps, reparents, losses; forks and execs
// when verbose).
func (t *TextWriter) Record(r *events.Record) error {
	if (r.Type == events.RecordFork || r.Type == events.RecordExec) && !t.verbose {
		return nil
	}
	if !t.header {
		t.header = true
		fmt.Fprintf(t.w, lineFormat, "TIME", "EVENT", "PID", "PPID", "COMM", "DETAIL")
	}
	ts := t.clock.Wall(r.Time).Local().Format("15:04:05.000")
	pid, ppid := fmt.Sprint(r.PID), fmt.Sprint(r.PPID)
	var detail string
	switch r.Type {
	case events.RecordFork:
	case events.RecordExec:
		detail = r.Filename
	case events.RecordExit:
		detail = StatusString(r.Status)
	case events.RecordReap:
		detail = fmt.Sprintf("zombie %s, reaped by %s", Dur(r.ZombieNS), ReaperString(r))
		if r.TracerPID != 0 {
			detail += fmt.Sprintf(", held %s by tracer %d", Dur(r.HeldNS), r.TracerPID)
		}
		if r.Uncertain {
			detail += " (uncertain)"
		}
	case events.RecordReparent:
		ppid = fmt.Sprint(r.NewPPID)
		detail = fmt.Sprintf("reparented %d -> %d", r.OldPPID, r.NewPPID)
		if r.Seen > r.Time {
			// Seen late: the line keeps the stream's order, the detail the
			// kernel's moment.
			ts = t.clock.Wall(r.Seen).Local().Format("15:04:05.000")
			detail += fmt.Sprintf(" at %d's death, %s", r.OldPPID, t.clock.Wall(r.Time).Local().Format("15:04:05.000"))
		}
	case events.RecordLost:
		pid, ppid = "-", "-"
		detail = fmt.Sprintf("%d events lost: open records are uncertain", r.Count)
	}
	_, err := fmt.Fprintf(t.w, lineFormat, ts, r.Type, pid, ppid, Printable(r.Comm), Printable(detail))
	return err
}

// StatusString renders an exit status.
func StatusString(s events.Status) string {
	if s.Signal != 0 {
		out := "killed by signal " + signalName(s.Signal)
		if s.CoreDumped {
			out += " (core dumped)"
		}
		return out
	}
	return fmt.Sprintf("exit code %d", s.Code)
}

var signalNames = map[int]string{1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP",
	6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2",
	13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM", 17: "SIGCHLD", 24: "SIGXCPU", 25: "SIGXFSZ", 31: "SIGSYS"}

func signalName(sig int) string {
	if n, ok := signalNames[sig]; ok {
		return fmt.Sprintf("%d (%s)", sig, n)
	}
	return fmt.Sprint(sig)
}

// ReaperString says who reaped, honestly.
func ReaperString(r *events.Record) string {
	switch r.ReapedBy {
	case events.ReapedByAutoreap:
		return "the kernel (autoreap: parent ignores SIGCHLD)"
	case events.ReapedByUnseen:
		if r.ReaperPID != 0 {
			return fmt.Sprintf("no visible wait (inherited by %d %s; time from release)", r.ReaperPID, r.ReaperComm)
		}
		return "no visible wait (time from release)"
	case events.ReapedByReaper:
		return fmt.Sprintf("reaper %d %s", r.ReaperPID, r.ReaperComm)
	}
	return fmt.Sprintf("parent %d %s", r.ReaperPID, r.ReaperComm)
}

// Dur renders a duration compactly: 850ns, 12us, 3.4ms, 5.000s; from a
// minute on as Go writes durations, to the millisecond (1h2m0s, 1m1.5s).
func Dur(ns uint64) string {
	if ns > math.MaxInt64 {
		ns = math.MaxInt64
	}
	d := time.Duration(ns)
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%dns", ns)
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fus", float64(ns)/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.1fms", float64(ns)/1e6)
	case d < time.Minute-time.Millisecond/2: // not "60.000s"
		return fmt.Sprintf("%.3fs", d.Seconds())
	}
	return d.Round(time.Millisecond).String()
}

// Summary writes the end-of-session tables.
func (t *TextWriter) Summary(s *events.Summary) error {
	w := t.w
	fmt.Fprintf(w, "\nSUMMARY: %s in %s, %s\n", plural(s.Processes, "process", "processes"), Dur(s.DurationNS),
		plural(s.LostEvents, "lost event", "lost events"))
	if s.LostEvents > 0 {
		fmt.Fprintf(w, "WARNING: %s lost; records open at the time are marked uncertain\n", plural(s.LostEvents, "event was", "events were"))
	}
	if s.ParentsEvicted > 0 {
		fmt.Fprintf(w, "NOTE: %d parents that owed nothing were dropped from the bounded parent table (%d max)\n", s.ParentsEvicted, events.MaxParents)
	}
	fmt.Fprintf(w, "\nPARENTS (by zombie time)\n")
	cols := parentColumns(s.Parents)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i, c := range cols {
		if i > 0 {
			fmt.Fprint(tw, "\t")
		}
		fmt.Fprint(tw, c.head)
	}
	fmt.Fprintln(tw)
	unknown := false
	for _, p := range s.Parents {
		for i, c := range cols {
			if i > 0 {
				fmt.Fprint(tw, "\t")
			}
			fmt.Fprint(tw, c.val(p))
		}
		fmt.Fprintln(tw)
		unknown = unknown || WaitedString(p) == "?"
	}
	tw.Flush()
	if unknown {
		fmt.Fprintf(w, "WAITED ?: no wait seen, but not all of its waits were observable, or a child of its was released with no visible wait\n")
	}
	var never []string
	for _, p := range s.Parents {
		if WaitedString(p) == "NEVER" && (p.Outstanding > 0 || p.ZombieNSTotal > 0) {
			never = append(never, fmt.Sprintf("%d (%s)", p.PID, Printable(p.Comm)))
		}
	}
	if len(never) > 0 {
		fmt.Fprintf(w, "\nNEVER WAITED while holding zombies: %s\n", strings.Join(never, ", "))
	}
	fmt.Fprintf(w, "\nOUTSTANDING ZOMBIES: %d\n", len(s.Zombies))
	if len(s.Zombies) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "PID\tPPID\tCOMM\tPARENT\tAGE")
		for _, z := range s.Zombies {
			age := Dur(z.AgeNS)
			if z.Preexisting {
				age = ">= " + age + " (preexisting, estimated)"
			}
			fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\n", z.PID, z.PPID, Printable(z.Comm), Printable(z.ParentComm), age)
		}
		tw.Flush()
	}
	return nil
}

// plural is "1 process", "2 processes".
func plural(n uint64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// WaitedString renders whether a parent waited: "yes", "NEVER" (its waits
// were observable the whole time and none was seen) or "?" (unknown).
func WaitedString(p events.ParentStats) string {
	switch {
	case p.Waited:
		return "yes"
	case p.WaitedUnknown:
		return "?"
	}
	return "NEVER"
}

// parentColumn is one column of the PARENTS table.
type parentColumn struct {
	head string
	val  func(events.ParentStats) string
}

func countColumn(head string, f func(events.ParentStats) uint64) parentColumn {
	return parentColumn{head, func(p events.ParentStats) string { return fmt.Sprint(f(p)) }}
}

// parentColumns are the PARENTS table's columns. A row adds up (docs/json.md):
// CHILDREN + PREEXISTING + INHERITED = REAPED + UNSEEN + AUTOREAPED +
// PASSED ON + OUTSTANDING + RUNNING; the rarer of those columns are shown
// only when a row has one.
func parentColumns(ps []events.ParentStats) []parentColumn {
	optional := func(head string, f func(events.ParentStats) uint64) []parentColumn {
		for _, p := range ps {
			if f(p) != 0 {
				return []parentColumn{countColumn(head, f)}
			}
		}
		return nil
	}
	dur := func(head string, f func(events.ParentStats) uint64) parentColumn {
		return parentColumn{head, func(p events.ParentStats) string { return Dur(f(p)) }}
	}
	var cols []parentColumn
	add := func(c ...parentColumn) { cols = append(cols, c...) }
	add(countColumn("PID", func(p events.ParentStats) uint64 { return uint64(p.PID) }),
		parentColumn{"COMM", func(p events.ParentStats) string { return Printable(p.Comm) }},
		countColumn("CHILDREN", func(p events.ParentStats) uint64 { return p.Children }))
	add(optional("PREEXISTING", func(p events.ParentStats) uint64 { return p.PreexistingChildren })...)
	add(countColumn("INHERITED", func(p events.ParentStats) uint64 { return p.Inherited }),
		countColumn("REAPED", func(p events.ParentStats) uint64 { return p.Reaped }))
	add(optional("UNSEEN", func(p events.ParentStats) uint64 { return p.Unseen })...)
	add(countColumn("AUTOREAPED", func(p events.ParentStats) uint64 { return p.Autoreaped }))
	add(optional("PASSED ON", func(p events.ParentStats) uint64 { return p.PassedOn })...)
	add(countColumn("OUTSTANDING", func(p events.ParentStats) uint64 { return p.Outstanding }))
	add(optional("RUNNING", func(p events.ParentStats) uint64 { return p.Running })...)
	add(parentColumn{"WAITED", WaitedString},
		dur("ZOMBIE TOTAL", func(p events.ParentStats) uint64 { return p.ZombieNSTotal }),
		dur("MAX", func(p events.ParentStats) uint64 { return p.ZombieNSMax }),
		dur("P50", func(p events.ParentStats) uint64 { return p.ZombieNSP50 }),
		dur("P99", func(p events.ParentStats) uint64 { return p.ZombieNSP99 }))
	return cols
}

// Flush writes buffered output.
func (t *TextWriter) Flush() error { return t.w.Flush() }
