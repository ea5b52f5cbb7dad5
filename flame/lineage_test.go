package flame

import (
	"bytes"
	"strings"
	"testing"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/recording"
)

// The lineage turns reaps into ancestry stacks, merges identical stacks, and
// puts the fork call site between the parent and the zombie with --by callsite.
func TestLineage(t *testing.T) {
	for _, by := range []string{"comm", "callsite"} {
		l, err := NewLineage(by)
		if err != nil {
			t.Fatal(err)
		}
		l.Seed([]recording.Proc{{PID: 1, Comm: "init"}, {PID: 10, PPID: 1, Comm: "server"}})
		for i, pid := range []uint32{20, 21, 22} {
			l.Record(&events.Record{Type: events.RecordFork, PID: pid, PPID: 10, Comm: "server", Callsite: "main;handle;spawn"})
			l.Record(&events.Record{Type: events.RecordExec, PID: pid, Comm: "worker", Filename: "/bin/worker"})
			l.Record(&events.Record{Type: events.RecordReap, PID: pid, PPID: 10, Comm: "worker", ZombieNS: uint64(i+1) * 1e6,
				ReapedBy: events.ReapedByParent})
		}
		l.Record(&events.Record{Type: events.RecordReap, PID: 30, PPID: 10, Comm: "quick", ReapedBy: events.ReapedByAutoreap})
		s := l.Samples()
		if len(s) != 1 || s[0].Count != 3 || s[0].ZombieNS != 6e6 || l.Zombies() != 3 {
			t.Fatalf("%s: samples %+v (n %d)", by, s, l.Zombies())
		}
		want := "init;server;worker"
		if by == "callsite" {
			want = "init;server;main;handle;spawn;/bin/worker"
		}
		if got := strings.Join(s[0].Frames, ";"); got != want {
			t.Errorf("%s: frames %q, want %q", by, got, want)
		}
	}
	if _, err := NewLineage("colour"); err == nil {
		t.Error("--by colour accepted")
	}
	// --by cgroup: the container's cgroup at the root, inherited at fork.
	l, _ := NewLineage("cgroup")
	l.Seed([]recording.Proc{{PID: 1, Comm: "init", Cgroup: "/init.scope"}, {PID: 10, PPID: 1, Comm: "app", Cgroup: "/system.slice/app.service"}})
	l.Record(&events.Record{Type: events.RecordFork, PID: 20, PPID: 10, Comm: "app"})
	l.Record(&events.Record{Type: events.RecordReap, PID: 20, PPID: 10, Comm: "app", ZombieNS: 5, ReapedBy: events.ReapedByParent})
	if s := l.Samples(); len(s) != 1 || strings.Join(s[0].Frames, ";") != "/system.slice/app.service;init;app;app" {
		t.Errorf("--by cgroup: %+v", s)
	}
}

// A session writes its flame graph in the format the file's name says, with
// the weight asked for; zombies still there at the end count with their age.
func TestLineageWrite(t *testing.T) {
	l, _ := NewLineage("")
	l.Seed([]recording.Proc{{PID: 1, Comm: "init"}, {PID: 10, PPID: 1, Comm: "server"}, {PID: 20, PPID: 10, Comm: "worker"}})
	l.Outstanding([]events.Zombie{{PID: 20, PPID: 10, Comm: "worker", AgeNS: 7}})
	for _, tc := range []struct {
		weight string
		want   string
	}{{"", "init;server;worker 7\n"}, {"count", "init;server;worker 1\n"}} {
		w, err := ParseWeight(tc.weight)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := l.Write(&b, "z.folded", w, "t"); err != nil || b.String() != tc.want {
			t.Errorf("weight %q: %q, %v; want %q", tc.weight, b.String(), err, tc.want)
		}
	}
	if _, err := ParseWeight("bogus"); err == nil {
		t.Error("weight bogus accepted")
	}
	if err := l.Write(&bytes.Buffer{}, "z.png", WeightTime, "t"); err == nil {
		t.Error("a .png flame graph written")
	}
}
