//go:build linux

package bench

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/zombietrace/zombietrace/internal/testenv"
)

// The floors load and run on their hooks during a storm, beside an empty
// program on each hook: those that write a record (all but exit's) cost
// more than the empty program there, and none of their records is lost.
// exit_wait4's runs on its syscall tracepoint.
func TestFloorCosts(t *testing.T) {
	testenv.RequireBPF(t)
	b := &bencher{dir: t.TempDir()}
	if err := b.buildWorkload(); err != nil {
		t.Fatal(err)
	}
	hooks := map[string]string{
		"handle_fork": "sched_process_fork", "handle_exit": "sched_process_exit",
		"handle_signal": "signal_generate", "handle_wait": "sched_process_wait", "handle_free": "sched_process_free",
	}
	fc, ec := map[string]progCost{}, map[string]progCost{}
	err := withStats(func() error {
		return floorCosts(context.Background(), b, stormFloors, slices.Collect(maps.Values(hooks)), []string{"storm", "2", "1000"}, fc, ec)
	})
	if err != nil {
		t.Fatal(err)
	}
	floors, empties := meanNS(fc), meanNS(ec)
	for _, name := range stormFloors {
		if floors[name] <= 0 || empties[hooks[name]] <= 0 {
			t.Errorf("%s: floor %v ns, an empty program on %s %v ns", name, floors[name], hooks[name], empties[hooks[name]])
		}
	}
	// exit_wait4's, on its syscall tracepoint: the storm's waitpid calls.
	err = withStats(func() error {
		return floorCosts(context.Background(), b, []string{"exit_wait4"}, nil, []string{"storm", "2", "500"}, fc, nil)
	})
	if ns := meanNS(fc)["exit_wait4"]; err != nil || ns <= 0 {
		t.Errorf("exit_wait4's floor: %v ns (%v)", ns, err)
	}
	// A record is a reservation, a zeroed slot and its publication: well
	// over 40 ns anywhere (~500 here); two empty programs on one hook
	// differ by up to ~15 ns.
	for _, name := range []string{"handle_fork", "handle_signal", "handle_wait", "handle_free"} {
		if floors[name] < empties[hooks[name]]+40 {
			t.Errorf("%s's floor %.0f ns is not 40 ns above an empty program's on %s, %.0f", name, floors[name], hooks[name], empties[hooks[name]])
		}
	}
	t.Logf("floors: %v; empty programs: %v", meanNS(fc), empties)
}

// bpftrace's programs are matched to ours by load order, checked by name.
func TestPeerCosts(t *testing.T) {
	progs := map[ebpf.ProgramID]string{}
	costs := map[ebpf.ProgramID]progCost{}
	for i, p := range bpftracePeers {
		id := ebpf.ProgramID(100 + i)
		tp := probeTracepoint(p.probe)
		progs[id] = tp[:min(len(tp), 15)]
		costs[id] = progCost{runNS: uint64(1000 * (i + 1)), count: 10}
	}
	got, err := peerCosts(bpftracePeers, progs, costs)
	if err != nil {
		t.Fatal(err)
	}
	if got["handle_fork"] != 100 || got["handle_free"] != 500 || got["exit_wait4"] != 600 {
		t.Errorf("costs by our names: %v", got)
	}
	progs[100], progs[104] = progs[104], progs[100]
	progs[101] = "sched_process_w"
	if _, err := peerCosts(bpftracePeers, progs, costs); err == nil {
		t.Error("programs out of order were matched")
	}
	delete(progs, 101)
	if _, err := peerCosts(bpftracePeers, progs, costs); err == nil {
		t.Error("a missing program was not noticed")
	}
}
