//go:build linux

// Package bench measures what tracing costs: a fork storm traced and
// untraced (interleaved rounds, median ratio with a confidence interval), the
// kernel cost of each BPF program, the tracer's own CPU and memory, lost
// events, unrelated syscalls, accuracy against the workload's own clock, and
// a bpftrace script doing the minimal version of the job.
package bench

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/zombietrace/zombietrace/internal/selfstats"
)

//go:embed workload/storm.c
var stormSource []byte

// Config of a benchmark run.
type Config struct {
	Binary     string        // the zombietrace executable to measure
	Rounds     int           // interleaved untraced/light/exact rounds, a tracer started for each
	Windows    int           // detached/attached window pairs of one running tracer, per mode, at least
	WindowsMax int           // ... and at most, adding pairs while the ratio's CI is wider than windowCIWidth
	StormTime  time.Duration // one storm run
	Workers    int           // storm workers
	Burst      int           // children exiting together in the burst phase
	Lifecycles int           // memory phase: lifecycles under one tracer
	GetppidN   int           // getppid calls per syscall run
	Bpftrace   bool          // compare with bpftrace when it is installed
	Soak       time.Duration // instead of the benchmark: storm this long, print RSS every minute
	IdleTime   time.Duration // how long the idle phase watches a session with nothing to trace
	ReportN    int           // events in the report-speed recording (0: skip)
	PsZombies  []int         // zombie counts the ps phase lists at (none: skip)
	Log        io.Writer     // progress
}

// Result is the benchmark's JSON object.
type Result struct {
	Rounds      int `json:"rounds"`
	WindowPairs int `json:"window_pairs"` // the default mode's (ratio_median's)
	// Pairs each window phase took: the noisier the hour, the more.
	WindowPairsByMode        map[string]int `json:"window_pairs_by_mode,omitempty"`
	LifecyclesPerSecUntraced float64        `json:"lifecycles_per_sec_untraced"`
	// Throughput ratios from the windows: one running tracer, detached and
	// attached in alternate windows of one storm. A Ratio tagged "P" is
	// written as P_median, P_ci_low and P_ci_high (MarshalJSON).
	Ratio      Ratio `json:"ratio"`
	ExactRatio Ratio `json:"exact_ratio"`
	// The same for record (default mode) writing its file, and its CPU per
	// event (engine and file included).
	RecordRatio         Ratio   `json:"record_ratio"`
	RecordCPUNSPerEvent float64 `json:"record_cpu_ns_per_event"`
	// The same from the rounds: a storm untraced, then under a freshly
	// started tracer, seconds apart.
	RoundsRatio            Ratio   `json:"rounds_ratio"`
	RoundsExactRatioMedian float64 `json:"rounds_exact_ratio_median"`
	CPURatio               Ratio   `json:"cpu_ratio"` // untraced CPU per lifecycle / traced (storm + tracer)
	ExactCPURatioMedian    float64 `json:"exact_cpu_ratio_median"`
	StealPercent           float64 `json:"host_steal_percent"` // CPU time the hypervisor gave to others during the rounds
	EmptyProgNS            float64 `json:"empty_prog_ns"`      // an empty tp_btf program on sched_process_fork: the floor
	SyscallNSUntraced      float64 `json:"syscall_ns_untraced"`
	// getppid throughput traced/untraced, from windows of one getppid loop
	// (from the rounds with --windows 0).
	SyscallRatio      Ratio `json:"syscall_ratio"`
	ExactSyscallRatio Ratio `json:"exact_syscall_ratio"`
	// The same from the rounds: a loop untraced, then under a freshly
	// started tracer.
	RoundsSyscallRatioMedian      float64            `json:"rounds_syscall_ratio_median"`
	RoundsExactSyscallRatioMedian float64            `json:"rounds_exact_syscall_ratio_median"`
	ProgNS                        map[string]float64 `json:"prog_ns"`
	ExactProgNS                   map[string]float64 `json:"exact_prog_ns"`
	ProgRuns                      map[string]uint64  `json:"prog_runs"` // the runs each mean is over
	ExactProgRuns                 map[string]uint64  `json:"exact_prog_runs"`
	// Each program's floor: what no version of it can avoid on its hook
	// (being called, the helper calls its job needs, its ring record:
	// bpf/floors.bpf.c), in the same workload as its cost.
	FloorProgNS map[string]float64 `json:"floor_prog_ns"`
	// bpftrace's probes doing the minimal equivalent job on the same hooks,
	// keyed by our program's name (a storm beside each pair of cost storms,
	// averaged), and each of ours over its peer (light storm; exec from
	// exec's loop; exit_wait4 with --exact-waits).
	BpftraceProgNS   map[string]float64 `json:"bpftrace_prog_ns"`
	ProgOverBpftrace map[string]float64 `json:"prog_ns_over_bpftrace"`
	// Each floor over the same peer: above MaxProgOverBpftrace the goal is
	// out of reach of any version of the program on this machine.
	FloorOverBpftrace   map[string]float64 `json:"floor_ns_over_bpftrace"`
	IdleCPUNSPerSec     float64            `json:"idle_cpu_ns_per_sec"` // a session with nothing to trace: its CPU per second
	IdleSeconds         float64            `json:"idle_seconds"`
	BpftraceRatioMedian float64            `json:"bpftrace_ratio,omitempty"`
	// exec's own loop (fork, exec, exit, wait), light mode: every program
	// there, an empty program on sched_process_exec, bpftrace's exec probe.
	ExecLoopProgNS         map[string]float64 `json:"exec_loop_prog_ns"`
	ExecLoopEmptyProgNS    float64            `json:"exec_loop_empty_prog_ns"`
	BpftraceExecLoopProgNS map[string]float64 `json:"bpftrace_exec_loop_prog_ns"`
	Lifecycles             uint64             `json:"lifecycles"`
	Events                 uint64             `json:"events"`
	EventsPerLifecycle     float64            `json:"events_per_lifecycle"`
	LostEvents             uint64             `json:"lost_events"`
	BurstChildren          int                `json:"burst_children"`
	BurstLost              uint64             `json:"burst_lost_events"`
	CPUNSPerEvent          float64            `json:"cpu_ns_per_event"`
	CPUNSPerLifecycle      float64            `json:"cpu_ns_per_lifecycle"`
	CPUShareOfStorm        float64            `json:"cpu_share_of_storm"`
	MemoryLifecycles       uint64             `json:"memory_lifecycles"`
	PeakRSSBytes           uint64             `json:"peak_rss_bytes"`
	PeakRSSNoRingbufBytes  uint64             `json:"peak_rss_without_ringbuf_bytes"`
	RingbufRSSBytes        uint64             `json:"ringbuf_rss_bytes"`
	RingbufBytes           uint64             `json:"ringbuf_bytes"`
	AccuracyMaxErrorNS     uint64             `json:"accuracy_max_error_ns"`
	ReportEvents           uint64             `json:"report_events"`
	ReportSeconds          float64            `json:"report_seconds"`
	ReportEventsPerSec     float64            `json:"report_events_per_sec"`
	RecordBytesPerEvent    float64            `json:"record_bytes_per_event"`
	Accuracy               map[string]uint64  `json:"accuracy_max_error_ns_by_mode"`
	// AccuracyBracket is, per mode, the widest interval the workload's own
	// notes put the true zombie time in: how precisely the error is known.
	AccuracyBracket map[string]uint64 `json:"accuracy_bracket_ns_by_mode"`
	// Variants is the price of portability: each fallback program forced on
	// this kernel against the default (bench/variants.go).
	Variants map[string]VariantCost `json:"variants,omitempty"`
	// Ps: zombietrace ps against ps | grep at each size (bench/ps.go).
	Ps []PsSpeed `json:"ps,omitempty"`

	// Per fork + exec + exit + wait of exec's own loop: the workload's CPU (its
	// children's and our programs' included), our programs' summed time
	// (statistics on) and the tracer's CPU: what tracing adds to an exec.
	ExecLoopCPUNSPerExec       float64 `json:"exec_loop_cpu_ns_per_exec"`
	ExecLoopProgNSPerExec      float64 `json:"exec_loop_prog_ns_per_exec"`
	ExecLoopTracerCPUNSPerExec float64 `json:"exec_loop_tracer_cpu_ns_per_exec"`
}

// costRounds is how many storms per mode measure the programs' cost.
const costRounds = 3

// costPairs: costRounds, or fewer in a run of fewer rounds (a quick check:
// every variant priced once).
func costPairs(rounds int) int { return max(1, min(costRounds, rounds)) }

// execLoop is how many execs measure the exec program's cost.
const execLoop = 2000

type run struct {
	Lifecycles uint64 `json:"lifecycles"`
	NS         uint64 `json:"ns"`
	CPUNS      uint64 `json:"cpu_ns"`
	Calls      uint64 `json:"calls"`
}

func (r run) rate() float64 { return float64(r.Lifecycles) / (float64(r.NS) / 1e9) }

type bencher struct {
	cfg   Config
	dir   string
	storm string
}

// Run runs the benchmark (or the soak) and returns its result.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("bench needs root: it loads BPF programs")
	}
	dir, err := os.MkdirTemp("", "zombietrace-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	b := &bencher{cfg: cfg, dir: dir}
	if err := b.buildWorkload(); err != nil {
		return nil, err
	}
	if cfg.Soak > 0 {
		return nil, b.soak(ctx)
	}
	return b.bench(ctx)
}

// withStats runs f with the kernel's BPF run-time statistics on. They are off
// while throughput is measured: they add two clock reads to every program
// run, which a user's tracer does not pay. The descriptor switches them off
// when it closes, even if we crash.
func withStats(f func() error) error {
	stats, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
	if err != nil {
		return fmt.Errorf("enabling BPF run-time statistics: %w", err)
	}
	defer stats.Close()
	return f()
}

func (b *bencher) logf(format string, args ...any) {
	if b.cfg.Log != nil {
		fmt.Fprintf(b.cfg.Log, format+"\n", args...)
	}
}

func (b *bencher) buildWorkload() error {
	src := filepath.Join(b.dir, "storm.c")
	if err := os.WriteFile(src, stormSource, 0o644); err != nil {
		return err
	}
	b.storm = filepath.Join(b.dir, "storm")
	out, err := exec.Command("cc", "-O2", "-o", b.storm, src).CombinedOutput()
	if err != nil {
		return fmt.Errorf("compiling the storm workload (needs cc): %v: %s", err, out)
	}
	return nil
}

func (b *bencher) workload(ctx context.Context, args ...string) ([]byte, error) {
	out, err := exec.CommandContext(ctx, b.storm, args...).Output()
	if err != nil {
		return nil, fmt.Errorf("workload %v: %w", args, err)
	}
	return out, nil
}

func (b *bencher) stormRun(ctx context.Context, args ...string) (run, error) {
	out, err := b.workload(ctx, args...)
	if err != nil {
		return run{}, err
	}
	var r run
	if err := json.Unmarshal(out, &r); err != nil {
		return run{}, fmt.Errorf("workload output %q: %w", out, err)
	}
	return r, nil
}

// tracerProc is zombietrace trace running as a child, as a user runs it.
type tracerProc struct {
	cmd    *exec.Cmd
	exited chan error // cmd.Wait's result, once
	ready  string
	stats  string
	progs  map[ebpf.ProgramID]string
}

func (b *bencher) startTracer(ctx context.Context, name string, args ...string) (*tracerProc, error) {
	return b.startSession(ctx, name, "trace", args...)
}

// startSession runs a tracing command (trace or record) with a ready and a
// stats file.
func (b *bencher) startSession(ctx context.Context, name, command string, args ...string) (*tracerProc, error) {
	ready := filepath.Join(b.dir, name+".ready")
	stats := filepath.Join(b.dir, name+".stats")
	os.Remove(ready)
	os.Remove(stats)
	before, err := programIDs()
	if err != nil {
		return nil, err
	}
	argv := append([]string{command, "--ready-file", ready, "--stats-file", stats}, args...)
	cmd := exec.CommandContext(ctx, b.cfg.Binary, argv...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	t := &tracerProc{cmd: cmd, ready: ready, stats: stats, exited: make(chan error, 1)}
	go func() { t.exited <- cmd.Wait() }()
	// Ready, or why not: a tracer that died (its stderr says why), a bench
	// told to stop, or 30 s.
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	poll := time.NewTicker(5 * time.Millisecond)
	defer poll.Stop()
	for {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		select {
		case err := <-t.exited:
			return nil, fmt.Errorf("tracer exited before it was ready: %v", err)
		case <-ctx.Done():
			cmd.Process.Kill()
			<-t.exited
			return nil, ctx.Err()
		case <-deadline.C:
			cmd.Process.Kill()
			<-t.exited
			return nil, errors.New("tracer did not become ready in 30 s")
		case <-poll.C:
		}
	}
	t.progs, err = newPrograms(before)
	return t, err
}

// stop reads the programs' statistics (while still loaded), then stops the
// tracer with SIGINT and reads its own statistics.
func (t *tracerProc) stop() (selfstats.Stats, map[string]progCost, error) {
	costs := readCosts(t.progs)
	t.cmd.Process.Signal(syscall.SIGINT)
	if err := <-t.exited; err != nil {
		return selfstats.Stats{}, nil, fmt.Errorf("tracer: %w", err)
	}
	st, err := selfstats.ReadFile(t.stats)
	if err != nil {
		return st, nil, err
	}
	return st, costs, nil
}

type progCost struct{ runNS, count uint64 }

func programIDs() (map[ebpf.ProgramID]bool, error) {
	ids := make(map[ebpf.ProgramID]bool)
	id := ebpf.ProgramID(0)
	for {
		next, err := ebpf.ProgramGetNextID(id)
		if errors.Is(err, os.ErrNotExist) {
			return ids, nil
		}
		if err != nil {
			return nil, fmt.Errorf("listing BPF programs: %w", err)
		}
		ids[next] = true
		id = next
	}
}

// newPrograms names the programs loaded since before (read-only: other
// programs on the machine are never touched).
func newPrograms(before map[ebpf.ProgramID]bool) (map[ebpf.ProgramID]string, error) {
	now, err := programIDs()
	if err != nil {
		return nil, err
	}
	out := make(map[ebpf.ProgramID]string)
	for id := range now {
		if before[id] {
			continue
		}
		p, err := ebpf.NewProgramFromID(id)
		if err != nil {
			continue
		}
		if info, err := p.Info(); err == nil {
			out[id] = info.Name
		}
		p.Close()
	}
	return out, nil
}

// readCosts sums the run-time statistics of progs by name.
func readCosts(progs map[ebpf.ProgramID]string) map[string]progCost {
	out := make(map[string]progCost)
	for id, c := range readCostsByID(progs) {
		sum := out[progs[id]]
		sum.runNS += c.runNS
		sum.count += c.count
		out[progs[id]] = sum
	}
	return out
}

// readCostsByID reads the run-time statistics of each of progs.
func readCostsByID(progs map[ebpf.ProgramID]string) map[ebpf.ProgramID]progCost {
	out := make(map[ebpf.ProgramID]progCost, len(progs))
	for id := range progs {
		p, err := ebpf.NewProgramFromID(id)
		if err != nil {
			continue
		}
		st, err := p.Stats()
		p.Close()
		if err != nil {
			continue
		}
		out[id] = progCost{runNS: uint64(st.Runtime), count: st.RunCount}
	}
	return out
}

func addCosts(into, from map[string]progCost) {
	for k, v := range from {
		c := into[k]
		c.runNS += v.runNS
		c.count += v.count
		into[k] = c
	}
}

// perExec divides a loop's workload CPU, its programs' summed run time and
// the tracer's CPU by its iterations.
func perExec(r run, st selfstats.Stats, costs map[string]progCost) (cpu, progs, tracer float64) {
	if r.Lifecycles == 0 {
		return 0, 0, 0
	}
	var total uint64
	for _, c := range costs {
		total += c.runNS
	}
	n := float64(r.Lifecycles)
	return float64(r.CPUNS) / n, float64(total) / n, float64(st.CPUNS) / n
}

func runs(costs map[string]progCost) map[string]uint64 {
	out := make(map[string]uint64)
	for k, v := range costs {
		out[k] = v.count
	}
	return out
}

func meanNS(costs map[string]progCost) map[string]float64 {
	out := make(map[string]float64)
	for k, v := range costs {
		if v.count > 0 {
			out[k] = float64(v.runNS) / float64(v.count)
		}
	}
	return out
}

// bench runs the phases in order, each filling its part of the result.
func (b *bencher) bench(ctx context.Context) (*Result, error) {
	res := &Result{Rounds: b.cfg.Rounds, Accuracy: map[string]uint64{}, AccuracyBracket: map[string]uint64{}}
	for _, phase := range []func(context.Context, *Result) error{
		b.rounds,      // storms untraced and under a tracer started for each
		b.costs,       // each program's cost, statistics on: storms, exec's loop, floors, variants, bpftrace
		b.windowPhase, // one tracer, detached and attached in alternate windows
		b.idle,
		b.burst,
		b.accuracy,
		b.memory,
		b.reportPhase,
		b.psPhase,
	} {
		if err := phase(ctx, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// stormArgs is the workload's storm of cfg.StormTime.
func (b *bencher) stormArgs() []string {
	return []string{"storm", fmt.Sprint(b.cfg.Workers), fmt.Sprint(b.cfg.StormTime.Milliseconds())}
}

// getppidArgs is the workload's loop of unrelated syscalls.
func (b *bencher) getppidArgs() []string { return []string{"getppid", fmt.Sprint(b.cfg.GetppidN)} }

// execLoopArgs is exec's own loop: fork, exec, exit, wait.
func execLoopArgs() []string { return []string{"exec", fmt.Sprint(execLoop)} }

// traced runs a storm (and, for the rounds, the getppid loop) under a
// tracer started for it.
func (b *bencher) traced(ctx context.Context, mode string, syscalls bool, args ...string) (run, run, selfstats.Stats, map[string]progCost, error) {
	t, err := b.startTracer(ctx, mode, append([]string{"--json", "-o", "/dev/null"}, args...)...)
	if err != nil {
		return run{}, run{}, selfstats.Stats{}, nil, err
	}
	s, serr := b.stormRun(ctx, b.stormArgs()...)
	var g run
	var gerr error
	if syscalls {
		g, gerr = b.stormRun(ctx, b.getppidArgs()...)
	}
	st, costs, err := t.stop()
	for _, e := range []error{serr, gerr, err} {
		if e != nil {
			return run{}, run{}, selfstats.Stats{}, nil, e
		}
	}
	return s, g, st, costs, nil
}

// roundRuns is one round's runs: the storm (u, l, x) and the getppid loop (ug,
// lg, xg) untraced, light and exact, and the tracers' statistics.
type roundRuns struct {
	u, ug, l, lg, x, xg run
	lst, xst            selfstats.Stats
}

// round runs the storm and the getppid loop untraced, then under a light
// and an exact tracer, the other way round in odd rounds.
func (b *bencher) round(ctx context.Context, i int) (roundRuns, error) {
	var r roundRuns
	untraced := func() (err error) {
		if r.u, err = b.stormRun(ctx, b.stormArgs()...); err != nil {
			return err
		}
		r.ug, err = b.stormRun(ctx, b.getppidArgs()...)
		return err
	}
	light := func() (err error) { r.l, r.lg, r.lst, _, err = b.traced(ctx, "light", true); return err }
	exact := func() (err error) {
		r.x, r.xg, r.xst, _, err = b.traced(ctx, "exact", true, "--exact-waits")
		return err
	}
	// Alternate the order so that drift of a noisy host cancels out.
	order := []func() error{untraced, light, exact}
	if i%2 == 1 {
		order = []func() error{exact, light, untraced}
	}
	for _, f := range order {
		if err := f(); err != nil {
			return roundRuns{}, err
		}
	}
	return r, nil
}

// rounds measures throughput, CPU and syscall ratios from interleaved
// rounds, a tracer started for each, and the light tracer's CPU.
func (b *bencher) rounds(ctx context.Context, res *Result) error {
	cfg := b.cfg
	var ratios, exactRatios, sysRatios, exactSysRatios, untracedRates, untracedSys, cpuRatios, exactCPURatios []float64
	var lightCPU, lightEvents, lightLifecycles, lightStormCPU uint64
	steal0, total0 := readSteal()
	for i := 0; i < cfg.Rounds; i++ {
		r, err := b.round(ctx, i)
		if err != nil {
			return err
		}
		u, ug, l, lg, x, xg, lst, xst := r.u, r.ug, r.l, r.lg, r.x, r.xg, r.lst, r.xst
		// CPU per lifecycle: the storm's own (BPF programs run in its context)
		// plus the tracer's; time the hypervisor gave to other guests is in
		// neither, so this is steadier than throughput on a shared host.
		perLC := func(r run, tracer uint64) float64 { return float64(r.CPUNS+tracer) / float64(r.Lifecycles) }
		cpuRatios = append(cpuRatios, perLC(u, 0)/perLC(l, lst.CPUNS))
		exactCPURatios = append(exactCPURatios, perLC(u, 0)/perLC(x, xst.CPUNS))
		untracedRates = append(untracedRates, u.rate())
		ratios = append(ratios, l.rate()/u.rate())
		exactRatios = append(exactRatios, x.rate()/u.rate())
		untracedSys = append(untracedSys, float64(ug.NS)/float64(ug.Calls))
		// A syscall ratio is throughput too: untraced time / traced time.
		sysRatios = append(sysRatios, float64(ug.NS)/float64(lg.NS))
		exactSysRatios = append(exactSysRatios, float64(ug.NS)/float64(xg.NS))
		lightCPU += lst.CPUNS
		lightEvents += lst.Events
		lightLifecycles += l.Lifecycles
		lightStormCPU += l.CPUNS
		res.Lifecycles += u.Lifecycles + l.Lifecycles + x.Lifecycles
		res.Events += lst.Events + xst.Events
		res.LostEvents += lst.LostEvents + xst.LostEvents
		b.logf("round %2d/%d: untraced %6.0f/s  light %.3f (cpu %.3f)  exact %.3f (cpu %.3f)  getppid %.0f ns: light %.3f exact %.3f  lost %d",
			i+1, cfg.Rounds, u.rate(), l.rate()/u.rate(), cpuRatios[i], x.rate()/u.rate(), exactCPURatios[i], float64(ug.NS)/float64(ug.Calls),
			float64(ug.NS)/float64(lg.NS), float64(ug.NS)/float64(xg.NS), lst.LostEvents+xst.LostEvents)
	}
	if steal1, total1 := readSteal(); total1 > total0 {
		res.StealPercent = 100 * float64(steal1-steal0) / float64(total1-total0)
	}
	res.CPURatio = ratioOf(cpuRatios)
	res.ExactCPURatioMedian, _, _ = medianCI(exactCPURatios)
	res.LifecyclesPerSecUntraced, _, _ = medianCI(untracedRates)
	res.RoundsRatio = ratioOf(ratios)
	res.RoundsExactRatioMedian, _, _ = medianCI(exactRatios)
	res.SyscallNSUntraced, _, _ = medianCI(untracedSys)
	res.RoundsSyscallRatioMedian, _, _ = medianCI(sysRatios)
	res.RoundsExactSyscallRatioMedian, _, _ = medianCI(exactSysRatios)
	if lightEvents > 0 && lightLifecycles > 0 {
		res.CPUNSPerEvent = float64(lightCPU) / float64(lightEvents)
		res.CPUNSPerLifecycle = float64(lightCPU) / float64(lightLifecycles)
		res.EventsPerLifecycle = float64(lightEvents) / float64(lightLifecycles)
		res.CPUShareOfStorm = float64(lightCPU) / float64(lightStormCPU)
	}
	return nil
}

// costs measures what each program costs per run, with the kernel's
// run-time statistics on: in storms under each mode, in exec's own loop,
// against the floors, each fallback variant, and bpftrace's peers.
func (b *bencher) costs(ctx context.Context, res *Result) error {
	light, exact := map[string]progCost{}, map[string]progCost{}
	floors, empties := map[string]progCost{}, map[string]progCost{}
	peers := map[string]float64{}
	err := withStats(func() error {
		if err := b.stormCosts(ctx, light, exact, floors, empties, peers); err != nil {
			return err
		}
		if err := b.execLoopCosts(ctx, res, light, exact); err != nil {
			return err
		}
		if err := floorCosts(ctx, b, []string{"handle_exec"}, []string{"sched_process_exec"}, execLoopArgs(), floors, empties); err != nil {
			b.logf("floor calibration in the exec loop skipped: %v", err)
		}
		variants, err := b.variants(ctx, b.stormArgs(), execLoopArgs(), costPairs(b.cfg.Rounds))
		if err != nil {
			return err
		}
		res.Variants = variants
		if b.cfg.Bpftrace {
			if err := b.bpftrace(ctx, res, b.stormArgs(), execLoopArgs()); err != nil {
				b.logf("bpftrace comparison skipped: %v", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	res.ProgNS, res.ExactProgNS = meanNS(light), meanNS(exact)
	res.ProgRuns, res.ExactProgRuns = runs(light), runs(exact)
	if len(peers) > 0 {
		res.BpftraceProgNS = peers
	}
	res.FloorProgNS = meanNS(floors)
	res.EmptyProgNS = meanNS(empties)["sched_process_fork"]
	res.ExecLoopEmptyProgNS = meanNS(empties)["sched_process_exec"]
	res.ProgOverBpftrace = overBpftrace(res)
	res.FloorOverBpftrace = floorOverBpftrace(res)
	return nil
}

// stormCosts adds the programs' costs in storms under each mode, and
// beside each pair their floors' (tracer.Floors) and bpftrace's peers' in
// storms of their own: those are as noisy as the costs (bpftrace's swung
// by half between runs measured once), so they are measured as often, in
// turn. The peers' means are averaged over the pairs into peers.
func (b *bencher) stormCosts(ctx context.Context, light, exact, floors, empties map[string]progCost, peers map[string]float64) error {
	measureFloors := true
	bpftrace := ""
	if b.cfg.Bpftrace {
		var err error
		if bpftrace, err = bpftracePath(); err != nil {
			b.logf("bpftrace comparison skipped: %v", err)
		}
	}
	var peerRuns []map[string]float64
	for i := 0; i < costPairs(b.cfg.Rounds); i++ {
		for _, mode := range []struct {
			costs map[string]progCost
			args  []string
		}{{light, nil}, {exact, []string{"--exact-waits"}}} {
			_, _, _, c, err := b.traced(ctx, "cost", false, mode.args...)
			if err != nil {
				return err
			}
			addCosts(mode.costs, c)
		}
		if measureFloors {
			err := floorCosts(ctx, b, stormFloors, []string{"sched_process_fork"}, b.stormArgs(), floors, empties)
			if err == nil {
				// exit_wait4's beside the others, as in exact mode: the
				// wait's entry in the same syscall warms what it reads.
				exactFloors := map[string]progCost{}
				err = floorCosts(ctx, b, append(slices.Clone(stormFloors), "exit_wait4"), nil, b.stormArgs(), exactFloors, nil)
				addCosts(floors, map[string]progCost{"exit_wait4": exactFloors["exit_wait4"]})
			}
			if err != nil {
				b.logf("floor calibration skipped: %v", err)
				measureFloors = false
			}
		}
		if bpftrace != "" {
			c, err := b.bpftraceCosts(ctx, bpftrace)
			if err != nil {
				b.logf("bpftrace comparison skipped: %v", err)
				bpftrace = ""
				continue
			}
			peerRuns = append(peerRuns, c)
		}
	}
	for _, run := range peerRuns {
		for name, ns := range run {
			peers[name] += ns / float64(len(peerRuns))
		}
	}
	return nil
}

// execLoopCosts measures exec's cost. The storms exec only a few times,
// cold: exec's cost comes from a loop of its own. exec leaves the caches
// cold, so every program costs more there: the loop also gives the others'
// costs (light mode), and what tracing adds to an exec.
func (b *bencher) execLoopCosts(ctx context.Context, res *Result, light, exact map[string]progCost) error {
	for _, mode := range []struct {
		costs map[string]progCost
		args  []string
	}{{light, nil}, {exact, []string{"--exact-waits"}}} {
		t, err := b.startTracer(ctx, "cost", append([]string{"--json", "-o", "/dev/null"}, mode.args...)...)
		if err != nil {
			return err
		}
		r, lerr := b.stormRun(ctx, execLoopArgs()...)
		st, c, err := t.stop()
		if err := errors.Join(lerr, err); err != nil {
			return err
		}
		mode.costs["handle_exec"] = c["handle_exec"]
		if mode.args == nil {
			res.ExecLoopProgNS = meanNS(c)
			res.ExecLoopCPUNSPerExec, res.ExecLoopProgNSPerExec, res.ExecLoopTracerCPUNSPerExec = perExec(r, st, c)
		}
	}
	return nil
}

// reportPhase times report over a recording of cfg.ReportN events (none:
// skipped).
func (b *bencher) reportPhase(ctx context.Context, res *Result) error {
	if b.cfg.ReportN <= 0 {
		return nil
	}
	return b.reportSpeed(ctx, res, b.cfg.ReportN)
}

// psPhase races zombietrace ps against ps | grep at each of cfg.PsZombies.
func (b *bencher) psPhase(ctx context.Context, res *Result) error {
	return b.psSpeed(ctx, res, b.cfg.PsZombies)
}

// windowPhase measures both modes in windows (see windows).
func (b *bencher) windowPhase(ctx context.Context, res *Result) error {
	if b.cfg.Windows <= 0 {
		res.Ratio = res.RoundsRatio
		res.ExactRatio.Median = res.RoundsExactRatioMedian
		res.SyscallRatio.Median, res.ExactSyscallRatio.Median = res.RoundsSyscallRatioMedian, res.RoundsExactSyscallRatioMedian
		return nil
	}
	recordFile := filepath.Join(b.dir, "windows.zt")
	defer os.Remove(recordFile)
	type workload struct {
		args []string // the live workload's
		unit string
	}
	storm := workload{[]string{fmt.Sprint(b.cfg.Workers)}, "lifecycles"}
	// One getppid loop: unrelated syscalls. Its windows spread as much as
	// the storm's here (0.8-1.3 in a pair with nothing toggled).
	getppid := workload{[]string{"1", "getppid"}, "calls"}
	trace := []string{"trace", "--json", "-o", "/dev/null"}
	res.WindowPairsByMode = map[string]int{}
	for _, mode := range []struct {
		name        string
		work        workload
		argv        []string
		ratio       *Ratio
		cpuPerEvent *float64 // nil: the rounds measure it
	}{
		{"light", storm, trace, &res.Ratio, nil},
		{"exact", storm, append(trace, "--exact-waits"), &res.ExactRatio, nil},
		// record in the default mode, writing its file on this disk
		{"record", storm, []string{"record", "-o", recordFile}, &res.RecordRatio, &res.RecordCPUNSPerEvent},
		{"getppid-light", getppid, trace, &res.SyscallRatio, nil},
		{"getppid-exact", getppid, append(trace, "--exact-waits"), &res.ExactSyscallRatio, nil},
	} {
		// Lifecycles of detached windows have no events: only losses count
		// towards the totals.
		ratios, count, st, err := b.windows(ctx, "windows-"+mode.name, b.cfg.Windows, b.cfg.WindowsMax, mode.work.args, mode.argv[0], mode.argv[1:]...)
		if err != nil {
			return fmt.Errorf("windows (%s): %w", mode.name, err)
		}
		*mode.ratio = ratioOf(ratios)
		res.WindowPairsByMode[mode.name] = len(ratios)
		if mode.cpuPerEvent != nil && st.Events > 0 {
			*mode.cpuPerEvent = float64(st.CPUNS) / float64(st.Events)
		}
		res.LostEvents += st.LostEvents
		sorted := append([]float64(nil), ratios...)
		sort.Float64s(sorted)
		b.logf("windows (%s): %d pairs over %d %s, attached/detached %.3f [%.3f, %.3f] (pairs %.3f-%.3f), %d events, %d lost",
			mode.name, len(ratios), count, mode.work.unit, mode.ratio.Median, mode.ratio.Low, mode.ratio.High, sorted[0], sorted[len(sorted)-1], st.Events, st.LostEvents)
	}
	res.WindowPairs = res.WindowPairsByMode["light"]
	return nil
}

func (b *bencher) burst(ctx context.Context, res *Result) error {
	t, err := b.startTracer(ctx, "burst", "--json", "-o", "/dev/null")
	if err != nil {
		return err
	}
	_, werr := b.stormRun(ctx, "burst", fmt.Sprint(b.cfg.Burst))
	st, _, err := t.stop()
	if werr != nil {
		return werr
	}
	if err != nil {
		return err
	}
	res.BurstChildren = b.cfg.Burst
	res.BurstLost = st.LostEvents
	res.LostEvents += st.LostEvents
	b.logf("burst: %d children exiting together, %d events, %d lost", b.cfg.Burst, st.Events, st.LostEvents)
	return nil
}

// accuracy compares the tracer's zombie time with the workload's own
// CLOCK_BOOTTIME notes: the child's last before it exits and the parent's on
// taking the SIGCHLD bracket the exit, the parent's around its waitpid the
// reap. The error is how far outside [reap_lo-exit_hi, reap_hi-exit_lo] the
// tracer's figure falls. (Taking the SIGCHLD as the exit counted the
// parent's wakeup latency, hundreds of us on a noisy host, as error.)
func (b *bencher) accuracy(ctx context.Context, res *Result) error {
	for _, mode := range []struct{ name, flag string }{{"light", ""}, {"exact", "--exact-waits"}} {
		out := filepath.Join(b.dir, "accuracy-"+mode.name+".jsonl")
		args := []string{"--json", "-o", out}
		if mode.flag != "" {
			args = append(args, mode.flag)
		}
		t, err := b.startTracer(ctx, "accuracy-"+mode.name, args...)
		if err != nil {
			return err
		}
		var own [][5]uint64
		var werr error
		for _, spec := range [][2]string{{"1000", "5"}, {"10000", "5"}, {"100000", "3"}} {
			o, err := b.workload(ctx, "accuracy", spec[0], spec[1])
			if err != nil {
				werr = err
				break
			}
			var parsed struct {
				Children [][5]uint64 `json:"children"`
			}
			if err := json.Unmarshal(o, &parsed); err != nil {
				werr = err
				break
			}
			own = append(own, parsed.Children...)
		}
		if _, _, err := t.stop(); err != nil {
			return err
		}
		if werr != nil {
			return werr
		}
		zombie, err := reapTimes(out)
		if err != nil {
			return err
		}
		var maxErr, maxBracket uint64
		for _, c := range own {
			z, ok := zombie[uint32(c[0])]
			if !ok {
				return fmt.Errorf("accuracy (%s): no reap line for pid %d", mode.name, c[0])
			}
			exitLo, exitHi, reapLo, reapHi := c[1], c[2], c[3], c[4]
			lo, hi := reapLo-exitHi, reapHi-exitLo
			maxBracket = max(maxBracket, hi-lo)
			switch {
			case z < lo:
				maxErr = max(maxErr, lo-z)
			case z > hi:
				maxErr = max(maxErr, z-hi)
			}
		}
		res.AccuracyBracket[mode.name] = maxBracket
		res.Accuracy[mode.name] = maxErr
		if maxErr > res.AccuracyMaxErrorNS {
			res.AccuracyMaxErrorNS = maxErr
		}
		b.logf("accuracy (%s): %d children reaped after 1/10/100 ms, max error %v (truth known within %v)", mode.name, len(own), time.Duration(maxErr), time.Duration(maxBracket))
	}
	return nil
}

func reapTimes(path string) (map[uint32]uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := make(map[uint32]uint64)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Bytes()
		if !strings.Contains(string(line), `"type":"reap"`) {
			continue
		}
		var r struct {
			PID      uint32 `json:"pid"`
			ZombieNS uint64 `json:"zombie_ns"`
		}
		if err := json.Unmarshal(line, &r); err != nil {
			return nil, err
		}
		out[r.PID] = r.ZombieNS
	}
	return out, sc.Err()
}

// memory runs one tracer through cfg.Lifecycles lifecycles and reports its
// peak RSS, with and without the ring buffer mapping.
func (b *bencher) memory(ctx context.Context, res *Result) error {
	t, err := b.startTracer(ctx, "memory", "--json", "-o", "/dev/null")
	if err != nil {
		return err
	}
	var total uint64
	// vfork lifecycles: the same events per lifecycle, ~20x more of them
	// per second than fork's here, so 1M fit in about a minute.
	for total < uint64(b.cfg.Lifecycles) {
		r, err := b.stormRun(ctx, "vstorm", fmt.Sprint(b.cfg.Workers), "2000")
		if err != nil {
			t.stop()
			return err
		}
		total += r.Lifecycles
	}
	st, _, err := t.stop()
	if err != nil {
		return err
	}
	res.MemoryLifecycles = total
	res.PeakRSSBytes = st.PeakRSSBytes
	res.RingbufRSSBytes = st.RingbufRSS
	res.RingbufBytes = st.RingbufBytes
	if st.PeakRSSBytes > st.RingbufRSS {
		res.PeakRSSNoRingbufBytes = st.PeakRSSBytes - st.RingbufRSS
	}
	res.LostEvents += st.LostEvents
	b.logf("memory: %d lifecycles, peak RSS %.1f MiB (%.1f MiB of it the ring buffer mapping), %d records held at the end",
		total, mib(st.PeakRSSBytes), mib(st.RingbufRSS), st.Processes)
	return nil
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// overBpftrace divides each of our programs' cost by its bpftrace peer's,
// both measured in the same workload.
func overBpftrace(r *Result) map[string]float64 {
	return perPeer(r, func(name string) float64 {
		switch name {
		case "exit_wait4":
			return r.ExactProgNS[name]
		case "handle_exec":
			return r.ExecLoopProgNS[name]
		}
		return r.ProgNS[name]
	})
}

// floorOverBpftrace divides each program's floor by its bpftrace peer's
// cost: above MaxProgOverBpftrace, no version of the program meets the goal
// on this machine.
func floorOverBpftrace(r *Result) map[string]float64 {
	return perPeer(r, func(name string) float64 { return r.FloorProgNS[name] })
}

// perPeer divides ours(name) by the cost of name's bpftrace peer, for each
// peer measured (exec's in exec's loop).
func perPeer(r *Result, ours func(name string) float64) map[string]float64 {
	out := map[string]float64{}
	add := func(name string, peer float64) {
		if o := ours(name); o > 0 && peer > 0 {
			out[name] = o / peer
		}
	}
	for name, peer := range r.BpftraceProgNS {
		add(name, peer)
	}
	add("handle_exec", r.BpftraceExecLoopProgNS["handle_exec"])
	return out
}

// idle measures a session on a quiet machine (no workload): its CPU per
// second, from the kernel's per-thread run time (ns, unlike the ticks of
// /proc/PID/stat), once it is ready, so that loading is not counted.
func (b *bencher) idle(ctx context.Context, res *Result) error {
	t, err := b.startTracer(ctx, "idle", "--json", "-o", "/dev/null")
	if err != nil {
		return err
	}
	pid := t.cmd.Process.Pid
	time.Sleep(time.Second) // the first poll and the preexisting-zombie scan
	cpu0, err := threadsCPUNS(pid)
	t0 := time.Now()
	if err == nil {
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-time.After(b.cfg.IdleTime):
		}
	}
	var cpu1 uint64
	if err == nil {
		cpu1, err = threadsCPUNS(pid)
	}
	elapsed := time.Since(t0)
	if _, _, serr := t.stop(); err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("idle session: %w", err)
	}
	res.IdleSeconds = elapsed.Seconds()
	res.IdleCPUNSPerSec = float64(cpu1-cpu0) / elapsed.Seconds()
	b.logf("idle: %.0f us of CPU per second over %.0f s with nothing to trace", res.IdleCPUNSPerSec/1e3, elapsed.Seconds())
	return nil
}

// threadsCPUNS sums the run time of pid's threads (/proc/PID/task/*/schedstat).
func threadsCPUNS(pid int) (uint64, error) {
	dirs, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0, err
	}
	var sum uint64
	for _, d := range dirs {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, d.Name()))
		if err != nil {
			continue // a thread that just ended
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			continue
		}
		ns, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("schedstat of %d/%s: %q", pid, d.Name(), b)
		}
		sum += ns
	}
	return sum, nil
}

// bpftracePeer is bpftrace's minimal equivalent of one of our programs: a
// probe on the same hook doing the least of the same job (stamp, look up,
// forget).
type bpftracePeer struct {
	ours  string // our program's name: the key of bpftrace_prog_ns
	probe string
}

// bpftracePeers is the minimal job as a user would write it: stamps in maps
// by pid, the zombie time when wait4 returns, forgotten at the free. In the
// script's order: bpftrace loads its programs in that order (their IDs
// ascend), and names them by the tracepoint's first 15 characters, which
// fork and free share.
var bpftracePeers = []bpftracePeer{
	{"handle_fork", `tracepoint:sched:sched_process_fork { @start[args->child_pid] = nsecs; }`},
	{"handle_exit", `tracepoint:sched:sched_process_exit { @exit[pid] = nsecs; }`},
	{"handle_signal", `tracepoint:signal:signal_generate /args->sig == 17/ { @notify[pid] = nsecs; }`},
	{"handle_wait", `tracepoint:sched:sched_process_wait { @wait[tid] = nsecs; }`},
	{"handle_free", `tracepoint:sched:sched_process_free { delete(@start[args->pid]); delete(@exit[args->pid]); delete(@notify[args->pid]); }`},
	{"exit_wait4", `tracepoint:syscalls:sys_exit_wait4 /args->ret > 0/ {
	$t = @notify[args->ret];
	if ($t) { @zombie_ns = hist(nsecs - $t); }
	delete(@wait[tid]);
}`},
}

// bpftraceExecPeers is its exec probe, as a user would add it to know what
// a process ran: the path per pid, dropped at the reap. A script of its own:
// its name would be sched_process_exit's.
var bpftraceExecPeers = []bpftracePeer{
	{"handle_exec", `tracepoint:sched:sched_process_exec { @path[pid] = str(args->filename); }`},
	{"exit_wait4", `tracepoint:syscalls:sys_exit_wait4 /args->ret > 0/ { delete(@path[args->ret]); }`},
}

func peerScript(peers []bpftracePeer) string {
	var b strings.Builder
	for _, p := range peers {
		b.WriteString(p.probe)
		b.WriteByte('\n')
	}
	return b.String()
}

// peerCosts keys bpftrace's programs' mean costs by our programs' names:
// its programs in ID order are the peers in script order, and each name must
// be its tracepoint's (cut at 15 characters), or nothing is claimed.
func peerCosts(peers []bpftracePeer, progs map[ebpf.ProgramID]string, costs map[ebpf.ProgramID]progCost) (map[string]float64, error) {
	ids := slices.Sorted(maps.Keys(progs))
	if len(ids) != len(peers) {
		return nil, fmt.Errorf("bpftrace loaded %d programs for %d probes", len(ids), len(peers))
	}
	out := make(map[string]float64, len(peers))
	for i, id := range ids {
		tp := probeTracepoint(peers[i].probe)
		if want := tp[:min(len(tp), 15)]; progs[id] != want {
			return nil, fmt.Errorf("bpftrace's program %d is %q, want %q (%s)", id, progs[id], want, peers[i].ours)
		}
		if c := costs[id]; c.count > 0 {
			out[peers[i].ours] = float64(c.runNS) / float64(c.count)
		}
	}
	return out, nil
}

// probeTracepoint is the tracepoint of a bpftrace probe ("a:b:NAME /filter/ {...}").
func probeTracepoint(probe string) string {
	head := probe[:strings.IndexAny(probe, " /{")]
	return head[strings.LastIndex(head, ":")+1:]
}

func (b *bencher) bpftrace(ctx context.Context, res *Result, stormArgs, execArgs []string) error {
	path, err := bpftracePath()
	if err != nil {
		return err
	}
	err = b.underBpftrace(ctx, path, bpftracePeers, func(progs map[ebpf.ProgramID]string) error {
		r, err := b.stormRun(ctx, stormArgs...)
		if err != nil {
			return err
		}
		u, err := b.stormRun(ctx, stormArgs...)
		if err != nil {
			return err
		}
		res.BpftraceRatioMedian = r.rate() / u.rate()
		b.logf("bpftrace: %d probes, one storm ratio %.3f", len(progs), res.BpftraceRatioMedian)
		return nil
	})
	if err != nil {
		return err
	}
	return b.underBpftrace(ctx, path, bpftraceExecPeers, func(progs map[ebpf.ProgramID]string) error {
		if _, err := b.stormRun(ctx, execArgs...); err != nil {
			return err
		}
		res.BpftraceExecLoopProgNS, err = peerCosts(bpftraceExecPeers, progs, readCostsByID(progs))
		return err
	})
}

func bpftracePath() (string, error) {
	path, err := exec.LookPath("bpftrace")
	if err != nil {
		return "", errors.New("bpftrace is not installed (apt-get install bpftrace)")
	}
	return path, nil
}

// bpftraceCosts runs one storm under bpftrace's peers and returns each
// one's mean ns per run, keyed by our programs' names.
func (b *bencher) bpftraceCosts(ctx context.Context, path string) (map[string]float64, error) {
	var costs map[string]float64
	err := b.underBpftrace(ctx, path, bpftracePeers, func(progs map[ebpf.ProgramID]string) error {
		if _, err := b.stormRun(ctx, b.stormArgs()...); err != nil {
			return err
		}
		var err error
		costs, err = peerCosts(bpftracePeers, progs, readCostsByID(progs))
		return err
	})
	return costs, err
}

// underBpftrace runs f while bpftrace runs script, once its probes are in.
// Only programs named like the peers' tracepoints count: other programs
// can load meanwhile (tests load ours in parallel).
func (b *bencher) underBpftrace(ctx context.Context, path string, peers []bpftracePeer, f func(map[ebpf.ProgramID]string) error) error {
	script, probes := peerScript(peers), len(peers)
	names := map[string]bool{}
	for _, p := range peers {
		tp := probeTracepoint(p.probe)
		names[tp[:min(len(tp), 15)]] = true
	}
	before, err := programIDs()
	if err != nil {
		return err
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(cctx, path, "-e", script)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		// SIGINT lets bpftrace detach and exit, on every path: a bare Wait
		// after a failed attach waited for ever. Killed if it does not exit.
		cmd.Process.Signal(syscall.SIGINT)
		kill := time.AfterFunc(10*time.Second, cancel)
		cmd.Wait()
		kill.Stop()
	}()
	var progs map[ebpf.ProgramID]string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if progs, err = newPrograms(before); err != nil {
			return err
		}
		maps.DeleteFunc(progs, func(_ ebpf.ProgramID, name string) bool { return !names[name] })
		if len(progs) >= probes {
			break
		}
	}
	if len(progs) < probes {
		return fmt.Errorf("bpftrace did not attach its %d probes in 30 s", probes)
	}
	time.Sleep(200 * time.Millisecond)
	return f(progs)
}

// soak storms for cfg.Soak under one tracer and prints its RSS and goroutine
// count every minute: both must stay flat.
func (b *bencher) soak(ctx context.Context) error {
	t, err := b.startTracer(ctx, "soak", "--json", "-o", "/dev/null", "--stats-interval", "10s")
	if err != nil {
		return err
	}
	start := time.Now()
	next := start.Add(time.Minute)
	var total uint64
	b.logf("soak: %v of fork storm under one tracer", b.cfg.Soak)
	for time.Since(start) < b.cfg.Soak {
		r, err := b.stormRun(ctx, "storm", fmt.Sprint(b.cfg.Workers), "5000")
		if err != nil {
			t.stop()
			return err
		}
		total += r.Lifecycles
		if time.Now().After(next) {
			next = next.Add(time.Minute)
			if st, err := selfstats.ReadFile(t.stats); err == nil {
				b.logf("%6.0fs  %9d lifecycles  RSS %.1f MiB (ring buffer %.1f)  peak %.1f MiB  goroutines %d  records %d  lost %d",
					time.Since(start).Seconds(), total, mib(st.RSSBytes), mib(st.RingbufRSS), mib(st.PeakRSSBytes), st.Goroutines, st.Processes, st.LostEvents)
			}
		}
	}
	st, _, err := t.stop()
	if err != nil {
		return err
	}
	b.logf("soak done: %d lifecycles, %d events, %d lost, final RSS %.1f MiB, peak %.1f MiB, goroutines %d",
		total, st.Events, st.LostEvents, mib(st.RSSBytes), mib(st.PeakRSSBytes), st.Goroutines)
	return nil
}
