package flame

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/google/pprof/profile"
)

// Sample types of the pprof profile written by WritePprof, in this order.
const (
	PprofTimeType  = "zombie_time"
	PprofTimeUnit  = "nanoseconds"
	PprofCountType = "zombies"
	PprofCountUnit = "count"
)

// WritePprof writes a gzipped pprof profile with two sample types,
// zombie_time (nanoseconds, the default) and zombies (count). Each frame is
// a Function with one Location; a sample's locations are leaf first (the
// zombie, then its parent, ..., the root), as pprof expects. Identical
// stacks are merged. Open it with `go tool pprof -top FILE` or
// `go tool pprof -http=: FILE` (the flame graph view shows the process tree).
func WritePprof(w io.Writer, samples []Sample) error {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{
			{Type: PprofTimeType, Unit: PprofTimeUnit},
			{Type: PprofCountType, Unit: PprofCountUnit},
		},
		DefaultSampleType: PprofTimeType,
		PeriodType:        &profile.ValueType{Type: PprofCountType, Unit: PprofCountUnit},
		Period:            1,
		Comments:          []string{"zombietrace: frames are the ancestry of each zombie, root -> parent that owed the wait -> zombie"},
	}
	locs := make(map[string]*profile.Location)
	location := func(name string) *profile.Location {
		if l, ok := locs[name]; ok {
			return l
		}
		id := uint64(len(p.Function) + 1)
		// No SystemName: pprof then takes Name as already demangled and
		// shows process names as they are (it would otherwise "simplify"
		// names like "<script>x</script> 12" or "a(b) 3" as C++ symbols).
		fn := &profile.Function{ID: id, Name: name}
		l := &profile.Location{ID: id, Line: []profile.Line{{Function: fn}}}
		p.Function = append(p.Function, fn)
		p.Location = append(p.Location, l)
		locs[name] = l
		return l
	}
	type acc struct {
		s      *profile.Sample
		ns, zc uint64
	}
	byStack := make(map[string]*acc, len(samples))
	var order []*acc
	for _, s := range samples {
		frames := s.frames()
		key := strings.Join(frames, "\x00")
		a, ok := byStack[key]
		if !ok {
			ps := &profile.Sample{Location: make([]*profile.Location, len(frames))}
			for i, f := range frames {
				ps.Location[len(frames)-1-i] = location(f) // leaf first
			}
			a = &acc{s: ps}
			byStack[key] = a
			order = append(order, a)
		}
		a.ns = addSat(a.ns, s.ZombieNS)
		a.zc = addSat(a.zc, s.count())
	}
	for _, a := range order {
		a.s.Value = []int64{clampInt64(a.ns), clampInt64(a.zc)}
		p.Sample = append(p.Sample, a.s)
	}
	if err := p.CheckValid(); err != nil {
		return fmt.Errorf("flame: invalid pprof profile: %w", err)
	}
	return p.Write(w)
}

func clampInt64(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}
