//go:build linux

package tracer

import (
	"testing"

	"github.com/zombietrace/zombietrace/internal/testenv"
)

// The atomics probe says what the real programs find: the rings' fork
// program (a compare-and-swap in its reservation) loads exactly when the
// probe's one compare-and-swap does.
func TestAtomicsProbeMatchesTheRings(t *testing.T) {
	testenv.RequireBPF(t)
	cfg := Config{RingBufferBytes: 1 << 20, FollowMax: 1024}
	spec, _, err := prepareSpec(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr := &Tracer{cfg: cfg}
	defer tr.Close()
	if tr.maps, err = loadMaps(spec); err != nil {
		t.Fatal(err)
	}
	p, err := tr.loadProgram(spec, zombietraceProgHandleFork)
	if err == nil {
		p.Close()
	}
	if probed := haveAtomics(); probed != (err == nil) {
		t.Errorf("the atomics probe says %v, but the rings' fork program loads: %v (%v)", probed, err == nil, err)
	}
}
