//go:build linux

package tracer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"golang.org/x/sys/unix"
)

// Diagnosis is what this kernel and this process allow the tracer, as
// `zombietrace doctor` reports it: probed, not inferred from a version.
type Diagnosis struct {
	Kernel     string          `json:"kernel"`  // uname -r
	Version    string          `json:"version"` // uname -v: the build
	Machine    string          `json:"machine"`
	BTF        Check           `json:"btf"`
	Privileges Check           `json:"privileges"`
	Memlock    MemlockCheck    `json:"memlock"`
	Tracefs    Check           `json:"tracefs"`
	Features   map[string]bool `json:"features"`
	Object     Choice          `json:"object"` // the BPF object: default or compat
	// DefaultObject: whether the default object's fork and wait programs
	// load here, whatever was chosen: the features' verdict, checked.
	DefaultObject Check `json:"default_object"`
	// Iterators: whether the iterators' own object loads (zombietrace ps,
	// reap's heir check; without it ps reads /proc and shows no ages).
	Iterators    Check       `json:"iterators"`
	Hooks        []HookCheck `json:"hooks"`
	Transport    Choice      `json:"transport"`
	WaitMode     Choice      `json:"wait_mode"`
	PidMax       uint64      `json:"pid_max"`
	Pids         PidsCheck   `json:"pids"`
	Problems     []string    `json:"problems"` // what stops tracing; empty: it works
	ProgramsLoad bool        `json:"programs_load"`
}

// Check is one yes/no finding with its reason.
type Check struct {
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// MemlockCheck: before 5.11 BPF maps are charged to RLIMIT_MEMLOCK.
type MemlockCheck struct {
	Soft    uint64 `json:"soft"` // bytes; unix.RLIM_INFINITY: unlimited
	Hard    uint64 `json:"hard"`
	Charged bool   `json:"charged"` // the kernel charges maps to it (the tracer raises it)
	Detail  string `json:"detail"`
}

// HookCheck is one attach point: each variant, and the one that would load.
type HookCheck struct {
	Hook     string         `json:"hook"`
	When     string         `json:"when"` // always, --exact-waits, optional (with the compat object exact hooks are always loaded)
	Variants []VariantCheck `json:"variants"`
	Chosen   string         `json:"chosen"` // "" when none loads
}

// VariantCheck is one program: whether the verifier takes it, and why not.
type VariantCheck struct {
	Program string   `json:"program"`
	Needs   []string `json:"needs"`
	Missing []string `json:"missing"` // needs this kernel lacks
	Loads   bool     `json:"loads"`
	Error   string   `json:"error,omitempty"` // the verifier's meaningful line
}

// Choice is a decision the tracer makes at start, and why.
type Choice struct {
	Name string `json:"name"`
	Why  string `json:"why"`
}

// PidsCheck is the room left for new processes: a host full of zombies
// runs out of pids before anything else.
type PidsCheck struct {
	Cgroup  string `json:"cgroup"`  // the tightest pids limit among this process's cgroups
	Max     uint64 `json:"max"`     // 0: no limit there
	Current uint64 `json:"current"` // tasks in it
	Detail  string `json:"detail"`
}

// Diagnose probes the kernel: it loads every program variant against small
// maps (nothing is attached) and closes them again.
func Diagnose() *Diagnosis {
	d := &Diagnosis{Features: map[string]bool{}}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		d.Kernel = unix.ByteSliceToString(u.Release[:])
		d.Version = unix.ByteSliceToString(u.Version[:])
		d.Machine = unix.ByteSliceToString(u.Machine[:])
	}
	if st, err := os.Stat(btfPath); err != nil {
		d.BTF.Detail = fmt.Sprintf("%s missing: the kernel needs CONFIG_DEBUG_INFO_BTF=y", btfPath)
		d.Problems = append(d.Problems, d.BTF.Detail)
	} else {
		d.BTF = Check{true, fmt.Sprintf("%s, %d KiB", btfPath, st.Size()>>10)}
	}
	if err := checkPrivileges(); err != nil {
		d.Privileges.Detail = err.Error()
		d.Problems = append(d.Problems, err.Error())
	} else {
		d.Privileges = Check{true, privilegeDetail()}
	}
	d.Tracefs = tracefsCheck()
	d.PidMax = readUint("/proc/sys/kernel/pid_max")
	d.Pids = pidsHeadroom()
	if !d.Privileges.OK || !d.BTF.OK {
		return d
	}
	d.Memlock = memlockCheck()
	if err := raiseMemlock(); err != nil {
		d.Problems = append(d.Problems, err.Error())
		return d
	}

	kernelTypes := btf.NewCache() // one decode for every check below
	feats := probeFeatures(kernelTypes)
	for f, ok := range feats {
		d.Features[string(f)] = ok
	}
	cfg := Config{RingBufferBytes: 1 << 20, FollowMax: 1024, KernelTypes: kernelTypes}
	d.Object = Choice{"default", "this kernel has " + strings.Join(namesOf(defaultObjectNeeds), ", ")}
	if why := cfg.chooseObject(feats); why != "" {
		d.Object = Choice{"compat", strings.TrimPrefix(why, "compat object: ")}
	}
	d.DefaultObject = defaultObjectCheck(kernelTypes)
	d.Iterators = iteratorsCheck()
	spec, _, err := prepareSpec(cfg)
	if err != nil {
		d.Problems = append(d.Problems, err.Error())
		return d
	}
	t := &Tracer{cfg: cfg}
	defer t.Close()
	if t.maps, err = loadMaps(spec); err != nil {
		d.Problems = append(d.Problems, err.Error())
		return d
	}
	t.progs = map[string]*ebpf.Program{}
	d.ProgramsLoad = true
	for _, h := range hooks {
		if h.compat && !cfg.Compat {
			continue
		}
		hc := HookCheck{Hook: h.name, When: "always"}
		switch {
		case h.exact && !cfg.Exact:
			hc.When = "--exact-waits"
		case h.optional:
			hc.When = "optional"
		}
		variants := inObject(spec, h.variants)
		for i, v := range variants {
			vc := VariantCheck{Program: v.prog, Missing: feats.missing(v)}
			for _, n := range v.needs {
				vc.Needs = append(vc.Needs, string(n))
			}
			p, err := t.loadProgram(spec, v.prog)
			if err != nil {
				var pe *ProgramError
				if errors.As(err, &pe) {
					vc.Error = pe.Cause
				} else {
					vc.Error = err.Error()
				}
			} else {
				p.Close()
				vc.Loads = true
				if hc.Chosen == "" && feats.eligible(variants, i) {
					hc.Chosen = v.prog // the loader's rule (loadHook)
				}
			}
			hc.Variants = append(hc.Variants, vc)
		}
		if hc.Chosen == "" && hc.When == "always" {
			d.ProgramsLoad = false
			d.Problems = append(d.Problems, fmt.Sprintf("%s: no program variant loads (%s)", h.name, hc.Variants[len(hc.Variants)-1].Error))
		}
		d.Hooks = append(d.Hooks, hc)
	}
	d.Transport = Choice{"per-CPU rings", "a slot reserved by compare-and-swap per CPU, read without wakeups (BPF atomics, 5.12+); --stacks forks take the BPF ring buffer"}
	if cfg.RingbufTransport {
		d.Transport = Choice{"BPF ring buffer", "every record takes the ring buffer, which costs more per event"}
	}
	d.WaitMode = Choice{"light", "wait calls read from sched_process_wait and the syscall's saved registers (bpf_task_pt_regs); --exact-waits adds the wait syscalls' exit tracepoints"}
	if cfg.Compat {
		d.Transport.Why = "the compat object: " + d.Object.Why
		d.WaitMode = Choice{"exact", "the compat object: a wait's arguments are kept at its syscall's entry (no bpf_task_pt_regs before 5.15), its result read at the exit, as --exact-waits does elsewhere"}
	}
	if !d.Tracefs.OK {
		d.Problems = append(d.Problems, "--exact-waits: "+d.Tracefs.Detail)
	}
	return d
}

func namesOf(fs []feature) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = string(f)
	}
	return out
}

// defaultObjectCheck loads the default object's fork program (the rings'
// compare-and-swap) and wait program (current as a typed pointer, the
// syscall's registers) against small maps.
func defaultObjectCheck(kernelTypes *btf.Cache) Check {
	cfg := Config{RingBufferBytes: 1 << 20, FollowMax: 1024, KernelTypes: kernelTypes}
	spec, _, err := prepareSpec(cfg)
	if err != nil {
		return Check{Detail: err.Error()}
	}
	t := &Tracer{cfg: cfg}
	defer t.Close()
	if t.maps, err = loadMaps(spec); err != nil {
		return Check{Detail: err.Error()}
	}
	return loadsCheck([]string{zombietraceProgHandleFork, zombietraceProgHandleWait},
		func(name string) (*ebpf.Program, error) { return t.loadProgram(spec, name) },
		"handle_fork and handle_wait load")
}

// iteratorsCheck loads the iterators' object's programs, one by one as the
// one-shot commands do.
func iteratorsCheck() Check {
	return loadsCheck([]string{zombietraceItersProgListZombies, zombietraceItersProgListSubreapers},
		loadIterator, "list_zombies and list_subreapers load (ps, reap)")
}

// loadsCheck loads each program of names and closes it: ok when all load,
// else the first refusal, as the verifier's meaningful line.
func loadsCheck(names []string, load func(string) (*ebpf.Program, error), ok string) Check {
	for _, name := range names {
		p, err := load(name)
		if err != nil {
			var pe *ProgramError
			if errors.As(err, &pe) {
				return Check{Detail: name + ": " + pe.Cause}
			}
			return Check{Detail: err.Error()}
		}
		p.Close()
	}
	return Check{true, ok}
}

func privilegeDetail() string {
	if os.Geteuid() == 0 {
		return "root"
	}
	return "CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN)"
}

// tracefsCheck says where the syscall tracepoints (--exact-waits) are, without
// mounting anything (the tracer mounts tracefs when it needs it).
func tracefsCheck() Check {
	for _, dir := range []string{tracefsPath, "/sys/kernel/debug/tracing"} {
		if _, err := os.Stat(filepath.Join(dir, "events", "syscalls", "sys_exit_wait4")); err == nil {
			return Check{true, dir}
		}
		if _, err := os.Stat(filepath.Join(dir, "events")); err == nil {
			return Check{false, dir + " has no syscalls:sys_exit_wait4 (CONFIG_FTRACE_SYSCALLS=n): --exact-waits cannot work"}
		}
	}
	return Check{true, tracefsPath + " not mounted: the tracer mounts it for --exact-waits"}
}

// memlockCheck reads RLIMIT_MEMLOCK and whether the kernel charges BPF maps to
// it: a map is created with the soft limit at 0 for a moment (as
// cilium/ebpf's rlimit package does), then the limit is put back.
func memlockCheck() MemlockCheck {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &lim); err != nil {
		return MemlockCheck{Detail: "reading RLIMIT_MEMLOCK: " + err.Error()}
	}
	m := MemlockCheck{Soft: lim.Cur, Hard: lim.Max}
	zero := unix.Rlimit{Cur: 0, Max: lim.Max}
	if err := unix.Setrlimit(unix.RLIMIT_MEMLOCK, &zero); err != nil {
		m.Detail = "cannot probe: " + err.Error()
		return m
	}
	mp, err := ebpf.NewMap(&ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	unix.Setrlimit(unix.RLIMIT_MEMLOCK, &lim)
	if err == nil {
		mp.Close()
		m.Detail = "BPF maps are charged to the memory cgroup, not to this limit (5.11+)"
		return m
	}
	if errors.Is(err, unix.EPERM) {
		m.Charged = true
		m.Detail = fmt.Sprintf("BPF maps are charged to this limit (before 5.11): the tracer raises it (now %s)", limitString(lim.Cur))
		return m
	}
	m.Detail = "probe map: " + err.Error()
	return m
}

func limitString(v uint64) string {
	if v == unix.RLIM_INFINITY {
		return "unlimited"
	}
	return fmt.Sprintf("%d KiB", v>>10)
}

// pidsHeadroom finds the tightest pids.max among the cgroups (v2) this
// process is in, from its own cgroup up to the root.
func pidsHeadroom() PidsCheck {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return PidsCheck{Detail: "reading /proc/self/cgroup: " + err.Error()}
	}
	var rel string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.HasPrefix(line, "0::") {
			rel = strings.TrimPrefix(line, "0::")
		}
	}
	if rel == "" {
		return PidsCheck{Detail: "no cgroup v2 membership: pids limits not read"}
	}
	best := PidsCheck{Detail: "no pids limit in this process's cgroups"}
	var bestRoom uint64
	for dir := rel; ; dir = filepath.Dir(dir) {
		path := filepath.Join("/sys/fs/cgroup", dir)
		raw, err := os.ReadFile(filepath.Join(path, "pids.max"))
		if err == nil && strings.TrimSpace(string(raw)) != "max" {
			max := parseUint(raw)
			cur := readUint(filepath.Join(path, "pids.current"))
			room := uint64(0)
			if max > cur {
				room = max - cur
			}
			if best.Max == 0 || room < bestRoom {
				best = PidsCheck{Cgroup: dir, Max: max, Current: cur,
					Detail: fmt.Sprintf("%d of %d pids in use in %s: room for %d more", cur, max, dir, room)}
				bestRoom = room
			}
		}
		if dir == "/" || dir == "." {
			break
		}
	}
	return best
}

func readUint(path string) uint64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return parseUint(b)
}

// parseUint reads a number a kernel file holds (0 when it holds none).
func parseUint(b []byte) uint64 {
	v, _ := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return v
}
