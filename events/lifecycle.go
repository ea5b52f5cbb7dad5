package events

// A process's life as the kernel reports it: fork, exec, exit, the SIGCHLD
// notification, reparenting, and the zombies listed at start.

func (e *Engine) fork(ev *Event) {
	p, created := e.lookup(ev.Subject(), ev.Comm)
	if !created {
		return
	}
	p.parent = ev.Peer()
	p.forkTime = ev.Time
	p.exitSignal = ev.Options
	p.nspid = ev.NSPID
	pa := e.parentOf(p.parent)
	if e.counting {
		pa.children++
	}
	if pa.comm == ([16]byte{}) {
		pa.setComm(ev.Comm) // a child starts with its parent's comm
	}
	e.setOwner(p, p.parent, ev.Time)
	// The forking thread is running again: any wait it was blocked in ended.
	if tid := ev.ForkingTID(); tid != 0 {
		e.unblock(tid)
	}
	r := e.record(RecordFork, ev.Time, p)
	r.PPID = p.parent.PID
	r.Callsite = ev.Callsite
	e.emit(r)
}

func (e *Engine) exec(ev *Event) {
	p, _ := e.lookup(ev.Subject(), ev.Comm)
	// An exec's time can be up to a tick early, so a quick second exec on
	// another CPU can come first: the older one changes nothing then.
	if n := ev.ExecCount(); n == 0 || n > p.execs {
		p.execs = n
		p.setComm(ev.Comm)
		if pa := e.parentRef(p.key); pa != nil {
			pa.setComm(ev.Comm)
		}
		e.noteChild(p)
		e.dropWaitsOf(p.key, n) // de_thread ended every other thread's wait
	}
	r := e.record(RecordExec, ev.Time, p)
	r.PPID = p.owner.PID
	r.Filename = ev.Filename
	e.emit(r)
}

func (e *Engine) exit(ev *Event) {
	p, _ := e.lookup(ev.Subject(), ev.Comm)
	if p.preexist {
		// The iterator listed it after attach, but the exit was seen live:
		// it is not preexisting, and the live times are exact.
		p.preexist, p.exitShown, p.zombieTime = false, false, 0
		p.state = stateRunning
	}
	if p.state != stateRunning {
		return // a duplicate (signal->live fallback: two threads saw 0)
	}
	p.setComm(ev.Comm)
	if p.owner == (Key{}) {
		e.adopt(p, ev.Peer(), ev.Time)
	} else {
		e.noteChild(p)
	}
	p.state = stateExited
	p.exitTime = ev.Time
	p.status = DecodeWaitStatus(ev.WaitStatus())
	p.exitSignal = ev.Options
	p.autoreap = ev.Flags&FlagAutoreap != 0
	p.ptraced = ev.Flags&FlagPtraced != 0
	if ev.NSPID != 0 {
		p.nspid = ev.NSPID
	}
	if pa := e.parentRef(p.key); pa != nil {
		pa.died(ev.Time)
	}
	e.dropWaitsOf(p.key, 0) // all: the process died

	// Its parent died earlier: the kernel reparented it (no tracepoint shows that).
	if now := ev.Peer(); now != p.owner && ev.PeerPID != 0 {
		e.reparent(p, now, ev.Time)
	}

	switch {
	case p.autoreap:
		p.zombieTime = ev.Time
		e.emitExit(p, ev.Time)
		if pa := p.ownerPa; pa != nil && e.counting {
			pa.autoreaped++
		}
		e.reap(p, ev.Time, ReapedByAutoreap, p.owner, MethodExit, false)
	case p.exitSignal == 0:
		// No notification will come (exit_signal 0): waitable from exit_notify.
		p.state = stateZombie
		p.zombieTime = ev.Time
		e.emitExit(p, ev.Time)
		e.reapByBlockedWait(p, ev.Time, nil)
	}
}

// reparent moves the debt of p to the process that inherited it.
func (e *Engine) reparent(p *proc, to Key, t uint64) {
	old := p.owner
	when := t
	if pa := e.parentRef(old); pa != nil && pa.deathTime != 0 && pa.deathTime <= t {
		when = pa.deathTime
	}
	if oldPa := p.ownerPa; oldPa != nil && e.counting {
		oldPa.passedOn++
		if p.state == stateZombie {
			// Blame follows the kernel: the old owner owed it until now.
			var owed uint64
			if since := maxU64(p.zombieTime, p.ownedSince); when > since {
				owed = when - since
			}
			oldPa.zombieNS.add(owed)
		}
	}
	p.exitSignal = SIGCHLD // reparent_leader(): "we don't want people slaying init"
	p.inheritor = to.PID
	e.setOwner(p, to, when)
	if pa := p.ownerPa; pa != nil && e.counting {
		pa.inherited++
	}
	r := e.record(RecordReparent, when, p)
	r.OldPPID = old.PID
	r.NewPPID = to.PID
	r.Seen = t
	r.PPID = to.PID
	e.emit(r)
}

func (e *Engine) emitExit(p *proc, t uint64) {
	if p.exitShown {
		return
	}
	p.exitShown = true
	r := e.record(RecordExit, t, p)
	r.PPID = p.owner.PID
	r.Status = p.status
	e.emit(r)
}

func (e *Engine) notify(ev *Event) {
	if ev.SigCode() > CLDDumped {
		e.stopNotify(ev)
		return
	}
	receiver := ev.Peer()
	if ev.Flags&FlagNotifySelf == 0 {
		e.notifyOther(ev, receiver)
		return
	}
	p, created := e.lookup(ev.Subject(), ev.Comm)
	if created {
		p.uncertain = true // we never saw it exit
	}
	if p.owner == (Key{}) {
		e.adopt(p, receiver, ev.Time)
	}
	if p.state == stateReaped {
		return
	}
	// Its name as it dies, what ps shows for the zombie: a prctl rename
	// since its last exec included.
	p.setComm(ev.Comm)
	if p.preexist {
		// Listed by the iterator, then seen live: the live time is exact.
		p.preexist, p.exitShown, p.zombieTime = false, false, 0
	}
	if p.state == stateRunning {
		// No exit event came (the ordinary case: the kernel side sends one only
		// when the notification cannot say it all): the group died just before.
		if pa := e.parentRef(p.key); pa != nil {
			pa.died(ev.Time)
		}
		e.dropWaitsOf(p.key, 0) // all
	}
	if p.state == stateRunning || p.state == stateExited {
		p.status = DecodeSigchld(ev.SigCode(), ev.SigStatus())
	}
	if p.zombieTime == 0 {
		p.zombieTime = ev.Time
	}
	if p.exitTime == 0 {
		p.exitTime = ev.Time
	}
	p.state = stateZombie
	if receiver != p.owner {
		if p.ptraced || receiver == p.holder {
			// A tracer that is not the parent gets the notification first.
			p.holder = receiver
			p.holdStart = ev.Time
			p.tracerPID = receiver.PID
		} else {
			e.reparent(p, receiver, ev.Time)
		}
	}
	e.emitExit(p, ev.Time)
	if p.holder == (Key{}) {
		e.reapByBlockedWait(p, ev.Time, ev)
	}
}

// notifyOther handles a notification sent by someone else than the child: a
// dying parent passing a zombie to its new reaper, or a tracer handing it back.
func (e *Engine) notifyOther(ev *Event, receiver Key) {
	sender := ev.Subject()
	p := e.findChild(ev.NSPID, func(c *proc) bool {
		return c.state == stateZombie && (c.owner == sender || c.holder == sender)
	}, sender)
	if p == nil {
		return
	}
	if p.holder == sender {
		p.heldNS += ev.Time - p.holdStart
		p.holder = Key{}
		if receiver != p.owner {
			e.reparent(p, receiver, ev.Time)
		}
	} else {
		e.reparent(p, receiver, ev.Time)
	}
	e.reapByBlockedWait(p, ev.Time, ev)
}

// stopNotify: a stop/continue report ends a blocked wait that asked for it.
func (e *Engine) stopNotify(ev *Event) {
	receiver := ev.Peer()
	want := uint32(WUNTRACED)
	if ev.SigCode() == CLDContinued {
		want = WCONTINUED
	}
	for _, w := range e.blockedBy.of(receiver) {
		if w.waiter != receiver {
			continue
		}
		// A tracer sees ptrace stops regardless of WUNTRACED (wait_task_stopped).
		asked := w.options&want != 0 || ev.SigCode() == CLDTrapped
		if asked && (w.target != TargetPID || w.pid == ev.PID || w.pid == ev.NSPID) {
			e.unblock(w.tid)
			return
		}
	}
}

func (e *Engine) preexisting(ev *Event) {
	p, created := e.lookup(ev.Subject(), ev.Comm)
	if !created {
		return // already seen through the live events
	}
	p.preexist = true
	if ev.Flags&FlagDelayedLeader != 0 {
		// Z in /proc, but threads still run: not waitable until the last exits.
		p.nspid = ev.NSPID
		e.adopt(p, ev.Peer(), ev.Time)
		return
	}
	p.state = stateZombie
	p.exitShown = true
	p.zombieTime = ev.Time
	p.exitTime = ev.Time
	p.exitSignal = ev.Options
	p.status = DecodeWaitStatus(ev.WaitStatus())
	p.nspid = ev.NSPID
	e.adopt(p, ev.Peer(), ev.Time)
}
