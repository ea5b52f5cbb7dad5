package bench

import (
	"math"
	"sort"
)

// medianCI returns the median of xs and a distribution-free 95 % confidence
// interval for it: the order statistics whose ranks a Binomial(n, 1/2) puts
// outside 2.5 % on each side.
func medianCI(xs []float64) (median, lo, hi float64) {
	n := len(xs)
	if n == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if n%2 == 1 {
		median = s[n/2]
	} else {
		median = (s[n/2-1] + s[n/2]) / 2
	}
	// Largest k with P(X < k) <= 0.025, X ~ Bin(n, 1/2); CI = [s[k-1], s[n-k]].
	k := 0
	cum := 0.0
	for j := 0; j <= n; j++ {
		p := binom(n, j) / math.Pow(2, float64(n))
		if cum+p > 0.025 {
			break
		}
		cum += p
		k = j + 1
	}
	if k < 1 {
		return median, s[0], s[n-1]
	}
	return median, s[k-1], s[n-k]
}

func binom(n, k int) float64 {
	r := 1.0
	for i := 1; i <= k; i++ {
		r = r * float64(n-k+i) / float64(i)
	}
	return r
}

// ciWidth is the width of medianCI's interval (+Inf for no samples).
func ciWidth(xs []float64) float64 {
	if len(xs) == 0 {
		return math.Inf(1)
	}
	_, lo, hi := medianCI(xs)
	return hi - lo
}
