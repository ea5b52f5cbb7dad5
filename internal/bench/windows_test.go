package bench

import "testing"

func TestMorePairs(t *testing.T) {
	tight := make([]float64, 60) // every pair 0.99 or 1.00: a CI under 3 % wide
	for i := range tight {
		tight[i] = 0.99 + 0.01*float64(i%2)
	}
	wide := make([]float64, 60) // pairs 0.80-1.30: a CI far wider
	for i := range wide {
		wide[i] = 0.80 + 0.5*float64(i)/59
	}
	for _, c := range []struct {
		name       string
		ratios     []float64
		minP, maxP int
		want       bool
	}{
		{"below the minimum", tight[:59], 60, 180, true},
		{"tight at the minimum", tight, 60, 180, false},
		{"wide at the minimum", wide, 60, 180, true},
		{"wide at the maximum", wide, 20, 60, false},
		{"an odd count finishes its order pair", append(tight[:60:60], 1.0), 60, 180, true},
		{"the maximum below the minimum: fixed", wide, 60, 10, false},
		{"no minimum, no samples", nil, 0, 10, true},
	} {
		if got := morePairs(c.ratios, c.minP, c.maxP); got != c.want {
			t.Errorf("%s: morePairs(%d pairs, %d, %d) = %v, want %v", c.name, len(c.ratios), c.minP, c.maxP, got, c.want)
		}
	}
}
