//go:build linux

package supervise

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestExitCode(t *testing.T) {
	// Wait statuses: code << 8 for an exit, the signal number for a death.
	for ws, want := range map[unix.WaitStatus]int{0: 0, 3 << 8: 3, 9: 137, 15: 143} {
		if got := ExitCode(ws); got != want {
			t.Errorf("status %#x: %d, want %d", uint32(ws), got, want)
		}
	}
}

func TestResolve(t *testing.T) {
	if _, err := Resolve(nil); err == nil {
		t.Error("no command accepted")
	}
	if _, err := Resolve([]string{"/nonexistent/cmd"}); err == nil {
		t.Error("a missing command accepted")
	}
	if p, err := Resolve([]string{"sh"}); err != nil || p == "" {
		t.Errorf("sh: %q %v", p, err)
	}
}
