//go:build linux

package selfstats

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Collect reads this process's costs now. events and lost are the
// session's counts, ringbufBytes the size of its ring buffer.
func Collect(events, lost uint64, ringbufBytes int) Stats {
	// First: what follows (a forced GC, reading smaps) is the measurement's
	// cost, not the session's: 3.5-5 ms here.
	st := Stats{CPUNS: CPUTime(), Events: events, LostEvents: lost, RingbufBytes: uint64(ringbufBytes), Goroutines: runtime.NumGoroutine()}
	st.PeakRSSBytes, st.RSSBytes = statusKB("VmHWM")*1024, statusKB("VmRSS")*1024
	// Writing the file must not be a source of RSS growth itself.
	debug.FreeOSMemory()
	st.RingbufRSS = ringbufRSS()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st.HeapInuseBytes = ms.HeapInuse
	return st
}

// CPUTime is this process's user+sys time in ns.
func CPUTime() uint64 {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return uint64(ru.Utime.Nano() + ru.Stime.Nano())
}

// statusKB reads a kB field of /proc/self/status (0 when unreadable).
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
