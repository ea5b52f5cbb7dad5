package report

import (
	"fmt"
	"io"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/output"
)

// isRecordType reports whether t is a value of report events --type.
func isRecordType(t string) bool {
	switch t {
	case "fork", "exec", "exit", "reap", "reparent", "lost":
		return true
	}
	return false
}

// Stream is the events view (report events): the record stream as text or
// JSON Lines. Feed it with Record during the replay, then Finish.
type Stream struct {
	out  io.Writer
	typ  string // only records of this type ("": the whole stream)
	json bool
	w    output.Writer // made at the first record: it needs the replay's clock
	err  error         // the first write error
}

// NewStream writes to out the records of type typ (fork, exec, exit, reap,
// reparent or lost; "": every record, with the start and summary lines of
// trace --json), as JSON Lines or text.
func NewStream(out io.Writer, typ string, json bool) (*Stream, error) {
	if typ != "" && !isRecordType(typ) {
		return nil, fmt.Errorf("--type %q: want fork, exec, exit, reap, reparent or lost", typ)
	}
	return &Stream{out: out, typ: typ, json: json}, nil
}

// Record is Load's each callback.
func (s *Stream) Record(r *Replay, rec *events.Record) {
	if s.w == nil {
		if s.json {
			s.w = output.NewJSONWriter(s.out, r.Clock)
		} else {
			s.w = output.NewTextWriter(s.out, r.Clock, true)
		}
		if s.typ == "" {
			// The whole stream: the same contract as trace --json.
			s.err = s.w.Start(output.Start{Version: r.Reader.Header.Tool, Kernel: r.Reader.Header.Kernel, Mode: r.Mode})
		}
	}
	if (s.typ == "" || rec.Type.String() == s.typ) && r.Keep(rec) && s.err == nil {
		s.err = s.w.Record(rec)
	}
}

// Finish ends the whole stream with the summary and flushes.
func (s *Stream) Finish(r *Replay) error {
	if s.w == nil {
		return nil
	}
	if s.typ == "" && s.err == nil {
		sum := r.Summary()
		s.err = s.w.Summary(&sum)
	}
	if err := s.w.Flush(); err != nil {
		return err
	}
	return s.err
}

// Flush writes out what was rendered so far: the replay failed, and what
// came before the failure is still shown.
func (s *Stream) Flush() error {
	if s.w == nil {
		return nil
	}
	return s.w.Flush()
}
