//go:build linux

package tracer

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"
)

// Program variants: one hook can be served by several programs of the one
// object, the fastest first. Which one loads is decided from the running
// kernel's BTF (what it has, not its version number: distributions backport
// and builds differ), and a variant the verifier refuses gives way to the
// next one with a warning. docs/kernel.md lists the features.

// feature is something a program needs of the kernel.
type feature string

const (
	// featKfuncs: bpf_rdonly_cast, bpf_task_from_pid and bpf_task_release
	// (6.2+): fault-safe loads through any pointer and task lookup by pid.
	featKfuncs feature = "kfuncs bpf_rdonly_cast, bpf_task_from_pid (6.2+)"
	// featGroupDead: sched_process_exit passes group_dead (6.16+).
	featGroupDead feature = "sched_process_exit group_dead argument (6.16+)"
	// featAtomics: BPF atomics beyond add (5.12+): the rings' reservation is
	// a compare-and-swap. Probed by loading one.
	featAtomics feature = "BPF atomics, compare-and-swap (5.12+)"
	// featCurrentTaskBTF: bpf_get_current_task_btf (5.11+): current as a
	// typed pointer, read with direct loads.
	featCurrentTaskBTF feature = "helper bpf_get_current_task_btf (5.11+)"
	// featTaskPtRegs: bpf_task_pt_regs (5.15+): the registers a syscall
	// saved at entry, where light mode reads a wait's arguments.
	featTaskPtRegs feature = "helper bpf_task_pt_regs (5.15+)"
)

// defaultObjectNeeds is what the default object's programs all need; a
// kernel that lacks any of it gets the compat object (gen.go): every record
// through the BPF ring buffer (5.8+), current read with probe reads, and
// waits traced at their syscalls' entry and exit (as --exact-waits), the
// only place their arguments can be read there.
var defaultObjectNeeds = []feature{featAtomics, featCurrentTaskBTF, featTaskPtRegs}

// useCompat reports whether f calls for the compat object, and what of the
// default object's needs the kernel lacks.
func (f kernelFeatures) useCompat() (bool, []string) {
	missing := f.missing(variant{needs: defaultObjectNeeds})
	return len(missing) > 0, missing
}

// compatWhy says why (and at what cost) the compat object is used.
func compatWhy(missing []string) string {
	why := "forced (--compat-object)"
	if len(missing) > 0 {
		why = "this kernel lacks " + strings.Join(missing, ", ")
	}
	return why + ": waits are traced at the wait4/waitid syscalls (as --exact-waits), which adds a little to every process's syscalls, and every record goes through the BPF ring buffer"
}

// attachKind is how a hook's program is attached.
type attachKind int

const (
	attachBTF     attachKind = iota // tp_btf
	attachSyscall                   // classic tracepoint syscalls:*
	attachIter                      // iter/task, run on demand
)

// variant is one program that can serve a hook.
type variant struct {
	prog  string
	needs []feature
}

// hook is an attach point and the programs that can serve it.
type hook struct {
	name     string // the tracepoint, or what the iterator lists
	attach   attachKind
	variants []variant
	// exact: loaded only with --exact-waits.
	exact bool
	// optional: a failure costs a feature with a warning, not the session.
	optional bool
	// compat: only in (and only loaded with) the compat object.
	compat bool
}

// link attaches prog to h (not an iterator: those run on demand).
func (h hook) link(prog *ebpf.Program) (link.Link, error) {
	if h.attach == attachSyscall {
		return link.Tracepoint("syscalls", h.name, prog, nil)
	}
	return link.AttachTracing(link.TracingOptions{Program: prog})
}

// hookOf is the hook that runs the program named prog.
func hookOf(prog string) (hook, bool) {
	for _, h := range hooks {
		for _, v := range h.variants {
			if v.prog == prog {
				return h, true
			}
		}
	}
	return hook{}, false
}

// hooks is the whole plan, in attach order.
var hooks = []hook{
	{name: "sched_process_fork", variants: []variant{{prog: zombietraceProgHandleFork}}},
	{name: "sched_process_exec", variants: []variant{
		{prog: zombietraceProgHandleExec, needs: []feature{featKfuncs}},
		{prog: zombietraceProgHandleExecNokfunc},
	}},
	{name: "sched_process_exit", variants: []variant{
		{prog: zombietraceProgHandleExit, needs: []feature{featGroupDead}},
		{prog: zombietraceProgHandleExitLive},
	}},
	{name: "signal_generate", variants: []variant{
		{prog: zombietraceProgHandleSignal, needs: []feature{featKfuncs}},
		{prog: zombietraceProgHandleSignalNokfunc},
	}},
	// The compat object's wait entries: the arguments that bpf_task_pt_regs
	// reads elsewhere.
	{name: "sys_enter_wait4", attach: attachSyscall, exact: true, compat: true, variants: []variant{{prog: zombietraceCompatProgEnterWait4}}},
	{name: "sys_enter_waitid", attach: attachSyscall, exact: true, compat: true, variants: []variant{{prog: zombietraceCompatProgEnterWaitid}}},
	{name: "sched_process_wait", variants: []variant{{prog: zombietraceProgHandleWait}}},
	{name: "sched_process_free", variants: []variant{{prog: zombietraceProgHandleFree}}},
	{name: "sys_exit_wait4", attach: attachSyscall, exact: true, variants: []variant{{prog: zombietraceProgExitWait4}}},
	{name: "sys_exit_waitid", attach: attachSyscall, exact: true, variants: []variant{{prog: zombietraceProgExitWaitid}}},
	{name: "preexisting zombies (iter/task)", attach: attachIter, optional: true, variants: []variant{{prog: zombietraceProgListZombies}}},
}

// kernelFeatures is what the running kernel offers, read from its BTF.
type kernelFeatures map[feature]bool

// probeFeatures reads the kernel's BTF from kernelTypes. A kernel whose BTF
// cannot be read gets the portable variants.
func probeFeatures(kernelTypes *btf.Cache) kernelFeatures {
	f := kernelFeatures{featAtomics: haveAtomics()}
	spec, err := kernelTypes.Kernel()
	if err != nil {
		return f
	}
	f[featCurrentTaskBTF] = hasHelper(spec, "get_current_task_btf")
	f[featTaskPtRegs] = hasHelper(spec, "task_pt_regs")
	f[featKfuncs] = hasFuncs(spec, "bpf_rdonly_cast", "bpf_task_from_pid", "bpf_task_release")
	f[featGroupDead] = exitHasGroupDead(spec)
	return f
}

func hasFuncs(spec *btf.Spec, names ...string) bool {
	for _, n := range names {
		var fn *btf.Func
		if err := spec.TypeByName(n, &fn); err != nil {
			return false
		}
	}
	return true
}

// hasHelper reports whether the kernel knows BPF helper name: its enum
// bpf_func_id lists every helper it was built with.
func hasHelper(spec *btf.Spec, name string) bool {
	var ids *btf.Enum
	if err := spec.TypeByName("bpf_func_id", &ids); err != nil {
		return false
	}
	for _, v := range ids.Values {
		if v.Name == "BPF_FUNC_"+name {
			return true
		}
	}
	return false
}

// exitHasGroupDead reports whether sched_process_exit passes group_dead.
func exitHasGroupDead(spec *btf.Spec) bool {
	var td *btf.Typedef
	if err := spec.TypeByName("btf_trace_sched_process_exit", &td); err != nil {
		return false
	}
	ptr, ok := td.Type.(*btf.Pointer)
	if !ok {
		return false
	}
	fp, ok := ptr.Target.(*btf.FuncProto)
	if !ok {
		return false
	}
	return len(fp.Params) >= 3 // void *__data, task, group_dead
}

// haveAtomics loads a socket filter that compare-and-swaps a stack slot:
// kernels before 5.12 refuse the instruction ("BPF_STX uses reserved
// fields"). Anything else that fails says the same for the rings.
func haveAtomics() bool {
	// The operation lives in the immediate, which cilium/ebpf v0.22 does not
	// encode from the opcode: without it the instruction is an atomic add,
	// which 5.10 takes (the probe said yes there).
	cmpxchg := asm.CmpXchg.Mem(asm.RFP, asm.R1, asm.DWord, -8)
	cmpxchg.Constant = int64(asm.CmpXchg >> 8)
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type: ebpf.SocketFilter,
		Instructions: asm.Instructions{
			asm.Mov.Imm(asm.R1, 0),
			asm.StoreMem(asm.RFP, -8, asm.R1, asm.DWord),
			asm.Mov.Imm(asm.R1, 1),
			asm.Mov.Imm(asm.R0, 0),
			cmpxchg,
			asm.Mov.Imm(asm.R0, 0),
			asm.Return(),
		},
		License: "GPL",
	})
	if err != nil {
		return false
	}
	prog.Close()
	return true
}

// eligible says whether variant i of vs may be loaded on a kernel with f:
// its needs are met, or it is the last one (tried whatever the features
// say: the verifier has the last word).
func (f kernelFeatures) eligible(vs []variant, i int) bool {
	return i == len(vs)-1 || len(f.missing(vs[i])) == 0
}

// missing lists what of v's needs the kernel lacks.
func (f kernelFeatures) missing(v variant) []string {
	var out []string
	for _, n := range v.needs {
		if !f[n] {
			out = append(out, string(n))
		}
	}
	return out
}

// ProgramError is a program the kernel refused. Cause is the verifier's last
// meaningful line (or the loader's error); Log the whole verifier log.
type ProgramError struct {
	Program string
	Cause   string
	Log     []string
	Err     error
}

func (e *ProgramError) Error() string {
	return fmt.Sprintf("BPF program %s: %s", e.Program, e.Cause)
}

func (e *ProgramError) Unwrap() error { return e.Err }

// errForced marks a program failed on purpose (Config.FailPrograms).
var errForced = errors.New("forced to fail (--fail-program)")

// programError explains why prog did not load in one line.
func programError(prog string, err error) *ProgramError {
	pe := &ProgramError{Program: prog, Err: err, Cause: err.Error()}
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) {
		pe.Log = ve.Log
		pe.Cause = "rejected by the verifier: " + verifierCause(ve.Log)
	} else if errors.Is(err, ebpf.ErrNotSupported) {
		pe.Cause = "not supported by this kernel: " + err.Error()
	}
	return pe
}

// verifierCause is the last line of a verifier log that says what is wrong,
// not how much was processed.
func verifierCause(log []string) string {
	for i := len(log) - 1; i >= 0; i-- {
		l := strings.TrimSpace(log[i])
		switch {
		case l == "",
			strings.HasPrefix(l, "processed "),
			strings.HasPrefix(l, "verification time"),
			strings.HasPrefix(l, "stack depth"),
			strings.HasPrefix(l, "-- END PROG LOAD LOG --"):
			continue
		}
		return l
	}
	return "(no verifier log)"
}
