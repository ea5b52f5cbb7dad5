package output

import (
	"bufio"
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/zombietrace/zombietrace/events"
)

// Schema is the JSON Lines schema version (docs/json.md).
const Schema = 1

// Start describes the session in the first line.
type Start struct {
	Version string
	Kernel  string
	Mode    events.Mode
}

// JSONWriter writes the JSON Lines contract. Records are encoded by hand
// (no reflection, no allocation per line); the summary, written once, uses
// encoding/json.
type JSONWriter struct {
	w     *bufio.Writer
	clock Clock
	// The formatted wall-clock second of the last line: lines in the same
	// second only append their nanoseconds.
	sec    int64
	prefix []byte
	// The encoded identity of recent processes, by pid: a process's fork,
	// exit and reap lines repeat it, formatted once.
	idents [identSlots]ident
}

const identSlots = 256

// ident is `,"pid":N,"start_ns":N,"comm":"..."` of one process.
type ident struct {
	pid   uint32
	start uint64
	comm  string
	n     uint8 // bytes used in enc; 0: empty
	enc   [104]byte
}

// NewJSONWriter writes to w with times converted by clock.
func NewJSONWriter(w io.Writer, clock Clock) *JSONWriter {
	return &JSONWriter{w: bufio.NewWriterSize(w, 64<<10), clock: clock}
}

// Start writes the first line.
func (j *JSONWriter) Start(s Start) error {
	line := struct {
		Type    string `json:"type"`
		Schema  int    `json:"schema"`
		Version string `json:"version"`
		Kernel  string `json:"kernel"`
		Mode    string `json:"mode"`
	}{"start", Schema, s.Version, s.Kernel, s.Mode.String()}
	return j.writeJSON(line)
}

func (j *JSONWriter) writeJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	j.w.Write(b)
	return j.w.WriteByte('\n')
}

// appendTime writes RFC 3339 UTC with nanoseconds (fixed width: the same
// instant as time.RFC3339Nano, trailing zeros kept).
func (j *JSONWriter) appendTime(b []byte, boot uint64) []byte {
	ns := int64(boot) + j.clock.OffsetNS
	sec, frac := ns/1e9, ns%1e9
	if frac < 0 {
		sec, frac = sec-1, frac+1e9
	}
	if sec != j.sec || j.prefix == nil {
		j.sec = sec
		j.prefix = time.Unix(sec, 0).UTC().AppendFormat(j.prefix[:0], `"2006-01-02T15:04:05.`)
	}
	b = append(b, j.prefix...)
	// Nine digits, two at a time, written in place (bytes stored one by one
	// into a temporary and then copied stalled the copy's wider loads).
	n := len(b)
	b = append(b, `000000000Z"`...)
	digits := b[n : n+9]
	f := uint32(frac)
	for i := 7; i > 0; i -= 2 {
		d := f % 100
		f /= 100
		digits[i], digits[i+1] = twoDigits[2*d], twoDigits[2*d+1]
	}
	digits[0] = byte('0' + f)
	return b
}

const twoDigits = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// The field helpers take the key with its quotes and separators, `,"pid":`:
// one copy per key.
func appendUint(b []byte, key string, v uint64) []byte {
	return strconv.AppendUint(append(b, key...), v, 10)
}

func appendInt(b []byte, key string, v int64) []byte {
	return strconv.AppendInt(append(b, key...), v, 10)
}

func appendBool(b []byte, key string, v bool) []byte {
	return strconv.AppendBool(append(b, key...), v)
}

func appendString(b []byte, key, v string) []byte {
	return appendJSONString(append(b, key...), v)
}

// appendName quotes one of the engine's names (reaped_by, method): plain
// ASCII constants, so they are not scanned for bytes to escape.
func appendName(b []byte, key, v string) []byte {
	b = append(b, key...)
	b = append(b, '"')
	b = append(b, v...)
	return append(b, '"')
}

// jsonPlain marks the bytes JSON strings may hold as they are: printable
// ASCII but the quote, the backslash and what encoding/json escapes for HTML.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = true
	}
	for _, c := range `"\<>&` {
		t[c] = false
	}
	return t
}()

// appendJSONString quotes v as JSON: printable ASCII is copied as is; any
// other string (control bytes, quotes, invalid UTF-8 in a comm) goes through
// encoding/json's escaping.
func appendJSONString(b []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		if !jsonPlain[v[i]] {
			q, _ := json.Marshal(v)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, v...)
	return append(b, '"')
}

// Record writes one record line.
func (j *JSONWriter) Record(r *events.Record) error {
	// Encoded straight into the writer's free space, not copied there from a
	// buffer of its own (a line longer than that space gets one from append).
	if j.w.Available() < 1024 {
		if err := j.w.Flush(); err != nil {
			return err
		}
	}
	b := j.w.AvailableBuffer()
	b = append(b, `{"type":"`...)
	b = append(b, r.Type.String()...)
	b = append(b, `","time":`...)
	b = j.appendTime(b, r.Time)
	if r.Type == events.RecordLost {
		b = appendUint(b, `,"count":`, r.Count)
		b = append(b, '}', '\n')
		_, err := j.w.Write(b)
		return err
	}
	b = j.appendIdent(b, r)
	switch r.Type {
	case events.RecordFork:
		b = appendUint(b, `,"ppid":`, uint64(r.PPID))
		if r.Callsite != "" {
			b = appendString(b, `,"callsite":`, r.Callsite)
		}
	case events.RecordExec:
		b = appendString(b, `,"filename":`, r.Filename)
	case events.RecordExit:
		b = appendUint(b, `,"ppid":`, uint64(r.PPID))
		b = appendInt(b, `,"exit_code":`, int64(r.Code))
		b = appendInt(b, `,"signal":`, int64(r.Signal))
		b = appendBool(b, `,"core_dumped":`, r.CoreDumped)
	case events.RecordReap:
		b = appendUint(b, `,"ppid":`, uint64(r.PPID))
		b = appendUint(b, `,"zombie_ns":`, r.ZombieNS)
		b = appendName(b, `,"reaped_by":`, string(r.ReapedBy))
		b = appendUint(b, `,"reaper_pid":`, uint64(r.ReaperPID))
		b = appendString(b, `,"reaper_comm":`, r.ReaperComm)
		b = appendBool(b, `,"uncertain":`, r.Uncertain)
		b = appendName(b, `,"method":`, string(r.Method))
		if r.TracerPID != 0 {
			b = appendUint(b, `,"tracer_pid":`, uint64(r.TracerPID))
			b = appendUint(b, `,"held_ns":`, r.HeldNS)
		}
	case events.RecordReparent:
		b = appendUint(b, `,"old_ppid":`, uint64(r.OldPPID))
		b = appendUint(b, `,"new_ppid":`, uint64(r.NewPPID))
		if r.Seen > r.Time {
			b = append(b, `,"seen":`...)
			b = j.appendTime(b, r.Seen)
		}
	}
	b = append(b, '}', '\n')
	_, err := j.w.Write(b)
	return err
}

// appendIdent appends r's pid, start and comm, from the cache when the
// process is the one its slot holds (a comm changes at exec).
func (j *JSONWriter) appendIdent(b []byte, r *events.Record) []byte {
	id := &j.idents[r.PID%identSlots]
	if id.n != 0 && id.pid == r.PID && id.start == r.Start && id.comm == r.Comm {
		return append(b, id.enc[:id.n]...)
	}
	from := len(b)
	b = appendUint(b, `,"pid":`, uint64(r.PID))
	b = appendUint(b, `,"start_ns":`, r.Start)
	b = appendString(b, `,"comm":`, r.Comm)
	id.n = 0
	if n := len(b) - from; n <= len(id.enc) {
		id.pid, id.start, id.comm = r.PID, r.Start, r.Comm
		id.n = uint8(copy(id.enc[:], b[from:]))
	}
	return b
}

// SummaryJSON is the summary line of the contract.
type SummaryJSON struct {
	Type       string       `json:"type"`
	DurationNS uint64       `json:"duration_ns"`
	Processes  uint64       `json:"processes"`
	LostEvents uint64       `json:"lost_events"`
	Evicted    uint64       `json:"parents_evicted,omitempty"`
	Zombies    []ZombieJSON `json:"zombies"`
	Parents    []ParentJSON `json:"parents"`
}

// ZombieJSON is an outstanding zombie in the summary.
type ZombieJSON struct {
	PID         uint32 `json:"pid"`
	StartNS     uint64 `json:"start_ns"`
	PPID        uint32 `json:"ppid"`
	Comm        string `json:"comm"`
	AgeNS       uint64 `json:"age_ns"`
	Preexisting bool   `json:"preexisting"`
	Uncertain   bool   `json:"uncertain"`
}

// ParentJSON is one parent in the summary (docs/json.md: how the row adds
// up, and when waited is null).
type ParentJSON struct {
	PID           uint32 `json:"pid"`
	StartNS       uint64 `json:"start_ns"`
	Comm          string `json:"comm"`
	Children      uint64 `json:"children"`
	Inherited     uint64 `json:"inherited"`
	Reaped        uint64 `json:"reaped"`
	Autoreaped    uint64 `json:"autoreaped"`
	Outstanding   uint64 `json:"outstanding"`
	Waited        *bool  `json:"waited"` // null: unknown
	ZombieNSTotal uint64 `json:"zombie_ns_total"`
	ZombieNSMax   uint64 `json:"zombie_ns_max"`
	ZombieNSP50   uint64 `json:"zombie_ns_p50"`
	ZombieNSP99   uint64 `json:"zombie_ns_p99"`
	// Added in schema 1 after the fields above.
	PreexistingChildren uint64 `json:"preexisting_children"`
	Unseen              uint64 `json:"unseen"`
	PassedOn            uint64 `json:"passed_on"`
	Running             uint64 `json:"running"`
}

// waitedJSON is waited as the contract has it: true, false (never), or
// null (unknown).
func waitedJSON(p events.ParentStats) *bool {
	if !p.Waited && p.WaitedUnknown {
		return nil
	}
	w := p.Waited
	return &w
}

// ToJSON converts a summary to its contract form.
func ToJSON(s *events.Summary) SummaryJSON {
	out := SummaryJSON{Type: "summary", DurationNS: s.DurationNS, Processes: s.Processes,
		LostEvents: s.LostEvents, Evicted: s.ParentsEvicted, Zombies: []ZombieJSON{}, Parents: []ParentJSON{}}
	for _, z := range s.Zombies {
		out.Zombies = append(out.Zombies, ZombieJSON{z.PID, z.Start, z.PPID, z.Comm, z.AgeNS, z.Preexisting, z.Uncertain})
	}
	for _, p := range s.Parents {
		out.Parents = append(out.Parents, ParentJSON{
			PID: p.PID, StartNS: p.Start, Comm: p.Comm,
			Children: p.Children, Inherited: p.Inherited, Reaped: p.Reaped,
			Autoreaped: p.Autoreaped, Outstanding: p.Outstanding, Waited: waitedJSON(p),
			ZombieNSTotal: p.ZombieNSTotal, ZombieNSMax: p.ZombieNSMax,
			ZombieNSP50: p.ZombieNSP50, ZombieNSP99: p.ZombieNSP99,
			PreexistingChildren: p.PreexistingChildren, Unseen: p.Unseen,
			PassedOn: p.PassedOn, Running: p.Running,
		})
	}
	return out
}

// Summary writes the last line.
func (j *JSONWriter) Summary(s *events.Summary) error {
	return j.writeJSON(ToJSON(s))
}

// Flush writes buffered lines.
func (j *JSONWriter) Flush() error { return j.w.Flush() }
