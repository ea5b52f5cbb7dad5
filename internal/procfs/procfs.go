// Package procfs reads the process table from /proc: seeding the follow
// filter with existing descendants, and `zombietrace ps` without BPF.
package procfs

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Proc is one line of the process table.
type Proc struct {
	PID        int
	PPID       int
	State      byte   // R, S, D, Z, T, ...
	Comm       string // from stat, up to 15 bytes
	StartTicks uint64 // field 22: clock ticks after boot
	Threads    int
	Flags      uint64 // field 9: PF_* flags
}

// nsPerTick: stat's times are in USER_HZ (100) ticks; start_boottime / 10^7
// is field 22.
const nsPerTick = 10_000_000

// StartNS is the start as boot ns, to the tick (a tracer's start_ns is exact).
func (p Proc) StartNS() uint64 { return p.StartTicks * nsPerTick }

// StartTicks is field 22 of a process that started at startNS (boot ns, as
// the tracer gives them): how /proc tells it from a reuse of its pid.
func StartTicks(startNS uint64) uint64 { return startNS / nsPerTick }

// PFKthread marks a kernel thread in Proc.Flags.
const PFKthread = 0x00200000

// Root is where proc is mounted (tests may point it elsewhere).
type Root string

// Default is the host's /proc.
const Default Root = "/proc"

// Stat reads /proc/PID/stat.
func (r Root) Stat(pid int) (Proc, error) {
	b, err := os.ReadFile(filepath.Join(string(r), strconv.Itoa(pid), "stat"))
	if err != nil {
		return Proc{}, err
	}
	return parseStat(pid, b)
}

// Comm is the command name of the process with pid that started at startNS
// (boot ns, as the tracer gives it; compared to the clock tick), or "" when
// it is gone or the pid is another process's now.
func (r Root) Comm(pid int, startNS uint64) string {
	p, err := r.Stat(pid)
	if err != nil || p.StartTicks != StartTicks(startNS) {
		return ""
	}
	return p.Comm
}

// parseStat parses a stat line; comm may hold spaces and parentheses, so the
// fields after it are found from the last ')'.
func parseStat(pid int, b []byte) (Proc, error) {
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return Proc{}, fmt.Errorf("parsing /proc/%d/stat: no comm", pid)
	}
	p := Proc{PID: pid, Comm: string(b[open+1 : end])}
	f := strings.Fields(string(b[end+1:]))
	// f[0] is field 3 (state).
	if len(f) < 20 {
		return Proc{}, fmt.Errorf("parsing /proc/%d/stat: %d fields", pid, len(f)+2)
	}
	p.State = f[0][0]
	var err error
	if p.PPID, err = strconv.Atoi(f[1]); err != nil {
		return Proc{}, fmt.Errorf("parsing /proc/%d/stat ppid: %w", pid, err)
	}
	if p.Flags, err = strconv.ParseUint(f[6], 10, 64); err != nil {
		return Proc{}, fmt.Errorf("parsing /proc/%d/stat flags: %w", pid, err)
	}
	if p.Threads, err = strconv.Atoi(f[17]); err != nil {
		return Proc{}, fmt.Errorf("parsing /proc/%d/stat threads: %w", pid, err)
	}
	if p.StartTicks, err = strconv.ParseUint(f[19], 10, 64); err != nil {
		return Proc{}, fmt.Errorf("parsing /proc/%d/stat starttime: %w", pid, err)
	}
	return p, nil
}

// All lists every process; processes that vanish while listing are skipped.
func (r Root) All() ([]Proc, error) {
	ents, err := os.ReadDir(string(r))
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", r, err)
	}
	var out []Proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		p, err := r.Stat(pid)
		if err != nil {
			continue
		}
		out = append(out, p)
	}
	return out, nil
}

// Descendants returns pid and all its descendants now.
func (r Root) Descendants(pid int) ([]Proc, error) {
	all, err := r.All()
	if err != nil {
		return nil, err
	}
	children := make(map[int][]Proc)
	var self *Proc
	for i := range all {
		children[all[i].PPID] = append(children[all[i].PPID], all[i])
		if all[i].PID == pid {
			self = &all[i]
		}
	}
	if self == nil {
		return nil, fmt.Errorf("no process with pid %d", pid)
	}
	out := []Proc{*self}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i].PID]...)
	}
	return out, nil
}

// Name returns the process's name, whichever process has pid now ("?"
// when none has).
func (r Root) Name(pid int) string {
	p, err := r.Stat(pid)
	if err != nil {
		return "?"
	}
	return p.Comm
}

// Cmdline returns the command line, or the bracketed comm when it is empty
// (kernel threads, zombies).
func (r Root) Cmdline(pid int) string {
	b, err := os.ReadFile(filepath.Join(string(r), strconv.Itoa(pid), "cmdline"))
	if err != nil || len(b) == 0 {
		if p, err := r.Stat(pid); err == nil {
			return "[" + p.Comm + "]"
		}
		return "?"
	}
	// Arguments are NUL-separated and may hold newlines: one line for tables.
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, string(b)))
}

// Status is what /proc/PID/status and its neighbours say about signals,
// namespaces and what the process is doing now.
type Status struct {
	NSpid   []int  // the pid in each pid namespace, outermost first
	SigIgn  uint64 // ignored signals (bit n-1 for signal n)
	SigCgt  uint64 // caught signals (a handler is installed)
	Syscall int    // the syscall it is blocked in (/proc/PID/syscall), -1 if running or unknown
	Wchan   string // the kernel function it sleeps in
	PidNS   string // the pid namespace (readlink /proc/PID/ns/pid)
}

// ReadStatus reads a process's Status.
func (r Root) ReadStatus(pid int) (Status, error) {
	dir := filepath.Join(string(r), strconv.Itoa(pid))
	b, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		return Status{}, err
	}
	st := Status{Syscall: -1}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "NSpid":
			for _, f := range strings.Fields(v) {
				n, _ := strconv.Atoi(f)
				st.NSpid = append(st.NSpid, n)
			}
		case "SigIgn":
			st.SigIgn, _ = strconv.ParseUint(v, 16, 64)
		case "SigCgt":
			st.SigCgt, _ = strconv.ParseUint(v, 16, 64)
		}
	}
	if sc, err := os.ReadFile(filepath.Join(dir, "syscall")); err == nil {
		if f := strings.Fields(string(sc)); len(f) > 0 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				st.Syscall = n
			}
		}
	}
	if w, err := os.ReadFile(filepath.Join(dir, "wchan")); err == nil {
		st.Wchan = strings.TrimSpace(string(w))
	}
	st.PidNS, _ = os.Readlink(filepath.Join(dir, "ns", "pid"))
	return st, nil
}

// HasSignal reports whether bit sig of a /proc signal mask is set.
func HasSignal(mask uint64, sig int) bool { return sig > 0 && mask&(1<<(sig-1)) != 0 }

// Cgroup returns the process's cgroup v2 path ("0::" line), or the first
// line of /proc/PID/cgroup on a v1-only host.
func (r Root) Cgroup(pid int) string {
	b, err := os.ReadFile(filepath.Join(string(r), strconv.Itoa(pid), "cgroup"))
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "0::"); ok {
			return rest
		}
	}
	return lines[0]
}
