package main

import (
	"encoding/json"
	"maps"
	"testing"
	"time"

	"github.com/zombietrace/zombietrace/internal/bench"
)

// TestBenchRunsEveryPhase runs the benchmark with tiny phases: not to judge
// the numbers (no timed tests), but to see that every phase runs for real,
// on this kernel, and fills the JSON fields the goals are read from.
func TestBenchRunsEveryPhase(t *testing.T) {
	e2e(t)
	r := zt(t, 4*time.Minute, "bench", "--json", "--rounds", "1", "--windows", "2", "--windows-max", "2", "--storm-time", "300ms",
		"--burst", "300", "--lifecycles", "20000", "--getppid", "200000", "--report-events", "100000", "--idle-time", "2s",
		"--ps-zombies", "300")
	if r.code != 0 {
		t.Fatalf("bench: exit %d\n%s", r.code, r.stderr)
	}
	var res bench.Result
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("bench --json: %v\n%s", err, r.stdout)
	}
	positive := map[string]float64{
		"ratio_median": res.Ratio.Median, "ratio_ci_low": res.Ratio.Low, "exact_ratio_median": res.ExactRatio.Median,
		"record_ratio_median": res.RecordRatio.Median, "rounds_ratio_median": res.RoundsRatio.Median,
		"syscall_ratio_median": res.SyscallRatio.Median, "syscall_ratio_ci_low": res.SyscallRatio.Low,
		"exact_syscall_ratio_median": res.ExactSyscallRatio.Median, "rounds_syscall_ratio_median": res.RoundsSyscallRatioMedian,
		"events": float64(res.Events), "cpu_ns_per_event": res.CPUNSPerEvent, "cpu_ns_per_lifecycle": res.CPUNSPerLifecycle,
		"peak_rss_bytes": float64(res.PeakRSSBytes), "ringbuf_bytes": float64(res.RingbufBytes),
		"report_events_per_sec": res.ReportEventsPerSec, "idle_seconds": res.IdleSeconds,
	}
	for k, v := range positive {
		if !(v > 0) {
			t.Errorf("%s = %v, want > 0", k, v)
		}
	}
	if res.LostEvents != 0 || res.BurstLost != 0 {
		t.Errorf("lost %d events (burst %d)", res.LostEvents, res.BurstLost)
	}
	for _, p := range []string{"handle_fork", "handle_exec", "handle_exit", "handle_signal", "handle_wait", "handle_free"} {
		if !(res.ProgNS[p] > 0) || res.ProgRuns[p] == 0 {
			t.Errorf("prog_ns[%s] = %v over %d runs: the program was not measured", p, res.ProgNS[p], res.ProgRuns[p])
		}
	}
	// bpftrace's peers, keyed by our programs' names (make deps installs it).
	for _, p := range []string{"handle_fork", "handle_exit", "handle_signal", "handle_wait", "handle_free", "exit_wait4", "handle_exec"} {
		if !(res.ProgOverBpftrace[p] > 0) {
			t.Errorf("prog_ns_over_bpftrace[%s] = %v: no ratio (bpftrace %v, exec loop %v)", p, res.ProgOverBpftrace[p], res.BpftraceProgNS, res.BpftraceExecLoopProgNS)
		}
	}
	// Each program's floor (tracer.Floors), and the floor against the same peer.
	for _, p := range []string{"handle_fork", "handle_exit", "handle_signal", "handle_wait", "handle_free", "handle_exec", "exit_wait4"} {
		if !(res.FloorProgNS[p] > 0) || !(res.FloorOverBpftrace[p] > 0) {
			t.Errorf("%s: floor %v ns, floor/bpftrace %v: the floor was not measured", p, res.FloorProgNS[p], res.FloorOverBpftrace[p])
		}
	}
	if !(res.EmptyProgNS > 0) || !(res.ExecLoopEmptyProgNS > 0) {
		t.Errorf("empty programs: %v ns in the storm, %v in exec's loop", res.EmptyProgNS, res.ExecLoopEmptyProgNS)
	}
	if !(res.ExactProgNS["exit_wait4"] > 0) {
		t.Errorf("exact_prog_ns lacks exit_wait4: %v", res.ExactProgNS)
	}
	// A wrong clock base would be off by seconds; a stalled host by tens of ms.
	for mode, ns := range res.Accuracy {
		if ns > uint64(100*time.Millisecond) {
			t.Errorf("accuracy (%s): %v off the workload's own clock", mode, time.Duration(ns))
		}
	}
	if len(res.Accuracy) != 2 {
		t.Errorf("accuracy measured in %v, want light and exact", res.Accuracy)
	}
	// The price of portability: each fallback forced, beside its default.
	for _, v := range []string{"handle_signal_nokfunc", "handle_exec_nokfunc", "handle_exit_live", "ringbuf_transport", "compat_object"} {
		c, ok := res.Variants[v]
		if !ok || !(c.ProgNS > 0) || !(c.DefaultProgNS > 0) || !(c.RateRatio > 0) || !(c.CPUNSPerEvent > 0) {
			t.Errorf("variant %s not measured: %+v (all: %v)", v, c, res.Variants)
		}
	}
	if len(res.Ps) != 1 || res.Ps[0].Zombies != 300 || !(res.Ps[0].Ratio > 0) || !(res.Ps[0].PsSeconds > 0) {
		t.Errorf("ps phase: %+v, want one size, 300 zombies, timed", res.Ps)
	}
	want := map[string]int{"light": 2, "exact": 2, "record": 2, "getppid-light": 2, "getppid-exact": 2}
	if !maps.Equal(res.WindowPairsByMode, want) || res.WindowPairs != 2 {
		t.Errorf("window pairs %d, by mode %v; want 2 in each mode (--windows 2 --windows-max 2)", res.WindowPairs, res.WindowPairsByMode)
	}
}
