package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/output"
)

// Story is one process's story (report explain): fork, exec, exit,
// notification, every wait its owners made while it was a zombie,
// reparenting, reap. Feed it with Record and Event during the replay.
type Story struct {
	PID         uint32
	Steps       []Step
	Outstanding *Outstanding // still a zombie at the end of the window
	owners      map[uint32]bool
	zombieSince uint64
	reaped      uint64
}

// Step is one moment of a story.
type Step struct {
	Time uint64
	What string // fork, exec, exit, reparent, reap, wait, stop_notify, free
	Text string // the sentence for a person
	// Fields are what a program needs of it, in order (JSON).
	Fields []Field
}

// Field is one key and value of a step.
type Field struct {
	Key   string
	Value any
}

// Outstanding says who owes the wait of a zombie still there at the end.
type Outstanding struct {
	AgeNS  uint64
	OwedBy uint32
	Waited bool
}

// NewStory starts the story of pid.
func NewStory(pid uint32) *Story { return &Story{PID: pid, owners: map[uint32]bool{}} }

func (s *Story) add(t uint64, what string, fields []Field, format string, args ...any) {
	// Names come from the processes themselves: never raw to a terminal.
	s.Steps = append(s.Steps, Step{Time: t, What: what, Text: output.Printable(fmt.Sprintf(format, args...)), Fields: fields})
}

// Record takes one of the engine's records.
func (s *Story) Record(rec *events.Record) {
	if rec.PID != s.PID {
		return
	}
	switch rec.Type {
	case events.RecordFork:
		s.add(rec.Time, "fork", []Field{{"ppid", rec.PPID}, {"parent_comm", rec.ParentComm}},
			"forked by %d (%s)", rec.PPID, rec.ParentComm)
		s.owners[rec.PPID] = true
	case events.RecordExec:
		s.add(rec.Time, "exec", []Field{{"filename", rec.Filename}}, "exec %s", rec.Filename)
	case events.RecordExit:
		s.add(rec.Time, "exit", []Field{{"ppid", rec.PPID}, {"parent_comm", rec.ParentComm}, {"exit_code", rec.Code},
			{"signal", rec.Signal}, {"core_dumped", rec.CoreDumped}},
			"exited (%s) and became a zombie: parent %d (%s) notified", output.StatusString(rec.Status), rec.PPID, rec.ParentComm)
		s.owners[rec.PPID] = true
		s.zombieSince, s.reaped = rec.Time, 0
	case events.RecordReparent:
		s.add(rec.Time, "reparent", []Field{{"old_ppid", rec.OldPPID}, {"new_ppid", rec.NewPPID}},
			"reparented: parent %d died, inherited by %d", rec.OldPPID, rec.NewPPID)
		s.owners[rec.NewPPID] = true
	case events.RecordReap:
		fields := []Field{{"zombie_ns", rec.ZombieNS}, {"reaped_by", string(rec.ReapedBy)}, {"reaper_pid", rec.ReaperPID},
			{"reaper_comm", rec.ReaperComm}, {"method", string(rec.Method)}, {"uncertain", rec.Uncertain}}
		extra := ""
		if rec.TracerPID != 0 {
			extra = fmt.Sprintf("; a ptrace tracer %d held it %s first", rec.TracerPID, output.Dur(rec.HeldNS))
			fields = append(fields, Field{"tracer_pid", rec.TracerPID}, Field{"held_ns", rec.HeldNS})
		}
		s.add(rec.Time, "reap", fields, "reaped after %s as a zombie by %s (seen: %s)%s",
			output.Dur(rec.ZombieNS), output.ReaperString(rec), rec.Method, extra)
		s.reaped = rec.Time
	}
}

// Event takes one event of the replay: the waits of its owners while it is
// a zombie, its stop/continue reports, its release.
func (s *Story) Event(ev *events.Event) {
	switch {
	case ev.Kind == events.KindWait && s.owners[ev.PID] && s.zombieSince != 0 && s.reaped == 0:
		target, peer := "any child", uint32(0)
		switch ev.Target {
		case events.TargetPID:
			target, peer = fmt.Sprintf("pid %d", ev.PeerPID), ev.PeerPID
		case events.TargetPGID:
			target = "a process group"
		}
		opts := waitOptions(ev.Options)
		fields := []Field{{"waiter_pid", ev.PID}, {"waiter_comm", events.CommString(ev.Comm)}, {"syscall", ev.Syscall.String()}}
		if peer != 0 {
			fields = append(fields, Field{"target_pid", peer})
		}
		fields = append(fields, Field{"options", strings.Trim(opts, " ()")})
		s.add(ev.Time, "wait", fields, "%d (%s) entered %s for %s%s", ev.PID, events.CommString(ev.Comm), ev.Syscall, target, opts)
	case ev.Kind == events.KindNotify && ev.PID == s.PID && ev.Code > events.CLDDumped:
		s.add(ev.Time, "stop_notify", []Field{{"si_code", ev.Code}, {"receiver_pid", ev.PeerPID}},
			"stop/continue report (si_code %d) to %d", ev.Code, ev.PeerPID)
	case ev.Kind == events.KindFree && ev.PID == s.PID:
		s.add(ev.Time, "free", nil, "task released (RCU free)")
	}
}

// Finish notes whether the process is still a zombie at the replay's end.
func (s *Story) Finish(r *Replay) {
	for _, v := range r.Engine.Processes() {
		if v.PID == s.PID && v.State == events.ProcZombie {
			s.Outstanding = &Outstanding{AgeNS: r.End - min(r.End, v.ZombieSince), OwedBy: v.PPID, Waited: v.OwnerWaited}
		}
	}
}

func waitOptions(o uint32) string {
	var parts []string
	for _, f := range []struct {
		bit  uint32
		name string
	}{{events.WNOHANG, "WNOHANG"}, {events.WUNTRACED, "WUNTRACED"}, {events.WCONTINUED, "WCONTINUED"},
		{events.WNOWAIT, "WNOWAIT"}, {events.WALL, "__WALL"}, {events.WCLONE, "__WCLONE"}} {
		if o&f.bit != 0 {
			parts = append(parts, f.name)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "|") + ")"
}

// WriteStoryText writes the story for a person, a line per step, times to
// the millisecond like the other views.
func WriteStoryText(w io.Writer, r *Replay, s *Story) error {
	for _, st := range s.Steps {
		fmt.Fprintf(w, "%s  %-11s %s\n", r.Clock.Wall(st.Time).Local().Format("15:04:05.000"), r.Offset(st.Time), st.Text)
	}
	if o := s.Outstanding; o != nil {
		waited := "it never entered a wait that could collect it"
		if o.Waited {
			waited = "it has waited for children, but not reaped this one"
		}
		fmt.Fprintf(w, "still a zombie at the end (%s): %d owes the wait; %s\n", output.Dur(o.AgeNS), o.OwedBy, waited)
	}
	return nil
}

// WriteStoryJSON writes the story as one JSON object (docs/json.md).
func WriteStoryJSON(w io.Writer, r *Replay, s *Story) error {
	var b bytes.Buffer
	b.WriteString(`{"type":"explain","pid":`)
	fmt.Fprint(&b, s.PID)
	b.WriteString(`,"steps":[`)
	for i, st := range s.Steps {
		if i > 0 {
			b.WriteByte(',')
		}
		fields := append([]Field{
			{"time", r.Clock.Wall(st.Time).Format(time.RFC3339Nano)},
			{"offset_ns", st.Time - min(st.Time, r.Reader.Header.StartNS)},
			{"what", st.What},
			{"text", st.Text},
		}, st.Fields...)
		if err := writeObject(&b, fields); err != nil {
			return err
		}
	}
	b.WriteString(`],"outstanding":`)
	if o := s.Outstanding; o != nil {
		if err := writeObject(&b, []Field{{"age_ns", o.AgeNS}, {"owed_by", o.OwedBy}, {"waited", o.Waited}}); err != nil {
			return err
		}
	} else {
		b.WriteString("null")
	}
	b.WriteString("}\n")
	_, err := w.Write(b.Bytes())
	return err
}

// writeObject writes fields as a JSON object, keys in their order.
func writeObject(b *bytes.Buffer, fields []Field) error {
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.Key)
		v, err := json.Marshal(f.Value)
		if err != nil {
			return fmt.Errorf("%s: %w", f.Key, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return nil
}
