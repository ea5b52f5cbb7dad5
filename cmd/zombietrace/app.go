//go:build linux

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"
)

func newApp() *cli.App {
	commands := []*cli.Command{runCommand(), traceCommand(), psCommand(), recordCommand(), reportCommand(), reapCommand(), benchCommand(), doctorCommand()}
	for _, c := range commands {
		// A bad flag value is one line on stderr, not the help on stdout.
		c.OnUsageError = usageError
	}
	return &cli.App{
		Name:     "zombietrace",
		Usage:    "trace the exit/wait lifecycle: who leaves zombies, for how long, who reaps them",
		Version:  version,
		Commands: commands,
		// urfave/cli's version flag is also -v, which the tracing commands
		// use for --verbose: only --version prints the version here.
		HideVersion: true,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "version", Usage: "print the version (" + version + ")"},
		},
		Action: func(c *cli.Context) error {
			if c.Bool("version") {
				_, err := fmt.Fprintf(c.App.Writer, "%s version %s\n", c.App.Name, c.App.Version)
				return err
			}
			return cli.ShowAppHelp(c)
		},
		OnUsageError: usageError,
	}
}

// oneDashFlag is a flag of more than one letter named with one dash in
// urfave/cli's messages: users type --name (but -v, -o).
var oneDashFlag = regexp.MustCompile(`flag -(\w\w)`)

func usageError(c *cli.Context, err error, isSubcommand bool) error {
	// The flag package names flags with one dash; users type two.
	msg := strings.Replace(err.Error(), "flag provided but not defined: ", "unknown flag ", 1)
	msg = oneDashFlag.ReplaceAllString(msg, "flag --$1")
	path := commandPath(c)
	if path == "" {
		return fmt.Errorf("%s (see zombietrace --help)", msg)
	}
	return fmt.Errorf("%s: %s (see zombietrace %s --help)", path, msg, path)
}

// commandPath names c's command as the user types it after "zombietrace"
// ("trace", "report explain"; "" at the top): the --help a message points
// to must exist, and a report subcommand's alone does not.
func commandPath(c *cli.Context) string {
	var names []string
	for _, l := range c.Lineage() {
		if l.Command != nil && l.Command.Name != "" && l.Command.Name != l.App.Name {
			names = append([]string{l.Command.Name}, names...)
		}
	}
	return strings.Join(names, " ")
}

// Numeric flags are checked before anything runs: a zero or negative value
// would hang a workload, end minutes later in a NaN, or mean "no limit".

// intAtLeast checks the int flags named against min.
func intAtLeast(c *cli.Context, min int, names ...string) error {
	for _, name := range names {
		if n := c.Int(name); n < min {
			return fmt.Errorf("--%s %d: must be at least %d", name, n, min)
		}
	}
	return nil
}

// durationAtLeast checks the duration flags named against min.
func durationAtLeast(c *cli.Context, min time.Duration, names ...string) error {
	for _, name := range names {
		if d := c.Duration(name); d < min {
			if min == 0 {
				return fmt.Errorf("--%s %v: must not be negative", name, d)
			}
			return fmt.Errorf("--%s %v: must be at least %v", name, d, min)
		}
	}
	return nil
}

// requires refuses the flags named when the flag need is not given: they
// mean something only with it, and were accepted and silently ignored.
func requires(c *cli.Context, need string, names ...string) error {
	if c.IsSet(need) {
		return nil
	}
	for _, name := range names {
		if c.IsSet(name) {
			return fmt.Errorf("--%s needs --%s", name, need)
		}
	}
	return nil
}

// checkWritable checks, before anything runs, that the files the flags
// named will be written can be (- for output is stdout): one found
// unwritable at a session's end lost the session's work.
func checkWritable(c *cli.Context, names ...string) error {
	for _, name := range names {
		path := c.String(name)
		if path == "" || (path == "-" && name == "output") {
			continue
		}
		if err := writable(path); err != nil {
			flag := "--" + name
			if name == "output" {
				flag = "-o" // as typed: --output is not in the usage lines
			}
			return fmt.Errorf("%s %s: %w", flag, path, err)
		}
	}
	return nil
}

// writable: path is a file that can be written, or can be created.
func writable(path string) error {
	st, err := os.Stat(path)
	switch {
	case err == nil && st.IsDir():
		return errors.New("is a directory")
	case err == nil:
		if err := unix.Access(path, unix.W_OK); err != nil {
			return fmt.Errorf("not writable: %w", err)
		}
		return nil
	case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, unix.ENOTDIR):
		return err
	}
	dir := filepath.Dir(path)
	st, err = os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("no directory %s", dir)
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	}
	if err := unix.Access(dir, unix.W_OK); err != nil {
		return fmt.Errorf("directory %s not writable: %w", dir, err)
	}
	return nil
}

// firstError is the first of errs that is not nil: one line for the user.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// outputArg is the --output the command cannot do without. Checked here,
// not with the flag's Required: urfave/cli then prints the whole help on
// stdout with its error.
func outputArg(c *cli.Context) (string, error) {
	if path := c.String("output"); path != "" {
		return path, nil
	}
	name := commandPath(c)
	return "", fmt.Errorf("%s: -o FILE is required (see zombietrace %s --help)", name, name)
}

// Flags shared by the tracing commands.
func outputFlags() []cli.Flag {
	return append([]cli.Flag{
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the report to `FILE` (- for stdout)"},
		&cli.BoolFlag{Name: "json", Usage: "JSON Lines (docs/json.md) instead of the human view"},
		&cli.BoolFlag{Name: "exact-waits", Usage: "also trace wait4/waitid returns for exact reap times (slows every syscall a little)"},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "show forks and execs too"},
		&cli.BoolFlag{Name: "stacks", Usage: "capture each fork's call site in the parent (user stack, frame pointers) for --by callsite"},
		&cli.StringFlag{Name: "flame", Usage: "also write a flame graph of the zombie time to `FILE` (.svg, .html, .folded, .pb.gz)"},
		&cli.StringFlag{Name: "by", Value: "comm", Usage: "with --flame: frame labels: comm, exe, cmdline or cgroup"},
		&cli.StringFlag{Name: "weight", Value: "time", Usage: "with --flame: width: time or count"},
	}, sessionFlags()...)
}

// sessionFlags are read by sessionConfig: every tracing command has them.
func sessionFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "ringbuf-mib", Value: 16, Usage: "event buffers in `MiB`, all CPUs together (a power of two)"},
		&cli.StringFlag{Name: "ready-file", Hidden: true, Usage: "write this file once every program is attached"},
		&cli.BoolFlag{Name: "pause-signals", Hidden: true, Usage: "SIGUSR1 detaches the programs, SIGUSR2 attaches them again; each change is acknowledged in --ready-file (the benchmark's A/B windows)"},
		&cli.BoolFlag{Name: "exit-events", Hidden: true, Usage: "an exit event for every process, not only where the notification cannot tell"},
		&cli.DurationFlag{Name: "poll", Hidden: true, Usage: "how long the reader sleeps on an empty ring buffer (default 250ms)"},
		&cli.StringFlag{Name: "cpuprofile", Hidden: true, Usage: "write a CPU profile of the session"},
		&cli.DurationFlag{Name: "stats-interval", Hidden: true, Usage: "also write --stats-file this often"},
		&cli.StringFlag{Name: "stats-file", Hidden: true, Usage: "write the session's own costs (JSON) here at the end"},
		&cli.BoolFlag{Name: "live-fallback", Hidden: true, Usage: "use the pre-6.16 exit program (group death from signal->live)"},
		&cli.BoolFlag{Name: "ringbuf-transport", Hidden: true, Usage: "send every event through the BPF ring buffer, as kernels without BPF atomics do"},
		&cli.BoolFlag{Name: "compat-object", Hidden: true, Usage: "load the compat object, as kernels without BPF atomics, bpf_get_current_task_btf or bpf_task_pt_regs do"},
		&cli.BoolFlag{Name: "debug", Usage: "when a BPF program does not load, print the verifier's whole log"},
		&cli.StringSliceFlag{Name: "fail-program", Hidden: true, Usage: "treat the BPF program `NAME` as refused by the kernel (tests the fallbacks)"},
	}
}
