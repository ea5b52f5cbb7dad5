//go:build linux

package integration

import (
	"encoding/json"
	"testing"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/tracer"
)

// What doctor says of this kernel is what the tracer does on it: every hook
// has a variant that loads, the one the features pick, and the same one an
// opened tracer uses; a variant missing a feature does not load. Its JSON
// goes to the log: each matrix guest's is there.
func TestDoctor(t *testing.T) {
	requireBPF(t)
	d := tracer.Diagnose()
	js, _ := json.Marshal(d)
	t.Logf("doctor --json: %s", js)
	if len(d.Problems) > 0 || !d.ProgramsLoad {
		t.Fatalf("doctor finds problems: %v", d.Problems)
	}
	tr, err := tracer.Open(tracer.Config{Filter: true, Exact: true})
	if err != nil {
		t.Fatalf("doctor says tracing works, but opening a tracer failed: %v", err)
	}
	used, object, mode := tr.Variants(), tr.Object(), tr.Mode()
	tr.Close()
	// The features' verdict against the verifier's: the default object
	// loads exactly where the features say it can, and where it cannot,
	// the compat object serves, in exact mode.
	if d.DefaultObject.OK != (d.Object.Name == "default") {
		t.Errorf("doctor chooses the %s object (%s), but the default object loads: %v (%s)", d.Object.Name, d.Object.Why, d.DefaultObject.OK, d.DefaultObject.Detail)
	}
	// Every kernel from 5.8 has task iterators: ps must get its ages.
	if !d.Iterators.OK {
		t.Errorf("the iterators' object does not load: %s", d.Iterators.Detail)
	}
	if object != d.Object.Name || (object == "compat" && (mode != events.ModeExact || d.WaitMode.Name != "exact")) {
		t.Errorf("doctor says the %s object, wait mode %s; the tracer loaded the %s object, mode %s", d.Object.Name, d.WaitMode.Name, object, mode)
	}
	kfuncs := d.Features["kfuncs bpf_rdonly_cast, bpf_task_from_pid (6.2+)"]
	groupDead := d.Features["sched_process_exit group_dead argument (6.16+)"]
	want := map[string]string{"signal_generate": "handle_signal_nokfunc", "sched_process_exec": "handle_exec_nokfunc", "sched_process_exit": "handle_exit_live"}
	if kfuncs {
		want["signal_generate"], want["sched_process_exec"] = "handle_signal", "handle_exec"
	}
	if groupDead {
		want["sched_process_exit"] = "handle_exit"
	}
	for _, h := range d.Hooks {
		if h.Chosen == "" {
			t.Errorf("%s: no variant loads: %+v", h.Hook, h.Variants)
		}
		if w, ok := want[h.Hook]; ok && h.Chosen != w {
			t.Errorf("%s: doctor picks %s, the kernel's features say %s", h.Hook, h.Chosen, w)
		}
		if used[h.Hook] != h.Chosen {
			t.Errorf("%s: doctor picks %s, the tracer loaded %s", h.Hook, h.Chosen, used[h.Hook])
		}
		for _, v := range h.Variants {
			if len(v.Missing) > 0 && v.Loads {
				t.Errorf("%s: %s loads although the kernel lacks %v", h.Hook, v.Program, v.Missing)
			}
		}
	}
}
