package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/zombietrace/zombietrace/internal/bench"
)

func TestPrintExecLoopBesideTheStorm(t *testing.T) {
	r := &bench.Result{
		ProgNS:                 map[string]float64{"handle_exec": 409, "handle_signal": 244},
		ExecLoopProgNS:         map[string]float64{"handle_exec": 409, "handle_signal": 381},
		ExecLoopEmptyProgNS:    78,
		BpftraceExecLoopProgNS: map[string]float64{"handle_exec": 638},
		ExecLoopCPUNSPerExec:   400000, ExecLoopProgNSPerExec: 2000, ExecLoopTracerCPUNSPerExec: 1200,
	}
	var out strings.Builder
	printExecLoop(&out, r)
	got := out.String()
	for _, want := range []string{
		"an empty program on sched_process_exec: 78 ns",
		"handle_signal  381        244",
		"handle_exec    409        -", // exec's storm cost is the loop's own
		"bpftrace handle_exec  638",
		"400 us of the loop's CPU; our programs 2.00 us (0.50 %) of it, handle_exec 0.41 us (0.10 %); the tracer 1.20 us (0.30 %) more",
	} {
		if !strings.Contains(strings.Join(strings.Fields(got), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}

	out.Reset()
	printExecLoop(&out, &bench.Result{})
	if out.Len() != 0 {
		t.Errorf("no exec loop measured, yet printed:\n%s", out.String())
	}
}

func TestPrintBenchMarksEachProgramAgainstBpftrace(t *testing.T) {
	r := &bench.Result{
		ProgNS:                 map[string]float64{"handle_fork": 105, "handle_wait": 278},
		ExactProgNS:            map[string]float64{"handle_fork": 106, "handle_wait": 249, "exit_wait4": 379, "exit_waitid": 3121},
		ProgRuns:               map[string]uint64{"handle_fork": 90000, "handle_wait": 180000},
		ExactProgRuns:          map[string]uint64{"handle_fork": 90000, "handle_wait": 180000, "exit_wait4": 90000, "exit_waitid": 12},
		FloorProgNS:            map[string]float64{"handle_fork": 61, "handle_wait": 236},
		BpftraceProgNS:         map[string]float64{"handle_fork": 420, "handle_wait": 500, "exit_wait4": 1000},
		ExecLoopProgNS:         map[string]float64{"handle_exec": 900},
		BpftraceExecLoopProgNS: map[string]float64{"handle_exec": 1200},
	}
	r.ProgOverBpftrace = map[string]float64{"handle_fork": 0.25, "handle_wait": 0.556, "exit_wait4": 0.379, "handle_exec": 0.75}
	var out strings.Builder
	printBench(&out, r)
	lines := map[string]string{}
	costs, _, _ := strings.Cut(out.String(), "EXEC'S OWN LOOP")
	for _, l := range strings.Split(costs, "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			lines[f[0]] = strings.Join(f, " ")
		}
	}
	for prog, want := range map[string]string{
		"handle_fork": "handle_fork 105 106 61 420 0.25 ok",
		"handle_wait": "handle_wait 278 249 236 500 0.56 MISSED",
		"exit_wait4":  "exit_wait4 - 379 - 1000 0.38 ok",    // exact mode only
		"exit_waitid": "exit_waitid - 3121 (12 runs) - -",   // a few cold calls, no peer
		"handle_exec": "handle_exec - - - 1200 0.75 MISSED", // from exec's loop
	} {
		if lines[prog] != want {
			t.Errorf("%s: got %q, want %q", prog, lines[prog], want)
		}
	}
}

func TestPrintBenchShowsRecordAgainstTheThroughputGoal(t *testing.T) {
	for _, c := range []struct {
		median, low float64
		want        string
	}{{0.985, 0.97, "ok"}, {0.985, 0.95, "MISSED"}, {0.975, 0.97, "MISSED"}} {
		var out strings.Builder
		printBench(&out, &bench.Result{RecordRatio: bench.Ratio{Median: c.median, Low: c.low, High: 1}, RecordCPUNSPerEvent: 314})
		var got string
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.HasPrefix(l, "recorded/untraced") {
				got = strings.Join(strings.Fields(l), " ")
			}
		}
		if !strings.Contains(got, "314 ns of its CPU per event") || !strings.HasSuffix(got, c.want) {
			t.Errorf("median %v, CI low %v: got %q, want it to end in %s", c.median, c.low, got, c.want)
		}
	}
	var out strings.Builder
	printBench(&out, &bench.Result{})
	if strings.Contains(out.String(), "recorded/untraced") {
		t.Error("record was not measured, yet its line is printed")
	}
}

func TestPrintBenchJudgesGetppidByItsWindows(t *testing.T) {
	for _, c := range []struct {
		median float64
		want   string
	}{{0.995, "ok"}, {0.975, "MISSED"}} {
		var out strings.Builder
		printBench(&out, &bench.Result{
			SyscallNSUntraced: 181, SyscallRatio: bench.Ratio{Median: c.median, Low: 0.96, High: 1.03},
			ExactSyscallRatio:        bench.Ratio{Median: 0.698, Low: 0.693, High: 0.712},
			RoundsSyscallRatioMedian: 0.970, RoundsExactSyscallRatioMedian: 0.763,
		})
		var light string
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.HasPrefix(l, "getppid 181 ns") {
				light = strings.Join(strings.Fields(l), " ")
			}
		}
		want := fmt.Sprintf("getppid 181 ns: traced/untraced, light (windows) %.3f [0.960, 1.030] >= 0.98 %s", c.median, c.want)
		if light != want {
			t.Errorf("got %q, want %q", light, want)
		}
		for _, s := range []string{"exact (windows) 0.698 [0.693, 0.712]", "light / exact (rounds) 0.970 / 0.763"} {
			if !strings.Contains(strings.Join(strings.Fields(out.String()), " "), s) {
				t.Errorf("output lacks %q:\n%s", s, out.String())
			}
		}
	}
}

func TestPrintBenchPrintsEachGoalOnce(t *testing.T) {
	r := &bench.Result{
		RecordRatio: bench.Ratio{Median: 0.99, Low: 0.97, High: 1.01}, ReportEvents: 1000,
		Ps: []bench.PsSpeed{{Zombies: 1000, Ratio: 0.5}, {Zombies: 15000, Ratio: 1.5}},
	}
	var out strings.Builder
	printBench(&out, r)
	text := strings.Join(strings.Fields(out.String()), " ")
	goals := r.Check()
	if len(goals) != 11 {
		t.Errorf("%d goals judged, want 11 (ps twice): %+v", len(goals), goals)
	}
	for _, g := range goals {
		verdict := "MISSED"
		if g.Met {
			verdict = "ok"
		}
		line := strings.Join(strings.Fields(strings.Join([]string{g.Measure, g.Value, g.Target, verdict}, " ")), " ")
		if n := strings.Count(text, line); n != 1 {
			t.Errorf("%s: %q printed %d times:\n%s", g.Name, line, n, out.String())
		}
	}
}

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
