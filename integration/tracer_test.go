//go:build linux

package integration

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/tracer"
)

// Close leaves nothing of ours loaded: the programs' IDs are gone (checked by
// ID: other tests load programs with the same names in parallel).
func TestCloseReleasesEverything(t *testing.T) {
	requireBPF(t)
	for _, m := range modes {
		tr, err := tracer.Open(m.cfg)
		if err != nil {
			t.Fatal(err)
		}
		want := 7
		if tr.Mode() == events.ModeExact {
			want = 9 // and the two wait syscall exits
		}
		if tr.Object() == "compat" {
			want += 2 // and their entries
		}
		var ids []ebpf.ProgramID
		for name, p := range tr.Programs() {
			info, err := p.Info()
			if err != nil {
				t.Fatal(err)
			}
			id, ok := info.ID()
			if !ok {
				t.Fatalf("%s: no program ID", name)
			}
			ids = append(ids, id)
		}
		if len(ids) != want {
			t.Errorf("%s: %d programs loaded, want %d", m.name, len(ids), want)
		}
		if err := tr.Close(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for _, id := range ids {
			for {
				p, err := ebpf.NewProgramFromID(id)
				if errors.Is(err, os.ErrNotExist) {
					break
				}
				if err == nil {
					p.Close()
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s: program %d still loaded after Close", m.name, id)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
}

// Zombies that exist before tracing are listed by the task iterator and
// reported outstanding with preexisting set; live events de-duplicate them.
func TestPreexistingZombie(t *testing.T) {
	requireBPF(t)
	// A parent that forks a child which exits at once, and sleeps without waiting.
	cmd := exec.Command(python, "-c", `
import os, sys, time
pid = os.fork()
if pid == 0:
    os._exit(5)
print(pid, flush=True)
time.sleep(30)
`)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
		reapAll(t)
	}()
	var child uint32
	buf := make([]byte, 32)
	n, _ := out.Read(buf)
	for _, c := range strings.TrimSpace(string(buf[:n])) {
		child = child*10 + uint32(c-'0')
	}
	time.Sleep(100 * time.Millisecond) // let it become a zombie

	tr, err := tracer.Open(tracer.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	zs, err := tr.Zombies()
	if err != nil {
		t.Fatal(err)
	}
	eng := events.NewEngine(tr.Mode(), nil)
	found := false
	for i := range zs {
		if zs[i].PID == child {
			found = true
			if zs[i].PeerPID != uint32(cmd.Process.Pid) {
				t.Errorf("zombie's parent %d, want %d", zs[i].PeerPID, cmd.Process.Pid)
			}
			if got := events.DecodeWaitStatus(zs[i].Status); got.Code != 5 {
				t.Errorf("zombie's status %+v, want code 5", got)
			}
			eng.Handle(&zs[i])
			eng.Handle(&zs[i]) // listed twice: still one zombie
		}
	}
	if !found {
		t.Fatalf("zombie %d not listed by the iterator", child)
	}
	s := eng.Summary(tracer.BootNow())
	if len(s.Zombies) != 1 || !s.Zombies[0].Preexisting || s.Zombies[0].PID != child {
		t.Fatalf("summary zombies %+v", s.Zombies)
	}
	if age := time.Duration(s.Zombies[0].AgeNS); age < 50*time.Millisecond || age > 30*time.Second {
		t.Errorf("estimated age %v, want about 100ms", age)
	}

	// The one-shot listing (`zombietrace ps`) loads the iterator from its own
	// object, with probe reads: it must say the same.
	all, err := tracer.ListAllZombies()
	if err != nil {
		t.Fatal(err)
	}
	var same *events.Event
	for i := range all {
		if all[i].PID == child {
			same = &all[i]
		}
	}
	if same == nil {
		t.Fatalf("zombie %d not listed by ListAllZombies (%d listed)", child, len(all))
	}
	for i := range zs {
		if zs[i].PID != child {
			continue
		}
		a, b := zs[i], *same
		if a.PeerPID != b.PeerPID || a.PeerStart != b.PeerStart || a.Status != b.Status || a.Start != b.Start ||
			a.Time != b.Time || a.Comm != b.Comm || a.NSPID != b.NSPID || a.Options != b.Options {
			t.Errorf("the two iterators differ:\n tracer: %+v\n ps:     %+v", a, b)
		}
	}
}

// The subreaper iterator finds this test process (it is a child subreaper).
func TestSubreapers(t *testing.T) {
	requireBPF(t)
	srs, err := tracer.Subreapers()
	if err != nil {
		t.Fatal(err)
	}
	if !srs[uint32(os.Getpid())] {
		t.Fatalf("this process (%d) is a subreaper but not listed: %v", os.Getpid(), srs)
	}
}

// A ring that overflows counts what it could not take: the loss reaches the
// engine at its time, and the records it may have touched are marked
// uncertain, not those that ended before it. Here 1024 slots per CPU and a
// reader that sleeps through a 3000-child storm; a child that lives across
// the loss is reaped after it (in a second Run, once the rings are read).
func TestOverflowIsCountedAndMarked(t *testing.T) {
	requireBPF(t)
	tr := openFollowingSelf(t, tracer.Config{Filter: true, RingBufferBytes: 1, PollInterval: time.Hour})
	defer tr.Close()
	var recs []events.Record
	eng := events.NewEngine(tr.Mode(), func(r *events.Record) { recs = append(recs, *r) })
	run := func(during func()) {
		t.Helper()
		runDuring(t, tr, eng.Handle, func() {
			time.Sleep(50 * time.Millisecond) // the reader's first pass is over: it sleeps now
			during()
		}) // then the reader wakes and drains
	}

	before := exec.Command("/bin/true")
	across := exec.Command("/bin/sleep", "60")
	run(func() {
		if err := before.Run(); err != nil {
			t.Fatal(err)
		}
		if err := across.Start(); err != nil {
			t.Fatal(err)
		}
		storm := program(t, "storm.c", "3000")
		if out, err := exec.Command(storm[0], storm[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("storm: %v: %s", err, out)
		}
	})
	run(func() {
		across.Process.Kill()
		across.Wait()
	})
	reapAll(t)

	lost, _, err := tr.Counters()
	if err != nil {
		t.Fatal(err)
	}
	s := eng.Summary(tracer.BootNow())
	if lost == 0 || s.LostEvents != lost {
		t.Fatalf("kernel counted %d lost, the engine %d: want the same, above 0", lost, s.LostEvents)
	}
	reap := func(pid int) *events.Record {
		for i := range recs {
			if recs[i].Type == events.RecordReap && recs[i].PID == uint32(pid) {
				return &recs[i]
			}
		}
		t.Fatalf("no reap record for pid %d", pid)
		return nil
	}
	if r := reap(before.Process.Pid); r.Uncertain {
		t.Errorf("pid %d was reaped before the loss but is marked uncertain: %+v", r.PID, *r)
	}
	if r := reap(across.Process.Pid); !r.Uncertain {
		t.Errorf("pid %d lived across the loss but is not marked uncertain: %+v", r.PID, *r)
	}
	uncertain := 0
	for _, r := range recs {
		if r.Uncertain {
			uncertain++
		}
	}
	t.Logf("%d events lost, %d of %d records uncertain", lost, uncertain, len(recs))
}

// An exec's path comes whole from the three ring slots its record takes:
// the first part read a word at a time when it ends within 64 bytes, else
// by the string copy, and the second part when the first is full. The paths
// are relative (execve gets them as given), one for each length around
// those bounds, up to the 174 bytes kept and past it.
func TestExecPath(t *testing.T) {
	requireBPF(t)
	checkExecPaths(t, tracer.Config{Filter: true})
}

// checkExecPaths execs paths of every length around the parts' edges and
// checks each one comes whole.
func checkExecPaths(t *testing.T, cfg tracer.Config) {
	dir := t.TempDir()
	data, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "true"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	const kept = 2 * 87
	var rel []string
	for _, n := range []int{3, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 71, 72, 86, 87, 88, 89, 150, kept - 1, kept, kept + 1, 200} {
		name := strings.Repeat("t", n-2)
		if err := os.Symlink("true", filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		rel = append(rel, "./"+name)
	}
	tr := openFollowingSelf(t, cfg)
	defer tr.Close()
	paths, want := map[int]string{}, map[int]string{}
	runDuring(t, tr, func(ev *events.Event) {
		if ev.Kind == events.KindExec {
			paths[int(ev.PID)] = ev.Filename
		}
	}, func() {
		for _, path := range append([]string{"/bin/true"}, rel...) {
			cmd := exec.Command(path)
			cmd.Dir = dir
			if err := cmd.Run(); err != nil {
				t.Error(err)
				return
			}
			want[cmd.Process.Pid] = path[:min(len(path), kept)]
		}
	})
	for pid, path := range want {
		if paths[pid] != path {
			t.Errorf("pid %d: exec path %q (%d bytes), want %q (%d bytes)", pid, paths[pid], len(paths[pid]), path, len(path))
		}
	}
}

// execLaterScript forks children that each wait 50 ms, print their pid and
// the boot clock, and exec /bin/true at once: their start is too old to be
// their exec's time, which must come from a clock read in the same tick.
const execLaterScript = `
import os, time
for _ in range(15):
    pid = os.fork()
    if pid == 0:
        time.sleep(0.05)
        print(os.getpid(), time.clock_gettime_ns(time.CLOCK_BOOTTIME), flush=True)
        os.execv("/bin/true", ["true"])
    os.waitpid(pid, 0)
`

// An exec's time is read once a tick for all execs (handle_exec): never
// later than the exec (its process's exit or exit notification comes after
// it), and at most a tick before it, here with two loops exec'ing at once so
// that some take the other's clock read. Its exec count is one more than its
// parent's, whose waits carry the parent's.
//
// A process whose exec or exit is missing is excused only by a loss the
// tracer reported: on a one-CPU guest with preemptible tracepoints the
// kernel skips exec runs too often for a clean attempt (tracer/misses.go).
func TestExecTime(t *testing.T) {
	requireBPF(t)
	problems, lost, unseen := execTimeOnce(t)
	for _, p := range problems {
		t.Error(p)
	}
	if unseen > int(lost) {
		t.Errorf("%d processes' exec or exit not seen, and only %d events reported lost", unseen, lost)
	} else if lost > 0 {
		t.Logf("%d events reported lost; %d processes not checked", lost, unseen)
	}
}

func execTimeOnce(t *testing.T) (problems []string, lost uint64, unseen int) {
	errorf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	// A tick is 10 ms at HZ=100, the lowest; and a vCPU stalls here.
	const early = 25 * time.Millisecond
	tr := openFollowingSelf(t, tracer.Config{Filter: true})
	defer tr.Close()
	type seen struct {
		exec, exit, start  uint64
		execs, parentExecs uint32
		ppid               uint32
	}
	procs := map[uint32]*seen{}
	waitExecs := map[uint32]uint32{}
	get := func(pid uint32) *seen {
		if procs[pid] == nil {
			procs[pid] = &seen{}
		}
		return procs[pid]
	}
	var outs [2]bytes.Buffer
	runDuring(t, tr, func(ev *events.Event) {
		switch ev.Kind {
		case events.KindFork:
			get(ev.PID).ppid = ev.PeerPID
		case events.KindExec:
			s := get(ev.PID)
			s.exec, s.start, s.execs = ev.Time, ev.Start, ev.ExecCount()
		case events.KindExit, events.KindNotify:
			// the notification stands for the exit when no exit event comes
			if s := get(ev.PID); s.exit == 0 {
				s.exit = ev.Time
			}
		case events.KindWait:
			waitExecs[ev.PID] = ev.ExecCount()
		case events.KindLost:
			lost += ev.Count
		}
	}, func() {
		var cmds [2]*exec.Cmd
		for i := range cmds {
			cmds[i] = exec.Command(python, "-c", execLaterScript)
			cmds[i].Stdout = &outs[i]
			if err := cmds[i].Start(); err != nil {
				t.Error(err)
				cmds[i] = nil
			}
		}
		for _, c := range cmds {
			if c == nil {
				continue
			}
			if err := c.Wait(); err != nil {
				t.Error(err)
			}
		}
	})
	n := 0
	for _, out := range outs {
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			var pid uint32
			var before uint64
			if _, err := fmt.Sscan(line, &pid, &before); err != nil {
				t.Fatalf("script output %q: %v", line, err)
			}
			s := procs[pid]
			if s == nil || s.exec == 0 || s.exit == 0 {
				unseen++
				continue
			}
			n++
			if s.exec > s.exit {
				errorf("pid %d: exec at %d, after its exit at %d", pid, s.exec, s.exit)
			}
			if s.exec+uint64(early) < before {
				errorf("pid %d: exec at %d, %v before the clock read just before it", pid, s.exec, time.Duration(before-s.exec))
			}
			if s.exec < s.start {
				errorf("pid %d: exec at %d, before its start %d", pid, s.exec, s.start)
			}
			if pe, ok := waitExecs[s.ppid]; !ok || s.execs != pe+1 || pe == 0 {
				errorf("pid %d: exec count %d, its parent's waits %d (seen %v): want one more", pid, s.execs, pe, ok)
			}
		}
	}
	if n+unseen != 30 {
		errorf("%d execs checked and %d not seen, want 30", n, unseen)
	}
	return problems, lost, unseen
}

// forkThenExecScript forks children that exec /bin/true at once, each in
// the tick of the previous one's exec, and prints their pids.
const forkThenExecScript = `
import os
for _ in range(200):
    pid = os.fork()
    if pid == 0:
        os.execv("/bin/true", ["true"])
    os.waitpid(pid, 0)
    print(pid, flush=True)
`

// A child's fork comes before its exec, also when it execs microseconds
// after it, in a tick whose clock read it then takes (handle_exec): the
// engine starts a process at its first event, and a fork seen after that is
// dropped, with its record (parent, fork time, --stacks call site).
func TestForkComesBeforeExec(t *testing.T) {
	requireBPF(t)
	all := append(modes[:len(modes):len(modes)], mode{"light-stacks", tracer.Config{Filter: true, Stacks: true}})
	for _, m := range all {
		t.Run(m.name, func(t *testing.T) {
			tr := openFollowingSelf(t, m.cfg)
			defer tr.Close()
			forked, execBeforeFork := map[uint32]bool{}, 0
			eng := events.NewEngine(tr.Mode(), func(r *events.Record) {
				switch {
				case r.Type == events.RecordFork:
					forked[r.PID] = true
				case r.Type == events.RecordExec && !forked[r.PID]:
					execBeforeFork++
				}
			})
			var out bytes.Buffer
			runDuring(t, tr, eng.Handle, func() {
				cmd := exec.Command(python, "-c", forkThenExecScript)
				cmd.Stdout = &out
				if err := cmd.Run(); err != nil {
					t.Fatal(err)
				}
			})
			pids := strings.Fields(out.String())
			missing := 0
			for _, f := range pids {
				pid, err := strconv.Atoi(f)
				if err != nil {
					t.Fatalf("script output %q", out.String())
				}
				if !forked[uint32(pid)] {
					missing++
				}
			}
			if len(pids) != 200 || missing > 0 || execBeforeFork > 0 {
				t.Errorf("of %d children, %d have no fork record; %d exec records came before their fork's", len(pids), missing, execBeforeFork)
			}
		})
	}
}

// outsiderScript makes, on each pid read from stdin, a process with that
// pid and prints the pid it got, or 0 if another process took the pid first.
// clone3's set_tid (Linux 5.5, root) gives it the pid every time: once
// reaped, a pid is free, and the kernel hands it out again only when its
// counter wraps. With "child" it is a child that exits and is reaped; with
// "orphan" it is a zombie orphaned before its reap: a child forks it, waits
// until it is a zombie and exits, so the kernel passes it on to the nearest
// subreaper (the test process) with a notification sent by the dying child.
const outsiderScript = `
import ctypes, errno, os, signal, sys

class CloneArgs(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint64) for name in (
        "flags", "pidfd", "child_tid", "parent_tid", "exit_signal",
        "stack", "stack_size", "tls", "set_tid", "set_tid_size")]

libc = ctypes.CDLL(None, use_errno=True)

def fork_onto(pid):
    tid = ctypes.c_int(pid)
    args = CloneArgs(exit_signal=signal.SIGCHLD, set_tid=ctypes.addressof(tid), set_tid_size=1)
    child = libc.syscall(435, ctypes.byref(args), ctypes.c_size_t(ctypes.sizeof(args)))  # clone3
    if child == 0:
        os._exit(0)
    if child < 0:
        err = ctypes.get_errno()
        if err == errno.EEXIST:
            return 0
        sys.exit("clone3 onto pid %d: %s" % (pid, os.strerror(err)))
    return child

for line in sys.stdin:
    if sys.argv[1] == "child":
        pid = fork_onto(int(line))
        if pid:
            os.waitpid(pid, 0)
        print(pid, flush=True)
        continue
    r, w = os.pipe()
    mid = os.fork()
    if mid == 0:
        z = fork_onto(int(line))
        if z:
            os.waitid(os.P_PID, z, os.WEXITED | os.WNOWAIT)  # until it is a zombie
        os.write(w, b"%d" % z)
        os._exit(0)
    os.close(w)
    z = int(os.read(r, 32))
    os.close(r)
    os.waitpid(mid, 0)
    print(z, flush=True)
`

// The follow filter finds processes by pid, and an entry outlives its
// process until the free event, which lazy RCU delays. A process outside the
// followed tree that gets the pid in between stays outside, whether the pid
// was a child the kernel followed or a process seeded by pid (as trace --pid
// seeds what it finds in /proc), and whether the outsider is a child that
// announces its own exit or a zombie whose dying parent passes it on to a
// subreaper (a notification that names the zombie by its pid alone).
func TestFilterKeepsOutAReusedPid(t *testing.T) {
	requireBPF(t)
	for _, seeded := range []bool{false, true} {
		for _, orphan := range []bool{false, true} {
			name := "followed child"
			if seeded {
				name = "seeded process"
			}
			if orphan {
				name += ", orphaned zombie"
			}
			t.Run(name, func(t *testing.T) {
				eachMode(t, func(t *testing.T, m mode) { filterKeepsOutReusedPid(t, m, seeded, orphan) })
			})
		}
	}
}

func filterKeepsOutReusedPid(t *testing.T, m mode, seeded, orphan bool) {
	// The outsider gets our pid at the first attempt, unless another
	// process set its own pid to it in between (EEXIST): then another try.
	const attempts = 3
	// Started before the tracer: neither it nor its descendants are followed.
	kind := "child"
	if orphan {
		kind = "orphan"
	}
	in, answers := startPiped(t, exec.Command(python, "-c", outsiderScript, kind))
	// Processes to seed: also started before the tracer; each ends when its
	// stdin closes.
	var cats []*exec.Cmd
	var catIn []io.Closer
	if seeded {
		defer func() {
			for i, c := range cats {
				catIn[i].Close()
				c.Wait()
			}
		}()
		for i := 0; i < attempts; i++ {
			c := exec.Command("cat")
			w, err := c.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			cats, catIn = append(cats, c), append(catIn, w)
		}
	}

	cfg := m.cfg
	cfg.PollInterval = 20 * time.Millisecond
	tr := openFollowingSelf(t, cfg)
	defer tr.Close()
	var recs []events.Record
	eng := events.NewEngine(tr.Mode(), func(r *events.Record) { recs = append(recs, *r) })
	reused := 0
	var passedOn []events.Event // notifications of zombies passed on to a new reaper
	handle := func(e *events.Event) {
		if e.Kind == events.KindNotify && e.Flags&events.FlagNotifySelf == 0 {
			passedOn = append(passedOn, *e)
		}
		eng.Handle(e)
	}
	runDuring(t, tr, handle, func() {
		for i := 0; i < attempts && reused == 0; i++ {
			var ours int
			if seeded {
				c := cats[i]
				ours = c.Process.Pid
				if err := tr.Follow(uint32(ours), 0, tracer.FollowTrace); err != nil {
					t.Fatal(err)
				}
				catIn[i].Close()
				c.Wait()
			} else {
				c := exec.Command("true") // followed: our child
				if err := c.Run(); err != nil {
					t.Fatal(err)
				}
				ours = c.Process.Pid
			}
			fmt.Fprintln(in, ours)
			if !answers.Scan() {
				t.Fatalf("outsider: %v", answers.Err())
			}
			got, err := strconv.Atoi(answers.Text())
			if err != nil {
				t.Fatalf("outsider: %q", answers.Text())
			}
			if got == 0 {
				t.Logf("pid %d was taken by another process before the outsider", ours)
				continue
			}
			if orphan {
				reapPid(t, got) // passed on to this process
			}
			if got != ours {
				t.Fatalf("the outsider got pid %d, not %d", got, ours)
			}
			reused = got
		}
		time.Sleep(10 * cfg.PollInterval) // the reader catches up
	})
	if reused == 0 {
		t.Fatalf("in each of %d attempts, another process took our pid before the outsider", attempts)
	}
	starts := map[uint64]bool{}
	var lines strings.Builder
	for _, r := range recs {
		if r.PID == uint32(reused) {
			starts[r.Start] = true
			fmt.Fprintf(&lines, "  %v pid %d start %d ppid %d\n", r.Type, r.PID, r.Start, r.PPID)
		}
	}
	if len(starts) != 1 {
		t.Errorf("records of %d processes with pid %d, want only ours:\n%s", len(starts), reused, lines.String())
	}
	for _, e := range passedOn {
		if e.NSPID == uint32(reused) {
			t.Errorf("the outsider's zombie %d, passed on by its dying parent %d, was traced", reused, e.PID)
		}
	}
}

// nestedScript runs a pid namespace's init that, for each number read from
// stdin, has a parent in the namespace fork a child onto that namespace pid
// (0: the next one), wait until it is a zombie and report "HOSTPID NSPID" of
// it, then, on the next line read, exit: the kernel passes the zombie on to
// the init (a notification sent by the dying parent, naming the zombie by its
// namespace pid), which reaps both and reports "done". Its first line is the
// init's host pid (/proc is the host's, so /proc/self gives host pids).
const nestedScript = `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.unshare(0x20000000) != 0:  # CLONE_NEWPID
    sys.exit("unshare: " + os.strerror(ctypes.get_errno()))
init = os.fork()
if init:
    os.waitpid(init, 0)
    sys.exit(0)
print(os.readlink("/proc/self"), flush=True)
while True:
    line = sys.stdin.readline()
    if not line:
        break
    if int(line):
        with open("/proc/sys/kernel/ns_last_pid", "w") as f:
            f.write(str(int(line) - 2))
    r, w = os.pipe()
    go_r, go_w = os.pipe()
    mid = os.fork()
    if mid == 0:
        os.close(r)
        os.close(go_w)
        z = os.fork()
        if z == 0:
            os.write(w, os.readlink("/proc/self").encode() + b" ")
            os._exit(0)
        os.waitid(os.P_PID, z, os.WEXITED | os.WNOWAIT)
        os.write(w, b"%d\n" % z)
        os.read(go_r, 1)
        os._exit(0)
    os.close(w)
    os.close(go_r)
    with os.fdopen(r) as f:
        answer = f.readline()
    print(answer.strip(), flush=True)
    sys.stdin.readline()
    os.write(go_w, b"x")
    os.close(go_w)
    os.waitpid(mid, 0)
    os.waitpid(int(answer.split()[1]), 0)
    print("done", flush=True)
`

// With the receiver in a nested pid namespace, a zombie passed on by its
// dying parent is named by its pid there, which is no host pid. The filter
// finds the zombie itself: a followed one is kept, though its parent is not
// followed, and an outsider is kept out though its namespace pid is the host
// pid of a followed process.
func TestFilterFindsZombiesInANestedNamespace(t *testing.T) {
	requireBPF(t)
	for _, followed := range []bool{false, true} {
		name := "outsider on a followed pid's number"
		if followed {
			name = "followed zombie, unfollowed parent"
		}
		t.Run(name, func(t *testing.T) {
			eachMode(t, func(t *testing.T, m mode) { filterFindsNestedZombie(t, m, followed) })
		})
	}
}

func filterFindsNestedZombie(t *testing.T, m mode, followed bool) {
	// Started before the tracer: nothing in its namespace is followed.
	in, answers := startPiped(t, exec.Command(python, "-c", nestedScript))
	read := func() []int {
		t.Helper()
		if !answers.Scan() {
			t.Fatalf("namespace init: %v", answers.Err())
		}
		var nums []int
		for _, f := range strings.Fields(answers.Text()) {
			n, err := strconv.Atoi(f)
			if err != nil {
				t.Fatalf("namespace init said %q", answers.Text())
			}
			nums = append(nums, n)
		}
		return nums
	}
	init := read()[0]

	cfg := m.cfg
	cfg.PollInterval = 20 * time.Millisecond
	tr := openFollowingSelf(t, cfg)
	defer tr.Close()
	var passedOn []events.Event
	handle := func(e *events.Event) {
		if e.Kind == events.KindNotify && e.Flags&events.FlagNotifySelf == 0 && e.PeerPID == uint32(init) {
			passedOn = append(passedOn, *e)
		}
	}
	var zhost, zns int
	runDuring(t, tr, handle, func() {
		want := 0
		if !followed {
			// A followed process (our child) whose host pid the zombie gets
			// in the namespace.
			cat := exec.Command("cat")
			startPiped(t, cat)
			want = cat.Process.Pid
		}
		fmt.Fprintln(in, want)
		z := read()
		if len(z) != 2 {
			t.Fatalf("namespace init said %v, want a host and a namespace pid", z)
		}
		zhost, zns = z[0], z[1]
		if want != 0 && zns != want {
			t.Fatalf("the zombie got namespace pid %d, want %d", zns, want)
		}
		if followed {
			if err := tr.Follow(uint32(zhost), 0, tracer.FollowTrace); err != nil {
				t.Fatal(err)
			}
		}
		fmt.Fprintln(in, "go")
		if !answers.Scan() || answers.Text() != "done" {
			t.Fatalf("namespace init: %q %v", answers.Text(), answers.Err())
		}
		time.Sleep(10 * cfg.PollInterval) // the reader catches up
	})
	kept := false
	for _, e := range passedOn {
		if e.NSPID == uint32(zns) {
			kept = true
		}
	}
	switch {
	case followed && !kept && hasVPIDLookup(t): // older kernels do not find it
		t.Errorf("followed zombie %d (%d in its namespace), passed on to the namespace init %d, was not traced", zhost, zns, init)
	case !followed && kept:
		t.Errorf("outsider zombie %d (%d in its namespace, a followed host pid), passed on to the namespace init %d, was traced", zhost, zns, init)
	}
}

// hasVPIDLookup: the kernel has bpf_task_from_vpid (6.13+), which the filter
// needs to find a zombie by its pid in a nested namespace.
func hasVPIDLookup(t *testing.T) bool {
	t.Helper()
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		t.Fatal(err)
	}
	_, err = spec.AnyTypeByName("bpf_task_from_vpid")
	return err == nil
}
