package events

// Engine behaviour beyond the scenario table: the summary, preexisting
// zombies, lost events, exact-mode corner cases, and identity/bookkeeping
// cases found by reading the kernel contract against engine.go.

import (
	"testing"
)

func forModes(t *testing.T, modes []Mode, f func(t *testing.T, m Mode)) {
	for _, m := range modes {
		t.Run(m.String(), func(t *testing.T) { f(t, m) })
	}
}

func TestModeString(t *testing.T) {
	expect(t, "light", ModeLight.String(), "light")
	expect(t, "exact", ModeExact.String(), "exact")
	expect(t, "engine mode", NewEngine(ModeExact, nil).Mode(), ModeExact)
	// A nil emit must be accepted.
	e := NewEngine(ModeLight, nil)
	s := evFork(ms(0), kid(1, "x"), castPar)
	e.Handle(&s.ev)
}

func TestKindAndRecordNames(t *testing.T) {
	expect(t, "kind", KindWaitReturn.String(), "wait_return")
	expect(t, "kind", KindLost.String(), "lost")
	expect(t, "kind", Kind(200).String(), "unknown")
	expect(t, "record", RecordReparent.String(), "reparent")
	expect(t, "record", RecordType(99).String(), "unknown")
	expect(t, "syscall", WaitWaitid.String(), "waitid")
	expect(t, "syscall", WaitKernel.String(), "kernel")
	expect(t, "comm", CommString(c16("python3")), "python3")
	full := [16]byte{'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p'}
	expect(t, "comm without NUL", CommString(full), "abcdefghijklmnop")
}

// TestSummaryParents: children, reaped, outstanding, waited (WNOHANG polls
// count), zombie total/max/p50/p99, all four over the same zombies: the
// outstanding one counts at its age so far.
func TestSummaryParents(t *testing.T) {
	par := castPar
	c := []actor{kid(1, "w"), kid(2, "w"), kid(3, "w"), kid(4, "w"), kid(5, "w")}
	q, qc := actor{400, 40_000, "neglect"}, actor{401, 40_001, "neglect"}

	var steps []step
	for i, k := range c {
		steps = append(steps, evFork(ms(float64(i)*0.1), k, par))
	}
	steps = append(steps,
		wait4(ms(1), par, -1, WNOHANG), // a poll with nothing to collect: still a wait
		evFork(ms(0.5), qc, q),
		evExit(ms(4.9), qc, q, 0), evNotify(ms(5), qc, q, CLDExited, 0),
	)
	for i, k := range c[:4] {
		n := float64(i+1) * 10
		steps = append(steps,
			evExit(ms(n-0.05), k, par, 0), evNotify(ms(n), k, par, CLDExited, 0),
			wait4(ms(2*n), par, -1, WNOHANG), ret4(ms(2*n+0.01), par, k.pid, WNOHANG, 0))
	}
	steps = append(steps, evExit(ms(49.95), c[4], par, 0), evNotify(ms(50), c[4], par, CLDExited, 0))

	forModes(t, bothModes, func(t *testing.T, m Mode) {
		r := play(t, m, steps)
		s := r.e.Summary(ms(100))
		ps := mustParent(t, s, par)
		d := r.pick(0, 10_000) // exact mode reaps 10 µs later, at the return
		expect(t, "children", ps.Children, uint64(5))
		expect(t, "reaped", ps.Reaped, uint64(4))
		expect(t, "outstanding", ps.Outstanding, uint64(1))
		expect(t, "waited", ps.Waited, true)
		expect(t, "comm", ps.Comm, "python3")
		expectNS(t, "zombie total", ps.ZombieNSTotal, span(0, 100)+4*d+span(50, 100))
		expectNS(t, "zombie max (outstanding)", ps.ZombieNSMax, span(50, 100))
		// 10, 20, 30, 40 ms (+d) reaped, 50 ms outstanding.
		expectNS(t, "zombie p50", ps.ZombieNSP50, span(0, 30)+d)
		expectNS(t, "zombie p99 (outstanding)", ps.ZombieNSP99, span(50, 100))

		pq := mustParent(t, s, q)
		expect(t, "neglecting parent waited", pq.Waited, false)
		expect(t, "neglecting parent outstanding", pq.Outstanding, uint64(1))
		expectNS(t, "neglecting parent total", pq.ZombieNSTotal, span(5, 100))

		// Sorted by zombie total, largest first.
		for i := 1; i < len(s.Parents); i++ {
			if s.Parents[i-1].ZombieNSTotal < s.Parents[i].ZombieNSTotal {
				t.Errorf("parents not sorted by zombie total: %+v", s.Parents)
			}
		}
		if s.Parents[0].PID != par.pid {
			t.Errorf("first parent %d, want %d", s.Parents[0].PID, par.pid)
		}
		expectNS(t, "duration", s.DurationNS, span(0, 100))
		expect(t, "processes", s.Processes, uint64(6))
	})
}

// TestWaitedMeansCouldCollect: ParentStats.Waited is "entered a wait that
// could collect one of its children" (WNOHANG polls included).
func TestWaitedMeansCouldCollect(t *testing.T) {
	par := castPar
	ch := kid(1, "w")
	cases := []struct {
		name string
		w    step
		want bool
	}{
		{"wait4-any-blocking", wait4(ms(5), par, -1, 0), true},
		{"wait4-any-wnohang-poll", wait4(ms(5), par, -1, WNOHANG), true},
		{"wait4-that-pid", wait4(ms(5), par, int32(ch.pid), WNOHANG), true},
		{"wait4-other-pid", wait4(ms(5), par, 9999, WNOHANG), false},
		{"waitid-wexited", waitid(ms(5), par, pAll, 0, WEXITED|WNOHANG), true},
		{"waitid-stops-only", waitid(ms(5), par, pAll, 0, WUNTRACED|WNOHANG), false},
		{"waitid-wnowait-peek", waitid(ms(5), par, pAll, 0, WEXITED|WNOWAIT|WNOHANG), false},
		{"wait4-wclone-only (plain child)", wait4(ms(5), par, -1, WCLONE|WNOHANG), false},
		{"wait4-wall", wait4(ms(5), par, -1, WALL|WNOHANG), true},
		{"kernel-waiter", wait4(ms(5), par, -1, 0, withSyscall(WaitKernel), withFlags(FlagKernelWaiter)), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			forModes(t, bothModes, func(t *testing.T, m Mode) {
				r := play(t, m, []step{evFork(ms(0), ch, par), c.w})
				expect(t, "waited", mustParent(t, r.e.Summary(ms(10)), par).Waited, c.want)
			})
		})
	}
}

func TestSummaryZombiesSortedByAge(t *testing.T) {
	par := castPar
	a, b, c := kid(3, "a"), kid(1, "b"), kid(2, "c")
	steps := []step{
		evFork(ms(0), a, par), evFork(ms(0), b, par), evFork(ms(0), c, par),
		evExit(ms(10), b, par, 0), evNotify(ms(10), b, par, CLDExited, 0),
		evExit(ms(10), c, par, 0), evNotify(ms(10), c, par, CLDExited, 0),
		evExit(ms(5), a, par, 0), evNotify(ms(5), a, par, CLDExited, 0),
	}
	forModes(t, bothModes, func(t *testing.T, m Mode) {
		r := play(t, m, steps)
		s := r.e.Summary(ms(30))
		if len(s.Zombies) != 3 {
			t.Fatalf("zombies %+v", s.Zombies)
		}
		got := []uint32{s.Zombies[0].PID, s.Zombies[1].PID, s.Zombies[2].PID}
		want := []uint32{a.pid, b.pid, c.pid} // oldest first, then by pid
		if got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Errorf("order %v, want %v", got, want)
		}
		expectNS(t, "oldest age", s.Zombies[0].AgeNS, span(5, 30))
		expect(t, "parent comm", s.Zombies[0].ParentComm, "python3")
		// now = 0: the last event's time.
		s0 := r.e.Summary(0)
		expectNS(t, "age at the last event", mustZombie(t, s0, a).AgeNS, span(5, 10))
	})
}

func TestPreexistingZombies(t *testing.T) {
	par, sub := castPar, castSub
	z := actor{400, 5_000, "defunct"}

	t.Run("reaped-by-parent", func(t *testing.T) {
		steps := []step{
			evZombie(ms(-5000), z, par, 0),
			evFork(ms(0), kid(1, "w"), par),
			checkpoint("listed", func(t *testing.T, r *run) {
				s := r.e.Summary(ms(1000))
				zz := mustZombie(t, s, z)
				expect(t, "preexisting", zz.Preexisting, true)
				expect(t, "ppid", zz.PPID, par.pid)
				expect(t, "comm", zz.Comm, "defunct")
				expectNS(t, "age (estimate)", zz.AgeNS, span(-5000, 1000))
				expect(t, "outstanding", mustParent(t, s, par).Outstanding, uint64(1))
			}),
			wait4(ms(2000), par, -1, WNOHANG), ret4(ms(2000.01), par, z.pid, WNOHANG, 0),
			evFree(ms(2020), z),
		}
		forModes(t, bothModes, func(t *testing.T, m Mode) {
			r := play(t, m, steps)
			r.wantReap(z, reapWant{by: ReapedByParent, reaper: par.pid, zombie: r.pick(span(-5000, 2000), span(-5000, 2000.01)), time: r.pick(ms(2000), ms(2000.01))})
			noZombie(t, r.e.Summary(ms(3000)), z)
		})
	})

	t.Run("live-events-first", func(t *testing.T) {
		y := kid(1, "w")
		steps := []step{
			evFork(ms(0), y, par),
			evExit(ms(10), y, par, 0),
			evNotify(ms(10.1), y, par, CLDExited, 0),
			evZombie(ms(10.05), y, par, 0), // the iterator saw it too
		}
		forModes(t, bothModes, func(t *testing.T, m Mode) {
			r := play(t, m, steps)
			s := r.e.Summary(ms(100))
			if len(s.Zombies) != 1 {
				t.Fatalf("zombies %+v, want exactly one", s.Zombies)
			}
			zz := mustZombie(t, s, y)
			expect(t, "preexisting", zz.Preexisting, false)
			expectNS(t, "age from the notify", zz.AgeNS, span(10.1, 100))
			expect(t, "processes", s.Processes, uint64(1))
			expect(t, "exit records", r.count(RecordExit), 1)
		})
	})

	t.Run("passed-to-subreaper", func(t *testing.T) {
		steps := []step{
			evZombie(ms(-5000), z, par, 0),
			evExit(ms(100), par, castShell, 0),
			evPass(ms(100.5), par, sub, z.pid),
			wait4(ms(200), sub, -1, WNOHANG), ret4(ms(200.01), sub, z.pid, WNOHANG, 0),
		}
		forModes(t, bothModes, func(t *testing.T, m Mode) {
			r := play(t, m, steps)
			rp := r.one(RecordReparent, z)
			expect(t, "old", rp.OldPPID, par.pid)
			expect(t, "new", rp.NewPPID, sub.pid)
			expectTime(t, "reparent time", rp.Time, ms(100))
			r.wantReap(z, reapWant{by: ReapedByReaper, reaper: sub.pid, reaperCom: "subreaper", time: r.pick(ms(200), ms(200.01)),
				zombie: r.pick(span(-5000, 200), span(-5000, 200.01))})
		})
	})

	t.Run("pid-namespace", func(t *testing.T) {
		// A container: tini is host 4000 (ns pid 1); the zombie is host 4007,
		// ns pid 7; an unrelated host process has pid 7.
		tini := actor{4000, 70_000, "tini"}
		zc := actor{4007, 70_007, "app"}
		host7 := actor{7, 700, "kworker-ish"}
		steps := []step{
			evFork(ms(-1), host7, castInit),
			evZombie(ms(-5000), zc, tini, 0, withNSPID(7)),
			wait4(ms(100), tini, -1, WNOHANG), ret4(ms(100.01), tini, 7, WNOHANG, 0),
		}
		forModes(t, bothModes, func(t *testing.T, m Mode) {
			r := play(t, m, steps)
			r.wantReap(zc, reapWant{by: ReapedByParent, reaper: tini.pid, time: r.pick(ms(100), ms(100.01)),
				zombie: r.pick(span(-5000, 100), span(-5000, 100.01))})
			r.none(RecordReap, host7)
		})
	})
}

// TestPreexistingDelayedLeader: iter/task reports a leader that called
// pthread_exit while other threads still run (exit_state == EXIT_ZOMBIE,
// signal->live > 0: FlagDelayedLeader). The kernel does not consider it
// waitable (delay_group_leader) until the last thread exits; then the group
// exit and the notification come as for any process.
func TestPreexistingDelayedLeader(t *testing.T) {
	par := castPar
	dl := actor{400, 5_000, "pthread_exit"}
	steps := []step{
		evZombie(ms(-1000), dl, par, 0, withFlags(FlagDelayedLeader)),
		wait4(ms(100), par, -1, WNOHANG), // nothing waitable: returns 0
		checkpoint("not reaped while threads live", func(t *testing.T, r *run) {
			r.none(RecordReap, dl)
		}),
		evExit(ms(500), dl, par, 2<<8, withTID(403)),
		evNotify(ms(500.1), dl, par, CLDExited, 2, withTID(403)),
		wait4(ms(600), par, -1, WNOHANG), ret4(ms(600.01), par, dl.pid, WNOHANG, 2<<8),
	}
	forModes(t, bothModes, func(t *testing.T, m Mode) {
		r := play(t, m, steps)
		rec := r.wantReap(dl, reapWant{by: ReapedByParent, reaper: par.pid, time: r.pick(ms(600), ms(600.01)),
			zombie: r.pick(span(500.1, 600), span(500.1, 600.01))})
		expect(t, "reap status (the last thread's exit code)", rec.Status, Status{Code: 2})
		ex := r.find(RecordExit, dl)
		if len(ex) != 1 {
			t.Errorf("%d exit records, want 1 for the group exit at 500ms", len(ex))
		} else {
			if ex[0].Time < ms(500) || ex[0].Time > ms(500.1) {
				t.Errorf("exit time %s, want the group exit (500ms)", rel(ex[0].Time))
			}
			expect(t, "exit status", ex[0].Status, Status{Code: 2})
		}
	})
}

// TestPreexistingThenLiveExit: the iterator's zombie event for a process is
// handled before the live exit/notify of the same process (it exited between
// attach and iteration, and the iterator output is fed before the ring
// buffer is drained). The live events are the better record: the process
// exited while traced, so it is not preexisting and its exit is reported.
func TestPreexistingThenLiveExit(t *testing.T) {
	par := castPar
	y := actor{400, 5_000, "worker"}
	steps := []step{
		evZombie(ms(10.05), y, par, 0),
		evExit(ms(10), y, par, 1<<8),
		evNotify(ms(10.1), y, par, CLDExited, 1),
	}
	forModes(t, bothModes, func(t *testing.T, m Mode) {
		r := play(t, m, steps)
		s := r.e.Summary(ms(100))
		if len(s.Zombies) != 1 {
			t.Fatalf("zombies %+v", s.Zombies)
		}
		expect(t, "preexisting", mustZombie(t, s, y).Preexisting, false)
		ex := r.find(RecordExit, y)
		if len(ex) != 1 {
			t.Errorf("%d exit records, want 1 (the exit was seen live)", len(ex))
		} else {
			expect(t, "exit status", ex[0].Status, Status{Code: 1})
		}
	})
}

// TestSummaryDurationIgnoresPreexistingEstimate: a zombie event's time is the
// task's last arrival, possibly long before tracing started. The session
// duration must not stretch back to it.
func TestSummaryDurationIgnoresPreexistingEstimate(t *testing.T) {
	par := castPar
	old := actor{400, 5_000, "ancient"}
	steps := []step{
		evFork(ms(0), kid(1, "w"), par),
		evZombie(ms(-100_000), old, par, 0),
		evFork(ms(10_000), kid(2, "w"), par),
	}
	forModes(t, bothModes, func(t *testing.T, m Mode) {
		r := play(t, m, steps)
		s := r.e.Summary(ms(10_000))
		expectNS(t, "duration", s.DurationNS, span(0, 10_000))
		expectNS(t, "the zombie's age still uses the estimate", mustZombie(t, s, old).AgeNS, span(-100_000, 10_000))
	})
}

// TestExecOfProcessFromBeforeTracing: a process forked before tracing whose
// first event is an exec, then its exit. Its parent never changed; the
// parent reaps it.
func TestExecOfProcessFromBeforeTracing(t *testing.T) {
	par := castPar
	x := actor{500, 90_000, "make"}
	tail := []step{
		evExit(ms(100), x, par, 0),
		evNotify(ms(100.1), x, par, CLDExited, 0),
		wait4(ms(100.2), par, int32(x.pid), 0), ret4(ms(100.21), par, x.pid, 0, 0),
	}
	check := func(t *testing.T, r *run) {
		r.none(RecordReparent, x)
		r.wantReap(x, reapWant{by: ReapedByParent, reaper: par.pid, ppid: par.pid, time: r.pick(ms(100.2), ms(100.21)),
			zombie: r.pick(span(100.1, 100.2), span(100.1, 100.21))})
		expect(t, "exit ppid", r.one(RecordExit, x).PPID, par.pid)
		if ps, ok := parentIn(r.e.Summary(ms(200)), par); ok {
			expect(t, "inherited", ps.Inherited, uint64(0))
		}
	}
	t.Run("exit-first (control)", func(t *testing.T) {
		forModes(t, bothModes, func(t *testing.T, m Mode) { check(t, play(t, m, tail)) })
	})
	t.Run("exec-first", func(t *testing.T) {
		steps := append([]step{evExec(ms(10), x, "/usr/bin/make")}, tail...)
		forModes(t, bothModes, func(t *testing.T, m Mode) { check(t, play(t, m, steps)) })
	})
}

// TestExecEndsWaitsOfAllThreads: execve kills every other thread of the
// process (de_thread), so a wait another thread was blocked in is over. A
// child exiting afterwards is not reaped by it. An exec's time can be up to
// a tick early (handle_exec reads the clock once a tick), so a wait that
// began before it on the other CPU can come after it: the exec counts the
// events carry decide, not the times.
func TestExecEndsWaitsOfAllThreads(t *testing.T) {
	par := castPar
	app := actor{par.pid, par.start, "app"}
	ch := kid(1, "python3")
	for _, c := range []struct {
		name          string
		first, second step
	}{
		{"leader-execs-while-worker-waits",
			wait4(ms(10), par, -1, 0, withTID(104)),
			evExec(ms(20), app, "/usr/bin/app")}, // tid 100 (the leader)
		{"worker-execs-while-leader-waits",
			wait4(ms(10), par, -1, 0),
			evExec(ms(20), app, "/usr/bin/app", withCode(104))}, // the worker took over tid 100
		{"wait-before-exec-comes-after-it",
			evExec(ms(20), app, "/usr/bin/app", withExecCount(3)),      // early: it ran at 23 ms
			wait4(ms(21), par, -1, 0, withTID(104), withExecCount(2))}, // a worker, then de_thread
	} {
		t.Run(c.name, func(t *testing.T) {
			steps := []step{
				evFork(ms(0), ch, par),
				c.first,
				c.second,
				evExit(ms(100), ch, par, 0),
				evNotify(ms(100.1), ch, app, CLDExited, 0),
			}
			forModes(t, bothModes, func(t *testing.T, m Mode) {
				r := play(t, m, steps)
				r.none(RecordReap, ch)
				mustZombie(t, r.e.Summary(ms(200)), ch)
			})
		})
	}
}

// TestExecCountsOrderWaits: with exec times up to a tick early, events on
// the other CPU that came after an exec can also come before it: a wait of
// the new program, or the process's second exec.
func TestExecCountsOrderWaits(t *testing.T) {
	par := castPar
	app := actor{par.pid, par.start, "app"}
	ch := kid(1, "python3")
	t.Run("wait-after-exec-comes-before-it", func(t *testing.T) {
		steps := []step{
			evFork(ms(0), ch, par),
			wait4(ms(21), par, -1, 0, withExecCount(3)), // the new program's wait
			evExec(ms(22), app, "/usr/bin/app", withExecCount(3)),
			evExit(ms(100), ch, par, 0),
			evNotify(ms(100.1), ch, app, CLDExited, 0),
		}
		r := play(t, ModeLight, steps)
		r.wantReap(ch, reapWant{by: ReapedByParent, reaper: par.pid, time: ms(100.1), method: MethodBlockedWait4})
	})
	t.Run("second-exec-comes-first", func(t *testing.T) {
		steps := []step{
			evFork(ms(0), ch, par),
			evExec(ms(10), ch, "/usr/bin/python3", withExecCount(5)),
			evExec(ms(10), actor{ch.pid, ch.start, "sh"}, "/bin/sh", withExecCount(4)),
			checkpoint("the later exec's comm stays", func(t *testing.T, r *run) {
				for _, p := range r.e.Processes() {
					if p.PID == ch.pid {
						expect(t, "comm", p.Comm, "python3")
					}
				}
			}),
		}
		forModes(t, bothModes, func(t *testing.T, m Mode) {
			r := play(t, m, steps)
			expect(t, "exec records", len(r.find(RecordExec, ch)), 2)
		})
	})
}

// TestBlameAcrossTwoReapers: a zombie passed on twice (parent dies, then the
// first subreaper dies). Each owner is blamed for the time it owned the
// zombie; the blame adds up to the zombie time.
func TestBlameAcrossTwoReapers(t *testing.T) {
	par := castPar
	r1 := actor{50, 3_000, "subreaper1"}
	r2 := actor{40, 2_500, "subreaper2"}
	ch := kid(1, "python3")
	steps := []step{
		evFork(ms(0), ch, par),
		evExit(ms(10), ch, par, 0), evNotify(ms(10.1), ch, par, CLDExited, 0),
		evExit(ms(1000), par, castShell, 0),
		evPass(ms(1000.5), par, r1, ch.pid),
		evExit(ms(4000), r1, castInit, 0),
		evPass(ms(4000.5), r1, r2, ch.pid),
		wait4(ms(5000), r2, -1, WNOHANG), ret4(ms(5000.01), r2, ch.pid, WNOHANG, 0),
	}
	forModes(t, bothModes, func(t *testing.T, m Mode) {
		r := play(t, m, steps)
		zns := r.pick(span(10.1, 5000), span(10.1, 5000.01))
		r.wantReap(ch, reapWant{by: ReapedByReaper, reaper: r2.pid, zombie: zns, time: r.pick(ms(5000), ms(5000.01))})
		rps := r.find(RecordReparent, ch)
		if len(rps) != 2 {
			t.Fatalf("%d reparent records, want 2:\n%s", len(rps), r.dump())
		}
		expectTime(t, "first reparent", rps[0].Time, ms(1000))
		expectTime(t, "second reparent", rps[1].Time, ms(4000))
		expect(t, "second old ppid", rps[1].OldPPID, r1.pid)
		expect(t, "second new ppid", rps[1].NewPPID, r2.pid)
		s := r.e.Summary(ms(6000))
		bp := mustParent(t, s, par).ZombieNSTotal
		b1 := mustParent(t, s, r1).ZombieNSTotal
		b2 := mustParent(t, s, r2).ZombieNSTotal
		expectNS(t, "parent's blame", bp, span(10.1, 1000))
		expectNS(t, "first subreaper's blame (owned 1000..4000)", b1, span(1000, 4000))
		expectNS(t, "second subreaper's blame", b2, r.pick(span(4000, 5000), span(4000, 5000.01)))
		expectNS(t, "blame adds up to the zombie time", bp+b1+b2, zns)
	})
}

// TestExitRecordTimeIsWhenWaitable: per the JSON contract (docs/json.md) the
// exit record's time is when the process became waitable (the notification),
// not the group exit event: for a big process exit_mm runs in between. The
// zombie time starts there too.
func TestExitRecordTimeIsWhenWaitable(t *testing.T) {
	par := castPar
	cases := []struct {
		name         string
		exit, notify float64
		o            []opt
	}{
		{"small-process", 10, 10.1, nil},
		{"big-process-exit-mm-340ms", 50, 390, nil},
		{"delayed-leader-last-thread", 500, 500.1, []opt{withTID(105)}},
	}
	for _, c := range cases {
		ch := kid(1, "child")
		steps := []step{
			evFork(ms(0), ch, par),
			evExit(ms(c.exit), ch, par, 0, c.o...),
			evNotify(ms(c.notify), ch, par, CLDExited, 0, c.o...),
			wait4(ms(1000), par, -1, WNOHANG), ret4(ms(1000.01), par, ch.pid, WNOHANG, 0),
		}
		t.Run(c.name, func(t *testing.T) {
			forModes(t, bothModes, func(t *testing.T, m Mode) {
				r := play(t, m, steps)
				expectTime(t, "exit record time", r.one(RecordExit, ch).Time, ms(c.notify))
				r.wantReap(ch, reapWant{by: ReapedByParent, zombie: r.pick(span(c.notify, 1000), span(c.notify, 1000.01)), time: r.pick(ms(1000), ms(1000.01))})
			})
		})
	}
}

// TestReaperThatWaitedBeforeInheriting: a subreaper (running before tracing,
// with children of its own) is blocked in wait4(-1, 0) when an orphan is
// inherited; the orphan's exit ends that wait. It did wait, and it has a name.
func TestReaperThatWaitedBeforeInheriting(t *testing.T) {
	par, sub := castPar, castSub
	ch := kid(1, "python3")
	steps := []step{
		evFork(ms(0), ch, par),
		wait4(ms(5), sub, -1, 0),
		evExit(ms(10), par, castShell, 0),
		evNotify(ms(10.1), par, castShell, CLDExited, 0),
		evExit(ms(100), ch, sub, 0),
		evNotify(ms(100.1), ch, sub, CLDExited, 0),
		ret4(ms(100.11), sub, ch.pid, 0, 0),
	}
	forModes(t, bothModes, func(t *testing.T, m Mode) {
		r := play(t, m, steps)
		r.wantReap(ch, reapWant{by: ReapedByReaper, reaper: sub.pid, reaperCom: "subreaper",
			zombie: r.pick(0, span(100.1, 100.11)), time: r.pick(ms(100.1), ms(100.11))})
		ps := mustParent(t, r.e.Summary(ms(200)), sub)
		expect(t, "reaped", ps.Reaped, uint64(1))
		expect(t, "waited (it reaped)", ps.Waited, true)
		expect(t, "comm", ps.Comm, "subreaper")
	})
}

// TestLostExitStatusFromWaitReturn (exact): the exit and the notification of
// a child were lost; the wait4 return still carries its status word.
func TestLostExitStatusFromWaitReturn(t *testing.T) {
	par := castPar
	ch := kid(1, "victim")
	steps := []step{
		evFork(ms(0), ch, par),
		evLost(ms(50), 2),
		wait4(ms(60), par, int32(ch.pid), 0), ret4(ms(60.01), par, ch.pid, 0, 9),
	}
	r := play(t, ModeExact, steps)
	rec := r.wantReap(ch, reapWant{by: ReapedByParent, reaper: par.pid, uncertain: true, time: ms(60.01)})
	expect(t, "reap status (from the wait4 status word)", rec.Status, Status{Signal: 9})
	expect(t, "exit status", r.one(RecordExit, ch).Status, Status{Signal: 9})
}

// TestExactWaitReturnBeforeNotify: a WNOHANG poller on another CPU collects
// the zombie before the notification event is reserved.
func TestExactWaitReturnBeforeNotify(t *testing.T) {
	par := castPar
	ch := kid(1, "w")
	steps := []step{
		evFork(ms(0), ch, par),
		evExit(ms(10), ch, par, 0),
		wait4(ms(10.2), par, -1, WNOHANG), ret4(ms(10.21), par, ch.pid, WNOHANG, 0),
		evNotify(ms(10.22), ch, par, CLDExited, 0),
		evFree(ms(30), ch),
	}
	r := play(t, ModeExact, steps)
	r.wantReap(ch, reapWant{by: ReapedByParent, time: ms(10.21)})
	r.one(RecordExit, ch)
	if s := r.e.Summary(ms(40)); len(s.Zombies) != 0 {
		t.Errorf("zombies %+v", s.Zombies)
	}
}

// TestExactWaitidNullInfop: waitid(P_ALL, 0, NULL, WEXITED) reaps without
// telling which child: inferred (oldest eligible zombie), uncertain.
func TestExactWaitidNullInfop(t *testing.T) {
	par := castPar
	a, b := kid(1, "a"), kid(2, "b")
	steps := []step{
		evFork(ms(0), a, par), evFork(ms(1), b, par),
		evExit(ms(10), a, par, 0), evNotify(ms(10.1), a, par, CLDExited, 0),
		evExit(ms(11), b, par, 0), evNotify(ms(11.1), b, par, CLDExited, 0),
		waitid(ms(20), par, pAll, 0, WEXITED),
		retid(ms(20.01), par, 0, WEXITED, 0, 0, withFlags(FlagUnreadable)),
	}
	r := play(t, ModeExact, steps)
	r.wantReap(a, reapWant{by: ReapedByParent, reaper: par.pid, time: ms(20.01), zombie: span(10.1, 20.01), uncertain: true, method: MethodWaitid})
	r.none(RecordReap, b)
}

// TestKernelWaiterIsNotAReap: in-kernel waits (pid-namespace teardown,
// usermode helpers) say nothing about what they collect.
func TestKernelWaiterIsNotAReap(t *testing.T) {
	par := castPar
	ch := kid(1, "w")
	steps := []step{
		evFork(ms(0), ch, par),
		evExit(ms(10), ch, par, 0), evNotify(ms(10.1), ch, par, CLDExited, 0),
		wait4(ms(20), par, -1, 0, withSyscall(WaitKernel), withFlags(FlagKernelWaiter)),
		evFree(ms(40), ch),
	}
	forModes(t, bothModes, func(t *testing.T, m Mode) {
		r := play(t, m, steps)
		r.wantReap(ch, reapWant{by: ReapedByUnseen, time: ms(40), zombie: span(10.1, 40), uncertain: true, method: MethodFree})
		expect(t, "waited", mustParent(t, r.e.Summary(0), par).Waited, false)
	})
}

// TestGoneIsAnUnseenReap: a zombie found gone from /proc at a session's end
// (a free event flagged FlagGone, timed then) was reaped unseen, at that
// time at the latest: uncertain, method "gone".
func TestGoneIsAnUnseenReap(t *testing.T) {
	par := castPar
	ch := kid(1, "w")
	gone := evFree(ms(900), ch)
	gone.ev.Flags = FlagGone
	steps := []step{
		evFork(ms(0), ch, par),
		evExit(ms(10), ch, par, 0), evNotify(ms(10.1), ch, par, CLDExited, 0),
		gone,
	}
	forModes(t, bothModes, func(t *testing.T, m Mode) {
		r := play(t, m, steps)
		r.wantReap(ch, reapWant{by: ReapedByUnseen, time: ms(900), zombie: span(10.1, 900), uncertain: true, method: MethodGone})
		if z := r.e.Summary(0).Zombies; len(z) != 0 {
			t.Errorf("outstanding after it: %+v", z)
		}
	})
}

// TestDuplicateExitLiveFallback: before 6.16 two threads exiting together
// may both see signal->live == 0: two exit events for one process.
func TestDuplicateExitLiveFallback(t *testing.T) {
	par := castPar
	ch := kid(1, "w")
	steps := []step{
		evFork(ms(0), ch, par),
		evExit(ms(10), ch, par, 0, withFlags(FlagLiveFallback), withTID(105)),
		evExit(ms(10.001), ch, par, 0, withFlags(FlagLiveFallback), withTID(106)),
		evNotify(ms(10.1), ch, par, CLDExited, 0),
		wait4(ms(11), par, -1, WNOHANG), ret4(ms(11.01), par, ch.pid, WNOHANG, 0),
	}
	forModes(t, bothModes, func(t *testing.T, m Mode) {
		r := play(t, m, steps)
		r.one(RecordExit, ch)
		r.wantReap(ch, reapWant{by: ReapedByParent, time: r.pick(ms(11), ms(11.01)), zombie: r.pick(span(10.1, 11), span(10.1, 11.01))})
	})
}

func TestFreeOfUnknownProcessIsIgnored(t *testing.T) {
	forModes(t, bothModes, func(t *testing.T, m Mode) {
		r := play(t, m, []step{evFree(ms(10), actor{999, 1, "ghost"})})
		expect(t, "records", len(r.recs), 0)
		if s := r.e.Summary(0); len(s.Zombies) != 0 || len(s.Parents) != 0 {
			t.Errorf("summary %+v", s)
		}
	})
}

// TestNotifyForUnknownChild: the child's fork and exit were not seen (it
// exited just before tracing started, during exit_mm of a big process, or
// both events were lost); its notification is. The notify event carries no
// signal number, but a notification with CLD_EXITED to the parent is an
// ordinary SIGCHLD child in the overwhelming case: the parent's plain
// waitpid(-1, WNOHANG) collects it. The record is uncertain.
func TestNotifyForUnknownChild(t *testing.T) {
	par := castPar
	ch := actor{400, 5_000, "bigmem"}
	steps := []step{
		evNotify(ms(10), ch, par, CLDExited, 0),
		wait4(ms(20), par, -1, WNOHANG), ret4(ms(20.01), par, ch.pid, WNOHANG, 0),
		evFree(ms(40), ch),
	}
	forModes(t, bothModes, func(t *testing.T, m Mode) {
		r := play(t, m, steps)
		r.wantReap(ch, reapWant{by: ReapedByParent, reaper: par.pid, time: r.pick(ms(20), ms(20.01)),
			zombie: r.pick(span(10, 20), span(10, 20.01)), method: MethodWait4, uncertain: true})
	})
	// The iterator's zombie event for it is de-duplicated.
	t.Run("with-iterator-duplicate", func(t *testing.T) {
		r := play(t, ModeExact, append([]step{evNotify(ms(10), ch, par, CLDExited, 0), evZombie(ms(9), ch, par, 0)}, steps[1:]...))
		expect(t, "processes", r.e.Summary(0).Processes, uint64(1))
		r.one(RecordReap, ch)
	})
}

// TestWaitForPIDCoversOnlyThatChild (light): a blocking wait for one pid is
// not ended by another child's exit.
func TestWaitForPIDCoversOnlyThatChild(t *testing.T) {
	par := castPar
	a, b := kid(1, "a"), kid(2, "b")
	steps := []step{
		evFork(ms(0), a, par), evFork(ms(1), b, par),
		wait4(ms(5), par, int32(a.pid), 0),
		evExit(ms(10), b, par, 0), evNotify(ms(10.1), b, par, CLDExited, 0),
		evExit(ms(20), a, par, 0), evNotify(ms(20.1), a, par, CLDExited, 0),
		ret4(ms(20.11), par, a.pid, 0, 0),
	}
	forModes(t, bothModes, func(t *testing.T, m Mode) {
		r := play(t, m, steps)
		r.none(RecordReap, b)
		r.wantReap(a, reapWant{by: ReapedByParent, time: r.pick(ms(20.1), ms(20.11)), zombie: r.pick(0, span(20.1, 20.11))})
	})
}

// TestForkByTheWaitingThreadEndsItsWait (light): a thread that forks is not
// blocked in a wait any more (its wait returned, e.g. EINTR).
func TestForkByTheWaitingThreadEndsItsWait(t *testing.T) {
	par := castPar
	a, b := kid(1, "a"), kid(2, "b")
	steps := []step{
		evFork(ms(0), a, par),
		wait4(ms(5), par, -1, 0),
		evFork(ms(6), b, par), // same thread (tid 100): its wait is over
		evExit(ms(10), a, par, 0), evNotify(ms(10.1), a, par, CLDExited, 0),
	}
	r := play(t, ModeLight, steps)
	r.none(RecordReap, a)
	mustZombie(t, r.e.Summary(ms(20)), a)
}

// TestRecordsAreCopies: the engine reuses its record; emit receivers copy.
func TestRecordsAreCopies(t *testing.T) {
	var ptrs []*Record
	e := NewEngine(ModeLight, func(r *Record) { ptrs = append(ptrs, r) })
	for _, s := range []step{evFork(ms(0), kid(1, "a"), castPar), evFork(ms(1), kid(2, "b"), castPar)} {
		ev := s.ev
		e.Handle(&ev)
	}
	if len(ptrs) != 2 {
		t.Fatalf("%d records", len(ptrs))
	}
	if ptrs[0] != ptrs[1] {
		t.Log("records are not reused (allowed)")
	}
}

// TestNotifyWithoutExitEvent: the kernel side sends no exit event in the
// ordinary case (no autoreap, exit signal SIGCHLD, not traced): the
// notification alone makes the zombie, and a parent's own notification
// dates its death (exit_notify reparents its children just before it).
func TestNotifyWithoutExitEvent(t *testing.T) {
	sub := castSub
	par := actor{100, 1_000, "parent"}
	ch := actor{101, 2_000, "child"}
	orphan := actor{102, 3_000, "orphan"}
	steps := []step{
		evFork(ms(0), ch, par),
		evFork(ms(1), orphan, par),
		evNotify(ms(10), ch, par, CLDExited, 3),
		wait4(ms(20), par, -1, WNOHANG), ret4(ms(20.01), par, ch.pid, WNOHANG, 3<<8),
		evNotify(ms(50), par, castShell, CLDExited, 0), // the parent dies; orphan still runs
		evNotify(ms(80), orphan, sub, CLDExited, 0),    // to the subreaper: reparented
		wait4(ms(90), sub, -1, WNOHANG), ret4(ms(90.01), sub, orphan.pid, WNOHANG, 0),
	}
	forModes(t, bothModes, func(t *testing.T, m Mode) {
		r := play(t, m, steps)
		r.wantReap(ch, reapWant{by: ReapedByParent, zombie: r.pick(span(10, 20), span(10, 20.01)), time: r.pick(ms(20), ms(20.01))})
		expect(t, "child exit code", r.one(RecordExit, ch).Status, Status{Code: 3})
		rp := r.one(RecordReparent, orphan)
		expect(t, "reparent old", rp.OldPPID, par.pid)
		expect(t, "reparent new", rp.NewPPID, sub.pid)
		expectTime(t, "reparent time = the parent's death", rp.Time, ms(50))
		expectTime(t, "reparent seen = the orphan's notification", rp.Seen, ms(80))
		r.wantReap(orphan, reapWant{by: ReapedByReaper, reaper: sub.pid, zombie: r.pick(span(80, 90), span(80, 90.01)), time: r.pick(ms(90), ms(90.01))})
	})
}

// TestParentTableBounded: a parent per process (every short-lived shell forks
// once) must not grow the table without end; evictions are counted and no
// parent that owes a zombie is dropped.
func TestParentTableBounded(t *testing.T) {
	e := NewEngine(ModeLight, nil)
	e.maxPa = 1000
	owing := actor{99, 5, "owing"}
	zombie := actor{98, 6, "zombie"}
	for _, s := range []step{evFork(ms(0), zombie, owing), evNotify(ms(1), zombie, owing, CLDExited, 0)} {
		ev := s.ev
		e.Handle(&ev)
	}
	for i := 0; i < 5000; i++ {
		par := actor{uint32(10000 + 2*i), uint64(1000 + i), "sh"}
		kid := actor{uint32(10001 + 2*i), uint64(1000 + i), "true"}
		for _, s := range []step{
			evFork(ms(float64(i)), kid, par),
			evNotify(ms(float64(i)+0.1), kid, par, CLDExited, 0),
			wait4(ms(float64(i)+0.2), par, -1, 0),
			evFree(ms(float64(i)+0.3), kid),
			evNotify(ms(float64(i)+0.4), par, castShell, CLDExited, 0),
			evFree(ms(float64(i)+0.5), par),
		} {
			ev := s.ev
			e.Handle(&ev)
		}
	}
	if e.parents.len() > 1000 {
		t.Fatalf("%d parents held, bound 1000", e.parents.len())
	}
	s := e.Summary(0)
	if s.ParentsEvicted == 0 {
		t.Error("no eviction counted")
	}
	if e.parents.get(Key{owing.pid, owing.start}) == nil || len(s.Zombies) != 1 {
		t.Errorf("the parent owing a zombie was evicted (zombies %+v)", s.Zombies)
	}
}

// TestDeadParentStatsFreeze: a parent that died and owes nothing keeps its
// summary (p50, p99, total, max) but not its samples; one that still owes a
// running child keeps them until that child is reparented.
func TestDeadParentStatsFreeze(t *testing.T) {
	par, gp, reaper := castPar, actor{50, 5_000, "bash"}, actor{1, 1, "init"}
	c := []actor{kid(1, "w"), kid(2, "w"), kid(3, "w"), kid(4, "w")}
	var steps []step
	for i, k := range c {
		steps = append(steps, evFork(ms(float64(i)*0.1), k, par))
	}
	for i, k := range c[:3] {
		n := float64(i+1) * 10
		steps = append(steps, evExit(ms(n-0.05), k, par, 0), evNotify(ms(n), k, par, CLDExited, 0),
			wait4(ms(n+float64(i+1)), par, int32(k.pid), 0), ret4(ms(n+float64(i+1)+0.01), par, k.pid, 0, 0))
	}
	frozen := func(want bool) step {
		return checkpoint("frozen", func(t *testing.T, r *run) {
			d := &r.e.parents.get(par.key()).zombieNS
			if d.frozen != want || (d.samples == nil && d.hist == nil) != want {
				t.Errorf("frozen %v with %d samples, want frozen %v", d.frozen, len(d.samples), want)
			}
		})
	}
	steps = append(steps, frozen(false),
		// par dies owing c[3], still running: its statistics stay open
		evExit(ms(50), par, gp, 0), evNotify(ms(50.1), par, gp, CLDExited, 0), frozen(false),
		// c[3] exits under its new reaper: par owes nothing now
		evExit(ms(60), c[3], reaper, 0), evNotify(ms(60.1), c[3], reaper, CLDExited, 0), frozen(true))
	forModes(t, bothModes, func(t *testing.T, m Mode) {
		r := play(t, m, steps)
		ps := mustParent(t, r.e.Summary(ms(100)), par)
		d := r.pick(0, 10_000)
		expect(t, "reaped", ps.Reaped, uint64(3))
		expectNS(t, "zombie p50", ps.ZombieNSP50, span(0, 2)+d)
		expectNS(t, "zombie p99", ps.ZombieNSP99, span(0, 3)+d)
		expectNS(t, "zombie max", ps.ZombieNSMax, span(0, 3)+d)
		expectNS(t, "zombie total", ps.ZombieNSTotal, span(0, 6)+3*d)
	})
}
