//go:build linux

package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestProgramRefused forces programs to be refused (--fail-program): a fast
// variant gives way to the portable one with a warning and the trace is
// still right; an optional feature is lost with a warning; a core program,
// or one a flag asked for, is one error line naming it.
func TestProgramRefused(t *testing.T) {
	e2e(t)
	t.Run("fast variants", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out.jsonl")
		r := zt(t, 30*time.Second, "run", "--json", "-o", out,
			"--fail-program", "handle_signal", "--fail-program", "handle_exec",
			"--", "sh", "-c", "sh -c 'exit 3'; exit 0")
		if r.code != 0 {
			t.Fatalf("exit code %d; stderr:\n%s", r.code, r.stderr)
		}
		for _, prog := range []string{"handle_signal_nokfunc", "handle_exec_nokfunc"} {
			if !strings.Contains(r.stderr, "warning: BPF program "+strings.TrimSuffix(prog, "_nokfunc")) ||
				!strings.Contains(r.stderr, "using "+prog+" instead") {
				t.Errorf("no warning that %s is used; stderr:\n%s", prog, r.stderr)
			}
		}
		lines := readJSONL(t, out)
		var child int64
		for _, l := range lines {
			if l.typ() == "exit" && l.int("exit_code") == 3 {
				child = l.int("pid")
			}
		}
		var reaped bool
		for _, l := range lines {
			reaped = reaped || child != 0 && l.typ() == "reap" && l.int("pid") == child && l.str("reaped_by") == "parent"
		}
		if !reaped {
			t.Errorf("no reap by its parent of the child that exited 3 (pid %d):\n%s", child, dump(lines))
		}
	})
	t.Run("optional feature", func(t *testing.T) {
		r := zt(t, 30*time.Second, "trace", "--duration", "1s", "--fail-program", "list_zombies")
		if r.code != 0 {
			t.Fatalf("exit code %d; stderr:\n%s", r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, "warning: preexisting zombies (iter/task) not available: BPF program list_zombies") {
			t.Errorf("no warning about list_zombies; stderr:\n%s", r.stderr)
		}
	})
	for _, tc := range []struct {
		name, contains string
		args           []string
	}{
		{"core program", "BPF program handle_fork: forced to fail", []string{"--fail-program", "handle_fork"}},
		{"every variant", "BPF program handle_signal_nokfunc: forced to fail",
			[]string{"--fail-program", "handle_signal", "--fail-program", "handle_signal_nokfunc"}},
		{"asked for by flag", "BPF program exit_waitid: forced to fail", []string{"--exact-waits", "--fail-program", "exit_waitid"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"trace", "--duration", "1s"}, tc.args...)
			checkOneLineError(t, args, zt(t, 30*time.Second, args...), tc.contains)
		})
	}
}
