//go:build linux

package integration

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/internal/symbolize"
	"github.com/zombietrace/zombietrace/tracer"
)

// --stacks on this kernel: each fork carries the forking thread's user
// stack, unwound through frame pointers, which names the C functions that
// forked (testdata/stacks/callsite.c: 4 forks in leaky_spawner and 4 in
// tidy_spawner).
func TestStacks(t *testing.T) {
	requireBPF(t)
	exe := callsiteProgram(t)
	tr := openFollowingSelf(t, tracer.Config{Filter: true, Stacks: true, PollInterval: 20 * time.Millisecond})
	defer tr.Close()

	type fork struct {
		parent uint32
		depth  int
		frames []string // innermost first; nil when the forker was gone
	}
	var (
		mu    sync.Mutex
		forks []fork
	)
	sym := symbolize.New()
	cmd := exec.Command(exe)
	runDuring(t, tr, func(ev *events.Event) {
		if ev.Kind != events.KindFork {
			return
		}
		// Symbolized now, from the forker's maps: it lives 300 ms more, and
		// ev.Stack's buffer is reused by the next event.
		frames, _ := sym.Resolve(int(ev.Code), ev.Stack)
		mu.Lock()
		forks = append(forks, fork{ev.PeerPID, len(ev.Stack), frames})
		mu.Unlock()
	}, func() {
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("callsite: %v\n%s", err, out)
		}
		time.Sleep(100 * time.Millisecond) // the reader catches up
	})
	if cmd.Process == nil {
		t.Fatal("callsite did not start")
	}
	counts := map[string]int{}
	var seen strings.Builder
	n := 0
	for _, f := range forks {
		if f.parent != uint32(cmd.Process.Pid) {
			continue
		}
		n++
		fmt.Fprintf(&seen, "  %d frames: %s\n", f.depth, strings.Join(f.frames, " <- "))
		// The walk went past the forking function (its caller is not always
		// there: a leaf may set up its frame after the fork, or be called by
		// a tail call).
		for _, spawner := range []string{"leaky_spawner", "tidy_spawner"} {
			if slices.Contains(f.frames, spawner) && len(f.frames) >= 2 {
				counts[spawner]++
			}
		}
	}
	if n != 8 || counts["leaky_spawner"] != 4 || counts["tidy_spawner"] != 4 {
		t.Errorf("%d forks of callsite, call sites %v: want 8, 4 in leaky_spawner and 4 in tidy_spawner, with their callers; stacks:\n%s", n, counts, seen.String())
	}
}

// callsiteProgram returns testdata/stacks/callsite built with frame
// pointers (precompiled under $ZT_SCENARIO_BIN).
func callsiteProgram(t *testing.T) string {
	t.Helper()
	if exe, ok := precompiled(t, "callsite"); ok {
		return exe
	}
	exe := filepath.Join(t.TempDir(), "callsite")
	src := filepath.Join(scenarioDir, "..", "stacks", "callsite.c")
	if out, err := exec.Command("cc", "-O2", "-Wall", "-fno-omit-frame-pointer", "-o", exe, src).CombinedOutput(); err != nil {
		t.Fatalf("compiling callsite.c: %v\n%s", err, out)
	}
	return exe
}
