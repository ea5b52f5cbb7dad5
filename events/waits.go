package events

// Wait matching: which wait collects which zombie. Light mode infers it
// from wait entries and blocked waits, exact mode from what wait4/waitid
// returned.

type pendingWait struct {
	waiter  Key
	comm    [16]byte
	tid     uint32
	target  WaitTarget
	pid     uint32
	options uint32
	syscall WaitSyscall
	time    uint64
	execs   uint32 // the waiter's exec count (Event.ExecCount)
}

func covers(w *pendingWait, p *proc) bool {
	if w.target == TargetPID && p.key.PID != w.pid && p.nspid != w.pid {
		return false
	}
	if w.options&WALL == 0 {
		clone := p.exitSignal != SIGCHLD
		if clone != (w.options&WCLONE != 0) {
			return false
		}
	}
	return true
}

func canCollectExit(w *pendingWait) bool {
	if w.options&WNOWAIT != 0 {
		return false
	}
	return w.syscall == WaitWait4 || w.options&WEXITED != 0
}

// eligible returns the zombie a wait by w would collect: the kernel walks the
// children list in order, so the one that joined it first.
func (e *Engine) eligible(w *pendingWait) *proc {
	pa := e.parentRef(w.waiter)
	if pa == nil {
		return nil
	}
	if w.target == TargetPID {
		// One pid: no need to walk the children (a burst has thousands).
		if c := e.byPID.get(w.pid); c != nil && c.owner == w.waiter {
			if c.state == stateZombie && c.holder == (Key{}) && covers(w, c) {
				return c
			}
			return nil
		}
	}
	var best *proc
	for c := pa.owed; c != nil; c = c.nextOwed {
		if c.state != stateZombie || c.holder != (Key{}) || !covers(w, c) {
			continue
		}
		if best == nil || c.seq < best.seq {
			best = c
		}
	}
	return best
}

func (e *Engine) markWaited(w *pendingWait) {
	pa := e.parentRef(w.waiter)
	if pa == nil || pa.waited {
		return
	}
	if !canCollectExit(w) {
		return // a peek, or only stops/continues: cannot collect an exit
	}
	for c := pa.owed; c != nil; c = c.nextOwed {
		if covers(w, c) {
			pa.waited = true
			return
		}
	}
}

func waitFromEvent(ev *Event) pendingWait {
	return pendingWait{
		waiter:  ev.Subject(),
		comm:    ev.Comm,
		tid:     ev.TID,
		target:  ev.Target,
		pid:     ev.PeerPID,
		options: ev.Options,
		syscall: ev.Syscall,
		time:    ev.Time,
		execs:   ev.ExecCount(),
	}
}

func (e *Engine) wait(ev *Event) {
	w := waitFromEvent(ev)
	if ev.Flags&FlagKernelWaiter != 0 || ev.Syscall == WaitKernel {
		// In-kernel waits (pid-namespace teardown, usermode helpers) do not say
		// what they collect: such reaps are classified from the free event.
		return
	}
	if pa := e.parentRef(w.waiter); pa != nil && pa.comm == ([16]byte{}) {
		pa.setComm(ev.Comm)
	}
	e.markWaited(&w)
	if e.mode == ModeExact {
		if e.lastWait.len() >= maxLastWaits {
			// Entries whose wait returned nothing are never removed: start over.
			e.lastWait.clear()
		}
		e.lastWait.set(w.tid, w)
		return
	}
	e.unblock(w.tid)
	if !canCollectExit(&w) {
		return
	}
	if c := e.eligible(&w); c != nil {
		e.reapBy(c, w.waiter, w.comm, ev.Time, w.syscall.method(), w.target == TargetPGID)
		return
	}
	if w.options&WNOHANG == 0 && !e.endedByExec(&w) {
		e.blocked.set(w.tid, e.blockedBy.add(&w))
	}
}

// endedByExec: w began before an exec of its process that came first (an
// exec's time can be up to a tick early), so it no longer blocks: de_thread
// ended it, or its thread returned from it to exec.
func (e *Engine) endedByExec(w *pendingWait) bool {
	if w.execs == 0 {
		return false
	}
	p := e.proc(w.waiter)
	return p != nil && w.execs < p.execs
}

// joinWindowNS: a wait's tracepoint fires before its thread joins the wait
// queue, so a child that becomes waitable in between finds the thread not
// queued although it will collect the child. The kernel side lists the
// receiving thread then (its registers say it is inside its wait syscall);
// another thread of the receiver it cannot see: such a wait this young that
// is not listed is taken to be joining (its reap marked uncertain), an older
// one to have left.
const joinWindowNS = 1_000_000

// reapByBlockedWait: a wait that blocked before p became waitable collects it
// now (light mode). ev is the notification, or nil when there is none (exit
// signal 0): with FlagWaiters it lists the threads still in their wait; a
// blocked wait whose thread is not listed had left it unseen (a signal's
// handler, a stop, the freezer) and ends here: its next wait collects p.
func (e *Engine) reapByBlockedWait(p *proc, t uint64, ev *Event) {
	if e.mode != ModeLight || p.state != stateZombie {
		return
	}
	var best *pendingWait
	bestQueued := false
	var left []uint32
	for _, w := range e.blockedBy.of(p.owner) {
		if w.waiter != p.owner || !canCollectExit(w) || !covers(w, p) {
			continue
		}
		queued := isQueued(ev, w.tid)
		if !queued && t >= w.time && t-w.time >= joinWindowNS {
			left = append(left, w.tid)
			continue
		}
		better := best == nil || (queued && !bestQueued) ||
			(queued == bestQueued && (w.time < best.time || (w.time == best.time && w.tid < best.tid)))
		if better {
			best, bestQueued = w, queued
		}
	}
	for _, tid := range left {
		e.unblock(tid)
	}
	if best == nil {
		return
	}
	w := *best // unblock recycles it
	best = &w
	e.unblock(best.tid)
	method := MethodBlockedWait4
	if best.syscall == WaitWaitid {
		method = MethodBlockedWaitid
	}
	e.reapBy(p, best.waiter, best.comm, t, method, best.target == TargetPGID || !bestQueued)
}

// isQueued: whether the notification ev listed thread tid as in its wait
// (queued, or the receiving thread on its way in); true when it could not
// tell.
func isQueued(ev *Event, tid uint32) bool {
	if ev == nil || ev.Flags&FlagWaiters == 0 || ev.Flags&FlagMoreWaiters != 0 {
		return true
	}
	return tid == ev.Waiters[0] || tid == ev.Waiters[1]
}

func (e *Engine) waitReturn(ev *Event) {
	w, ok := e.lastWait.lookup(ev.TID)
	if !ok || w.waiter != ev.Subject() {
		w = waitFromEvent(ev)
	}
	e.lastWait.del(ev.TID)
	w.options = ev.Options
	w.syscall = ev.Syscall
	if w.options&WNOWAIT != 0 {
		return // a peek
	}
	waiter := ev.Subject()
	var p *proc
	if ev.NSPID == 0 {
		if ev.Flags&FlagUnreadable == 0 || !canCollectExit(&w) {
			return
		}
		// waitid with a NULL infop: which child it collected is not known;
		// infer it the light way.
		p = e.eligible(&w)
		if p == nil {
			return
		}
		e.reapBy(p, waiter, ev.Comm, ev.Time, ev.Syscall.method(), true)
		return
	}
	p = e.findChild(ev.NSPID, func(c *proc) bool {
		return c.state != stateReaped && (c.owner == waiter || c.holder == waiter)
	}, waiter)
	if p == nil {
		return
	}
	if ev.Flags&FlagUnreadable == 0 {
		if ev.Syscall == WaitWaitid {
			if code := ev.SigCode(); code < CLDExited || code > CLDDumped {
				return // a stop or continue report
			}
		} else if ws := ev.WaitStatus(); ws&0xff == 0x7f || ws == 0xffff {
			return // a stop or continue report
		}
	} else if p.state != stateZombie && p.state != stateExited {
		return // it was running: a stop/continue report, not an exit
	}
	if p.holder == waiter && p.owner != waiter {
		return // the tracer collects, then hands it back to the real parent
	}
	if p.state == stateExited || p.state == stateRunning {
		// The notification was lost or is still in flight on another CPU:
		// the status comes from the wait itself.
		if ev.Flags&FlagUnreadable == 0 {
			if ev.Syscall == WaitWaitid {
				p.status = DecodeSigchld(ev.SigCode(), ev.SigStatus())
			} else {
				p.status = DecodeWaitStatus(ev.WaitStatus())
			}
		}
		if p.zombieTime == 0 {
			p.zombieTime = ev.Time
		}
		p.state = stateZombie
		e.emitExit(p, p.zombieTime)
	}
	e.reapBy(p, waiter, ev.Comm, ev.Time, ev.Syscall.method(), false)
}

// dropWaitsOf ends the blocked waits of process k: all of them, or with an
// exec count, those that began before that exec.
func (e *Engine) dropWaitsOf(k Key, execs uint32) {
	for _, w := range append([]*pendingWait(nil), e.blockedBy.of(k)...) {
		if w.waiter == k && (execs == 0 || w.execs == 0 || w.execs < execs) {
			e.blocked.del(w.tid)
			e.blockedBy.remove(w)
		}
	}
}

// unblock ends the blocked wait of a thread, if any.
func (e *Engine) unblock(tid uint32) {
	w := e.blocked.get(tid)
	if w == nil {
		return
	}
	e.blocked.del(tid)
	e.blockedBy.remove(w)
}
