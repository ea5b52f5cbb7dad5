//go:build linux

package main

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/zombietrace/zombietrace/internal/session"
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
	cfg, err := sessionConfig(c, pid, nil)
	if err != nil {
		return err
	}
	prog := newProgress(os.Stderr)
	rec, err := session.Record(c.Context, cfg, session.Recording{Path: path, MaxSize: maxSize,
		Filter: c.String("comm"), CommandLine: os.Args, Progress: prog.show})
	if rec == nil {
		return withVerifierLog(err, c.Bool("debug"))
	}
	perEvent := 0.0
	if rec.Events > 0 {
		perEvent = float64(rec.EventBytes) / float64(rec.Events)
	}
	note := ""
	if rec.Full {
		note = " (stopped at --max-size)"
	}
	fmt.Fprintf(os.Stderr, "recorded %d events (%.1f B/event, %s) in %s to %s, %d lost, %d zombies outstanding%s\n",
		rec.Events, perEvent, humanBytes(rec.Bytes), rec.Elapsed.Round(time.Millisecond), path, rec.Lost, rec.Outstanding, note)
	return err
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

func (p *progress) show(st session.Progress) {
	every := 10 * time.Second
	if p.tty {
		every = time.Second
	}
	if !st.Final && time.Since(p.last) < every {
		return
	}
	p.last = time.Now()
	line := fmt.Sprintf("recording: %d events, %s, %d lost, %s", st.Events, humanBytes(st.Bytes), st.Lost, st.Elapsed.Round(time.Second))
	switch {
	case p.tty && st.Final:
		fmt.Fprintf(p.f, "\r\033[K")
	case p.tty:
		fmt.Fprintf(p.f, "\r\033[K%s", line)
	case !st.Final:
		fmt.Fprintln(p.f, line)
	}
}
