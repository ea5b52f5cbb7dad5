//go:build linux

package integration

import (
	"os/exec"
	"testing"
	"time"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/tracer"
)

// The ring buffer transport, which kernels without BPF atomics (before
// 5.12) get, forced on this kernel: a storm of 1000 with nothing lost, exec paths
// of every length, reaps timed by untimed frees (a pid-namespace teardown)
// and an interrupted wait, as over the rings.
func TestRingbufTransport(t *testing.T) {
	requireBPF(t)
	checkRingbufTransport(t, tracer.Config{Filter: true, RingbufTransport: true})
}

// The compat object, which kernels without BPF atomics, typed current or
// bpf_task_pt_regs (before 5.15) get, forced on this kernel: the same
// checks, in the exact mode it implies, with the waits' arguments kept at
// their syscalls' entry.
func TestCompatObject(t *testing.T) {
	requireBPF(t)
	cfg := tracer.Config{Filter: true, Compat: true}
	tr := openFollowingSelf(t, cfg)
	object, mode, enter := tr.Object(), tr.Mode(), tr.Variants()["sys_enter_wait4"]
	tr.Close()
	if object != "compat" || mode != events.ModeExact || enter != "enter_wait4" {
		t.Fatalf("forced compat: object %s, mode %s, sys_enter_wait4 %q", object, mode, enter)
	}
	checkRingbufTransport(t, cfg)
	t.Run("wnohang", func(t *testing.T) {
		// WNOHANG polls: the options and target from the entry, the reap
		// from the return.
		res := trace(t, cfg, program(t, "poll_wnohang.py"))
		parent := res.pids.one(t, "parent")
		for _, c := range res.pids.many(t, "children") {
			r := res.reap(t, c)
			wantReap(t, r, events.ReapedByParent, parent)
			between(t, "zombie time", r.ZombieNS, 0, 300*time.Millisecond)
			if r.Method != events.MethodWait4 || r.Uncertain {
				t.Errorf("pid %d: method %s, uncertain %v: want a certain wait4", c, r.Method, r.Uncertain)
			}
		}
	})
}

func checkRingbufTransport(t *testing.T, cfg tracer.Config) {
	t.Run("storm", func(t *testing.T) {
		res := trace(t, cfg, program(t, "storm.c", "1000"))
		parent := res.pids.one(t, "parent")
		kids := res.pids.many(t, "children")
		reaped := 0
		for _, c := range kids {
			if r := res.reap(t, c); r.ReapedBy == events.ReapedByParent && r.ReaperPID == parent {
				reaped++
			}
		}
		if reaped != len(kids) || res.summary.LostEvents != 0 {
			t.Errorf("%d of %d children reaped by the parent, %d events lost", reaped, len(kids), res.summary.LostEvents)
		}
	})
	t.Run("exec-paths", func(t *testing.T) { checkExecPaths(t, cfg) })
	t.Run("nothing-in-the-rings", func(t *testing.T) {
		tr := openFollowingSelf(t, cfg)
		defer tr.Close()
		runDuring(t, tr, func(*events.Event) {}, func() {
			storm := program(t, "storm.c", "200")
			if out, err := exec.Command(storm[0], storm[1:]...).CombinedOutput(); err != nil {
				t.Fatalf("storm: %v: %s", err, out)
			}
		})
		if tr.Transport() != "ring buffer" || tr.RingRecords() != 0 {
			t.Errorf("transport %q, %d records in the per-CPU rings: want the ring buffer alone", tr.Transport(), tr.RingRecords())
		}
	})
	t.Run("pidns-teardown", func(t *testing.T) {
		res := trace(t, cfg, program(t, "pidns_init.c"))
		for _, c := range res.pids.many(t, "children") {
			if r := res.reap(t, c); r.ReapedBy != events.ReapedByUnseen || !r.Uncertain {
				t.Errorf("pid %d reaped by %s (uncertain=%v), want unseen and uncertain", c, r.ReapedBy, r.Uncertain)
			}
		}
		wantReap(t, res.reap(t, res.pids.one(t, "init")), events.ReapedByParent, res.pids.one(t, "parent"))
	})
	t.Run("interrupted-wait", func(t *testing.T) {
		res := trace(t, cfg, program(t, "interrupted_wait.c", "restart"))
		parent := res.pids.one(t, "parent")
		for _, call := range []string{"wait4_pid", "wait4_any", "waitid_pid", "waitid_all", "waitid_pidfd"} {
			r := res.reap(t, res.pids.one(t, call))
			wantReap(t, r, events.ReapedByParent, parent)
			between(t, call+" zombie time", r.ZombieNS, 50*time.Millisecond, 3*time.Second)
		}
	})
}
