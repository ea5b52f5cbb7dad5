package output

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/zombietrace/zombietrace/events"
)

var clock = Clock{OffsetNS: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC).UnixNano()}

func records() []events.Record {
	return []events.Record{
		{Type: events.RecordFork, Time: 1, PID: 10, Start: 5, Comm: "py", PPID: 1},
		{Type: events.RecordExec, Time: 2, PID: 10, Start: 5, Comm: "py", Filename: `/usr/bin/"q"`},
		{Type: events.RecordExit, Time: 3, PID: 10, Start: 5, Comm: "py", PPID: 1, Status: events.Status{Signal: 11, CoreDumped: true}},
		{Type: events.RecordReap, Time: 1_000_000_003, PID: 10, Start: 5, Comm: "py", PPID: 1, ZombieNS: 1e9,
			ReapedBy: events.ReapedByReaper, ReaperPID: 7, ReaperComm: "init", Method: events.MethodWait4, TracerPID: 9, HeldNS: 5},
		{Type: events.RecordReparent, Time: 4, PID: 10, Start: 5, Comm: "py", OldPPID: 1, NewPPID: 7},
		{Type: events.RecordLost, Time: 5, Count: 3},
	}
}

// Every line is valid JSON with the contract's fields and types.
func TestJSONContract(t *testing.T) {
	var buf bytes.Buffer
	w := NewJSONWriter(&buf, clock)
	if err := w.Start(Start{Version: "v", Kernel: "k", Mode: events.ModeExact}); err != nil {
		t.Fatal(err)
	}
	for _, r := range records() {
		r := r
		if err := w.Record(&r); err != nil {
			t.Fatal(err)
		}
	}
	sum := events.Summary{DurationNS: 9, Processes: 1, Zombies: []events.Zombie{{PID: 3, AgeNS: 4, Preexisting: true}},
		Parents: []events.ParentStats{{PID: 1, Comm: "init", Children: 1, Waited: true, ZombieNSP99: 8}}}
	if err := w.Summary(&sum); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 8 {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	want := map[string][]string{
		"start":    {"schema", "version", "kernel", "mode"},
		"fork":     {"time", "pid", "start_ns", "comm", "ppid"},
		"exec":     {"time", "pid", "start_ns", "comm", "filename"},
		"exit":     {"time", "pid", "start_ns", "comm", "ppid", "exit_code", "signal", "core_dumped"},
		"reap":     {"time", "pid", "start_ns", "comm", "ppid", "zombie_ns", "reaped_by", "reaper_pid", "reaper_comm", "uncertain", "tracer_pid", "held_ns"},
		"reparent": {"time", "pid", "start_ns", "comm", "old_ppid", "new_ppid"},
		"lost":     {"time", "count"},
		"summary":  {"duration_ns", "processes", "lost_events", "zombies", "parents"},
	}
	rfc := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$`)
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("invalid JSON %q: %v", l, err)
		}
		typ, _ := m["type"].(string)
		for _, f := range want[typ] {
			if _, ok := m[f]; !ok {
				t.Errorf("%s line lacks %q: %s", typ, f, l)
			}
		}
		if ts, ok := m["time"].(string); ok && !rfc.MatchString(ts) {
			t.Errorf("time %q is not RFC 3339 UTC", ts)
		}
		if typ == "lost" || typ == "summary" {
			if _, ok := m["pid"]; ok {
				t.Errorf("%s line has a pid", typ)
			}
		}
	}
	if !strings.Contains(lines[0], `"mode":"exact"`) || !strings.Contains(lines[0], `"schema":1`) {
		t.Errorf("start line %s", lines[0])
	}
	if !strings.Contains(lines[2], `"filename":"/usr/bin/\"q\""`) {
		t.Errorf("exec line not escaped: %s", lines[2])
	}
	if !strings.Contains(lines[4], `"time":"2026-11-25T10:00:01.000000003Z"`) {
		t.Errorf("reap time: %s", lines[4])
	}
	var s SummaryJSON
	json.Unmarshal([]byte(lines[7]), &s)
	if len(s.Zombies) != 1 || !s.Zombies[0].Preexisting || s.Parents[0].ZombieNSP99 != 8 {
		t.Errorf("summary %+v", s)
	}
}

func TestTextView(t *testing.T) {
	var buf bytes.Buffer
	w := NewTextWriter(&buf, clock, false)
	for _, r := range records() {
		r := r
		w.Record(&r)
	}
	w.Summary(&events.Summary{DurationNS: 2e9, Processes: 1, LostEvents: 3,
		Parents: []events.ParentStats{{PID: 1, Comm: "leaky", Children: 2, Outstanding: 1, ZombieNSTotal: 3e9}},
		Zombies: []events.Zombie{{PID: 3, PPID: 1, Comm: "w", ParentComm: "leaky", AgeNS: 2e9}}})
	w.Flush()
	out := buf.String()
	for _, want := range []string{
		"killed by signal 11 (SIGSEGV) (core dumped)",
		"zombie 1.000s, reaped by reaper 7 init, held 5ns by tracer 9",
		"reparented 1 -> 7",
		"3 events lost",
		"NEVER WAITED while holding zombies: 1 (leaky)",
		"OUTSTANDING ZOMBIES: 1",
		"WARNING: 3 events were lost",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text view lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "/usr/bin") {
		t.Error("exec shown without -v")
	}
}

// A reparent is seen late (when the orphan exits) and stamped with its old
// parent's death: the text view keeps its lines in time order by stamping it
// with when it was seen and naming the death's time in the detail; JSON
// gives both.
func TestReparentSeenLate(t *testing.T) {
	recs := []events.Record{
		{Type: events.RecordReap, Time: 2e9, PID: 11, Start: 6, Comm: "sib", PPID: 1, ZombieNS: 1e6,
			ReapedBy: events.ReapedByParent, ReaperPID: 1, Method: events.MethodWait4},
		{Type: events.RecordReparent, Time: 1e9, Seen: 3e9, PID: 10, Start: 5, Comm: "orphan", OldPPID: 1, NewPPID: 7},
	}
	stamp := func(ns uint64) string { return clock.Wall(ns).Local().Format("15:04:05.000") }
	var buf bytes.Buffer
	w := NewTextWriter(&buf, clock, false)
	for i := range recs {
		w.Record(&recs[i])
	}
	w.Flush()
	var stamps []string
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n")[1:] {
		stamps = append(stamps, strings.Fields(line)[0])
	}
	if len(stamps) != 2 || stamps[0] != stamp(2e9) || stamps[1] != stamp(3e9) {
		t.Errorf("line times %v, want %s then %s (seen):\n%s", stamps, stamp(2e9), stamp(3e9), buf.String())
	}
	if want := "reparented 1 -> 7 at 1's death, " + stamp(1e9); !strings.Contains(buf.String(), want) {
		t.Errorf("text lacks %q:\n%s", want, buf.String())
	}

	buf.Reset()
	j := NewJSONWriter(&buf, clock)
	j.Record(&recs[1])
	j.Flush()
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	iso := func(ns uint64) string { return clock.Wall(ns).UTC().Format("2006-01-02T15:04:05.000000000Z") }
	if m["time"] != iso(1e9) || m["seen"] != iso(3e9) {
		t.Errorf("json time %v seen %v, want %s and %s: %s", m["time"], m["seen"], iso(1e9), iso(3e9), buf.String())
	}
}

// The summary's counts agree with their nouns: "1 processes" read as a bug.
func TestTextSummaryPlurals(t *testing.T) {
	for _, tc := range []struct {
		procs, lost uint64
		want        string
	}{
		{1, 1, "SUMMARY: 1 process in 2.000s, 1 lost event\n"},
		{0, 0, "SUMMARY: 0 processes in 2.000s, 0 lost events\n"},
		{2, 3, "SUMMARY: 2 processes in 2.000s, 3 lost events\n"},
	} {
		var buf bytes.Buffer
		w := NewTextWriter(&buf, clock, false)
		w.Summary(&events.Summary{DurationNS: 2e9, Processes: tc.procs, LostEvents: tc.lost})
		w.Flush()
		if !strings.Contains(buf.String(), "\n"+tc.want) || strings.Contains(buf.String(), "1 events") {
			t.Errorf("%d processes, %d lost: want %q in:\n%s", tc.procs, tc.lost, tc.want, buf.String())
		}
	}
}

func TestFilter(t *testing.T) {
	f := Filter{MinZombieNS: 5e8, Comm: regexp.MustCompile("^py")}
	for _, r := range records() {
		r := r
		got := f.Keep(&r)
		want := r.Type == events.RecordReap || r.Type == events.RecordReparent || r.Type == events.RecordLost
		if got != want {
			t.Errorf("%s: keep=%v", r.Type, got)
		}
	}
	r := events.Record{Type: events.RecordReap, Comm: "sh", ParentComm: "bash", ZombieNS: 1e9}
	if f.Keep(&r) {
		t.Error("comm filter let sh/bash through")
	}
	r.ParentComm = "python3"
	if !f.Keep(&r) {
		t.Error("parent comm match dropped")
	}
}

// The hand encoder's exact bytes: key order, number and time formats.
func TestJSONRecordBytes(t *testing.T) {
	var buf bytes.Buffer
	w := NewJSONWriter(&buf, clock)
	for _, r := range records() {
		r := r
		if err := w.Record(&r); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	want := `{"type":"fork","time":"2026-11-25T10:00:00.000000001Z","pid":10,"start_ns":5,"comm":"py","ppid":1}
{"type":"exec","time":"2026-11-25T10:00:00.000000002Z","pid":10,"start_ns":5,"comm":"py","filename":"/usr/bin/\"q\""}
{"type":"exit","time":"2026-11-25T10:00:00.000000003Z","pid":10,"start_ns":5,"comm":"py","ppid":1,"exit_code":0,"signal":11,"core_dumped":true}
{"type":"reap","time":"2026-11-25T10:00:01.000000003Z","pid":10,"start_ns":5,"comm":"py","ppid":1,"zombie_ns":1000000000,"reaped_by":"reaper","reaper_pid":7,"reaper_comm":"init","uncertain":false,"method":"wait4","tracer_pid":9,"held_ns":5}
{"type":"reparent","time":"2026-11-25T10:00:00.000000004Z","pid":10,"start_ns":5,"comm":"py","old_ppid":1,"new_ppid":7}
{"type":"lost","time":"2026-11-25T10:00:00.000000005Z","count":3}
`
	if got := buf.String(); got != want {
		t.Errorf("got:\n%swant:\n%s", got, want)
	}
	// A time before the clock's offset second and one with a full fraction.
	buf.Reset()
	w = NewJSONWriter(&buf, Clock{OffsetNS: -1})
	for _, ts := range []uint64{0, 1_999_999_999} {
		w.Record(&events.Record{Type: events.RecordLost, Time: ts, Count: 1})
	}
	w.Flush()
	want = `{"type":"lost","time":"1969-12-31T23:59:59.999999999Z","count":1}
{"type":"lost","time":"1970-01-01T00:00:01.999999998Z","count":1}
`
	if got := buf.String(); got != want {
		t.Errorf("got:\n%swant:\n%s", got, want)
	}
}

func BenchmarkJSONRecord(b *testing.B) {
	var buf bytes.Buffer
	w := NewJSONWriter(&buf, clock)
	r := records()[3]
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		w.Record(&r)
	}
}

func TestJSONStringEscaping(t *testing.T) {
	for _, v := range []string{"plain", `q"uote`, "back\\slash", "nul\x00", "tab\t", "\xff\xfe", "ünï", "<a&b>"} {
		b := appendJSONString(nil, v)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q -> %s: %v", v, b, err)
		}
		if utf8.ValidString(v) && got != v {
			t.Errorf("%q -> %s -> %q", v, b, got)
		}
	}
}

// A process's identity is encoded once and reused: lines of another process
// in the same slot, of a reused pid, or after an exec changed the comm must
// still carry their own.
func TestJSONIdentityReuse(t *testing.T) {
	recs := []events.Record{
		{Type: events.RecordFork, PID: 10, Start: 5, Comm: "sh"},
		{Type: events.RecordExit, PID: 10 + identSlots, Start: 6, Comm: "other"},
		{Type: events.RecordExit, PID: 10, Start: 5, Comm: "sh"},
		{Type: events.RecordExec, PID: 10, Start: 5, Comm: "python3"},
		{Type: events.RecordReap, PID: 10, Start: 5, Comm: "python3"},
		{Type: events.RecordFork, PID: 10, Start: 9, Comm: "python3"},
		{Type: events.RecordFork, PID: 11, Start: 1, Comm: strings.Repeat("\x01", 16)},
		{Type: events.RecordExit, PID: 11, Start: 1, Comm: strings.Repeat("\x01", 16)},
	}
	var buf bytes.Buffer
	w := NewJSONWriter(&buf, clock)
	for i := range recs {
		if err := w.Record(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != len(recs) {
		t.Fatalf("%d lines for %d records", len(lines), len(recs))
	}
	for i, l := range lines {
		var got struct {
			PID   uint32 `json:"pid"`
			Start uint64 `json:"start_ns"`
			Comm  string `json:"comm"`
		}
		if err := json.Unmarshal([]byte(l), &got); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, l)
		}
		r := recs[i]
		if got.PID != r.PID || got.Start != r.Start || got.Comm != r.Comm {
			t.Errorf("line %d: %+v, want pid %d start %d comm %q", i, got, r.PID, r.Start, r.Comm)
		}
	}
}

// waited is true, false (never) or null (unknown); readers that take it as
// a bool see false for null.
func TestJSONSummaryWaited(t *testing.T) {
	var buf bytes.Buffer
	w := NewJSONWriter(&buf, clock)
	w.Summary(&events.Summary{Parents: []events.ParentStats{
		{PID: 1, Comm: "systemd", Inherited: 2, WaitedUnknown: true},
		{PID: 2, Comm: "leaky", Children: 3, Outstanding: 1},
		{PID: 3, Comm: "good", Children: 1, Reaped: 1, Waited: true},
	}})
	w.Flush()
	line := strings.TrimSpace(buf.String())
	for _, want := range []string{
		`"pid":1,"start_ns":0,"comm":"systemd","children":0,"inherited":2,"reaped":0,"autoreaped":0,"outstanding":0,"waited":null,`,
		`"pid":2,"start_ns":0,"comm":"leaky","children":3,"inherited":0,"reaped":0,"autoreaped":0,"outstanding":1,"waited":false,`,
		`"pid":3,"start_ns":0,"comm":"good","children":1,"inherited":0,"reaped":1,"autoreaped":0,"outstanding":0,"waited":true,`,
	} {
		if !strings.Contains(line, want) {
			t.Errorf("summary lacks %s:\n%s", want, line)
		}
	}
	var asBool struct {
		Parents []struct {
			PID    uint32 `json:"pid"`
			Waited bool   `json:"waited"`
		} `json:"parents"`
	}
	if err := json.Unmarshal([]byte(line), &asBool); err != nil {
		t.Fatalf("a reader that takes waited as a bool: %v", err)
	}
	for _, p := range asBool.Parents {
		if p.Waited != (p.PID == 3) {
			t.Errorf("pid %d read as waited=%v", p.PID, p.Waited)
		}
	}
}

// WAITED is yes, NEVER or ?; only NEVER parents are on the NEVER WAITED
// line, each with its name.
func TestTextSummaryWaited(t *testing.T) {
	var buf bytes.Buffer
	w := NewTextWriter(&buf, clock, false)
	w.Summary(&events.Summary{Parents: []events.ParentStats{
		{PID: 22053, Comm: "leaky", Outstanding: 2, ZombieNSTotal: 3e9},
		{PID: 1, Comm: "systemd", Inherited: 2, WaitedUnknown: true, ZombieNSTotal: 2e9},
		{PID: 7, Comm: "good", Children: 1, Reaped: 1, Waited: true, ZombieNSTotal: 1e6},
	}})
	w.Flush()
	out := buf.String()
	if !strings.Contains(out, "NEVER WAITED while holding zombies: 22053 (leaky)\n") {
		t.Errorf("want only the never-waiting parent on the NEVER WAITED line:\n%s", out)
	}
	waited := map[string]string{}
	var col int
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) > 0 && f[0] == "PID" && col == 0:
			for i, h := range f {
				if h == "WAITED" {
					col = i
				}
			}
		case col > 0 && len(f) > col:
			waited[f[1]] = f[col]
		}
	}
	for comm, want := range map[string]string{"leaky": "NEVER", "systemd": "?", "good": "yes"} {
		if waited[comm] != want {
			t.Errorf("%s: WAITED %q, want %q:\n%s", comm, waited[comm], want, out)
		}
	}
	if !strings.Contains(out, "WAITED ?: ") {
		t.Errorf("no note on what ? means:\n%s", out)
	}
}

// The counts added within schema 1, after the older fields.
func TestJSONSummaryRowCounts(t *testing.T) {
	var buf bytes.Buffer
	w := NewJSONWriter(&buf, clock)
	w.Summary(&events.Summary{Parents: []events.ParentStats{
		{PID: 2, Comm: "leaky", Children: 3, PreexistingChildren: 1, Unseen: 1, PassedOn: 2, Running: 1},
	}})
	w.Flush()
	want := `"zombie_ns_p99":0,"preexisting_children":1,"unseen":1,"passed_on":2,"running":1}`
	if line := buf.String(); !strings.Contains(line, want) {
		t.Errorf("summary lacks %s:\n%s", want, line)
	}
}

// A row of the text view adds up: the rarer count columns (PREEXISTING,
// UNSEEN, PASSED ON, RUNNING) appear when a row has one.
func TestTextSummaryColumns(t *testing.T) {
	var buf bytes.Buffer
	w := NewTextWriter(&buf, clock, false)
	w.Summary(&events.Summary{Parents: []events.ParentStats{
		{PID: 22053, Comm: "leaky", PreexistingChildren: 2, PassedOn: 2, ZombieNSTotal: 3e9, ZombieNSMax: 2e9, ZombieNSP50: 1e9, ZombieNSP99: 2e9},
		{PID: 1, Comm: "systemd", Inherited: 2, Unseen: 2, WaitedUnknown: true, ZombieNSTotal: 2e9, ZombieNSMax: 1e9, ZombieNSP50: 1e9, ZombieNSP99: 1e9},
	}})
	w.Flush()
	out := buf.String()
	want := map[string][]string{
		"PID":   {"PID", "COMM", "CHILDREN", "PREEXISTING", "INHERITED", "REAPED", "UNSEEN", "AUTOREAPED", "PASSED", "ON", "OUTSTANDING", "WAITED", "ZOMBIE", "TOTAL", "MAX", "P50", "P99"},
		"22053": {"22053", "leaky", "0", "2", "0", "0", "0", "0", "2", "0", "NEVER", "3.000s", "2.000s", "1.000s", "2.000s"},
		"1":     {"1", "systemd", "0", "0", "2", "0", "2", "0", "0", "0", "?", "2.000s", "1.000s", "1.000s", "1.000s"},
	}
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) == 0 || want[f[0]] == nil {
			continue
		}
		if strings.Join(f, " ") != strings.Join(want[f[0]], " ") {
			t.Errorf("row %q, want %q", strings.Join(f, " "), strings.Join(want[f[0]], " "))
		}
		delete(want, f[0])
	}
	if len(want) != 0 {
		t.Errorf("rows missing %v:\n%s", want, out)
	}

	// Without those counts, the table has its usual columns.
	buf.Reset()
	w.Summary(&events.Summary{Parents: []events.ParentStats{{PID: 7, Comm: "ok", Children: 1, Reaped: 1, Waited: true}}})
	w.Flush()
	if !strings.Contains(buf.String(), "PID  COMM  CHILDREN  INHERITED  REAPED  AUTOREAPED  OUTSTANDING  WAITED  ZOMBIE TOTAL  MAX  P50  P99\n") {
		t.Errorf("usual columns:\n%s", buf.String())
	}
}

// --comm RE keeps a parent whose children match although it does not:
// zombietrace run --comm true -- python3 app.py, where app.py leaks trues.
func TestFilterSummaryKeepsParentsOfMatchingChildren(t *testing.T) {
	f := Filter{Comm: regexp.MustCompile("true")}
	s := events.Summary{Parents: []events.ParentStats{
		{PID: 10, Comm: "python3", Children: 3, PassedOn: 3, ChildMatched: true, ZombieNSTotal: 3e9},
		{PID: 11, Comm: "zombietrace", Inherited: 3, Reaped: 3, ChildMatched: true, Waited: true},
		{PID: 12, Comm: "bash", Children: 1, Reaped: 1, Waited: true},
	}}
	f.FilterSummary(&s)
	var kept []string
	for _, p := range s.Parents {
		kept = append(kept, p.Comm)
	}
	if strings.Join(kept, ",") != "python3,zombietrace" {
		t.Errorf("kept parents %v, want python3 and zombietrace (their children match), not bash", kept)
	}
}

// Durations from a minute on read as Go writes them, not as thousands of
// seconds; shorter ones keep their formats.
func TestDurOverAMinute(t *testing.T) {
	for ns, want := range map[uint64]string{
		850:               "850ns",
		12_345:            "12us",
		3_400_000:         "3.4ms",
		5e9:               "5.000s",
		59_999_000_000:    "59.999s",
		59_999_600_000:    "1m0s",
		60e9:              "1m0s",
		61_500_000_000:    "1m1.5s",
		3720e9:            "1h2m0s",
		90061_234_567_890: "25h1m1.235s",
	} {
		if got := Dur(ns); got != want {
			t.Errorf("Dur(%d) = %q, want %q", ns, got, want)
		}
	}
}
