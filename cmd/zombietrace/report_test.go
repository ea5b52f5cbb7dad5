//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zombietrace/zombietrace/internal/report/reporttest"
	"github.com/zombietrace/zombietrace/internal/testenv"
)

// The report tests run the binary on recordings written by
// internal/report/reporttest: no BPF, no root needed to read them (root
// only builds the binary, see TestMain).

func needBinary(t *testing.T) {
	t.Helper()
	testenv.Need(t, ztBin != "", "needs root: TestMain builds the zombietrace binary only as root")
}

// ztStdin runs zombietrace with stdin from b.
func ztStdin(t *testing.T, b []byte, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := ztCmd(ctx, args...)
	cmd.Stdin = bytes.NewReader(b)
	return startCaptured(t, cmd).wait(t, ctx)
}

// Issue #22, 9: a window that ends before the recording does is no abrupt
// end; windows that make no sense are refused; the header shows the window.
func TestReportWindows(t *testing.T) {
	needBinary(t)
	file := reporttest.Write(t, t.TempDir(), "r.zt", reporttest.Options{})
	for _, args := range [][]string{{"report", "--to", "3s", file}, {"report", "tree", "--at", "2s", file}} {
		if r := zt(t, 30*time.Second, args...); r.code != 0 || r.stderr != "" {
			t.Errorf("%q: code %d, stderr %q", args, r.code, r.stderr)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "--from", "5s", "--to", "2s", file}, "report: --from 5s is not before --to 2s"},
		{[]string{"report", "--from", "1h", file}, "report: --from 1h: not before the end (the recording ends at +8.000s)"},
		{[]string{"report", "tree", "--at", "99s", file}, "report tree: --at 99s: after the end (the recording ends at +8.000s)"},
	} {
		checkOneLineError(t, c.args, zt(t, 30*time.Second, c.args...), c.want)
	}
	r := zt(t, 30*time.Second, "report", "--from", "5s", file)
	if want := "from 2026-11-25T10:00:05Z to 2026-11-25T10:00:08Z (+3.000s: +5.000s to +8.000s of the recording)\n"; r.code != 0 || !strings.Contains(r.stdout, want) {
		t.Errorf("report --from 5s: code %d, header not %q:\n%s", r.code, want, r.stdout)
	}
}

// Issue #22, 10: --verify of a recording made with record --comm.
func TestReportVerifyComm(t *testing.T) {
	needBinary(t)
	file := reporttest.Write(t, t.TempDir(), "r.zt", reporttest.Options{Comm: "^worker$"})
	r := zt(t, 30*time.Second, "report", "--verify", file)
	if r.code != 0 || !strings.Contains(r.stderr, "equals the one the recorder computed") {
		t.Errorf("report --verify of a --comm recording: code %d %q", r.code, r.stderr)
	}
	// The view keeps what matches, and the parents of matching children
	// (issue #22, 8): not the idle zombie of the sleeper.
	if strings.Contains(r.stdout, "sleeper") || !strings.Contains(r.stdout, "OUTSTANDING ZOMBIES: 1\n") || !strings.Contains(r.stdout, "worker") {
		t.Errorf("the --comm filter does not apply to the view:\n%s", r.stdout)
	}
}

// Issue #22, 11: four bytes damaged at a third of a short recording (in its
// process table): the events after it are reported, with a warning.
func TestReportDamagedProcessTable(t *testing.T) {
	needBinary(t)
	file := reporttest.Write(t, t.TempDir(), "r.zt", reporttest.Options{ExtraProcs: 40})
	b, _ := os.ReadFile(file)
	copy(b[len(b)/3:], []byte{0xde, 0xad, 0xbe, 0xef})
	os.WriteFile(file, b, 0o644)
	r := zt(t, 30*time.Second, "report", file)
	if r.code != 0 || !strings.Contains(r.stdout, "OUTSTANDING ZOMBIES: 2") {
		t.Fatalf("report of a damaged process table: code %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !regexp.MustCompile(`^zombietrace: warning: .*r\.zt: the process table at its start is damaged \(at byte \d+: [^;]*; bytes \d+ to \d+ skipped\): reporting from the next whole frame on; .*\n$`).MatchString(r.stderr) {
		t.Errorf("warning: %q", r.stderr)
	}
	// Nothing usable: an error.
	half := file + ".half"
	os.WriteFile(half, b[:len(b)/2], 0o644)
	checkOneLineError(t, []string{"report", half}, zt(t, 30*time.Second, "report", half), "r.zt.half: at byte ")
}

// Issue #22, 12: tree and explain have JSON; flame and timeline refuse it.
func TestReportJSONViews(t *testing.T) {
	needBinary(t)
	file := reporttest.Write(t, t.TempDir(), "r.zt", reporttest.Options{})
	for _, c := range []struct {
		args []string
		typ  string
	}{
		{[]string{"report", "tree", "--json", file}, "tree"},
		{[]string{"report", "explain", "--json", "101", file}, "explain"},
	} {
		r := zt(t, 30*time.Second, c.args...)
		var v map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &v); r.code != 0 || err != nil || v["type"] != c.typ {
			t.Errorf("%q: code %d, %v:\n%s", c.args, r.code, err, r.stdout)
		}
	}
	dir := t.TempDir()
	for _, args := range [][]string{
		{"report", "flame", "--json", "-o", dir + "/f.svg", file},
		{"report", "timeline", "--json", "-o", dir + "/t.json", file},
	} {
		checkOneLineError(t, args, zt(t, 30*time.Second, args...), "--json does not apply")
	}
}

// Issue #22, 14: --pid P covers all of P's descendants, and the reparenting
// of its children.
func TestReportPIDDescendants(t *testing.T) {
	needBinary(t)
	file := reporttest.Write(t, t.TempDir(), "r.zt", reporttest.Options{})
	r := zt(t, 30*time.Second, "report", "events", "--json", "--pid", "100", file)
	got := map[string]bool{}
	for _, l := range parseJSONL(t, r.stdout) {
		got[l.typ()+" "+itoa(int(l.int("pid")))] = true
	}
	for _, want := range []string{"fork 102", "reap 102", "fork 103", "reparent 103", "reap 103"} {
		if !got[want] {
			t.Errorf("report events --pid 100 lacks %s (a grandchild's)", want)
		}
	}
	r = zt(t, 30*time.Second, "report", "events", "--pid", "101", file)
	if !strings.Contains(r.stdout, "reparented 101 -> 1") {
		t.Errorf("report events --pid 101 lacks its child's reparenting:\n%s", r.stdout)
	}
	r = zt(t, 30*time.Second, "report", "--pid", "100", file)
	if !regexp.MustCompile(`(?m)^151 +150 +idle`).MatchString(r.stdout) {
		t.Errorf("report --pid 100 lacks the zombie of its grandchild 151:\n%s", r.stdout)
	}
}

// Issue #22, 16: the views speak alike.
func TestReportConsistency(t *testing.T) {
	needBinary(t)
	dir := t.TempDir()
	file := reporttest.Write(t, dir, "r.zt", reporttest.Options{})
	args := []string{"report", "flame", "-o", dir + "/f.png", file}
	r := zt(t, 30*time.Second, args...)
	checkOneLineError(t, args, r, `report flame: "`)
	if strings.Contains(r.stderr, "flame: flame") {
		t.Errorf("stutter: %q", r.stderr)
	}
	r = zt(t, 30*time.Second, "report", "explain", "101", file)
	if !regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d\.\d{3}  \+1\.000s +forked by 100`).MatchString(r.stdout) {
		t.Errorf("explain: not in milliseconds:\n%s", r.stdout)
	}
	for _, c := range []struct{ view, out string }{{"timeline", "t.json"}, {"flame", "f.svg"}} {
		r = zt(t, 30*time.Second, "report", c.view, "-o", dir+"/"+c.out, file)
		if r.code != 0 || !strings.HasPrefix(r.stderr, "wrote "+dir+"/"+c.out+": ") || r.stdout != "" {
			t.Errorf("report %s: code %d, stderr %q, stdout %q", c.view, r.code, r.stderr, r.stdout)
		}
	}
	r = zt(t, 30*time.Second, "report", "tree", file)
	if strings.Contains(r.stdout, "kthreadd") || strings.Contains(r.stdout, "kworker") || !strings.Contains(r.stdout, "100 server") {
		t.Errorf("tree lists kernel threads:\n%s", r.stdout)
	}
	r = zt(t, 30*time.Second, "report", "tree", "--kernel-threads", file)
	if !strings.Contains(r.stdout, "2 kthreadd") {
		t.Errorf("tree --kernel-threads:\n%s", r.stdout)
	}
	b, _ := os.ReadFile(file)
	r = ztStdin(t, b, "report", "-")
	if r.code != 0 || !strings.Contains(r.stdout, "OUTSTANDING ZOMBIES: 2") {
		t.Errorf("report - (stdin): code %d %q\n%s", r.code, r.stderr, r.stdout)
	}
}
