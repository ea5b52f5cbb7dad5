package events

// Mode is how reaps are observed.
type Mode uint8

const (
	// ModeLight infers reaps from wait entries (sched_process_wait), the exit
	// notification and the free event: no syscall tracepoints.
	ModeLight Mode = iota
	// ModeExact reads the wait4/waitid return values.
	ModeExact
)

func (m Mode) String() string {
	if m == ModeExact {
		return "exact"
	}
	return "light"
}

// maxLastWaits bounds the exact mode's per-thread wait arguments.
const maxLastWaits = 1 << 16

// MaxParents bounds the per-parent table: a host where every short-lived
// shell forks once would grow it without end. Past it, parents that owe
// nothing are evicted (their statistics are dropped and counted).
const MaxParents = 1 << 16

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

// Engine correlates events into records. It is not safe for concurrent use.
type Engine struct {
	mode      Mode
	emit      func(*Record)
	byPID     pidMap[*proc] // the newest incarnation of each pid
	spare     []*proc       // released records, reused (a fork storm allocates nothing)
	parents   parentTable
	blocked   pidMap[*pendingWait] // light mode: waits that are (probably) blocked, by tid
	blockedBy waitTable            // the same, by waiting process
	lastWait  pidMap[pendingWait]  // exact mode: the wait each thread entered last
	first     uint64
	last      uint64
	seq       uint64
	nprocs    uint64
	lost      uint64
	rec       Record
	lastPa    *parent // a storm asks for the same parent again and again
	window    uint64  // reaps and forks before this do not count in the stats
	counting  bool    // the window is open: events count in the stats
	evicted   uint64  // parents dropped from the bounded table
	maxPa     int
	names     func(Key) string // SetNames
	followed  bool             // Follow: a followed tree, not the host
	seeded    map[uint32]bool  // Follow: pids followed from the start
	seededAt  uint64
	match     func(string) bool // MatchChildren
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

// CountFrom makes the per-parent statistics count only what happens from t
// on (report --from); earlier events still build the state. What a parent
// owes when the window opens counts as existing before (preexisted).
func (e *Engine) CountFrom(t uint64) { e.window, e.counting = t, t == 0 }

// openWindow starts counting: every process owed at this moment existed
// before, for its owner's row.
func (e *Engine) openWindow() {
	e.counting = true
	e.eachProc(func(p *proc) {
		if p.ownerPa != nil {
			p.ownerPa.preexisted++
		}
	})
}

// Follow tells the engine that the session traces a followed tree, not the
// host (run, trace --pid, record --pid): the events show a process's waits
// only while it is followed or owes a followed process its reap. pids are
// the processes whose waits were kept from the start (the seeded tree, and
// whoever owed it a reap then); a pid names the process that had it at
// boot time at (a later process with the pid is another). A process forked
// in the tree is followed from its fork. Call it before the first event.
func (e *Engine) Follow(pids []uint32, at uint64) {
	e.followed = true
	e.seeded = make(map[uint32]bool, len(pids))
	for _, pid := range pids {
		e.seeded[pid] = true
	}
	e.seededAt = at
}

// watchedFromStart: k's waits were observable the whole time (the parent
// entry of a process forked while traced is marked at creation instead).
func (e *Engine) watchedFromStart(k Key) bool {
	return !e.followed || (e.seeded[k.PID] && k.Start <= e.seededAt)
}

// MatchChildren marks the parents any of whose children (forked, existing
// before or inherited) ever had a command name that match accepts
// (ParentStats.ChildMatched): --comm keeps the row of a parent whose
// children match when the parent does not.
func (e *Engine) MatchChildren(match func(comm string) bool) { e.match = match }

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

// NewEngine returns an engine that calls emit for every record. The record
// passed to emit is reused: copy it to keep it.
func NewEngine(mode Mode, emit func(*Record)) *Engine {
	if emit == nil {
		emit = func(*Record) {}
	}
	return &Engine{
		mode:     mode,
		emit:     emit,
		maxPa:    MaxParents,
		counting: true,
	}
}

// SetNames gives the engine a way to learn the command name of a parent it
// met without one: it did not see its fork, exec or waits (pid 1 or a
// subreaper that only inherited, the --pid target, a parent of processes
// that existed before tracing). Live sessions read /proc, reports the
// recording's process table. It is asked at most once per parent, when the
// parent first owes a reap (while it most likely lives) or its name is
// first needed; "" means unknown. A name the events give later replaces it.
func (e *Engine) SetNames(f func(Key) string) { e.names = f }

// nameParent asks for the name of a parent the events did not name.
func (e *Engine) nameParent(pa *parent) {
	if pa.commStr != "" || pa.named || e.names == nil || pa.key == (Key{}) {
		return
	}
	pa.named = true
	pa.commStr = e.names(pa.key)
}

// Begin sets the session's start (boot ns), the origin of the summary's
// duration; without it the first event's time is used.
func (e *Engine) Begin(t uint64) {
	e.first = t
	if t > e.last {
		e.last = t
	}
}

// Mode returns how the engine observes reaps.
func (e *Engine) Mode() Mode { return e.mode }

// Handle feeds one event.
func (e *Engine) Handle(ev *Event) {
	if ev.Time != 0 && ev.Kind != KindZombie {
		if e.first == 0 || ev.Time < e.first {
			e.first = ev.Time
		}
		if ev.Time > e.last {
			e.last = ev.Time
		}
		if !e.counting && ev.Time >= e.window {
			e.openWindow()
		}
	}
	switch ev.Kind {
	case KindFork:
		e.fork(ev)
	case KindExec:
		e.exec(ev)
	case KindExit:
		e.exit(ev)
	case KindNotify:
		e.notify(ev)
	case KindWait:
		e.wait(ev)
	case KindWaitReturn:
		e.waitReturn(ev)
	case KindFree:
		e.free(ev)
	case KindZombie:
		e.preexisting(ev)
	case KindLost:
		e.lostEvents(ev)
	}
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

func (e *Engine) lostEvents(ev *Event) {
	if ev.Count == 0 {
		return
	}
	e.lost += ev.Count
	// We cannot tell which processes the lost events were about: every record
	// still open may now be incomplete.
	e.eachProc(func(p *proc) {
		if p.state != stateReaped {
			p.uncertain = true
		}
	})
	r := &e.rec
	*r = Record{Type: RecordLost, Time: ev.Time, Count: ev.Count}
	e.emit(r)
}

func (e *Engine) commOf(k Key) string {
	if p := e.proc(k); p != nil {
		return p.commStr
	}
	if pa := e.parentRef(k); pa != nil {
		e.nameParent(pa)
		return pa.commStr
	}
	return ""
}

func (e *Engine) record(t RecordType, when uint64, p *proc) *Record {
	r := &e.rec
	*r = Record{Type: t, Time: when, PID: p.key.PID, Start: p.key.Start, Comm: p.commStr}
	if t != RecordReap {
		r.ParentComm = e.commOf(p.owner)
	}
	return r
}

func maxU64(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}
