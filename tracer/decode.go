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
}

// convert fills ev from raw. ev.Stack's buffer is kept, emptied, across
// events: --stacks does not allocate per fork.
func convert(raw *zombietraceEvent, ev *events.Event) {
	stack := ev.Stack[:0]
	var flags events.Flags
	for _, f := range flagMap {
		if raw.Flags&uint32(f.raw) != 0 {
			flags |= f.dom
		}
	}
	syscall := events.WaitKernel
	switch zombietraceWaitSyscall(raw.Syscall) {
	case zombietraceWaitSyscallWAIT_WAIT4:
		syscall = events.WaitWait4
	case zombietraceWaitSyscallWAIT_WAITID:
		syscall = events.WaitWaitid
	}
	target := events.TargetAny
	switch zombietraceWaitTarget(raw.TargetType) {
	case zombietraceWaitTargetTARGET_PID:
		target = events.TargetPID
	case zombietraceWaitTargetTARGET_PGID:
		target = events.TargetPGID
	}
	*ev = events.Event{
		Kind:      convertKind(raw.Kind),
		Syscall:   syscall,
		Target:    target,
		Flags:     flags,
		Time:      raw.Ts,
		PID:       raw.Pid,
		TID:       raw.Tid,
		Start:     raw.StartNs,
		Task:      raw.Task,
		PeerPID:   raw.PeerPid,
		PeerStart: raw.PeerStart,
		NSPID:     raw.Nspid,
		Options:   raw.Options,
		Status:    raw.Status,
		Code:      raw.Code,
		Comm:      raw.Comm,
		Stack:     stack,
	}
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
