//go:build linux

package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"

	"github.com/zombietrace/zombietrace/tracer"
)

// stormFloors are the programs whose floors a storm measures (exec's is
// measured in exec's loop; exit_wait4's in a second storm, beside these as
// exact mode runs it: its syscall tracepoint slows every syscall, so it is
// kept out of the first).
var stormFloors = []string{"handle_fork", "handle_exit", "handle_signal", "handle_wait", "handle_free"}

// floorCosts attaches the floors of names (tracer.Floors: what each program
// cannot avoid on its hook, its ring record included) and an empty program
// on each of emptyHooks, all at once, runs the workload and adds each one's
// run time and runs: the floors by their program's name, the empty
// programs by their hook's.
func floorCosts(ctx context.Context, b *bencher, names, emptyHooks, workload []string, floors, empties map[string]progCost) error {
	f, err := tracer.OpenFloors()
	if err != nil {
		return err
	}
	defer f.Close()
	all := f.Programs()
	progs := map[string]*ebpf.Program{}
	for _, n := range names {
		l, err := f.Attach(n)
		if err != nil {
			return fmt.Errorf("attaching the floor of %s: %w", n, err)
		}
		defer l.Close()
		progs[n] = all[n]
	}
	for _, hook := range emptyHooks {
		p, err := emptyProgram(hook)
		if err != nil {
			return err
		}
		defer p.Close()
		l, err := link.AttachTracing(link.TracingOptions{Program: p})
		if err != nil {
			return fmt.Errorf("attaching an empty program on %s: %w", hook, err)
		}
		defer l.Close()
		progs[hook] = p
	}
	if _, err := b.stormRun(ctx, workload...); err != nil {
		return err
	}
	if n := f.Lost(); n > 0 {
		return fmt.Errorf("the floors' rings lost %d records: their costs would read low", n)
	}
	got := map[string]progCost{}
	for name, prog := range progs {
		st, err := prog.Stats()
		if err != nil || st.RunCount == 0 {
			return fmt.Errorf("no statistics for the floor of %s: %v", name, err)
		}
		got[name] = progCost{runNS: uint64(st.Runtime), count: st.RunCount}
		b.logf("floor of %s: %.0f ns per run during %s", name, float64(st.Runtime)/float64(st.RunCount), workload[0])
	}
	for name, c := range got {
		into := floors
		if slices.Contains(emptyHooks, name) {
			into = empties
		}
		addCosts(into, map[string]progCost{name: c})
	}
	return nil
}

// emptyProgram is a program that returns at once, on hook.
func emptyProgram(hook string) (*ebpf.Program, error) {
	p, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Name:         "zt_empty",
		Type:         ebpf.Tracing,
		AttachType:   ebpf.AttachTraceRawTp,
		AttachTo:     hook,
		License:      "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()},
	})
	if err != nil {
		return nil, fmt.Errorf("loading an empty program on %s: %w", hook, err)
	}
	return p, nil
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
