//go:build linux

package session

import (
	"context"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/internal/procfs"
	"github.com/zombietrace/zombietrace/recording"
	"github.com/zombietrace/zombietrace/tracer"
)

// Recording is where and how Record writes.
type Recording struct {
	Path    string
	MaxSize int64 // stop cleanly when the file reaches it (0: no limit)
	// Filter is the command filter the recording's reports apply
	// (record --comm), stored in its header.
	Filter      string
	CommandLine []string // stored in the header
	// Progress, when set, is told how the recording goes, at most once a
	// drained buffer, and once more at the end (Final).
	Progress func(Progress)
}

// Progress is a recording's state.
type Progress struct {
	Events  uint64
	Bytes   int64 // the file's size
	Lost    uint64
	Elapsed time.Duration // since tracing started
	Final   bool
}

// Recorded is what a recording holds at its end.
type Recorded struct {
	Progress
	EventBytes  int64 // of Bytes, the event frames'
	Outstanding int   // zombies still there at the end
	Full        bool  // stopped at MaxSize
}

// Record runs a whole session into a recording file (docs/format.md): the
// process table at the start, every event the engine sees, the engine's
// summary at the end. It traces until ctx ends, cfg.Duration has passed or
// the file is full. The result is nil when nothing was recorded, and then
// the error says why; with a result, the error is the first of the end's.
func Record(ctx context.Context, cfg Config, rec Recording) (*Recorded, error) {
	cfg.OutputPath, cfg.Output = "", nil // the file is the output
	s, err := Open(cfg)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if err := s.FollowTree(cfg.PID); err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	hdr := recording.Header{
		Host: host, Kernel: tracer.KernelRelease(), BootID: bootID(),
		WallOffsetNS: s.clock.OffsetNS, StartNS: s.start, Tool: cfg.Version,
		CommandLine: rec.CommandLine, Mode: s.tr.Mode().String(), Filter: rec.Filter,
	}
	if s.followed != nil {
		hdr.Follow = &recording.Follow{PIDs: s.followed, AtNS: s.followedAt}
	}
	procs := snapshot()
	w, err := recording.Create(rec.Path, hdr, procs, rec.MaxSize)
	if err != nil {
		return nil, err
	}
	// What the engine sees is exactly what the file holds: the stored summary
	// must equal a report's. Names too come from what the file holds.
	s.eng.SetNames(recording.Names(procs))
	s.pipe.SetTap(func(ev *events.Event) bool { return w.Add(ev) == nil })
	if err := s.SeedZombies(); err != nil {
		w.Close(nil)
		return nil, err
	}
	if err := s.Ready(); err != nil {
		w.Close(nil)
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	began := time.Now()
	progress := func(final bool) {
		if rec.Progress != nil {
			rec.Progress(Progress{Events: w.Events(), Bytes: w.Size(), Lost: s.lost(), Elapsed: time.Since(began), Final: final})
		}
	}
	s.onIdle = func() {
		if err := w.Tick(); err != nil {
			cancel() // size limit or write error: stop cleanly
		}
		progress(false)
	}
	lerr := s.Run(ctx)
	end := tracer.BootNow()
	sum := s.eng.Summary(end)
	full := errors.Is(w.Err(), recording.ErrFull)
	werr := w.Err()
	if full {
		werr = nil
	}
	cerr := w.Close(&recording.StoredSummary{EndNS: end, Summary: sum, Events: w.Events(), Full: full})
	lost := s.lost()
	progress(true)
	ferr := s.Finish()
	done := &Recorded{
		Progress:   Progress{Events: w.Events(), Bytes: w.Size(), Lost: lost, Elapsed: time.Since(began), Final: true},
		EventBytes: w.EventBytes(), Outstanding: len(sum.Zombies), Full: full,
	}
	for _, err := range []error{lerr, werr, cerr, ferr} {
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// bootID tells a recording's boot from another's: boot-time stamps compare
// only within one.
func bootID() string {
	b, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return strings.TrimSpace(string(b))
}

// snapshot reads the process table for the recording's start (and the
// flame graph's ancestry).
func snapshot() []recording.Proc {
	all, _ := procfs.Default.All()
	out := make([]recording.Proc, 0, len(all))
	for _, p := range all {
		out = append(out, recording.Proc{
			PID: uint32(p.PID), PPID: uint32(p.PPID), StartNS: p.StartNS(),
			State: string(p.State), Comm: p.Comm, Cmdline: procfs.Default.Cmdline(p.PID),
			Cgroup: procfs.Default.Cgroup(p.PID),
		})
	}
	return out
}
