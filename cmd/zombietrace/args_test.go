//go:build linux

package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
)

// Pure tests of the argument normalisation (no root, no BPF).

func TestNormalizeArgs(t *testing.T) {
	cases := []struct {
		name string
		in   []string
		want []string
	}{
		{"no command", []string{"zt"}, []string{"zt"}},
		{"top-level flag only", []string{"zt", "--version"}, []string{"zt", "--version"}},
		{"ps flag stays", []string{"zt", "ps", "--json"}, []string{"zt", "ps", "--json", "--"}},
		{"ps flag after positional", []string{"zt", "ps", "x", "--json"}, []string{"zt", "ps", "--json", "--", "x"}},
		{"trace value flags after positional",
			[]string{"zt", "trace", "x", "-o", "f", "--duration", "1s"},
			[]string{"zt", "trace", "-o", "f", "--duration", "1s", "--", "x"}},
		{"trace flags in order", []string{"zt", "trace", "-o", "f", "--duration", "1s"},
			[]string{"zt", "trace", "-o", "f", "--duration", "1s", "--"}},
		{"flag=value forms", []string{"zt", "trace", "--pid=5", "x", "-o=f", "--duration=1s", "--json=true"},
			[]string{"zt", "trace", "--pid=5", "-o=f", "--duration=1s", "--json=true", "--", "x"}},
		{"value flag consumes a word that looks positional", []string{"zt", "trace", "--comm", "x", "y"},
			[]string{"zt", "trace", "--comm", "x", "--", "y"}},
		{"value flag consumes a dash word", []string{"zt", "trace", "-o", "-", "--json"},
			[]string{"zt", "trace", "-o", "-", "--json", "--"}},
		{"short bool alias after positional", []string{"zt", "trace", "x", "-v"},
			[]string{"zt", "trace", "-v", "--", "x"}},
		{"help after positional", []string{"zt", "trace", "x", "--help"},
			[]string{"zt", "trace", "--help", "--", "x"}},
		{"double dash ends flags", []string{"zt", "trace", "--json", "--", "--pid", "3"},
			[]string{"zt", "trace", "--json", "--", "--pid", "3"}},
		{"double dash first", []string{"zt", "ps", "--", "--json"}, []string{"zt", "ps", "--", "--json"}},
		{"run keeps the command's flags after --",
			[]string{"zt", "run", "-o", "f", "--", "sh", "-c", "x", "-o", "y"},
			[]string{"zt", "run", "-o", "f", "--", "sh", "-c", "x", "-o", "y"}},
		{"run: first positional starts the command",
			[]string{"zt", "run", "--json", "sh", "-c", "x", "-o", "y", "--json"},
			[]string{"zt", "run", "--json", "--", "sh", "-c", "x", "-o", "y", "--json"}},
		{"run: unknown-looking flags of the command are not zombietrace's",
			[]string{"zt", "run", "python3", "--bogus", "--", "z"},
			[]string{"zt", "run", "--", "python3", "--bogus", "--", "z"}},
		{"run: user and value flags", []string{"zt", "run", "-u", "nobody", "--min-zombie=1s", "--", "id", "-u"},
			[]string{"zt", "run", "-u", "nobody", "--min-zombie=1s", "--", "id", "-u"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := normalizeArgs(newApp(), tc.in)
			if err != nil {
				t.Fatalf("normalizeArgs(%q): unexpected error %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("normalizeArgs(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestNormalizeArgsErrors(t *testing.T) {
	cases := []struct {
		name     string
		in       []string
		contains []string
	}{
		{"unknown flag after positional", []string{"zt", "trace", "x", "--bogus"}, []string{"--bogus", "unknown flag"}},
		{"unknown flag before positional", []string{"zt", "trace", "--bogus", "x"}, []string{"--bogus"}},
		{"unknown flag=value", []string{"zt", "ps", "x", "--bogus=1"}, []string{"--bogus"}},
		{"unknown short flag", []string{"zt", "trace", "-Z"}, []string{"-Z"}},
		{"run unknown flag before the command", []string{"zt", "run", "--bogus", "--", "sh"}, []string{"--bogus"}},
		{"value flag missing its value", []string{"zt", "trace", "--duration"}, []string{"--duration", "value"}},
		{"value flag missing its value after positional", []string{"zt", "trace", "x", "-o"}, []string{"-o", "value"}},
		{"run value flag missing its value", []string{"zt", "run", "--user"}, []string{"--user", "value"}},
		{"unknown command", []string{"zt", "bogus"}, []string{"bogus", "unknown command"}},
		{"unknown command after global flag", []string{"zt", "--help", "frobnicate"}, []string{"frobnicate"}},
		// named by its path, so that the --help it points to exists
		{"report subcommand unknown flag", []string{"zt", "report", "explain", "-5", "f"}, []string{"report explain: unknown flag -5", "zombietrace report explain --help"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := normalizeArgs(newApp(), tc.in)
			if err == nil {
				t.Fatalf("normalizeArgs(%q) = %q, want an error", tc.in, got)
			}
			msg := err.Error()
			for _, s := range tc.contains {
				if !strings.Contains(msg, s) {
					t.Errorf("error %q does not mention %q", msg, s)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
		})
	}
}

// parsed is what a command action saw after urfave/cli parsed the
// normalised arguments.
type parsed struct {
	cmd   string
	args  []string
	out   string
	json  bool
	dur   time.Duration
	pid   int
	user  string
	comm  string
	minZ  time.Duration
	exact bool
}

// parseWithApp normalises args and runs the real app with every action
// replaced by one that records the parsed flags.
func parseWithApp(t *testing.T, args []string) parsed {
	t.Helper()
	app := newApp()
	app.Writer, app.ErrWriter = io.Discard, io.Discard
	var p parsed
	called := false
	for _, c := range app.Commands {
		c.Action = func(ctx *cli.Context) error {
			called = true
			p = parsed{cmd: ctx.Command.Name, args: ctx.Args().Slice(), out: ctx.String("output"),
				json: ctx.Bool("json"), exact: ctx.Bool("exact-waits")}
			if ctx.Command.Name != "ps" {
				p.user, p.comm, p.minZ = ctx.String("user"), ctx.String("comm"), ctx.Duration("min-zombie")
			}
			if ctx.Command.Name == "trace" {
				p.dur, p.pid = ctx.Duration("duration"), ctx.Int("pid")
			}
			return nil
		}
	}
	norm, err := normalizeArgs(app, args)
	if err != nil {
		t.Fatalf("normalizeArgs(%q): %v", args, err)
	}
	if err := app.Run(norm); err != nil {
		t.Fatalf("app.Run(%q) (normalised from %q): %v", norm, args, err)
	}
	if !called {
		t.Fatalf("app.Run(%q): no action called", norm)
	}
	if p.args == nil {
		p.args = []string{}
	}
	return p
}

// The normalised arguments parse as intended with the real flag set.
func TestNormalizedArgsParse(t *testing.T) {
	t.Run("trace flags after a positional", func(t *testing.T) {
		p := parseWithApp(t, []string{"zt", "trace", "x", "-o", "f", "--duration", "1s", "--json"})
		if p.out != "f" || p.dur != time.Second || !p.json || !reflect.DeepEqual(p.args, []string{"x"}) {
			t.Fatalf("got %+v", p)
		}
	})
	t.Run("trace equals forms", func(t *testing.T) {
		p := parseWithApp(t, []string{"zt", "trace", "--pid=42", "--min-zombie=100ms", "--comm=^py", "-o=out"})
		if p.pid != 42 || p.minZ != 100*time.Millisecond || p.comm != "^py" || p.out != "out" || len(p.args) != 0 {
			t.Fatalf("got %+v", p)
		}
	})
	t.Run("ps json after positional", func(t *testing.T) {
		p := parseWithApp(t, []string{"zt", "ps", "x", "--json"})
		if !p.json || !reflect.DeepEqual(p.args, []string{"x"}) {
			t.Fatalf("got %+v", p)
		}
	})
	t.Run("run keeps the command's -o", func(t *testing.T) {
		p := parseWithApp(t, []string{"zt", "run", "-o", "f", "--", "sh", "-c", "x", "-o", "y"})
		if p.out != "f" || !reflect.DeepEqual(p.args, []string{"sh", "-c", "x", "-o", "y"}) {
			t.Fatalf("got %+v", p)
		}
	})
	t.Run("run without -- keeps everything after the command", func(t *testing.T) {
		p := parseWithApp(t, []string{"zt", "run", "--exact-waits", "-u", "nobody", "sh", "-c", "x", "--json", "--", "-o", "y"})
		if p.out != "" || p.json || !p.exact || p.user != "nobody" ||
			!reflect.DeepEqual(p.args, []string{"sh", "-c", "x", "--json", "--", "-o", "y"}) {
			t.Fatalf("got %+v", p)
		}
	})
	t.Run("run command starting with a dash word after --", func(t *testing.T) {
		p := parseWithApp(t, []string{"zt", "run", "--json", "--", "--weird", "a"})
		if !p.json || !reflect.DeepEqual(p.args, []string{"--weird", "a"}) {
			t.Fatalf("got %+v", p)
		}
	})
}

// cli runs the app in this process as main does (no tracing command here).
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb strings.Builder
	code = execute(context.Background(), append([]string{"zombietrace"}, args...), &out, &errb)
	return out.String(), errb.String(), code
}

// zombietrace help [COMMAND] works as report help does; it was an unknown
// command.
func TestHelpCommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"help"}, "COMMANDS:"},
		{[]string{"h"}, "COMMANDS:"},
		{[]string{"help", "trace"}, "zombietrace trace - "},
		{[]string{"help", "report"}, "zombietrace report - "},
		{[]string{"report", "help"}, "zombietrace report - "},
	} {
		out, errs, code := runCLI(t, tc.args...)
		if code != 0 || !strings.Contains(out, tc.want) || errs != "" {
			t.Errorf("zombietrace %q: code %d, stdout without %q or stderr %q:\n%s", tc.args, code, tc.want, errs, out)
		}
	}
	out, errs, code := runCLI(t, "help", "bogus")
	if code == 0 || out != "" || errs != "zombietrace: help: unknown command \"bogus\" (see zombietrace --help)\n" {
		t.Errorf("help bogus: code %d, stdout %q, stderr %q", code, out, errs)
	}
}

// -v is --verbose wherever it exists; the version is --version alone (it
// was global -v, while trace -v meant verbose).
func TestVersionFlag(t *testing.T) {
	out, errs, code := runCLI(t, "--version")
	if code != 0 || out != "zombietrace version "+version+"\n" || errs != "" {
		t.Errorf("--version: code %d, stdout %q, stderr %q", code, out, errs)
	}
	out, errs, code = runCLI(t, "-v")
	if code == 0 || out != "" || errs != "zombietrace: unknown flag -v (see zombietrace --help)\n" {
		t.Errorf("-v: code %d, stdout %q, stderr %q", code, out, errs)
	}
	out, _, _ = runCLI(t, "--help")
	if !strings.Contains(out, "--version") || strings.Contains(out, "-v ") || strings.Contains(out, "-v,") {
		t.Errorf("--help does not show --version alone:\n%s", out)
	}
	for _, command := range []string{"trace", "run"} {
		out, _, _ := runCLI(t, "help", command)
		if !strings.Contains(out, "--verbose, -v") {
			t.Errorf("help %s: no --verbose, -v:\n%s", command, out)
		}
	}
}

// writable says why a file cannot be written, before anything runs.
func TestWritable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, err string
	}{
		{file, ""},
		{filepath.Join(dir, "new.svg"), ""},
		{"/dev/null", ""},
		{dir, "is a directory"},
		{filepath.Join(dir, "missing", "x.svg"), "no directory " + filepath.Join(dir, "missing")},
		{filepath.Join(file, "x.svg"), file + " is not a directory"},
	} {
		err := writable(tc.path)
		if (err == nil) != (tc.err == "") || err != nil && err.Error() != tc.err {
			t.Errorf("writable(%q) = %v, want %q", tc.path, err, tc.err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "new.svg")); err == nil {
		t.Error("writable created the file")
	}
}
