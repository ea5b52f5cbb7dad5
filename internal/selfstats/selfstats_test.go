//go:build linux

package selfstats

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The file is the contract between a session and the benchmark: the names
// the benchmark reads, and a round trip through them.
func TestFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stats")
	st := Stats{Events: 1, LostEvents: 2, PeakRSSBytes: 3, RSSBytes: 4, RingbufRSS: 5, RingbufBytes: 6,
		Goroutines: 7, CPUNS: 8, HeapInuseBytes: 9, Processes: 10}
	if err := st.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	for _, name := range []string{`"events":1`, `"lost_events":2`, `"peak_rss_bytes":3`, `"rss_bytes":4`,
		`"ringbuf_rss_bytes":5`, `"ringbuf_bytes":6`, `"goroutines":7`, `"cpu_ns":8`, `"heap_inuse_bytes":9`,
		`"live_processes":10`} {
		if !strings.Contains(string(b), name) {
			t.Errorf("stats file %s: no %s", b, name)
		}
	}
	got, err := ReadFile(path)
	if err != nil || got != st {
		t.Fatalf("read back %+v, %v; want %+v", got, err, st)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("a missing file read without error")
	}
}

func TestCollect(t *testing.T) {
	st := Collect(3, 1, 1<<20)
	if st.Events != 3 || st.LostEvents != 1 || st.RingbufBytes != 1<<20 {
		t.Errorf("counts not kept: %+v", st)
	}
	if st.RSSBytes == 0 || st.PeakRSSBytes == 0 || st.Goroutines == 0 || st.HeapInuseBytes == 0 {
		t.Errorf("memory not read: %+v", st)
	}
	if st.RingbufRSS != 0 {
		t.Errorf("no BPF map is mapped here, yet %d bytes of ring buffer", st.RingbufRSS)
	}
}
