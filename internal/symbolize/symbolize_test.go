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

	"github.com/zombietrace/zombietrace/internal/testenv"
)

// markerC prints a function's address; on a line read from stdin it execs
// itself to print another's (its mappings are then new, at another base).
const markerC = `
#include <stdio.h>
#include <unistd.h>
__attribute__((noinline)) void zombietrace_marker(void) { printf("%p\n", (void *)zombietrace_marker); fflush(stdout); }
__attribute__((noinline)) void zombietrace_again(void) { printf("%p\n", (void *)zombietrace_again); fflush(stdout); }
int main(int argc, char **argv) {
	char line[8];
	if (argc > 1) {
		zombietrace_again();
		sleep(30);
		return 0;
	}
	zombietrace_marker();
	if (fgets(line, sizeof(line), stdin))
		execl("/proc/self/exe", argv[0], "again", (char *)0);
	return 1;
}
`

// A C program's function, found through its maps and ELF symbols (a PIE:
// the address is relocated), and after the same process execs, with the
// mappings it has then.
func TestResolveFunction(t *testing.T) {
	cc, err := exec.LookPath("cc")
	testenv.Need(t, err == nil, "needs a C compiler (cc) on PATH")
	dir := t.TempDir()
	src := filepath.Join(dir, "marker.c")
	os.WriteFile(src, []byte(markerC), 0o644)
	exe := filepath.Join(dir, "marker")
	if out, err := exec.Command(cc, "-O1", "-o", exe, src).CombinedOutput(); err != nil {
		t.Fatalf("cc: %v\n%s", err, out)
	}
	cmd := exec.Command(exe)
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	lines := bufio.NewReader(out)
	address := func() uint64 {
		t.Helper()
		line, err := lines.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		addr, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimSpace(line), "0x"), 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		return addr
	}
	pid := cmd.Process.Pid
	s := New()
	resolve := func(ips ...uint64) []string {
		t.Helper()
		got, err := s.Resolve(pid, ips)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := resolve(address()+4, 0, 1); !reflect.DeepEqual(got, []string{"zombietrace_marker"}) {
		t.Fatalf("resolved %v", got)
	}
	if got := resolve(0x10); !reflect.DeepEqual(got, []string{"0x10"}) {
		t.Fatalf("unmapped: %v", got)
	}
	in.Write([]byte("exec\n"))
	if got := resolve(address() + 4); !reflect.DeepEqual(got, []string{"zombietrace_again"}) {
		t.Fatalf("after exec: resolved %v", got)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := s.Resolve(pid, []uint64{1}); err == nil {
		t.Fatal("resolved in a process that is gone")
	}
}
