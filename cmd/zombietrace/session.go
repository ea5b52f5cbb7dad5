//go:build linux

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/zombietrace/zombietrace/flame"
	"github.com/zombietrace/zombietrace/internal/session"
	"github.com/zombietrace/zombietrace/tracer"
)

// sessionConfig reads the flags of a tracing command (sessionFlags, and
// outputFlags where it has them) into a session's config, checking them
// before anything runs. live is where the live view goes without -o; nil
// for record, whose -o is its recording.
func sessionConfig(c *cli.Context, pid int, live io.Writer) (session.Config, error) {
	// A negative duration would mean none: trace --duration -1s ran forever.
	if err := durationAtLeast(c, 0, "duration", "min-zombie", "poll", "stats-interval"); err != nil {
		return session.Config{}, err
	}
	cfg := session.Config{
		Tracer: tracer.Config{
			Exact:            c.Bool("exact-waits"),
			LiveFallback:     c.Bool("live-fallback"),
			RingbufTransport: c.Bool("ringbuf-transport"),
			Compat:           c.Bool("compat-object"),
			PollInterval:     c.Duration("poll"),
			Stacks:           c.Bool("stacks"),
			AllExits:         c.Bool("exit-events"),
			FailPrograms:     c.StringSlice("fail-program"),
		},
		PID: pid, Duration: c.Duration("duration"),
		JSON: c.Bool("json"), Verbose: c.Bool("verbose"), Version: version,
		ReadyPath: c.String("ready-file"), PauseSignals: c.Bool("pause-signals"),
		StatsPath: c.String("stats-file"), StatsEvery: c.Duration("stats-interval"),
		ProfilePath: c.String("cpuprofile"),
		Stderr:      os.Stderr,
	}
	if re := c.String("comm"); re != "" {
		rx, err := regexp.Compile(re)
		if err != nil {
			return cfg, fmt.Errorf("--comm: %w", err)
		}
		cfg.Filter.Comm = rx
	}
	if d := c.Duration("min-zombie"); d > 0 {
		cfg.Filter.MinZombieNS = uint64(d)
	}
	mib := c.Int("ringbuf-mib")
	if mib <= 0 || mib&(mib-1) != 0 {
		return cfg, fmt.Errorf("--ringbuf-mib %d: must be a power of two", mib)
	}
	cfg.Tracer.RingBufferBytes = mib << 20
	if live != nil {
		cfg.FlamePath = c.String("flame") // record has no --flame
		switch path := c.String("output"); path {
		case "":
			cfg.Output = live
		case "-":
			cfg.Output = os.Stdout
		default:
			cfg.OutputPath = path
		}
	}
	if err := firstError(requires(c, "flame", "by", "weight"), checkFlame(c, cfg.FlamePath),
		checkWritable(c, "output", "flame", "cpuprofile", "stats-file", "ready-file")); err != nil {
		return cfg, err
	}
	cfg.FlameBy = c.String("by")
	cfg.FlameWeight, _ = flameWeight(c) // checked
	return cfg, nil
}

// checkFlame checks --flame's format, --by and --weight.
func checkFlame(c *cli.Context, path string) error {
	if path == "" {
		return nil
	}
	if _, err := flame.Format(path); err != nil {
		return fmt.Errorf("--flame: %w", err)
	}
	if _, err := flameLineage(c); err != nil {
		return err
	}
	_, err := flameWeight(c)
	return err
}

// withVerifierLog prints the verifier's whole log of a refused program when
// asked (--debug), or says how to get it.
func withVerifierLog(err error, debug bool) error {
	var pe *tracer.ProgramError
	if !errors.As(err, &pe) || len(pe.Log) == 0 {
		return err
	}
	if !debug {
		return fmt.Errorf("%w (--debug prints the verifier's log)", err)
	}
	fmt.Fprintf(os.Stderr, "verifier log of %s:\n%s\n", pe.Program, strings.Join(pe.Log, "\n"))
	return err
}
