//go:build linux

package bench

import (
	"context"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/zombietrace/zombietrace/internal/testenv"
)

// The floor programs load and run on their hooks during a storm, and the two
// helper calls show in signal's and wait's floors against an empty program's.
func TestFloorCosts(t *testing.T) {
	testenv.RequireBPF(t)
	b := &bencher{dir: t.TempDir()}
	if err := b.buildWorkload(); err != nil {
		t.Fatal(err)
	}
	// Each floor beside an empty program on the same hook, in the same storm.
	progs := stormFloors()
	for name, f := range stormFloors() {
		progs[name+"/empty"] = floorProgram{hook: f.hook}
	}
	var floors map[string]float64
	err := withStats(func() (err error) {
		floors, err = floorCosts(context.Background(), b, progs, []string{"storm", "2", "1000"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for name := range progs {
		if floors[name] <= 0 {
			t.Errorf("%s: floor %v ns", name, floors[name])
		}
	}
	// Two helper calls cost ~100-150 ns here; two empty programs on one hook
	// differ by up to ~15 (the first one run pays more).
	for _, name := range []string{"handle_signal", "handle_wait"} {
		if floors[name] < floors[name+"/empty"]+40 {
			t.Errorf("%s's floor (current and the clock) %.0f ns is not 40 ns above an empty program's there, %.0f", name, floors[name], floors[name+"/empty"])
		}
	}
	t.Logf("floors: %v", floors)
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
