//go:build linux

package main

// End-to-end tests of the zombietrace CLI: the binary is built once in
// TestMain and run as a subprocess. Tests that load BPF need root (see
// requireRoot). The test process is a child subreaper: whatever the tested
// programs orphan is inherited by it and reaped after each test, so no test
// leaves a zombie or a stray process behind (pid 1 here reaps ~1.3 s late).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zombietrace/zombietrace/internal/testenv"
)

var (
	ztBin        string // the built zombietrace binary
	scenariosDir string // testdata/scenarios of the project
)

const python = "/usr/bin/python3"

func TestMain(m *testing.M) {
	testenv.Main(m, setup)
}

// setup builds the binary (testenv.Main has made this process a subreaper
// and reaps whatever is left after the tests).
func setup() (teardown func(), err error) {
	if scenariosDir, err = filepath.Abs("../../testdata/scenarios"); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "zombietrace-e2e-")
	if err != nil {
		return nil, err
	}
	teardown = func() { os.RemoveAll(dir) }
	// Readable by nobody (the not-root test runs the binary as uid 65534).
	if err := os.Chmod(dir, 0o755); err != nil {
		teardown()
		return nil, err
	}
	// Only the privileged tests run the binary (the others skip, or fail in
	// CI, without it): do not require a Go build cache for a non-root run.
	if os.Geteuid() == 0 {
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		ztBin = filepath.Join(dir, "zombietrace")
		build := exec.Command(goTool, "build", "-o", ztBin, ".")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			teardown()
			return nil, fmt.Errorf("building zombietrace: %w", err)
		}
	}
	return teardown, nil
}

// requireRoot skips a test that loads BPF when not root (fails in CI).
func requireRoot(t *testing.T) {
	t.Helper()
	testenv.RequireBPF(t)
}

// e2e prepares a privileged end-to-end test: root, and every process the
// test leaves to this (subreaper) process is reaped when it ends.
func e2e(t *testing.T) {
	t.Helper()
	requireRoot(t)
	t.Cleanup(func() { testenv.ReapChildren(t, 5*time.Second) })
}

// result of one zombietrace run.
type result struct {
	stdout, stderr string
	code           int
	elapsed        time.Duration
}

// ztCmd prepares a zombietrace subprocess in its own process group (so a
// timeout kills the whole tree).
func ztCmd(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, ztBin, args...)
	cmd.Dir = filepath.Dir(scenariosDir) // the project's testdata
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return unix.Kill(-cmd.Process.Pid, unix.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// waitResult waits for a started command; a timeout is a test failure.
func waitResult(t *testing.T, ctx context.Context, cmd *exec.Cmd, stdout, stderr *bytes.Buffer, start time.Time) result {
	t.Helper()
	err := cmd.Wait()
	r := result{stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("zombietrace %q did not end in time (killed after %v)\nstdout:\n%s\nstderr:\n%s",
			cmd.Args[1:], r.elapsed, r.stdout, r.stderr)
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			t.Fatalf("zombietrace %q was killed by %v\nstderr:\n%s", cmd.Args[1:], ws.Signal(), r.stderr)
		}
	default:
		t.Fatalf("zombietrace %q: %v", cmd.Args[1:], err)
	}
	assertNoPanic(t, r.stderr)
	return r
}

// running is a started zombietrace whose output is captured.
type running struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	start          time.Time
}

// startCaptured starts cmd (from ztCmd) with its output captured.
func startCaptured(t *testing.T, cmd *exec.Cmd) *running {
	t.Helper()
	r := &running{cmd: cmd}
	cmd.Stdout, cmd.Stderr = &r.stdout, &r.stderr
	r.start = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *running) wait(t *testing.T, ctx context.Context) result {
	t.Helper()
	return waitResult(t, ctx, r.cmd, &r.stdout, &r.stderr, r.start)
}

func (r *running) waitNoFatal(ctx context.Context) asyncResult {
	return waitResultNoFatal(ctx, r.cmd, &r.stdout, &r.stderr, r.start)
}

// zt runs zombietrace to completion (bounded by timeout).
func zt(t *testing.T, timeout time.Duration, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return startCaptured(t, ztCmd(ctx, args...)).wait(t, ctx)
}

func assertNoPanic(t *testing.T, stderr string) {
	t.Helper()
	for _, s := range []string{"panic:", "goroutine ", "runtime error", "[signal "} {
		if strings.Contains(stderr, s) {
			t.Fatalf("zombietrace crashed (%q in stderr):\n%s", s, stderr)
		}
	}
}

// waitForFile waits until path exists and is not empty.
func waitForFile(t *testing.T, path string, timeout time.Duration, alive func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return
		}
		if alive != nil && !alive() {
			t.Fatalf("the process ended before writing %s", path)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s not written within %v", path, timeout)
}

// ---- JSON Lines helpers ----

type line map[string]any

func readJSONL(t *testing.T, path string) []line {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseJSONL(t, string(b))
}

func parseJSONL(t *testing.T, s string) []line {
	t.Helper()
	var out []line
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		d.UseNumber()
		var l line
		if err := d.Decode(&l); err != nil {
			t.Fatalf("line %d is not JSON: %v: %q", n, err, sc.Text())
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("no JSON lines in output")
	}
	return out
}

func (l line) typ() string { s, _ := l["type"].(string); return s }

func (l line) int(k string) int64 {
	n, ok := l[k].(json.Number)
	if !ok {
		return -1
	}
	v, err := n.Int64()
	if err != nil {
		return -1
	}
	return v
}

func (l line) str(k string) string { s, _ := l[k].(string); return s }

func (l line) bool(k string) bool { b, _ := l[k].(bool); return b }

func (l line) String() string { b, _ := json.Marshal(map[string]any(l)); return string(b) }

var processTypes = map[string][]string{
	"fork":     {"ppid"},
	"exec":     {"filename"},
	"exit":     {"ppid", "exit_code", "signal", "core_dumped"},
	"reap":     {"ppid", "zombie_ns", "reaped_by", "reaper_pid", "reaper_comm", "uncertain"},
	"reparent": {"old_ppid", "new_ppid"},
}

// checkContract checks the structure every JSON Lines output must have:
// start first, summary last, and the fields of every line.
func checkContract(t *testing.T, lines []line, mode string) {
	t.Helper()
	first, last := lines[0], lines[len(lines)-1]
	if first.typ() != "start" || first.int("schema") != 1 || first.str("version") == "" || first.str("kernel") == "" {
		t.Errorf("first line is not a schema 1 start line: %v", first)
	}
	if mode != "" && first.str("mode") != mode {
		t.Errorf("start line mode = %q, want %q", first.str("mode"), mode)
	}
	if last.typ() != "summary" {
		t.Errorf("last line is not the summary: %v", last)
	} else {
		for _, k := range []string{"duration_ns", "processes", "lost_events", "zombies", "parents"} {
			if _, ok := last[k]; !ok {
				t.Errorf("summary has no %q: %v", k, last)
			}
		}
		if _, ok := last["zombies"].([]any); !ok {
			t.Errorf("summary zombies is not a list: %v", last)
		}
		if _, ok := last["parents"].([]any); !ok {
			t.Errorf("summary parents is not a list: %v", last)
		}
	}
	for i, l := range lines {
		typ := l.typ()
		if (typ == "start") != (i == 0) || (typ == "summary") != (i == len(lines)-1) {
			t.Errorf("line %d: %q line out of place: %v", i+1, typ, l)
		}
		if typ == "start" || typ == "summary" {
			continue
		}
		ts := l.str("time")
		tm, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil || !strings.HasSuffix(ts, "Z") {
			t.Errorf("line %d: time %q is not RFC 3339 UTC: %v", i+1, ts, err)
		} else if d := time.Since(tm); d < -time.Minute || d > 10*time.Minute {
			t.Errorf("line %d: time %v is not now (%v off)", i+1, tm, d)
		}
		if typ == "lost" {
			if l.int("count") <= 0 {
				t.Errorf("line %d: lost line without a count: %v", i+1, l)
			}
			continue
		}
		fields, ok := processTypes[typ]
		if !ok {
			t.Errorf("line %d: unknown type %q: %v", i+1, typ, l)
			continue
		}
		if l.int("pid") <= 0 || l.int("start_ns") <= 0 || l.str("comm") == "" {
			t.Errorf("line %d: process line without pid, start_ns or comm: %v", i+1, l)
		}
		for _, k := range fields {
			if _, ok := l[k]; !ok {
				t.Errorf("line %d: %s line has no %q: %v", i+1, typ, k, l)
			}
		}
	}
}

func linesOf(lines []line, typ string, pid int) []line {
	var out []line
	for _, l := range lines {
		if l.typ() == typ && (pid == 0 || l.int("pid") == int64(pid)) {
			out = append(out, l)
		}
	}
	return out
}

// oneLine returns the only line of that type for pid.
func oneLine(t *testing.T, lines []line, typ string, pid int) line {
	t.Helper()
	ls := linesOf(lines, typ, pid)
	if len(ls) != 1 {
		t.Fatalf("want exactly one %s line for pid %d, got %d: %v\nall lines:\n%s", typ, pid, len(ls), ls, dump(lines))
	}
	return ls[0]
}

func dump(lines []line) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// scenarioPids parses the one line a scenario prints on stdout.
func scenarioPids(t *testing.T, stdout string) map[string]int {
	t.Helper()
	var v struct {
		Pids map[string]json.RawMessage `json:"pids"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(stdout)), &v); err != nil {
		t.Fatalf("scenario stdout is not its JSON line: %v: %q", err, stdout)
	}
	out := make(map[string]int)
	for k, raw := range v.Pids {
		var n int
		if json.Unmarshal(raw, &n) == nil {
			out[k] = n
		}
	}
	return out
}

func summaryParent(lines []line, pid int) line {
	last := lines[len(lines)-1]
	ps, _ := last["parents"].([]any)
	for _, p := range ps {
		m, _ := p.(map[string]any)
		if l := line(m); l.int("pid") == int64(pid) {
			return l
		}
	}
	return nil
}

// ---- run ----

func TestRunScenarioJSON(t *testing.T) {
	for _, tc := range []struct {
		name, mode string
		flags      []string
	}{
		{"light", "light", nil},
		{"exact", "exact", []string{"--exact-waits"}},
		{"light-live-fallback", "light", []string{"--live-fallback"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e2e(t)
			out := filepath.Join(t.TempDir(), "out.jsonl")
			args := append([]string{"run", "--json", "-o", out}, tc.flags...)
			args = append(args, "--", python, filepath.Join(scenariosDir, "mp_nojoin.py"))
			r := zt(t, 30*time.Second, args...)
			if r.code != 0 {
				t.Fatalf("exit code %d, want 0; stderr:\n%s", r.code, r.stderr)
			}
			if r.stderr != "" {
				t.Errorf("stderr not empty with -o FILE: %q", r.stderr)
			}
			pids := scenarioPids(t, r.stdout) // stdout is the scenario's only
			parent, child := pids["parent"], pids["child"]
			if parent == 0 || child == 0 {
				t.Fatalf("scenario pids: %v", pids)
			}
			lines := readJSONL(t, out)
			checkContract(t, lines, tc.mode)

			reap := oneLine(t, lines, "reap", child)
			if reap.str("reaped_by") != "parent" || reap.int("reaper_pid") != int64(parent) || reap.int("ppid") != int64(parent) {
				t.Errorf("child reap: want reaped_by parent %d (ppid %d): %v", parent, parent, reap)
			}
			if z := reap.int("zombie_ns"); z < 3e8 || z > 3e9 {
				t.Errorf("child zombie_ns = %d, want 0.3e9..3e9 (the parent sleeps 0.5 s): %v", z, reap)
			}
			if reap.bool("uncertain") && lines[len(lines)-1].int("lost_events") == 0 {
				t.Errorf("child reap uncertain without lost events: %v", reap)
			}
			exit := oneLine(t, lines, "exit", child)
			if exit.int("exit_code") != 0 || exit.int("signal") != 0 || exit.int("ppid") != int64(parent) {
				t.Errorf("child exit line: %v", exit)
			}
			if fork := oneLine(t, lines, "fork", child); fork.int("ppid") != int64(parent) {
				t.Errorf("child fork line: %v", fork)
			}
			if l := linesOf(lines, "exec", parent); len(l) == 0 || !strings.HasSuffix(l[0].str("filename"), "python3") {
				t.Errorf("no exec line of python3 for the scenario %d: %v", parent, l)
			}
			// The scenario itself: reaped by zombietrace (its parent).
			preap := oneLine(t, lines, "reap", parent)
			if preap.str("reaped_by") != "parent" || preap.int("reaper_pid") != preap.int("ppid") {
				t.Errorf("scenario reap: %v", preap)
			}
			sp := summaryParent(lines, parent)
			if sp == nil {
				t.Fatalf("scenario parent %d not in the summary: %v", parent, lines[len(lines)-1])
			}
			if sp.int("children") != 1 || sp.int("reaped") != 1 || sp.int("outstanding") != 0 ||
				sp.int("zombie_ns_max") != reap.int("zombie_ns") {
				t.Errorf("summary of parent %d: %v (reap %v)", parent, sp, reap)
			}
		})
	}
}

// A pid-namespace init that never waits leaves its children zombies until
// it dies and the kernel reaps them, with no wait syscall: the free events
// that show it come seconds later (lazy RCU), after run has ended. They are
// found gone, not listed as outstanding.
func TestRunSettlesZombiesGoneUnseen(t *testing.T) {
	e2e(t)
	exe := filepath.Join(t.TempDir(), "pidns_init")
	if out, err := exec.Command("cc", "-O2", "-o", exe, filepath.Join(scenariosDir, "pidns_init.c")).CombinedOutput(); err != nil {
		t.Fatalf("cc: %v %s", err, out)
	}
	out := filepath.Join(t.TempDir(), "out.jsonl")
	r := zt(t, 30*time.Second, "run", "--json", "-o", out, "--", exe)
	if r.code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", r.code, r.stderr)
	}
	var scenario struct {
		Pids struct {
			Children []int `json:"children"`
		} `json:"pids"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &scenario); err != nil || len(scenario.Pids.Children) != 3 {
		t.Fatalf("scenario output %q: %v", r.stdout, err)
	}
	children := scenario.Pids.Children
	lines := readJSONL(t, out)
	checkContract(t, lines, "light")
	for _, c := range children {
		reap := oneLine(t, lines, "reap", c)
		if reap.str("reaped_by") != "unseen" || !reap.bool("uncertain") {
			t.Errorf("child %d: %v, want reaped unseen, uncertain", c, reap)
		}
		if m := reap.str("method"); m != "gone" && m != "free" {
			t.Errorf("child %d: method %q, want gone (or free, had its free event come)", c, m)
		}
	}
	if z := lines[len(lines)-1]["zombies"].([]any); len(z) != 0 {
		t.Errorf("outstanding zombies in the summary: %v", z)
	}
}

func TestRunStdoutIsTheCommands(t *testing.T) {
	e2e(t)
	r := zt(t, 20*time.Second, "run", "--", "sh", "-c", "echo hello")
	if r.code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", r.code, r.stderr)
	}
	if r.stdout != "hello\n" {
		t.Errorf("stdout = %q, want exactly %q (the report must not go to stdout)", r.stdout, "hello\n")
	}
	if !strings.HasPrefix(r.stderr, "zombietrace ") || !strings.Contains(r.stderr, "SUMMARY:") {
		t.Errorf("the report is not on stderr:\n%s", r.stderr)
	}

	r = zt(t, 20*time.Second, "run", "-o", "-", "--", "sh", "-c", "echo hello")
	if r.code != 0 {
		t.Fatalf("-o -: exit code %d; stderr:\n%s", r.code, r.stderr)
	}
	if !strings.Contains("\n"+r.stdout, "\nhello\n") || !strings.Contains(r.stdout, "SUMMARY:") ||
		!strings.Contains(r.stdout, "zombietrace ") {
		t.Errorf("-o -: want the command's output and the report on stdout, got:\n%s", r.stdout)
	}
	if r.stderr != "" {
		t.Errorf("-o -: stderr not empty: %q", r.stderr)
	}

	// JSON to stdout: the command's line plus valid JSON Lines.
	r = zt(t, 20*time.Second, "run", "--json", "-o", "-", "--", "sh", "-c", "echo hello")
	if r.code != 0 {
		t.Fatalf("--json -o -: exit code %d; stderr:\n%s", r.code, r.stderr)
	}
	var js []string
	found := false
	for _, l := range strings.SplitAfter(r.stdout, "\n") {
		if l == "hello\n" {
			found = true
		} else if l != "" {
			js = append(js, l)
		}
	}
	if !found {
		t.Errorf("--json -o -: no hello line in stdout:\n%s", r.stdout)
	}
	checkContract(t, parseJSONL(t, strings.Join(js, "")), "light")
}

func TestRunExitStatus(t *testing.T) {
	e2e(t)
	for _, tc := range []struct {
		script string
		want   int
	}{
		{"exit 0", 0},
		{"exit 3", 3},
		{"kill -9 $$", 137},
		{"kill -TERM $$", 143},
	} {
		r := zt(t, 20*time.Second, "run", "--", "sh", "-c", tc.script)
		if r.code != tc.want {
			t.Errorf("run -- sh -c %q: exit code %d, want %d; stderr:\n%s", tc.script, r.code, tc.want, r.stderr)
		}
		if strings.Contains(r.stderr, "zombietrace: ") {
			t.Errorf("run -- sh -c %q: an error message for the command's status: %s", tc.script, r.stderr)
		}
	}
}

func TestRunForwardsSIGTERM(t *testing.T) {
	e2e(t)
	dir := t.TempDir()
	ready, out := filepath.Join(dir, "ready"), filepath.Join(dir, "out.jsonl")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := ztCmd(ctx, "run", "--json", "-o", out, "--ready-file", ready, "--", "sleep", "30")
	zr := startCaptured(t, cmd)
	exited := make(chan struct{})
	var r asyncResult
	go func() { defer close(exited); r = zr.waitNoFatal(ctx) }()
	alive := func() bool {
		select {
		case <-exited:
			return false
		default:
			return true
		}
	}
	waitForFile(t, ready, 15*time.Second, alive)
	if b, _ := os.ReadFile(ready); strings.TrimSpace(string(b)) != strconv.Itoa(cmd.Process.Pid) {
		t.Errorf("ready file holds %q, want zombietrace's pid %d", b, cmd.Process.Pid)
	}
	// The ready file is written before the command is started (and before
	// signals are forwarded): a SIGTERM sent at once can be lost, which
	// TestRunSignalDuringSetup covers. Here: forwarding once the command runs.
	deadline := time.Now().Add(10 * time.Second)
	for !hasChild(cmd.Process.Pid, "sleep") {
		if time.Now().After(deadline) || !alive() {
			t.Fatalf("the command (sleep) never started under zombietrace %d", cmd.Process.Pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
	sent := time.Now()
	if err := unix.Kill(cmd.Process.Pid, unix.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("zombietrace did not end within 10 s of SIGTERM (signal not forwarded to the command?)")
	}
	if r.err != nil {
		t.Fatalf("zombietrace: %v\nstderr:\n%s", r.err, r.stderr)
	}
	assertNoPanic(t, r.stderr)
	if r.code != 143 {
		t.Errorf("exit code %d, want 143 (128+SIGTERM); stderr:\n%s", r.code, r.stderr)
	}
	if d := time.Since(sent); d > 5*time.Second {
		t.Errorf("took %v after SIGTERM to exit", d)
	}
	lines := readJSONL(t, out)
	checkContract(t, lines, "light")
	var sleepPid int64
	for _, l := range linesOf(lines, "exec", 0) {
		if strings.HasSuffix(l.str("filename"), "sleep") {
			sleepPid = l.int("pid")
		}
	}
	if sleepPid == 0 {
		t.Fatalf("no exec line for sleep:\n%s", dump(lines))
	}
	if ex := oneLine(t, lines, "exit", int(sleepPid)); ex.int("signal") != 15 {
		t.Errorf("sleep's exit line: want signal 15: %v", ex)
	}
}

// hasChild reports whether pid has a live child with that comm.
func hasChild(pid int, comm string) bool {
	for _, k := range testenv.Children(pid) {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", k)); err == nil && strings.TrimSpace(string(b)) == comm {
			return true
		}
	}
	return false
}

// A SIGTERM that arrives while zombietrace sets up (loads BPF, before the
// command starts) must not be lost: zombietrace must end soon, either not
// starting the command or forwarding the signal to it, and not report
// success. (The user pressed Ctrl-C or systemd stopped the unit.)
func TestRunSignalDuringSetup(t *testing.T) {
	e2e(t)
	for _, sig := range []unix.Signal{unix.SIGTERM, unix.SIGINT} {
		t.Run(unix.SignalName(sig), func(t *testing.T) {
			ready := filepath.Join(t.TempDir(), "ready")
			cmd := ztCmd(context.Background(), "run", "--ready-file", ready, "--", "sleep", "30")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			time.Sleep(15 * time.Millisecond) // the Go runtime is up; BPF is being loaded
			if _, err := os.Stat(ready); err == nil {
				t.Logf("setup was already over when the signal was sent")
			}
			sent := time.Now()
			if err := unix.Kill(cmd.Process.Pid, sig); err != nil {
				t.Fatal(err)
			}
			var err error
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				started := hasChild(cmd.Process.Pid, "sleep")
				_ = unix.Kill(-cmd.Process.Pid, unix.SIGKILL)
				<-done
				t.Fatalf("%v sent %v after start, during setup: zombietrace still running 5 s later (command started anyway: %v); the signal was lost",
					sig, 15*time.Millisecond, started)
			}
			assertNoPanic(t, stderr.String())
			var ee *exec.ExitError
			switch {
			case err == nil:
				t.Errorf("%v during setup: zombietrace exited 0 after %v, want a non-zero status", sig, time.Since(sent))
			case errors.As(err, &ee):
				ws := ee.Sys().(syscall.WaitStatus)
				if !(ws.Signaled() && ws.Signal() == syscall.Signal(sig)) && ee.ExitCode() != 128+int(sig) && ee.ExitCode() <= 0 {
					t.Errorf("%v during setup: status %v", sig, ws)
				}
			default:
				t.Fatal(err)
			}
		})
	}
}

type asyncResult struct {
	result
	err error
}

func waitResultNoFatal(ctx context.Context, cmd *exec.Cmd, stdout, stderr *bytes.Buffer, start time.Time) asyncResult {
	err := cmd.Wait()
	r := asyncResult{result: result{stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start)}}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.err = fmt.Errorf("killed at the timeout")
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.err = fmt.Errorf("killed by %v", ws.Signal())
		}
	default:
		r.err = err
	}
	return r
}

func TestRunUser(t *testing.T) {
	e2e(t)
	r := zt(t, 20*time.Second, "run", "--user", "nobody", "--", "id", "-u")
	if r.code != 0 || r.stdout != "65534\n" {
		t.Errorf("run --user nobody -- id -u: code %d, stdout %q, want 0 and %q; stderr:\n%s", r.code, r.stdout, "65534\n", r.stderr)
	}
	r = zt(t, 20*time.Second, "run", "--user", "nobody", "--", "id", "-g")
	if r.code != 0 || r.stdout != "65534\n" {
		t.Errorf("run --user nobody -- id -g: code %d, stdout %q, want 0 and %q; stderr:\n%s", r.code, r.stdout, "65534\n", r.stderr)
	}
}

func TestRunReapsOrphans(t *testing.T) {
	e2e(t)
	out := filepath.Join(t.TempDir(), "out.jsonl")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	zr := startCaptured(t, ztCmd(ctx, "run", "--json", "-o", out, "--", python, filepath.Join(scenariosDir, "orphan.py")))
	ztPid := zr.cmd.Process.Pid
	r := zr.wait(t, ctx)
	// Right after zombietrace ended: nothing was left to this (subreaper)
	// process, i.e. zombietrace waited for the orphan.
	var ws unix.WaitStatus
	if pid, err := unix.Wait4(-1, &ws, unix.WNOHANG|unix.WALL, nil); !errors.Is(err, unix.ECHILD) {
		t.Errorf("after zombietrace exited, this process still had children (wait4 = %d, %v; %v): zombietrace did not wait for the orphan",
			pid, err, testenv.Describe(testenv.Children(os.Getpid())))
	}
	if r.code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", r.code, r.stderr)
	}
	pids := scenarioPids(t, r.stdout)
	parent, child := pids["parent"], pids["child"]
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", child)); err == nil {
		t.Errorf("the orphan %d still exists after zombietrace exited", child)
	}
	if r.elapsed < 250*time.Millisecond {
		t.Errorf("zombietrace ended after %v, before the orphan's 0.3 s sleep", r.elapsed)
	}
	lines := readJSONL(t, out)
	checkContract(t, lines, "light")
	rep := oneLine(t, lines, "reparent", child)
	if rep.int("new_ppid") != int64(ztPid) || rep.int("old_ppid") != int64(parent) {
		t.Errorf("reparent of %d: want %d -> %d (zombietrace): %v", child, parent, ztPid, rep)
	}
	reap := oneLine(t, lines, "reap", child)
	if reap.str("reaped_by") != "reaper" || reap.int("reaper_pid") != int64(ztPid) {
		t.Errorf("orphan reap: want reaped_by reaper %d: %v", ztPid, reap)
	}
	if z := reap.int("zombie_ns"); z < 0 || z > 1e9 {
		t.Errorf("orphan zombie_ns = %d, want small (zombietrace reaps at once): %v", z, reap)
	}
	if ex := oneLine(t, lines, "exit", child); ex.int("ppid") != int64(ztPid) {
		t.Errorf("orphan exit: want ppid %d (its parent then): %v", ztPid, ex)
	}
}

// descendantsOf lists pid's live descendants (from /proc).
func descendantsOf(pid int) []int {
	var out []int
	for queue := testenv.Children(pid); len(queue) > 0; queue = queue[1:] {
		out = append(out, queue[0])
		queue = append(queue, testenv.Children(queue[0])...)
	}
	return out
}

// procStart is pid's start time in ticks (/proc/PID/stat field 22), "" if
// it is gone or a zombie: a pid and its start name one process.
func procStart(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]) // state is field 3
	if len(f) < 20 || f[0] == "Z" {
		return ""
	}
	return f[19]
}

// leaverScript exits 3 and leaves background jobs: one in a session of its
// own with a child of its own. Background jobs of a non-interactive shell
// ignore SIGINT. They do not hold zombietrace's output pipes, which the
// test reads to their end.
const leaverScript = `sleep 30 >/dev/null 2>&1 & setsid sh -c 'sleep 30; true' >/dev/null 2>&1 & exit 3`

// startLeaver runs zombietrace run on leaverScript and returns once the
// command has ended, leaving its three processes to zombietrace: their pids
// and start times.
func startLeaver(t *testing.T, ctx context.Context, out string, flags ...string) (*running, map[int]string) {
	t.Helper()
	ready := out + ".ready"
	args := append(append([]string{"run", "--json", "-o", out, "--ready-file", ready}, flags...), "--", "sh", "-c", leaverScript)
	zr := startCaptured(t, ztCmd(ctx, args...))
	waitForFile(t, ready, 15*time.Second, nil)
	zt := zr.cmd.Process.Pid
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		left, command, sleeps := map[int]string{}, false, 0
		for _, p := range descendantsOf(zt) {
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p))
			command = command || strings.HasSuffix(string(b), leaverScript+"\x00")
			if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", p)); strings.TrimSpace(string(b)) == "sleep" {
				sleeps++
			}
			if st := procStart(p); st != "" {
				left[p] = st
			}
		}
		if !command && sleeps == 2 && len(left) == 3 {
			return zr, left
		}
		if time.Now().After(deadline) {
			t.Fatalf("the command did not end leaving its 3 processes to zombietrace %d: %v", zt, testenv.Describe(descendantsOf(zt)))
		}
	}
}

// After the command has ended, run holds what it left. The first SIGINT,
// SIGTERM or SIGHUP goes to all of it, whatever its session; SIGKILL
// follows after --kill-grace (2 s), or at a second signal; the status is
// the command's. run ignored two SIGINTs and a SIGTERM and waited the
// orphans out (a daemon: forever).
func TestRunStopsWhatTheCommandLeft(t *testing.T) {
	e2e(t)
	for _, tc := range []struct {
		name     string
		flags    []string
		sigs     []syscall.Signal
		min, max time.Duration // from the first signal to zombietrace's end
	}{
		{"SIGINT then the grace", nil, []syscall.Signal{syscall.SIGINT}, 1800 * time.Millisecond, 8 * time.Second},
		{"second SIGINT", []string{"--kill-grace", "1m"}, []syscall.Signal{syscall.SIGINT, syscall.SIGINT}, 0, 5 * time.Second},
		{"SIGTERM", []string{"--kill-grace", "1m"}, []syscall.Signal{syscall.SIGTERM}, 0, 5 * time.Second},
		{"SIGHUP", []string{"--kill-grace", "1m"}, []syscall.Signal{syscall.SIGHUP}, 0, 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Cleanup(func() { killDescendants(t) }) // after a failure
			ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
			defer cancel()
			out := filepath.Join(t.TempDir(), "out.jsonl")
			zr, left := startLeaver(t, ctx, out, tc.flags...)
			sent := time.Now()
			for i, sig := range tc.sigs {
				if i > 0 {
					time.Sleep(300 * time.Millisecond)
				}
				if err := zr.cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
			}
			r := zr.wait(t, ctx)
			took := time.Since(sent)
			if r.code != 3 || r.stderr != "" {
				t.Errorf("exit code %d, want the command's 3; stderr:\n%s", r.code, r.stderr)
			}
			if took < tc.min || took > tc.max {
				t.Errorf("ended %v after the first signal, want %v to %v", took, tc.min, tc.max)
			}
			for pid, start := range left {
				if procStart(pid) == start {
					t.Errorf("%v outlived zombietrace", testenv.Describe([]int{pid}))
				}
			}
			checkContract(t, readJSONL(t, out), "")
		})
	}
	t.Run("exit with command", func(t *testing.T) {
		t.Cleanup(func() { killDescendants(t) })
		out := filepath.Join(t.TempDir(), "out.jsonl")
		r := zt(t, 25*time.Second, "run", "--json", "-o", out, "--exit-with-command", "--", "sh", "-c", leaverScript)
		if r.code != 3 || r.stderr != "" {
			t.Errorf("exit code %d, want the command's 3; stderr:\n%s", r.code, r.stderr)
		}
		if r.elapsed > 15*time.Second {
			t.Errorf("took %v: waited for what the command left (30 s)", r.elapsed)
		}
		checkContract(t, readJSONL(t, out), "")
		// Left, alive, to the next reaper up: this (subreaper) test.
		for deadline := time.Now().Add(5 * time.Second); len(descendantsOf(os.Getpid())) != 3; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("after zombietrace exited, this test holds %v, want the command's 3 processes", testenv.Describe(descendantsOf(os.Getpid())))
			}
		}
	})
}

// killDescendants kills and reaps every descendant of this (subreaper)
// test: a grandchild becomes its child when its parent is killed.
func killDescendants(t *testing.T) {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, p := range descendantsOf(os.Getpid()) {
			unix.Kill(p, unix.SIGKILL)
		}
		var ws unix.WaitStatus
		for {
			pid, err := unix.Wait4(-1, &ws, unix.WNOHANG|unix.WALL, nil)
			if errors.Is(err, unix.ECHILD) {
				return
			}
			if pid <= 0 {
				break
			}
		}
	}
	t.Errorf("processes left: %v", testenv.Describe(descendantsOf(os.Getpid())))
}

// ---- trace ----

// bg is a background process of a test, with its stdout collected.
type bg struct {
	cmd    *exec.Cmd
	stdout *bytes.Buffer
	done   chan struct{}
}

func startBG(t *testing.T, name string, args ...string) *bg {
	t.Helper()
	cmd := exec.Command(name, args...)
	b := &bg{cmd: cmd, stdout: &bytes.Buffer{}, done: make(chan struct{})}
	cmd.Stdout = b.stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { defer close(b.done); _ = cmd.Wait() }()
	t.Cleanup(b.stop)
	return b
}

// stop kills the process (if still running) and waits for it.
func (b *bg) stop() {
	select {
	case <-b.done:
		return
	default:
	}
	_ = b.cmd.Process.Kill()
	<-b.done
}

func (b *bg) wait(t *testing.T, timeout time.Duration) {
	t.Helper()
	select {
	case <-b.done:
	case <-time.After(timeout):
		t.Fatalf("%q did not end within %v", b.cmd.Args, timeout)
	}
}

func (b *bg) pids(t *testing.T) map[int64]bool {
	t.Helper()
	out := make(map[int64]bool)
	for _, f := range strings.Fields(b.stdout.String()) {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			t.Fatalf("bad output %q from %q", b.stdout.String(), b.cmd.Args)
		}
		out[n] = true
	}
	return out
}

// lateReaper forks a child every 100 ms that exits at once and is reaped
// ~0.2 s later; it prints each child's pid. It ends by itself after 10 s.
const lateReaper = `
import os, sys, time
end = time.time() + 10
prev = None
while time.time() < end:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    print(pid, flush=True)
    time.sleep(0.1)
    if prev:
        os.waitpid(prev, 0)
    prev = pid
`

// startTrace runs zombietrace trace with --ready-file in the background and
// waits until it is ready.
func startTrace(t *testing.T, timeout time.Duration, args ...string) (wait func() result) {
	t.Helper()
	ready := filepath.Join(t.TempDir(), "ready")
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	zr := startCaptured(t, ztCmd(ctx, append(append([]string{"trace"}, args...), "--ready-file", ready)...))
	cmd := zr.cmd
	exited := make(chan asyncResult, 1)
	go func() { exited <- zr.waitNoFatal(ctx) }()
	var res *asyncResult
	get := func() result {
		t.Helper()
		if res == nil {
			r := <-exited
			res = &r
			cancel()
		}
		if res.err != nil {
			t.Fatalf("zombietrace %q: %v\nstderr:\n%s", cmd.Args[1:], res.err, res.stderr)
		}
		assertNoPanic(t, res.stderr)
		return res.result
	}
	t.Cleanup(func() {
		if res == nil {
			_ = unix.Kill(-cmd.Process.Pid, unix.SIGKILL)
			<-exited
			cancel()
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		if b, err := os.ReadFile(ready); err == nil && len(b) > 0 {
			return get
		}
		select {
		case r := <-exited:
			res = &r
			t.Fatalf("zombietrace %q ended before it was ready: code %d, %v\nstderr:\n%s", cmd.Args[1:], r.code, r.err, r.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("zombietrace %q not ready within 15 s", cmd.Args[1:])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestTracePid(t *testing.T) {
	e2e(t)
	w := startBG(t, python, "-c", lateReaper)
	time.Sleep(300 * time.Millisecond) // a few children exist already
	out := filepath.Join(t.TempDir(), "out.jsonl")
	wait := startTrace(t, 30*time.Second, "--json", "--pid", strconv.Itoa(w.cmd.Process.Pid), "--duration", "2s", "-o", out)
	// An unrelated process tree, while the trace runs.
	sh := startBG(t, "sh", "-c", "for i in 1 2 3; do /bin/true; sleep 0.1; done")
	sh.wait(t, 10*time.Second)
	r := wait()
	w.stop()
	if r.code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", r.code, r.stderr)
	}
	if r.elapsed < 1900*time.Millisecond || r.elapsed > 15*time.Second {
		t.Errorf("--duration 2s took %v", r.elapsed)
	}
	lines := readJSONL(t, out)
	checkContract(t, lines, "light")
	wpid, shPid := int64(w.cmd.Process.Pid), int64(sh.cmd.Process.Pid)
	children := w.pids(t)
	reaps := 0
	for _, l := range lines {
		switch l.typ() {
		case "start", "summary", "lost":
			continue
		}
		pid := l.int("pid")
		if pid == shPid || l.int("ppid") == shPid || l.str("comm") == "true" || l.str("comm") == "sleep" || l.str("comm") == "sh" {
			t.Errorf("a line about the unrelated sh %d (or its children): %v", shPid, l)
		}
		if pid != wpid && !children[pid] {
			t.Errorf("a line about %d, not the traced %d or one of its children: %v", pid, wpid, l)
		}
		if l.typ() == "reap" {
			reaps++
			if l.str("reaped_by") != "parent" || l.int("reaper_pid") != wpid || l.int("ppid") != wpid {
				t.Errorf("reap of %d: want reaped_by parent %d: %v", pid, wpid, l)
			}
			if z := l.int("zombie_ns"); z < 5e7 || z > 3e9 {
				t.Errorf("reap of %d: zombie_ns %d, want ~0.1-0.2 s: %v", pid, z, l)
			}
		}
	}
	if reaps < 5 {
		t.Errorf("%d reap lines for the traced process's children in 2 s, want >= 5 (one every 100 ms)\n%s", reaps, dump(lines))
	}
	if sp := summaryParent(lines, int(wpid)); sp == nil || sp.int("reaped") < int64(reaps) {
		t.Errorf("summary has no parent %d counting %d reaps: %v", wpid, reaps, lines[len(lines)-1])
	}
	sum := lines[len(lines)-1]
	for _, l := range sum["parents"].([]any) {
		p := line(l.(map[string]any))
		if p.int("pid") == shPid {
			t.Errorf("the unrelated sh is in the summary: %v", p)
		}
		if p.int("pid") == int64(os.Getpid()) && (p.int("outstanding") != 0 || p.int("zombie_ns_total") != 0) {
			t.Errorf("the traced process's parent (this test, which reaps at once) is blamed for zombies: %v", p)
		}
	}
	for _, l := range sum["zombies"].([]any) {
		if z := line(l.(map[string]any)); !children[z.int("pid")] {
			t.Errorf("summary lists an outstanding zombie %d that is not a child of the traced %d: %v", z.int("pid"), wpid, z)
		}
	}
}

func TestTraceMinZombie(t *testing.T) {
	e2e(t)
	// Alternately a child reaped at once and one reaped after 0.25 s.
	w := startBG(t, python, "-c", `
import os, time
end = time.time() + 10
while time.time() < end:
    a = os.fork()
    if a == 0:
        os._exit(0)
    os.waitpid(a, 0)
    b = os.fork()
    if b == 0:
        os._exit(0)
    print(b, flush=True)
    time.sleep(0.25)
    os.waitpid(b, 0)
`)
	out := filepath.Join(t.TempDir(), "out.jsonl")
	wait := startTrace(t, 30*time.Second, "--json", "--min-zombie", "100ms", "--pid", strconv.Itoa(w.cmd.Process.Pid),
		"--duration", "2s", "-o", out)
	r := wait()
	w.stop()
	if r.code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", r.code, r.stderr)
	}
	lines := readJSONL(t, out)
	checkContract(t, lines, "light")
	late := w.pids(t)
	reaps := 0
	for _, l := range lines[1 : len(lines)-1] {
		switch l.typ() {
		case "reap":
			reaps++
			if z := l.int("zombie_ns"); z < 1e8 {
				t.Errorf("reap line with zombie_ns %d < 100ms shown: %v", z, l)
			}
			if !late[l.int("pid")] {
				// Every line: a lost line, or none, says which way to look.
				t.Errorf("reap line for %d, not one of the late-reaped children: %v\n%s", l.int("pid"), l, dump(lines))
			}
		case "reparent", "lost":
		default:
			t.Errorf("%s line shown with --min-zombie: %v", l.typ(), l)
		}
	}
	if reaps < 3 {
		t.Errorf("%d reap lines >= 100ms in 2 s, want >= 3\n%s", reaps, dump(lines))
	}
	// The summary still counts everything, the quick reaps included.
	sp := summaryParent(lines, w.cmd.Process.Pid)
	if sp == nil || sp.int("reaped") <= int64(reaps) {
		t.Errorf("summary parent %d should count the quick reaps too (> %d reaped): %v", w.cmd.Process.Pid, reaps, sp)
	}
}

func TestTraceComm(t *testing.T) {
	e2e(t)
	// A parent with a distinctive comm (exec'd through a symlink) whose
	// children exec /bin/true (comm "true": kept for the parent's comm) or
	// just exit (comm inherited).
	dir := t.TempDir()
	parentExe := filepath.Join(dir, "ztcommparent")
	if err := os.Symlink(python, parentExe); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.jsonl")
	wait := startTrace(t, 30*time.Second, "--json", "--comm", "^ztcommparent$", "--duration", "1500ms", "-o", out)
	w := startBG(t, parentExe, "-c", `
import os, time
end = time.time() + 10
i = 0
while time.time() < end:
    pid = os.fork()
    if pid == 0:
        if i % 2 == 0:
            os.execv("/bin/true", ["true"])
        os._exit(0)
    print(pid, flush=True)
    time.sleep(0.1)
    os.waitpid(pid, 0)
    i += 1
`)
	sh := startBG(t, "sh", "-c", "for i in 1 2 3; do /bin/true; sleep 0.1; done")
	sh.wait(t, 10*time.Second)
	r := wait()
	w.stop()
	if r.code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", r.code, r.stderr)
	}
	lines := readJSONL(t, out)
	checkContract(t, lines, "light")
	rx := regexp.MustCompile("^ztcommparent$")
	wpid, shPid := int64(w.cmd.Process.Pid), int64(sh.cmd.Process.Pid)
	children := w.pids(t)
	var trueReaps, ownReaps int
	for _, l := range lines[1 : len(lines)-1] {
		if l.typ() == "lost" {
			continue
		}
		pid := l.int("pid")
		if pid == shPid || l.int("ppid") == shPid {
			t.Errorf("a line about the unrelated sh %d: %v", shPid, l)
		}
		// Kept: the comm matches, or the parent (the ztcommparent process) does.
		if !rx.MatchString(l.str("comm")) && !children[pid] {
			t.Errorf("a line whose comm and parent comm do not match: %v", l)
		}
		if l.typ() == "reap" && children[pid] {
			if l.str("comm") == "true" {
				trueReaps++
			} else {
				ownReaps++
			}
			if l.int("ppid") != wpid {
				t.Errorf("reap of %d: ppid %d, want %d: %v", pid, l.int("ppid"), wpid, l)
			}
		}
	}
	if trueReaps == 0 || ownReaps == 0 {
		t.Errorf("want reaps of children both named true (kept by parent comm) and ztcommparent (own comm): %d, %d\n%s",
			trueReaps, ownReaps, dump(lines))
	}
	if summaryParent(lines, int(wpid)) == nil {
		t.Errorf("ztcommparent %d not in the summary: %v", wpid, lines[len(lines)-1])
	}
}

func TestTraceHostWide(t *testing.T) {
	e2e(t)
	out := filepath.Join(t.TempDir(), "out.jsonl")
	wait := startTrace(t, 30*time.Second, "--json", "--duration", "1s", "-o", out)
	c := exec.Command(python, "-c", "import os; p = os.fork(); p or os._exit(7); print(p, flush=True); os.waitpid(p, 0)")
	b, err := c.Output()
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	grandchild, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("child output %q", b)
	}
	r := wait()
	if r.code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", r.code, r.stderr)
	}
	lines := readJSONL(t, out)
	checkContract(t, lines, "light")
	// The python child of this test, reaped by this process.
	reap := oneLine(t, lines, "reap", c.Process.Pid)
	if reap.str("reaped_by") != "parent" || reap.int("reaper_pid") != int64(os.Getpid()) {
		t.Errorf("reap of the test's child %d: want reaped_by parent %d: %v", c.Process.Pid, os.Getpid(), reap)
	}
	// Its child, exiting with 7, reaped by it.
	gr := oneLine(t, lines, "reap", grandchild)
	if gr.str("reaped_by") != "parent" || gr.int("reaper_pid") != int64(c.Process.Pid) {
		t.Errorf("reap of %d: want reaped_by parent %d: %v", grandchild, c.Process.Pid, gr)
	}
	if ex := oneLine(t, lines, "exit", grandchild); ex.int("exit_code") != 7 || ex.int("signal") != 0 {
		t.Errorf("exit of %d: want exit_code 7: %v", grandchild, ex)
	}
}

// ---- ps ----

func TestPs(t *testing.T) {
	e2e(t)
	// A parent that never waits for its child (single-line command).
	parent := exec.Command(python, "-c", "import os, time; p = os.fork(); p or os._exit(0); print(p, flush=True); time.sleep(30)")
	stdout, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	parentDone := false
	killParent := func() {
		if !parentDone {
			parentDone = true
			_ = parent.Process.Kill()
			_ = parent.Wait()
		}
	}
	t.Cleanup(killParent)
	l, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	zpid, err := strconv.Atoi(strings.TrimSpace(l))
	if err != nil {
		t.Fatalf("parent printed %q", l)
	}
	ppid := parent.Process.Pid
	deadline := time.Now().Add(5 * time.Second)
	for procState(zpid) != "Z" {
		if time.Now().After(deadline) {
			t.Fatalf("child %d never became a zombie (state %q)", zpid, procState(zpid))
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)

	r := zt(t, 20*time.Second, "ps")
	if r.code != 0 {
		t.Fatalf("ps: exit code %d; stderr:\n%s", r.code, r.stderr)
	}
	// The parents first (PARENT COMM ZOMBIES OLDEST PARENT COMMAND), then
	// each parent's zombies (PID COMM AGE).
	parentRow, zombieRow := false, false
	for _, ln := range strings.Split(r.stdout, "\n") {
		f := strings.Fields(ln)
		switch {
		case len(f) >= 5 && f[0] == strconv.Itoa(ppid) && !strings.Contains(ln, " holds "):
			parentRow = true
			if f[1] != "python3" || f[2] != "1" || !strings.HasPrefix(f[3], "~") || !strings.Contains(ln, python+" -c import os") {
				t.Errorf("ps: parent line %q: want comm python3, 1 zombie, a known age (~...), its command", ln)
			}
		case len(f) >= 3 && f[0] == strconv.Itoa(zpid):
			zombieRow = true
			if f[1] != "python3" || !strings.HasPrefix(f[2], "~") {
				t.Errorf("ps: zombie line %q: want comm python3, a known age (~...)", ln)
			}
		}
	}
	if !parentRow || !zombieRow || !strings.Contains(r.stdout, " under ") {
		t.Errorf("ps: want the count, parent %d's row and zombie %d's row:\n%s", ppid, zpid, r.stdout)
	}
	if r.stderr != "" {
		t.Errorf("ps: stderr %q", r.stderr)
	}

	r = zt(t, 20*time.Second, "ps", "--json")
	if r.code != 0 {
		t.Fatalf("ps --json: exit code %d; stderr:\n%s", r.code, r.stderr)
	}
	var v struct {
		Total     int    `json:"total"`
		AgesKnown bool   `json:"ages_known"`
		Source    string `json:"source"`
		Parents   []struct {
			PID     int    `json:"pid"`
			Comm    string `json:"comm"`
			Cmd     string `json:"cmd"`
			Count   int    `json:"count"`
			Zombies []struct {
				PID      int    `json:"pid"`
				PPID     int    `json:"ppid"`
				Comm     string `json:"comm"`
				AgeNS    int64  `json:"age_ns"`
				AgeKnown bool   `json:"age_known"`
				Waitable bool   `json:"waitable"`
			} `json:"zombies"`
		} `json:"parents"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("ps --json: %v: %q", err, r.stdout)
	}
	if strings.Count(strings.TrimSpace(r.stdout), "\n") != 0 {
		t.Errorf("ps --json: not one JSON object on one line: %q", r.stdout)
	}
	if !v.AgesKnown || v.Source != "task iterator" {
		t.Errorf("ps --json as root: ages_known %v, source %q: want the task iterator's ages", v.AgesKnown, v.Source)
	}
	found := false
	for _, p := range v.Parents {
		if p.PID != ppid {
			continue
		}
		if p.Comm != "python3" || !strings.HasPrefix(p.Cmd, python+" -c import os") || p.Count != 1 || len(p.Zombies) != 1 {
			t.Errorf("ps --json: parent %+v: want python3, its command, 1 zombie", p)
			continue
		}
		z := p.Zombies[0]
		found = z.PID == zpid
		if z.PPID != ppid || z.Comm != "python3" || !z.AgeKnown || !z.Waitable {
			t.Errorf("ps --json: zombie %+v: want ppid %d, comm python3, age known, waitable", z, ppid)
		}
		if z.AgeNS < 1e8 || z.AgeNS > 60e9 {
			t.Errorf("ps --json: age_ns %d, want >= 0.1 s (it has been a zombie that long) and < 60 s", z.AgeNS)
		}
	}
	if !found {
		t.Errorf("ps --json: zombie %d not listed under %d: %s", zpid, ppid, r.stdout)
	}

	// Kill the parent: the zombie is inherited by this subreaper and reaped.
	killParent()
	testenv.ReapChildren(t, 5*time.Second)
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", zpid)); err == nil {
		t.Errorf("zombie %d still exists after its parent died and this process reaped", zpid)
	}
}

func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+3 > len(s) {
		return ""
	}
	return s[i+2 : i+3]
}

// ---- errors ----

func TestErrors(t *testing.T) {
	e2e(t)
	for _, tc := range []struct {
		name     string
		args     []string
		contains string
	}{
		{"unknown flag", []string{"trace", "--bogus"}, "--bogus"},
		{"unknown flag after positional", []string{"trace", "x", "--bogus"}, "--bogus"},
		{"unknown run flag", []string{"run", "--bogus", "--", "true"}, "--bogus"},
		{"unknown global flag", []string{"--bogus"}, "unknown flag --bogus (see zombietrace --help)"},
		{"report subcommand without its file", []string{"report", "flame", "-o", "x.svg"}, "see zombietrace report flame --help"},
		{"bad report subcommand flag value", []string{"report", "events", "--pid", "x", "/dev/null"}, "see zombietrace report events --help"},
		{"unknown command", []string{"frobnicate"}, "frobnicate"},
		{"missing flag value", []string{"trace", "--duration"}, "--duration"},
		{"bad duration", []string{"trace", "--duration", "soon"}, "soon"},
		{"negative duration", []string{"trace", "--duration", "-1s"}, "--duration"},
		// a flag marked Required printed the whole help on stdout
		{"record without -o", []string{"record"}, "-o FILE"},
		{"flame without -o", []string{"report", "flame", "/dev/null"}, "-o FILE"},
		{"timeline without -o", []string{"report", "timeline", "/dev/null"}, "-o FILE"},
		{"reap with no grace", []string{"reap", "--auto", "--grace", "0s"}, "--grace"},
		{"reap with no zombies wanted", []string{"reap", "--auto", "--min-zombies", "0"}, "--min-zombies"},
		{"negative record duration", []string{"record", "-o", "/dev/null", "--duration", "-1s"}, "--duration"},
		{"unexpected ps argument", []string{"ps", "x"}, "x"},
		{"no such pid", []string{"trace", "--pid", "999999999"}, "999999999"},
		{"run without command", []string{"run"}, "command"},
		{"run without command after --", []string{"run", "--json", "--"}, "command"},
		{"run nonexistent command", []string{"run", "--", "/nonexistent/cmd"}, "/nonexistent/cmd"},
		{"bad comm regexp", []string{"trace", "--comm", "(", "--duration", "1s"}, "--comm"},
		// every output file is checked before tracing starts: a --flame
		// that could not be written lost the session's flame at its end,
		// and run exited 1 after the command, not with its status
		{"flame in a missing directory", []string{"trace", "--flame", "/nonexistent/x.svg", "--duration", "3s"}, "--flame /nonexistent/x.svg: no directory /nonexistent"},
		{"run flame in a missing directory", []string{"run", "--flame", "/nonexistent/x.svg", "--", "sh", "-c", "exit 3"}, "--flame /nonexistent/x.svg"},
		{"flame weight", []string{"trace", "--flame", "/tmp/zombietrace-never-written.svg", "--weight", "bogus", "--duration", "3s"}, "--weight"},
		{"output in a missing directory", []string{"trace", "-o", "/nonexistent/out", "--duration", "3s"}, "-o /nonexistent/out"},
		{"record output in a missing directory", []string{"record", "-o", "/nonexistent/r.zt", "--duration", "3s"}, "-o /nonexistent/r.zt"},
		{"audit in a missing directory", []string{"trace", "--remediate", "nudge", "--min-zombie", "1s", "--audit", "/nonexistent/a", "--duration", "3s"}, "--audit /nonexistent/a"},
		{"stats file in a missing directory", []string{"trace", "--stats-file", "/nonexistent/s", "--duration", "3s"}, "--stats-file"},
		{"cpu profile in a missing directory", []string{"trace", "--cpuprofile", "/nonexistent/p", "--duration", "3s"}, "--cpuprofile"},
		// run went on, its error dropped, when it could not get ready
		{"run ready file not written", []string{"run", "-o", "/dev/null", "--ready-file", "/proc/version", "--", "sh", "-c", "exit 3"}, "writing ready file"},
		// flags that mean something only with another were accepted and
		// silently ignored without it
		{"yes without remediate", []string{"trace", "--yes", "--duration", "3s"}, "--yes needs --remediate"},
		{"force without remediate", []string{"trace", "--force", "--duration", "3s"}, "--force needs --remediate"},
		{"audit without remediate", []string{"trace", "--audit", "/tmp/zombietrace-never-written.jsonl", "--duration", "3s"}, "--audit needs --remediate"},
		{"remediate interval without remediate", []string{"trace", "--remediate-interval", "1s", "--duration", "3s"}, "--remediate-interval needs --remediate"},
		{"by without flame", []string{"trace", "--by", "exe", "--duration", "3s"}, "--by needs --flame"},
		{"weight without flame", []string{"trace", "--weight", "count", "--duration", "3s"}, "--weight needs --flame"},
		{"run by without flame", []string{"run", "--by", "exe", "--", "sh", "-c", "exit 3"}, "--by needs --flame"},
		// checked before the benchmark runs: these hung a workload or ended
		// minutes later in "json: unsupported value: NaN"
		{"bench without workers", []string{"bench", "--workers", "0"}, "--workers"},
		{"bench zero storm time", []string{"bench", "--storm-time", "0s"}, "--storm-time"},
		{"bench no getppid calls", []string{"bench", "--getppid", "0"}, "--getppid"},
		{"bench negative soak", []string{"bench", "--soak", "-1m"}, "--soak"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := zt(t, 20*time.Second, tc.args...)
			checkOneLineError(t, tc.args, r, tc.contains)
		})
	}

	t.Run("not root", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := ztCmd(ctx, "trace", "--duration", "1s")
		cmd.Dir = "/"
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: 65534, Gid: 65534}
		r := startCaptured(t, cmd).wait(t, ctx)
		checkOneLineError(t, []string{"trace", "--duration", "1s", "(as nobody)"}, r, "root")
	})
}

func checkOneLineError(t *testing.T, args []string, r result, contains string) {
	t.Helper()
	if r.code == 0 {
		t.Errorf("zombietrace %q: exit code 0, want non-zero", args)
	}
	msg := strings.TrimSuffix(r.stderr, "\n")
	if !strings.HasPrefix(msg, "zombietrace: ") || strings.Contains(msg, "\n") || !strings.HasSuffix(r.stderr, "\n") {
		t.Errorf("zombietrace %q: stderr is not one line starting with %q:\n%s", args, "zombietrace: ", r.stderr)
	}
	if !strings.Contains(msg, contains) {
		t.Errorf("zombietrace %q: message %q does not mention %q", args, msg, contains)
	}
	if r.stdout != "" {
		t.Errorf("zombietrace %q: stdout not empty on error:\n%s", args, r.stdout)
	}
}

// SIGHUP (an SSH session dropped) ends a session as SIGTERM does: the
// summary is written, a recording gets its end frame. It killed trace and
// record with status 129 and no summary.
func TestSIGHUPEndsSessionsCleanly(t *testing.T) {
	e2e(t)
	for _, command := range []string{"trace", "record", "run"} {
		t.Run(command, func(t *testing.T) {
			dir := t.TempDir()
			ready, out := filepath.Join(dir, "ready"), filepath.Join(dir, "out")
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			args := []string{command, "-o", out, "--ready-file", ready}
			if command != "record" {
				args = append(args, "--json")
			}
			if command == "run" {
				args = append(args, "--", "sleep", "30")
			}
			zr := startCaptured(t, ztCmd(ctx, args...))
			waitForFile(t, ready, 15*time.Second, nil)
			if command == "run" {
				for deadline := time.Now().Add(10 * time.Second); !hasChild(zr.cmd.Process.Pid, "sleep"); time.Sleep(5 * time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatal("the command (sleep) never started")
					}
				}
			} else {
				exec.Command("/bin/true").Run()
				time.Sleep(300 * time.Millisecond) // a poll of the ring buffer
			}
			if err := zr.cmd.Process.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			r := zr.wait(t, ctx)
			want := 0
			if command == "run" {
				want = 128 + int(syscall.SIGHUP) // the command's death, forwarded
			}
			if r.code != want {
				t.Fatalf("exit code %d after SIGHUP, want %d; stderr:\n%s", r.code, want, r.stderr)
			}
			if command != "record" {
				checkContract(t, readJSONL(t, out), "")
				return
			}
			if !strings.Contains(r.stderr, "recorded ") {
				t.Errorf("no one-line summary on stderr: %q", r.stderr)
			}
			v := zt(t, 30*time.Second, "report", "--verify", out)
			if v.code != 0 || strings.Contains(v.stderr, "no end frame") {
				t.Errorf("report --verify after SIGHUP: code %d\n%s", v.code, v.stderr)
			}
		})
	}
}

// Started with SIGHUP ignored (nohup), a session stays deaf to it: catching
// SIGHUP must not undo nohup.
func TestSIGHUPIgnoredUnderNohup(t *testing.T) {
	e2e(t)
	dir := t.TempDir()
	ready, out := filepath.Join(dir, "ready"), filepath.Join(dir, "out")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := ztCmd(ctx)
	cmd.Path = "/bin/sh"
	cmd.Args = []string{"sh", "-c", `trap "" HUP; exec "$0" "$@"`, ztBin, "trace", "--json", "--duration", "2s", "-o", out, "--ready-file", ready}
	zr := startCaptured(t, cmd)
	waitForFile(t, ready, 15*time.Second, nil)
	if err := zr.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	r := zr.wait(t, ctx)
	if r.code != 0 || r.elapsed < 2*time.Second {
		t.Fatalf("under nohup, SIGHUP ended trace --duration 2s after %v, code %d; stderr:\n%s", r.elapsed, r.code, r.stderr)
	}
	checkContract(t, readJSONL(t, out), "")
}

// TestPauseSignals: the benchmark's windows detach and attach one running
// tracer (trace, and record writing its file); a process that lives and dies
// while it is detached leaves no line, one after it is attached again does.
func TestPauseSignals(t *testing.T) {
	e2e(t)
	for _, command := range []string{"trace", "record"} {
		t.Run(command, func(t *testing.T) {
			dir := t.TempDir()
			ready, out := filepath.Join(dir, "ready"), filepath.Join(dir, "out")
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			args := []string{command, "-o", out, "--pause-signals", "--ready-file", ready}
			if command == "trace" {
				args = append(args, "--json")
			}
			zr := startCaptured(t, ztCmd(ctx, args...))
			cmd := zr.cmd
			waitForFile(t, ready, 15*time.Second, nil)
			state := func(sig syscall.Signal, want string) {
				t.Helper()
				if err := cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
				for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
					if b, _ := os.ReadFile(ready); strings.HasSuffix(strings.TrimSpace(string(b)), " "+want) {
						return
					}
				}
				t.Fatalf("no %q acknowledgement in %s", want, ready)
			}
			child := func() int64 {
				t.Helper()
				c := exec.Command("sh", "-c", "exit 7")
				c.Run() // exit status 7: expected
				return int64(c.Process.Pid)
			}
			state(syscall.SIGUSR1, "detached")
			unseen := child()
			state(syscall.SIGUSR2, "attached")
			seen := child()
			time.Sleep(300 * time.Millisecond) // a poll of the ring buffer
			cmd.Process.Signal(os.Interrupt)
			if r := zr.wait(t, ctx); r.code != 0 {
				t.Fatalf("exit code %d; stderr:\n%s", r.code, r.stderr)
			}
			var lines []line
			if command == "trace" {
				lines = readJSONL(t, out)
			} else {
				r := zt(t, 30*time.Second, "report", "events", "--json", out)
				if r.code != 0 {
					t.Fatalf("report events: %s", r.stderr)
				}
				lines = parseJSONL(t, r.stdout)
			}
			var exited, reaped bool
			for _, l := range lines {
				switch l.int("pid") {
				case unseen:
					t.Errorf("a line about %d, which lived and died while detached: %v", unseen, l)
				case seen:
					exited = exited || l.typ() == "exit" && l.int("exit_code") == 7
					reaped = reaped || l.typ() == "reap" && l.str("reaped_by") == "parent"
				}
			}
			if !exited || !reaped {
				t.Errorf("%d, forked after attaching again: exit line with code 7 %v, reap by its parent %v\n%s", seen, exited, reaped, dump(lines))
			}
		})
	}
}
