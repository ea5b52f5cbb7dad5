//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/zombietrace/zombietrace/internal/bench"
)

func benchCommand() *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "measure what tracing costs: fork storm traced vs untraced, per-program ns, CPU, memory, loss, accuracy",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "rounds", Value: 15, Usage: "interleaved untraced/light/exact rounds, a tracer started for each (their ratios spread ±6-10 % on a shared host)"},
			&cli.IntFlag{Name: "windows", Value: 60, Usage: "detached/attached window pairs of one running tracer, per mode, at least (0: ratios from the rounds)"},
			&cli.IntFlag{Name: "windows-max", Value: 180, Usage: "window pairs per mode at most: pairs are added while the ratio's 95 % CI is wider than 3 %"},
			&cli.DurationFlag{Name: "storm-time", Value: time.Second, Usage: "length of one storm run"},
			&cli.IntFlag{Name: "workers", Value: runtime.NumCPU(), Usage: "storm workers"},
			&cli.IntFlag{Name: "burst", Value: 3000, Usage: "children exiting together in the burst phase"},
			&cli.IntFlag{Name: "lifecycles", Value: 1_000_000, Usage: "lifecycles in the memory phase"},
			&cli.IntFlag{Name: "getppid", Value: 2_000_000, Usage: "getppid calls per syscall run"},
			&cli.BoolFlag{Name: "no-bpftrace", Usage: "skip the bpftrace comparison"},
			&cli.DurationFlag{Name: "idle-time", Value: 20 * time.Second, Usage: "how long the idle phase watches a session with nothing to trace"},
			&cli.IntFlag{Name: "report-events", Value: 10_000_000, Usage: "events in the report-speed recording (0: skip)"},
			&cli.IntSliceFlag{Name: "ps-zombies", Value: cli.NewIntSlice(1000, 15000), Usage: "zombie counts at which `zombietrace ps` races `ps | grep ^Z` (0: skip)"},
			&cli.DurationFlag{Name: "soak", Usage: "instead: storm for `D` under one tracer, print RSS and goroutines every minute"},
			&cli.BoolFlag{Name: "json", Usage: "print one JSON object"},
		},
		Action: benchAction,
	}
}

func benchAction(c *cli.Context) error {
	if c.Args().Len() > 0 {
		return fmt.Errorf("bench: unexpected argument %q", c.Args().First())
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if err := firstError(intAtLeast(c, 1, "rounds", "workers", "burst", "lifecycles", "getppid"),
		intAtLeast(c, 0, "windows", "windows-max", "report-events"),
		durationAtLeast(c, time.Millisecond, "storm-time", "idle-time"), durationAtLeast(c, 0, "soak")); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	res, err := bench.Run(c.Context, bench.Config{
		Binary: self, Rounds: c.Int("rounds"), Windows: c.Int("windows"), WindowsMax: c.Int("windows-max"), StormTime: c.Duration("storm-time"),
		Workers: c.Int("workers"), Burst: c.Int("burst"), Lifecycles: c.Int("lifecycles"),
		GetppidN: c.Int("getppid"), Bpftrace: !c.Bool("no-bpftrace"), Soak: c.Duration("soak"),
		IdleTime:  c.Duration("idle-time"),
		ReportN:   c.Int("report-events"),
		PsZombies: psSizes(c.IntSlice("ps-zombies")),
		Log:       os.Stderr,
	})
	if err != nil || res == nil {
		return err
	}
	if c.Bool("json") {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	printBench(os.Stdout, res)
	return nil
}

// psSizes drops the zeros (--ps-zombies 0 skips the phase).
func psSizes(v []int) []int {
	var out []int
	for _, n := range v {
		if n > 0 {
			out = append(out, n)
		}
	}
	return out
}

func check(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISSED"
}

// printBench prints the goals, judged (bench.Result.Check), among the
// measures that inform them, then the programs' costs.
func printBench(w io.Writer, r *bench.Result) {
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
	fmt.Fprintf(w, "\nKERNEL COST PER INVOCATION (mean ns; goal: at most half of bpftrace's probe doing the minimal job on the same hook, in the same workload: the storm, exec's loop for handle_exec, --exact-waits for exit_wait4. FLOOR: an empty program on the hook, or one making only the helper calls the program cannot avoid)\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "PROGRAM\tLIGHT\tEXACT\tFLOOR\tBPFTRACE\tOURS/BPFTRACE <= %g\t\n", bench.MaxProgOverBpftrace)
	names := slices.Sorted(maps.Keys(r.ExactProgNS))
	if _, ok := r.ExactProgNS["handle_exec"]; !ok && r.ExecLoopProgNS["handle_exec"] > 0 {
		names = append(names, "handle_exec")
	}
	for _, n := range names {
		light, floor, peer, goal := "-", "-", "-", ""
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
			goal = fmt.Sprintf("%.2f %s", q, check(q <= bench.MaxProgOverBpftrace))
		}
		exact := "-"
		if v, ok := r.ExactProgNS[n]; ok {
			exact = nsCell(v, r.ExactProgRuns[n])
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", n, light, exact, floor, peer, goal)
	}
	tw.Flush()
	printExecLoop(w, r)
	printVariants(w, r)
}

// printVariants puts each fallback variant, forced here, beside the default
// it replaces on kernels without the default's feature.
func printVariants(w io.Writer, r *bench.Result) {
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
func printExecLoop(w io.Writer, r *bench.Result) {
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
