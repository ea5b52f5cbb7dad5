package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func TestMain(m *testing.M) {
	// The text views print times in the local zone: the golden files are
	// in UTC wherever the tests run.
	time.Local = time.UTC
	os.Exit(m.Run())
}

// golden compares got with testdata/name (rewritten with -update).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update to accept):\n%s", path, got)
	}
}

// render replays path over opt, feeding each, then writes the view.
func render(t *testing.T, path string, opt Options, each func(*Replay, *events.Record), write func(*bytes.Buffer, *Replay) error) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := Load(f, path, opt, each, nil)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := write(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The views, on the story of reporttest: the whole recording, a window and
// a subtree.
var viewCases = []struct {
	name string
	opt  Options
}{
	{"whole", Options{}},
	{"from2s", Options{From: "2s"}},
	{"pid100", Options{PID: reporttest.Server.PID()}},
}

func TestSummaryGolden(t *testing.T) {
	path := reporttest.Write(t, t.TempDir(), "r.zt", reporttest.Options{})
	for _, c := range viewCases {
		t.Run(c.name, func(t *testing.T) {
			var zombieNS ZombieTimes
			golden(t, "summary-"+c.name+".golden", render(t, path, c.opt, zombieNS.Record, func(b *bytes.Buffer, r *Replay) error {
				return WriteSummaryText(b, r, zombieNS)
			}))
		})
	}
	golden(t, "summary.json.golden", render(t, path, Options{}, nil, func(b *bytes.Buffer, r *Replay) error {
		return WriteSummaryJSON(b, r)
	}))
}

// The histogram's decades at their edges, and an empty one.
func TestHistogramGolden(t *testing.T) {
	var b bytes.Buffer
	WriteHistogram(&b, nil)
	WriteHistogram(&b, []uint64{999, 1e3, 5e4, 2e6, 2e6, 2e6, 99e6, 1e9, 150e9, 3e5})
	golden(t, "histogram.golden", b.Bytes())
}

func TestStreamGolden(t *testing.T) {
	path := reporttest.Write(t, t.TempDir(), "r.zt", reporttest.Options{})
	for _, c := range []struct {
		name string
		opt  Options
		typ  string
		json bool
	}{
		{"events.golden", Options{}, "", false},
		{"events.json.golden", Options{}, "", true},
		{"events-reap-pid101.golden", Options{PID: reporttest.Worker.PID()}, "reap", false},
		{"events-reparent-from2s.json.golden", Options{From: "2s"}, "reparent", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			s, err := NewStream(&b, c.typ, c.json)
			if err != nil {
				t.Fatal(err)
			}
			render(t, path, c.opt, s.Record, func(_ *bytes.Buffer, r *Replay) error { return s.Finish(r) })
			golden(t, c.name, b.Bytes())
		})
	}
	if _, err := NewStream(nil, "zombie", false); err == nil || err.Error() != `--type "zombie": want fork, exec, exit, reap, reparent or lost` {
		t.Errorf("--type zombie: %v", err)
	}
}

func TestTimelineGolden(t *testing.T) {
	path := reporttest.Write(t, t.TempDir(), "r.zt", reporttest.Options{})
	for _, c := range viewCases {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			tl := NewTimeline(&b)
			render(t, path, c.opt, tl.Record, func(_ *bytes.Buffer, r *Replay) error { return tl.Finish(r) })
			var v struct {
				TraceEvents []map[string]any `json:"traceEvents"`
			}
			if err := json.Unmarshal(b.Bytes(), &v); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, b.String())
			}
			if n := strings.Count(b.String(), `"cat":"zombie"`); n != tl.Zombies() {
				t.Errorf("%d zombie spans written, %d counted", n, tl.Zombies())
			}
			golden(t, "timeline-"+c.name+".golden", b.Bytes())
		})
	}
}

// --verify passes on the whole recording only, and needs the recorder's
// own summary.
func TestVerify(t *testing.T) {
	dir := t.TempDir()
	path := reporttest.Write(t, dir, "r.zt", reporttest.Options{})
	r, _ := mustLoad(t, path, Options{})
	if err := Verify(r); err != nil {
		t.Errorf("the whole recording: %v", err)
	}
	r, _ = mustLoad(t, path, Options{From: "1s"})
	if err := Verify(r); err == nil || !strings.Contains(err.Error(), "only the whole recording") {
		t.Errorf("--from 1s: %v", err)
	}
	killed := reporttest.Write(t, dir, "killed.zt", reporttest.Options{Abrupt: true})
	r, _ = mustLoad(t, killed, Options{})
	if err := Verify(r); err == nil || !strings.Contains(err.Error(), "holds no stored summary") {
		t.Errorf("a killed recording: %v", err)
	}
}
