package events

// The correlation engine: its state, its settings and Handle, which sends
// each event to its handler. The handlers of a process's life are in
// lifecycle.go, wait matching in waits.go, reaps in reap.go; procs.go holds
// the records of processes and parents, views.go what the engine shows.

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
