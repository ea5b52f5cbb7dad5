//go:build linux

package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// recordScenario records while a scenario runs and returns the file and the
// scenario's pids.
func recordScenario(t *testing.T, scenario string, extra ...string) (string, map[string]int) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "incident.zt")
	ready := filepath.Join(dir, "ready")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	zr := startCaptured(t, ztCmd(ctx, append([]string{"record", "-o", file, "--ready-file", ready}, extra...)...))
	cmd := zr.cmd
	waitForFile(t, ready, 30*time.Second, nil)
	out, err := exec.Command(python, filepath.Join(scenariosDir, "run_reaped.py"), filepath.Join(scenariosDir, scenario)).Output()
	if err != nil {
		t.Fatalf("scenario: %v", err)
	}
	time.Sleep(300 * time.Millisecond) // the last events reach the ring buffer
	cmd.Process.Signal(syscall.SIGINT)
	r := zr.wait(t, ctx)
	if r.code != 0 {
		t.Fatalf("record exited %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "recorded ") || !strings.Contains(r.stderr, "B/event") {
		t.Errorf("no one-line summary on stderr: %q", r.stderr)
	}
	return file, scenarioPids(t, string(out))
}

// The report of a recording is the recorder's own live summary, exactly;
// explain, tree, timeline and events work on it; no root is needed to read.
func TestRecordThenReport(t *testing.T) {
	e2e(t)
	file, pids := recordScenario(t, "mp_nojoin.py")
	child := pids["child"]

	r := zt(t, 30*time.Second, "report", "--verify", file)
	if r.code != 0 || !strings.Contains(r.stderr, "equals the one the recorder computed") {
		t.Fatalf("report --verify: %d %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "ZOMBIE TIME HISTOGRAM") || !strings.Contains(r.stdout, "p99") {
		t.Errorf("summary view:\n%s", r.stdout)
	}
	// Flags after the file, as for every command.
	r = zt(t, 30*time.Second, "report", file, "--json")
	lines := parseJSONL(t, r.stdout)
	if len(lines) != 1 || lines[0].typ() != "summary" {
		t.Fatalf("report --json: %s", r.stdout)
	}

	r = zt(t, 30*time.Second, "report", "explain", itoa(child), file)
	for _, want := range []string{"forked by", "became a zombie", "reaped after", "by parent"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("explain lacks %q:\n%s", want, r.stdout)
		}
	}

	r = zt(t, 30*time.Second, "report", "events", "--type", "reap", "--json", file)
	reaps := parseJSONL(t, r.stdout)
	found := false
	for _, l := range reaps {
		if l.typ() != "reap" {
			t.Fatalf("events --type reap gave %s", l)
		}
		if int(l.int("pid")) == child {
			found = true
			if l.str("reaped_by") != "parent" || l.int("zombie_ns") < 3e8 {
				t.Errorf("child's reap %s", l)
			}
		}
	}
	if !found {
		t.Errorf("no reap line for the child %d", child)
	}
	r = zt(t, 30*time.Second, "report", "events", "--json", file)
	checkContract(t, parseJSONL(t, r.stdout), "light")

	tl := filepath.Join(t.TempDir(), "trace.json")
	if r = zt(t, 30*time.Second, "report", "timeline", "-o", tl, file); r.code != 0 {
		t.Fatalf("timeline: %s", r.stderr)
	}
	var trace struct {
		TraceEvents []map[string]any `json:"traceEvents"`
	}
	b, _ := os.ReadFile(tl)
	if err := json.Unmarshal(b, &trace); err != nil {
		t.Fatalf("timeline is not JSON: %v", err)
	}
	var zombieSpan, reapInstant bool
	for _, ev := range trace.TraceEvents {
		if tid, _ := ev["tid"].(float64); int(tid) == child {
			zombieSpan = zombieSpan || (ev["cat"] == "zombie" && ev["ph"] == "X")
			reapInstant = reapInstant || (ev["cat"] == "reap" && ev["ph"] == "i")
		}
	}
	if !zombieSpan || !reapInstant {
		t.Errorf("child's track: zombie span %v, reap instant %v", zombieSpan, reapInstant)
	}

	r = zt(t, 30*time.Second, "report", "tree", "--at", "0s", file)
	if r.code != 0 || !strings.Contains(r.stdout, "process tree at") {
		t.Errorf("tree: %d %s %s", r.code, r.stdout, r.stderr)
	}

	// Reading needs no root.
	pub, err := os.MkdirTemp("", "zt-public-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(pub)
	os.Chmod(pub, 0o755)
	b, _ = os.ReadFile(file)
	pubFile := filepath.Join(pub, "incident.zt")
	os.WriteFile(pubFile, b, 0o644)
	cmd := exec.Command(ztBin, "report", pubFile)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("report as nobody: %v\n%s", err, out)
	}
}

// kill -9 of the recorder leaves a file readable up to its last frame.
func TestRecordKilled(t *testing.T) {
	e2e(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "killed.zt")
	ready := filepath.Join(dir, "ready")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := ztCmd(ctx, "record", "-o", file, "--ready-file", ready)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitForFile(t, ready, 30*time.Second, nil)
	for i := 0; i < 20; i++ {
		exec.Command("/bin/true").Run()
	}
	time.Sleep(1500 * time.Millisecond) // at least one flush
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	r := zt(t, 30*time.Second, "report", "events", "--json", file)
	if r.code != 0 {
		t.Fatalf("report of a killed recording: %d %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "no end frame") {
		t.Errorf("no warning about the abrupt end: %q", r.stderr)
	}
	if n := strings.Count(r.stdout, `"type":"exit"`); n < 20 {
		t.Errorf("%d exit lines, want the 20 /bin/true at least", n)
	}
}

// Bad recordings: one line naming the problem (and the byte offset), no panic;
// a damaged tail still gives what came before it.
func TestReportBadInput(t *testing.T) {
	e2e(t)
	file, _ := recordScenario(t, "join_loop.py")
	full, _ := os.ReadFile(file)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	// The tail is damaged (the header and process table are whole).
	trunc := write("trunc.zt", full[:len(full)-40])
	r := zt(t, 30*time.Second, "report", trunc)
	if r.code != 0 || !strings.Contains(r.stderr, "at byte") || !strings.Contains(r.stdout, "SUMMARY") {
		t.Errorf("truncated: code %d stderr %q", r.code, r.stderr)
	}
	corrupt := append([]byte{}, full...)
	corrupt[len(corrupt)-60] ^= 0x5a
	r = zt(t, 30*time.Second, "report", write("corrupt.zt", corrupt))
	if r.code != 0 || !strings.Contains(r.stderr, "at byte") {
		t.Errorf("corrupted: code %d stderr %q", r.code, r.stderr)
	}
	newer := append([]byte{}, full...)
	newer[8] = 9
	for name, b := range map[string][]byte{"text.zt": []byte("not a recording at all\n"), "newer.zt": newer, "empty.zt": nil} {
		r = zt(t, 30*time.Second, "report", write(name, b))
		if r.code == 0 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.HasPrefix(r.stderr, "zombietrace: ") {
			t.Errorf("%s: code %d stderr %q", name, r.code, r.stderr)
		}
	}
	r = zt(t, 30*time.Second, "report", filepath.Join(dir, "missing.zt"))
	if r.code == 0 || !strings.Contains(r.stderr, "no such file") {
		t.Errorf("missing file: %d %q", r.code, r.stderr)
	}
	r = zt(t, 30*time.Second, "report", "explain", "abc", file)
	if r.code == 0 || !strings.Contains(r.stderr, "not a pid") {
		t.Errorf("explain abc: %d %q", r.code, r.stderr)
	}
}

// --max-size stops cleanly: a valid file with its summary, within the size.
func TestRecordMaxSize(t *testing.T) {
	e2e(t)
	file, _ := recordScenario(t, "storm.c", "--max-size", "64K")
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > 64<<10+8192 {
		t.Errorf("file of %d bytes for --max-size 64K", st.Size())
	}
	r := zt(t, 30*time.Second, "report", "--verify", file)
	if r.code != 0 {
		t.Errorf("report --verify of a size-limited recording: %d %s", r.code, r.stderr)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// --max-size errors quote the value as the user typed it: "1K" was echoed
// as "1", its suffix cut off before the message was made.
func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  string
	}{
		{"", 0, ""},
		{"64K", 64 << 10, ""},
		{"100M", 100 << 20, ""},
		{"2g", 2 << 30, ""},
		{"100MB", 100 << 20, ""},
		{"65536", 64 << 10, ""},
		{"1K", 0, `--max-size "1K": at least 64K`},
		{"1000", 0, `--max-size "1000": at least 64K`},
		{"10X", 0, `--max-size "10X": want a size like 100M`},
		{"-5M", 0, `--max-size "-5M": want a size like 100M`},
		{"M", 0, `--max-size "M": want a size like 100M`},
		{"B", 0, `--max-size "B": want a size like 100M`},
		{"99999999999G", 0, `--max-size "99999999999G": want a size like 100M`},
	} {
		got, err := parseSize(tc.in)
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if got != tc.want || msg != tc.err {
			t.Errorf("parseSize(%q) = %d, %q; want %d, %q", tc.in, got, msg, tc.want, tc.err)
		}
	}
}
