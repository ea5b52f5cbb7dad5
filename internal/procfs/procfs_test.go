package procfs

import (
	"os"
	"testing"
)

func TestParseStat(t *testing.T) {
	line := []byte("4242 (we ird) (x)) Z 17 4242 4242 0 -1 4227084 1 0 0 0 0 0 0 0 20 0 1 0 123456 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n")
	p, err := parseStat(4242, line)
	if err != nil {
		t.Fatal(err)
	}
	if p.Comm != "we ird) (x)" || p.State != 'Z' || p.PPID != 17 || p.StartTicks != 123456 || p.Threads != 1 {
		t.Fatalf("parsed %+v", p)
	}
	if _, err := parseStat(1, []byte("1 (x")); err == nil {
		t.Fatal("truncated stat parsed")
	}
}

func TestDescendantsOfSelf(t *testing.T) {
	ds, err := Default.Descendants(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if ds[0].PID != os.Getpid() {
		t.Fatalf("first is %d", ds[0].PID)
	}
	if _, err := Default.Descendants(-5); err == nil {
		t.Fatal("no error for a missing pid")
	}
}

// Comm names a process by pid and start time: a start in another clock
// tick is another process (a reuse of the pid).
func TestCommOfSelf(t *testing.T) {
	self, err := Default.Stat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	startNS := self.StartNS() + 1234 // the tracer's start is exact, /proc's to the tick
	if got := Default.Comm(os.Getpid(), startNS); got != self.Comm || got == "" {
		t.Errorf("Comm(self) = %q, want %q", got, self.Comm)
	}
	if got := Default.Comm(os.Getpid(), startNS+nsPerTick); got != "" {
		t.Errorf("Comm of another start = %q, want empty", got)
	}
	if got := Default.Comm(-5, startNS); got != "" {
		t.Errorf("Comm of no process = %q", got)
	}
}
