package events

// The scenarios of /work/shared/SCENARIOS.md as event sequences, played in
// both modes. In exact mode the wait4/waitid returns a real kernel produces
// are added (ret4/retid steps are exact-only).

import (
	"testing"
)

type scenario struct {
	name  string
	modes []Mode // nil: both
	steps []step
	check func(t *testing.T, r *run)
}

func runScenarios(t *testing.T, list []scenario) {
	for _, sc := range list {
		modes := sc.modes
		if modes == nil {
			modes = bothModes
		}
		for _, m := range modes {
			t.Run(sc.name+"/"+m.String(), func(t *testing.T) {
				r := play(t, m, sc.steps)
				if sc.check != nil {
					sc.check(t, r)
				}
				addsUp(t, r.e.Summary(0)) // every row of every story
			})
		}
	}
}

func TestScenarios(t *testing.T) {
	par, sub, sh, tracer, init1 := castPar, castSub, castShell, castTracer, castInit

	// Scenario 1: multiprocessing.Process child exits at once; the parent
	// sleeps 5 s and reaps it in its exit handler (waitpid(pid, 0)).
	s1c := kid(1, "python3")
	s1 := scenario{
		name: "01-mp-nojoin",
		steps: []step{
			evFork(ms(0), s1c, par),
			evExit(ms(1), s1c, par, 0),
			evNotify(ms(1.1), s1c, par, CLDExited, 0),
			checkpoint("parent sleeping", func(t *testing.T, r *run) {
				s := r.e.Summary(ms(3000))
				z := mustZombie(t, s, s1c)
				expect(t, "zombie ppid", z.PPID, par.pid)
				expectNS(t, "zombie age", z.AgeNS, span(1.1, 3000))
				expect(t, "preexisting", z.Preexisting, false)
				ps := mustParent(t, s, par)
				expect(t, "outstanding", ps.Outstanding, uint64(1))
				expect(t, "waited while sleeping", ps.Waited, false)
				expect(t, "children", ps.Children, uint64(1))
			}),
			wait4(ms(5000), par, int32(s1c.pid), 0),
			ret4(ms(5000.02), par, s1c.pid, 0, 0),
			evFree(ms(5015), s1c),
		},
		check: func(t *testing.T, r *run) {
			z := r.pick(span(1.1, 5000), span(1.1, 5000.02))
			r.wantReap(s1c, reapWant{by: ReapedByParent, reaper: par.pid, reaperCom: "python3", zombie: z,
				time: r.pick(ms(5000), ms(5000.02)), method: MethodWait4, ppid: par.pid})
			ex := r.one(RecordExit, s1c)
			expect(t, "exit ppid", ex.PPID, par.pid)
			s := r.e.Summary(ms(6000))
			noZombie(t, s, s1c)
			ps := mustParent(t, s, par)
			expect(t, "reaped", ps.Reaped, uint64(1))
			expect(t, "outstanding", ps.Outstanding, uint64(0))
			expect(t, "waited", ps.Waited, true)
			expectNS(t, "zombie total", ps.ZombieNSTotal, z)
			expectNS(t, "zombie max", ps.ZombieNSMax, z)
			expectNS(t, "zombie p50", ps.ZombieNSP50, z)
			expectNS(t, "zombie p99", ps.ZombieNSP99, z)
		},
	}

	// Scenario 2: SIGCHLD handler loops waitpid(-1, WNOHANG) until 0.
	s2a, s2b := kid(1, "python3"), kid(2, "python3")
	s2 := scenario{
		name: "02-handler-loop",
		steps: []step{
			evFork(ms(0), s2a, par),
			evFork(ms(1), s2b, par),
			evExit(ms(10), s2a, par, 0),
			evExit(ms(10.05), s2b, par, 0),
			evNotify(ms(10.1), s2a, par, CLDExited, 0),
			evNotify(ms(10.15), s2b, par, CLDExited, 0),
			wait4(ms(10.2), par, -1, WNOHANG), ret4(ms(10.21), par, s2a.pid, WNOHANG, 0),
			wait4(ms(10.22), par, -1, WNOHANG), ret4(ms(10.23), par, s2b.pid, WNOHANG, 0),
			wait4(ms(10.24), par, -1, WNOHANG), // returns 0: the loop ends
			evFree(ms(25), s2a), evFree(ms(26), s2b),
		},
		check: func(t *testing.T, r *run) {
			a := r.wantReap(s2a, reapWant{by: ReapedByParent, reaper: par.pid, zombie: r.pick(span(10.1, 10.2), span(10.1, 10.21)),
				time: r.pick(ms(10.2), ms(10.21)), method: MethodWait4})
			b := r.wantReap(s2b, reapWant{by: ReapedByParent, reaper: par.pid, zombie: r.pick(span(10.15, 10.22), span(10.15, 10.23)),
				time: r.pick(ms(10.22), ms(10.23)), method: MethodWait4})
			for _, rec := range []Record{a, b} {
				if rec.ZombieNS > 5_000_000 {
					t.Errorf("pid %d zombie %d ns, want a few ms at most", rec.PID, rec.ZombieNS)
				}
			}
			if s := r.e.Summary(0); len(s.Zombies) != 0 {
				t.Errorf("zombies left: %+v", s.Zombies)
			}
		},
	}

	// Scenario 3a: signal(SIGCHLD, SIG_IGN): released at exit, no notify at all.
	s3a := kid(1, "python3")
	s3ign := scenario{
		name: "03a-sigign-autoreap",
		steps: []step{
			evFork(ms(0), s3a, par),
			evExit(ms(10), s3a, par, 0, withFlags(FlagAutoreap)),
			evFree(ms(30), s3a),
		},
		check: func(t *testing.T, r *run) {
			r.wantReap(s3a, reapWant{by: ReapedByAutoreap, time: ms(10), method: MethodExit})
			r.one(RecordExit, s3a)
			s := r.e.Summary(ms(100))
			noZombie(t, s, s3a)
			ps := mustParent(t, s, par)
			expect(t, "autoreaped", ps.Autoreaped, uint64(1))
			expect(t, "reaped", ps.Reaped, uint64(0))
			expect(t, "outstanding", ps.Outstanding, uint64(0))
			expectNS(t, "parent blamed: zombie total", ps.ZombieNSTotal, 0)
			expectNS(t, "parent blamed: zombie max", ps.ZombieNSMax, 0)
		},
	}

	// Scenario 3b: SA_NOCLDWAIT with a handler: the SIGCHLD is still sent,
	// then the kernel releases the child; the handler's waitpid gets ECHILD.
	s3b := kid(1, "nocldwait")
	s3nocld := scenario{
		name: "03b-sa-nocldwait",
		steps: []step{
			evFork(ms(0), s3b, par),
			evExit(ms(10), s3b, par, 0, withFlags(FlagAutoreap)),
			evNotify(ms(10.1), s3b, par, CLDExited, 0),
			wait4(ms(10.2), par, -1, WNOHANG), // ECHILD: no return event
			evFree(ms(30), s3b),
		},
		check: func(t *testing.T, r *run) {
			r.wantReap(s3b, reapWant{by: ReapedByAutoreap, time: ms(10), method: MethodExit})
			r.one(RecordExit, s3b)
			s := r.e.Summary(ms(100))
			noZombie(t, s, s3b)
			ps := mustParent(t, s, par)
			expect(t, "autoreaped", ps.Autoreaped, uint64(1))
			expect(t, "reaped", ps.Reaped, uint64(0))
			expectNS(t, "parent blamed: zombie total", ps.ZombieNSTotal, 0)
		},
	}

	// Scenario 4: double fork. The middle child exits at once and is joined;
	// the grandchild, reparented to the subreaper at the middle child's
	// death, exits later and the subreaper reaps it.
	mid, gc := kid(1, "python3"), kid(2, "python3")
	s4 := scenario{
		name: "04-double-fork",
		steps: []step{
			evFork(ms(0), mid, par),
			evFork(ms(1), gc, mid),
			evExit(ms(2), mid, par, 0),
			evNotify(ms(2.1), mid, par, CLDExited, 0),
			wait4(ms(2.2), par, int32(mid.pid), 0), ret4(ms(2.21), par, mid.pid, 0, 0),
			evFree(ms(20), mid),
			evExit(ms(500), gc, sub, 0),
			evNotify(ms(500.1), gc, sub, CLDExited, 0),
			wait4(ms(500.2), sub, -1, WNOHANG), ret4(ms(500.21), sub, gc.pid, WNOHANG, 0),
			evFree(ms(520), gc),
		},
		check: func(t *testing.T, r *run) {
			r.wantReap(mid, reapWant{by: ReapedByParent, reaper: par.pid, zombie: r.pick(span(2.1, 2.2), span(2.1, 2.21)),
				time: r.pick(ms(2.2), ms(2.21)), method: MethodWait4})
			rp := r.one(RecordReparent, gc)
			expectTime(t, "reparent time (the middle child's death)", rp.Time, ms(2))
			expect(t, "old ppid", rp.OldPPID, mid.pid)
			expect(t, "new ppid", rp.NewPPID, sub.pid)
			r.wantReap(gc, reapWant{by: ReapedByReaper, reaper: sub.pid, reaperCom: "subreaper",
				zombie: r.pick(span(500.1, 500.2), span(500.1, 500.21)), time: r.pick(ms(500.2), ms(500.21)),
				method: MethodWait4, ppid: mid.pid})
			s := r.e.Summary(ms(600))
			ps := mustParent(t, s, sub)
			expect(t, "subreaper inherited", ps.Inherited, uint64(1))
			expect(t, "subreaper reaped", ps.Reaped, uint64(1))
			pm := mustParent(t, s, mid)
			expect(t, "middle child children", pm.Children, uint64(1))
			expect(t, "middle child reaped", pm.Reaped, uint64(0))
		},
	}

	// Scenario 5: Popen without wait(); the parent lives on for a minute,
	// then exits: the dying parent passes the zombie to the subreaper
	// (SIGCHLD from the parent, si_pid = the zombie), which reaps it.
	s5c := actor{101, 20_001, "true"}
	s5 := scenario{
		name: "05-popen-nowait",
		steps: []step{
			evFork(ms(0), s5c, par),
			evExec(ms(0.5), s5c, "/usr/bin/true"),
			evExit(ms(10), s5c, par, 0),
			evNotify(ms(10.1), s5c, par, CLDExited, 0),
			checkpoint("parent alive", func(t *testing.T, r *run) {
				s := r.e.Summary(ms(59999))
				z := mustZombie(t, s, s5c)
				expect(t, "zombie ppid", z.PPID, par.pid)
				expect(t, "zombie comm", z.Comm, "true")
				expect(t, "zombie parent comm", z.ParentComm, "python3")
				expectNS(t, "zombie age", z.AgeNS, span(10.1, 59999))
				ps := mustParent(t, s, par)
				expect(t, "outstanding", ps.Outstanding, uint64(1))
				expect(t, "waited", ps.Waited, false)
			}),
			evExit(ms(60000), par, sh, 0),
			evPass(ms(60000.5), par, sub, s5c.pid),
			evNotify(ms(60000.6), par, sh, CLDExited, 0),
			wait4(ms(60001), sub, -1, WNOHANG), ret4(ms(60001.01), sub, s5c.pid, WNOHANG, 0),
			evFree(ms(60020), s5c),
		},
		check: func(t *testing.T, r *run) {
			rp := r.one(RecordReparent, s5c)
			expectTime(t, "reparent time (parent's death)", rp.Time, ms(60000))
			expect(t, "old ppid", rp.OldPPID, par.pid)
			expect(t, "new ppid", rp.NewPPID, sub.pid)
			zns := r.pick(span(10.1, 60001), span(10.1, 60001.01))
			r.wantReap(s5c, reapWant{by: ReapedByReaper, reaper: sub.pid, reaperCom: "subreaper", zombie: zns,
				time: r.pick(ms(60001), ms(60001.01)), method: MethodWait4, ppid: par.pid})
			s := r.e.Summary(ms(70000))
			noZombie(t, s, s5c)
			pp := mustParent(t, s, par)
			expect(t, "parent waited", pp.Waited, false)
			expect(t, "parent reaped", pp.Reaped, uint64(0))
			expect(t, "parent outstanding", pp.Outstanding, uint64(0))
			expectNS(t, "parent blamed until its death", pp.ZombieNSTotal, span(10.1, 60000))
			ps := mustParent(t, s, sub)
			expect(t, "subreaper inherited", ps.Inherited, uint64(1))
			expect(t, "subreaper reaped", ps.Reaped, uint64(1))
			expectNS(t, "subreaper blamed from inheritance", ps.ZombieNSTotal, r.pick(span(60000, 60001), span(60000, 60001.01)))
			expectNS(t, "blame adds up to the zombie time", pp.ZombieNSTotal+ps.ZombieNSTotal, zns)
		},
	}

	// Scenario 6: while True: Process(...).start(); sleep(1). start() first
	// polls earlier children with waitpid(pid, WNOHANG).
	s6 := []actor{kid(1, "python3"), kid(2, "python3"), kid(3, "python3")}
	var s6steps []step
	for i, c := range s6 {
		t0 := float64(i) * 1000
		if i > 0 {
			prev := s6[i-1]
			s6steps = append(s6steps,
				wait4(ms(t0), par, int32(prev.pid), WNOHANG),
				ret4(ms(t0+0.01), par, prev.pid, WNOHANG, 0))
		}
		s6steps = append(s6steps,
			evFork(ms(t0+0.1), c, par),
			evExit(ms(t0+10), c, par, 0),
			evNotify(ms(t0+10.1), c, par, CLDExited, 0))
	}
	s6sc := scenario{
		name:  "06-loop-late-reaps",
		steps: s6steps,
		check: func(t *testing.T, r *run) {
			for i, c := range s6[:2] {
				t0 := float64(i) * 1000
				r.wantReap(c, reapWant{by: ReapedByParent, reaper: par.pid,
					zombie: r.pick(span(t0+10.1, t0+1000), span(t0+10.1, t0+1000.01)),
					time:   r.pick(ms(t0+1000), ms(t0+1000.01)), method: MethodWait4})
			}
			s := r.e.Summary(ms(2500))
			z := mustZombie(t, s, s6[2])
			expectNS(t, "last child's age", z.AgeNS, span(2010.1, 2500))
			if len(s.Zombies) != 1 {
				t.Errorf("%d zombies, want always exactly one: %+v", len(s.Zombies), s.Zombies)
			}
			ps := mustParent(t, s, par)
			expect(t, "children", ps.Children, uint64(3))
			expect(t, "reaped", ps.Reaped, uint64(2))
			expect(t, "outstanding", ps.Outstanding, uint64(1))
			expect(t, "waited (late)", ps.Waited, true)
			expectNS(t, "p50", ps.ZombieNSP50, r.pick(span(10.1, 1000), span(10.1, 1000.01)))
		},
	}

	// Scenario 7: waitpid(-1, WNOHANG) polled every 100 ms, looping while it
	// returns a child.
	s7a, s7b, s7c := kid(1, "sh"), kid(2, "sh"), kid(3, "sh")
	s7 := scenario{
		name: "07-wnohang-polling",
		steps: []step{
			evFork(ms(0), s7a, par), evFork(ms(1), s7b, par), evFork(ms(2), s7c, par),
			wait4(ms(100), par, -1, WNOHANG),
			evExit(ms(130), s7a, par, 0), evNotify(ms(130.1), s7a, par, CLDExited, 0),
			evExit(ms(140), s7b, par, 0), evNotify(ms(140.1), s7b, par, CLDExited, 0),
			wait4(ms(200), par, -1, WNOHANG), ret4(ms(200.01), par, s7a.pid, WNOHANG, 0),
			checkpoint("one per wait", func(t *testing.T, r *run) {
				if r.mode == ModeLight {
					s := r.e.Summary(ms(200.015))
					mustZombie(t, s, s7b) // WNOHANG collects one zombie per call
				}
			}),
			wait4(ms(200.02), par, -1, WNOHANG), ret4(ms(200.03), par, s7b.pid, WNOHANG, 0),
			wait4(ms(200.04), par, -1, WNOHANG),
			evExit(ms(250), s7c, par, 0), evNotify(ms(250.1), s7c, par, CLDExited, 0),
			wait4(ms(300), par, -1, WNOHANG), ret4(ms(300.01), par, s7c.pid, WNOHANG, 0),
			wait4(ms(300.02), par, -1, WNOHANG),
		},
		check: func(t *testing.T, r *run) {
			recs := []Record{
				r.wantReap(s7a, reapWant{by: ReapedByParent, zombie: r.pick(span(130.1, 200), span(130.1, 200.01)), time: r.pick(ms(200), ms(200.01)), method: MethodWait4}),
				r.wantReap(s7b, reapWant{by: ReapedByParent, zombie: r.pick(span(140.1, 200.02), span(140.1, 200.03)), time: r.pick(ms(200.02), ms(200.03)), method: MethodWait4}),
				r.wantReap(s7c, reapWant{by: ReapedByParent, zombie: r.pick(span(250.1, 300), span(250.1, 300.01)), time: r.pick(ms(300), ms(300.01)), method: MethodWait4}),
			}
			for _, rec := range recs {
				if rec.ZombieNS > 100_000_000 {
					t.Errorf("pid %d zombie %d ns exceeds the polling period", rec.PID, rec.ZombieNS)
				}
			}
			expect(t, "waited", mustParent(t, r.e.Summary(0), par).Waited, true)
		},
	}

	// Scenario 8: a handler that reaps ONE child per SIGCHLD; four children
	// exit together, the signals coalesce (the handler runs twice), then a
	// manual SIGCHLD nudge (SI_USER: no notify event) reaps one more.
	s8 := []actor{kid(1, "worker"), kid(2, "worker"), kid(3, "worker"), kid(4, "worker")}
	s8steps := []step{}
	for i, c := range s8 {
		s8steps = append(s8steps, evFork(ms(float64(i)), c, par))
	}
	for i, c := range s8 {
		s8steps = append(s8steps,
			evExit(ms(100+float64(i)*0.1), c, par, 0),
			evNotify(ms(100.05+float64(i)*0.1), c, par, CLDExited, 0))
	}
	s8steps = append(s8steps,
		wait4(ms(100.5), par, -1, WNOHANG), ret4(ms(100.51), par, s8[0].pid, WNOHANG, 0),
		wait4(ms(100.6), par, -1, WNOHANG), ret4(ms(100.61), par, s8[1].pid, WNOHANG, 0),
		checkpoint("after the burst", func(t *testing.T, r *run) {
			s := r.e.Summary(ms(1000))
			mustZombie(t, s, s8[2])
			mustZombie(t, s, s8[3])
			ps := mustParent(t, s, par)
			expect(t, "reaped", ps.Reaped, uint64(2))
			expect(t, "outstanding", ps.Outstanding, uint64(2))
			expect(t, "waited", ps.Waited, true)
		}),
		wait4(ms(2000), par, -1, WNOHANG), ret4(ms(2000.01), par, s8[2].pid, WNOHANG, 0),
	)
	s8sc := scenario{
		name:  "08-one-per-signal",
		steps: s8steps,
		check: func(t *testing.T, r *run) {
			z0 := r.pick(span(100.05, 100.5), span(100.05, 100.51))
			z1 := r.pick(span(100.15, 100.6), span(100.15, 100.61))
			z2 := r.pick(span(100.25, 2000), span(100.25, 2000.01))
			r.wantReap(s8[0], reapWant{by: ReapedByParent, zombie: z0, time: r.pick(ms(100.5), ms(100.51)), method: MethodWait4})
			r.wantReap(s8[1], reapWant{by: ReapedByParent, zombie: z1, time: r.pick(ms(100.6), ms(100.61)), method: MethodWait4})
			r.wantReap(s8[2], reapWant{by: ReapedByParent, zombie: z2, time: r.pick(ms(2000), ms(2000.01)), method: MethodWait4})
			r.none(RecordReap, s8[3])
			s := r.e.Summary(ms(3000))
			z := mustZombie(t, s, s8[3])
			expectNS(t, "age", z.AgeNS, span(100.35, 3000))
			ps := mustParent(t, s, par)
			expect(t, "reaped", ps.Reaped, uint64(3))
			expect(t, "outstanding", ps.Outstanding, uint64(1))
			expectNS(t, "zombie total (reaped + outstanding)", ps.ZombieNSTotal, z0+z1+z2+span(100.35, 3000))
			expectNS(t, "zombie max (the outstanding one)", ps.ZombieNSMax, span(100.35, 3000))
		},
	}

	// Scenario 9: orphan. The parent exits while the child runs; the child
	// (reparented to the subreaper at the parent's death, no event for that)
	// exits later and the subreaper reaps it.
	s9c := kid(1, "python3")
	s9steps := []step{
		evFork(ms(0), s9c, par),
		evExit(ms(1000), par, sh, 0),
		evNotify(ms(1000.1), par, sh, CLDExited, 0),
		evExit(ms(5000), s9c, sub, 0),
		evNotify(ms(5000.1), s9c, sub, CLDExited, 0),
	}
	s9 := scenario{
		name: "09-orphan",
		steps: append(append([]step{}, s9steps...),
			wait4(ms(5000.2), sub, -1, WNOHANG), ret4(ms(5000.21), sub, s9c.pid, WNOHANG, 0),
			evFree(ms(5020), s9c)),
		check: func(t *testing.T, r *run) {
			rp := r.one(RecordReparent, s9c)
			expectTime(t, "reparent time (old parent's death)", rp.Time, ms(1000))
			expect(t, "old ppid", rp.OldPPID, par.pid)
			expect(t, "new ppid", rp.NewPPID, sub.pid)
			ex := r.one(RecordExit, s9c)
			expect(t, "exit attributed to the new parent", ex.PPID, sub.pid)
			r.wantReap(s9c, reapWant{by: ReapedByReaper, reaper: sub.pid, reaperCom: "subreaper",
				zombie: r.pick(span(5000.1, 5000.2), span(5000.1, 5000.21)), time: r.pick(ms(5000.2), ms(5000.21)),
				method: MethodWait4, ppid: par.pid})
			s := r.e.Summary(ms(6000))
			ps := mustParent(t, s, sub)
			expect(t, "inherited", ps.Inherited, uint64(1))
			expect(t, "reaped", ps.Reaped, uint64(1))
			pp := mustParent(t, s, par)
			expectNS(t, "old parent not blamed (child was running)", pp.ZombieNSTotal, 0)
		},
	}

	// Scenario 10: the reaper never waits: a running orphan and a zombie
	// passed on by its dying parent both stay outstanding under it.
	s10run, s10z := kid(1, "python3"), kid(2, "python3")
	s10 := scenario{
		name: "10-reaper-never-waits",
		steps: []step{
			evFork(ms(0), s10run, par),
			evFork(ms(1), s10z, par),
			evExit(ms(10), s10z, par, 0),
			evNotify(ms(10.1), s10z, par, CLDExited, 0),
			evExit(ms(1000), par, sh, 0),
			evPass(ms(1000.2), par, sub, s10z.pid),
			evNotify(ms(1000.3), par, sh, CLDExited, 0),
			evExit(ms(5000), s10run, sub, 0),
			evNotify(ms(5000.1), s10run, sub, CLDExited, 0),
		},
		check: func(t *testing.T, r *run) {
			r.none(RecordReap, s10run)
			r.none(RecordReap, s10z)
			s := r.e.Summary(ms(6000))
			for _, c := range []actor{s10run, s10z} {
				z := mustZombie(t, s, c)
				expect(t, "zombie ppid (the reaper)", z.PPID, sub.pid)
			}
			expectNS(t, "age of the running orphan", mustZombie(t, s, s10run).AgeNS, span(5000.1, 6000))
			expectNS(t, "age of the passed zombie", mustZombie(t, s, s10z).AgeNS, span(10.1, 6000))
			ps := mustParent(t, s, sub)
			expect(t, "outstanding under the reaper", ps.Outstanding, uint64(2))
			expect(t, "inherited", ps.Inherited, uint64(2))
			expect(t, "waited", ps.Waited, false)
			pp := mustParent(t, s, par)
			expect(t, "outstanding under the dead parent", pp.Outstanding, uint64(0))
		},
	}

	// Scenario 11: threads. Thread clones and thread exits produce no events;
	// the last thread's exit ends the process; a worker thread of the parent
	// waits.
	s11c := kid(1, "threads")
	s11 := scenario{
		name: "11-threads",
		steps: []step{
			evFork(ms(0), s11c, par),
			wait4(ms(50), par, int32(s11c.pid), 0, withTID(104)),
			evExit(ms(100), s11c, par, 0, withTID(105)),
			evNotify(ms(100.1), s11c, par, CLDExited, 0, withTID(105)),
			ret4(ms(100.11), par, s11c.pid, 0, 0, withTID(104)),
			evFree(ms(120), s11c),
		},
		check: func(t *testing.T, r *run) {
			r.one(RecordFork, s11c)
			r.one(RecordExit, s11c)
			r.wantReap(s11c, reapWant{by: ReapedByParent, reaper: par.pid, zombie: r.pick(0, span(100.1, 100.11)),
				time: r.pick(ms(100.1), ms(100.11))})
			for _, rec := range r.recs {
				if rec.PID == 104 || rec.PID == 105 {
					t.Errorf("per-thread record: %+v", rec)
				}
			}
			expect(t, "records", len(r.recs), 3)
			expect(t, "processes", r.e.Summary(0).Processes, uint64(1))
		},
	}

	// Scenario 12: the leader calls pthread_exit at 10 ms (no event: the group
	// lives on); the last thread exits at 500 ms. A WNOHANG poll in between
	// finds nothing waitable; a blocking wait then collects it.
	s12c := kid(1, "pthread_exit")
	s12 := scenario{
		name: "12-delayed-leader",
		steps: []step{
			evFork(ms(0), s12c, par),
			wait4(ms(100), par, int32(s12c.pid), WNOHANG),
			wait4(ms(200), par, int32(s12c.pid), 0),
			evExit(ms(500), s12c, par, 0, withTID(102)),
			evNotify(ms(500.1), s12c, par, CLDExited, 0, withTID(102)),
			ret4(ms(500.11), par, s12c.pid, 0, 0),
		},
		check: func(t *testing.T, r *run) {
			ex := r.one(RecordExit, s12c)
			if ex.Time < ms(500) || ex.Time > ms(500.1) {
				t.Errorf("exit time %s, want the last thread's exit (500ms), not the leader's (10ms)", rel(ex.Time))
			}
			rec := r.wantReap(s12c, reapWant{by: ReapedByParent, zombie: r.pick(0, span(500.1, 500.11)), time: r.pick(ms(500.1), ms(500.11))})
			if r.mode == ModeLight && rec.Method != MethodBlockedWait4 {
				t.Errorf("method %q, want blocked-wait4", rec.Method)
			}
		},
	}

	// Scenario 13: killed by SIGKILL, by SIGSEGV with a core dump, and a
	// plain exit(3) for contrast.
	k9, k11, e3 := kid(1, "victim"), kid(2, "segv"), kid(3, "exit3")
	s13 := scenario{
		name: "13-killed",
		steps: []step{
			evFork(ms(0), k9, par), evFork(ms(1), k11, par), evFork(ms(2), e3, par),
			evExit(ms(10), k9, par, 9),
			evNotify(ms(10.1), k9, par, CLDKilled, 9),
			wait4(ms(10.2), par, int32(k9.pid), 0), ret4(ms(10.21), par, k9.pid, 0, 9),
			evExit(ms(20), k11, par, 0x80|11),
			evNotify(ms(20.1), k11, par, CLDDumped, 11),
			wait4(ms(20.2), par, int32(k11.pid), 0), ret4(ms(20.21), par, k11.pid, 0, 0x80|11),
			evExit(ms(30), e3, par, 3<<8),
			evNotify(ms(30.1), e3, par, CLDExited, 3),
			wait4(ms(30.2), par, int32(e3.pid), 0), ret4(ms(30.21), par, e3.pid, 0, 3<<8),
		},
		check: func(t *testing.T, r *run) {
			for _, c := range []struct {
				a    actor
				want Status
			}{
				{k9, Status{Signal: 9}},
				{k11, Status{Signal: 11, CoreDumped: true}},
				{e3, Status{Code: 3}},
			} {
				ex := r.one(RecordExit, c.a)
				expect(t, "exit status of "+c.a.comm, ex.Status, c.want)
				rp := r.wantReap(c.a, reapWant{by: ReapedByParent, reaper: par.pid})
				expect(t, "reap status of "+c.a.comm, rp.Status, c.want)
			}
		},
	}

	// Scenario 14: join() inside the spawning loop: each child is waited
	// for (blocking waitpid(pid, 0)) before it exits.
	s14 := []actor{kid(1, "python3"), kid(2, "python3"), kid(3, "python3")}
	var s14steps []step
	for i, c := range s14 {
		t0 := float64(i) * 10
		s14steps = append(s14steps,
			evFork(ms(t0), c, par),
			wait4(ms(t0+0.1), par, int32(c.pid), 0),
			evExit(ms(t0+5), c, par, 0),
			evNotify(ms(t0+5.05), c, par, CLDExited, 0),
			ret4(ms(t0+5.06), par, c.pid, 0, 0))
	}
	s14sc := scenario{
		name:  "14-join-loop",
		steps: s14steps,
		check: func(t *testing.T, r *run) {
			for i, c := range s14 {
				t0 := float64(i) * 10
				rec := r.wantReap(c, reapWant{by: ReapedByParent, zombie: r.pick(0, span(t0+5.05, t0+5.06)),
					time: r.pick(ms(t0+5.05), ms(t0+5.06))})
				want := map[Mode]Method{ModeLight: MethodBlockedWait4, ModeExact: MethodWait4}[r.mode]
				expect(t, "method", rec.Method, want)
			}
			ps := mustParent(t, r.e.Summary(0), par)
			expect(t, "reaped", ps.Reaped, uint64(3))
			expectNS(t, "max zombie", ps.ZombieNSMax, r.pick(0, span(5.05, 5.06)))
		},
	}

	// Scenario 15: a ptrace tracer that is not the parent gets the exit
	// notification, collects the zombie (not a reap: wait_task_zombie hands it
	// back with a SIGCHLD from the tracer to the real parent), and the real
	// parent reaps it later.
	s15c := kid(1, "traced")
	s15a := scenario{
		name: "15a-ptrace-handback",
		steps: []step{
			evFork(ms(0), s15c, par),
			evExit(ms(100), s15c, par, 0, withFlags(FlagPtraced)),
			evNotify(ms(100.1), s15c, tracer, CLDExited, 0),
			wait4(ms(100.2), tracer, int32(s15c.pid), WALL),
			ret4(ms(100.21), tracer, s15c.pid, WALL, 0),
			checkpoint("held by the tracer", func(t *testing.T, r *run) {
				r.none(RecordReap, s15c)
				s := r.e.Summary(ms(100.25))
				z := mustZombie(t, s, s15c)
				expect(t, "owed by the real parent", z.PPID, par.pid)
			}),
			evPass(ms(100.3), tracer, par, s15c.pid),
			wait4(ms(150), par, int32(s15c.pid), 0), ret4(ms(150.01), par, s15c.pid, 0, 0),
			evFree(ms(170), s15c),
		},
		check: func(t *testing.T, r *run) {
			rec := r.wantReap(s15c, reapWant{by: ReapedByParent, reaper: par.pid,
				zombie: r.pick(span(100.1, 150), span(100.1, 150.01)), time: r.pick(ms(150), ms(150.01)), method: MethodWait4})
			expectNS(t, "held_ns", rec.HeldNS, span(100.1, 100.3))
			expect(t, "tracer_pid", rec.TracerPID, tracer.pid)
			r.none(RecordReparent, s15c)
			s := r.e.Summary(ms(200))
			if pt, ok := parentIn(s, tracer); ok && pt.Reaped != 0 {
				t.Errorf("tracer credited with %d reaps", pt.Reaped)
			}
			expect(t, "parent reaped", mustParent(t, s, par).Reaped, uint64(1))
		},
	}
	// Scenario 15b: the same, with the real parent already blocked in
	// waitpid(pid, 0): the hand-back wakes it.
	s15b := scenario{
		name: "15b-ptrace-handback-blocked-parent",
		steps: []step{
			evFork(ms(0), s15c, par),
			wait4(ms(50), par, int32(s15c.pid), 0),
			evExit(ms(100), s15c, par, 0, withFlags(FlagPtraced)),
			evNotify(ms(100.1), s15c, tracer, CLDExited, 0),
			wait4(ms(100.2), tracer, int32(s15c.pid), WALL),
			ret4(ms(100.21), tracer, s15c.pid, WALL, 0),
			evPass(ms(100.3), tracer, par, s15c.pid),
			ret4(ms(100.31), par, s15c.pid, 0, 0),
		},
		check: func(t *testing.T, r *run) {
			rec := r.wantReap(s15c, reapWant{by: ReapedByParent, reaper: par.pid,
				zombie: r.pick(span(100.1, 100.3), span(100.1, 100.31)), time: r.pick(ms(100.3), ms(100.31))})
			expectNS(t, "held_ns", rec.HeldNS, span(100.1, 100.3))
			expect(t, "tracer_pid", rec.TracerPID, tracer.pid)
		},
	}

	// Scenario 16: pid 200 is reused. The old process is reaped, the new one
	// forked, then the old one's free arrives late (lazy RCU).
	oldP, newP := actor{200, 50_000, "worker"}, actor{200, 60_000, "worker"}
	s16a := scenario{
		name: "16a-pid-reuse-late-free",
		steps: []step{
			evFork(ms(0), oldP, par),
			evExit(ms(10), oldP, par, 0), evNotify(ms(10.1), oldP, par, CLDExited, 0),
			wait4(ms(20), par, -1, WNOHANG), ret4(ms(20.01), par, oldP.pid, WNOHANG, 0),
			evFork(ms(30), newP, par),
			evFree(ms(2000), oldP),
			checkpoint("after the old one's free", func(t *testing.T, r *run) {
				s := r.e.Summary(ms(2001))
				if len(s.Zombies) != 0 {
					t.Errorf("zombies: %+v", s.Zombies)
				}
				r.none(RecordReap, newP)
			}),
			evExit(ms(3000), newP, par, 1<<8), evNotify(ms(3000.1), newP, par, CLDExited, 1),
			wait4(ms(3100), par, -1, WNOHANG), ret4(ms(3100.01), par, newP.pid, WNOHANG, 1<<8),
			evFree(ms(3120), newP),
		},
		check: func(t *testing.T, r *run) {
			r.wantReap(oldP, reapWant{by: ReapedByParent, zombie: r.pick(span(10.1, 20), span(10.1, 20.01)), time: r.pick(ms(20), ms(20.01))})
			rn := r.wantReap(newP, reapWant{by: ReapedByParent, zombie: r.pick(span(3000.1, 3100), span(3000.1, 3100.01)), time: r.pick(ms(3100), ms(3100.01))})
			expect(t, "new one's status", rn.Status, Status{Code: 1})
			r.one(RecordExit, oldP)
			r.one(RecordExit, newP)
			expect(t, "records", r.count(RecordReap), 2)
			ps := mustParent(t, r.e.Summary(ms(4000)), par)
			expect(t, "children", ps.Children, uint64(2))
			expect(t, "reaped", ps.Reaped, uint64(2))
		},
	}
	// Scenario 16b: the old one is reaped with no wait seen (io_uring), so the
	// engine learns of it only when the pid is reused; its free comes later.
	s16b := scenario{
		name: "16b-pid-reuse-unseen-reap",
		steps: []step{
			evFork(ms(0), oldP, par),
			evExit(ms(10), oldP, par, 0), evNotify(ms(10.1), oldP, par, CLDExited, 0),
			evFork(ms(30), newP, par),
			evFree(ms(2000), oldP),
			evExit(ms(3000), newP, par, 0), evNotify(ms(3000.1), newP, par, CLDExited, 0),
			wait4(ms(3100), par, -1, WNOHANG), ret4(ms(3100.01), par, newP.pid, WNOHANG, 0),
		},
		check: func(t *testing.T, r *run) {
			ro := r.one(RecordReap, oldP)
			expect(t, "old one reaped_by", ro.ReapedBy, ReapedByUnseen)
			expect(t, "old one uncertain", ro.Uncertain, true)
			r.wantReap(newP, reapWant{by: ReapedByParent, zombie: r.pick(span(3000.1, 3100), span(3000.1, 3100.01)), time: r.pick(ms(3100), ms(3100.01))})
			if s := r.e.Summary(ms(4000)); len(s.Zombies) != 0 {
				t.Errorf("zombies: %+v", s.Zombies)
			}
		},
	}

	// Scenario 18: a 4 GB child: exit_mm takes 340 ms between the exit
	// tracepoint and the notification. A WNOHANG poll in between finds
	// nothing; the next poll reaps it.
	big := kid(1, "bigmem")
	s18a := scenario{
		name: "18a-big-process-polled",
		steps: []step{
			evFork(ms(0), big, par),
			evExit(ms(50), big, par, 0),
			wait4(ms(100), par, -1, WNOHANG),
			evNotify(ms(390), big, par, CLDExited, 0),
			wait4(ms(400), par, -1, WNOHANG), ret4(ms(400.01), par, big.pid, WNOHANG, 0),
		},
		check: func(t *testing.T, r *run) {
			r.wantReap(big, reapWant{by: ReapedByParent, zombie: r.pick(span(390, 400), span(390, 400.01)), time: r.pick(ms(400), ms(400.01)), method: MethodWait4})
		},
	}
	s18b := scenario{
		name: "18b-big-process-blocked",
		steps: []step{
			evFork(ms(0), big, par),
			evExit(ms(50), big, par, 0),
			wait4(ms(60), par, int32(big.pid), 0),
			evNotify(ms(390), big, par, CLDExited, 0),
			ret4(ms(390.01), par, big.pid, 0, 0),
		},
		check: func(t *testing.T, r *run) {
			r.wantReap(big, reapWant{by: ReapedByParent, zombie: r.pick(0, span(390, 390.01)), time: r.pick(ms(390), ms(390.01))})
		},
	}

	// Scenario 19: stop and continue reports and a WNOWAIT peek are not
	// reaps; the later real waitid is.
	s19c := kid(1, "stopme")
	s19 := scenario{
		name: "19a-wnowait-stop-continue",
		steps: []step{
			evFork(ms(0), s19c, par),
			waitid(ms(10), par, pPID, s19c.pid, WEXITED|WUNTRACED),
			evNotify(ms(20), s19c, par, CLDStopped, 19),
			retid(ms(20.01), par, s19c.pid, WEXITED|WUNTRACED, CLDStopped, 19),
			wait4(ms(25), par, int32(s19c.pid), WCONTINUED),
			evNotify(ms(30), s19c, par, CLDContinued, 18),
			ret4(ms(30.01), par, s19c.pid, WCONTINUED, 0xffff),
			wait4(ms(40), par, int32(s19c.pid), WUNTRACED),
			evNotify(ms(50), s19c, par, CLDStopped, 19),
			ret4(ms(50.01), par, s19c.pid, WUNTRACED, 19<<8|0x7f),
			evExit(ms(100), s19c, par, 0),
			evNotify(ms(100.1), s19c, par, CLDExited, 0),
			waitid(ms(200), par, pPID, s19c.pid, WEXITED|WNOWAIT),
			retid(ms(200.01), par, s19c.pid, WEXITED|WNOWAIT, CLDExited, 0),
			checkpoint("after the peek", func(t *testing.T, r *run) {
				r.none(RecordReap, s19c)
				mustZombie(t, r.e.Summary(ms(250)), s19c)
			}),
			waitid(ms(300), par, pPID, s19c.pid, WEXITED),
			retid(ms(300.01), par, s19c.pid, WEXITED, CLDExited, 0),
		},
		check: func(t *testing.T, r *run) {
			r.wantReap(s19c, reapWant{by: ReapedByParent, zombie: r.pick(span(100.1, 300), span(100.1, 300.01)),
				time: r.pick(ms(300), ms(300.01)), method: MethodWaitid})
		},
	}
	// Scenario 19b: a stop report collected by a blocked wait4(WUNTRACED)
	// with a NULL status pointer (exact: unreadable) is not a reap either.
	s19b := scenario{
		name: "19b-stop-null-status",
		steps: []step{
			evFork(ms(0), s19c, par),
			wait4(ms(10), par, int32(s19c.pid), WUNTRACED),
			evNotify(ms(20), s19c, par, CLDStopped, 19),
			ret4(ms(20.01), par, s19c.pid, WUNTRACED, 0, withFlags(FlagUnreadable)),
			evExit(ms(100), s19c, par, 0),
			evNotify(ms(100.1), s19c, par, CLDExited, 0),
			checkpoint("not reaped by the stop", func(t *testing.T, r *run) {
				r.none(RecordReap, s19c)
			}),
			wait4(ms(200), par, int32(s19c.pid), 0),
			ret4(ms(200.01), par, s19c.pid, 0, 0, withFlags(FlagUnreadable)),
		},
		check: func(t *testing.T, r *run) {
			r.wantReap(s19c, reapWant{by: ReapedByParent, zombie: r.pick(span(100.1, 200), span(100.1, 200.01)), time: r.pick(ms(200), ms(200.01))})
		},
	}
	// Scenario 19c: a tracer that is also the parent (strace forking the
	// command) blocks in wait4(-1, __WALL) without WUNTRACED. A ptrace trap
	// stop is reported to a tracer regardless of WUNTRACED
	// (wait_task_stopped: "!ptrace && !WUNTRACED" only), so the wait
	// returns. The tracer then detaches and never waits again: the child's
	// later exit leaves a zombie nobody collects.
	st := actor{300, 4_000, "strace"}
	s19tc := actor{301, 4_001, "traced"}
	s19c3 := scenario{
		name: "19c-ptrace-trap-ends-wait",
		steps: []step{
			evFork(ms(0), s19tc, st),
			wait4(ms(1), st, -1, WALL),
			evNotify(ms(2), s19tc, st, CLDTrapped, 5|0x80),
			ret4(ms(2.01), st, s19tc.pid, WALL, (5|0x80)<<8|0x7f),
			// PTRACE_DETACH; strace goes on without waiting.
			evExit(ms(100), s19tc, st, 0),
			evNotify(ms(100.1), s19tc, st, CLDExited, 0),
		},
		check: func(t *testing.T, r *run) {
			r.none(RecordReap, s19tc)
			mustZombie(t, r.e.Summary(ms(200)), s19tc)
		},
	}

	// Scenario 20: clone children whose exit signal is not SIGCHLD.
	n20, cl := kid(1, "worker"), kid(2, "clone10")
	s20a := scenario{
		name: "20a-clone-exit-signal",
		steps: []step{
			evFork(ms(0), n20, par),
			evFork(ms(1), cl, par, withExitSignal(10)),
			wait4(ms(5), par, -1, 0),
			evExit(ms(10), cl, par, 0, withExitSignal(10)),
			evNotify(ms(10.1), cl, par, CLDExited, 0), // SIGUSR1, CLD_EXITED
			checkpoint("plain wait does not cover it", func(t *testing.T, r *run) {
				r.none(RecordReap, cl)
			}),
			evExit(ms(20), n20, par, 0),
			evNotify(ms(20.1), n20, par, CLDExited, 0),
			ret4(ms(20.11), par, n20.pid, 0, 0),
			checkpoint("blamed on the parent", func(t *testing.T, r *run) {
				s := r.e.Summary(ms(50))
				z := mustZombie(t, s, cl)
				expect(t, "ppid", z.PPID, par.pid)
				expect(t, "outstanding", mustParent(t, s, par).Outstanding, uint64(1))
			}),
			wait4(ms(100), par, -1, WALL), ret4(ms(100.01), par, cl.pid, WALL, 0),
		},
		check: func(t *testing.T, r *run) {
			r.wantReap(n20, reapWant{by: ReapedByParent, zombie: r.pick(0, span(20.1, 20.11)), time: r.pick(ms(20.1), ms(20.11))})
			r.wantReap(cl, reapWant{by: ReapedByParent, zombie: r.pick(span(10.1, 100), span(10.1, 100.01)), time: r.pick(ms(100), ms(100.01)), method: MethodWait4})
		},
	}
	// 20b: the parent ignores SIGCHLD: the plain child is autoreaped, the
	// clone child is not (will_autoreap needs exit_signal == SIGCHLD).
	s20b := scenario{
		name: "20b-clone-not-autoreaped",
		steps: []step{
			evFork(ms(0), n20, par),
			evFork(ms(1), cl, par, withExitSignal(10)),
			evExit(ms(10), n20, par, 0, withFlags(FlagAutoreap)),
			evExit(ms(11), cl, par, 0, withExitSignal(10)),
			evNotify(ms(11.1), cl, par, CLDExited, 0),
			checkpoint("zombie", func(t *testing.T, r *run) {
				s := r.e.Summary(ms(50))
				mustZombie(t, s, cl)
				noZombie(t, s, n20)
			}),
			waitid(ms(100), par, pAll, 0, WEXITED|WCLONE),
			retid(ms(100.01), par, cl.pid, WEXITED|WCLONE, CLDExited, 0),
		},
		check: func(t *testing.T, r *run) {
			r.wantReap(n20, reapWant{by: ReapedByAutoreap, time: ms(10)})
			r.wantReap(cl, reapWant{by: ReapedByParent, zombie: r.pick(span(11.1, 100), span(11.1, 100.01)), time: r.pick(ms(100), ms(100.01)), method: MethodWaitid})
		},
	}
	// 20c: exit signal 0: no notification at all; waitable from the exit.
	s20c := scenario{
		name: "20c-exit-signal-0",
		steps: []step{
			evFork(ms(0), cl, par, withExitSignal(0)),
			wait4(ms(5), par, -1, 0), // covers only SIGCHLD children: ECHILD
			evExit(ms(10), cl, par, 0, withExitSignal(0)),
			checkpoint("not collected by a plain wait", func(t *testing.T, r *run) {
				r.none(RecordReap, cl)
				mustZombie(t, r.e.Summary(ms(20)), cl)
			}),
			waitid(ms(30), par, pAll, 0, WEXITED|WALL),
			retid(ms(30.01), par, cl.pid, WEXITED|WALL, CLDExited, 0),
		},
		check: func(t *testing.T, r *run) {
			r.one(RecordExit, cl)
			r.wantReap(cl, reapWant{by: ReapedByParent, zombie: r.pick(span(10, 30), span(10, 30.01)), time: r.pick(ms(30), ms(30.01)), method: MethodWaitid})
		},
	}
	// 20d: a clone child's zombie is passed to the subreaper when its parent
	// dies. reparent_leader() sets p->exit_signal = SIGCHLD before notifying
	// the new parent, so the subreaper's plain waitpid(-1, WNOHANG) reaps it.
	s20d := scenario{
		name: "20d-inherited-clone-zombie",
		steps: []step{
			evFork(ms(0), cl, par, withExitSignal(10)),
			evExit(ms(10), cl, par, 0, withExitSignal(10)),
			evNotify(ms(10.1), cl, par, CLDExited, 0),
			evExit(ms(50), par, sh, 0),
			evPass(ms(50.5), par, sub, cl.pid),
			wait4(ms(60), sub, -1, WNOHANG), ret4(ms(60.01), sub, cl.pid, WNOHANG, 0),
			evFree(ms(80), cl),
		},
		check: func(t *testing.T, r *run) {
			r.wantReap(cl, reapWant{by: ReapedByReaper, reaper: sub.pid, zombie: r.pick(span(10.1, 60), span(10.1, 60.01)),
				time: r.pick(ms(60), ms(60.01)), method: MethodWait4})
		},
	}

	// Scenario 21: reaps no wait syscall shows.
	// 21a: pid 1 reaps an inherited orphan ~1.3 s after its exit.
	s21c := kid(1, "orphan")
	s21a := scenario{
		name: "21a-init-reaps-unseen",
		steps: []step{
			evFork(ms(0), s21c, par),
			evExit(ms(10), par, sh, 0),
			evNotify(ms(10.1), par, sh, CLDExited, 0),
			evExit(ms(100), s21c, init1, 0),
			evNotify(ms(100.1), s21c, init1, CLDExited, 0),
			evFree(ms(1400), s21c),
		},
		check: func(t *testing.T, r *run) {
			rp := r.one(RecordReparent, s21c)
			expect(t, "new ppid", rp.NewPPID, init1.pid)
			r.wantReap(s21c, reapWant{by: ReapedByUnseen, reaper: init1.pid, zombie: span(100.1, 1400),
				time: ms(1400), method: MethodFree, uncertain: true})
			if ps, ok := parentIn(r.e.Summary(ms(1500)), init1); ok && ps.Reaped != 0 {
				t.Errorf("init credited with a seen reap: %+v", ps)
			}
		},
	}
	// 21b: the parent reaps with io_uring IORING_OP_WAITID (no wait event).
	s21b := scenario{
		name: "21b-io-uring-unseen",
		steps: []step{
			evFork(ms(0), s21c, par),
			evExit(ms(10), s21c, par, 0),
			evNotify(ms(10.1), s21c, par, CLDExited, 0),
			evFree(ms(200), s21c),
		},
		check: func(t *testing.T, r *run) {
			rec := r.wantReap(s21c, reapWant{by: ReapedByUnseen, zombie: span(10.1, 200), time: ms(200), method: MethodFree, uncertain: true})
			if rec.ReaperPID != 0 {
				t.Errorf("reaper %d guessed; the reaper is not known", rec.ReaperPID)
			}
			noZombie(t, r.e.Summary(ms(300)), s21c)
		},
	}

	// Scenario 17: lost events make every open record uncertain.
	l1, l2, l3 := kid(1, "storm"), kid(2, "storm"), kid(3, "storm")
	s17 := scenario{
		name: "17-lost-events",
		steps: []step{
			evFork(ms(0), l1, par), evFork(ms(1), l2, par),
			evExit(ms(10), l1, par, 0), evNotify(ms(10.1), l1, par, CLDExited, 0),
			wait4(ms(11), par, -1, WNOHANG), ret4(ms(11.01), par, l1.pid, WNOHANG, 0),
			evLost(ms(50), 7),
			evFork(ms(60), l3, par),
			evExit(ms(100), l2, par, 0), evNotify(ms(100.1), l2, par, CLDExited, 0),
			evExit(ms(110), l3, par, 0), evNotify(ms(110.1), l3, par, CLDExited, 0),
			checkpoint("summary", func(t *testing.T, r *run) {
				s := r.e.Summary(ms(150))
				expect(t, "lost in summary", s.LostEvents, uint64(7))
				expect(t, "l2 uncertain", mustZombie(t, s, l2).Uncertain, true)
				expect(t, "l3 uncertain", mustZombie(t, s, l3).Uncertain, false)
			}),
			wait4(ms(200), par, int32(l2.pid), WNOHANG), ret4(ms(200.01), par, l2.pid, WNOHANG, 0),
			wait4(ms(201), par, int32(l3.pid), WNOHANG), ret4(ms(201.01), par, l3.pid, WNOHANG, 0),
		},
		check: func(t *testing.T, r *run) {
			var lost []Record
			for _, rec := range r.recs {
				if rec.Type == RecordLost {
					lost = append(lost, rec)
				}
			}
			if len(lost) != 1 || lost[0].Count != 7 || lost[0].Time != ms(50) {
				t.Errorf("lost records %+v, want one with count 7 at 50ms", lost)
			}
			expect(t, "Lost()", r.e.Lost(), uint64(7))
			r.wantReap(l1, reapWant{by: ReapedByParent, zombie: r.pick(span(10.1, 11), span(10.1, 11.01)), time: r.pick(ms(11), ms(11.01))})
			r.wantReap(l2, reapWant{by: ReapedByParent, zombie: r.pick(span(100.1, 200), span(100.1, 200.01)), time: r.pick(ms(200), ms(200.01)), uncertain: true})
			r.wantReap(l3, reapWant{by: ReapedByParent, zombie: r.pick(span(110.1, 201), span(110.1, 201.01)), time: r.pick(ms(201), ms(201.01))})
			expect(t, "lost in summary", r.e.Summary(0).LostEvents, uint64(7))
		},
	}

	runScenarios(t, []scenario{
		s1, s2, s3ign, s3nocld, s4, s5, s6sc, s7, s8sc, s9, s10, s11, s12, s13, s14sc,
		s15a, s15b, s16a, s16b, s18a, s18b, s19, s19b, s19c3, s20a, s20b, s20c, s20d, s21a, s21b, s17,
	})
}

// waitersOf: a notification that read the receiver's wait queue and found
// these threads queued in a wait.
func waitersOf(tids ...uint32) opt {
	return func(e *Event) {
		e.Flags |= FlagWaiters
		copy(e.Waiters[:], tids)
	}
}

// Interrupted waits: the parent blocked in wait4 before its child exited; a
// signal handler (or a stop) took the thread out of its wait, and the
// notification found nobody queued. The reap is the restarted wait, not the
// notification. A thread still queued collects at once; one not queued whose
// wait began under a millisecond ago may be joining the queue (uncertain).
func TestInterruptedWaitScenarios(t *testing.T) {
	par := castPar
	left, stayed, young, other := kid(1, "left"), kid(2, "stayed"), kid(3, "young"), kid(4, "other")
	const thread = 1050 // a second thread of the parent
	runScenarios(t, []scenario{{
		name: "interrupted-handler-restart",
		steps: []step{
			evFork(ms(0), left, par),
			wait4(ms(1), par, int32(left.pid), 0),
			// SIGUSR1 at 50 ms: the handler runs 200 ms; the child exits at 90.
			evExit(ms(90), left, par, 0),
			evNotify(ms(90.1), left, par, CLDExited, 0, waitersOf()),
			wait4(ms(250), par, int32(left.pid), 0), // the restarted wait
			ret4(ms(250.01), par, left.pid, 0, 0),
		},
		check: func(t *testing.T, r *run) {
			r.wantReap(left, reapWant{by: ReapedByParent, zombie: r.pick(span(90.1, 250), span(90.1, 250.01)),
				time: r.pick(ms(250), ms(250.01)), method: MethodWait4})
		},
	}, {
		name:  "interrupted-other-thread-queued",
		modes: []Mode{ModeLight},
		steps: []step{
			evFork(ms(0), stayed, par),
			wait4(ms(1), par, -1, 0, withTID(thread)),
			evExit(ms(90), stayed, par, 0),
			evNotify(ms(90.1), stayed, par, CLDExited, 0, waitersOf(thread)),
		},
		check: func(t *testing.T, r *run) {
			r.wantReap(stayed, reapWant{by: ReapedByParent, zombie: 0, time: ms(90.1), method: MethodBlockedWait4})
		},
	}, {
		name:  "interrupted-one-of-two-threads",
		modes: []Mode{ModeLight},
		steps: []step{
			evFork(ms(0), other, par),
			wait4(ms(1), par, -1, 0),                  // left (not queued)
			wait4(ms(2), par, -1, 0, withTID(thread)), // still queued
			evExit(ms(90), other, par, 0),
			evNotify(ms(90.1), other, par, CLDExited, 0, waitersOf(thread)),
		},
		check: func(t *testing.T, r *run) {
			rec := r.wantReap(other, reapWant{by: ReapedByParent, zombie: 0, time: ms(90.1), method: MethodBlockedWait4})
			if rec.Uncertain {
				t.Errorf("the queued thread's reap is uncertain: %+v", rec)
			}
		},
	}, {
		name:  "interrupted-joining",
		modes: []Mode{ModeLight},
		steps: []step{
			evFork(ms(0), young, par),
			wait4(ms(10), par, int32(young.pid), 0),
			evExit(ms(10.0002), young, par, 0),
			evNotify(ms(10.0003), young, par, CLDExited, 0, waitersOf()),
		},
		check: func(t *testing.T, r *run) {
			r.wantReap(young, reapWant{by: ReapedByParent, zombie: 0, time: ms(10.0003), method: MethodBlockedWait4, uncertain: true})
		},
	}})
}
