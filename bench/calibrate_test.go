//go:build linux

package bench

import (
	"context"
	"os"
	"testing"
)

// The floor programs load and run on their hooks during a storm, and the two
// helper calls show in signal's and wait's floors against an empty program's.
func TestFloorCosts(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("this test needs root (it loads BPF programs) and CI must not skip it")
		}
		t.Skip("needs root: loads BPF programs")
	}
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
