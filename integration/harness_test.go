//go:build linux

package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cilium/ebpf/btf"
	"golang.org/x/sys/unix"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/internal/pipeline"
	"github.com/zombietrace/zombietrace/internal/testenv"
	"github.com/zombietrace/zombietrace/tracer"
)

var (
	scenarioDir string // testdata/scenarios
	binDir      string // compiled C scenarios
	python      string
	kernelTypes = btf.NewCache() // decoded once for every tracer the tests open
)

func TestMain(m *testing.M) {
	testenv.Main(m, setup)
}

// setup finds the scenarios and python3 and makes the directory the C
// scenarios are compiled into (testenv.Main has made this process the
// subreaper that contains the scenarios' orphans).
func setup() (teardown func(), err error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	scenarioDir = filepath.Join(wd, "..", "testdata", "scenarios")
	python = "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		if python, err = exec.LookPath("python3"); err != nil {
			return nil, errors.New("python3 not found")
		}
	}
	if os.Geteuid() == 0 {
		if need, missing := tracer.NeedsCompat(); need {
			fmt.Fprintf(os.Stderr, "this kernel lacks %v: every mode loads the compat object\n", missing)
			modes = compatModes
		}
	}
	if binDir, err = os.MkdirTemp("", "zt-scenarios-"); err != nil {
		return nil, err
	}
	return func() { os.RemoveAll(binDir) }, nil
}

// requireBPF skips without root, but fails in CI: CI must never skip silently.
func requireBPF(t *testing.T) {
	t.Helper()
	testenv.RequireBPF(t)
}

var buildOnce sync.Map

// scenarioBinEnv names a directory of C scenarios compiled beforehand (on
// the host, static), for machines without a compiler: the test VMs of
// internal/vmtest. When it is set, nothing is compiled.
const scenarioBinEnv = "ZT_SCENARIO_BIN"

// precompiled returns the program exe from $ZT_SCENARIO_BIN, if set; a
// missing one fails the test (it must not pass as "skipped").
func precompiled(t *testing.T, exe string) (string, bool) {
	t.Helper()
	dir := os.Getenv(scenarioBinEnv)
	if dir == "" {
		return "", false
	}
	path := filepath.Join(dir, exe)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("precompiled scenario (%s=%s): %v", scenarioBinEnv, dir, err)
	}
	return path, true
}

// program returns the argv that runs a scenario, compiling C ones once.
func program(t *testing.T, name string, args ...string) []string {
	t.Helper()
	if strings.HasSuffix(name, ".py") {
		return append([]string{python, filepath.Join(scenarioDir, name)}, args...)
	}
	if exe, ok := precompiled(t, strings.TrimSuffix(name, ".c")); ok {
		return append([]string{exe}, args...)
	}
	exe := filepath.Join(binDir, strings.TrimSuffix(name, ".c"))
	if _, done := buildOnce.Load(name); !done {
		out, err := exec.Command("cc", "-O2", "-Wall", "-pthread", "-o", exe, filepath.Join(scenarioDir, name)).CombinedOutput()
		if err != nil {
			t.Fatalf("compiling %s: %v\n%s", name, err, out)
		}
		buildOnce.Store(name, true)
	}
	return append([]string{exe}, args...)
}

// pids is the scenario's report of who is who.
type pids map[string]json.RawMessage

func (p pids) one(t *testing.T, role string) uint32 {
	t.Helper()
	var v uint32
	if err := json.Unmarshal(p[role], &v); err != nil {
		t.Fatalf("role %q: %v (%s)", role, err, p[role])
	}
	return v
}

func (p pids) many(t *testing.T, role string) []uint32 {
	t.Helper()
	var v []uint32
	if err := json.Unmarshal(p[role], &v); err != nil {
		t.Fatalf("role %q: %v (%s)", role, err, p[role])
	}
	return v
}

// result is what one traced scenario produced.
type result struct {
	pids    pids
	records []events.Record
	summary events.Summary
	self    uint32
}

func (r *result) of(pid uint32, typ events.RecordType) []events.Record {
	var out []events.Record
	for _, rec := range r.records {
		if rec.PID == pid && rec.Type == typ {
			out = append(out, rec)
		}
	}
	return out
}

// one returns the single record of type typ for pid.
func (r *result) one(t *testing.T, pid uint32, typ events.RecordType, what string) events.Record {
	t.Helper()
	rs := r.of(pid, typ)
	if len(rs) != 1 {
		t.Fatalf("pid %d: %d %s records, want 1; records:\n%s", pid, len(rs), what, r.dump())
	}
	return rs[0]
}

// reap returns the single reap record of pid.
func (r *result) reap(t *testing.T, pid uint32) events.Record {
	t.Helper()
	return r.one(t, pid, events.RecordReap, "reap")
}

func (r *result) exit(t *testing.T, pid uint32) events.Record {
	t.Helper()
	return r.one(t, pid, events.RecordExit, "exit")
}

func (r *result) fork(t *testing.T, pid uint32) events.Record {
	t.Helper()
	return r.one(t, pid, events.RecordFork, "fork")
}

func (r *result) parent(pid uint32) (events.ParentStats, bool) {
	for _, p := range r.summary.Parents {
		if p.PID == pid {
			return p, true
		}
	}
	return events.ParentStats{}, false
}

func (r *result) dump() string {
	var b strings.Builder
	for _, rec := range r.records {
		if rec.Type == events.RecordExec {
			continue
		}
		fmt.Fprintf(&b, "  %s t=%d pid=%d ppid=%d comm=%s zombie=%v by=%s reaper=%d method=%s uncertain=%v old=%d new=%d status=%+v\n",
			rec.Type, rec.Time, rec.PID, rec.PPID, rec.Comm, time.Duration(rec.ZombieNS), rec.ReapedBy, rec.ReaperPID,
			rec.Method, rec.Uncertain, rec.OldPPID, rec.NewPPID, rec.Status)
	}
	return b.String()
}

type mode struct {
	name string
	cfg  tracer.Config
}

var modes = []mode{
	{"light", tracer.Config{Filter: true}},
	{"exact", tracer.Config{Filter: true, Exact: true}},
	// Exit events for every process (the default sends them only where the
	// notification cannot tell everything): the engine must agree.
	{"light-exit-events", tracer.Config{Filter: true, AllExits: true}},
	// The variants for kernels before 6.2 (no kfuncs), on any kernel.
	{"light-nokfunc", tracer.Config{Filter: true, FailPrograms: []string{"handle_signal", "handle_exec"}}},
}

// compatModes replace modes on a kernel that needs the compat object
// (tracer.NeedsCompat): every configuration loads it, in exact mode, so the
// scenarios run once. Elsewhere TestCompatObject forces it.
var compatModes = []mode{{"exact-compat", tracer.Config{Filter: true, Compat: true}}}

// lossAttempts bounds how often trace runs a scenario whose events were
// reported lost. A reported loss is the tracer being honest, not wrong: on
// a one-CPU guest with preemptible tracepoints the kernel skips a program's
// run now and then (tracer/misses.go; up to every other attempt of a
// scenario whose children exit together), and the scenario is run again. A
// loss every time fails, and so does any wrong result without one.
const lossAttempts = 6

// trace runs argv as a child of this (subreaper) process under the tracer,
// following the child and its descendants in the kernel, and reaps whatever
// the scenario leaves to us.
func trace(t *testing.T, cfg tracer.Config, argv []string) *result {
	t.Helper()
	return traceAll(t, []tracer.Config{cfg}, argv)[0]
}

// traceAll is trace with one tracer per cfg on the same run
// (traceTogether), run again while any of them reports a loss.
func traceAll(t *testing.T, cfgs []tracer.Config, argv []string) []*result {
	t.Helper()
	requireBPF(t)
	for attempt := 1; ; attempt++ {
		rs := traceTogether(t, cfgs, argv)
		var lost uint64
		for _, res := range rs {
			lost += res.summary.LostEvents
		}
		if lost == 0 || attempt == lossAttempts {
			if lost != 0 {
				t.Errorf("%d events lost, in each of %d attempts", lost, lossAttempts)
			}
			return rs
		}
		t.Logf("attempt %d: %d events reported lost; running the scenario again", attempt, lost)
	}
}

// traceTogether runs argv once under one tracer per cfg, all at once, each
// feeding its own engine: their views of the same processes side by side.
func traceTogether(t *testing.T, cfgs []tracer.Config, argv []string) []*result {
	t.Helper()
	type session struct {
		cfg  tracer.Config
		tr   *tracer.Tracer
		pipe *pipeline.Pipeline // the commands' own: tracer -> engine
		res  *result
		done chan error
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ss []*session
	opened := time.Now() // the phases' times, logged: where the matrix's budget goes
	for _, cfg := range cfgs {
		if cfg.PollInterval == 0 {
			cfg.PollInterval = 20 * time.Millisecond // the default 250 ms only slows the tests
		}
		s := &session{cfg: cfg, tr: openFollowingSelf(t, cfg), res: &result{self: uint32(os.Getpid())}, done: make(chan error, 1)}
		defer s.tr.Close()
		res := s.res
		s.pipe = pipeline.New(s.tr, events.NewEngine(s.tr.Mode(), func(r *events.Record) { res.records = append(res.records, *r) }))
		ss = append(ss, s)
		go func() {
			// No SettleGone at the end: the test waits for the kernel's own
			// free events, the path a settled zombie would hide.
			s.done <- s.pipe.Run(ctx, func(ev *events.Event) {
				if os.Getenv("ZT_DUMP_EVENTS") != "" {
					fmt.Fprintf(os.Stderr, "EV %v t=%d pid=%d tid=%d peer=%d ns=%d code=%d st=%d fl=%#x opt=%d waiters=%v\n", ev.Kind, ev.Time, ev.PID, ev.TID, ev.PeerPID, ev.NSPID, ev.Code, ev.Status, ev.Flags, ev.Options, ev.Waiters)
				}
				s.pipe.Handle(ev)
			}, nil)
		}()
	}

	started := time.Now()
	cmd := exec.Command(argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		cancel()
		for _, s := range ss {
			<-s.done
		}
		reapAll(t)
		t.Fatalf("scenario %v: %v\nstderr:\n%s", argv, err, stderr.String())
	}
	reapAll(t)
	ended := time.Now()
	defer func() {
		t.Logf("tracers opened in %v, scenario ran %v, settled in %v", started.Sub(opened), ended.Sub(started), time.Since(ended))
	}()
	var line struct {
		Pids pids `json:"pids"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &line); err != nil {
		t.Fatalf("scenario output %q: %v", stdout.String(), err)
	}
	var out []*result
	for _, s := range ss {
		// Everything is reaped now; reaps no syscall shows are only known
		// from the free event, which lazy RCU can delay by seconds. First
		// let the reader catch up: an engine that has not read the exits
		// yet shows no zombies either.
		time.Sleep(3 * s.cfg.PollInterval)
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			var sum events.Summary
			s.pipe.Engine(func(e *events.Engine) { sum = e.Summary(0) })
			if len(sum.Zombies) == 0 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	cancel()
	for _, s := range ss {
		if err := <-s.done; err != nil {
			t.Fatalf("reading events: %v", err)
		}
		res := s.res
		s.pipe.Engine(func(e *events.Engine) { res.summary = e.Summary(tracer.BootNow()) })
		res.pids = line.Pids
		if n := len(res.summary.Zombies); n != 0 && res.summary.LostEvents == 0 {
			t.Errorf("%d zombies still outstanding after the scenario: %+v", n, res.summary.Zombies)
		}
		out = append(out, res)
	}
	return out
}

// openFollowingSelf opens a tracer that follows this (subreaper) process's
// new children and their descendants in the kernel.
func openFollowingSelf(t *testing.T, cfg tracer.Config) *tracer.Tracer {
	t.Helper()
	if cfg.KernelTypes == nil {
		cfg.KernelTypes = kernelTypes
	}
	tr, err := tracer.Open(cfg)
	if err != nil {
		var pe *tracer.ProgramError
		if errors.As(err, &pe) {
			t.Logf("verifier log of %s:\n%s", pe.Program, strings.Join(pe.Log, "\n"))
		}
		t.Fatalf("opening tracer: %v", err)
	}
	if err := tr.Follow(uint32(os.Getpid()), 0, tracer.FollowOwes|tracer.FollowChildren); err != nil {
		tr.Close()
		t.Fatal(err)
	}
	return tr
}

// runDuring reads tr's events into handle while during runs, then lets the
// reader drain what is left and stop.
func runDuring(t *testing.T, tr *tracer.Tracer, handle func(*events.Event), during func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tr.Run(ctx, handle, nil) }()
	during()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("reading events: %v", err)
	}
}

// startPiped starts cmd talking through its stdin and stdout (its stderr is
// the test's); when the test ends its stdin is closed and it is waited for.
func startPiped(t *testing.T, cmd *exec.Cmd) (io.WriteCloser, *bufio.Scanner) {
	t.Helper()
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close()
		cmd.Wait()
	})
	return in, bufio.NewScanner(out)
}

// reapAll reaps every child this process inherited until none is left.
func reapAll(t *testing.T) {
	t.Helper()
	testenv.ReapChildren(t, 15*time.Second)
}

// reapPid reaps pid, a child this process inherits now or soon.
func reapPid(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		var ws unix.WaitStatus
		got, err := unix.Wait4(pid, &ws, unix.WNOHANG|unix.WALL, nil)
		switch {
		case got == pid:
			return
		case err == nil, errors.Is(err, unix.EINTR), errors.Is(err, unix.ECHILD): // not ours yet
			time.Sleep(time.Millisecond)
		default:
			t.Fatalf("wait4(%d): %v", pid, err)
		}
	}
	t.Fatalf("pid %d was not passed on to this process in 15 s", pid)
}

func between(t *testing.T, what string, ns uint64, lo, hi time.Duration) {
	t.Helper()
	if d := time.Duration(ns); d < lo || d > hi {
		t.Errorf("%s = %v, want between %v and %v", what, d, lo, hi)
	}
}
