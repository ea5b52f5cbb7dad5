//go:build linux

package bench

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
)

func check(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISSED"
}

// WriteText prints the goals, judged (Result.Check), among the measures
// that inform them, then the programs' costs: `zombietrace bench`'s view.
func WriteText(w io.Writer, r *Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	results := r.Check()
	printed := make([]bool, len(results))
	goal := func(name string) {
		for i, g := range results {
			if g.Name == name && !printed[i] {
				printed[i] = true
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", g.Measure, g.Value, g.Target, check(g.Met))
			}
		}
	}
	fmt.Fprintf(tw, "MEASURE\tVALUE\tGOAL\t\n")
	fmt.Fprintf(tw, "fork+exit+wait, untraced\t%.0f lifecycles/s\t\t\n", r.LifecyclesPerSecUntraced)
	goal("throughput")
	fmt.Fprintf(tw, "traced/untraced, exact (windows)\t%s\t\t\n", r.ExactRatio)
	goal("record")
	fmt.Fprintf(tw, "traced/untraced, light (%d rounds, a tracer started for each)\t%s\t\t\n", r.Rounds, r.RoundsRatio)
	fmt.Fprintf(tw, "traced/untraced, exact (rounds)\t%.3f\t\t\n", r.RoundsExactRatioMedian)
	fmt.Fprintf(tw, "CPU per lifecycle untraced/traced, light (storm + tracer)\t%s\t(steadier than throughput on a shared host)\t\n", r.CPURatio)
	fmt.Fprintf(tw, "CPU per lifecycle untraced/traced, exact\t%.3f\t\t\n", r.ExactCPURatioMedian)
	fmt.Fprintf(tw, "host CPU steal during the rounds\t%.1f %%\t(time the hypervisor gave to other guests)\t\n", r.StealPercent)
	goal("syscall")
	fmt.Fprintf(tw, "getppid: traced/untraced, exact (windows)\t%s\t(syscall tracepoints slow every syscall)\t\n", r.ExactSyscallRatio)
	fmt.Fprintf(tw, "getppid: traced/untraced, light / exact (rounds)\t%.3f / %.3f\t\t\n", r.RoundsSyscallRatioMedian, r.RoundsExactSyscallRatioMedian)
	fmt.Fprintf(tw, "lifecycles / events\t%d / %d (%.1f events each)\t\t\n", r.Lifecycles, r.Events, r.EventsPerLifecycle)
	goal("lost_events")
	fmt.Fprintf(tw, "tracer CPU per event\t%.0f ns\t\t\n", r.CPUNSPerEvent)
	for i := range results {
		goal(results[i].Name) // the rest, in the goals' order
	}
	tw.Flush()
	fmt.Fprintf(w, "\nKERNEL COST PER INVOCATION (mean ns; goal: at most half of bpftrace's probe doing the minimal job on the same hook, in the same workload: the storm, exec's loop for handle_exec, --exact-waits for exit_wait4. FLOOR: what no version of the program can avoid on its hook: being called, the helper calls its job needs, its ring record (bpf/floors.bpf.c); where FLOOR/BPFTRACE is above %g, the goal is out of reach on this machine)\n", MaxProgOverBpftrace)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "PROGRAM\tLIGHT\tEXACT\tFLOOR\tBPFTRACE\tOURS/BPFTRACE <= %g\tFLOOR/BPFTRACE\t\n", MaxProgOverBpftrace)
	names := slices.Sorted(maps.Keys(r.ExactProgNS))
	if _, ok := r.ExactProgNS["handle_exec"]; !ok && r.ExecLoopProgNS["handle_exec"] > 0 {
		names = append(names, "handle_exec")
	}
	for _, n := range names {
		light, floor, peer, goal, reach := "-", "-", "-", "", ""
		if v, ok := r.ProgNS[n]; ok {
			light = nsCell(v, r.ProgRuns[n])
		}
		if v, ok := r.FloorProgNS[n]; ok {
			floor = fmt.Sprintf("%.0f", v)
		}
		peers := r.BpftraceProgNS
		if n == "handle_exec" {
			peers = r.BpftraceExecLoopProgNS
		}
		if v, ok := peers[n]; ok {
			peer = fmt.Sprintf("%.0f", v)
		}
		if q, ok := r.ProgOverBpftrace[n]; ok {
			goal = fmt.Sprintf("%.2f %s", q, check(q <= MaxProgOverBpftrace))
		}
		if q, ok := r.FloorOverBpftrace[n]; ok {
			reach = fmt.Sprintf("%.2f", q)
			if q > MaxProgOverBpftrace {
				reach += " out-of-reach"
			}
		}
		exact := "-"
		if v, ok := r.ExactProgNS[n]; ok {
			exact = nsCell(v, r.ExactProgRuns[n])
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", n, light, exact, floor, peer, goal, reach)
	}
	tw.Flush()
	printExecLoop(w, r)
	printVariants(w, r)
}

// printVariants puts each fallback variant, forced here, beside the default
// it replaces on kernels without the default's feature.
func printVariants(w io.Writer, r *Result) {
	if len(r.Variants) == 0 {
		return
	}
	fmt.Fprintf(w, "\nTHE PRICE OF PORTABILITY (each fallback forced on this kernel, against the default in the same pairs of storms)\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "VARIANT\tFORCED BY\tNS PER RUN (DEFAULT)\tSTORM RATE VS DEFAULT\tTRACER NS/EVENT (DEFAULT)\t\n")
	for _, n := range slices.Sorted(maps.Keys(r.Variants)) {
		v := r.Variants[n]
		fmt.Fprintf(tw, "%s\t%s\t%.0f (%.0f)\t%.3f (%d pairs)\t%.0f (%.0f)\t\n", n, strings.Join(v.Forced, " "),
			v.ProgNS, v.DefaultProgNS, v.RateRatio, v.Pairs, v.CPUNSPerEvent, v.DefaultCPUNSPerEvent)
	}
	tw.Flush()
}

// nsCell is a mean cost, with its number of runs when they are few enough
// (a handful of cold calls) that the mean says little.
func nsCell(ns float64, runs uint64) string {
	if runs > 0 && runs < 1000 {
		return fmt.Sprintf("%.0f (%d runs)", ns, runs)
	}
	return fmt.Sprintf("%.0f", ns)
}

// printExecLoop puts exec's cost beside what else costs in its loop: an exec
// leaves the caches cold, so every program costs more there than in the storm.
func printExecLoop(w io.Writer, r *Result) {
	if len(r.ExecLoopProgNS) == 0 {
		return
	}
	fmt.Fprintf(w, "\nEXEC'S OWN LOOP (fork, exec, exit, wait; light mode; mean ns; an empty program on sched_process_exec: %.0f ns)\n", r.ExecLoopEmptyProgNS)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "PROGRAM\tEXEC LOOP\tSTORM\t\n")
	for _, n := range slices.Sorted(maps.Keys(r.ExecLoopProgNS)) {
		storm := "-"
		if v, ok := r.ProgNS[n]; ok && n != "handle_exec" {
			storm = fmt.Sprintf("%.0f", v)
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t\n", n, r.ExecLoopProgNS[n], storm)
	}
	for _, n := range slices.Sorted(maps.Keys(r.BpftraceExecLoopProgNS)) {
		fmt.Fprintf(tw, "bpftrace %s\t%.0f\t\t\n", n, r.BpftraceExecLoopProgNS[n])
	}
	tw.Flush()
	if cpu := r.ExecLoopCPUNSPerExec; cpu > 0 {
		share := func(ns float64) string { return fmt.Sprintf("%.2f us (%.2f %%)", ns/1e3, 100*ns/cpu) }
		fmt.Fprintf(w, "per fork + exec + exit + wait: %.0f us of the loop's CPU; our programs %s of it, handle_exec %s; the tracer %s more\n",
			cpu/1e3, share(r.ExecLoopProgNSPerExec), share(r.ExecLoopProgNS["handle_exec"]), share(r.ExecLoopTracerCPUNSPerExec))
	}
}
