//go:build linux

package bench

import (
	"fmt"
	"time"
)

// GoalResult is one goal judged on a Result: a line of the verdict.
type GoalResult struct {
	Name    string // the goal's (a goal can judge several measurements)
	Measure string // what was measured, as printed
	Value   string // its value, as printed
	Target  string // the threshold, as printed
	Met     bool
}

// MaxProgOverBpftrace is the goal for each BPF program: at most this
// fraction of the cost of bpftrace's probe doing the minimal job on the
// same hook (prog_ns_over_bpftrace).
const MaxProgOverBpftrace = 0.5

// A goal is a target the benchmark holds the tracer to.
type goal struct {
	name   string
	target string
	// lines is how many measurements the goal judges: 0 when its phase did
	// not run (nil: one).
	lines func(r *Result) int
	// measure, value and met read the i-th measurement from the Result.
	measure func(r *Result, i int) string
	value   func(r *Result, i int) string
	met     func(r *Result, i int) bool
}

// goals are the benchmark's targets, in the order they are printed.
var goals = []goal{
	{
		name:   "throughput",
		target: ">= 0.98, CI low >= 0.96",
		measure: func(r *Result, _ int) string {
			return fmt.Sprintf("traced/untraced, light (median, 95%% CI; %d window pairs)", r.WindowPairs)
		},
		value: func(r *Result, _ int) string { return ratio4(r.Ratio) },
		met:   func(r *Result, _ int) bool { return r.Ratio.Median >= 0.98 && r.Ratio.Low >= 0.96 },
	},
	{
		name:   "record",
		target: ">= 0.98, CI low >= 0.96",
		lines:  func(r *Result) int { return count(r.RecordRatio.Median > 0) },
		measure: func(r *Result, _ int) string {
			return fmt.Sprintf("recorded/untraced (record -o FILE, windows; %.0f ns of its CPU per event)", r.RecordCPUNSPerEvent)
		},
		value: func(r *Result, _ int) string { return ratio4(r.RecordRatio) },
		met:   func(r *Result, _ int) bool { return r.RecordRatio.Median >= 0.98 && r.RecordRatio.Low >= 0.96 },
	},
	{
		name:   "syscall",
		target: ">= 0.98",
		measure: func(r *Result, _ int) string {
			return fmt.Sprintf("getppid %.0f ns: traced/untraced, light (windows)", r.SyscallNSUntraced)
		},
		value: func(r *Result, _ int) string { return r.SyscallRatio.String() },
		met:   func(r *Result, _ int) bool { return r.SyscallRatio.Median >= 0.98 },
	},
	{
		name:   "lost_events",
		target: "0",
		measure: func(r *Result, _ int) string {
			return fmt.Sprintf("lost events (storms, burst of %d)", r.BurstChildren)
		},
		value: func(r *Result, _ int) string { return fmt.Sprintf("%d (burst %d)", r.LostEvents, r.BurstLost) },
		met:   func(r *Result, _ int) bool { return r.LostEvents == 0 },
	},
	{
		name:    "cpu_per_lifecycle",
		target:  "<= 1 %",
		measure: func(r *Result, _ int) string { return "tracer CPU per lifecycle" },
		value: func(r *Result, _ int) string {
			return fmt.Sprintf("%.0f ns (%.2f%% of the storm's CPU)", r.CPUNSPerLifecycle, 100*r.CPUShareOfStorm)
		},
		met: func(r *Result, _ int) bool { return r.CPUShareOfStorm <= 0.01 },
	},
	{
		name:   "idle_cpu",
		target: "<= 1 ms/s",
		measure: func(r *Result, _ int) string {
			return fmt.Sprintf("tracer CPU with nothing to trace (%.0f s)", r.IdleSeconds)
		},
		value: func(r *Result, _ int) string { return fmt.Sprintf("%.0f us/s", r.IdleCPUNSPerSec/1e3) },
		met:   func(r *Result, _ int) bool { return r.IdleCPUNSPerSec <= 1e6 },
	},
	{
		name:   "ps",
		target: "<= 1",
		lines:  func(r *Result) int { return len(r.Ps) },
		measure: func(r *Result, i int) string {
			return fmt.Sprintf("zombietrace ps / ps -eo ...|grep ^Z at %d zombies", r.Ps[i].Zombies)
		},
		value: func(r *Result, i int) string {
			p := r.Ps[i]
			return fmt.Sprintf("%.2f (%.3f s / %.3f s)", p.Ratio, p.ZombietraceSeconds, p.PsSeconds)
		},
		met: func(r *Result, i int) bool { return r.Ps[i].Ratio <= 1 },
	},
	{
		name:    "memory",
		target:  "<= 32 MiB without, after 1M",
		measure: func(r *Result, _ int) string { return fmt.Sprintf("peak RSS after %d lifecycles", r.MemoryLifecycles) },
		value: func(r *Result, _ int) string {
			return fmt.Sprintf("%.1f MiB (%.1f MiB without the ring buffer's %.1f MiB resident; %d MiB mapped)",
				mib(r.PeakRSSBytes), mib(r.PeakRSSNoRingbufBytes), mib(r.RingbufRSSBytes), r.RingbufBytes>>20)
		},
		met: func(r *Result, _ int) bool {
			return r.PeakRSSNoRingbufBytes <= 32<<20 && r.MemoryLifecycles >= 1_000_000
		},
	},
	{
		name:    "accuracy",
		target:  "<= 100us",
		measure: func(r *Result, _ int) string { return "zombie time error vs the workload's clock" },
		value: func(r *Result, _ int) string {
			return fmt.Sprintf("%v (light %v, exact %v; truth known within %v, %v)",
				time.Duration(r.AccuracyMaxErrorNS), time.Duration(r.Accuracy["light"]), time.Duration(r.Accuracy["exact"]),
				time.Duration(r.AccuracyBracket["light"]), time.Duration(r.AccuracyBracket["exact"]))
		},
		met: func(r *Result, _ int) bool { return r.AccuracyMaxErrorNS <= 100e3 },
	},
	{
		name:   "report",
		target: "<= 10 s for 10M",
		lines:  func(r *Result) int { return count(r.ReportEvents > 0) },
		measure: func(r *Result, _ int) string {
			return fmt.Sprintf("report over a recording of %d events", r.ReportEvents)
		},
		value: func(r *Result, _ int) string {
			return fmt.Sprintf("%.2f s on one core (%.2fM events/s, %.1f B/event)", r.ReportSeconds, r.ReportEventsPerSec/1e6, r.RecordBytesPerEvent)
		},
		met: func(r *Result, _ int) bool { return r.ReportEventsPerSec >= 1e6 },
	},
}

// Check judges r against the goals, in their order: one line per
// measurement, none for a phase that did not run.
func (r *Result) Check() []GoalResult {
	var out []GoalResult
	for _, g := range goals {
		n := 1
		if g.lines != nil {
			n = g.lines(r)
		}
		for i := range n {
			out = append(out, GoalResult{Name: g.name, Measure: g.measure(r, i), Value: g.value(r, i), Target: g.target, Met: g.met(r, i)})
		}
	}
	return out
}

// String is the ratio with three decimals: "0.983 [0.970, 1.000]".
func (q Ratio) String() string { return fmt.Sprintf("%.3f [%.3f, %.3f]", q.Median, q.Low, q.High) }

// ratio4 is q with four decimals, for the ratios held to 0.98.
func ratio4(q Ratio) string { return fmt.Sprintf("%.4f [%.4f, %.4f]", q.Median, q.Low, q.High) }

func count(b bool) int {
	if b {
		return 1
	}
	return 0
}
