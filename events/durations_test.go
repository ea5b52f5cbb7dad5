package events

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// nearestRank is the reference q-quantile: the ceil(q*n)-th smallest value,
// computed with integer arithmetic for q given in basis points.
func nearestRank(sorted []uint64, bp uint64) uint64 {
	n := uint64(len(sorted))
	rank := (bp*n + 9999) / 10000
	if rank < 1 {
		rank = 1
	}
	if rank > n {
		rank = n
	}
	return sorted[rank-1]
}

var quantilesBP = []uint64{1, 100, 2500, 5000, 7500, 9000, 9500, 9900, 9990, 10000}

func TestDurationsEmpty(t *testing.T) {
	var d durations
	for _, bp := range quantilesBP {
		expect(t, "quantile of nothing", d.quantile(float64(bp)/10000), uint64(0))
	}
	expect(t, "n", d.n, uint64(0))
}

func TestDurationsExactSmall(t *testing.T) {
	cases := []struct {
		in   []uint64
		p50  uint64
		p99  uint64
		max  uint64
		tot  uint64
		name string
	}{
		{[]uint64{7}, 7, 7, 7, 7, "one"},
		{[]uint64{10, 20}, 10, 20, 20, 30, "two"},
		{[]uint64{30, 10, 20}, 20, 30, 30, 60, "three unsorted"},
		{[]uint64{40, 10, 30, 20}, 20, 40, 40, 100, "four"},
		{[]uint64{0, 0, 0, 5}, 0, 5, 5, 5, "zeros"},
	}
	for _, c := range cases {
		var d durations
		for _, v := range c.in {
			d.add(v)
		}
		expect(t, c.name+" p50", d.quantile(0.5), c.p50)
		expect(t, c.name+" p99", d.quantile(0.99), c.p99)
		expect(t, c.name+" max", d.max, c.max)
		expect(t, c.name+" total", d.total, c.tot)
		expect(t, c.name+" n", d.n, uint64(len(c.in)))
	}
}

// Up to maxSamples values the quantiles are exact nearest-rank.
func TestDurationsExactUpToMaxSamples(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 10, 99, 100, 101, 1000, 4095, maxSamples} {
		var d durations
		vals := make([]uint64, n)
		for i := range vals {
			vals[i] = rng.Uint64N(10_000_000_000)
			d.add(vals[i])
		}
		if d.hist != nil {
			t.Fatalf("n=%d: switched to the histogram below %d samples", n, maxSamples)
		}
		sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
		for _, bp := range quantilesBP {
			if got, want := d.quantile(float64(bp)/10000), nearestRank(vals, bp); got != want {
				t.Errorf("n=%d q=%.4f: %d, want %d", n, float64(bp)/10000, got, want)
			}
		}
	}
}

// Above maxSamples the histogram answers within 1 % of the exact value.
func TestDurationsHistogramError(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	dists := map[string]func() uint64{
		"uniform-0-1s":    func() uint64 { return rng.Uint64N(1_000_000_000) },
		"log-uniform":     func() uint64 { return uint64(math.Exp(rng.Float64()*math.Log(1e12))) + 1 },
		"small-exact":     func() uint64 { return rng.Uint64N(128) },
		"bimodal":         func() uint64 { return []uint64{50_000, 1_300_000_000}[rng.IntN(2)] + rng.Uint64N(1000) },
		"constant":        func() uint64 { return 123_456_789 },
		"huge":            func() uint64 { return 1<<62 + rng.Uint64N(1<<62) },
		"near-boundaries": func() uint64 { return 1<<(7+rng.IntN(40)) - 1 + rng.Uint64N(3) },
	}
	for name, gen := range dists {
		for _, n := range []int{maxSamples + 1, 10_000, 200_000} {
			var d durations
			vals := make([]uint64, n)
			var total, max uint64
			for i := range vals {
				v := gen()
				vals[i] = v
				total += v
				if v > max {
					max = v
				}
				d.add(v)
			}
			if d.hist == nil {
				t.Fatalf("%s n=%d: no histogram above %d samples", name, n, maxSamples)
			}
			expect(t, name+" n", d.n, uint64(n))
			expect(t, name+" total", d.total, total)
			expect(t, name+" max", d.max, max)
			sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
			for _, bp := range quantilesBP {
				got, want := d.quantile(float64(bp)/10000), nearestRank(vals, bp)
				var rel float64
				if want == 0 {
					if got != 0 {
						rel = math.Inf(1)
					}
				} else {
					rel = math.Abs(float64(got)-float64(want)) / float64(want)
				}
				if rel >= 0.01 {
					t.Errorf("%s n=%d q=%.4f: %d, want %d (error %.3f%%)", name, n, float64(bp)/10000, got, want, rel*100)
				}
			}
		}
	}
}

func TestBuckets(t *testing.T) {
	// Below 128 each value is its own bucket.
	for v := uint64(0); v < 1<<subBits; v++ {
		expect(t, "small bucket", bucketValue(bucketOf(v)), v)
	}
	// Monotonic, the bound is an upper bound, and tight within 1 %.
	rng := rand.New(rand.NewPCG(5, 6))
	check := func(v uint64) {
		b := bucketOf(v)
		ub := bucketValue(b)
		if ub < v {
			t.Fatalf("bucketValue(bucketOf(%d)) = %d < value", v, ub)
		}
		if float64(ub-v) >= 0.01*float64(v) && v >= 1<<subBits {
			t.Fatalf("bucket of %d: upper bound %d is %.3f%% off", v, ub, 100*float64(ub-v)/float64(v))
		}
		if v > 0 && bucketOf(v-1) > b {
			t.Fatalf("buckets not monotonic at %d", v)
		}
	}
	for e := 0; e < 64; e++ {
		base := uint64(1) << e
		for _, v := range []uint64{base - 1, base, base + 1} {
			check(v)
		}
	}
	for i := 0; i < 100_000; i++ {
		check(rng.Uint64() >> rng.IntN(64))
	}
	check(math.MaxUint64)
}

func TestDecodeWaitStatus(t *testing.T) {
	cases := []struct {
		ws   int32
		want Status
	}{
		{0, Status{}},
		{1 << 8, Status{Code: 1}},
		{255 << 8, Status{Code: 255}},
		{3 << 8, Status{Code: 3}},
		{9, Status{Signal: 9}},
		{15, Status{Signal: 15}},
		{0x80 | 11, Status{Signal: 11, CoreDumped: true}},
		{0x80 | 6, Status{Signal: 6, CoreDumped: true}},
		{0x80 | 9, Status{Signal: 9, CoreDumped: true}},
	}
	for _, c := range cases {
		expect(t, "DecodeWaitStatus", DecodeWaitStatus(c.ws), c.want)
	}
}

func TestDecodeSigchld(t *testing.T) {
	cases := []struct {
		code, status int32
		want         Status
	}{
		{CLDExited, 0, Status{}},
		{CLDExited, 3, Status{Code: 3}},
		{CLDExited, 255, Status{Code: 255}},
		{CLDKilled, 9, Status{Signal: 9}},
		{CLDKilled, 15, Status{Signal: 15}},
		{CLDDumped, 11, Status{Signal: 11, CoreDumped: true}},
	}
	for _, c := range cases {
		expect(t, "DecodeSigchld", DecodeSigchld(c.code, c.status), c.want)
	}
	// The notification and the wait status word agree.
	for _, c := range []struct {
		ws           int32
		code, status int32
	}{{3 << 8, CLDExited, 3}, {9, CLDKilled, 9}, {0x80 | 11, CLDDumped, 11}} {
		expect(t, "notify vs wait status", DecodeSigchld(c.code, c.status), DecodeWaitStatus(c.ws))
	}
}
