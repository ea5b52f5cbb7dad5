// Package reporttest writes small recordings for the tests of zombietrace
// report: a known story with zombies, a grandchild reparented to init,
// kernel threads, and the summary the recorder would have stored.
package reporttest

import (
	"path/filepath"
	"regexp"
	"testing"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/recording"
)

// Start is the recording's start (boot ns); the story's times are offsets
// from it. The recording ends at Start + EndOffset.
const (
	Start     = uint64(1000e9)
	EndOffset = uint64(8e9)
	// Wall is the wall-clock time of Start: 2026-11-25T10:00:00Z.
	Wall = int64(1795600800e9)
)

// Actor is one of the story's processes.
type Actor struct {
	pid   uint32
	start uint64
	comm  string
}

// PID is the actor's pid.
func (a Actor) PID() uint32 { return a.pid }

var (
	Init     = Actor{1, 1e9, "systemd"}
	Server   = Actor{100, 500e9, "server"} // the process of --pid tests
	Worker   = Actor{101, Start + 1e9, "worker"}
	Done     = Actor{102, Start + 12e8, "worker"} // reaped by Worker
	Orphan   = Actor{103, Start + 13e8, "worker"} // reparented to init when Worker dies
	Cron     = Actor{200, Start + 15e8, "cron"}   // not Server's
	Sleeper  = Actor{150, 600e9, "sleeper"}       // Server's child from before the start
	Idle     = Actor{151, 700e9, "idle"}          // Sleeper's child from before the start: a zombie at the end
	Kthreadd = Actor{2, 2e9, "kthreadd"}
	Kworker  = Actor{4, Start + 16e8, "kthreadd"} // a kernel thread forked while recording
)

func at(s float64) uint64 { return Start + uint64(s*1e9) }

func comm(s string) (c [16]byte) { copy(c[:15], s); return }

func fork(t float64, child, parent Actor) events.Event {
	return events.Event{Kind: events.KindFork, Time: at(t), PID: child.pid, TID: child.pid, Start: child.start,
		PeerPID: parent.pid, PeerStart: parent.start, NSPID: child.pid, Options: events.SIGCHLD, Code: int32(parent.pid), Comm: comm(parent.comm)}
}

func exec(t float64, p Actor, file string) events.Event {
	return events.Event{Kind: events.KindExec, Time: at(t), PID: p.pid, TID: p.pid, Start: p.start, Code: int32(p.pid), Comm: comm(p.comm), Filename: file}
}

// exit is the child's own exit notification to receiver (exit code 0).
func exit(t float64, child, receiver Actor) events.Event {
	return events.Event{Kind: events.KindNotify, Time: at(t), PID: child.pid, TID: child.pid, Start: child.start,
		PeerPID: receiver.pid, PeerStart: receiver.start, NSPID: child.pid, Code: events.CLDExited, Flags: events.FlagNotifySelf, Comm: comm(child.comm)}
}

// wait is a wait4(-1) entry.
func wait(t float64, w Actor) events.Event {
	return events.Event{Kind: events.KindWait, Time: at(t), PID: w.pid, TID: w.pid, Start: w.start, Syscall: events.WaitWait4,
		Code: -1, Target: events.TargetAny, Comm: comm(w.comm)}
}

// Events is the story.
func Events() []events.Event {
	return []events.Event{
		fork(1.0, Worker, Server),
		exec(1.1, Worker, "/usr/bin/worker"),
		fork(1.2, Done, Worker),
		fork(1.3, Orphan, Worker),
		fork(1.5, Cron, Init),
		fork(1.6, Kworker, Kthreadd),
		exit(2.0, Done, Worker),
		wait(3.0, Worker), // reaps Done: 1 s a zombie
		exit(3.2, Cron, Init),
		wait(3.3, Init),
		exit(4.0, Worker, Server), // Server never waits: a zombie to the end
		exit(5.0, Orphan, Init),   // its parent died at 4 s: reparented to init
		wait(5.2, Init),
		exit(6.0, Idle, Sleeper), // Sleeper never waits
	}
}

// Procs is the process table at the start.
func Procs(extra int) []recording.Proc {
	ps := []recording.Proc{
		{PID: 1, PPID: 0, StartNS: Init.start, State: "S", Comm: "systemd", Cmdline: "/sbin/init"},
		{PID: 2, PPID: 0, StartNS: Kthreadd.start, State: "S", Comm: "kthreadd"},
		{PID: 3, PPID: 2, StartNS: 3e9, State: "I", Comm: "kworker/0:0"},
		{PID: 100, PPID: 1, StartNS: Server.start, State: "S", Comm: "server", Cmdline: "/usr/bin/server"},
		{PID: 150, PPID: 100, StartNS: Sleeper.start, State: "S", Comm: "sleeper", Cmdline: "sleep 1000"},
		{PID: 151, PPID: 150, StartNS: Idle.start, State: "S", Comm: "idle", Cmdline: "idle"},
	}
	for i := 0; i < extra; i++ {
		ps = append(ps, recording.Proc{PID: uint32(1000 + i), PPID: 1, StartNS: 5e9, State: "S", Comm: "filler",
			Cmdline: "/usr/libexec/filler --with a long command line", Cgroup: "/system.slice/filler.service"})
	}
	return ps
}

// Options vary the recording.
type Options struct {
	Comm       string // the header's --comm filter
	ExtraProcs int    // filler processes in the table at the start
	Abrupt     bool   // no summary and no end frame (a killed recorder)
}

// Write writes the story to dir/name and returns its path. The stored
// summary is the one the recorder's engine computes.
func Write(t testing.TB, dir, name string, o Options) string {
	t.Helper()
	path := filepath.Join(dir, name)
	h := recording.Header{Host: "testhost", Kernel: "6.18.0", BootID: "b", WallOffsetNS: Wall - int64(Start), StartNS: Start,
		Tool: "test", CommandLine: []string{"zombietrace", "record"}, Mode: "light", Filter: o.Comm}
	procs := Procs(o.ExtraProcs)
	w, err := recording.Create(path, h, procs, 0)
	if err != nil {
		t.Fatal(err)
	}
	// As the recorder's session: names from the process table, and --comm
	// keeps the parents of matching children.
	eng := events.NewEngine(events.ModeLight, nil)
	eng.Begin(Start)
	eng.SetNames(recording.Names(procs))
	if o.Comm != "" {
		eng.MatchChildren(regexp.MustCompile(o.Comm).MatchString)
	}
	for _, ev := range Events() {
		ev := ev
		if err := w.Add(&ev); err != nil {
			t.Fatal(err)
		}
		eng.Handle(&ev)
	}
	if o.Abrupt {
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		return path // never closed: no summary, no end frame (the file is complete on disk)
	}
	end := Start + EndOffset
	if err := w.Close(&recording.StoredSummary{EndNS: end, Summary: eng.Summary(end), Events: w.Events()}); err != nil {
		t.Fatal(err)
	}
	return path
}
