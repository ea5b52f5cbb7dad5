//go:build linux

package tracer

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/zombietrace/zombietrace/events"
)

var (
	eventSize      = int(unsafe.Sizeof(zombietraceEvent{}))
	stackEventSize = int(unsafe.Sizeof(zombietraceForkStackEvent{}))
)

var errShortRecord = errors.New("short ring buffer record")

// decode converts one ring buffer record (a --stacks fork) into ev without
// reflection or allocation: a length-checked cast of the generated type.
func decode(b []byte, ev *events.Event) error {
	if len(b) < eventSize {
		return fmt.Errorf("%w: %d bytes, want %d", errShortRecord, len(b), eventSize)
	}
	raw := (*zombietraceEvent)(unsafe.Pointer(&b[0]))
	convert(raw, ev)
	if raw.Kind == uint32(zombietraceEventKindEVENT_EXEC) && len(b) >= eventSize*int(execSlots) {
		// The ring buffer transport: the path's parts follow the event.
		for i := 1; i < int(execSlots); i++ {
			var full bool
			if ev.Filename, full = appendPathPart(ev.Filename, b[i*eventSize:(i+1)*eventSize]); !full {
				break
			}
		}
	}
	if raw.Kind == uint32(zombietraceEventKindEVENT_FORK) && len(b) >= stackEventSize {
		x := (*zombietraceForkStackEvent)(unsafe.Pointer(&b[0]))
		if n := int(raw.Status); n > 0 {
			ev.Stack = append(ev.Stack, x.Ips[:min(n, len(x.Ips))]...)
		}
	}
	return nil
}

func convertKind(k uint32) events.Kind {
	switch zombietraceEventKind(k) {
	case zombietraceEventKindEVENT_FORK:
		return events.KindFork
	case zombietraceEventKindEVENT_EXEC:
		return events.KindExec
	case zombietraceEventKindEVENT_EXIT:
		return events.KindExit
	case zombietraceEventKindEVENT_NOTIFY:
		return events.KindNotify
	case zombietraceEventKindEVENT_WAIT:
		return events.KindWait
	case zombietraceEventKindEVENT_WAIT_RET:
		return events.KindWaitReturn
	case zombietraceEventKindEVENT_FREE:
		return events.KindFree
	case zombietraceEventKindEVENT_ZOMBIE:
		return events.KindZombie
	}
	return 0
}

var flagMap = [...]struct {
	raw zombietraceEventFlag
	dom events.Flags
}{
	{zombietraceEventFlagFLAG_AUTOREAP, events.FlagAutoreap},
	{zombietraceEventFlagFLAG_PTRACED, events.FlagPtraced},
	{zombietraceEventFlagFLAG_LIVE_FALLBACK, events.FlagLiveFallback},
	{zombietraceEventFlagFLAG_NOTIFY_SELF, events.FlagNotifySelf},
	{zombietraceEventFlagFLAG_UNREADABLE, events.FlagUnreadable},
	{zombietraceEventFlagFLAG_DELAYED_LEADER, events.FlagDelayedLeader},
	{zombietraceEventFlagFLAG_KTHREAD, events.FlagKernelWaiter},
	{zombietraceEventFlagFLAG_WAITERS, events.FlagWaiters},
	{zombietraceEventFlagFLAG_MORE_WAITERS, events.FlagMoreWaiters},
}

// flagTable translates every combination of the raw flags (all below
// 1<<flagBits, a test checks) in one load instead of a loop per event.
const flagBits = 9

var flagTable = func() (t [1 << flagBits]events.Flags) {
	for i := range t {
		for _, f := range flagMap {
			if uint32(i)&uint32(f.raw) != 0 {
				t[i] |= f.dom
			}
		}
	}
	return t
}()

// convert fills ev from raw. ev.Stack's buffer is kept, emptied, across
// events: --stacks does not allocate per fork. Fields are stored one by one
// after a clear: a composite literal was built on the stack and copied.
func convert(raw *zombietraceEvent, ev *events.Event) {
	stack := ev.Stack[:0]
	*ev = events.Event{}
	ev.Kind = convertKind(raw.Kind)
	switch zombietraceWaitSyscall(raw.Syscall) {
	case zombietraceWaitSyscallWAIT_WAIT4:
		ev.Syscall = events.WaitWait4
	case zombietraceWaitSyscallWAIT_WAITID:
		ev.Syscall = events.WaitWaitid
	default:
		ev.Syscall = events.WaitKernel
	}
	switch zombietraceWaitTarget(raw.TargetType) {
	case zombietraceWaitTargetTARGET_PID:
		ev.Target = events.TargetPID
	case zombietraceWaitTargetTARGET_PGID:
		ev.Target = events.TargetPGID
	default:
		ev.Target = events.TargetAny
	}
	ev.Flags = flagTable[raw.Flags&(1<<flagBits-1)]
	ev.Time = raw.Ts
	ev.PID = raw.Pid
	ev.TID = raw.Tid
	ev.Start = raw.StartNs
	ev.Waiters = raw.Waiters
	ev.PeerPID = raw.PeerPid
	ev.PeerStart = raw.PeerStart
	ev.NSPID = raw.Nspid
	ev.Options = raw.Options
	ev.Status = raw.Status
	ev.Code = raw.Code
	ev.Comm = raw.Comm
	ev.Stack = stack
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
