package bench

import (
	"testing"

	"github.com/zombietrace/zombietrace/internal/selfstats"
)

func TestMedianCI(t *testing.T) {
	xs := make([]float64, 15)
	for i := range xs {
		xs[i] = float64(15 - i) // 15 .. 1
	}
	m, lo, hi := medianCI(xs)
	// n = 15: P(Bin < 4) = 0.0176, P(Bin < 5) = 0.059: ranks 4 and 12.
	if m != 8 || lo != 4 || hi != 12 {
		t.Fatalf("median %v CI [%v, %v]", m, lo, hi)
	}
	if m, lo, hi := medianCI([]float64{2, 1}); m != 1.5 || lo != 1 || hi != 2 {
		t.Fatalf("n=2: %v [%v %v]", m, lo, hi)
	}
}

func TestPerExecSumsEveryProgram(t *testing.T) {
	r := run{Lifecycles: 2000, CPUNS: 800_000_000}
	costs := map[string]progCost{
		"handle_exec": {runNS: 900_000, count: 2000},
		"handle_fork": {runNS: 300_000, count: 2000},
		"handle_wait": {runNS: 800_000, count: 4000},
	}
	cpu, progs, tracer := perExec(r, selfstats.Stats{CPUNS: 2_400_000}, costs)
	if cpu != 400_000 || progs != 1000 || tracer != 1200 {
		t.Fatalf("per exec: cpu %v, programs %v, tracer %v", cpu, progs, tracer)
	}
	if cpu, progs, tracer := perExec(run{}, selfstats.Stats{CPUNS: 1}, costs); cpu != 0 || progs != 0 || tracer != 0 {
		t.Fatalf("no iterations: %v %v %v", cpu, progs, tracer)
	}
}
