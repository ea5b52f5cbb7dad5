package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/output"
)

// traceEvent is one Chrome Trace Event (ui.perfetto.dev, chrome://tracing).
type traceEvent struct {
	Name string         `json:"name"`
	Cat  string         `json:"cat,omitempty"`
	Ph   string         `json:"ph"`
	Ts   float64        `json:"ts"` // microseconds from the recording's start
	Dur  float64        `json:"dur,omitempty"`
	Pid  uint32         `json:"pid"` // the parent at fork: tracks are grouped by parent
	Tid  uint32         `json:"tid"` // the process
	S    string         `json:"s,omitempty"`
	Args map[string]any `json:"args,omitempty"`
}

// Timeline is the timeline view (report timeline), a Chrome Trace Event /
// Perfetto JSON file with one track per process: a running span, a zombie
// span and the reap as an instant naming the reaper. Feed it with Record
// during the replay, then Finish.
type Timeline struct {
	out    io.Writer
	base   uint64 // the recording's start: times are offsets from it
	tracks map[events.Key]*track
	groups map[uint32]bool // parents whose group of tracks is named
	wrote  bool            // an event was written: the next needs a comma
	err    error           // the first write error
	named  int             // processes
	spans  int             // zombie spans
}

// track is one process's row.
type track struct {
	group   uint32
	comm    string
	started uint64
	exited  uint64
	named   bool
}

// NewTimeline starts the file on out.
func NewTimeline(out io.Writer) *Timeline {
	t := &Timeline{out: out, tracks: map[events.Key]*track{}, groups: map[uint32]bool{}}
	_, t.err = io.WriteString(out, `{"displayTimeUnit":"ms","traceEvents":[`+"\n")
	return t
}

// Processes is how many processes have a track.
func (t *Timeline) Processes() int { return t.named }

// Zombies is how many zombie spans were written.
func (t *Timeline) Zombies() int { return t.spans }

// us is boot-time ns as microseconds from the recording's start.
func (t *Timeline) us(ns uint64) float64 { return float64(int64(ns)-int64(t.base)) / 1e3 }

func (t *Timeline) emit(te traceEvent) {
	if t.err != nil {
		return
	}
	b, err := json.Marshal(te)
	if err != nil {
		t.err = err
		return
	}
	if t.wrote {
		if _, t.err = io.WriteString(t.out, ",\n"); t.err != nil {
			return
		}
	}
	t.wrote = true
	_, t.err = t.out.Write(b)
}

// track returns rec's process's track, naming it (and its group) at first.
func (t *Timeline) track(rec *events.Record) *track {
	k := events.Key{PID: rec.PID, Start: rec.Start}
	tr := t.tracks[k]
	if tr == nil {
		tr = &track{group: rec.PPID, comm: rec.Comm, started: t.base}
		t.tracks[k] = tr
	}
	if !tr.named {
		tr.named = true
		t.named++
		t.emit(traceEvent{Name: "thread_name", Ph: "M", Pid: tr.group, Tid: rec.PID, Args: map[string]any{"name": fmt.Sprintf("%s %d", rec.Comm, rec.PID)}})
		if !t.groups[tr.group] {
			t.groups[tr.group] = true
			t.emit(traceEvent{Name: "process_name", Ph: "M", Pid: tr.group, Args: map[string]any{"name": fmt.Sprintf("children of %d", tr.group)}})
		}
	}
	return tr
}

// Record is Load's each callback.
func (t *Timeline) Record(r *Replay, rec *events.Record) {
	if t.base == 0 {
		t.base = r.Reader.Header.StartNS
	}
	if !r.Keep(rec) {
		return
	}
	switch rec.Type {
	case events.RecordFork:
		tr := t.track(rec)
		tr.started = rec.Time
	case events.RecordExec:
		tr := t.track(rec)
		tr.comm = rec.Comm
		t.emit(traceEvent{Name: "exec " + rec.Filename, Cat: "exec", Ph: "i", S: "t", Ts: t.us(rec.Time), Pid: tr.group, Tid: rec.PID})
	case events.RecordExit:
		tr := t.track(rec)
		tr.exited = rec.Time
		t.emit(traceEvent{Name: tr.comm, Cat: "running", Ph: "X", Ts: t.us(tr.started), Dur: t.us(rec.Time) - t.us(tr.started), Pid: tr.group, Tid: rec.PID,
			Args: map[string]any{"exit": output.StatusString(rec.Status)}})
	case events.RecordReparent:
		tr := t.track(rec)
		t.emit(traceEvent{Name: fmt.Sprintf("reparented to %d", rec.NewPPID), Cat: "reparent", Ph: "i", S: "t", Ts: t.us(rec.Time), Pid: tr.group, Tid: rec.PID})
	case events.RecordReap:
		tr := t.track(rec)
		if rec.ZombieNS > 0 {
			t.spans++
			t.emit(traceEvent{Name: "zombie", Cat: "zombie", Ph: "X", Ts: t.us(rec.Time - rec.ZombieNS), Dur: float64(rec.ZombieNS) / 1e3, Pid: tr.group, Tid: rec.PID,
				Args: map[string]any{"zombie_ms": float64(rec.ZombieNS) / 1e6, "owed_by": rec.PPID}})
		}
		t.emit(traceEvent{Name: "reaped by " + output.ReaperString(rec), Cat: "reap", Ph: "i", S: "t", Ts: t.us(rec.Time), Pid: tr.group, Tid: rec.PID,
			Args: map[string]any{"reaped_by": string(rec.ReapedBy), "reaper_pid": rec.ReaperPID, "reaper_comm": rec.ReaperComm, "uncertain": rec.Uncertain}})
		delete(t.tracks, events.Key{PID: rec.PID, Start: rec.Start})
	}
}

// Finish writes the zombies still outstanding at the window's end and ends
// the file. It returns the first write error.
func (t *Timeline) Finish(r *Replay) error {
	if t.base == 0 {
		t.base = r.Reader.Header.StartNS
	}
	// Zombies still outstanding at the end: an open span up to the end.
	sub := r.Subtree()
	for _, v := range r.Engine.Processes() {
		if v.State != events.ProcZombie || sub != nil && !sub.Has(v.PID) && !sub.Has(v.PPID) {
			continue
		}
		t.spans++
		grp := v.PPID
		if tr := t.tracks[events.Key{PID: v.PID, Start: v.Start}]; tr != nil {
			grp = tr.group
		}
		t.emit(traceEvent{Name: "zombie (outstanding)", Cat: "zombie", Ph: "X", Ts: t.us(v.ZombieSince), Dur: t.us(r.End) - t.us(v.ZombieSince), Pid: grp, Tid: v.PID,
			Args: map[string]any{"owed_by": v.PPID, "preexisting": v.Preexisting}})
	}
	if _, err := io.WriteString(t.out, "\n]}\n"); t.err == nil {
		t.err = err
	}
	return t.err
}
