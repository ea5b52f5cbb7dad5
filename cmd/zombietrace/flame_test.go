//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// foldedWeight sums the folded lines whose stack contains all of frames.
func foldedWeight(t *testing.T, path string, frames ...string) uint64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var total uint64
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			t.Fatalf("folded line %q", line)
		}
		ok := true
		for _, f := range frames {
			ok = ok && strings.Contains(";"+line[:i]+";", ";"+f+";")
		}
		if ok {
			n, _ := strconv.ParseUint(line[i+1:], 10, 64)
			total += n
		}
	}
	return total
}

// run --flame: the ancestry frames of the leaky demo's zombies.
func TestRunFlame(t *testing.T) {
	e2e(t)
	dir := t.TempDir()
	folded := filepath.Join(dir, "z.folded")
	r := zt(t, 60*time.Second, "run", "--flame", folded, "-o", "/dev/null", "--", python, filepath.Join(filepath.Dir(scenariosDir), "demo", "leaky.py"))
	if r.code != 0 {
		t.Fatalf("run --flame: %d %s", r.code, r.stderr)
	}
	// The pool's sleep workers stay zombies ~2 s under the python service,
	// itself under zombietrace.
	if w := foldedWeight(t, folded, "zombietrace", "python3", "sleep"); w < uint64(time.Second) {
		t.Errorf("zombietrace;python3;sleep weighs %v, want >= 1s\n%s", time.Duration(w), readFile(folded))
	}
	pb := filepath.Join(dir, "z.pb.gz")
	r = zt(t, 60*time.Second, "run", "--flame", pb, "--weight", "count", "-o", "/dev/null", "--", python, filepath.Join(scenariosDir, "mp_nojoin.py"))
	if r.code != 0 {
		t.Fatalf("run --flame pb: %s", r.stderr)
	}
	f, _ := os.Open(pb)
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatalf("pprof output: %v", err)
	}
	if len(p.SampleType) != 2 || p.SampleType[0].Unit != "nanoseconds" || len(p.Sample) == 0 {
		t.Errorf("profile: types %v, %d samples", p.SampleType, len(p.Sample))
	}
	r = zt(t, 30*time.Second, "run", "--flame", filepath.Join(dir, "z.png"), "--", "true")
	if r.code == 0 || !strings.Contains(r.stderr, "--flame") {
		t.Errorf("unknown flame format accepted: %d %q", r.code, r.stderr)
	}
}

// --stacks: the fork call site in the parent, for C (frame pointers, raw
// syscall) and Go; live and through a recording.
func TestCallsites(t *testing.T) {
	e2e(t)
	dir := t.TempDir()
	stacks := filepath.Join(filepath.Dir(scenariosDir), "stacks")
	cbin := filepath.Join(dir, "callsite")
	if out, err := exec.Command("cc", "-O2", "-fno-omit-frame-pointer", "-o", cbin, filepath.Join(stacks, "callsite.c")).CombinedOutput(); err != nil {
		t.Fatalf("cc: %v %s", err, out)
	}
	gobin := filepath.Join(dir, "gospawn")
	build := exec.Command("go", "build", "-o", gobin, ".")
	build.Dir = filepath.Join(stacks, "gospawn")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v %s", err, out)
	}
	folded := filepath.Join(dir, "c.folded")
	if r := zt(t, 60*time.Second, "run", "--stacks", "--flame", folded, "--by", "callsite", "-o", "/dev/null", "--", cbin); r.code != 0 {
		t.Fatalf("run --stacks: %s", r.stderr)
	}
	if w := foldedWeight(t, folded, "leaky_spawner"); w < uint64(200*time.Millisecond) {
		t.Errorf("leaky_spawner weighs %v\n%s", time.Duration(w), readFile(folded))
	}
	if w := foldedWeight(t, folded, "tidy_spawner"); w > uint64(100*time.Millisecond) {
		t.Errorf("tidy_spawner weighs %v: it reaps at once", time.Duration(w))
	}
	gfolded := filepath.Join(dir, "g.folded")
	if r := zt(t, 60*time.Second, "run", "--stacks", "--flame", gfolded, "--by", "callsite", "-o", "/dev/null", "--", gobin); r.code != 0 {
		t.Fatalf("run --stacks (go): %s", r.stderr)
	}
	// Each of its three /bin/true workers, which exec at once (a fork must
	// come before its child's exec), is a zombie for ~300 ms.
	if w := foldedWeight(t, gfolded, "main.spawnWorkers", "os/exec.(*Cmd).Start"); w < uint64(750*time.Millisecond) {
		t.Errorf("main.spawnWorkers weighs %v, want its 3 workers\n%s", time.Duration(w), readFile(gfolded))
	}

	// Recorded with --stacks, analysed later.
	rec := filepath.Join(dir, "stacks.zt")
	ready := filepath.Join(dir, "ready")
	cmd := ztCmd(t.Context(), "record", "--stacks", "-o", rec, "--ready-file", ready, "--duration", "20s")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitForFile(t, ready, 30*time.Second, nil)
	if out, err := exec.Command(cbin).CombinedOutput(); err != nil {
		t.Fatalf("callsite: %v %s", err, out)
	}
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
	rfolded := filepath.Join(dir, "r.folded")
	if r := zt(t, 60*time.Second, "report", "flame", "--by", "callsite", "-o", rfolded, rec); r.code != 0 {
		t.Fatalf("report flame: %s", r.stderr)
	}
	if w := foldedWeight(t, rfolded, "leaky_spawner"); w < uint64(200*time.Millisecond) {
		t.Errorf("recorded leaky_spawner weighs %v\n%s", time.Duration(w), readFile(rfolded))
	}
}

func readFile(p string) string { b, _ := os.ReadFile(p); return string(b) }
