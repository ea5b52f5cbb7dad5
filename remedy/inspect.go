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

	"github.com/zombietrace/zombietrace/procfs"
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
	Protected  []string // comms never signalled
	StartTicks uint64   // if set, the pid must still have this start (pid reuse)
	Self       int      // zombietrace's own pid (it and its ancestors are refused)
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
	if pol.StartTicks != 0 && st.StartTicks != pol.StartTicks {
		return nil, &Refusal{fmt.Sprintf("pid %d was reused: it now belongs to %q, started at tick %d, not the process traced (tick %d)",
			pid, st.Comm, st.StartTicks, pol.StartTicks)}
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

// Heir is who inherits the parent's children when it dies, and whether it
// will reap them (judged without history, plus what the tracer saw).
type Heir struct {
	PID     int
	Comm    string
	Why     string // nearest child subreaper, or the pid-namespace init
	Reaps   bool
	Verdict string
}

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
func FindHeir(t *Target, subreapers map[uint32]bool, seenReaping func(pid int) bool) (Heir, error) {
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
			h.Reaps, h.Verdict = judge(a, as, ast, seenReaping)
			return h, nil
		}
		a = as.PPID
	}
	return Heir{}, errors.New("no ancestor found to inherit the zombies")
}

func judge(pid int, p procfs.Proc, st procfs.Status, seenReaping func(int) bool) (bool, string) {
	switch {
	case pid == os.Getpid():
		return true, "it is this zombietrace, which reaps what it inherits"
	case procfs.HasSignal(st.SigIgn, sigCHLD):
		return true, "it ignores SIGCHLD: the kernel releases inherited zombies at once"
	case st.Syscall == nrWait4 || st.Syscall == nrWaitid || strings.Contains(st.Wchan, "do_wait"):
		return true, "it is blocked in a wait right now"
	case seenReaping != nil && seenReaping(pid):
		return true, "the tracer saw it reap"
	case knownReapers[p.Comm]:
		return true, fmt.Sprintf("%s is an init/supervisor that reaps", p.Comm)
	case procfs.HasSignal(st.SigCgt, sigCHLD):
		return true, "it handles SIGCHLD (a handler is installed), so it probably reaps"
	}
	return false, "it neither waits, nor handles or ignores SIGCHLD, nor is a known init: the zombies would stay, under it"
}
