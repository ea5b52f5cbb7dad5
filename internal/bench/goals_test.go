//go:build linux

package bench

import (
	"slices"
	"testing"
)

func TestCheckJudgesWhatWasMeasured(t *testing.T) {
	names := func(gs []GoalResult) []string {
		var out []string
		for _, g := range gs {
			out = append(out, g.Name)
		}
		return out
	}
	// Record, ps and report not run: no line of theirs.
	got := names((&Result{}).Check())
	want := []string{"throughput", "syscall", "lost_events", "cpu_per_lifecycle", "idle_cpu", "memory", "accuracy"}
	if !slices.Equal(got, want) {
		t.Errorf("goals of an empty result %v, want %v", got, want)
	}
	r := &Result{
		Ratio:        Ratio{Median: 0.985, Low: 0.955, High: 1},
		RecordRatio:  Ratio{Median: 0.99, Low: 0.97, High: 1.01},
		Ps:           []PsSpeed{{Zombies: 1000, Ratio: 0.5}, {Zombies: 15000, Ratio: 1.5}},
		ReportEvents: 10, ReportEventsPerSec: 2e6,
		MemoryLifecycles: 1_000_000, PeakRSSNoRingbufBytes: 20 << 20,
		IdleCPUNSPerSec: 2e6,
	}
	met := map[string][]bool{}
	for _, g := range r.Check() {
		met[g.Name] = append(met[g.Name], g.Met)
		if g.Measure == "" || g.Value == "" || g.Target == "" {
			t.Errorf("%s: %+v: a column is empty", g.Name, g)
		}
	}
	for name, want := range map[string][]bool{
		"throughput":  {false}, // the median is met, the CI's low end is not
		"record":      {true},
		"ps":          {true, false},
		"report":      {true},
		"memory":      {true},
		"idle_cpu":    {false},
		"lost_events": {true},
	} {
		if !slices.Equal(met[name], want) {
			t.Errorf("%s: met %v, want %v", name, met[name], want)
		}
	}
}
