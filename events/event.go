// Package events holds the domain events of the exit/wait lifecycle and the
// correlation engine that turns them into zombie records. It is pure Go: no
// kernel is needed, so most tests live here.
package events

import "bytes"

// Kind says what happened.
type Kind uint8

const (
	KindFork       Kind = iota + 1 // a new process (threads are not reported)
	KindExec                       // the process executed a new program
	KindExit                       // the thread group died (the last thread exited)
	KindNotify                     // SIGCHLD notification from do_notify_parent
	KindWait                       // a task entered do_wait: an attempt, not a reap
	KindWaitReturn                 // wait4/waitid returned a child (--exact-waits)
	KindFree                       // the leader's task_struct was released (RCU, late)
	KindZombie                     // a zombie that existed before tracing started
	KindLost                       // events the kernel could not deliver
)

var kindNames = [...]string{"", "fork", "exec", "exit", "notify", "wait", "wait_return", "free", "zombie", "lost"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Flags qualify an event.
type Flags uint32

const (
	FlagAutoreap      Flags = 1 << iota // exit: the kernel releases the child itself
	FlagPtraced                         // exit: a tracer holds the process
	FlagLiveFallback                    // exit: group death derived from signal->live
	FlagNotifySelf                      // notify: the sender's process is the child
	FlagUnreadable                      // wait_return: status/infop not readable
	FlagDelayedLeader                   // zombie: leader exited, threads still run
	FlagKernelWaiter                    // wait: an in-kernel waiter (kthread)
	// FlagGone: a free event no kernel sent. At a live session's end the
	// process was gone from /proc, released before its free event came
	// (lazy RCU holds it back for seconds).
	FlagGone
	// FlagWaiters: notify: Waiters lists the receiver's threads queued in a
	// wait at that moment (without it, which threads were is not known).
	FlagWaiters
	FlagMoreWaiters // notify: more threads were queued than Waiters holds
)

// WaitSyscall names the system call behind a wait event.
type WaitSyscall uint8

const (
	WaitKernel WaitSyscall = iota // no wait syscall: the kernel waited itself
	WaitWait4
	WaitWaitid
)

func (s WaitSyscall) String() string {
	switch s {
	case WaitWait4:
		return "wait4"
	case WaitWaitid:
		return "waitid"
	}
	return "kernel"
}

// method is how a reap by a wait of this syscall is seen: wait4, waitid.
func (s WaitSyscall) method() Method { return Method(s.String()) }

// WaitTarget is the set of children a wait can collect.
type WaitTarget uint8

const (
	TargetAny  WaitTarget = iota // wait4(-1), waitid(P_ALL)
	TargetPID                    // one pid (wait4(pid), P_PID, P_PIDFD)
	TargetPGID                   // a process group: treated as any (groups are not traced)
)

// Wait options, as in <linux/wait.h>.
const (
	WNOHANG    = 0x00000001
	WUNTRACED  = 0x00000002 // wait4; WSTOPPED for waitid
	WEXITED    = 0x00000004
	WCONTINUED = 0x00000008
	WNOWAIT    = 0x01000000
	WNOTHREAD  = 0x20000000
	WALL       = 0x40000000
	WCLONE     = 0x80000000
)

// si_code values of SIGCHLD.
const (
	CLDExited    = 1
	CLDKilled    = 2
	CLDDumped    = 3
	CLDTrapped   = 4
	CLDStopped   = 5
	CLDContinued = 6
)

// SIGCHLD is the exit signal that ordinary waits collect.
const SIGCHLD = 17

// Event is one observation from the kernel. Times are CLOCK_BOOTTIME ns.
// Field use depends on Kind (see bpf/zombietrace.h).
//
// Status and Code are the kernel's two raw words, whose meaning changes the
// most with Kind: read them through the methods that name it (ForkingTID,
// ExecCount, OldTID, WaitStatus, SigCode, SigStatus, WaitPIDArg,
// WaitIDType). They stay raw fields: the tracer copies them as the kernel
// wrote them, and a recording stores them so, whatever the kind
// (docs/format.md).
type Event struct {
	Kind      Kind
	Syscall   WaitSyscall
	Target    WaitTarget
	Flags     Flags
	Time      uint64
	PID       uint32    // host tgid of the subject (child, waiter, sender)
	TID       uint32    // the thread that acted
	Start     uint64    // the subject's start time: identity with PID
	Waiters   [2]uint32 // notify with FlagWaiters: tids of the receiver's threads queued in a wait, 0: none
	PeerPID   uint32    // fork/exit/zombie: real parent; notify: receiver; wait: target pid
	PeerStart uint64
	NSPID     uint32 // fork/exit: pid in own namespace; notify: si_pid; wait_return: returned pid
	Options   uint32 // wait options; fork/exit: exit signal; notify: send result
	Status    int32  // raw: exit/zombie: wait status; notify: si_status; wait_return: status; exec/wait: exec count; fork: stack frames (<0: none)
	Code      int32  // raw: fork: forking tid; notify/wait_return: si_code; wait: pid argument (waitid: idtype); exec: old tid
	Comm      [16]byte
	Filename  string // exec
	Callsite  string // fork with --stacks: the parent's call stack, outermost first, ';'-separated
	// Stack is a live fork's user stack (--stacks), innermost first, as the
	// kernel unwound it: Callsite is made from it. Not recorded.
	Stack []uint64
	Count uint64 // lost
}

// Key identifies a process: pids are reused, pid + start time is not.
type Key struct {
	PID   uint32
	Start uint64
}

// Subject is the process the event is about (or that acted).
func (e *Event) Subject() Key { return Key{e.PID, e.Start} }

// The accessors below read Status and Code by what they mean for the
// event's kind. Each checks the kind (and, for wait_return, the syscall
// whose result it is) and returns 0 for an event that does not carry the
// value: a wrong use reads "unknown", never another kind's word. They are
// inlined: the check is a compare on a field already in cache.

// ForkingTID is a fork's forking thread (host tid): it is running again, so
// it is not blocked in a wait any more. 0: unknown, or not a fork.
func (e *Event) ForkingTID() uint32 {
	if e.Kind != KindFork || e.Code <= 0 {
		return 0
	}
	return uint32(e.Code)
}

// ExecCount is an exec's or a wait's exec count: the thread's self_exec_id,
// which rises by one at each exec (0: unknown, as in recordings made before
// it was carried, or another kind). A wait with a lower count than an exec
// of its process began before that exec, whatever the times say: an exec's
// time can be up to a tick early.
func (e *Event) ExecCount() uint32 {
	if e.Kind != KindExec && e.Kind != KindWait {
		return 0
	}
	return uint32(e.Status)
}

// OldTID is an exec's calling thread as it was before the exec (the exec
// gives it the leader's pid): 0 when not an exec.
func (e *Event) OldTID() int32 {
	if e.Kind != KindExec {
		return 0
	}
	return e.Code
}

// WaitStatus is the wait(2) status word of an exit, a zombie listed at
// start, or a wait return other than waitid's (wait4's; DecodeWaitStatus
// splits it). 0 for other events.
func (e *Event) WaitStatus() int32 {
	if e.Kind != KindExit && e.Kind != KindZombie && (e.Kind != KindWaitReturn || e.Syscall == WaitWaitid) {
		return 0
	}
	return e.Status
}

// SigCode is the si_code of a SIGCHLD notification or of a waitid return
// (CLDExited..CLDContinued; DecodeSigchld reads it with SigStatus). 0 for
// other events.
func (e *Event) SigCode() int32 {
	if e.Kind != KindNotify && (e.Kind != KindWaitReturn || e.Syscall != WaitWaitid) {
		return 0
	}
	return e.Code
}

// SigStatus is the si_status that goes with SigCode: the exit code, or the
// signal that killed or stopped the child. 0 for other events.
func (e *Event) SigStatus() int32 {
	if e.Kind != KindNotify && (e.Kind != KindWaitReturn || e.Syscall != WaitWaitid) {
		return 0
	}
	return e.Status
}

// WaitPIDArg is a wait4's pid argument as the caller gave it (-1 any child,
// 0 its own process group, < -1 the group -pid, > 0 one pid), and ok false
// when the event is not a wait entered by wait4: 0 is a valid argument.
func (e *Event) WaitPIDArg() (pid int32, ok bool) {
	if e.Kind != KindWait || e.Syscall != WaitWait4 {
		return 0, false
	}
	return e.Code, true
}

// WaitIDType is a waitid's idtype argument (P_ALL 0, P_PID 1, P_PGID 2,
// P_PIDFD 3), and ok false when the event is not a wait entered by waitid.
func (e *Event) WaitIDType() (idtype int32, ok bool) {
	if e.Kind != KindWait || e.Syscall != WaitWaitid {
		return 0, false
	}
	return e.Code, true
}

// Peer is the other process of the event (parent, receiver).
func (e *Event) Peer() Key { return Key{e.PeerPID, e.PeerStart} }

// CommString returns the NUL-terminated comm as a string.
func CommString(c [16]byte) string {
	if i := bytes.IndexByte(c[:], 0); i >= 0 {
		return string(c[:i])
	}
	return string(c[:])
}

// Status decodes a wait status word: exit code, terminating signal, core dump.
type Status struct {
	Code       int
	Signal     int
	CoreDumped bool
}

// DecodeWaitStatus splits a wait(2) status word (low 7 bits signal, 0x80 core
// dump, bits 8-15 exit code).
func DecodeWaitStatus(ws int32) Status {
	sig := int(ws & 0x7f)
	if sig == 0 {
		return Status{Code: int(ws>>8) & 0xff}
	}
	return Status{Signal: sig, CoreDumped: ws&0x80 != 0}
}

// DecodeSigchld reads the status carried by a SIGCHLD exit notification.
func DecodeSigchld(siCode, siStatus int32) Status {
	switch siCode {
	case CLDKilled:
		return Status{Signal: int(siStatus)}
	case CLDDumped:
		return Status{Signal: int(siStatus), CoreDumped: true}
	}
	return Status{Code: int(siStatus) & 0xff}
}
