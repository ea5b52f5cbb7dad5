//go:build linux

package remedy

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// gonePID is a pid no process has (above pid_max's largest value).
const gonePID = 1 << 30

func TestParseParent(t *testing.T) {
	for _, c := range []struct {
		in       string
		pid      int
		start    uint64
		hasStart bool
		err      string
	}{
		{"42", 42, 0, false, ""},
		{"42:1234567890", 42, 1234567890, true, ""},
		{"42:0", 42, 0, true, ""}, // checked, never "no check"
		{"0", 0, 0, false, `--parent "0": want PID or PID:START_NS`},
		{"-3", 0, 0, false, "want PID or PID:START_NS"},
		{"init", 0, 0, false, "want PID or PID:START_NS"},
		{"42:", 0, 0, false, `--parent "42:": START_NS must be the start_ns of trace --json`},
		{"42:12ms", 0, 0, false, "START_NS must be the start_ns"},
	} {
		pid, start, hasStart, err := ParseParent(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || pid != c.pid || start != c.start || hasStart != c.hasStart {
			t.Errorf("%q: %d %d %v %v", c.in, pid, start, hasStart, err)
		}
	}
}

// The audit log is appended to, never truncated.
func TestOpenAudit(t *testing.T) {
	if w, err := OpenAudit(""); w != nil || err != nil {
		t.Errorf(`OpenAudit(""): %v %v, want no log`, w, err)
	}
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	for _, line := range []string{"one\n", "two\n"} {
		w, err := OpenAudit(path)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(line))
		w.Close()
	}
	if b, _ := os.ReadFile(path); string(b) != "one\ntwo\n" {
		t.Errorf("audit log %q", b)
	}
	if _, err := OpenAudit("/nonexistent/audit.jsonl"); err == nil || !strings.HasPrefix(err.Error(), "audit log: ") {
		t.Errorf("a missing directory: %v", err)
	}
}

func TestAutoTargetsBadComm(t *testing.T) {
	if _, err := AutoTargets(Criteria{Comm: "(", MinZombies: 1}); err == nil || !strings.HasPrefix(err.Error(), "--comm: ") {
		t.Errorf("--comm (: %v", err)
	}
}

// A parent refused is audited and named; in a dry run the refusal is part
// of the plan, when acting it is a failure counted, and the others go on.
func TestRemediateEachRefusal(t *testing.T) {
	var out, audit strings.Builder
	opts := Options{Strategy: Nudge, DryRun: true, Out: &out, Audit: &audit}
	if err := RemediateEach([]int{gonePID}, Policy{}, opts, func(err error) { t.Errorf("dry run warned: %v", err) }); err != nil {
		t.Errorf("dry run: %v", err)
	}
	gone := strconv.Itoa(gonePID)
	if want := "parent " + gone + ": refused: pid " + gone + ": no such process\n"; out.String() != want {
		t.Errorf("dry run printed %q, want %q", out.String(), want)
	}
	if !strings.Contains(audit.String(), `"action":"refuse","parent_pid":`+gone+`,"note":"pid `+gone+`: no such process"}`) {
		t.Errorf("audit %q", audit.String())
	}
	opts.DryRun = false
	var warned []error
	err := RemediateEach([]int{gonePID, gonePID + 1}, Policy{}, opts, func(err error) { warned = append(warned, err) })
	if err == nil || err.Error() != "reap: 2 of 2 parents not cleared" || len(warned) != 2 {
		t.Fatalf("acting: %v, warned %v", err, warned)
	}
	var r *Refusal
	if !errors.As(warned[0], &r) || warned[0].Error() != "reap: pid "+gone+": no such process" {
		t.Errorf("warned %v", warned[0])
	}
	out.Reset()
	if err := RemediateEach(nil, Policy{}, opts, nil); err != nil || out.String() != "no parent holds zombies that match\n" {
		t.Errorf("no parent: %v %q", err, out.String())
	}
}
