package events

import "testing"

// BenchmarkLifecycle feeds the five events of one fork -> exit -> notify ->
// wait -> free lifecycle, as a fork storm produces them.
func BenchmarkLifecycle(b *testing.B) {
	for _, m := range []Mode{ModeLight, ModeExact} {
		b.Run(m.String(), func(b *testing.B) {
			e := NewEngine(m, func(*Record) {})
			parent := Key{100, 1}
			var comm [16]byte
			copy(comm[:], "storm")
			var ev Event
			pid := uint32(1000)
			b.ReportAllocs()
			t := uint64(1_000_000)
			for b.Loop() {
				pid++
				if pid > 4_000_000 {
					pid = 1000
				}
				start := t
				task := uint64(pid) << 12
				ev = Event{Kind: KindFork, Time: t, PID: pid, TID: pid, Start: start, Task: task, PeerPID: parent.PID, PeerStart: parent.Start, Options: SIGCHLD, Code: 100, Comm: comm}
				e.Handle(&ev)
				t += 1000
				ev = Event{Kind: KindExit, Time: t, PID: pid, TID: pid, Start: start, Task: task, PeerPID: parent.PID, PeerStart: parent.Start, Options: SIGCHLD, Comm: comm}
				e.Handle(&ev)
				t += 100
				ev = Event{Kind: KindNotify, Time: t, PID: pid, TID: pid, Start: start, Task: task, PeerPID: parent.PID, PeerStart: parent.Start, NSPID: pid, Code: CLDExited, Flags: FlagNotifySelf, Comm: comm}
				e.Handle(&ev)
				t += 100
				ev = Event{Kind: KindWait, Time: t, PID: parent.PID, TID: parent.PID, Start: parent.Start, PeerPID: pid, Target: TargetPID, Syscall: WaitWait4, Comm: comm}
				e.Handle(&ev)
				if m == ModeExact {
					ev = Event{Kind: KindWaitReturn, Time: t + 10, PID: parent.PID, TID: parent.PID, Start: parent.Start, NSPID: pid, Syscall: WaitWait4, Comm: comm}
					e.Handle(&ev)
				}
				t += 1000
				ev = Event{Kind: KindFree, Time: t, PID: pid, TID: pid, Start: start, Task: task, Comm: comm}
				e.Handle(&ev)
			}
		})
	}
}
