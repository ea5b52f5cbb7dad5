package events

// The records the engine keeps: processes (proc) and the parents that owe
// their reaps (parent), the owed list between them, and how they are found,
// created and handed from owner to owner.

type state uint8

const (
	stateRunning state = iota
	stateExited        // the group died; not yet waitable (exit_mm, delayed notify)
	stateZombie        // waitable
	stateReaped
)

type proc struct {
	key        Key
	comm       [16]byte
	commStr    string // comm as a string, converted once
	parent     Key    // at fork
	owner      Key    // who owes the reap now: the parent, after reparenting the reaper
	seq        uint64
	state      state
	forkTime   uint64
	exitTime   uint64
	zombieTime uint64 // when it became waitable
	ownedSince uint64 // when owner became the owner (reparenting)
	status     Status
	exitSignal uint32
	nspid      uint32
	execs      uint32 // the exec count of its last exec seen (Event.ExecCount)
	holder     Key    // a ptrace tracer that got the exit notification
	holdStart  uint64
	heldNS     uint64
	tracerPID  uint32
	inheritor  uint32  // the new parent the kernel named when it was reparented
	ownerPa    *parent // the owner's record; p is on its owed list
	prevOwed   *proc
	nextOwed   *proc
	autoreap   bool
	ptraced    bool
	preexist   bool
	uncertain  bool
	exitShown  bool
}

type parent struct {
	key        Key
	comm       [16]byte
	commStr    string
	named      bool // the name lookup (SetNames) was asked
	children   uint64
	inherited  uint64
	preexisted uint64 // children first seen owed by it (they existed before counting began)
	reaped     uint64
	unseen     uint64 // released with no wait seen while it owed them
	autoreaped uint64
	passedOn   uint64 // owed by it, then reparented away at its death
	waited     bool
	// watched: its waits were observable the whole time (host-wide, or
	// followed from its fork or from the start: Follow).
	watched bool
	// releasedUnseen: a process it owed was released with no wait seen: it
	// may have waited in a way the tracer cannot see.
	releasedUnseen bool
	childMatched   bool // a child's comm passed MatchChildren's test
	deathTime      uint64
	owed           *proc   // the children it owes a reap (a list through proc.nextOwed)
	samePID        *parent // another incarnation of this pid (parentTable)
	nowed          int
	zombieNS       durations
}

// link and unlink keep the owed list: no hashing per child.
func (pa *parent) link(p *proc) {
	p.ownerPa, p.prevOwed, p.nextOwed = pa, nil, pa.owed
	if pa.owed != nil {
		pa.owed.prevOwed = p
	}
	pa.owed = p
	pa.nowed++
}

// settle freezes the zombie-time statistics of a parent that died and owes
// nothing: no reap or reparenting can add to them any more. Checked where
// either becomes true: its death (died) and its last debt's end (unlink),
// which reap and reparent reach after adding their time.
func (pa *parent) settle() {
	if pa.deathTime != 0 && pa.nowed == 0 {
		pa.zombieNS.freeze()
	}
}

// died records the death of the parent's process.
func (pa *parent) died(t uint64) {
	pa.deathTime = t
	pa.settle()
}

func unlink(p *proc) {
	pa := p.ownerPa
	if pa == nil {
		return
	}
	if p.prevOwed != nil {
		p.prevOwed.nextOwed = p.nextOwed
	} else {
		pa.owed = p.nextOwed
	}
	if p.nextOwed != nil {
		p.nextOwed.prevOwed = p.prevOwed
	}
	p.ownerPa, p.prevOwed, p.nextOwed = nil, nil, nil
	pa.nowed--
	pa.settle()
}

// evictParents drops parents that owe nothing, dead ones first, until the
// table is at three quarters of its bound.
func (e *Engine) evictParents() {
	excess := e.parents.len() - e.maxPa*3/4
	var victims []*parent
	for _, deadOnly := range []bool{true, false} {
		e.parents.each(func(pa *parent) bool {
			if len(victims) >= excess {
				return false
			}
			if pa.nowed == 0 && (pa.deathTime != 0) == deadOnly {
				victims = append(victims, pa)
			}
			return true
		})
	}
	for _, pa := range victims {
		e.parents.remove(pa)
		if e.lastPa == pa {
			e.lastPa = nil
		}
		e.evicted++
	}
}

// noteChild checks p's comm for its owner (MatchChildren).
func (e *Engine) noteChild(p *proc) {
	if pa := p.ownerPa; e.match != nil && pa != nil && !pa.childMatched && e.match(p.commStr) {
		pa.childMatched = true
	}
}

// proc finds a process by identity: one uint32 lookup (struct keys hash
// slowly), then the start time. A pid holds one incarnation: a newer process
// with the pid ends the record of the older one (newProc).
func (e *Engine) proc(k Key) *proc {
	if p := e.byPID.get(k.PID); p != nil && p.key == k {
		return p
	}
	return nil
}

// eachProc visits every process not yet freed.
func (e *Engine) eachProc(f func(*proc)) {
	e.byPID.each(func(_ uint32, p *proc) bool {
		f(p)
		return true
	})
}

func (e *Engine) parentRef(k Key) *parent {
	if pa := e.lastPa; pa != nil && pa.key == k {
		return pa
	}
	pa := e.parents.get(k)
	if pa != nil {
		e.lastPa = pa
	}
	return pa
}

// nameParent asks for the name of a parent the events did not name.
func (e *Engine) nameParent(pa *parent) {
	if pa.commStr != "" || pa.named || e.names == nil || pa.key == (Key{}) {
		return
	}
	pa.named = true
	pa.commStr = e.names(pa.key)
}

func (p *proc) setComm(c [16]byte) {
	if c != p.comm || p.commStr == "" {
		p.comm = c
		p.commStr = CommString(c)
	}
}

func (pa *parent) setComm(c [16]byte) {
	if c != pa.comm || pa.commStr == "" {
		pa.comm = c
		pa.commStr = CommString(c)
	}
}

func (e *Engine) parentOf(k Key) *parent {
	pa := e.parentRef(k)
	if pa == nil {
		if e.parents.len() >= e.maxPa {
			e.evictParents()
		}
		pa = &parent{key: k, watched: e.watchedFromStart(k)}
		if p := e.proc(k); p != nil {
			pa.comm, pa.commStr = p.comm, p.commStr
			if p.forkTime != 0 {
				pa.watched = true // followed from its fork
			}
		}
		e.parents.put(pa)
	}
	return pa
}

// newProc records a process first seen now; old is what holds its pid (nil:
// nothing).
func (e *Engine) newProc(k Key, comm [16]byte, old *proc) *proc {
	if old != nil {
		// The pid was reused: its predecessor is gone even if we missed how.
		if old.state != stateReaped {
			e.reap(old, maxU64(e.last, old.zombieTime), ReapedByUnseen, Key{}, MethodPIDReused, true)
		}
		// Nothing is left to learn about it: its free event only closes
		// records. Keeping it for that event held one record in 1,500 of a
		// fork storm for good: lazy RCU delayed some frees past minutes here.
		e.forget(old)
	}
	// Until a fork or exit says otherwise, the ordinary exit signal.
	var p *proc
	if n := len(e.spare); n > 0 {
		p = e.spare[n-1]
		e.spare = e.spare[:n-1]
		oldComm, oldStr := p.comm, p.commStr
		*p = proc{key: k, exitSignal: SIGCHLD, comm: oldComm, commStr: oldStr}
		p.setComm(comm) // a storm's children share one comm: no new string
	} else {
		p = &proc{key: k, exitSignal: SIGCHLD}
		p.setComm(comm)
	}
	e.byPID.set(k.PID, p)
	e.nprocs++
	return p
}

// lookup finds a process by identity, creating it if it was never seen (it
// started before tracing, or its fork was lost).
func (e *Engine) lookup(k Key, comm [16]byte) (p *proc, created bool) {
	if p = e.byPID.get(k.PID); p != nil && p.key == k {
		return p, false
	}
	return e.newProc(k, comm, p), true
}

func (e *Engine) setOwner(p *proc, owner Key, t uint64) {
	unlink(p)
	p.owner = owner
	p.ownedSince = t
	e.seq++
	p.seq = e.seq
	pa := e.parentOf(owner)
	pa.link(p)
	e.nameParent(pa) // a fork named it from the child's comm already
	e.noteChild(p)
}

// adopt gives p, first seen now without its fork (it existed before
// tracing, or its fork was lost), to its owner: a child that existed
// before, in the owner's row.
func (e *Engine) adopt(p *proc, owner Key, t uint64) {
	p.parent = owner
	e.setOwner(p, owner, t)
	if pa := p.ownerPa; pa != nil && e.counting {
		pa.preexisted++
	}
}

// findChild finds the process that pid (host or namespace pid) names among
// the candidates accepted by ok.
func (e *Engine) findChild(pid uint32, ok func(*proc) bool, owner Key) *proc {
	if p := e.byPID.get(pid); p != nil && ok(p) {
		return p
	}
	if pa := e.parentRef(owner); pa != nil {
		for c := pa.owed; c != nil; c = c.nextOwed {
			if c.nspid == pid && ok(c) {
				return c
			}
		}
	}
	var found *proc
	e.eachProc(func(c *proc) { // rare: namespaces, tracers
		if found == nil && (c.nspid == pid || c.key.PID == pid) && ok(c) {
			found = c
		}
	})
	return found
}
