//go:build linux

// Package pipeline is the one live path every command shares: the tracer's
// events, through an optional tap, into the engine; the zombies that exist
// at start; and the settling of zombies released with no visible wait,
// whose free event lazy RCU can hold back for seconds.
package pipeline

import (
	"context"
	"errors"
	"io/fs"
	"sync"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/internal/procfs"
	"github.com/zombietrace/zombietrace/tracer"
)

// Pipeline feeds one engine from one tracer. Its methods may be called from
// any goroutine: the engine is behind the pipeline's lock.
type Pipeline struct {
	tr  *tracer.Tracer
	mu  sync.Mutex
	eng *events.Engine
	// tap sees every event before the engine; false drops it (a
	// recording's --max-size).
	tap    func(*events.Event) bool
	events uint64
}

// New connects tr to eng.
func New(tr *tracer.Tracer, eng *events.Engine) *Pipeline {
	return &Pipeline{tr: tr, eng: eng}
}

// SetTap sets what sees every event before the engine.
func (p *Pipeline) SetTap(tap func(*events.Event) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tap = tap
}

// Handle takes one event: the tap, then the engine.
func (p *Pipeline) Handle(ev *events.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events++
	if p.tap == nil || p.tap(ev) {
		p.eng.Handle(ev)
	}
}

// Events is how many events were handled.
func (p *Pipeline) Events() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.events
}

// Engine runs f with the engine, under the pipeline's lock.
func (p *Pipeline) Engine(f func(*events.Engine)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p.eng)
}

// SeedZombies feeds the zombies that exist now (the task iterator); keep,
// when not nil, selects them. Call it after the tracer is attached: a
// zombie is then seen one way or the other, and the engine de-duplicates.
func (p *Pipeline) SeedZombies(keep func(*events.Event) bool) error {
	zs, err := p.tr.Zombies()
	if err != nil {
		return err
	}
	for i := range zs {
		if keep == nil || keep(&zs[i]) {
			p.Handle(&zs[i])
		}
	}
	return nil
}

// Run reads events into the engine until ctx ends and the buffers are
// drained; handle, when not nil, sees each event first (and passes it on
// with p.Handle); idle is called when the reader found nothing.
func (p *Pipeline) Run(ctx context.Context, handle func(*events.Event), idle func()) error {
	if handle == nil {
		handle = p.Handle
	}
	return p.tr.Run(ctx, handle, idle)
}

// SettleGone: a reap no syscall shows (pid-namespace teardown, an init that
// reaps without one, io_uring) is known from the free event, which lazy RCU
// holds back for seconds. A zombie the engine still holds whose pid is gone
// from /proc, or is another process's now, was reaped: it gets a free event
// flagged FlagGone, timed now (an upper bound), through the same path as the
// kernel's (a recording keeps it too), instead of being listed as
// outstanding. Where a pid's fate cannot be read, nothing is claimed.
func (p *Pipeline) SettleGone() {
	now := tracer.BootNow()
	var zs []events.Zombie
	p.Engine(func(e *events.Engine) { zs = e.Summary(now).Zombies })
	for _, z := range zs {
		st, err := procfs.Default.Stat(int(z.PID))
		switch {
		case err == nil && st.StartTicks == procfs.StartTicks(z.Start):
			continue // still there
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			continue // unknown: not claimed gone
		}
		ev := events.Event{Kind: events.KindFree, Time: now, PID: z.PID, TID: z.PID, Start: z.Start, Flags: events.FlagGone}
		p.Handle(&ev)
	}
}
