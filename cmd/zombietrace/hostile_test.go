//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// hostileScenario forks children that name themselves (prctl) with terminal
// escapes, line breaks and bytes that are not UTF-8, and one that execs a
// file whose name holds them; prints their pids, then sleeps without
// waiting: they stay zombies until it exits.
const hostileScenario = `
import ctypes, os, sys, time
libc = ctypes.CDLL(None)
names = [b"\x1b[31mred\x1b[0m", b"\x1b]0;pwn\x07", b"cr\rlf\ntab\t", b"del\x7fc1\xc2\x9bx", b"bad\xff\xfe"]
kids = []
for n in names:
    pid = os.fork()
    if pid == 0:
        libc.prctl(15, n, 0, 0, 0)
        os._exit(0)
    kids.append(pid)
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1]])
kids.append(pid)
print(" ".join(map(str, kids)), flush=True)
time.sleep(float(sys.argv[2]))
`

// assertPrintable fails when out holds a byte that a terminal acts on (C0
// controls but the line break, DEL, C1) or is not UTF-8, and when it does
// not show want, the escaped form of one of the names.
func assertPrintable(t *testing.T, what, out, want string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("%s: output is not valid UTF-8:\n%q", what, out)
	}
	for _, r := range out {
		if (r < 0x20 && r != '\n') || (r >= 0x7f && r <= 0x9f) {
			t.Errorf("%s: raw control character %U in the output:\n%q", what, r, out)
			break
		}
	}
	if !strings.Contains(out, want) {
		t.Errorf("%s: %q not in the output:\n%s", what, want, out)
	}
}

// Process names reach every human output escaped: ps, run's report (to a
// file), a recording's report, its events, tree and explain views.
func TestHostileNames(t *testing.T) {
	e2e(t)
	dir := t.TempDir()
	exe := filepath.Join(dir, "ex\x1b[2Jy\nz")
	if err := os.Symlink("/bin/true", exe); err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(dir, "r.zt")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	recorder := startCaptured(t, ztCmd(ctx, "record", "-o", rec, "--duration", "8s"))
	time.Sleep(1500 * time.Millisecond) // attached (a record starts in well under a second)

	report := filepath.Join(dir, "report.txt")
	runner := startCaptured(t, ztCmd(ctx, "run", "-o", report, "--", python, "-c", hostileScenario, exe, "3"))
	var kids []int
	for deadline := time.Now().Add(10 * time.Second); len(kids) == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the scenario printed no pids: %q", runner.stdout.String())
		}
		if line, ok := strings.CutSuffix(runner.stdout.String(), "\n"); ok {
			for _, f := range strings.Fields(line) {
				pid, err := strconv.Atoi(f)
				if err != nil {
					t.Fatalf("scenario printed %q", line)
				}
				kids = append(kids, pid)
			}
		}
	}
	for _, pid := range kids {
		for deadline := time.Now().Add(5 * time.Second); procState(pid) != "Z"; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("child %d is not a zombie (state %q)", pid, procState(pid))
			}
		}
	}
	for _, args := range [][]string{{"ps"}, {"ps", "--all"}} {
		r := zt(t, 20*time.Second, args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
		}
		assertPrintable(t, strings.Join(args, " "), r.stdout, `\x1b[31mred\x1b[0m`)
		assertPrintable(t, strings.Join(args, " "), r.stdout, `ex\x1b[2Jy\nz`)
	}
	if r := runner.wait(t, ctx); r.code != 0 {
		t.Fatalf("run: exit %d: %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`\x1b]0;pwn\x07`, `cr\rlf\ntab\t`, `del\x7fc1\u{009b}x`, `bad\xff\xfe`, `ex\x1b[2Jy\nz`} {
		assertPrintable(t, "run -o", string(b), want)
	}
	if r := recorder.wait(t, ctx); r.code != 0 {
		t.Fatalf("record: exit %d: %s", r.code, r.stderr)
	}
	for _, c := range []struct {
		args []string
		want string // "" when the view shows no child's name
	}{
		{[]string{"report", rec}, ""},
		{[]string{"report", "events", rec}, `red\x1b[0m`},
		{[]string{"report", "tree", "--at", "4s", rec}, `red\x1b[0m`},
		{[]string{"report", "explain", fmt.Sprint(kids[len(kids)-1]), rec}, `ex\x1b[2Jy\nz`}, // its exec's path
	} {
		r := zt(t, 30*time.Second, c.args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d: %s", c.args, r.code, r.stderr)
		}
		assertPrintable(t, strings.Join(c.args[:len(c.args)-1], " "), r.stdout+r.stderr, c.want)
	}
}
