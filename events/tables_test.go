package events

import "testing"

func TestParentTableIncarnations(t *testing.T) {
	var tb parentTable
	a, b, c := &parent{key: Key{7, 1}}, &parent{key: Key{7, 2}}, &parent{key: Key{8, 1}}
	for _, pa := range []*parent{a, b, c} {
		tb.put(pa)
	}
	if tb.len() != 3 || tb.get(Key{7, 1}) != a || tb.get(Key{7, 2}) != b || tb.get(Key{8, 1}) != c || tb.get(Key{7, 3}) != nil {
		t.Fatalf("lookup by pid and start failed")
	}
	tb.remove(a) // not the chain's head
	if tb.get(Key{7, 1}) != nil || tb.get(Key{7, 2}) != b || tb.len() != 2 {
		t.Fatalf("removing an older incarnation broke the chain")
	}
	tb.remove(b)
	if tb.get(Key{7, 2}) != nil || tb.m.len() != 1 || tb.len() != 1 {
		t.Fatalf("removing the last incarnation left %d pids, len %d", tb.m.len(), tb.len())
	}
	var seen []*parent
	tb.each(func(pa *parent) bool { seen = append(seen, pa); return true })
	if len(seen) != 1 || seen[0] != c {
		t.Fatalf("each visited %v, want only pid 8", seen)
	}
}

func TestWaitTableMatchesWaiter(t *testing.T) {
	var wt waitTable
	old := wt.add(&pendingWait{waiter: Key{5, 1}, tid: 5})
	cur := wt.add(&pendingWait{waiter: Key{5, 2}, tid: 6})
	if len(wt.of(Key{5, 2})) != 2 {
		t.Fatalf("of returns every wait of the pid; callers match the start")
	}
	wt.remove(old)
	wt.remove(cur)
	if wt.m.len() != 0 {
		t.Fatalf("%d pids left", wt.m.len())
	}
	// Blocking again reuses what was released.
	if n := testing.AllocsPerRun(100, func() { wt.remove(wt.add(&pendingWait{waiter: Key{9, 1}})) }); n != 0 {
		t.Errorf("%v allocations per blocked wait", n)
	}
}

// A free event that never comes (lazy RCU delayed some past minutes here)
// must not keep a record once the pid belongs to a newer process: the
// records held stay bounded by the pids in use, not by the lifecycles seen.
func TestLostFreesDoNotAccumulate(t *testing.T) {
	e := NewEngine(ModeLight, nil)
	parent := Key{100, 1}
	const pids, lifecycles = 500, 50_000
	ts := uint64(1_000_000)
	for i := 0; i < lifecycles; i++ {
		pid := uint32(1000 + i%pids)
		start := ts
		for _, ev := range []Event{
			{Kind: KindFork, PID: pid, TID: pid, Start: start, PeerPID: parent.PID, PeerStart: parent.Start, Options: SIGCHLD},
			{Kind: KindWait, PID: parent.PID, TID: parent.PID, Start: parent.Start, PeerPID: pid, Target: TargetPID, Syscall: WaitWait4},
			{Kind: KindNotify, PID: pid, TID: pid, Start: start, PeerPID: parent.PID, PeerStart: parent.Start, NSPID: pid, Code: CLDExited, Flags: FlagNotifySelf},
			{Kind: KindFree, PID: pid, TID: pid, Start: start},
		} {
			if ev.Kind == KindFree && i%7 == 0 {
				continue // this one's free never comes
			}
			ts += 1000
			ev.Time = ts
			e.Handle(&ev)
		}
	}
	if n := e.Live(); n > pids {
		t.Errorf("%d records held after %d lifecycles over %d pids, some frees lost: want at most %d", n, lifecycles, pids, pids)
	}
}
