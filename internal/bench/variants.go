//go:build linux

package bench

import (
	"context"
	"fmt"
	"sort"

	"github.com/zombietrace/zombietrace/internal/selfstats"
)

// VariantCost is the price of one fallback program variant, forced on this
// kernel as a kernel without its feature would load it, against the
// default variant in the same pairs of storms.
type VariantCost struct {
	Forced        []string `json:"forced"`          // the tracer flags that force it
	ProgNS        float64  `json:"prog_ns"`         // the fallback's mean run time
	DefaultProgNS float64  `json:"default_prog_ns"` // the default variant's, same pairs
	// RateRatio is the storm's lifecycles per second with the fallback over
	// those with the default (median of the pairs): below 1, slower.
	RateRatio float64 `json:"rate_ratio"`
	// The tracer's own CPU per event (decoding, engine, output).
	CPUNSPerEvent        float64 `json:"cpu_ns_per_event"`
	DefaultCPUNSPerEvent float64 `json:"default_cpu_ns_per_event"`
	Pairs                int     `json:"pairs"`
}

// fallback is a variant the loader takes when a kernel lacks what the
// default needs (tracer/variants.go), and how to force it here.
type fallback struct {
	prog, dflt string // the fallback and the default it replaces (one program for a transport)
	flags      []string
	exec       bool   // measured in the exec loop (the storms exec rarely)
	name       string // the JSON key when it is not prog
}

var fallbacks = []fallback{
	// Before 5.12 (no BPF atomics) every record takes the ring buffer:
	// measured on the program that runs most, fork.
	{"handle_fork", "handle_fork", []string{"--ringbuf-transport"}, false, "ringbuf_transport"},
	// Before 5.15 (no bpf_task_pt_regs; before 5.11 no typed current) the
	// compat object: current by probe reads, waits at their syscalls' entry
	// and exit (exact mode), the ring buffer. Measured on the wait program,
	// which reads the entry instead of the registers; the rate ratio
	// carries the syscall tracepoints.
	{"handle_wait", "handle_wait", []string{"--compat-object"}, false, "compat_object"},
	{"handle_signal_nokfunc", "handle_signal", []string{"--fail-program", "handle_signal"}, false, ""},
	{"handle_exec_nokfunc", "handle_exec", []string{"--fail-program", "handle_exec"}, true, ""},
	{"handle_exit_live", "handle_exit", []string{"--live-fallback"}, false, ""},
}

// variants runs, for each fallback, pairs of storms under a tracer with the
// default programs and one with the fallback forced, in alternating order.
// Run-time statistics must be on.
func (b *bencher) variants(ctx context.Context, stormArgs, execArgs []string, pairs int) (map[string]VariantCost, error) {
	out := map[string]VariantCost{}
	for _, f := range fallbacks {
		work := stormArgs
		if f.exec {
			work = execArgs
		}
		one := func(flags []string) (run, selfstats.Stats, map[string]progCost, error) {
			t, err := b.startTracer(ctx, "variant", append([]string{"--json", "-o", "/dev/null"}, flags...)...)
			if err != nil {
				return run{}, selfstats.Stats{}, nil, err
			}
			r, rerr := b.stormRun(ctx, work...)
			st, c, err := t.stop()
			if rerr != nil {
				return run{}, selfstats.Stats{}, nil, rerr
			}
			return r, st, c, err
		}
		var (
			ratios                       []float64
			dCost, fCost                 progCost
			dCPU, dEvents, fCPU, fEvents uint64
		)
		for i := 0; i < pairs; i++ {
			var d, v run
			var dst, vst selfstats.Stats
			var dc, vc map[string]progCost
			var err error
			steps := []func() error{
				func() error { d, dst, dc, err = one(nil); return err },
				func() error { v, vst, vc, err = one(f.flags); return err },
			}
			if i%2 == 1 {
				steps[0], steps[1] = steps[1], steps[0]
			}
			for _, s := range steps {
				if err := s(); err != nil {
					return nil, fmt.Errorf("variant %s: %w", f.prog, err)
				}
			}
			if vc[f.prog].count == 0 {
				return nil, fmt.Errorf("variant %s: forced with %v, but it did not run", f.prog, f.flags)
			}
			ratios = append(ratios, v.rate()/d.rate())
			dCost.runNS += dc[f.dflt].runNS
			dCost.count += dc[f.dflt].count
			fCost.runNS += vc[f.prog].runNS
			fCost.count += vc[f.prog].count
			dCPU, dEvents = dCPU+dst.CPUNS, dEvents+dst.Events
			fCPU, fEvents = fCPU+vst.CPUNS, fEvents+vst.Events
		}
		sort.Float64s(ratios)
		vcst := VariantCost{Forced: f.flags, Pairs: pairs, RateRatio: ratios[len(ratios)/2]}
		if fCost.count > 0 {
			vcst.ProgNS = float64(fCost.runNS) / float64(fCost.count)
		}
		if dCost.count > 0 {
			vcst.DefaultProgNS = float64(dCost.runNS) / float64(dCost.count)
		}
		if fEvents > 0 {
			vcst.CPUNSPerEvent = float64(fCPU) / float64(fEvents)
		}
		if dEvents > 0 {
			vcst.DefaultCPUNSPerEvent = float64(dCPU) / float64(dEvents)
		}
		name := f.prog
		if f.name != "" {
			name = f.name
		}
		out[name] = vcst
		b.logf("variant %s (%v): %s %.0f ns per run against %.0f; storm rate %.3f of the default's; tracer %.0f ns/event against %.0f",
			name, f.flags, f.prog, vcst.ProgNS, vcst.DefaultProgNS, vcst.RateRatio, vcst.CPUNSPerEvent, vcst.DefaultCPUNSPerEvent)
	}
	return out, nil
}
