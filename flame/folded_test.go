package flame

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// parseFolded reads folded lines back into samples (for round trips): the
// value is the last space-separated field, frames are split on ';'.
func parseFolded(t *testing.T, data []byte, weight Weight) []Sample {
	t.Helper()
	var out []Sample
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		i := strings.LastIndexByte(line, ' ')
		if i <= 0 {
			t.Fatalf("bad folded line %q", line)
		}
		v, err := strconv.ParseUint(line[i+1:], 10, 64)
		if err != nil {
			t.Fatalf("bad value in %q: %v", line, err)
		}
		s := Sample{Frames: strings.Split(line[:i], ";"), Count: 1}
		if weight == WeightCount {
			s.Count = v
		} else {
			s.ZombieNS = v
		}
		out = append(out, s)
	}
	return out
}

func TestWriteFoldedMergeSortEscape(t *testing.T) {
	samples := []Sample{
		{Frames: []string{"systemd 1", "sshd 800", "python3 4242", "sleep 4250"}, ZombieNS: 10, Count: 1},
		{Frames: []string{"systemd 1", "cron 700", "sh 5000"}, ZombieNS: 5, Count: 1},
		{Frames: []string{"systemd 1", "sshd 800", "python3 4242", "sleep 4250"}, ZombieNS: 32, Count: 2}, // merged
		{Frames: []string{"systemd 1", "a;b 9", "x\ny 10"}, ZombieNS: 7, Count: 1},                        // escaped
		{Frames: []string{"systemd 1", "zero 11"}, ZombieNS: 0, Count: 1},                                 // no time: left out
		{Frames: nil, ZombieNS: 3},
	}
	var buf bytes.Buffer
	if err := WriteFolded(&buf, samples, WeightTime); err != nil {
		t.Fatal(err)
	}
	want := "[unknown] 3\n" +
		"systemd 1;a:b 9;x y 10 7\n" +
		"systemd 1;cron 700;sh 5000 5\n" +
		"systemd 1;sshd 800;python3 4242;sleep 4250 42\n"
	if buf.String() != want {
		t.Errorf("time-weighted:\n%s\nwant:\n%s", buf.String(), want)
	}
	buf.Reset()
	if err := WriteFolded(&buf, samples, WeightCount); err != nil {
		t.Fatal(err)
	}
	want = "[unknown] 1\n" +
		"systemd 1;a:b 9;x y 10 1\n" +
		"systemd 1;cron 700;sh 5000 1\n" +
		"systemd 1;sshd 800;python3 4242;sleep 4250 3\n" +
		"systemd 1;zero 11 1\n"
	if buf.String() != want {
		t.Errorf("count-weighted:\n%s\nwant:\n%s", buf.String(), want)
	}
	buf.Reset()
	if err := WriteFolded(&buf, nil, WeightTime); err != nil || buf.Len() != 0 {
		t.Errorf("empty input: %q, %v", buf.String(), err)
	}
}

// Every line must be parseable by flamegraph.pl's rule: /^(.*)\s+?(\d+(?:\.\d*)?)$/
// with no ';'-splitting surprises: as many frames as the sample had.
func TestFoldedLinesAreWellFormed(t *testing.T) {
	samples := exampleSamples()
	var buf bytes.Buffer
	if err := WriteFolded(&buf, samples, WeightTime); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != len(samples) { // all stacks in the example are distinct
		t.Fatalf("%d lines for %d distinct stacks", len(lines), len(samples))
	}
	depths := map[int]int{}
	for _, s := range samples {
		depths[len(s.Frames)]++
	}
	got := map[int]int{}
	for _, l := range lines {
		i := strings.LastIndexByte(l, ' ')
		got[len(strings.Split(l[:i], ";"))]++
		if strings.ContainsAny(l, "\r\t") {
			t.Errorf("control character in %q", l)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(depths) {
		t.Errorf("frame counts per line %v, want %v", got, depths)
	}
}

func TestFoldedGoldenRoundTrip(t *testing.T) {
	golden := filepath.Join("testdata", "example.folded")
	var buf bytes.Buffer
	if err := WriteFolded(&buf, exampleSamples(), WeightTime); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if buf.String() != string(want) {
		t.Fatalf("folded output differs from %s (run with -update to accept):\n%s", golden, buf.String())
	}
	// folded -> samples -> folded is the identity
	again := parseFolded(t, want, WeightTime)
	buf.Reset()
	if err := WriteFolded(&buf, again, WeightTime); err != nil {
		t.Fatal(err)
	}
	if buf.String() != string(want) {
		t.Errorf("round trip changed the output:\n%s", buf.String())
	}
	// and the tree built from the parsed samples has the same totals
	a, b := buildTree(exampleSamples()), buildTree(again)
	if a.timeNS != b.timeNS || a.depth() != b.depth() {
		t.Errorf("round trip totals: %d/%d vs %d/%d", a.timeNS, a.depth(), b.timeNS, b.depth())
	}
}
