package events

import "testing"

// TestRawWordAccessors: each accessor reads Status or Code only for the
// kinds (and wait syscalls) that carry its value, 0 for every other.
func TestRawWordAccessors(t *testing.T) {
	type kinded struct {
		kind    Kind
		syscall WaitSyscall
	}
	var all []kinded
	for k := KindFork; k <= KindLost; k++ {
		for _, s := range []WaitSyscall{WaitKernel, WaitWait4, WaitWaitid} {
			all = append(all, kinded{k, s})
		}
	}
	const status, code = 0x0300, 42
	for _, c := range []struct {
		name  string
		get   func(*Event) int64
		want  int64
		carry func(kinded) bool
	}{
		{"ForkingTID", func(e *Event) int64 { return int64(e.ForkingTID()) }, code,
			func(k kinded) bool { return k.kind == KindFork }},
		{"ExecCount", func(e *Event) int64 { return int64(e.ExecCount()) }, status,
			func(k kinded) bool { return k.kind == KindExec || k.kind == KindWait }},
		{"OldTID", func(e *Event) int64 { return int64(e.OldTID()) }, code,
			func(k kinded) bool { return k.kind == KindExec }},
		{"WaitStatus", func(e *Event) int64 { return int64(e.WaitStatus()) }, status,
			func(k kinded) bool {
				return k.kind == KindExit || k.kind == KindZombie || k.kind == KindWaitReturn && k.syscall != WaitWaitid
			}},
		{"SigCode", func(e *Event) int64 { return int64(e.SigCode()) }, code,
			func(k kinded) bool {
				return k.kind == KindNotify || k.kind == KindWaitReturn && k.syscall == WaitWaitid
			}},
		{"SigStatus", func(e *Event) int64 { return int64(e.SigStatus()) }, status,
			func(k kinded) bool {
				return k.kind == KindNotify || k.kind == KindWaitReturn && k.syscall == WaitWaitid
			}},
		{"WaitPIDArg", func(e *Event) int64 {
			if v, ok := e.WaitPIDArg(); ok {
				return int64(v)
			}
			return 0
		}, code, func(k kinded) bool { return k.kind == KindWait && k.syscall == WaitWait4 }},
		{"WaitIDType", func(e *Event) int64 {
			if v, ok := e.WaitIDType(); ok {
				return int64(v)
			}
			return 0
		}, code, func(k kinded) bool { return k.kind == KindWait && k.syscall == WaitWaitid }},
	} {
		for _, k := range all {
			ev := Event{Kind: k.kind, Syscall: k.syscall, Status: status, Code: code}
			want := int64(0)
			if c.carry(k) {
				want = c.want
			}
			if got := c.get(&ev); got != want {
				t.Errorf("%s of %v (%v) = %d, want %d", c.name, k.kind, k.syscall, got, want)
			}
		}
	}
}

// TestWaitArgZero: a wait4 pid argument of 0 (the caller's own process
// group) is a value, told apart from "not a wait4" by ok.
func TestWaitArgZero(t *testing.T) {
	ev := Event{Kind: KindWait, Syscall: WaitWait4, Code: 0}
	if v, ok := ev.WaitPIDArg(); !ok || v != 0 {
		t.Errorf("WaitPIDArg = %d, %v; want 0, true", v, ok)
	}
	ev.Syscall = WaitWaitid
	if _, ok := ev.WaitPIDArg(); ok {
		t.Error("WaitPIDArg of a waitid: ok")
	}
}

// TestForkingTIDNegative: a negative forking tid (never from the kernel;
// a damaged recording) reads as unknown, as the engine's "> 0" test did.
func TestForkingTIDNegative(t *testing.T) {
	ev := Event{Kind: KindFork, Code: -5}
	if got := ev.ForkingTID(); got != 0 {
		t.Errorf("ForkingTID = %d, want 0", got)
	}
}
