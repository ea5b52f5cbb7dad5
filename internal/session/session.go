//go:build linux

// Package session is one live tracing session: the tracer loaded and
// attached, its events through the pipeline (tracer -> engine) to the live
// view, a flame graph or a recording, and the session's own costs. The
// commands configure it with a plain Config: trace and record run it whole
// (Trace, Record); run drives its steps around the command it supervises
// (Open, FollowChildren, Ready, RunWhile, Finish).
package session

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/flame"
	"github.com/zombietrace/zombietrace/internal/pipeline"
	"github.com/zombietrace/zombietrace/internal/procfs"
	"github.com/zombietrace/zombietrace/internal/selfstats"
	"github.com/zombietrace/zombietrace/internal/symbolize"
	"github.com/zombietrace/zombietrace/output"
	"github.com/zombietrace/zombietrace/tracer"
)

// Config is what a session does, read from the command line by the caller.
type Config struct {
	// Tracer is what is loaded. Filter is set for PID; Stacks also names
	// each fork's call site.
	Tracer tracer.Config
	// PID, for Trace and Record: only this process and its descendants,
	// the existing ones included (0: the whole host).
	PID int
	// Duration ends tracing this long after Ready (0: when the context
	// ends). It counts from Ready: loading is not part of it.
	Duration time.Duration

	// The live view goes to OutputPath, created by Open, or else to
	// Output; with neither there is none (record writes its own file).
	OutputPath string
	Output     io.Writer
	JSON       bool // JSON Lines (docs/json.md) instead of the human view
	Verbose    bool // forks and execs too
	// Filter selects the records the live view shows; Filter.Comm also
	// keeps the parents of matching children in the engine.
	Filter output.Filter
	// Version is zombietrace's, in the view's start and a recording's header.
	Version string

	// FlamePath, when set, receives a flame graph of the zombie time at the
	// end, in the format its name says; created by Open, so that a file
	// that cannot be written is known before tracing starts.
	FlamePath   string
	FlameBy     string // its frame labels (flame.NewLineage)
	FlameWeight flame.Weight

	// ReadyPath is written with our pid once every program is attached:
	// scripted tests never race attachment.
	ReadyPath string
	// PauseSignals: SIGUSR1 detaches the programs, SIGUSR2 attaches them
	// again, each acknowledged in ReadyPath (the benchmark's A/B windows).
	PauseSignals bool
	StatsPath    string        // the session's own costs (selfstats), written at the end
	StatsEvery   time.Duration // ... and this often while it runs (soak runs)
	ProfilePath  string        // a CPU profile of the session, from Ready to the end

	// Idle, when set, is called with the engine whenever the reader has
	// drained the buffers: trace --remediate acts on what the engine holds.
	Idle func(*events.Engine)
	// Stderr receives warnings (nil: os.Stderr).
	Stderr io.Writer
}

// Session is one tracing session: tracer -> pipeline (engine) -> writer.
type Session struct {
	cfg      Config
	tr       *tracer.Tracer
	eng      *events.Engine
	pipe     *pipeline.Pipeline // tracer -> tap -> engine, shared with every command
	w        output.Writer
	out      io.WriteCloser
	clock    output.Clock
	start    uint64 // boot ns when the session began
	onIdle   func() // a recording's ticks
	sym      *symbolize.Symbolizer
	callsite callsites      // by forking process and stack (Tracer.Stacks)
	lineage  *flame.Lineage // FlamePath
	// Created before tracing starts; nil once written or closed.
	flameFile *os.File
	profFile  *os.File
	stopProf  func()
	pauseSigs chan os.Signal // PauseSignals: caught from the start
	cpuReady  uint64         // CPU time used when tracing started (load and attach excluded)
	// FollowTree: the tree seeded from /proc (nil: the whole host), and
	// whose waits the engine kept from when.
	seeded     map[uint32]bool
	followed   []uint32
	followedAt uint64
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// Open creates the session's files, loads and attaches the tracer, and
// starts the live view. Tracing has started: the caller follows, seeds,
// then calls Ready, Run and Finish, or Close on an error.
func Open(cfg Config) (*Session, error) {
	if cfg.Stderr == nil {
		cfg.Stderr = os.Stderr
	}
	if cfg.PID > 0 {
		cfg.Tracer.Filter = true
	}
	s := &Session{cfg: cfg}
	if cfg.PauseSignals {
		// Caught before the ready file exists: SIGUSR1's default is to exit.
		s.pauseSigs = make(chan os.Signal, 8)
		signal.Notify(s.pauseSigs, syscall.SIGUSR1, syscall.SIGUSR2)
	}
	// Every file is there before the tracer loads (and tracing starts):
	// one found unwritable at the end lost the whole session's work.
	if err := s.createFiles(); err != nil {
		s.Close()
		return nil, err
	}
	var lineage *flame.Lineage
	if cfg.FlamePath != "" {
		var err error
		if lineage, err = flame.NewLineage(cfg.FlameBy); err != nil {
			s.Close()
			return nil, fmt.Errorf("flame graph: %w", err)
		}
	}
	tr, err := tracer.Open(cfg.Tracer)
	if err != nil {
		s.Close()
		return nil, err // unwrapped: the caller may print the verifier's log
	}
	for _, w := range tr.Warnings() {
		fmt.Fprintf(cfg.Stderr, "zombietrace: warning: %s\n", w)
	}
	s.tr = tr
	if cfg.Tracer.Stacks {
		s.sym = symbolize.New()
		s.callsite = callsites{}
	}
	s.start = tracer.BootNow()
	s.clock = output.NewClock(time.Now().UnixNano(), s.start)
	switch {
	case cfg.OutputPath == "" && cfg.Output == nil:
		s.w = output.Discard{}
	case cfg.JSON:
		s.w = output.NewJSONWriter(s.out, s.clock)
	default:
		s.w = output.NewTextWriter(s.out, s.clock, cfg.Verbose)
	}
	if lineage != nil {
		lineage.Seed(snapshot())
		s.lineage = lineage
	}
	s.eng = events.NewEngine(tr.Mode(), func(r *events.Record) {
		if s.lineage != nil {
			s.lineage.Record(r)
		}
		if s.cfg.Filter.Keep(r) {
			s.w.Record(r)
		}
	})
	s.eng.Begin(s.start)
	s.pipe = pipeline.New(tr, s.eng)
	// Parents met without a name (pid 1, the --pid target): named from /proc
	// while they live (record names them from its process table instead).
	s.eng.SetNames(func(k events.Key) string { return procfs.Default.Comm(int(k.PID), k.Start) })
	if cfg.Filter.Comm != nil {
		s.eng.MatchChildren(cfg.Filter.Comm.MatchString) // --comm keeps parents of matching children
	}
	if err := s.w.Start(output.Start{Version: cfg.Version, Kernel: tracer.KernelRelease(), Mode: tr.Mode()}); err != nil {
		s.Close()
		return nil, fmt.Errorf("writing output: %w", err)
	}
	return s, nil
}

// createFiles creates the session's output files: the live view's, the
// flame graph's and the CPU profile's.
func (s *Session) createFiles() error {
	switch {
	case s.cfg.OutputPath != "":
		f, err := os.Create(s.cfg.OutputPath)
		if err != nil {
			return fmt.Errorf("opening output: %w", err)
		}
		s.out = f
	case s.cfg.Output != nil:
		s.out = nopCloser{s.cfg.Output}
	default:
		s.out = nopCloser{io.Discard}
	}
	var err error
	if p := s.cfg.FlamePath; p != "" {
		if s.flameFile, err = os.Create(p); err != nil {
			return fmt.Errorf("creating the flame graph: %w", err)
		}
	}
	if p := s.cfg.ProfilePath; p != "" {
		if s.profFile, err = os.Create(p); err != nil {
			return fmt.Errorf("creating the CPU profile: %w", err)
		}
	}
	return nil
}

// Trace runs a whole live session: follows cfg.PID's tree (or the host),
// seeds the zombies that exist, traces until ctx ends or cfg.Duration has
// passed, then writes the summary and the flame graph.
func Trace(ctx context.Context, cfg Config) error {
	s, err := Open(cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.FollowTree(cfg.PID); err != nil {
		return err
	}
	if err := s.SeedZombies(); err != nil {
		return err
	}
	if err := s.Ready(); err != nil {
		return err
	}
	if err := s.Run(ctx); err != nil {
		return err
	}
	return s.Finish()
}

// Ready marks the start of tracing: every link is attached.
func (s *Session) Ready() error {
	// Loading parsed the kernel's BTF (tens of MB, garbage now): collect it
	// before tracing, not during the first seconds of a busy host.
	runtime.GC()
	debug.FreeOSMemory()
	s.cpuReady = selfstats.CPUTime()
	if s.profFile != nil {
		stop, err := selfstats.StartCPUProfile(s.profFile)
		s.profFile = nil // closed by stop, or on error
		if err != nil {
			return fmt.Errorf("starting the CPU profile: %w", err)
		}
		s.stopProf = stop
	}
	if p := s.cfg.ReadyPath; p != "" {
		if err := os.WriteFile(p, []byte(fmt.Sprintln(os.Getpid())), 0o644); err != nil {
			return fmt.Errorf("writing ready file: %w", err)
		}
	}
	return nil
}

// Run reads events until ctx ends (or Config.Duration has passed), then
// drains what is buffered and settles the zombies gone unseen.
func (s *Session) Run(ctx context.Context) error {
	if d := s.cfg.Duration; d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	if s.pauseSigs != nil {
		stop := s.pauseOnSignals(ctx)
		defer stop()
	}
	var lastStats time.Time
	err := s.pipe.Run(ctx, s.handle, func() {
		s.w.Flush()
		if s.onIdle != nil {
			s.onIdle()
		}
		if s.cfg.Idle != nil {
			s.cfg.Idle(s.eng)
		}
		// Soak runs read the session's costs while it runs.
		if s.cfg.StatsEvery > 0 && time.Since(lastStats) >= s.cfg.StatsEvery {
			lastStats = time.Now()
			s.writeStats()
		}
	})
	if err != nil {
		return err
	}
	s.pipe.SettleGone()
	return nil
}

// RunWhile runs the session while work runs: until it returns and the
// buffers are drained (run: the command and what it left behind).
func (s *Session) RunWhile(work func()) error {
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	work()
	stop()
	return <-done
}

// handle names a fork's call site (Tracer.Stacks), then passes the event on.
func (s *Session) handle(ev *events.Event) {
	if s.sym != nil && ev.Kind == events.KindFork && len(ev.Stack) > 0 {
		ev.Callsite = s.callsite.name(s.sym, ev)
	}
	s.pipe.Handle(ev)
}

// pauseOnSignals detaches the programs on SIGUSR1 and attaches them on
// SIGUSR2, then writes "PID detached|attached" to the ready file (if any), so that the
// benchmark can measure one running tracer in both states, window by window.
func (s *Session) pauseOnSignals(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	ch, ack := s.pauseSigs, s.cfg.ReadyPath
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case sig := <-ch:
				state, err := "attached", error(nil)
				if sig == syscall.SIGUSR1 {
					state, err = "detached", s.tr.Detach()
				} else {
					err = s.tr.Reattach()
				}
				if err != nil {
					fmt.Fprintf(s.cfg.Stderr, "zombietrace: %s: %v\n", state, err)
					continue
				}
				if ack != "" {
					os.WriteFile(ack, []byte(fmt.Sprintf("%d %s\n", os.Getpid(), state)), 0o644)
				}
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		cancel()
		<-done
	}
}

// lost is how many events the tracer lost.
func (s *Session) lost() uint64 {
	lost, _, _ := s.tr.Counters()
	return lost
}

func (s *Session) writeStats() error {
	if s.cfg.StatsPath == "" {
		return nil
	}
	st := selfstats.Collect(s.pipe.Events(), s.lost(), s.tr.RingBufferBytes())
	st.CPUNS -= s.cpuReady
	st.Processes = s.eng.Live()
	if err := st.WriteFile(s.cfg.StatsPath); err != nil {
		return fmt.Errorf("writing stats: %w", err)
	}
	return nil
}

// Finish writes the summary and the flame graph, and releases everything.
func (s *Session) Finish() error {
	if s.stopProf != nil {
		s.stopProf()
		s.stopProf = nil
	}
	if err := s.writeStats(); err != nil {
		return err
	}
	sum := s.eng.Summary(tracer.BootNow())
	s.cfg.Filter.FilterSummary(&sum)
	err := s.w.Summary(&sum)
	if s.lineage != nil && err == nil {
		s.lineage.Outstanding(sum.Zombies)
		host, _ := os.Hostname()
		err = s.lineage.Write(s.flameFile, s.cfg.FlamePath, s.cfg.FlameWeight, "zombie time on "+host)
		if cerr := s.flameFile.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("flame: %w", cerr)
		}
		s.flameFile = nil
	}
	if ferr := s.w.Flush(); err == nil {
		err = ferr
	}
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}

// Close releases the tracer and the files not written yet; it may be
// called again (after Finish, or an error), and then does nothing.
func (s *Session) Close() error {
	var err error
	if s.tr != nil {
		err = s.tr.Close()
		s.tr = nil
	}
	if s.pauseSigs != nil {
		signal.Stop(s.pauseSigs)
	}
	if s.stopProf != nil {
		s.stopProf() // the session ended before its end
		s.stopProf = nil
	}
	for _, f := range []*os.File{s.flameFile, s.profFile} {
		if f != nil {
			f.Close() // never written: the session ended before its end
		}
	}
	s.flameFile, s.profFile = nil, nil
	if s.out != nil {
		if cerr := s.out.Close(); err == nil {
			err = cerr
		}
		s.out = nil
	}
	return err
}
