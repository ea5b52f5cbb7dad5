//go:build linux

package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"os/signal"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/flame"
	"github.com/zombietrace/zombietrace/internal/pipeline"
	"github.com/zombietrace/zombietrace/internal/procfs"
	"github.com/zombietrace/zombietrace/internal/selfstats"
	"github.com/zombietrace/zombietrace/internal/symbolize"
	"github.com/zombietrace/zombietrace/output"
	"github.com/zombietrace/zombietrace/tracer"
)

// session is one tracing session: tracer -> engine -> writer.
type session struct {
	tr     *tracer.Tracer
	eng    *events.Engine
	w      output.Writer
	filter output.Filter
	out    io.WriteCloser
	pipe   *pipeline.Pipeline // tracer -> tap -> engine, shared with every command
	// statsFile (hidden --stats-file) receives the session's own costs.
	clock       output.Clock
	start       uint64                // boot ns when the session began
	onIdle      func()                // called when the ring buffer was drained
	sym         *symbolize.Symbolizer // --stacks
	callsites   map[callsiteKey]string
	lineage     *flame.Lineage // --flame
	flamePath   string
	flameFile   *os.File // created before tracing starts
	flameWeight flame.Weight
	statsFile   string
	statsEvery  time.Duration
	followed    []uint32 // --pid: whose waits were kept from the start (engine's Follow)
	followedAt  uint64
	readyFile   string         // hidden --ready-file
	pauseSigs   chan os.Signal // hidden --pause-signals: its signals, caught from the start
	cpuReady    uint64         // CPU time used when tracing started (load and attach excluded)
	profFile    *os.File       // hidden --cpuprofile, created before tracing starts
	stopProf    func()
}

type sessionConfig struct {
	filter    bool      // in-kernel follow filter
	defaultTo io.Writer // where output goes without -o
	discard   bool      // no live output (record): -o is not ours
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func openSession(c *cli.Context, cfg sessionConfig) (*session, error) {
	// A negative duration would mean none: trace --duration -1s ran forever.
	if err := durationAtLeast(c, 0, "duration", "min-zombie", "poll", "stats-interval"); err != nil {
		return nil, err
	}
	s := &session{statsFile: c.String("stats-file"), statsEvery: c.Duration("stats-interval"),
		readyFile: c.String("ready-file")}
	if c.Bool("pause-signals") {
		// Caught before the ready file exists: SIGUSR1's default is to exit.
		s.pauseSigs = make(chan os.Signal, 8)
		signal.Notify(s.pauseSigs, syscall.SIGUSR1, syscall.SIGUSR2)
	}
	if re := c.String("comm"); re != "" {
		rx, err := regexp.Compile(re)
		if err != nil {
			return nil, fmt.Errorf("--comm: %w", err)
		}
		s.filter.Comm = rx
	}
	if d := c.Duration("min-zombie"); d > 0 {
		s.filter.MinZombieNS = uint64(d)
	}
	mib := c.Int("ringbuf-mib")
	if mib <= 0 || mib&(mib-1) != 0 {
		return nil, fmt.Errorf("--ringbuf-mib %d: must be a power of two", mib)
	}
	flamePath := c.String("flame")
	if cfg.discard {
		flamePath = "" // record has no --flame
	}
	if err := firstError(requires(c, "flame", "by", "weight"), checkFlame(c, flamePath),
		checkWritable(c, "output", "flame", "cpuprofile", "stats-file", "ready-file")); err != nil {
		return nil, err
	}
	// Every file is there before the tracer loads (and tracing starts):
	// one found unwritable at the end lost the whole session's work.
	if err := s.createFiles(c, cfg, flamePath); err != nil {
		s.close()
		return nil, err
	}
	tr, err := tracer.Open(tracer.Config{
		Exact:            c.Bool("exact-waits"),
		Filter:           cfg.filter,
		RingBufferBytes:  mib << 20,
		LiveFallback:     c.Bool("live-fallback"),
		RingbufTransport: c.Bool("ringbuf-transport"),
		Compat:           c.Bool("compat-object"),
		PollInterval:     c.Duration("poll"),
		Stacks:           c.Bool("stacks"),
		AllExits:         c.Bool("exit-events"),
		FailPrograms:     c.StringSlice("fail-program"),
	})
	if err != nil {
		s.close()
		return nil, withVerifierLog(err, c.Bool("debug"))
	}
	for _, w := range tr.Warnings() {
		fmt.Fprintf(os.Stderr, "zombietrace: warning: %s\n", w)
	}
	s.tr = tr
	if c.Bool("stacks") {
		s.sym = symbolize.New()
		s.callsites = map[callsiteKey]string{}
	}
	s.start = tracer.BootNow()
	s.clock = output.NewClock(time.Now().UnixNano(), s.start)
	clock := s.clock
	if cfg.discard {
		s.w = output.Discard{}
	} else if c.Bool("json") {
		s.w = output.NewJSONWriter(s.out, clock)
	} else {
		s.w = output.NewTextWriter(s.out, clock, c.Bool("verbose"))
	}
	if flamePath != "" {
		s.lineage, _ = flameLineage(c) // checked above
		s.lineage.Seed(snapshot())
		s.flamePath = flamePath
		s.flameWeight, _ = flameWeight(c)
	}
	s.eng = events.NewEngine(tr.Mode(), func(r *events.Record) {
		if s.lineage != nil {
			s.lineage.Record(r)
		}
		if s.filter.Keep(r) {
			s.w.Record(r)
		}
	})
	s.eng.Begin(s.start)
	s.pipe = pipeline.New(tr, s.eng)
	// Parents met without a name (pid 1, the --pid target): named from /proc
	// while they live (record names them from its process table instead).
	s.eng.SetNames(func(k events.Key) string { return procfs.Default.Comm(int(k.PID), k.Start) })
	if s.filter.Comm != nil {
		s.eng.MatchChildren(s.filter.Comm.MatchString) // --comm keeps parents of matching children
	}
	if err := s.w.Start(output.Start{Version: version, Kernel: tracer.KernelRelease(), Mode: tr.Mode()}); err != nil {
		s.close()
		return nil, fmt.Errorf("writing output: %w", err)
	}
	return s, nil
}

// checkFlame checks --flame's format, --by and --weight.
func checkFlame(c *cli.Context, path string) error {
	if path == "" {
		return nil
	}
	if _, err := flame.Format(path); err != nil {
		return fmt.Errorf("--flame: %w", err)
	}
	if _, err := flameLineage(c); err != nil {
		return err
	}
	_, err := flameWeight(c)
	return err
}

// createFiles creates the session's output files: -o (unless the command
// writes it itself: record), --flame and --cpuprofile.
func (s *session) createFiles(c *cli.Context, cfg sessionConfig, flamePath string) error {
	switch path := c.String("output"); {
	case cfg.discard:
		s.out = nopCloser{io.Discard}
	case path == "":
		s.out = nopCloser{cfg.defaultTo}
	case path == "-":
		s.out = nopCloser{os.Stdout}
	default:
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("opening output: %w", err)
		}
		s.out = f
	}
	var err error
	if flamePath != "" {
		if s.flameFile, err = os.Create(flamePath); err != nil {
			return fmt.Errorf("--flame: %w", err)
		}
	}
	if p := c.String("cpuprofile"); p != "" {
		if s.profFile, err = os.Create(p); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
	}
	return nil
}

// seedZombies feeds the zombies that exist now; keep selects them.
func (s *session) seedZombies(keep func(*events.Event) bool) error {
	return s.pipe.SeedZombies(keep)
}

// ready marks the start of tracing: every link is attached.
func (s *session) ready(c *cli.Context) error {
	// Loading parsed the kernel's BTF (tens of MB, garbage now): collect it
	// before tracing, not during the first seconds of a busy host.
	runtime.GC()
	debug.FreeOSMemory()
	s.cpuReady = selfstats.CPUTime()
	if s.profFile != nil {
		stop, err := selfstats.StartCPUProfile(s.profFile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		s.profFile, s.stopProf = nil, stop
	}
	if p := s.readyFile; p != "" {
		if err := os.WriteFile(p, []byte(fmt.Sprintln(os.Getpid())), 0o644); err != nil {
			return fmt.Errorf("writing ready file: %w", err)
		}
	}
	return nil
}

// loop reads events until ctx ends, then drains what is buffered.
func (s *session) loop(ctx context.Context) error {
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
		// Soak runs read the session's costs while it runs.
		if s.statsEvery > 0 && time.Since(lastStats) >= s.statsEvery {
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

// handle names a fork's call site (--stacks), then passes the event on.
func (s *session) handle(ev *events.Event) {
	if s.sym != nil && ev.Kind == events.KindFork && len(ev.Stack) > 0 {
		ev.Callsite = s.callsite(ev)
	}
	s.pipe.Handle(ev)
}

// pauseOnSignals detaches the programs on SIGUSR1 and attaches them on
// SIGUSR2, then writes "PID detached|attached" to the ready file (if any), so that the
// benchmark can measure one running tracer in both states, window by window.
func (s *session) pauseOnSignals(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	ch, ack := s.pauseSigs, s.readyFile
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
					fmt.Fprintf(os.Stderr, "zombietrace: %s: %v\n", state, err)
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

func (s *session) writeStats() error {
	if s.statsFile == "" {
		return nil
	}
	lost, _, _ := s.tr.Counters()
	st := selfstats.Collect(s.pipe.Events(), lost, s.tr.RingBufferBytes())
	st.CPUNS -= s.cpuReady
	st.Processes = s.eng.Live()
	if err := st.WriteFile(s.statsFile); err != nil {
		return fmt.Errorf("writing stats: %w", err)
	}
	return nil
}

type callsiteKey struct {
	pid  uint32
	hash uint64 // FNV-1a of the return addresses
}

// callsite symbolizes a fork's stack in the forking process (read from its
// maps while it lives: it forked a moment ago).
func (s *session) callsite(ev *events.Event) string {
	h := fnv.New64a()
	var b [8]byte
	for _, ip := range ev.Stack {
		binary.LittleEndian.PutUint64(b[:], ip)
		h.Write(b[:])
	}
	k := callsiteKey{ev.PeerPID, h.Sum64()}
	if cs, ok := s.callsites[k]; ok {
		return cs
	}
	frames, err := s.sym.Resolve(int(ev.Code), ev.Stack)
	if err != nil {
		return "" // the forking thread is gone
	}
	for i, j := 0, len(frames)-1; i < j; i, j = i+1, j-1 {
		frames[i], frames[j] = frames[j], frames[i] // outermost first
	}
	cs := strings.Join(frames, ";")
	if len(s.callsites) > 1<<16 {
		clear(s.callsites) // bounded: a fork storm from many binaries
	}
	s.callsites[k] = cs
	return cs
}

// finish writes the summary and releases everything.
func (s *session) finish() error {
	if s.stopProf != nil {
		s.stopProf()
	}
	if err := s.writeStats(); err != nil {
		return err
	}
	sum := s.eng.Summary(tracer.BootNow())
	s.filter.FilterSummary(&sum)
	err := s.w.Summary(&sum)
	if s.lineage != nil && err == nil {
		s.lineage.Outstanding(sum.Zombies)
		host, _ := os.Hostname()
		err = s.lineage.Write(s.flameFile, s.flamePath, s.flameWeight, "zombie time on "+host)
		if cerr := s.flameFile.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("flame: %w", cerr)
		}
		s.flameFile = nil
	}
	if ferr := s.w.Flush(); err == nil {
		err = ferr
	}
	if cerr := s.close(); err == nil {
		err = cerr
	}
	return err
}

func (s *session) close() error {
	var err error
	if s.tr != nil {
		err = s.tr.Close()
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
	}
	return err
}

// withVerifierLog prints the verifier's whole log of a refused program when
// asked (--debug), or says how to get it.
func withVerifierLog(err error, debug bool) error {
	var pe *tracer.ProgramError
	if !errors.As(err, &pe) || len(pe.Log) == 0 {
		return err
	}
	if !debug {
		return fmt.Errorf("%w (--debug prints the verifier's log)", err)
	}
	fmt.Fprintf(os.Stderr, "verifier log of %s:\n%s\n", pe.Program, strings.Join(pe.Log, "\n"))
	return err
}
