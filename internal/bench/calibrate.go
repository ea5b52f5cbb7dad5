//go:build linux

package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
)

// floorProgram is the least a program on hook can cost: an empty program, or
// one that makes nothing but the helper calls the real one cannot do without.
type floorProgram struct {
	hook    string
	helpers []asm.BuiltinFunc
}

// stormFloors are the floors of the programs a storm runs, by their names.
// signal's and wait's times are the zombie clock, which must be exact, and
// both need current; wait also needs the syscall's registers
// (bpf_task_pt_regs of current: caching their offset is pointer arithmetic
// not every verifier takes). The others call no helper in a storm.
func stormFloors() map[string]floorProgram {
	return map[string]floorProgram{
		"handle_fork":   {hook: "sched_process_fork"},
		"handle_exit":   {hook: "sched_process_exit"},
		"handle_signal": {hook: "signal_generate", helpers: []asm.BuiltinFunc{asm.FnGetCurrentTaskBtf, asm.FnKtimeGetBootNs}},
		"handle_wait":   {hook: "sched_process_wait", helpers: []asm.BuiltinFunc{asm.FnGetCurrentTaskBtf, asm.FnTaskPtRegs, asm.FnKtimeGetBootNs}},
		"handle_free":   {hook: "sched_process_free"},
	}
}

// floorInstructions calls each helper in turn; bpf_task_pt_regs gets the
// task the call before returned.
func floorInstructions(helpers []asm.BuiltinFunc) asm.Instructions {
	var insns asm.Instructions
	for _, fn := range helpers {
		if fn == asm.FnTaskPtRegs {
			insns = append(insns, asm.Mov.Reg(asm.R1, asm.R0))
		}
		insns = append(insns, fn.Call())
	}
	return append(insns, asm.Mov.Imm(asm.R0, 0), asm.Return())
}

// floorCosts attaches every floor program at once, runs the workload and
// returns each one's mean ns per run, keyed as floors: what our programs'
// costs read against (trampoline, run-time statistics, helper calls, cold
// caches), measured in the same kind of storm as theirs.
func floorCosts(ctx context.Context, b *bencher, floors map[string]floorProgram, workload []string) (map[string]float64, error) {
	progs := make(map[string]*ebpf.Program, len(floors))
	defer func() {
		for _, p := range progs {
			p.Close()
		}
	}()
	for name, f := range floors {
		insns := floorInstructions(f.helpers)
		prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
			Name:         "zt_floor",
			Type:         ebpf.Tracing,
			AttachType:   ebpf.AttachTraceRawTp,
			AttachTo:     f.hook,
			License:      "GPL",
			Instructions: insns,
		})
		if err != nil {
			return nil, fmt.Errorf("loading the floor program on %s: %w", f.hook, err)
		}
		progs[name] = prog
		l, err := link.AttachTracing(link.TracingOptions{Program: prog})
		if err != nil {
			return nil, fmt.Errorf("attaching the floor program on %s: %w", f.hook, err)
		}
		defer l.Close()
	}
	if _, err := b.stormRun(ctx, workload...); err != nil {
		return nil, err
	}
	out := make(map[string]float64, len(progs))
	for name, prog := range progs {
		st, err := prog.Stats()
		if err != nil || st.RunCount == 0 {
			return nil, fmt.Errorf("no statistics for the floor program on %s: %v", floors[name].hook, err)
		}
		out[name] = float64(st.Runtime) / float64(st.RunCount)
		b.logf("floor of %s: %d helper calls on %s cost %.0f ns per run during %s",
			name, len(floors[name].helpers), floors[name].hook, out[name], workload[0])
	}
	return out, nil
}

// readSteal returns the host's steal and total CPU ticks (/proc/stat).
func readSteal() (steal, total uint64) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return 0, 0
	}
	fields := strings.Fields(sc.Text())
	for i, v := range fields[1:] {
		n, _ := strconv.ParseUint(v, 10, 64)
		if i < 8 { // user nice system idle iowait irq softirq steal
			total += n
		}
		if i == 7 {
			steal = n
		}
	}
	return steal, total
}
