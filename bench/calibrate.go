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

// emptyProgramCost measures an empty tp_btf program on a tracepoint while the
// workload runs: the floor of any program there (trampoline, run-time
// statistics, cold caches), to read our programs' costs against.
func emptyProgramCost(ctx context.Context, b *bencher, tracepoint string, workload []string) (float64, error) {
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Name:         "zt_empty",
		Type:         ebpf.Tracing,
		AttachType:   ebpf.AttachTraceRawTp,
		AttachTo:     tracepoint,
		License:      "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()},
	})
	if err != nil {
		return 0, fmt.Errorf("loading an empty program: %w", err)
	}
	defer prog.Close()
	l, err := link.AttachTracing(link.TracingOptions{Program: prog})
	if err != nil {
		return 0, err
	}
	defer l.Close()
	if _, err := b.stormRun(ctx, workload...); err != nil {
		return 0, err
	}
	st, err := prog.Stats()
	if err != nil || st.RunCount == 0 {
		return 0, fmt.Errorf("no statistics: %v", err)
	}
	ns := float64(st.Runtime) / float64(st.RunCount)
	b.logf("calibration: an empty tp_btf program on %s costs %.0f ns per run during %s", tracepoint, ns, workload[0])
	return ns, nil
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
