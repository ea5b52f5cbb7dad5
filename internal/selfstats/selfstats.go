// Package selfstats is what a tracing session costs its own process: CPU,
// memory (the ring buffer's mapping apart), goroutines, events. A session
// writes them to its hidden --stats-file; the benchmark, which runs the
// tracer as a separate process as a user does, reads them back. One type
// for both ends: the numbers cannot drift apart.
package selfstats

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime/pprof"
)

// Stats is what a session reports about itself. The JSON names are read
// by the benchmark (internal/bench) and by soak runs: keep them.
type Stats struct {
	Events         uint64 `json:"events"`
	LostEvents     uint64 `json:"lost_events"`
	PeakRSSBytes   uint64 `json:"peak_rss_bytes"`    // VmHWM
	RSSBytes       uint64 `json:"rss_bytes"`         // VmRSS at the end
	RingbufRSS     uint64 `json:"ringbuf_rss_bytes"` // resident part of the ring buffer mapping
	RingbufBytes   uint64 `json:"ringbuf_bytes"`
	Goroutines     int    `json:"goroutines"`
	CPUNS          uint64 `json:"cpu_ns"` // user+sys of this process
	HeapInuseBytes uint64 `json:"heap_inuse_bytes"`
	Processes      int    `json:"live_processes"` // process records the engine holds
}

// WriteFile writes st to path as one JSON line, replacing what was there
// (a soak run rewrites it while the session runs).
func (st Stats) WriteFile(path string) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encoding stats: %w", err)
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadFile reads the stats a session wrote to path.
func ReadFile(path string) (Stats, error) {
	var st Stats
	b, err := os.ReadFile(path)
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("reading stats %s: %w", path, err)
	}
	return st, nil
}

// StartCPUProfile profiles this process's CPU into f until stop is
// called, which also closes f. f is closed on error too.
func StartCPUProfile(f *os.File) (stop func(), err error) {
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
