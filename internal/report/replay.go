// Package report analyses a recording (zombietrace report): it replays the
// file through the engine over a time window and renders views of it, each
// a function writing to an io.Writer.
package report

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/output"
	"github.com/zombietrace/zombietrace/recording"
)

// Open opens the recording at path; "-" is standard input. name is what
// messages call it.
func Open(path string) (src io.ReadCloser, name string, err error) {
	if path == "-" {
		return io.NopCloser(os.Stdin), "stdin", nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, path, err
	}
	return f, path, nil
}

// Options select what a report covers.
type Options struct {
	// From and To bound the window: RFC 3339 wall time or an offset from the
	// recording's start (5s). Empty: the recording's start, its end.
	From, To string
	// At is a moment (tree --at): the replay stops there. It replaces To.
	At string
	// PID keeps P and all its descendants (0: every process).
	PID uint32
}

// Replay is a recording read through the engine over a window.
type Replay struct {
	Reader *recording.Reader
	Name   string // the file, as messages call it
	Mode   events.Mode
	Clock  output.Clock
	Engine *events.Engine
	// Start and End are the window reported (boot ns): --from or the
	// recording's start; --to, --at or the recording's end.
	Start, End uint64
	// RecordingEnd is the recording's own end: the recorder's, or the last
	// event read when it stored none (stopped abruptly, damaged).
	RecordingEnd uint64
	// Damaged is the damage that ended the readable part of the file.
	Damaged error
	// Comm is the recording's --comm filter.
	Comm *regexp.Regexp
	// PID is the process whose subtree is reported (0: all).
	PID      uint32
	windowed bool // --from, --to or --at was given
	sub      *Subtree
	warnings []string
}

// Whole reports whether the replay covers the whole recording, every
// process and every event (what the recorder's own summary covers; the
// recording's --comm filter applies to views, not to that summary).
func (r *Replay) Whole() bool {
	return !r.windowed && r.PID == 0 && r.Damaged == nil
}

// Warnings are what the reader of the report must know: damage, an abrupt
// end, a window beyond the end. One line each.
func (r *Replay) Warnings() []string { return r.warnings }

// Subtree is the --pid selection (nil without --pid).
func (r *Replay) Subtree() *Subtree { return r.sub }

// Offset renders t as an offset from the recording's start.
func (r *Replay) Offset(t uint64) string {
	if t <= r.Reader.Header.StartNS {
		return "+0s"
	}
	return "+" + output.Dur(t-r.Reader.Header.StartNS)
}

// when reads T as RFC 3339 wall time or an offset from the start.
func when(flag, s string, h recording.Header) (uint64, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		ns := t.UnixNano() - h.WallOffsetNS
		if ns < 0 {
			return 0, fmt.Errorf("%s %s: before boot", flag, s)
		}
		return uint64(ns), nil
	}
	d, err := time.ParseDuration(strings.TrimPrefix(s, "+"))
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s %q: want RFC 3339 (2026-11-25T10:00:00Z) or an offset from the start (5s)", flag, s)
	}
	return h.StartNS + uint64(d), nil
}

// Load reads a recording from src over the window of opt, calling each for
// every record from the window's start and raw for every event replayed.
// The whole file is read (it says whether the recording ended cleanly, and
// where it ends), but the engine stops at the window's end.
func Load(src io.Reader, name string, opt Options, each func(*Replay, *events.Record), raw func(*events.Event)) (*Replay, error) {
	rd, err := recording.NewReader(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	h := rd.Header
	r := &Replay{Reader: rd, Name: name, Clock: output.Clock{OffsetNS: h.WallOffsetNS}, PID: opt.PID,
		Start: h.StartNS}
	var from, to uint64 // 0: not given
	toFlag, toArg := "--to", opt.To
	if opt.At != "" {
		toFlag, toArg = "--at", opt.At
	}
	if opt.From != "" {
		if from, err = when("--from", opt.From, h); err != nil {
			return nil, err
		}
		r.Start = max(from, h.StartNS) // nothing was recorded before the start
	}
	if toArg != "" {
		if to, err = when(toFlag, toArg, h); err != nil {
			return nil, err
		}
		if to < h.StartNS {
			return nil, fmt.Errorf("%s %s: before the recording's start (%s)", toFlag, toArg,
				r.Clock.Wall(h.StartNS).Format(time.RFC3339Nano))
		}
		if from != 0 && from >= to {
			return nil, fmt.Errorf("--from %s is not before %s %s: the window is empty", opt.From, toFlag, toArg)
		}
	}
	r.windowed = from != 0 || to != 0
	if h.Filter != "" {
		if r.Comm, err = regexp.Compile(h.Filter); err != nil {
			return nil, fmt.Errorf("%s: the recording's --comm filter: %w", name, err)
		}
	}
	if h.Mode == events.ModeExact.String() {
		r.Mode = events.ModeExact
	}
	if opt.PID != 0 {
		r.sub = NewSubtree(opt.PID, rd.Procs)
	}
	r.Engine = events.NewEngine(r.Mode, func(rec *events.Record) {
		if r.sub != nil {
			r.sub.Follow(rec)
		}
		if each != nil && rec.Time >= from {
			each(r, rec)
		}
	})
	r.Engine.Begin(h.StartNS)
	// As the recorder did: names from the process table, whose waits were seen.
	r.Engine.SetNames(recording.Names(rd.Procs))
	if f := h.Follow; f != nil {
		r.Engine.Follow(f.PIDs, f.AtNS)
	}
	if r.Comm != nil {
		r.Engine.MatchChildren(r.Comm.MatchString) // --comm keeps parents of matching children
	}
	if from != 0 {
		r.Engine.CountFrom(from)
	}
	last := h.StartNS // the last event's time
	past := false     // an event after the window's end came: the engine has stopped
	var ev events.Event
	for {
		err := rd.Next(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			var oe *recording.OffsetError
			if errors.As(err, &oe) {
				r.Damaged = err
				break
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if ev.Kind != events.KindZombie && ev.Time > last {
			last = ev.Time
		}
		if past || to != 0 && ev.Time > to && ev.Kind != events.KindZombie {
			past = true
			continue
		}
		if raw != nil {
			raw(&ev)
		}
		r.Engine.Handle(&ev)
	}
	r.RecordingEnd = last
	if rd.Summary != nil && r.Damaged == nil {
		r.RecordingEnd = rd.Summary.EndNS // the recorder's summary is at this moment
	}
	if err := r.window(opt, from, to, toFlag, toArg); err != nil {
		return nil, err
	}
	if g := rd.ProcsLost; g != nil {
		r.warn("%s: the process table at its start is damaged (%v): reporting from the next whole frame on; "+
			"processes that did nothing while it recorded are missing (tree, flame, --pid)", name, g)
	}
	if r.Damaged != nil {
		r.warn("%s is damaged %v; reporting everything before it", name, r.Damaged)
	} else if !rd.Clean {
		r.warn("%s has no end frame (the recorder was stopped abruptly); reporting what it holds", name)
	}
	return r, nil
}

// window checks the window against the recording's end and sets End.
func (r *Replay) window(opt Options, from, to uint64, toFlag, toArg string) error {
	endNote := "the recording ends at " + r.Offset(r.RecordingEnd)
	if r.Damaged != nil {
		endNote = "the readable part of the damaged recording ends at " + r.Offset(r.RecordingEnd)
	}
	if from != 0 && from >= r.RecordingEnd {
		return fmt.Errorf("--from %s: not before the end (%s)", opt.From, endNote)
	}
	r.End = r.RecordingEnd
	switch {
	case to == 0:
	case to <= r.RecordingEnd:
		r.End = to
	case opt.At != "":
		// The state after the end is not known.
		return fmt.Errorf("--at %s: after the end (%s)", opt.At, endNote)
	default:
		r.warn("%s %s is after the end (%s): reporting up to the end", toFlag, toArg, endNote)
	}
	return nil
}

func (r *Replay) warn(format string, args ...any) {
	r.warnings = append(r.warnings, fmt.Sprintf(format, args...))
}

// Keep reports whether a record belongs in the report: --pid's subtree and
// the recording's --comm filter. Losses are always kept: they make open
// records of every process uncertain.
func (r *Replay) Keep(rec *events.Record) bool {
	if rec.Type == events.RecordLost {
		return true
	}
	if r.sub != nil && !r.sub.Keep(rec) {
		return false
	}
	if r.Comm != nil && !r.Comm.MatchString(rec.Comm) && !r.Comm.MatchString(rec.ParentComm) {
		return false
	}
	return true
}

// Summary is the engine's summary at the window's end, filtered like the
// records (Keep).
func (r *Replay) Summary() events.Summary {
	s := r.Engine.Summary(r.End)
	f := output.Filter{Comm: r.Comm}
	f.FilterSummary(&s)
	if r.sub == nil {
		return s
	}
	zs := s.Zombies[:0]
	for _, z := range s.Zombies {
		if r.sub.Has(z.PID) || r.sub.Has(z.PPID) {
			zs = append(zs, z)
		}
	}
	s.Zombies = zs
	ps := s.Parents[:0]
	for _, p := range s.Parents {
		if r.sub.Has(p.PID) {
			ps = append(ps, p)
		}
	}
	s.Parents = ps
	return s
}

// WriteWindow writes the summary's header: the recording and the window
// the report covers.
func WriteWindow(w io.Writer, r *Replay) error {
	h := r.Reader.Header
	fmt.Fprintf(w, "recording of %s (kernel %s, %s mode) by zombietrace %s\n", h.Host, h.Kernel, h.Mode, h.Tool)
	span := fmt.Sprintf("+%s", output.Dur(r.End-min(r.End, r.Start)))
	if r.Start != h.StartNS || r.End != r.RecordingEnd {
		span += fmt.Sprintf(": %s to %s of the recording", r.Offset(r.Start), r.Offset(r.End))
	}
	_, err := fmt.Fprintf(w, "from %s to %s (%s)\n", r.Clock.Wall(r.Start).Format(time.RFC3339),
		r.Clock.Wall(r.End).Format(time.RFC3339), span)
	return err
}
