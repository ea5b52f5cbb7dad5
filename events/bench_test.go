package events

import "testing"

// BenchmarkLifecycle feeds the events of one fork -> exit -> wait lifecycle
// as a fork storm produces them. "blocked": the default mode's order in a
// storm (the parent's wait blocks before the child exits; no exit event, the
// notification says it all); the others: exit, notification, then the wait.
// Frees come lateFrees lifecycles late, as lazy RCU delivers them: a storm
// holds 60-210 reaped processes waiting for theirs, and the tables' cost
// depends on that size (the runtime's map was cheap only below 9 entries).
func BenchmarkLifecycle(b *testing.B) {
	const lateFrees = 200
	for _, c := range []struct {
		name    string
		mode    Mode
		blocked bool
	}{{"light", ModeLight, false}, {"light-blocked", ModeLight, true}, {"exact", ModeExact, false}} {
		m := c.mode
		b.Run(c.name, func(b *testing.B) {
			e := NewEngine(m, func(*Record) {})
			parent := Key{100, 1}
			var comm [16]byte
			copy(comm[:], "storm")
			var ev Event
			var frees [lateFrees]Event
			pid := uint32(1000)
			b.ReportAllocs()
			t := uint64(1_000_000)
			wait := func() {
				ev = Event{Kind: KindWait, Time: t, PID: parent.PID, TID: parent.PID, Start: parent.Start, PeerPID: pid, Target: TargetPID, Syscall: WaitWait4, Comm: comm}
				e.Handle(&ev)
			}
			for b.Loop() {
				pid++
				if pid > 4_000_000 {
					pid = 1000
				}
				start := t
				ev = Event{Kind: KindFork, Time: t, PID: pid, TID: pid, Start: start, PeerPID: parent.PID, PeerStart: parent.Start, Options: SIGCHLD, Code: 100, Comm: comm}
				e.Handle(&ev)
				t += 1000
				if c.blocked {
					wait()
					t += 100
				} else {
					ev = Event{Kind: KindExit, Time: t, PID: pid, TID: pid, Start: start, PeerPID: parent.PID, PeerStart: parent.Start, Options: SIGCHLD, Comm: comm}
					e.Handle(&ev)
					t += 100
				}
				ev = Event{Kind: KindNotify, Time: t, PID: pid, TID: pid, Start: start, PeerPID: parent.PID, PeerStart: parent.Start, NSPID: pid, Code: CLDExited, Flags: FlagNotifySelf, Comm: comm}
				e.Handle(&ev)
				t += 100
				if !c.blocked {
					wait()
				}
				if m == ModeExact {
					ev = Event{Kind: KindWaitReturn, Time: t + 10, PID: parent.PID, TID: parent.PID, Start: parent.Start, NSPID: pid, Syscall: WaitWait4, Comm: comm}
					e.Handle(&ev)
				}
				t += 1000
				late := &frees[pid%lateFrees]
				if late.Kind == KindFree {
					late.Time = t
					e.Handle(late)
				}
				*late = Event{Kind: KindFree, PID: pid, TID: pid, Start: start, Comm: comm}
			}
		})
	}
}
