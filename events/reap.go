package events

// Reaps: a process collected (by a wait seen or inferred, or unseen at its
// free), its record closed and its debt settled.

func (e *Engine) reapBy(p *proc, reaper Key, comm [16]byte, t uint64, method Method, uncertain bool) {
	pa := e.parentOf(reaper)
	pa.waited = true
	if pa.comm == ([16]byte{}) {
		pa.setComm(comm)
	}
	by := ReapedByReaper
	if reaper == p.parent {
		by = ReapedByParent
	}
	e.reap(p, t, by, reaper, method, uncertain)
}

func (e *Engine) reap(p *proc, t uint64, by ReapedBy, reaper Key, method Method, uncertain bool) {
	if p.state == stateReaped {
		return
	}
	if p.zombieTime == 0 {
		p.zombieTime = t
		uncertain = true
	}
	if !p.exitShown {
		e.emitExit(p, p.zombieTime)
	}
	p.state = stateReaped
	var zns uint64
	if t > p.zombieTime {
		zns = t - p.zombieTime
	}
	pa := p.ownerPa // linked while p is owed (never evicted then); nil: no owner known
	if pa != nil && by == ReapedByUnseen {
		pa.releasedUnseen = true
	}
	if pa != nil && by != ReapedByAutoreap && e.counting {
		if by == ReapedByUnseen {
			pa.unseen++
		} else {
			pa.reaped++
		}
		since := maxU64(p.zombieTime, p.ownedSince)
		if t > since {
			pa.zombieNS.add(t - since)
		} else {
			pa.zombieNS.add(0)
		}
	}
	unlink(p) // after the time is added: the last debt's end settles pa
	if p.holder != (Key{}) {
		p.heldNS += t - p.holdStart
	}
	r := e.record(RecordReap, t, p)
	r.PPID = p.parent.PID
	r.ParentComm = e.commOf(p.parent)
	r.ZombieNS = zns
	r.ReapedBy = by
	r.ReaperPID = reaper.PID
	if reaper != (Key{}) {
		r.ReaperComm = e.commOf(reaper)
	}
	r.Uncertain = uncertain || p.uncertain
	r.Method = method
	r.HeldNS = p.heldNS
	r.TracerPID = p.tracerPID
	r.Status = p.status
	e.emit(r)
}

func (e *Engine) free(ev *Event) {
	// pid + start time is the identity: a reused pid is another key.
	p := e.proc(ev.Subject())
	if p == nil {
		return
	}
	if p.state != stateReaped {
		// Released with no wait we saw: io_uring waitid, pid-namespace
		// teardown, compat callers, an init that reaps without a syscall.
		reaper := Key{}
		if p.inheritor != 0 {
			reaper = p.owner
		}
		if p.state == stateRunning || p.state == stateExited {
			p.uncertain = true
		}
		method := MethodFree
		if ev.Flags&FlagGone != 0 {
			method = MethodGone // found gone: released at this time at the latest
		}
		e.reap(p, ev.Time, ReapedByUnseen, reaper, method, true)
	}
	e.forget(p)
}

func (e *Engine) forget(p *proc) {
	delIfSame(&e.byPID, p.key.PID, p)
	unlink(p)
	if len(e.spare) < 1024 {
		e.spare = append(e.spare, p)
	}
}
