package report

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/internal/report/reporttest"
)

// load replays path with opt and returns the records Keep keeps.
func load(t *testing.T, path string, opt Options) (*Replay, []events.Record, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var kept []events.Record
	r, err := Load(f, path, opt, func(r *Replay, rec *events.Record) {
		if r.Keep(rec) {
			kept = append(kept, *rec)
		}
	}, nil)
	return r, kept, err
}

func mustLoad(t *testing.T, path string, opt Options) (*Replay, []events.Record) {
	t.Helper()
	r, kept, err := load(t, path, opt)
	if err != nil {
		t.Fatal(err)
	}
	return r, kept
}

// Windows that make no sense are refused with one line naming the flag and
// the recording's end; a --to past the end reports up to the end and says so.
func TestWindowRefusals(t *testing.T) {
	path := reporttest.Write(t, t.TempDir(), "r.zt", reporttest.Options{})
	for _, c := range []struct {
		opt  Options
		want string
	}{
		{Options{From: "5s", To: "2s"}, "--from 5s is not before --to 2s: the window is empty"},
		{Options{From: "3s", To: "3s"}, "--from 3s is not before --to 3s"},
		{Options{From: "1h"}, "--from 1h: not before the end (the recording ends at +8.000s)"},
		{Options{From: "8s"}, "--from 8s: not before the end"},
		{Options{At: "99s"}, "--at 99s: after the end (the recording ends at +8.000s)"},
		{Options{To: "2026-11-25T09:59:59Z"}, "--to 2026-11-25T09:59:59Z: before the recording's start (2026-11-25T10:00:00Z)"},
		{Options{At: "yesterday"}, `--at "yesterday": want RFC 3339`},
	} {
		_, _, err := load(t, path, c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: error %v, want one line with %q", c.opt, err, c.want)
		}
	}
	r, _ := mustLoad(t, path, Options{To: "99s"})
	if r.End != reporttest.Start+reporttest.EndOffset {
		t.Errorf("--to 99s: window ends at %d, want the recording's end", r.End)
	}
	if w := strings.Join(r.Warnings(), "\n"); !strings.Contains(w, "--to 99s is after the end (the recording ends at +8.000s): reporting up to the end") {
		t.Errorf("--to 99s: warnings %q", w)
	}
	// The edges are fine: the tree at the start, at the end.
	for _, at := range []string{"0s", "8s", "2026-11-25T10:00:08Z"} {
		if _, _, err := load(t, path, Options{At: at}); err != nil {
			t.Errorf("--at %s: %v", at, err)
		}
	}
}

// A window that ends before the recording does is not an abrupt end: the
// whole file is read, and only a file without its end frame is one.
func TestWindowNoFalseAbruptEnd(t *testing.T) {
	dir := t.TempDir()
	path := reporttest.Write(t, dir, "r.zt", reporttest.Options{})
	for _, opt := range []Options{{To: "3s"}, {At: "2s"}, {From: "1s", To: "4.5s"}, {}} {
		r, _ := mustLoad(t, path, opt)
		if len(r.Warnings()) != 0 || !r.Reader.Clean {
			t.Errorf("%+v: warnings %q, clean %v", opt, r.Warnings(), r.Reader.Clean)
		}
	}
	killed := reporttest.Write(t, dir, "killed.zt", reporttest.Options{Abrupt: true})
	r, _ := mustLoad(t, killed, Options{To: "3s"})
	if w := strings.Join(r.Warnings(), "\n"); !strings.Contains(w, "no end frame") {
		t.Errorf("killed recording: warnings %q", w)
	}
	if r.RecordingEnd != reporttest.Start+6e9 {
		t.Errorf("killed recording ends at %d, want its last event", r.RecordingEnd)
	}
}

// The summary's header shows the window reported, not the whole recording.
func TestWindowHeader(t *testing.T) {
	path := reporttest.Write(t, t.TempDir(), "r.zt", reporttest.Options{})
	for _, c := range []struct {
		opt  Options
		want string
	}{
		{Options{}, "from 2026-11-25T10:00:00Z to 2026-11-25T10:00:08Z (+8.000s)\n"},
		{Options{From: "5s"}, "from 2026-11-25T10:00:05Z to 2026-11-25T10:00:08Z (+3.000s: +5.000s to +8.000s of the recording)\n"},
		{Options{From: "2s", To: "6s"}, "from 2026-11-25T10:00:02Z to 2026-11-25T10:00:06Z (+4.000s: +2.000s to +6.000s of the recording)\n"},
	} {
		r, _ := mustLoad(t, path, c.opt)
		var b bytes.Buffer
		WriteWindow(&b, r)
		if !strings.HasSuffix(b.String(), c.want) {
			t.Errorf("%+v: header\n%s\nwant it to end with %q", c.opt, b.String(), c.want)
		}
		if s := r.Summary(); c.opt.From != "" && s.DurationNS != r.End-r.Start {
			t.Errorf("%+v: summary over %d ns, window of %d", c.opt, s.DurationNS, r.End-r.Start)
		}
	}
}

// The recording's --comm filter is for the views: the summary the recorder
// stored is of every process, and a report recomputes exactly that.
func TestVerifyWithCommFilter(t *testing.T) {
	path := reporttest.Write(t, t.TempDir(), "r.zt", reporttest.Options{Comm: "^worker$"})
	r, kept := mustLoad(t, path, Options{})
	if !r.Whole() {
		t.Fatal("a recording made with --comm is not taken as whole")
	}
	if got := r.Engine.Summary(r.End); !reflect.DeepEqual(got, r.Reader.Summary.Summary) {
		t.Errorf("recomputed %+v\nstored %+v", got, r.Reader.Summary.Summary)
	}
	for _, rec := range kept {
		if rec.Comm != "worker" && rec.ParentComm != "worker" {
			t.Errorf("the --comm filter let through %+v", rec)
		}
	}
	if s := r.Summary(); len(s.Zombies) != 1 || s.Zombies[0].PID != reporttest.Worker.PID() {
		t.Errorf("filtered zombies %+v", s.Zombies)
	}
}

// --pid P covers P and all its descendants: those forked while recording
// (grandchildren too), those below it in the table at the start, and the
// reparenting of its descendants to init.
func TestPIDDescendants(t *testing.T) {
	path := reporttest.Write(t, t.TempDir(), "r.zt", reporttest.Options{})
	r, kept := mustLoad(t, path, Options{PID: reporttest.Server.PID()})
	got := map[string]bool{}
	for _, rec := range kept {
		got[rec.Type.String()+" "+itoa(rec.PID)] = true
		if rec.PID == reporttest.Cron.PID() || rec.PID == reporttest.Kworker.PID() {
			t.Errorf("kept a process outside the subtree: %+v", rec)
		}
	}
	for _, want := range []string{"fork 101", "fork 102", "fork 103", "reap 102", "exit 101", "reparent 103", "exit 103", "reap 103", "exit 151"} {
		if !got[want] {
			t.Errorf("no %s record for --pid 100; kept %v", want, got)
		}
	}
	s := r.Summary()
	var zs []uint32
	for _, z := range s.Zombies {
		zs = append(zs, z.PID)
	}
	if !reflect.DeepEqual(zs, []uint32{101, 151}) && !reflect.DeepEqual(zs, []uint32{151, 101}) {
		t.Errorf("zombies %v, want 101 (a child) and 151 (a grandchild from the table at the start)", zs)
	}
	ps := map[uint32]bool{}
	for _, p := range s.Parents {
		ps[p.PID] = true
	}
	if !ps[100] || !ps[101] || !ps[150] || ps[1] {
		t.Errorf("parents %v, want 100, 101 and 150, not init", ps)
	}
	// A child's subtree is its own.
	_, kept = mustLoad(t, path, Options{PID: reporttest.Worker.PID()})
	for _, rec := range kept {
		if rec.PID == reporttest.Idle.PID() {
			t.Errorf("--pid 101 kept its uncle's child: %+v", rec)
		}
	}
}

// The tree leaves kernel threads out unless asked, shows --pid's subtree
// only, and renders as JSON.
func TestTree(t *testing.T) {
	path := reporttest.Write(t, t.TempDir(), "r.zt", reporttest.Options{})
	text := func(opt Options, topt TreeOptions) string {
		r, _ := mustLoad(t, path, opt)
		var b bytes.Buffer
		WriteTreeText(&b, r, BuildTree(r, topt))
		return b.String()
	}
	out := text(Options{}, TreeOptions{})
	if strings.Contains(out, "kthreadd") || strings.Contains(out, "kworker") {
		t.Errorf("kernel threads listed:\n%s", out)
	}
	for _, want := range []string{"1 systemd", "100 server", "101 worker <defunct> zombie for 4.000s, 100 owes the wait (never waited)", "151 idle <defunct>"} {
		if !strings.Contains(out, want) {
			t.Errorf("tree lacks %q:\n%s", want, out)
		}
	}
	out = text(Options{}, TreeOptions{KernelThreads: true})
	if !strings.Contains(out, "2 kthreadd") || !strings.Contains(out, "3 kworker/0:0") || !strings.Contains(out, "4 kthreadd") {
		t.Errorf("--kernel-threads: kernel threads missing:\n%s", out)
	}
	out = text(Options{PID: reporttest.Server.PID()}, TreeOptions{})
	if !strings.HasPrefix(strings.SplitN(out, "\n", 2)[1], "100 server\n") || strings.Contains(out, "systemd") || !strings.Contains(out, "151 idle") {
		t.Errorf("--pid 100: not its subtree:\n%s", out)
	}
	r, _ := mustLoad(t, path, Options{At: "2.5s"})
	var b bytes.Buffer
	if err := WriteTreeJSON(&b, r, BuildTree(r, TreeOptions{})); err != nil {
		t.Fatal(err)
	}
	var tj struct {
		Type      string          `json:"type"`
		Time      string          `json:"time"`
		OffsetNS  uint64          `json:"offset_ns"`
		Processes []*Node         `json:"processes"`
		Raw       json.RawMessage `json:"-"`
	}
	if err := json.Unmarshal(b.Bytes(), &tj); err != nil || strings.Count(b.String(), "\n") != 1 {
		t.Fatalf("tree --json is not one JSON object: %v\n%s", err, b.String())
	}
	if tj.Type != "tree" || tj.Time != "2026-11-25T10:00:02.5Z" || tj.OffsetNS != 25e8 {
		t.Errorf("tree --json: %s %s %d", tj.Type, tj.Time, tj.OffsetNS)
	}
	var find func([]*Node, uint32) *Node
	find = func(ns []*Node, pid uint32) *Node {
		for _, n := range ns {
			if n.PID == pid {
				return n
			}
			if f := find(n.Children, pid); f != nil {
				return f
			}
		}
		return nil
	}
	done := find(tj.Processes, reporttest.Done.PID())
	if done == nil || done.State != events.ProcZombie || done.Zombie == nil || done.Zombie.AgeNS != 5e8 || done.Zombie.OwedBy != 101 || done.PPID != 101 {
		t.Errorf("pid 102 at 2.5s: %+v", done)
	}
	if n := find(tj.Processes, 150); n == nil || !n.AtStart || n.State != events.ProcRunning {
		t.Errorf("pid 150 (table at the start): %+v", n)
	}
}

// explain: times to the millisecond like the other views, and JSON.
func TestExplain(t *testing.T) {
	path := reporttest.Write(t, t.TempDir(), "r.zt", reporttest.Options{})
	story := NewStory(reporttest.Worker.PID())
	f, _ := os.Open(path)
	defer f.Close()
	r, err := Load(f, path, Options{}, func(_ *Replay, rec *events.Record) { story.Record(rec) }, story.Event)
	if err != nil {
		t.Fatal(err)
	}
	story.Finish(r)
	var b bytes.Buffer
	WriteStoryText(&b, r, story)
	out := b.String()
	line := regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{3}  \+\S+ +\S`)
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !line.MatchString(l) && !strings.HasPrefix(l, "still a zombie") {
			t.Errorf("line not timed to the millisecond: %q", l)
		}
	}
	for _, want := range []string{"+1.000s     forked by 100 (server)", "exec /usr/bin/worker", "+4.000s     exited (exit code 0) and became a zombie",
		"still a zombie at the end (4.000s): 100 owes the wait; it never entered a wait that could collect it"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	if err := WriteStoryJSON(&b, r, story); err != nil {
		t.Fatal(err)
	}
	var sj struct {
		Type  string           `json:"type"`
		PID   uint32           `json:"pid"`
		Steps []map[string]any `json:"steps"`
		Out   *struct {
			AgeNS  uint64 `json:"age_ns"`
			OwedBy uint32 `json:"owed_by"`
			Waited bool   `json:"waited"`
		} `json:"outstanding"`
	}
	if err := json.Unmarshal(b.Bytes(), &sj); err != nil {
		t.Fatalf("explain --json: %v\n%s", err, b.String())
	}
	if sj.Type != "explain" || sj.PID != 101 || len(sj.Steps) != 3 || sj.Out == nil || sj.Out.AgeNS != 4e9 || sj.Out.OwedBy != 100 {
		t.Errorf("explain --json: %s", b.String())
	}
	if s := sj.Steps[0]; s["what"] != "fork" || s["time"] != "2026-11-25T10:00:01Z" || s["offset_ns"] != 1e9 || s["ppid"] != 100.0 {
		t.Errorf("first step %v", s)
	}
	if s := sj.Steps[2]; s["what"] != "exit" || s["exit_code"] != 0.0 || s["signal"] != 0.0 {
		t.Errorf("exit step %v", s)
	}
}

// Four bytes damaged at a third of a short recording (inside the process
// table): the report goes on with every event and says what was lost.
func TestDamagedProcessTable(t *testing.T) {
	dir := t.TempDir()
	path := reporttest.Write(t, dir, "r.zt", reporttest.Options{ExtraProcs: 40})
	b, _ := os.ReadFile(path)
	copy(b[len(b)/3:], []byte{0xde, 0xad, 0xbe, 0xef})
	os.WriteFile(path, b, 0o644)
	r, _, err := load(t, path, Options{})
	if err != nil {
		t.Fatalf("a damaged process table: %v", err)
	}
	w := strings.Join(r.Warnings(), "\n")
	if !strings.Contains(w, "the process table at its start is damaged (at byte ") || !strings.Contains(w, "reporting from the next whole frame on") {
		t.Errorf("warnings %q", w)
	}
	if len(r.Reader.Procs) != 0 || !r.Reader.Clean {
		t.Errorf("procs %d, clean %v", len(r.Reader.Procs), r.Reader.Clean)
	}
	// Every event came through; names known only from the lost table are
	// blank now.
	got, want := r.Engine.Summary(r.End), r.Reader.Summary.Summary
	for _, s := range []*events.Summary{&got, &want} {
		for i := range s.Parents {
			s.Parents[i].Comm = ""
		}
		for i := range s.Zombies {
			s.Zombies[i].ParentComm = ""
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the events did not all come through: recomputed %+v\nstored %+v", got, want)
	}
}

func itoa(v uint32) string { return strconv.FormatUint(uint64(v), 10) }

// FILE - is standard input.
func TestOpenStdin(t *testing.T) {
	path := reporttest.Write(t, t.TempDir(), "r.zt", reporttest.Options{})
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stdin := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = stdin }()
	src, name, err := Open("-")
	if err != nil || name != "stdin" {
		t.Fatalf("Open(-): %q %v", name, err)
	}
	r, err := Load(src, name, Options{}, nil, nil)
	if err != nil || !r.Reader.Clean || len(r.Summary().Zombies) != 2 {
		t.Fatalf("a recording on stdin: %v", err)
	}
}
