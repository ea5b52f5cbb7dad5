//go:build linux

package session

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/flame"
	"github.com/zombietrace/zombietrace/internal/selfstats"
	"github.com/zombietrace/zombietrace/internal/testenv"
	"github.com/zombietrace/zombietrace/recording"
)

// A followed tree seeds its own zombies and its members' (those it owes a
// reap), nobody else's; no tree: every zombie.
func TestSeededZombie(t *testing.T) {
	tree := map[uint32]bool{10: true, 11: true}
	for _, tc := range []struct {
		seeded    map[uint32]bool
		pid, ppid uint32
		want      bool
	}{
		{nil, 99, 98, true},
		{tree, 11, 10, true},  // in the tree
		{tree, 20, 11, true},  // a member's zombie
		{tree, 99, 98, false}, // elsewhere
	} {
		ev := &events.Event{PID: tc.pid, PeerPID: tc.ppid}
		if got := seededZombie(tc.seeded)(ev); got != tc.want {
			t.Errorf("tree %v, zombie %d of %d: %v, want %v", tc.seeded, tc.pid, tc.ppid, got, tc.want)
		}
	}
}

// The process table a recording starts with (and a flame graph's ancestry).
func TestSnapshot(t *testing.T) {
	for _, p := range snapshot() {
		if int(p.PID) == os.Getpid() {
			if int(p.PPID) != os.Getppid() || p.Comm == "" || p.StartNS == 0 || p.Cmdline == "" {
				t.Errorf("this process in the snapshot: %+v", p)
			}
			if bootID() == "" {
				t.Error("no boot id")
			}
			return
		}
	}
	t.Fatal("this process is not in the snapshot")
}

// syncBuffer is a live view read while the session writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// whileReady runs session (Trace or Record) in the background, waits for its
// ready file, runs a child that is a zombie for ~100 ms, then ends the
// session and returns its error and the child's pid.
func whileReady(t *testing.T, ready string, session func(context.Context) error) (int, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- session(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("session ended before it was ready: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("session not ready in 30 s")
		}
	}
	child := exec.Command("true")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	child.Wait()
	time.Sleep(300 * time.Millisecond) // past the reader's poll
	cancel()
	return child.Process.Pid, <-done
}

// A live session of the whole host: the view (JSON), the flame graph, the
// session's own costs, and the idle hook trace --remediate uses.
func TestTrace(t *testing.T) {
	testenv.RequireBPF(t)
	dir := t.TempDir()
	var view syncBuffer
	idled := false
	cfg := Config{
		Output: &view, JSON: true, Version: "test",
		FlamePath: filepath.Join(dir, "z.folded"), FlameWeight: flame.WeightCount,
		ReadyPath: filepath.Join(dir, "ready"), StatsPath: filepath.Join(dir, "stats"),
		Idle: func(*events.Engine) { idled = true },
	}
	pid, err := whileReady(t, cfg.ReadyPath, func(ctx context.Context) error { return Trace(ctx, cfg) })
	if err != nil {
		t.Fatalf("trace: %v", err)
	}
	var reaped, summary bool
	for i, line := range strings.Split(strings.TrimSpace(view.String()), "\n") {
		var r struct {
			Type     string `json:"type"`
			PID      int    `json:"pid"`
			ZombieNS uint64 `json:"zombie_ns"`
			Version  string `json:"version"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %d %q: %v", i+1, line, err)
		}
		switch {
		case i == 0 && (r.Type != "start" || r.Version != "test"):
			t.Errorf("first line %q: want the start, version test", line)
		case r.Type == "reap" && r.PID == pid:
			reaped = r.ZombieNS >= uint64(50*time.Millisecond)
		case r.Type == "summary":
			summary = true
		}
	}
	if !reaped || !summary {
		t.Errorf("child %d reaped after ~100 ms: %v, summary: %v\n%s", pid, reaped, summary, view.String())
	}
	if b, err := os.ReadFile(cfg.FlamePath); err != nil || !strings.Contains(string(b), ";true 1\n") {
		t.Errorf("flame graph without the child: %v\n%s", err, b)
	}
	st, err := selfstats.ReadFile(cfg.StatsPath)
	if err != nil || st.Events == 0 || st.RingbufBytes == 0 || st.CPUNS == 0 {
		t.Errorf("stats %+v, %v", st, err)
	}
	if !idled {
		t.Error("the idle hook was never called")
	}
}

// A recording of a followed tree (this test process): its header says so,
// and it holds the child's lifecycle and the summary.
func TestRecord(t *testing.T) {
	testenv.RequireBPF(t)
	dir := t.TempDir()
	rec := Recording{Path: filepath.Join(dir, "r.zt"), CommandLine: []string{"test"}}
	var finals int
	rec.Progress = func(p Progress) {
		if p.Final {
			finals++
		}
	}
	cfg := Config{PID: os.Getpid(), Version: "test", ReadyPath: filepath.Join(dir, "ready")}
	var done *Recorded
	pid, err := whileReady(t, cfg.ReadyPath, func(ctx context.Context) (err error) {
		done, err = Record(ctx, cfg, rec)
		return err
	})
	if err != nil || done == nil {
		t.Fatalf("record: %v", err)
	}
	if done.Events == 0 || done.Bytes == 0 || done.Full || finals != 1 {
		t.Errorf("recorded %+v, %d final progress reports", done, finals)
	}
	f, err := os.Open(rec.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := recording.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if h := rd.Header; h.Tool != "test" || h.Follow == nil || len(rd.Procs) == 0 {
		t.Errorf("header %+v, %d processes", h, len(rd.Procs))
	}
	kinds := map[events.Kind]bool{}
	var ev events.Event
	for rd.Next(&ev) == nil {
		if int(ev.PID) == pid {
			kinds[ev.Kind] = true
		}
	}
	if !kinds[events.KindFork] || !(kinds[events.KindExit] || kinds[events.KindNotify]) {
		t.Errorf("child %d: kinds %v", pid, kinds)
	}
}
