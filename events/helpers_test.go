package events

// Helpers that let the engine tests read like stories: an actor is a process
// (pid + start time), each constructor returns one kernel observation as the
// BPF side would emit it (see bpf/zombietrace.bpf.c), and play() feeds a
// story to an engine in one mode and keeps a copy of every record.

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// Every story happens 1000 s after boot: the engine treats time 0 as unset.
const tBase = uint64(1000_000_000_000)

// ms is the boot time of a story instant given in milliseconds since tBase.
func ms(v float64) uint64 { return uint64(int64(tBase) + int64(math.Round(v*1e6))) }

// span is the duration from story instant a to story instant b (ms).
func span(a, b float64) uint64 { return ms(b) - ms(a) }

// rel renders a boot time as story milliseconds.
func rel(t uint64) string {
	if t == 0 {
		return "0"
	}
	return fmt.Sprintf("%.3fms", (float64(t)-float64(tBase))/1e6)
}

// actor is a process: identity is pid + start time.
type actor struct {
	pid   uint32
	start uint64
	comm  string
}

func (a actor) key() Key { return Key{a.pid, a.start} }

func c16(s string) [16]byte {
	var b [16]byte
	copy(b[:15], s)
	return b
}

// The usual cast.
var (
	castInit   = actor{1, 1_000, "systemd"}
	castShell  = actor{10, 2_000, "bash"}
	castSub    = actor{50, 3_000, "subreaper"}
	castTracer = actor{300, 4_000, "strace"}
	castPar    = actor{100, 10_000, "python3"}
)

// kid is a child of castPar (pid 100+n).
func kid(n uint32, comm string) actor { return actor{100 + n, 20_000 + uint64(n), comm} }

// A step is one event (in both modes unless restricted) or a checkpoint.
type step struct {
	ev    Event
	only  Mode
	mode1 bool // only is set
	check func(t *testing.T, r *run)
	note  string
}

// exactOnly restricts a step to ModeExact (the syscall tracepoints exist only there).
func exactOnly(s step) step { s.only, s.mode1 = ModeExact, true; return s }

// lightOnly restricts a step to ModeLight.
func lightOnly(s step) step { s.only, s.mode1 = ModeLight, true; return s }

// checkpoint runs f between two events.
func checkpoint(note string, f func(t *testing.T, r *run)) step { return step{check: f, note: note} }

type opt func(*Event)

func withTID(tid uint32) opt        { return func(e *Event) { e.TID = tid } }
func withFlags(f Flags) opt         { return func(e *Event) { e.Flags |= f } }
func withExitSignal(s uint32) opt   { return func(e *Event) { e.Options = s } }
func withNSPID(n uint32) opt        { return func(e *Event) { e.NSPID = n } }
func withCode(c int32) opt          { return func(e *Event) { e.Code = c } }
func withStatus(s int32) opt        { return func(e *Event) { e.Status = s } }
func withExecCount(n int32) opt     { return withStatus(n) } // exec, wait
func withTarget(t WaitTarget) opt   { return func(e *Event) { e.Target = t } }
func withComm(s string) opt         { return func(e *Event) { e.Comm = c16(s) } }
func withSyscall(s WaitSyscall) opt { return func(e *Event) { e.Syscall = s } }

func mk(ev Event, o []opt) step {
	for _, f := range o {
		f(&ev)
	}
	return step{ev: ev}
}

// evFork: parent forked child (sched_process_fork). The child's comm is its
// parent's at fork; Code is the forking thread.
func evFork(t uint64, child, parent actor, o ...opt) step {
	return mk(Event{Kind: KindFork, Time: t, PID: child.pid, TID: child.pid, Start: child.start,
		PeerPID: parent.pid, PeerStart: parent.start, NSPID: child.pid,
		Options: SIGCHLD, Code: int32(parent.pid), Comm: c16(parent.comm)}, o)
}

// evExec: p executed filename; its comm becomes p.comm.
func evExec(t uint64, p actor, filename string, o ...opt) step {
	return mk(Event{Kind: KindExec, Time: t, PID: p.pid, TID: p.pid, Start: p.start,
		Code: int32(p.pid), Comm: c16(p.comm), Filename: filename}, o)
}

// evExit: the thread group of p died (sched_process_exit, group_dead);
// parent is its real parent at that moment.
func evExit(t uint64, p, parent actor, status int32, o ...opt) step {
	return mk(Event{Kind: KindExit, Time: t, PID: p.pid, TID: p.pid, Start: p.start,
		PeerPID: parent.pid, PeerStart: parent.start, NSPID: p.pid, Options: SIGCHLD,
		Status: status, Comm: c16(p.comm)}, o)
}

// evNotify: child's own exit notification (or stop/continue report) to receiver.
func evNotify(t uint64, child, receiver actor, code, status int32, o ...opt) step {
	return mk(Event{Kind: KindNotify, Time: t, PID: child.pid, TID: child.pid, Start: child.start,
		PeerPID: receiver.pid, PeerStart: receiver.start, NSPID: child.pid,
		Code: code, Status: status, Flags: FlagNotifySelf, Comm: c16(child.comm)}, o)
}

// evPass: sender (a dying parent, or a tracer handing it back) notifies
// receiver of the zombie childPID (si_pid in the receiver's namespace).
func evPass(t uint64, sender, receiver actor, childPID uint32, o ...opt) step {
	return mk(Event{Kind: KindNotify, Time: t, PID: sender.pid, TID: sender.pid, Start: sender.start,
		PeerPID: receiver.pid, PeerStart: receiver.start, NSPID: childPID,
		Code: CLDExited, Comm: c16(sender.comm)}, o)
}

// wait4 entry (sched_process_wait): pid -1 any, >0 one pid, 0 or < -1 a group.
func wait4(t uint64, w actor, pid int32, options uint32, o ...opt) step {
	ev := Event{Kind: KindWait, Time: t, PID: w.pid, TID: w.pid, Start: w.start,
		Syscall: WaitWait4, Options: options, Code: pid, Comm: c16(w.comm)}
	switch {
	case pid > 0:
		ev.Target, ev.PeerPID = TargetPID, uint32(pid)
	case pid == -1:
		ev.Target = TargetAny
	default:
		ev.Target = TargetPGID
	}
	return mk(ev, o)
}

// waitid idtype values.
const (
	pAll  = 0
	pPID  = 1
	pPGID = 2
)

// waitid entry (sched_process_wait).
func waitid(t uint64, w actor, idtype int32, id uint32, options uint32, o ...opt) step {
	ev := Event{Kind: KindWait, Time: t, PID: w.pid, TID: w.pid, Start: w.start,
		Syscall: WaitWaitid, Options: options, Code: idtype, Comm: c16(w.comm)}
	switch idtype {
	case pAll:
		ev.Target = TargetAny
	case pPGID:
		ev.Target = TargetPGID
	default:
		ev.Target, ev.PeerPID = TargetPID, id
	}
	return mk(ev, o)
}

// ret4: wait4 returned pid with status (exact mode only).
func ret4(t uint64, w actor, pid uint32, options uint32, status int32, o ...opt) step {
	return exactOnly(mk(Event{Kind: KindWaitReturn, Time: t, PID: w.pid, TID: w.pid, Start: w.start,
		Syscall: WaitWait4, NSPID: pid, Options: options, Status: status,
		Comm: c16(w.comm)}, o))
}

// retid: waitid returned 0 with si_pid, si_code and si_status (exact mode only).
func retid(t uint64, w actor, pid uint32, options uint32, code, status int32, o ...opt) step {
	return exactOnly(mk(Event{Kind: KindWaitReturn, Time: t, PID: w.pid, TID: w.pid, Start: w.start,
		Syscall: WaitWaitid, NSPID: pid, Options: options, Code: code,
		Status: status, Comm: c16(w.comm)}, o))
}

// evFree: p's task_struct was released (RCU, late).
func evFree(t uint64, p actor) step {
	return step{ev: Event{Kind: KindFree, Time: t, PID: p.pid, TID: p.pid, Start: p.start,
		Comm: c16(p.comm)}}
}

// evZombie: iter/task found p as a zombie before tracing; t is its last arrival.
func evZombie(t uint64, p, parent actor, status int32, o ...opt) step {
	return mk(Event{Kind: KindZombie, Time: t, PID: p.pid, TID: p.pid, Start: p.start,
		PeerPID: parent.pid, PeerStart: parent.start, NSPID: p.pid, Options: SIGCHLD,
		Status: status, Comm: c16(p.comm)}, o)
}

// evLost: the kernel could not deliver n events.
func evLost(t uint64, n uint64) step {
	return step{ev: Event{Kind: KindLost, Time: t, Count: n}}
}

var bothModes = []Mode{ModeLight, ModeExact}

// run is one story played in one mode.
type run struct {
	t    *testing.T
	mode Mode
	e    *Engine
	recs []Record
}

func play(t *testing.T, m Mode, steps []step) *run {
	t.Helper()
	r := &run{t: t, mode: m}
	r.e = NewEngine(m, func(rec *Record) { r.recs = append(r.recs, *rec) })
	for _, s := range steps {
		if s.check != nil {
			s.check(t, r)
			continue
		}
		if s.mode1 && s.only != m {
			continue
		}
		ev := s.ev
		r.e.Handle(&ev)
	}
	return r
}

// pick chooses the expectation of the run's mode.
func (r *run) pick(light, exact uint64) uint64 {
	if r.mode == ModeExact {
		return exact
	}
	return light
}

func (r *run) find(typ RecordType, a actor) []Record {
	var out []Record
	for _, rec := range r.recs {
		if rec.Type == typ && rec.PID == a.pid && rec.Start == a.start {
			out = append(out, rec)
		}
	}
	return out
}

// one returns the only record of type typ about a, or fails the test.
func (r *run) one(typ RecordType, a actor) Record {
	r.t.Helper()
	got := r.find(typ, a)
	if len(got) != 1 {
		r.t.Fatalf("%d %s records for pid %d (start %d), want 1; records:\n%s", len(got), typ, a.pid, a.start, r.dump())
	}
	return got[0]
}

// none fails if there is any record of type typ about a.
func (r *run) none(typ RecordType, a actor) {
	r.t.Helper()
	if got := r.find(typ, a); len(got) != 0 {
		r.t.Errorf("%d unexpected %s records for pid %d (start %d); records:\n%s", len(got), typ, a.pid, a.start, r.dump())
	}
}

func (r *run) count(typ RecordType) int {
	n := 0
	for _, rec := range r.recs {
		if rec.Type == typ {
			n++
		}
	}
	return n
}

func (r *run) dump() string {
	var b strings.Builder
	for _, rec := range r.recs {
		fmt.Fprintf(&b, "  %-8s t=%s pid=%d start=%d comm=%q ppid=%d", rec.Type, rel(rec.Time), rec.PID, rec.Start, rec.Comm, rec.PPID)
		switch rec.Type {
		case RecordExit:
			fmt.Fprintf(&b, " status=%+v", rec.Status)
		case RecordReap:
			fmt.Fprintf(&b, " by=%s reaper=%d(%q) zombie=%.3fms method=%s uncertain=%v held=%.3fms tracer=%d status=%+v",
				rec.ReapedBy, rec.ReaperPID, rec.ReaperComm, float64(rec.ZombieNS)/1e6, rec.Method, rec.Uncertain,
				float64(rec.HeldNS)/1e6, rec.TracerPID, rec.Status)
		case RecordReparent:
			fmt.Fprintf(&b, " old=%d new=%d", rec.OldPPID, rec.NewPPID)
		case RecordLost:
			fmt.Fprintf(&b, " count=%d", rec.Count)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func parentIn(s Summary, a actor) (ParentStats, bool) {
	for _, p := range s.Parents {
		if p.PID == a.pid && p.Start == a.start {
			return p, true
		}
	}
	return ParentStats{}, false
}

func zombieIn(s Summary, a actor) (Zombie, bool) {
	for _, z := range s.Zombies {
		if z.PID == a.pid && z.Start == a.start {
			return z, true
		}
	}
	return Zombie{}, false
}

// mustParent returns a's stats in s or fails.
func mustParent(t *testing.T, s Summary, a actor) ParentStats {
	t.Helper()
	p, ok := parentIn(s, a)
	if !ok {
		t.Fatalf("no parent stats for pid %d (start %d) in summary: %+v", a.pid, a.start, s.Parents)
	}
	return p
}

// mustZombie returns a's outstanding zombie in s or fails.
func mustZombie(t *testing.T, s Summary, a actor) Zombie {
	t.Helper()
	z, ok := zombieIn(s, a)
	if !ok {
		t.Fatalf("pid %d (start %d) is not an outstanding zombie; zombies: %+v", a.pid, a.start, s.Zombies)
	}
	return z
}

func noZombie(t *testing.T, s Summary, a actor) {
	t.Helper()
	if z, ok := zombieIn(s, a); ok {
		t.Errorf("pid %d (start %d) is still listed as an outstanding zombie: %+v", a.pid, a.start, z)
	}
}

func expect[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// expectNS compares durations/times and prints them in story milliseconds.
func expectNS(t *testing.T, what string, got, want uint64) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %d ns (%.4f ms), want %d ns (%.4f ms)", what, got, float64(got)/1e6, want, float64(want)/1e6)
	}
}

// expectTime compares boot times and prints them relative to the story.
func expectTime(t *testing.T, what string, got, want uint64) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %s, want %s", what, rel(got), rel(want))
	}
}

// reapWant is what a reap record must say (zero fields are not checked,
// except uncertain, which is always checked).
type reapWant struct {
	by        ReapedBy
	reaper    uint32
	reaperCom string
	zombie    uint64
	time      uint64
	method    Method
	uncertain bool
	ppid      uint32
}

func (r *run) wantReap(a actor, w reapWant) Record {
	r.t.Helper()
	t := r.t
	rec := r.one(RecordReap, a)
	if w.by != "" {
		expect(t, "reaped_by", rec.ReapedBy, w.by)
	}
	if w.reaper != 0 {
		expect(t, "reaper_pid", rec.ReaperPID, w.reaper)
	}
	if w.reaperCom != "" {
		expect(t, "reaper_comm", rec.ReaperComm, w.reaperCom)
	}
	if w.zombie != 0 || w.time != 0 {
		expectNS(t, "zombie_ns", rec.ZombieNS, w.zombie)
	}
	if w.time != 0 {
		expectTime(t, "reap time", rec.Time, w.time)
	}
	if w.method != "" {
		expect(t, "method", rec.Method, w.method)
	}
	expect(t, "uncertain", rec.Uncertain, w.uncertain)
	if w.ppid != 0 {
		expect(t, "ppid (parent at fork)", rec.PPID, w.ppid)
	}
	if t.Failed() {
		t.Logf("records:\n%s", r.dump())
	}
	return rec
}
