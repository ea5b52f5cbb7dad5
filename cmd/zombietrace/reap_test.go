//go:build linux

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zombietrace/zombietrace/internal/testenv"
)

// target starts a remediation scenario (testdata/remediation) and returns
// its pids once its zombies exist. It is killed and reaped at cleanup.
//
// A C scenario is built under privateComm's name, which is its comm: reap
// --auto --comm signals every parent on the host whose comm matches, and
// these tests may run concurrently with another run of them (another
// checkout) on the same host. A parent one test nudges must not be nudged
// by another test's reap --auto.
func target(t *testing.T, name string, args ...string) (map[string]json.RawMessage, *exec.Cmd) {
	t.Helper()
	src := filepath.Join(filepath.Dir(scenariosDir), "remediation", name)
	argv := append([]string{python, src}, args...)
	if strings.HasSuffix(name, ".c") {
		exe := filepath.Join(t.TempDir(), privateComm(strings.TrimSuffix(name, ".c")))
		if out, err := exec.Command("cc", "-O2", "-Wall", "-pthread", "-o", exe, src).CombinedOutput(); err != nil {
			t.Fatalf("compiling %s: %v\n%s", name, err, out)
		}
		argv = append([]string{exe}, args...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("%s printed no pids: %v", name, err)
	}
	var v struct {
		Pids map[string]json.RawMessage `json:"pids"`
	}
	if err := json.Unmarshal([]byte(line), &v); err != nil {
		t.Fatalf("%s: %q: %v", name, line, err)
	}
	return v.Pids, cmd
}

// privateComm is a command name no other process on the host runs: the
// first 7 bytes of stem and this test process's pid, within the 15 bytes
// the kernel keeps of a comm.
func privateComm(stem string) string {
	if len(stem) > 7 {
		stem = stem[:7]
	}
	return stem + "-" + strconv.Itoa(os.Getpid())
}

// comm is the command name of pid.
func comm(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(string(b), "\n")
}

func rawInt(t *testing.T, m map[string]json.RawMessage, k string) int {
	t.Helper()
	var v int
	if err := json.Unmarshal(m[k], &v); err != nil {
		t.Fatalf("%s: %v", k, err)
	}
	return v
}

func rawInts(t *testing.T, m map[string]json.RawMessage, k string) []int {
	t.Helper()
	var v []int
	if err := json.Unmarshal(m[k], &v); err != nil {
		t.Fatalf("%s: %v", k, err)
	}
	return v
}

func isZombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && len(s) > i+2 && s[i+2] == 'Z'
}

func alive(pid int) bool { return unix.Kill(pid, 0) == nil && !isZombie(pid) }

// reapOrphans reaps, while it runs, the given orphans once this (subreaper)
// process has inherited them as zombies. Only those: a wait on any other
// child would race exec.Cmd.Wait for the zombietrace the test runs, which
// then fails with "waitid: no child processes".
func reapOrphans(t *testing.T, orphans ...int) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			for _, pid := range testenv.Children(os.Getpid()) {
				if slices.Contains(orphans, pid) && isZombie(pid) {
					var ws unix.WaitStatus
					unix.Wait4(pid, &ws, unix.WNOHANG, nil)
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	return func() { cancel(); wg.Wait() }
}

func auditLines(t *testing.T, path string) []line {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseJSONL(t, string(b))
}

// SCENARIOS.md 8: a handler that reaps one child per signal is cleared by nudges.
func TestReapNudgeClearsCoalescedSignals(t *testing.T) {
	e2e(t)
	pids, _ := target(t, "one_per_signal.c", "8")
	parent := rawInt(t, pids, "parent")
	var zombies []int
	for _, c := range rawInts(t, pids, "children") {
		if isZombie(c) {
			zombies = append(zombies, c)
		}
	}
	if len(zombies) == 0 {
		// one_per_signal blocks SIGCHLD while its children exit: one is
		// reaped, the others stay. Anything else is the scenario broken.
		t.Fatalf("one_per_signal left no zombie: %v", rawInts(t, pids, "children"))
	}
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	r := zt(t, 60*time.Second, "reap", "--parent", itoa(parent), "--yes", "--audit", audit)
	if r.code != 0 || !strings.Contains(r.stdout, "done: all") {
		t.Fatalf("reap: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	checkZombies(t, zombies, false, "%d is still a zombie")
	if !alive(parent) {
		t.Error("a nudge must not end the parent")
	}
	lines := auditLines(t, audit)
	last := lines[len(lines)-1]
	if last.str("action") != "done" || last.int("zombies_after") != 0 {
		t.Errorf("audit's last line %s", last)
	}
	byParent, _ := last["reaped_by"].(map[string]any)["parent"].(json.Number).Int64()
	if int(byParent) < len(zombies)-1 {
		t.Errorf("the tracer attributed %v of %d reaps to the parent: %s", byParent, len(zombies), last)
	}
	// Nothing but zombietrace signals the parent (target: no other test's
	// reap --auto can match its comm), and its handler reaps one child per
	// SIGCHLD: each nudge reaps exactly one zombie, in its own window (the
	// next is sent only once it was seen). A parent another reap --auto
	// nudged too showed 2 reaps in one nudge's window: "6 nudges audited
	// for 7 zombies".
	var nudges []line
	for _, l := range lines {
		if l.str("action") == "nudge" && l.str("signal") == "SIGCHLD" {
			nudges = append(nudges, l)
		}
	}
	left := int64(len(zombies))
	for _, l := range nudges {
		if l.int("zombies_before") != left || l.int("zombies_after") != left-1 {
			t.Errorf("nudge %s: want zombies_before %d, zombies_after %d (one reap per SIGCHLD)", l, left, left-1)
		}
		left = l.int("zombies_after")
	}
	if len(nudges) != len(zombies) {
		t.Errorf("%d nudges audited for %d zombies:\n%s", len(nudges), len(zombies), r.stdout)
	}
}

// A parent that never waits: a nudge does nothing, terminate hands its
// zombies to this test process (the subreaper), which reaps them.
func TestReapTerminateNeverWaiting(t *testing.T) {
	e2e(t)
	pids, _ := target(t, "never_waits.py")
	parent := rawInt(t, pids, "parent")
	zombies := rawInts(t, pids, "children")
	stop := reapOrphans(t, zombies...)
	defer stop()
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	r := zt(t, 60*time.Second, "reap", "--parent", itoa(parent), "--strategy", "terminate", "--grace", "500ms", "--yes", "--audit", audit)
	if r.code != 0 || !strings.Contains(r.stdout, "done: all") {
		t.Fatalf("reap: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "no effect") || !strings.Contains(r.stdout, "terminate:") {
		t.Errorf("want a nudge without effect, then terminate:\n%s", r.stdout)
	}
	checkZombies(t, zombies, false, "%d is still a zombie")
	var term line
	for _, l := range auditLines(t, audit) {
		if l.str("action") == "terminate" {
			term = l
		}
	}
	if term == nil || term.int("zombies_after") != 0 || term.int("heir_pid") != int64(os.Getpid()) {
		t.Errorf("terminate audit %s (heir should be this test, %d)", term, os.Getpid())
	}
}

// Refusals: one line, non-zero, nothing signalled.
func TestReapRefusals(t *testing.T) {
	e2e(t)
	pids, _ := target(t, "never_waits.py")
	parent := rawInt(t, pids, "parent")
	zombies := rawInts(t, pids, "children")
	idle := exec.Command("sleep", "30") // a process without zombies
	if err := idle.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { idle.Process.Kill(); idle.Wait() }()
	start := func() uint64 {
		b, _ := os.ReadFile("/proc/" + itoa(parent) + "/stat")
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		n, _ := strconv.ParseUint(f[19], 10, 64)
		return n
	}()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"pid 1", []string{"--parent", "1"}, "pid 1 of its pid namespace"},
		{"kernel thread", []string{"--parent", "2"}, "kernel thread"},
		{"gone", []string{"--parent", "999999"}, "no such process"},
		{"itself and ancestors", []string{"--parent", itoa(os.Getpid())}, "zombietrace itself or one of its ancestors"},
		{"no zombies", []string{"--parent", itoa(idle.Process.Pid)}, "holds no zombies"},
		{"reused pid", []string{"--parent", itoa(parent) + ":" + strconv.FormatUint((start+500)*1e7, 10)}, "reused"},
		// A truncated paste: shorter than a tick, still checked (it turned
		// the check off).
		{"short start_ns", []string{"--parent", itoa(parent) + ":12345"}, "not 12345: the pid was reused"},
		{"protected", []string{"--parent", itoa(parent), "--protect", "never_waits.py", "--protect", "python3"}, "protected"},
		{"bad strategy", []string{"--parent", itoa(parent), "--strategy", "nuke"}, "want nudge, terminate or kill"},
	}
	for _, c := range cases {
		r := zt(t, 30*time.Second, append([]string{"reap", "--yes"}, c.args...)...)
		if r.code == 0 || !strings.Contains(r.stderr, c.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%s: code %d stderr %q, want one line with %q", c.name, r.code, r.stderr, c.want)
		}
	}
	if !alive(parent) {
		t.Fatal("a refused reap signalled the parent")
	}
	checkZombies(t, zombies, true, "zombie %d vanished although every reap was refused")
	// The dry run changes nothing either.
	r := zt(t, 30*time.Second, "reap", "--parent", itoa(parent), "--strategy", "kill")
	if r.code != 0 || !strings.Contains(r.stdout, "dry run") || !strings.Contains(r.stdout, "step 3: kill") {
		t.Errorf("dry run: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !alive(parent) {
		t.Fatal("the dry run signalled the parent")
	}
	checkZombies(t, zombies, true, "zombie %d vanished in a dry run")
}

// SCENARIOS.md 10: a container whose pid 1 never waits (it has held a
// zombie of its own for seconds): terminating the parent would only move
// the zombies; refused without --force, said once.
func TestReapRefusesUselessTerminate(t *testing.T) {
	e2e(t)
	pids, _ := target(t, "pidns_nowait.c")
	parent := rawInt(t, pids, "parent")
	zombies := rawInts(t, pids, "children")
	// Killing the namespace's init tears it down: nothing outlives the test.
	t.Cleanup(func() { unix.Kill(rawInt(t, pids, "init"), unix.SIGKILL) })
	time.Sleep(heirEvidenceWait) // the init's own zombie is old enough to tell
	r := zt(t, 60*time.Second, "reap", "--parent", itoa(parent), "--strategy", "terminate", "--grace", "300ms", "--yes")
	if r.code == 0 || !strings.Contains(r.stderr, "will not reap them") || !strings.Contains(r.stderr, "held 1 zombie of its own") {
		t.Fatalf("want a refusal: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, "not terminating") {
		t.Errorf("the refusal is printed twice (stdout and stderr):\n%s\n%s", r.stdout, r.stderr)
	}
	if !alive(parent) {
		t.Error("the parent was terminated although its heir never waits")
	}
	checkZombies(t, zombies, true, "zombie %d vanished")
}

// heirEvidenceWait: how long a test lets a heir's own zombie age before a
// reap judges it (remedy's heirEvidenceAge, 3 s, and a margin).
const heirEvidenceWait = 3500 * time.Millisecond

// A heir nothing is known of (not in a wait, no SIGCHLD handler, no known
// init name, no old zombies: like an init that reaps without a visible wait)
// is "unknown": terminate proceeds, and the result is verified. Here it is
// a subreaper that reaps by polling.
func TestReapUnknownHeirProceeds(t *testing.T) {
	e2e(t)
	heir := exec.Command(python, "-c", `
import ctypes, os, subprocess, sys, time
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
p = subprocess.Popen([sys.executable, sys.argv[1]], stdout=subprocess.PIPE)
sys.stdout.write(p.stdout.readline().decode())
sys.stdout.flush()
while True:
    time.sleep(0.3)
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass
`, filepath.Join(filepath.Dir(scenariosDir), "remediation", "never_waits.py"))
	out, err := heir.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := heir.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { heir.Process.Kill(); heir.Wait() })
	l, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("no pids: %v", err)
	}
	var v struct {
		Pids map[string]json.RawMessage `json:"pids"`
	}
	if err := json.Unmarshal([]byte(l), &v); err != nil {
		t.Fatalf("%q: %v", l, err)
	}
	parent, zombies := rawInt(t, v.Pids, "parent"), rawInts(t, v.Pids, "children")
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	r := zt(t, 60*time.Second, "reap", "--parent", itoa(parent), "--strategy", "terminate", "--grace", "1s", "--yes", "--audit", audit)
	if r.code != 0 || !strings.Contains(r.stdout, "whether it reaps them is unknown") || !strings.Contains(r.stdout, "done: all") {
		t.Fatalf("want terminate to proceed past an unknown heir and clear the zombies: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	checkZombies(t, zombies, false, "%d is still a zombie")
	for _, l := range auditLines(t, audit) {
		if l.str("action") == "terminate" && (l.str("heir_reaps") != "unknown" || l.int("heir_pid") != int64(heir.Process.Pid)) {
			t.Errorf("terminate audit %s: want heir %d, heir_reaps unknown", l, heir.Process.Pid)
		}
	}
}

// trace --remediate applies the nudge continuously.
func TestTraceRemediate(t *testing.T) {
	e2e(t)
	pids, _ := target(t, "one_per_signal.c", "6")
	parent := rawInt(t, pids, "parent")
	var zombies []int
	for _, c := range rawInts(t, pids, "children") {
		if isZombie(c) {
			zombies = append(zombies, c)
		}
	}
	if len(zombies) == 0 {
		// one_per_signal blocks SIGCHLD while its children exit: one is
		// reaped, the others stay. Anything else is the scenario broken.
		t.Fatalf("one_per_signal left no zombie: %v", rawInts(t, pids, "children"))
	}
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	r := zt(t, 60*time.Second, "trace", "--pid", itoa(parent), "--remediate", "nudge", "--min-zombie", "10ms",
		"--remediate-interval", "200ms", "--yes", "--audit", audit, "--duration", "4s", "--json", "-o", "/dev/null")
	if r.code != 0 {
		t.Fatalf("trace --remediate: %d %s", r.code, r.stderr)
	}
	checkZombies(t, zombies, false, "%d still a zombie after 4 s of remediation")
	if !strings.Contains(r.stderr, "remediate: nudge") {
		t.Errorf("no remediation reported:\n%s", r.stderr)
	}
	if _, err := os.Stat(audit); errors.Is(err, os.ErrNotExist) {
		t.Error("no audit log")
	}
}

// reap --auto finds the parents by comm and zombie count; a dry run first.
func TestReapAuto(t *testing.T) {
	e2e(t)
	pids, _ := target(t, "one_per_signal.c", "6")
	var zombies []int
	for _, c := range rawInts(t, pids, "children") {
		if isZombie(c) {
			zombies = append(zombies, c)
		}
	}
	if len(zombies) < 2 {
		t.Fatalf("one_per_signal left %d zombies, want all but one: %v", len(zombies), rawInts(t, pids, "children"))
	}
	parent := rawInt(t, pids, "parent")
	// Its own comm only: --auto acts on every matching parent on the host,
	// those of a concurrent run of these tests included (see target).
	rx := "^" + regexp.QuoteMeta(comm(t, parent)) + "$"
	r := zt(t, 60*time.Second, "reap", "--auto", "--comm", rx, "--min-zombies", "2")
	if r.code != 0 || !strings.Contains(r.stdout, "parent "+itoa(parent)) || !strings.Contains(r.stdout, "dry run") {
		t.Fatalf("auto dry run: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = zt(t, 60*time.Second, "reap", "--auto", "--comm", rx, "--min-zombies", "2", "--min-zombie", "1ms", "--yes")
	if r.code != 0 || !strings.Contains(r.stdout, "done: all") {
		t.Fatalf("auto: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	checkZombies(t, zombies, false, "%d still a zombie")
	r = zt(t, 60*time.Second, "reap", "--auto", "--comm", "^no-such-command$")
	if r.code != 0 || !strings.Contains(r.stdout, "no parent holds zombies") {
		t.Errorf("auto without match: %d %q", r.code, r.stdout)
	}
}

// A dry run of reap --auto that refuses a parent (here: this test, an
// ancestor of zombietrace, holding a zombie) did its job: the refusal is in
// the plan and the status is 0. It exited 1, "1 of 1 parents not cleared".
func TestReapAutoDryRunRefusalExitsZero(t *testing.T) {
	e2e(t)
	comm, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	child := exec.Command("/bin/true")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Wait()
	for deadline := time.Now().Add(10 * time.Second); !isZombie(child.Process.Pid); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d never became a zombie", child.Process.Pid)
		}
	}
	self := strconv.Itoa(os.Getpid())
	r := zt(t, 60*time.Second, "reap", "--auto", "--comm", "^"+regexp.QuoteMeta(strings.TrimSpace(string(comm)))+"$")
	if r.code != 0 || !strings.Contains(r.stdout, "parent "+self+": refused: ") || !strings.Contains(r.stdout, "ancestors") || r.stderr != "" {
		t.Errorf("reap --auto dry run refusing %s: code %d\nstdout:\n%s\nstderr:\n%s", self, r.code, r.stdout, r.stderr)
	}
	// Acting on it is refused too, and that is a failure.
	r = zt(t, 60*time.Second, "reap", "--auto", "--yes", "--comm", "^"+regexp.QuoteMeta(strings.TrimSpace(string(comm)))+"$")
	if r.code == 0 || !strings.Contains(r.stderr, "ancestors") {
		t.Errorf("reap --auto --yes refusing %s: code %d\nstdout:\n%s\nstderr:\n%s", self, r.code, r.stdout, r.stderr)
	}
}

// checkZombies reports, with format (one %d: the pid), each of pids that is
// not (want) or still (!want) a zombie.
func checkZombies(t *testing.T, pids []int, want bool, format string) {
	t.Helper()
	for _, z := range pids {
		if isZombie(z) != want {
			t.Errorf(format, z)
		}
	}
}
