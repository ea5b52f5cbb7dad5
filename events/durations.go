package events

import (
	"math/bits"
	"sort"
)

// maxSamples bounds the exact samples kept per parent; past it the quantiles
// come from a log-linear histogram (relative error below 1 %).
const maxSamples = 4096

// durations collects zombie times for total, max and quantiles in bounded memory.
type durations struct {
	n       uint64
	total   uint64
	max     uint64
	samples []uint64
	hist    map[uint32]uint64 // bucket -> count, once samples overflow
	// Once frozen, the quantiles the summary reports are kept and the
	// samples dropped (freeze).
	frozen   bool
	p50, p99 uint64
}

func (d *durations) add(v uint64) {
	d.n++
	d.total += v
	if v > d.max {
		d.max = v
	}
	if d.frozen {
		return // counted, not ranked: the engine adds nothing after freeze
	}
	if d.hist == nil && len(d.samples) < maxSamples {
		d.samples = append(d.samples, v)
		return
	}
	if d.hist == nil {
		d.hist = make(map[uint32]uint64)
		for _, s := range d.samples {
			d.hist[bucketOf(s)]++
		}
		d.samples = nil
	}
	d.hist[bucketOf(v)]++
}

// freeze keeps the median and the 99th percentile and drops the samples.
// For a parent that died and owes nothing, whose statistics are final: dead
// parents stay until the table's bound, each with up to 32 KiB of samples or
// a histogram, which a host of short-lived forking parents (builds, CI
// jobs) would fill.
func (d *durations) freeze() {
	if d.frozen {
		return
	}
	d.p50, d.p99 = d.quantile(0.50), d.quantile(0.99)
	d.samples, d.hist = nil, nil
	d.frozen = true
}

// with returns d with the values extra added, d unchanged: the summary's
// statistics over the zombies a parent owes now too.
func (d *durations) with(extra []uint64) durations {
	if len(extra) == 0 {
		return *d
	}
	// A frozen parent owes nothing: extra is empty then.
	c := durations{n: d.n, total: d.total, max: d.max, samples: append([]uint64(nil), d.samples...)}
	if d.hist != nil {
		c.hist = make(map[uint32]uint64, len(d.hist))
		for b, n := range d.hist {
			c.hist[b] = n
		}
	}
	for _, v := range extra {
		c.add(v)
	}
	return c
}

// median and p99 are what the summary reports.
func (d *durations) median() uint64 {
	if d.frozen {
		return d.p50
	}
	return d.quantile(0.50)
}

func (d *durations) percentile99() uint64 {
	if d.frozen {
		return d.p99
	}
	return d.quantile(0.99)
}

// quantile returns the nearest-rank q-quantile.
func (d *durations) quantile(q float64) uint64 {
	if d.n == 0 {
		return 0
	}
	rank := uint64(q*float64(d.n) + 0.999999999)
	if rank < 1 {
		rank = 1
	}
	if rank > d.n {
		rank = d.n
	}
	if d.hist == nil {
		s := append([]uint64(nil), d.samples...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		return s[rank-1]
	}
	keys := make([]uint32, 0, len(d.hist))
	for k := range d.hist {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	var seen uint64
	for _, k := range keys {
		seen += d.hist[k]
		if seen >= rank {
			v := bucketValue(k)
			if v > d.max {
				v = d.max
			}
			return v
		}
	}
	return d.max
}

// Log-linear buckets: 128 sub-buckets per power of two.
const subBits = 7

func bucketOf(v uint64) uint32 {
	if v < 1<<subBits {
		return uint32(v)
	}
	exp := uint(63 - bits.LeadingZeros64(v)) // position of the top bit
	shift := exp - subBits
	return uint32((shift+1)<<subBits) | uint32((v>>shift)&(1<<subBits-1))
}

// bucketValue is the upper bound of a bucket.
func bucketValue(b uint32) uint64 {
	if b < 1<<subBits {
		return uint64(b)
	}
	shift := uint(b>>subBits) - 1
	mant := uint64(b&(1<<subBits-1)) | 1<<subBits
	return (mant+1)<<shift - 1
}
