package events

import "testing"

// addsUp checks that every row of s adds up: what came to the parent
// (children forked, children that existed before, inherited ones) is what
// left it (reaped with a wait seen or not, autoreaped, passed on at its
// death) plus what it owes now (zombies, processes not waitable yet); that
// zombie time comes with zombies counted; and that the statistics are over
// one set (p50 <= p99 <= max <= total).
func addsUp(t *testing.T, s Summary) {
	t.Helper()
	for _, p := range s.Parents {
		in := p.Children + p.PreexistingChildren + p.Inherited
		out := p.Reaped + p.Unseen + p.Autoreaped + p.PassedOn + p.Outstanding + p.Running
		if in != out {
			t.Errorf("parent %d (%s): children %d + preexisting %d + inherited %d = %d, but reaped %d + unseen %d + autoreaped %d + passed on %d + outstanding %d + running %d = %d",
				p.PID, p.Comm, p.Children, p.PreexistingChildren, p.Inherited, in,
				p.Reaped, p.Unseen, p.Autoreaped, p.PassedOn, p.Outstanding, p.Running, out)
		}
		if p.ZombieNSTotal > 0 && p.Reaped+p.Unseen+p.PassedOn+p.Outstanding == 0 {
			t.Errorf("parent %d (%s): %d ns of zombie time and no zombie counted: %+v", p.PID, p.Comm, p.ZombieNSTotal, p)
		}
		if p.ZombieNSP50 > p.ZombieNSP99 || p.ZombieNSP99 > p.ZombieNSMax || p.ZombieNSMax > p.ZombieNSTotal {
			t.Errorf("parent %d (%s): want p50 <= p99 <= max <= total: %+v", p.PID, p.Comm, p)
		}
	}
}

// Defect 13 (issue #22): P50/P99 "0ns" next to MAX 1.495 s for a parent
// whose zombies are outstanding or inherited; REAPED + OUTSTANDING >
// CHILDREN + INHERITED when tracing starts mid-life; pid 1 with 180 ms of
// zombie time and every count 0. Every row adds up, and the statistics are
// over the zombies TOTAL and MAX count.
func TestParentRowsAddUp(t *testing.T) {
	init1 := castInit
	pidTarget := scenario{
		name: "pid-target-holds-zombies",
		steps: pidTargetStory(checkpoint("P alive", func(t *testing.T, r *run) {
			s := r.e.Summary(pidTargetAt)
			addsUp(t, s)
			ps := mustParent(t, s, storyP)
			expect(t, "children forked while traced", ps.Children, uint64(0))
			expect(t, "children that existed before", ps.PreexistingChildren, uint64(2))
			expect(t, "outstanding", ps.Outstanding, uint64(2))
			expectNS(t, "max (the oldest, at its age)", ps.ZombieNSMax, span(-1495, 500))
			expectNS(t, "p50 (the younger one, at its age)", ps.ZombieNSP50, span(-800, 500))
			expectNS(t, "p99", ps.ZombieNSP99, span(-1495, 500))
			expectNS(t, "total", ps.ZombieNSTotal, span(-1495, 500)+span(-800, 500))
		})),
		check: func(t *testing.T, r *run) {
			s := r.e.Summary(ms(2500))
			ps := mustParent(t, s, storyP)
			expect(t, "P passed its zombies on", ps.PassedOn, uint64(2))
			expectNS(t, "P owed them until its death", ps.ZombieNSTotal, span(-1495, 1000)+span(-800, 1000))
			pi := mustParent(t, s, init1)
			expect(t, "pid 1 inherited", pi.Inherited, uint64(2))
			expect(t, "pid 1 released them unseen", pi.Unseen, uint64(2))
			expectNS(t, "pid 1's zombie time", pi.ZombieNSTotal, 2*span(1000, 2300))
			expectNS(t, "pid 1's p50", pi.ZombieNSP50, span(1000, 2300))
		},
	}
	// Host-wide, mid-life: a parent's running child and its zombie existed
	// before tracing; the parent reaps both.
	old1, old2 := kid(1, "old"), kid(2, "old")
	midLife := scenario{
		name: "tracing-starts-mid-life",
		steps: []step{
			evZombie(ms(-300), old2, castPar, 0),
			evExit(ms(10), old1, castPar, 0), evNotify(ms(10.1), old1, castPar, CLDExited, 0),
			wait4(ms(20), castPar, -1, WNOHANG), ret4(ms(20.01), castPar, old2.pid, WNOHANG, 0),
			wait4(ms(20.02), castPar, -1, WNOHANG), ret4(ms(20.03), castPar, old1.pid, WNOHANG, 0),
		},
		check: func(t *testing.T, r *run) {
			ps := mustParent(t, r.e.Summary(ms(100)), castPar)
			expect(t, "children forked while traced", ps.Children, uint64(0))
			expect(t, "children that existed before", ps.PreexistingChildren, uint64(2))
			expect(t, "reaped", ps.Reaped, uint64(2))
		},
	}
	initUnseen := scenario{
		name:  "init-releases-unseen",
		steps: initUnseenStory(),
		check: func(t *testing.T, r *run) {
			pi := mustParent(t, r.e.Summary(ms(300)), init1)
			expect(t, "children that existed before", pi.PreexistingChildren, uint64(1))
			expect(t, "released unseen", pi.Unseen, uint64(1))
			expectNS(t, "zombie time", pi.ZombieNSTotal, span(10.1, 190.1))
			expectNS(t, "p50", pi.ZombieNSP50, span(10.1, 190.1))
		},
	}
	orphan := scenario{
		name:  "orphan",
		steps: orphanStory(),
		check: func(t *testing.T, r *run) {
			s := r.e.Summary(ms(280))
			expect(t, "the parent passed its running child on", mustParent(t, s, castPar).PassedOn, uint64(1))
			expect(t, "pid 1 owes it", mustParent(t, s, init1).Outstanding, uint64(1))
		},
	}
	// runScenarios checks that every row adds up at the end.
	runScenarios(t, []scenario{pidTarget, midLife, initUnseen, orphan})
}

// report --from counts only what happens in its window; what a parent owed
// when the window opened counts as children that existed before.
func TestParentRowsAddUpInReportWindow(t *testing.T) {
	a, b := kid(1, "w"), kid(2, "w")
	steps := []step{
		checkpoint("report --from 100ms", func(t *testing.T, r *run) { r.e.CountFrom(ms(100)) }),
		evFork(ms(0), a, castPar),
		evFork(ms(1), b, castPar),
		evExit(ms(10), a, castPar, 0), evNotify(ms(10.1), a, castPar, CLDExited, 0),
		wait4(ms(20), castPar, -1, WNOHANG), ret4(ms(20.01), castPar, a.pid, WNOHANG, 0),
		evExit(ms(150), b, castPar, 0), evNotify(ms(150.1), b, castPar, CLDExited, 0),
		wait4(ms(200), castPar, -1, WNOHANG), ret4(ms(200.01), castPar, b.pid, WNOHANG, 0),
	}
	forModes(t, bothModes, func(t *testing.T, m Mode) {
		r := play(t, m, steps)
		s := r.e.Summary(ms(300))
		addsUp(t, s)
		ps := mustParent(t, s, castPar)
		expect(t, "children forked in the window", ps.Children, uint64(0))
		expect(t, "children owed when it opened", ps.PreexistingChildren, uint64(1))
		expect(t, "reaped in the window", ps.Reaped, uint64(1))
	})
}
