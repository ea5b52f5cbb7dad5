//go:build linux

package main

import (
	"bufio"
	"encoding/json"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// sessionStats is what a session reports about itself (hidden --stats-file),
// for the benchmark: it runs the tracer as a separate process.
type sessionStats struct {
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

func collectStats(events, lost uint64, ringbuf int) sessionStats {
	// First: what follows (a forced GC, reading smaps) is the measurement's
	// cost, not the session's: 3.5-5 ms here.
	st := sessionStats{CPUNS: cpuTime(), Events: events, LostEvents: lost, RingbufBytes: uint64(ringbuf), Goroutines: runtime.NumGoroutine()}
	st.PeakRSSBytes, st.RSSBytes = statusKB("VmHWM")*1024, statusKB("VmRSS")*1024
	// Writing the file must not be a source of RSS growth itself.
	debug.FreeOSMemory()
	st.RingbufRSS = ringbufRSS()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st.HeapInuseBytes = ms.HeapInuse
	return st
}

func statusKB(field string) uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			v, _ := strconv.ParseUint(strings.Fields(rest)[0], 10, 64)
			return v
		}
	}
	return 0
}

// ringbufRSS sums the resident size of the BPF map mappings (the ring
// buffer's consumer, producer and data pages are mapped into this process).
func ringbufRSS() uint64 {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return 0
	}
	defer f.Close()
	var total uint64
	inBPF := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			inBPF = len(fields) >= 6 && strings.Contains(fields[5], "bpf")
			continue
		}
		if inBPF && len(fields) >= 2 && fields[0] == "Rss:" {
			v, _ := strconv.ParseUint(fields[1], 10, 64)
			total += v * 1024
		}
	}
	return total
}

func writeStats(path string, st sessionStats) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// cpuTime is this process's user+sys time in ns.
func cpuTime() uint64 {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return uint64(ru.Utime.Nano() + ru.Stime.Nano())
}

func startProfile(f *os.File) (func(), error) {
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
