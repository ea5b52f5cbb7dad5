package bench

import "testing"

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
