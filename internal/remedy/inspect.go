//go:build linux

// Package remedy removes zombies the only ways the kernel allows: their
// parent's wait (a SIGCHLD nudge to a parent whose handler reaps), or the
// parent's death, so that a reaper that waits inherits them. It refuses what
// cannot help or could harm, signals through pidfds checked against the
// process's start time, and verifies each step with the tracer.
package remedy

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/zombietrace/zombietrace/internal/procfs"
	"github.com/zombietrace/zombietrace/internal/zombies"
)

// Target is a parent that holds zombies, as found now.
type Target struct {
	PID        int
	StartTicks uint64 // /proc/PID/stat field 22 (start_boottime / 10^7)
	Comm       string
	Cmdline    string
	Zombies    []procfs.Proc
	Status     procfs.Status
}

// DefaultProtected are comms never signalled (extend with --protect).
var DefaultProtected = []string{
	"systemd", "init", "sshd", "dbus-daemon", "systemd-journal", "systemd-udevd", "systemd-logind",
	"containerd", "dockerd", "kubelet", "crio", "conmon", "containerd-shim", "runc", "zombietrace",
}

// Refusal is a reason not to touch a process.
type Refusal struct{ Reason string }

func (r *Refusal) Error() string { return r.Reason }

// Policy says what may be touched.
type Policy struct {
	Protected []string // comms never signalled
	// StartNS, when CheckStart is set, is the start the pid must still have
	// (boot ns, as trace --json gives it; /proc keeps it to the 10 ms
	// tick): a pid reused since is refused.
	StartNS    uint64
	CheckStart bool
	Self       int // zombietrace's own pid (it and its ancestors are refused)
}

// zombieChildren lists pid's children in state Z.
func zombieChildren(procs []procfs.Proc, pid int) []procfs.Proc {
	var out []procfs.Proc
	for _, p := range procs {
		if p.PPID == pid && p.State == 'Z' {
			out = append(out, p)
		}
	}
	return out
}

// Inspect finds the target and applies every refusal rule.
func Inspect(pid int, pol Policy) (*Target, error) {
	root := procfs.Default
	st, err := root.Stat(pid)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &Refusal{fmt.Sprintf("pid %d: no such process", pid)}
		}
		return nil, err
	}
	if pol.CheckStart && st.StartTicks != procfs.StartTicks(pol.StartNS) {
		return nil, &Refusal{fmt.Sprintf("pid %d (%s) started at start_ns %d (to the 10 ms tick), not %d: the pid was reused, or START_NS is not this process's",
			pid, st.Comm, st.StartNS(), pol.StartNS)}
	}
	if st.Flags&procfs.PFKthread != 0 || pid == 2 || st.PPID == 2 {
		return nil, &Refusal{fmt.Sprintf("pid %d (%s) is a kernel thread", pid, st.Comm)}
	}
	status, err := root.ReadStatus(pid)
	if err != nil {
		return nil, &Refusal{fmt.Sprintf("pid %d: %v", pid, err)}
	}
	if pid == 1 || (len(status.NSpid) > 0 && status.NSpid[len(status.NSpid)-1] == 1) {
		return nil, &Refusal{fmt.Sprintf("pid %d (%s) is pid 1 of its pid namespace: killing it tears the namespace down", pid, st.Comm)}
	}
	if pol.Self != 0 {
		for a := pol.Self; a > 0; {
			if a == pid {
				return nil, &Refusal{fmt.Sprintf("pid %d (%s) is zombietrace itself or one of its ancestors", pid, st.Comm)}
			}
			as, err := root.Stat(a)
			if err != nil || as.PPID == a {
				break
			}
			a = as.PPID
		}
	}
	for _, c := range append(append([]string{}, DefaultProtected...), pol.Protected...) {
		if c != "" && (st.Comm == c || strings.HasPrefix(st.Comm, c+"-") && c == "containerd-shim") {
			return nil, &Refusal{fmt.Sprintf("pid %d (%s) is protected (--protect list)", pid, st.Comm)}
		}
	}
	all, err := root.All()
	if err != nil {
		return nil, err
	}
	t := &Target{PID: pid, StartTicks: st.StartTicks, Comm: st.Comm, Cmdline: root.Cmdline(pid),
		Zombies: zombieChildren(all, pid), Status: status}
	if len(t.Zombies) == 0 {
		return nil, &Refusal{fmt.Sprintf("pid %d (%s) holds no zombies", pid, st.Comm)}
	}
	return t, nil
}

// Reaping is what can be known of whether a heir reaps what it inherits.
type Reaping int

const (
	// ReapingUnknown: nothing says either way (an init may reap without a
	// wait visible from here): terminating proceeds, and the result is
	// verified.
	ReapingUnknown Reaping = iota
	ReapingYes
	// ReapingNo: known not to (stopped, or holding old zombies of its
	// own): terminating only moves the zombies, refused without --force.
	ReapingNo
)

func (r Reaping) String() string { return [...]string{"unknown", "yes", "no"}[r] }

// Heir is who inherits the parent's children when it dies, and whether it
// will reap them.
type Heir struct {
	PID     int
	Comm    string
	Why     string // nearest child subreaper, or the pid-namespace init
	Reaping Reaping
	Verdict string
}

// Evidence is what has been observed around a target, for the heir's
// judgement.
type Evidence struct {
	// SeenReaping: the tracer saw pid reap (nil: no tracer ran).
	SeenReaping func(pid int) bool
	// Zombies: the host's zombies now, with their ages (nil: not listed).
	Zombies *zombies.List
}

// heirEvidenceAge: a heir holding a zombie of its own this old does not
// reap. An init that reaps late (one reaps ~1.3 s after the fact with no
// wait syscall to see) stays well under it.
const heirEvidenceAge = 3 * time.Second

// knownReapers are inits and supervisors that wait for what they inherit.
var knownReapers = map[string]bool{
	"systemd": true, "init": true, "tini": true, "dumb-init": true, "catatonit": true, "s6-svscan": true,
	"runsvdir": true, "runit": true, "supervisord": true, "docker-init": true, "conmon": true, "zombietrace": true,
}

const (
	sigCHLD  = 17
	nrWait4  = 61
	nrWaitid = 247
)

// FindHeir walks up from the parent as the kernel's find_new_reaper does:
// the nearest ancestor marked child subreaper in the parent's pid namespace,
// else that namespace's init.
func FindHeir(t *Target, subreapers map[uint32]bool, ev Evidence) (Heir, error) {
	root := procfs.Default
	st, err := root.Stat(t.PID)
	if err != nil {
		return Heir{}, err
	}
	a := st.PPID
	for a > 0 {
		as, err := root.Stat(a)
		if err != nil {
			return Heir{}, fmt.Errorf("ancestor %d: %w", a, err)
		}
		ast, err := root.ReadStatus(a)
		if err != nil {
			return Heir{}, fmt.Errorf("ancestor %d: %w", a, err)
		}
		sameNS := ast.PidNS == t.Status.PidNS
		isInit := a == 1 || (sameNS && len(ast.NSpid) > 0 && ast.NSpid[len(ast.NSpid)-1] == 1)
		if subreapers[uint32(a)] || isInit || !sameNS {
			h := Heir{PID: a, Comm: as.Comm, Why: "the pid-namespace init"}
			if subreapers[uint32(a)] && !isInit {
				h.Why = "the nearest child subreaper"
			}
			h.Reaping, h.Verdict = judge(a, as, ast, ev)
			return h, nil
		}
		a = as.PPID
	}
	return Heir{}, errors.New("no ancestor found to inherit the zombies")
}

// judge decides from what can be known now: the heir's signal disposition
// and state, whether it is in a wait, what the tracer saw, whether it holds
// old zombies of its own, and known init names. When nothing says, it is
// unknown, never a guessed "no".
func judge(pid int, p procfs.Proc, st procfs.Status, ev Evidence) (Reaping, string) {
	switch {
	case pid == os.Getpid():
		return ReapingYes, "it is this zombietrace, which reaps what it inherits"
	case p.State == 'T' || p.State == 't':
		return ReapingNo, "it is stopped: it reaps nothing until it is continued"
	case procfs.HasSignal(st.SigIgn, sigCHLD):
		return ReapingYes, "it ignores SIGCHLD: the kernel releases inherited zombies at once"
	case st.Syscall == nrWait4 || st.Syscall == nrWaitid || strings.Contains(st.Wchan, "do_wait"):
		return ReapingYes, "it is blocked in a wait right now"
	case ev.SeenReaping != nil && ev.SeenReaping(pid):
		return ReapingYes, "the tracer saw it reap"
	}
	if n, oldest := heldZombies(ev.Zombies, pid); oldest >= heirEvidenceAge {
		return ReapingNo, fmt.Sprintf("it has held %d %s of its own for %s without reaping", n, plural(n, "zombie"), oldest.Round(100*time.Millisecond))
	}
	switch {
	case knownReapers[p.Comm]:
		return ReapingYes, fmt.Sprintf("%s is an init/supervisor that reaps", p.Comm)
	case procfs.HasSignal(st.SigCgt, sigCHLD):
		return ReapingYes, "it handles SIGCHLD (a handler is installed), so it probably reaps"
	}
	return ReapingUnknown, "unknown: it is not in a wait, neither handles nor ignores SIGCHLD, holds no old zombies and is no known init; some inits reap without a wait seen from here"
}

// heldZombies: how many zombies pid holds, and the oldest one's age.
func heldZombies(l *zombies.List, pid int) (int, time.Duration) {
	if l == nil || !l.AgesKnown {
		return 0, 0
	}
	for _, p := range l.Parents {
		if p.PID == pid {
			return p.Count, time.Duration(p.Oldest)
		}
	}
	return 0, 0
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
