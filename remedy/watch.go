//go:build linux

package remedy

import (
	"context"
	"sync"
	"time"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/tracer"
)

// Watch is the live tracer's view of one parent, its zombies and its heir:
// it verifies each step (who reaped, when).
type Watch struct {
	tr     *tracer.Tracer
	mu     sync.Mutex
	eng    *events.Engine
	reaps  map[uint32]events.Record
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
	w.eng = events.NewEngine(tr.Mode(), func(r *events.Record) {
		if r.Type == events.RecordReap {
			w.reaps[r.PID] = *r
		}
	})
	w.eng.Begin(tracer.BootNow())
	zs, err := tr.Zombies()
	if err != nil {
		tr.Close()
		return nil, err
	}
	for i := range zs {
		if zs[i].PeerPID == uint32(t.PID) {
			w.eng.Handle(&zs[i])
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	go func() {
		w.done <- tr.Run(ctx, func(ev *events.Event) {
			w.mu.Lock()
			w.eng.Handle(ev)
			w.mu.Unlock()
		}, nil)
	}()
	return w, nil
}

// Reaped returns the reap record of a zombie, if the tracer saw one.
func (w *Watch) Reaped(pid int) (events.Record, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, ok := w.reaps[uint32(pid)]
	return r, ok
}

// SeenReaping reports whether pid reaped any of the watched zombies.
func (w *Watch) SeenReaping(pid int) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, r := range w.reaps {
		if r.ReaperPID == uint32(pid) && r.ReapedBy != events.ReapedByUnseen && r.ReapedBy != events.ReapedByAutoreap {
			return true
		}
	}
	return false
}

// Close stops tracing and releases everything.
func (w *Watch) Close() error {
	w.cancel()
	err := <-w.done
	if cerr := w.tr.Close(); err == nil {
		err = cerr
	}
	return err
}
