package flame

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
)

const evilName = `<script>alert(1)</script>`

// exampleSamples is a small but realistic incident: an interactive python
// session that never waits for its sleeps, a container app leaking workers,
// a cron job, a busy postgres with many short-lived zombies, plus names
// that must be escaped.
func exampleSamples() []Sample {
	var s []Sample
	sec := uint64(1e9)
	for i := 0; i < 10; i++ {
		s = append(s, Sample{Frames: []string{"systemd 1", "sshd 800", "sshd 1200", "bash 1300", "python3 4242", fmt.Sprintf("sleep %d", 4250+i)},
			ZombieNS: uint64(40+5*i) * sec, Count: 1})
	}
	for i := 0; i < 5; i++ {
		s = append(s, Sample{Frames: []string{"systemd 1", "containerd 900", "containerd-shim 2000", "app-server 2100", fmt.Sprintf("worker %d", 2200+i)},
			ZombieNS: uint64(120+60*i) * sec, Count: 1})
	}
	s = append(s,
		Sample{Frames: []string{"systemd 1", "containerd 900", "containerd-shim 3000", "nginx 3001", "nginx 3002"}, ZombieNS: 95 * sec, Count: 1},
		Sample{Frames: []string{"systemd 1", "cron 700", "sh 5000", "backup.sh 5001", "tar 5002"}, ZombieNS: 20 * sec, Count: 1},
		Sample{Frames: []string{"systemd 1", "cron 700", "sh 5000", "backup.sh 5001", "gzip 5003"}, ZombieNS: 19 * sec, Count: 1},
		Sample{Frames: []string{"systemd 1", "postgres 1500", "postgres 1501"}, ZombieNS: 2 * sec / 1000 * 200, Count: 200},
		Sample{Frames: []string{"systemd 1", "cron 700", "weird;name 6000", evilName + " 6001"}, ZombieNS: 30 * sec, Count: 1},
		Sample{Frames: []string{"systemd 1", "cron 700", "日本語 🧟 6100", `q"uote's & amp 6101`}, ZombieNS: 25 * sec, Count: 1},
	)
	return s
}

func TestBuildTree(t *testing.T) {
	samples := []Sample{
		{Frames: []string{"init 1", "p 10", "z 11"}, ZombieNS: 100, Count: 1},
		{Frames: []string{"init 1", "p 10", "z 12"}, ZombieNS: 50, Count: 2},
		{Frames: []string{"init 1", "p 10", "z 11"}, ZombieNS: 25, Count: 0}, // Count 0 reads as 1
		{Frames: []string{"init 1", "q 20"}, ZombieNS: 7, Count: 1},
		{Frames: nil, ZombieNS: 3, Count: 1},
		{Frames: []string{"init 1", ""}, ZombieNS: 1, Count: 1},
	}
	root := buildTree(samples)
	if root.timeNS != 186 || root.count != 7 {
		t.Fatalf("root = %d ns / %d, want 186 / 7", root.timeNS, root.count)
	}
	var names []string
	for _, c := range root.children {
		names = append(names, c.name)
	}
	if want := []string{"[unknown]", "init 1"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("root children = %q, want %q", names, want)
	}
	initN := root.children[1]
	if initN.timeNS != 183 || initN.count != 6 || initN.selfCount != 0 {
		t.Errorf("init: %d ns / %d / self %d", initN.timeNS, initN.count, initN.selfCount)
	}
	names = nil
	for _, c := range initN.children {
		names = append(names, c.name)
	}
	if want := []string{"[unknown]", "p 10", "q 20"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("init children = %q, want %q", names, want)
	}
	p := initN.children[1]
	if p.timeNS != 175 || p.count != 4 || p.selfNS != 0 || p.selfCount != 0 {
		t.Errorf("p 10: %+v", p)
	}
	z11 := p.children[0]
	if z11.name != "z 11" || z11.timeNS != 125 || z11.count != 2 || z11.selfNS != 125 || z11.selfCount != 2 {
		t.Errorf("z 11: %+v", z11)
	}
	if d := root.depth(); d != 3 {
		t.Errorf("depth = %d, want 3", d)
	}
	if v := p.value(WeightTime); v != 175 {
		t.Errorf("value(time) = %d", v)
	}
	if v := p.value(WeightCount); v != 4 {
		t.Errorf("value(count) = %d", v)
	}
}

func TestBuildTreeSaturates(t *testing.T) {
	root := buildTree([]Sample{
		{Frames: []string{"a"}, ZombieNS: math.MaxUint64 - 1, Count: 1},
		{Frames: []string{"a"}, ZombieNS: 10, Count: 1},
	})
	if root.timeNS != math.MaxUint64 {
		t.Fatalf("sum wrapped: %d", root.timeNS)
	}
}

func TestLayoutWeights(t *testing.T) {
	samples := []Sample{
		{Frames: []string{"root 1", "slow 2", "z 3"}, ZombieNS: 900, Count: 1},
		{Frames: []string{"root 1", "many 4", "z 5"}, ZombieNS: 100, Count: 9},
	}
	root := buildTree(samples)
	width := func(boxes []frameBox, name string) float64 {
		for _, b := range boxes {
			if b.n.name == name {
				return b.w
			}
		}
		return -1
	}
	byTime := layout(root, WeightTime, 0, 1000)
	if w := width(byTime, "slow 2"); math.Abs(w-900) > 1e-9 {
		t.Errorf("time: slow width %v, want 900", w)
	}
	if w := width(byTime, "many 4"); math.Abs(w-100) > 1e-9 {
		t.Errorf("time: many width %v, want 100", w)
	}
	byCount := layout(root, WeightCount, 0, 1000)
	if w := width(byCount, "slow 2"); math.Abs(w-100) > 1e-9 {
		t.Errorf("count: slow width %v, want 100", w)
	}
	if w := width(byCount, "many 4"); math.Abs(w-900) > 1e-9 {
		t.Errorf("count: many width %v, want 900", w)
	}
	// heaviest child first, children inside their parent
	for _, boxes := range [][]frameBox{byTime, byCount} {
		if boxes[0].n != root || boxes[0].w != 1000 || boxes[0].depth != 0 {
			t.Fatalf("first box is not the root: %+v", boxes[0])
		}
		if boxes[1].x != 0 || boxes[1].w < 500 {
			t.Errorf("heaviest child not first: %+v", boxes[1])
		}
	}
	// frames narrower than minFrameW are skipped
	tiny := buildTree([]Sample{
		{Frames: []string{"a", "big"}, ZombieNS: 1e9},
		{Frames: []string{"a", "tiny"}, ZombieNS: 1},
	})
	if w := width(layout(tiny, WeightTime, 0, 1000), "tiny"); w != -1 {
		t.Errorf("tiny frame drawn with width %v", w)
	}
	if got := layout(buildTree(nil), WeightTime, 0, 1000); len(got) != 0 {
		t.Errorf("empty tree laid out %d boxes", len(got))
	}
}

func TestFormat(t *testing.T) {
	samples := exampleSamples()
	for _, c := range []struct{ name, prefix string }{
		{"out.folded", "systemd 1;"},
		{"/tmp/x/zombies.pb.gz", "\x1f\x8b"},
		{"REPORT.SVG", "<?xml"},
		{"a.b.html", "<!DOCTYPE html>"},
	} {
		f, err := Format(c.name)
		if err != nil {
			t.Fatalf("Format(%q): %v", c.name, err)
		}
		var buf bytes.Buffer
		if err := f(&buf, samples, Options{Title: "t"}); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !strings.HasPrefix(buf.String(), c.prefix) {
			t.Errorf("%s: output starts with %q", c.name, buf.String()[:min(20, buf.Len())])
		}
	}
	for _, bad := range []string{"out.txt", "out.gz", "out.pb", "folded", "out.htm", ""} {
		if _, err := Format(bad); err == nil {
			t.Errorf("Format(%q) = nil error", bad)
		}
	}
	// .folded honours the weight
	f, _ := Format("x.folded")
	var buf bytes.Buffer
	if err := f(&buf, []Sample{{Frames: []string{"a", "b"}, ZombieNS: 5, Count: 3}}, Options{Weight: WeightCount}); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "a;b 3\n" {
		t.Errorf("count-weighted folded = %q", buf.String())
	}
}

func TestFormatDuration(t *testing.T) {
	for ns, want := range map[uint64]string{
		0:                     "0 ns",
		999:                   "999 ns",
		1000:                  "1.00 µs",
		12345:                 "12.3 µs",
		4_560_000:             "4.56 ms",
		999_000_000:           "999 ms",
		7_890_000_000:         "7.89 s",
		125 * 1e9:             "2m 05s",
		(3*3600 + 7*60) * 1e9: "3h 07m",
	} {
		if got := FormatDuration(ns); got != want {
			t.Errorf("FormatDuration(%d) = %q, want %q", ns, got, want)
		}
	}
}

func TestCleanName(t *testing.T) {
	for in, want := range map[string]string{
		"":              UnknownFrame,
		"ok 1":          "ok 1",
		"a\nb\tc":       "a b c",
		"bad\xffutf8":   "bad\uFFFDutf8",
		"nul\x00x":      "nul\uFFFDx",
		"nonchar\uFFFE": "nonchar\uFFFD",
		"日本語 🧟":         "日本語 🧟",
	} {
		if got := cleanName(in); got != want {
			t.Errorf("cleanName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestColors(t *testing.T) {
	if colorKey("sleep 4250") != "sleep" || colorKey("sleep") != "sleep" || colorKey("4250") != "4250" || colorKey("a  12") != "a" {
		t.Errorf("colorKey wrong")
	}
	a, b := frameColor("sleep 1", false, false), frameColor("sleep 2", false, false)
	if a != b {
		t.Errorf("same command, different colours: %s %s", a, b)
	}
	if frameColor("sleep 1", true, false) == a {
		t.Errorf("zombie colour equals process colour")
	}
	var r, g, bl int
	for _, n := range []string{"systemd 1", "sshd 800", "python3", "x", "日本語"} {
		if _, err := fmt.Sscanf(frameColor(n, false, false), "rgb(%d,%d,%d)", &r, &g, &bl); err != nil {
			t.Fatal(err)
		}
		if r < 205 || g > 230 || bl > 55 || r <= g { // warm: red dominant
			t.Errorf("%s: not warm: %d,%d,%d", n, r, g, bl)
		}
		if _, err := fmt.Sscanf(frameColor(n, true, false), "rgb(%d,%d,%d)", &r, &g, &bl); err != nil {
			t.Fatal(err)
		}
		if g <= r || g <= bl { // zombie: green dominant
			t.Errorf("%s: zombie not green: %d,%d,%d", n, r, g, bl)
		}
	}
	if nameHash("") != 2166136261 || nameHash("a") != 0xe40c292c {
		t.Errorf("FNV-1a mismatch: %x", nameHash("a"))
	}
}

func TestFitLabel(t *testing.T) {
	if got := fitLabel("python3 4242", 1000, 7); got != "python3 4242" {
		t.Errorf("fits: %q", got)
	}
	if got := fitLabel("python3 4242", 49, 7); got != "pytho.." {
		t.Errorf("truncated: %q", got)
	}
	if got := fitLabel("python3 4242", 20, 7); got != "" {
		t.Errorf("too narrow: %q", got)
	}
	if got := fitLabel("日本語日本語", 35, 7); got != "日本語.." {
		t.Errorf("runes: %q", got)
	}
}

func TestWeightString(t *testing.T) {
	if WeightTime.String() != "time" || WeightCount.String() != "count" || Weight(7).String() != "Weight(7)" {
		t.Error("Weight.String")
	}
	if err := WriteFolded(&bytes.Buffer{}, nil, Weight(7)); err == nil {
		t.Error("WriteFolded accepted a bad weight")
	}
	if err := WriteHTML(&bytes.Buffer{}, nil, Options{Weight: Weight(7)}); err == nil {
		t.Error("WriteHTML accepted a bad weight")
	}
}

// The format error names the file and what is wanted, not the package:
// callers prefix their own name ("report flame: ", "--flame: ").
func TestFormatErrorWording(t *testing.T) {
	_, err := Format("zombies.png")
	if err == nil {
		t.Fatal("no error for .png")
	}
	want := `"zombies.png": unknown flame graph format: want a name ending in .folded, .pb.gz, .svg or .html`
	if err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}
