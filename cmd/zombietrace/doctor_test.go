//go:build linux

package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/zombietrace/zombietrace/tracer"
)

// doctor loads every variant: on this kernel each hook has one in use,
// the JSON says so, and the table shows the same.
func TestDoctor(t *testing.T) {
	e2e(t)
	r := zt(t, time.Minute, "doctor", "--json")
	assertNoPanic(t, r.stderr)
	if r.code != 0 {
		t.Fatalf("doctor --json exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var d tracer.Diagnosis
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatalf("doctor --json: %v\n%s", err, r.stdout)
	}
	if len(d.Problems) != 0 || !d.ProgramsLoad || !d.BTF.OK || !d.Privileges.OK {
		t.Errorf("doctor finds problems here: %+v", d)
	}
	if d.Kernel != tracer.KernelRelease() {
		t.Errorf("kernel %q, uname says %q", d.Kernel, tracer.KernelRelease())
	}
	hooks := map[string]bool{}
	for _, h := range d.Hooks {
		hooks[h.Hook] = true
		if h.Chosen == "" {
			t.Errorf("hook %s: no variant in use: %+v", h.Hook, h.Variants)
		}
		for _, v := range h.Variants {
			if v.Program == h.Chosen && !v.Loads {
				t.Errorf("hook %s uses %s, which does not load", h.Hook, v.Program)
			}
		}
	}
	for _, want := range []string{"sched_process_fork", "signal_generate", "sched_process_wait", "sys_exit_wait4"} {
		if !hooks[want] {
			t.Errorf("doctor does not report hook %s", want)
		}
	}

	text := zt(t, time.Minute, "doctor")
	if text.code != 0 || !strings.Contains(text.stdout, "tracing works on this kernel") || !strings.Contains(text.stdout, "handle_signal_nokfunc") {
		t.Errorf("doctor (text) exit %d:\n%s%s", text.code, text.stdout, text.stderr)
	}
	if bad := zt(t, time.Minute, "doctor", "extra"); bad.code == 0 || strings.Count(strings.TrimSpace(bad.stderr), "\n") != 0 {
		t.Errorf("doctor extra: exit %d, stderr %q: want one line and a failure", bad.code, bad.stderr)
	}
}
