//go:build linux

package remedy

import (
	"context"
	"time"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/internal/pipeline"
	"github.com/zombietrace/zombietrace/tracer"
)

// Watch is the live tracer's view of one parent, its zombies and its heir:
// it verifies each step (who reaped, when). It runs the same pipeline as a
// live session, so a zombie released with no visible wait is settled the
// same way (Settle).
type Watch struct {
	tr     *tracer.Tracer
	pipe   *pipeline.Pipeline
	reaps  map[uint32]events.Record // written by the engine, under the pipeline's lock
	cancel context.CancelFunc
	done   chan error
}

// NewWatch starts tracing the target, its zombies and whoever may inherit them.
func NewWatch(t *Target, heir int) (*Watch, error) {
	// A short poll: each step is judged by what the tracer reports.
	tr, err := tracer.Open(tracer.Config{Filter: true, PollInterval: 10 * time.Millisecond})
	if err != nil {
		return nil, err
	}
	w := &Watch{tr: tr, reaps: make(map[uint32]events.Record), done: make(chan error, 1)}
	follow := func(pid int, f tracer.FollowFlags) error { return tr.Follow(uint32(pid), 0, f) }
	err = follow(t.PID, tracer.FollowTrace)
	for _, z := range t.Zombies {
		if err == nil {
			err = follow(z.PID, tracer.FollowTrace)
		}
	}
	if err == nil && heir > 0 {
		err = follow(heir, tracer.FollowOwes)
	}
	if err != nil {
		tr.Close()
		return nil, err
	}
	eng := events.NewEngine(tr.Mode(), func(r *events.Record) {
		if r.Type == events.RecordReap {
			w.reaps[r.PID] = *r
		}
	})
	eng.Begin(tracer.BootNow())
	w.pipe = pipeline.New(tr, eng)
	if err := w.pipe.SeedZombies(func(ev *events.Event) bool { return ev.PeerPID == uint32(t.PID) }); err != nil {
		tr.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	go func() { w.done <- w.pipe.Run(ctx, nil, nil) }()
	return w, nil
}

// Reaped returns the reap record of a zombie, if the tracer saw one.
func (w *Watch) Reaped(pid int) (r events.Record, ok bool) {
	w.pipe.Engine(func(*events.Engine) { r, ok = w.reaps[uint32(pid)] })
	return r, ok
}

// SeenReaping reports whether pid reaped any of the watched zombies.
func (w *Watch) SeenReaping(pid int) (seen bool) {
	w.pipe.Engine(func(*events.Engine) {
		for _, r := range w.reaps {
			if r.ReaperPID == uint32(pid) && r.ReapedBy != events.ReapedByUnseen && r.ReapedBy != events.ReapedByAutoreap {
				seen = true
			}
		}
	})
	return seen
}

// Settle closes the watched zombies that /proc says are gone while no reap
// was seen (an init that reaps without a visible wait; the free event lags
// under lazy RCU): they get their reap record, by nobody seen.
func (w *Watch) Settle() { w.pipe.SettleGone() }

// Close stops tracing and releases everything.
func (w *Watch) Close() error {
	w.cancel()
	err := <-w.done
	if cerr := w.tr.Close(); err == nil {
		err = cerr
	}
	return err
}
