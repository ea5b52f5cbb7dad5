package symbolize

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

const markerC = `
#include <stdio.h>
#include <unistd.h>
__attribute__((noinline)) void zombietrace_marker(void) { printf("%p\n", (void *)zombietrace_marker); fflush(stdout); }
int main(void) { zombietrace_marker(); sleep(30); return 0; }
`

// A C program's function, found through its maps and ELF symbols (a PIE:
// the address is relocated).
func TestResolveFunction(t *testing.T) {
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "marker.c")
	os.WriteFile(src, []byte(markerC), 0o644)
	exe := filepath.Join(dir, "marker")
	if out, err := exec.Command(cc, "-O1", "-o", exe, src).CombinedOutput(); err != nil {
		t.Fatalf("cc: %v\n%s", err, out)
	}
	cmd := exec.Command(exe)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	addr, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimSpace(line), "0x"), 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	s := New()
	if err := s.Capture(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	got := s.Resolve(cmd.Process.Pid, []uint64{addr + 4, 0, 1})
	if !reflect.DeepEqual(got, []string{"zombietrace_marker"}) {
		t.Fatalf("resolved %v", got)
	}
	if got := s.Resolve(cmd.Process.Pid, []uint64{0x10}); !reflect.DeepEqual(got, []string{"0x10"}) {
		t.Fatalf("unmapped: %v", got)
	}
}
