//go:build linux

package tracer

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"

	"github.com/zombietrace/zombietrace/events"
)

// The committed object and the generated Go types must agree: a struct that
// drifted would decode garbage. No root needed.
func TestEmbeddedObjectMatchesGoTypes(t *testing.T) {
	spec, err := loadZombietrace()
	if err != nil {
		t.Fatal(err)
	}
	for name, size := range map[string]uintptr{
		"event":            unsafe.Sizeof(zombietraceEvent{}),
		"fork_stack_event": unsafe.Sizeof(zombietraceForkStackEvent{}),
		"follow_entry":     unsafe.Sizeof(zombietraceFollowEntry{}),
		"ring_slot":        unsafe.Sizeof(zombietraceRingSlot{}),
		"ring_pos":         unsafe.Sizeof(zombietraceRingPos{}),
	} {
		var s *btf.Struct
		if err := spec.Types.TypeByName(name, &s); err != nil {
			t.Fatalf("struct %s in BTF: %v", name, err)
		}
		if uintptr(s.Size) != size {
			t.Errorf("struct %s: %d bytes in BTF, %d in Go", name, s.Size, size)
		}
	}
	for _, p := range []string{zombietraceProgHandleFork, zombietraceProgHandleExec, zombietraceProgHandleExit,
		zombietraceProgHandleExitLive, zombietraceProgHandleSignal, zombietraceProgHandleWait,
		zombietraceProgHandleFree, zombietraceProgListZombies,
		zombietraceProgExitWait4, zombietraceProgExitWaitid} {
		if spec.Programs[p] == nil {
			t.Errorf("program %s missing from the object", p)
		}
	}
}

func TestDecode(t *testing.T) {
	raw := zombietraceEvent{Kind: uint32(zombietraceEventKindEVENT_WAIT), Pid: 42, StartNs: 7}
	raw.Flags = uint32(zombietraceEventFlagFLAG_AUTOREAP | zombietraceEventFlagFLAG_NOTIFY_SELF)
	raw.Syscall = uint16(zombietraceWaitSyscallWAIT_WAITID)
	raw.TargetType = uint8(zombietraceWaitTargetTARGET_PGID)
	copy(raw.Comm[:], "python3")
	b := unsafe.Slice((*byte)(unsafe.Pointer(&raw)), unsafe.Sizeof(raw))
	var ev events.Event
	if err := decode(b, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Kind != events.KindWait || ev.PID != 42 || ev.Start != 7 ||
		events.CommString(ev.Comm) != "python3" || ev.Flags != events.FlagAutoreap|events.FlagNotifySelf ||
		ev.Syscall != events.WaitWaitid || ev.Target != events.TargetPGID {
		t.Fatalf("decoded %+v", ev)
	}
	if err := decode(b[:eventSize-1], &ev); !errors.Is(err, errShortRecord) {
		t.Fatalf("short record: %v", err)
	}
}

// A fork with --stacks carries its stack: as many frames as status says,
// never more than were copied; a failed unwind (negative status) has none.
func TestDecodeForkStack(t *testing.T) {
	var raw zombietraceForkStackEvent
	raw.Ev.Kind = uint32(zombietraceEventKindEVENT_FORK)
	raw.Ev.Pid = 42
	raw.Ips[0], raw.Ips[1], raw.Ips[2], raw.Ips[3] = 0x401000, 0x402000, 0x403000, 0xdead
	b := unsafe.Slice((*byte)(unsafe.Pointer(&raw)), unsafe.Sizeof(raw))
	var ev events.Event
	for _, c := range []struct {
		status int32
		want   int
	}{{3, 3}, {-14, 0}, {1000, len(raw.Ips)}, {0, 0}} {
		raw.Ev.Status = c.status
		if err := decode(b, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Kind != events.KindFork || ev.PID != 42 || len(ev.Stack) != c.want {
			t.Errorf("status %d: kind %v pid %d, %d frames, want %d", c.status, ev.Kind, ev.PID, len(ev.Stack), c.want)
		}
	}
	raw.Ev.Status = 3
	decode(b, &ev)
	if ev.Stack[0] != 0x401000 || ev.Stack[2] != 0x403000 {
		t.Errorf("frames %#x", ev.Stack)
	}
	// The plain fork record of the default mode: no stack.
	if err := decode(b[:eventSize], &ev); err != nil || len(ev.Stack) != 0 {
		t.Errorf("plain fork: %v, %d frames", err, len(ev.Stack))
	}
}

// Every raw flag fits the translation table and becomes its own domain flag,
// alone and together with the others.
func TestConvertFlags(t *testing.T) {
	var all zombietraceEventFlag
	var want events.Flags
	for _, f := range flagMap {
		if uint32(f.raw) >= 1<<flagBits {
			t.Fatalf("raw flag %#x outside the %d-bit table", f.raw, flagBits)
		}
		var ev events.Event
		convert(&zombietraceEvent{Flags: uint32(f.raw)}, &ev)
		if ev.Flags != f.dom {
			t.Errorf("raw %#x: %#x, want %#x", f.raw, ev.Flags, f.dom)
		}
		all |= f.raw
		want |= f.dom
	}
	var ev events.Event
	convert(&zombietraceEvent{Flags: uint32(all)}, &ev)
	if ev.Flags != want {
		t.Errorf("all raw flags: %#x, want %#x", ev.Flags, want)
	}
}

// convert leaves nothing of the event it overwrites but the stack's buffer.
func TestConvertOverwrites(t *testing.T) {
	ev := events.Event{Filename: "/bin/sh", Callsite: "main;fork", Count: 3, Stack: make([]uint64, 2, 8),
		Syscall: events.WaitWaitid, Target: events.TargetPGID, Flags: events.FlagGone}
	convert(&zombietraceEvent{Kind: uint32(zombietraceEventKindEVENT_FREE), Pid: 9}, &ev)
	stack := ev.Stack
	ev.Stack = nil
	if want := (events.Event{Kind: events.KindFree, PID: 9}); !reflect.DeepEqual(ev, want) {
		t.Errorf("converted over an exec: %+v", ev)
	}
	if len(stack) != 0 || cap(stack) != 8 {
		t.Errorf("stack buffer: len %d cap %d, want 0 and 8", len(stack), cap(stack))
	}
}

func BenchmarkDecode(b *testing.B) {
	raw := zombietraceEvent{Kind: uint32(zombietraceEventKindEVENT_NOTIFY), Pid: 1}
	buf := unsafe.Slice((*byte)(unsafe.Pointer(&raw)), unsafe.Sizeof(raw))
	var ev events.Event
	b.ReportAllocs()
	for b.Loop() {
		if err := decode(buf, &ev); err != nil {
			b.Fatal(err)
		}
	}
}

func TestVerifierCause(t *testing.T) {
	log := []string{
		"8: (61) r7 = *(u32 *)(r6 +8)",
		"R6 invalid mem access 'scalar'",
		"processed 9 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0",
		"",
	}
	if got := verifierCause(log); got != "R6 invalid mem access 'scalar'" {
		t.Errorf("cause %q", got)
	}
	if got := verifierCause(nil); got != "(no verifier log)" {
		t.Errorf("empty log: %q", got)
	}
}

// Every variant named in the plan is a program of each object (the compat
// object leaves out the kfunc variants: 6.2+ kernels have everything the
// default object needs), and every program of each object serves a hook (or
// is a one-shot iterator).
func TestHooksCoverTheObject(t *testing.T) {
	for _, obj := range []struct {
		name   string
		load   func() (*ebpf.CollectionSpec, error)
		compat bool
	}{{"default", loadZombietrace, false}, {"compat", loadZombietraceCompat, true}} {
		spec, err := obj.load()
		if err != nil {
			t.Fatal(err)
		}
		planned := map[string]bool{zombietraceProgListSubreapers: true}
		for _, h := range hooks {
			if h.compat && !obj.compat {
				continue
			}
			for _, v := range h.variants {
				if spec.Programs[v.prog] == nil && !(obj.compat && slices.Contains(v.needs, featKfuncs)) {
					t.Errorf("%s object: hook %s: no program %s", obj.name, h.name, v.prog)
				}
				planned[v.prog] = true
			}
		}
		for name := range spec.Programs {
			if !planned[name] {
				t.Errorf("%s object: program %s serves no hook", obj.name, name)
			}
		}
	}
}

// A kernel without the 6.2 kfuncs skips the kfunc variants; the last
// variant of a hook is always tried.
func TestFeaturesChooseVariants(t *testing.T) {
	old := kernelFeatures{}
	v := variant{prog: "x", needs: []feature{featKfuncs}}
	if len(old.missing(v)) != 1 {
		t.Errorf("missing %v", old.missing(v))
	}
	if m := (kernelFeatures{featKfuncs: true}).missing(v); len(m) != 0 {
		t.Errorf("missing %v on a 6.2+ kernel", m)
	}
	for _, h := range hooks {
		if last := h.variants[len(h.variants)-1]; len(last.needs) != 0 {
			t.Errorf("hook %s: the last variant %s needs %v: no fallback", h.name, last.prog, last.needs)
		}
	}
}
