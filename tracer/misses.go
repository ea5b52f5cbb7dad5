//go:build linux

package tracer

import "time"

// Runs the kernel skipped. A program does not run when it would recurse on
// its CPU: a tp_btf program while the same program runs there, a classic
// tracepoint program while any such program does. On kernels whose
// tracepoints run preemptible (seen on Debian's 7.2, most on one CPU), a
// program preempted mid-run makes the next task's run on that CPU a miss:
// an event that never reached a ring. The kernel counts them per program
// (recursion_misses, 5.12+); they are losses like a full ring's.

// missIdleInterval is how often an idle session looks at the counters.
const missIdleInterval = 10 * time.Second

// missSeen is what the programs' counters said at the last look, and when.
type missSeen struct {
	count map[string]uint64
	at    uint64 // boot ns of the last look: a new miss happened after it
}

// takeMisses adds the misses counted since the last look to the pending
// loss, timed at that look (the earliest they can be).
func (t *Tracer) takeMisses() {
	now := bootNow()
	for name, p := range t.progs {
		st, err := p.Stats()
		if err != nil {
			continue // before 5.12: not counted
		}
		if n := st.RecursionMisses - t.misses.count[name]; n > 0 {
			t.misses.count[name] = st.RecursionMisses
			t.rings.loss.add(n, t.misses.at)
			t.missed.Add(n)
		}
	}
	t.misses.at = now
}
