//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/internal/procfs"
	"github.com/zombietrace/zombietrace/output"
	"github.com/zombietrace/zombietrace/recording"
	"github.com/zombietrace/zombietrace/tracer"
)

func recordCommand() *cli.Command {
	return &cli.Command{
		Name:  "record",
		Usage: "record the lifecycle events to a file for later analysis (zombietrace report)",
		Description: "The file (docs/format.md) is flushed at least every second: a killed recorder or a full disk\n" +
			"leaves it readable up to its last frame. --max-size stops recording cleanly when reached (no rotation).",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "the recording `FILE` (required)"},
			&cli.DurationFlag{Name: "duration", Aliases: []string{"d"}, Usage: "stop after `D`"},
			&cli.StringFlag{Name: "max-size", Usage: "stop cleanly at `SIZE` (e.g. 100M, 2G)"},
			&cli.IntFlag{Name: "pid", Aliases: []string{"p"}, Usage: "only `PID` and its descendants"},
			&cli.StringFlag{Name: "comm", Usage: "reports of this recording show only processes (or parents) matching `RE`"},
			&cli.BoolFlag{Name: "exact-waits", Usage: "also trace wait4/waitid returns for exact reap times"},
			&cli.BoolFlag{Name: "stacks", Usage: "capture each fork's call site in the parent, for report flame --by callsite"},
		}, sessionFlags()...),
		Action: recordAction,
	}
}

// parseSize reads --max-size: a byte count with an optional K, M or G
// suffix (and an optional B). Errors quote the value as typed.
func parseSize(typed string) (int64, error) {
	if typed == "" {
		return 0, nil
	}
	s := strings.TrimSuffix(strings.ToUpper(typed), "B")
	mult := int64(1)
	if s != "" {
		switch s[len(s)-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		}
	}
	if mult > 1 {
		s = s[:len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("--max-size %q: want a size like 100M", typed)
	}
	if n*mult < 64<<10 {
		return 0, fmt.Errorf("--max-size %q: at least 64K", typed)
	}
	return n * mult, nil
}

func bootID() string {
	b, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return strings.TrimSpace(string(b))
}

// snapshot reads the process table for the recording's start.
func snapshot() []recording.Proc {
	all, _ := procfs.Default.All()
	out := make([]recording.Proc, 0, len(all))
	for _, p := range all {
		out = append(out, recording.Proc{
			PID: uint32(p.PID), PPID: uint32(p.PPID), StartNS: p.StartNS(),
			State: string(p.State), Comm: p.Comm, Cmdline: procfs.Default.Cmdline(p.PID),
			Cgroup: procfs.Default.Cgroup(p.PID),
		})
	}
	return out
}

func recordAction(c *cli.Context) error {
	if c.Args().Len() > 0 {
		return fmt.Errorf("record: unexpected argument %q", c.Args().First())
	}
	path, err := outputArg(c)
	if err != nil {
		return err
	}
	maxSize, err := parseSize(c.String("max-size"))
	if err != nil {
		return err
	}
	pid, err := pidFlag(c)
	if err != nil {
		return err
	}
	s, err := openSession(c, sessionConfig{filter: pid > 0, discard: true})
	if err != nil {
		return err
	}
	seeded, err := s.follow(pid)
	if err != nil {
		s.close()
		return err
	}
	host, _ := os.Hostname()
	hdr := recording.Header{
		Host: host, Kernel: tracer.KernelRelease(), BootID: bootID(),
		WallOffsetNS: s.clock.OffsetNS, StartNS: s.start, Tool: version,
		CommandLine: os.Args, Mode: s.tr.Mode().String(), Filter: c.String("comm"),
	}
	if s.followed != nil {
		hdr.Follow = &recording.Follow{PIDs: s.followed, AtNS: s.followedAt}
	}
	procs := snapshot()
	w, err := recording.Create(path, hdr, procs, maxSize)
	if err != nil {
		s.close()
		return err
	}
	// What the engine sees is exactly what the file holds: the stored summary
	// must equal a report's. Names too come from what the file holds.
	s.eng.SetNames(recording.Names(procs))
	s.pipe.SetTap(func(ev *events.Event) bool { return w.Add(ev) == nil })
	if err := s.seedZombies(seededZombie(seeded)); err != nil {
		s.close()
		w.Close(nil)
		return err
	}
	if err := s.ready(c); err != nil {
		s.close()
		w.Close(nil)
		return err
	}
	ctx, cancel := context.WithCancel(c.Context)
	defer cancel()
	if d := c.Duration("duration"); d > 0 {
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	prog := newProgress(os.Stderr)
	began := time.Now()
	s.onIdle = func() {
		if err := w.Tick(); err != nil {
			cancel() // size limit or write error: stop cleanly
		}
		lost, _, _ := s.tr.Counters()
		prog.show(w.Events(), w.Size(), lost, time.Since(began), false)
	}
	lerr := s.loop(ctx)
	end := tracer.BootNow()
	sum := s.eng.Summary(end)
	full := errors.Is(w.Err(), recording.ErrFull)
	werr := w.Err()
	if full {
		werr = nil
	}
	cerr := w.Close(&recording.StoredSummary{EndNS: end, Summary: sum, Events: w.Events(), Full: full})
	lost, _, _ := s.tr.Counters()
	prog.show(w.Events(), w.Size(), lost, time.Since(began), true)
	s.w = output.Discard{}
	ferr := s.finish()
	perEvent := 0.0
	if w.Events() > 0 {
		perEvent = float64(w.EventBytes()) / float64(w.Events())
	}
	note := ""
	if full {
		note = " (stopped at --max-size)"
	}
	fmt.Fprintf(os.Stderr, "recorded %d events (%.1f B/event, %s) in %s to %s, %d lost, %d zombies outstanding%s\n",
		w.Events(), perEvent, humanBytes(w.Size()), time.Since(began).Round(time.Millisecond), path, lost, len(sum.Zombies), note)
	for _, err := range []error{lerr, werr, cerr, ferr} {
		if err != nil {
			return err
		}
	}
	return nil
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// progress prints the recorder's state on stderr: in place on a terminal,
// every 10 s otherwise.
type progress struct {
	f    *os.File
	tty  bool
	last time.Time
}

func newProgress(f *os.File) *progress {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return &progress{f: f, tty: err == nil}
}

func (p *progress) show(events uint64, size int64, lost uint64, elapsed time.Duration, final bool) {
	every := 10 * time.Second
	if p.tty {
		every = time.Second
	}
	if !final && time.Since(p.last) < every {
		return
	}
	p.last = time.Now()
	line := fmt.Sprintf("recording: %d events, %s, %d lost, %s", events, humanBytes(size), lost, elapsed.Round(time.Second))
	switch {
	case p.tty && final:
		fmt.Fprintf(p.f, "\r\033[K")
	case p.tty:
		fmt.Fprintf(p.f, "\r\033[K%s", line)
	case !final:
		fmt.Fprintln(p.f, line)
	}
}
