package flame

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"github.com/zombietrace/zombietrace/internal/testenv"
)

func TestWritePprof(t *testing.T) {
	samples := []Sample{
		{Frames: []string{"systemd 1", "sshd 800", "python3 4242", "sleep 4250"}, ZombieNS: 10, Count: 1},
		{Frames: []string{"systemd 1", "sshd 800", "python3 4242", "sleep 4251"}, ZombieNS: 20, Count: 0},
		{Frames: []string{"systemd 1", "sshd 800", "python3 4242", "sleep 4250"}, ZombieNS: 5, Count: 2}, // merged
		{Frames: []string{"systemd 1", "cron 700"}, ZombieNS: 1 << 62, Count: 1},
	}
	var buf bytes.Buffer
	if err := WritePprof(&buf, samples); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte{0x1f, 0x8b}) {
		t.Fatal("not gzipped")
	}
	p, err := profile.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CheckValid(); err != nil {
		t.Fatal(err)
	}
	if len(p.SampleType) != 2 ||
		p.SampleType[0].Type != "zombie_time" || p.SampleType[0].Unit != "nanoseconds" ||
		p.SampleType[1].Type != "zombies" || p.SampleType[1].Unit != "count" {
		t.Fatalf("sample types: %v %v", p.SampleType[0], p.SampleType[1])
	}
	if p.DefaultSampleType != "zombie_time" {
		t.Errorf("default sample type %q", p.DefaultSampleType)
	}
	got := map[string][]int64{}
	for _, s := range p.Sample {
		var names []string
		for _, l := range s.Location {
			if len(l.Line) != 1 || l.Line[0].Function == nil {
				t.Fatalf("location %d has %d lines", l.ID, len(l.Line))
			}
			names = append(names, l.Line[0].Function.Name)
		}
		got[strings.Join(names, ";")] = s.Value
	}
	want := map[string][]int64{ // leaf first
		"sleep 4250;python3 4242;sshd 800;systemd 1": {15, 3},
		"sleep 4251;python3 4242;sshd 800;systemd 1": {20, 1},
		"cron 700;systemd 1":                         {1 << 62, 1},
	}
	if len(got) != len(want) {
		t.Fatalf("samples: %v", got)
	}
	for k, v := range want {
		if g := got[k]; len(g) != 2 || g[0] != v[0] || g[1] != v[1] {
			t.Errorf("sample %s = %v, want %v", k, g, v)
		}
	}
	// one Function and one Location per distinct frame
	if len(p.Function) != 6 || len(p.Location) != 6 {
		t.Errorf("%d functions, %d locations, want 6", len(p.Function), len(p.Location))
	}
	seen := map[string]bool{}
	for _, f := range p.Function {
		if seen[f.Name] {
			t.Errorf("duplicate function %q", f.Name)
		}
		seen[f.Name] = true
	}
}

func TestWritePprofEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := WritePprof(&buf, nil); err != nil {
		t.Fatal(err)
	}
	p, err := profile.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Sample) != 0 || len(p.SampleType) != 2 {
		t.Errorf("empty profile: %d samples", len(p.Sample))
	}
}

// `go tool pprof -top` must show the profile (skipped without a go command).
func TestPprofTool(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	goBin, err := exec.LookPath("go")
	testenv.Need(t, err == nil, "needs the go command on PATH")
	dir := t.TempDir()
	path := filepath.Join(dir, "zombies.pb.gz")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := WritePprof(f, exampleSamples()); err != nil {
		t.Fatal(err)
	}
	f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, args := range [][]string{
		{"tool", "pprof", "-top", path},
		{"tool", "pprof", "-top", "-sample_index=zombies", path},
	} {
		cmd := exec.CommandContext(ctx, goBin, args...)
		cmd.Dir = dir // outside the module: the toolchain's own pprof, no module build
		cmd.Env = append(os.Environ(), "PPROF_TMPDIR="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %v: %v\n%s", args, err, out)
		}
		s := string(out)
		t.Logf("go %s:\n%s", strings.Join(args, " "), s)
		for _, w := range []string{"flat", "cum", "worker 2204", "containerd-shim 2000", "systemd 1", evilName + " 6001", "weird;name 6000"} {
			if !strings.Contains(s, w) {
				t.Errorf("go %v output lacks %q", args, w)
			}
		}
		if args[3] == "-sample_index=zombies" {
			if !strings.Contains(s, "postgres 1501") || !strings.Contains(s, "200") {
				t.Errorf("count view lacks the 200 postgres zombies")
			}
		} else if !strings.Contains(s, "Type: zombie_time") {
			t.Errorf("time view lacks the sample type")
		}
	}
}
