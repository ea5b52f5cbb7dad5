package events

// The parent table as stories: names of parents the events never named,
// whether a parent waited (yes, never, or unknown when its waits were not
// observable), rows that add up when tracing starts mid-life, and parents
// kept for --comm by their children.

import (
	"regexp"
	"testing"
)

// names is the session's name lookup (SetNames): the process table, which
// knows who.
func names(who ...actor) step {
	return checkpoint("the session names processes", func(t *testing.T, r *run) {
		r.e.SetNames(func(k Key) string {
			for _, a := range who {
				if a.key() == k {
					return a.comm
				}
			}
			return ""
		})
	})
}

// following: the session traces a followed tree (trace --pid, run); who
// were followed (or owed it a reap) from the start, at boot time at.
func following(at uint64, who ...actor) step {
	return checkpoint("the session follows a tree", func(t *testing.T, r *run) {
		var pids []uint32
		for _, a := range who {
			pids = append(pids, a.pid)
		}
		r.e.Follow(pids, at)
	})
}

// waitedIs says how a parent's WAITED reads: yes, NEVER or ?.
func waitedIs(p ParentStats) string {
	switch {
	case p.Waited:
		return "yes"
	case p.WaitedUnknown:
		return "?"
	}
	return "NEVER"
}

// The stories.
var (
	// trace --pid P: P (pid 22053) holds two zombies from before and never
	// waits; it dies at 1 s, its zombies go to pid 1, which releases them
	// ~1.3 s later with no wait the tracer sees (and whose waits --pid does
	// not trace anyway). Its parent, the shell, reaps it.
	storyP      = actor{22053, 500, "leaky"}
	storyZ1     = actor{22060, 600, "worker"}
	storyZ2     = actor{22061, 700, "worker"}
	pidTargetAt = ms(500) // P alive, holding its zombies
)

func pidTargetStory(check step) []step {
	p, z1, z2, init1, sh := storyP, storyZ1, storyZ2, castInit, castShell
	return []step{
		names(init1, sh, p),
		following(ms(-1), p, sh), // P, and its parent that owes P's reap
		evZombie(ms(-1495), z1, p, 0),
		evZombie(ms(-800), z2, p, 0),
		check,
		evExit(ms(1000), p, sh, 0),
		evPass(ms(1000.1), p, init1, z1.pid),
		evPass(ms(1000.2), p, init1, z2.pid),
		evNotify(ms(1000.4), p, sh, CLDExited, 0),
		wait4(ms(1000.5), sh, -1, WNOHANG), ret4(ms(1000.51), sh, p.pid, WNOHANG, 0),
		evFree(ms(2300), z1), evFree(ms(2300), z2),
	}
}

// The same orphan story traced host-wide and in a followed tree: pid 1
// inherits a running child, which exits and stays a zombie (pid 1 reaps
// late).
var storyOrphan = kid(1, "orphan")

func orphanStory(scope ...step) []step {
	return append(scope,
		evFork(ms(0), storyOrphan, castPar),
		evExit(ms(10), castPar, castShell, 0),
		evNotify(ms(10.1), castPar, castShell, CLDExited, 0),
		evExit(ms(100), storyOrphan, castInit, 0),
		evNotify(ms(100.1), storyOrphan, castInit, CLDExited, 0),
	)
}

// Host-wide: pid 1 releases an orphan that was reparented to it before
// tracing began, 180 ms after its exit, with no wait syscall.
var storyLone = actor{700, 7_000, "lone"}

func initUnseenStory() []step {
	return []step{
		names(castInit),
		evExit(ms(10), storyLone, castInit, 0), evNotify(ms(10.1), storyLone, castInit, CLDExited, 0),
		evFree(ms(190.1), storyLone),
	}
}

// Defect 7 (issue #22): "NEVER WAITED while holding zombies: 22053 (), 1
// ()". Parents the events never named get their name from the session's
// lookup: the --pid target, pid 1, their zombies' parent comm, the reap's
// reaper comm.
func TestParentsTheEventsNeverNamed(t *testing.T) {
	init1 := castInit
	pidTarget := scenario{
		name: "pid-target-holds-zombies",
		steps: pidTargetStory(checkpoint("P alive", func(t *testing.T, r *run) {
			s := r.e.Summary(pidTargetAt)
			expect(t, "the --pid target's comm", mustParent(t, s, storyP).Comm, "leaky")
			expect(t, "its zombie's parent comm", mustZombie(t, s, storyZ1).ParentComm, "leaky")
		})),
		check: func(t *testing.T, r *run) {
			rec := r.wantReap(storyZ1, reapWant{by: ReapedByUnseen, reaper: init1.pid, zombie: span(-1495, 2300),
				time: ms(2300), method: MethodFree, uncertain: true})
			expect(t, "reaper comm", rec.ReaperComm, "systemd")
			expect(t, "init's comm", mustParent(t, r.e.Summary(ms(2500)), init1).Comm, "systemd")
		},
	}
	unknown := scenario{
		name:  "a-name-nobody-knows",
		steps: orphanStory(), // no lookup: as before, the name stays empty
		check: func(t *testing.T, r *run) {
			expect(t, "init's comm", mustParent(t, r.e.Summary(ms(280)), init1).Comm, "")
		},
	}
	runScenarios(t, []scenario{pidTarget, unknown})
}

// Defect 7: waited is false ("NEVER") only when the parent's waits were
// observable the whole time: host-wide, or followed from its fork or from
// the start. Otherwise, with no wait seen, it is unknown; so is a parent a
// process of which was released with no visible wait: it reaped somehow.
func TestWaitedNeverOnlyWhereWaitsWereSeen(t *testing.T) {
	init1 := castInit
	pidTarget := scenario{
		name: "pid-target-holds-zombies",
		steps: pidTargetStory(checkpoint("P alive", func(t *testing.T, r *run) {
			expect(t, "P, followed from the start", waitedIs(mustParent(t, r.e.Summary(pidTargetAt), storyP)), "NEVER")
		})),
		check: func(t *testing.T, r *run) {
			s := r.e.Summary(ms(2500))
			expect(t, "P never waited", waitedIs(mustParent(t, s, storyP)), "NEVER")
			expect(t, "pid 1, whose waits --pid does not trace", waitedIs(mustParent(t, s, init1)), "?")
			expect(t, "the shell reaped P", waitedIs(mustParent(t, s, castShell)), "yes")
		},
	}
	orphanHost := scenario{
		name:  "orphan-host-wide",
		steps: orphanStory(),
		check: func(t *testing.T, r *run) {
			expect(t, "host-wide, pid 1's waits are seen", waitedIs(mustParent(t, r.e.Summary(ms(280)), init1)), "NEVER")
		},
	}
	orphanFollowed := scenario{
		name:  "orphan-followed",
		steps: orphanStory(following(ms(-1), castPar, castShell)),
		check: func(t *testing.T, r *run) {
			pi := mustParent(t, r.e.Summary(ms(280)), init1)
			expect(t, "pid 1 owes the zombie", pi.Outstanding, uint64(1))
			expect(t, "followed, pid 1's waits are traced only once it owes", waitedIs(pi), "?")
		},
	}
	// run: zombietrace (a subreaper, watched from the start) forks the
	// command, followed from its fork: its never waiting is known.
	leak, lc := actor{120, 30_000, "leak"}, actor{121, 30_001, "leak"}
	followedFork := scenario{
		name: "followed-from-fork",
		steps: []step{
			following(ms(-1), castSub),
			evFork(ms(0), leak, castSub),
			evFork(ms(1), lc, leak),
			evExit(ms(10), lc, leak, 0), evNotify(ms(10.1), lc, leak, CLDExited, 0),
			evExit(ms(500), leak, castSub, 0),
			evPass(ms(500.1), leak, castSub, lc.pid),
			evNotify(ms(500.2), leak, castSub, CLDExited, 0),
			wait4(ms(500.3), castSub, -1, WNOHANG), ret4(ms(500.31), castSub, lc.pid, WNOHANG, 0),
			wait4(ms(500.4), castSub, -1, WNOHANG), ret4(ms(500.41), castSub, leak.pid, WNOHANG, 0),
		},
		check: func(t *testing.T, r *run) {
			s := r.e.Summary(ms(600))
			expect(t, "the command, followed from its fork", waitedIs(mustParent(t, s, leak)), "NEVER")
			expect(t, "the subreaper", waitedIs(mustParent(t, s, castSub)), "yes")
		},
	}
	initUnseen := scenario{
		name:  "init-releases-unseen",
		steps: initUnseenStory(),
		check: func(t *testing.T, r *run) {
			expect(t, "host-wide, but it released a zombie unseen", waitedIs(mustParent(t, r.e.Summary(ms(300)), init1)), "?")
		},
	}
	runScenarios(t, []scenario{pidTarget, orphanHost, orphanFollowed, followedFork, initUnseen})
}

// Defect 8 (issue #22): --comm true emptied the PARENTS table when the
// zombies matched and their parent did not. The engine marks a parent any
// of whose children (forked, from before, inherited) had a matching name.
func TestMatchChildrenMarksTheirParents(t *testing.T) {
	tr := []actor{kid(1, "true"), kid(2, "true"), kid(3, "true")}
	other, oc := actor{400, 40_000, "bash"}, actor{401, 40_001, "bash"}
	steps := []step{
		checkpoint("--comm true", func(t *testing.T, r *run) {
			r.e.MatchChildren(regexp.MustCompile("true").MatchString)
		}),
		evFork(ms(0), oc, other),
		evExit(ms(1), oc, other, 0), evNotify(ms(1.1), oc, other, CLDExited, 0),
	}
	// python3 app.py Popens `true` three times and never waits; it exits
	// and the subreaper (zombietrace run) inherits and reaps them.
	for i, c := range tr {
		t0 := float64(i) * 10
		steps = append(steps,
			evFork(ms(t0), c, castPar),
			evExec(ms(t0+1), c, "/usr/bin/true"),
			evExit(ms(t0+2), c, castPar, 0), evNotify(ms(t0+2.1), c, castPar, CLDExited, 0))
	}
	steps = append(steps, evExit(ms(100), castPar, castSub, 0))
	for i, c := range tr {
		steps = append(steps, evPass(ms(100.1+float64(i)*0.01), castPar, castSub, c.pid))
	}
	steps = append(steps, evNotify(ms(100.2), castPar, castSub, CLDExited, 0))
	for i, c := range tr {
		t0 := 101 + float64(i)
		steps = append(steps, wait4(ms(t0), castSub, -1, WNOHANG), ret4(ms(t0+0.01), castSub, c.pid, WNOHANG, 0))
	}
	runScenarios(t, []scenario{{
		name:  "popen-true-nowait",
		steps: steps,
		check: func(t *testing.T, r *run) {
			s := r.e.Summary(ms(200))
			expect(t, "python3, the parent of the matching zombies", mustParent(t, s, castPar).ChildMatched, true)
			expect(t, "the subreaper that inherited them", mustParent(t, s, castSub).ChildMatched, true)
			expect(t, "bash, whose child does not match", mustParent(t, s, other).ChildMatched, false)
		},
	}})
}
