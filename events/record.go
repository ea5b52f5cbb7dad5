package events

// RecordType is the type of an output record (the JSON "type").
type RecordType uint8

const (
	RecordFork RecordType = iota + 1
	RecordExec
	RecordExit
	RecordReap
	RecordReparent
	RecordLost
)

var recordNames = [...]string{"", "fork", "exec", "exit", "reap", "reparent", "lost"}

func (t RecordType) String() string {
	if int(t) < len(recordNames) {
		return recordNames[t]
	}
	return "unknown"
}

// ReapedBy says who collected a zombie.
type ReapedBy string

const (
	ReapedByParent   ReapedBy = "parent"   // the parent it had at fork
	ReapedByAutoreap ReapedBy = "autoreap" // the kernel, at exit (SIG_IGN / SA_NOCLDWAIT)
	ReapedByReaper   ReapedBy = "reaper"   // a subreaper or init that inherited it
	ReapedByUnseen   ReapedBy = "unseen"   // released with no wait the tracer could see
)

// Method says how a reap was seen (the JSON "method"); its values are
// constants: no string is built per reap.
type Method string

const (
	MethodWait4         Method = "wait4"          // a wait4 (light: its entry; exact: its return)
	MethodWaitid        Method = "waitid"         // a waitid, likewise
	MethodBlockedWait4  Method = "blocked-wait4"  // light: a wait4 blocked before the child was waitable
	MethodBlockedWaitid Method = "blocked-waitid" // light: a waitid, likewise
	MethodExit          Method = "exit"           // autoreap, at exit
	MethodFree          Method = "free"           // released with no wait seen
	MethodGone          Method = "gone"           // gone from /proc at a live session's end
	MethodPIDReused     Method = "pid-reused"     // its pid came back as another process
)

// Record is what the engine reports: one line of the live view or JSON stream.
// Times are CLOCK_BOOTTIME ns.
type Record struct {
	Type       RecordType
	Time       uint64
	PID        uint32
	Start      uint64
	Comm       string
	PPID       uint32 // fork: parent; exit: parent then; reap: parent at fork
	ParentComm string // for --comm filtering
	Filename   string // exec
	Callsite   string // fork with --stacks: where in the parent's code it was forked

	// exit
	Status

	// reap
	ZombieNS   uint64
	ReapedBy   ReapedBy
	ReaperPID  uint32
	ReaperComm string
	Uncertain  bool
	Method     Method // how the reap was seen: wait4, waitid, blocked-wait4, free, exit, ...
	HeldNS     uint64 // time a ptrace tracer held the zombie before handing it back
	TracerPID  uint32

	// reparent: Time is when the kernel moved it (its old parent's death);
	// Seen is the event that showed it, often much later (the orphan's own
	// exit). Records come in the order seen: a view that prints them in
	// order stamps the line with Seen.
	OldPPID uint32
	NewPPID uint32
	Seen    uint64

	// lost
	Count uint64
}

// Summary is the end-of-session (or on-demand) state.
type Summary struct {
	DurationNS uint64
	Processes  uint64
	LostEvents uint64
	// ParentsEvicted counts parents dropped from the bounded table (their
	// statistics are missing from Parents).
	ParentsEvicted uint64
	Zombies        []Zombie
	Parents        []ParentStats
}

// Zombie is an outstanding zombie.
type Zombie struct {
	PID         uint32
	Start       uint64
	PPID        uint32
	Comm        string
	ParentComm  string
	AgeNS       uint64
	Preexisting bool // existed before tracing: its age is an estimate
	Uncertain   bool
}

// ParentStats is what one parent (or reaper) did with its children. A row
// adds up: Children + PreexistingChildren + Inherited = Reaped + Unseen +
// Autoreaped + PassedOn + Outstanding + Running. The zombie times are over
// one set of zombies: those it reaped (seen or not) or passed on, for the
// time it owed them, and those it owes now (Outstanding) at their age so far.
type ParentStats struct {
	PID                 uint32
	Start               uint64
	Comm                string
	Children            uint64 // forked while traced
	PreexistingChildren uint64 // first seen owed by it: they existed before tracing (or the report's --from)
	Inherited           uint64 // received by reparenting
	Reaped              uint64 // zombies it collected with a wait seen
	Unseen              uint64 // released with no wait seen while it owed them
	Autoreaped          uint64 // children the kernel released for it
	PassedOn            uint64 // reparented away when it died
	Outstanding         uint64 // zombies it owes now
	Running             uint64 // processes it owes a reap once they exit: not waitable yet
	Waited              bool   // entered a wait that could collect one of its children
	// WaitedUnknown (with Waited false): whether it waited is not known. Its
	// waits were not observable the whole time (a followed session: it was
	// neither followed from its fork or the start nor owed the tree a reap
	// from the start), or a process it owed was released with no wait seen.
	WaitedUnknown bool
	ChildMatched  bool // one of its children's comm passed MatchChildren's test
	ZombieNSTotal uint64
	ZombieNSMax   uint64
	ZombieNSP50   uint64
	ZombieNSP99   uint64
}
