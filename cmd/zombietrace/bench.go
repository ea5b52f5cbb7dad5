//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
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
	bench.WriteText(os.Stdout, res)
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
