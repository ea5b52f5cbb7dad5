package zombies

import (
	"strings"
	"testing"
)

type names map[int][2]string

func (n names) Name(pid int) string    { return n[pid][0] }
func (n names) Cmdline(pid int) string { return n[pid][1] }

// Parents first, the one holding most; each parent's zombies oldest
// first and capped; names escaped.
func TestWriteTextLeadsWithParents(t *testing.T) {
	var zs []Zombie
	for i := 0; i < 25; i++ {
		zs = append(zs, Zombie{PID: 1000 + i, PPID: 10, Comm: "worker", AgeNS: uint64(i) * 1e9, AgeKnown: true, Waitable: true})
	}
	zs = append(zs, Zombie{PID: 2000, PPID: 20, Comm: "\x1b[31mevil\n", AgeNS: 5e8, AgeKnown: true})
	l := Group(zs, names{10: {"leaky", "/usr/bin/leaky --serve"}, 20: {"sh", "sh -c x"}}, true, "task iterator")
	if l.Total != 26 || len(l.Parents) != 2 || l.Parents[0].PID != 10 || l.Parents[0].Count != 25 || l.Parents[0].Zombies[0].PID != 1024 {
		t.Fatalf("grouped %+v", l)
	}
	var b strings.Builder
	if err := l.WriteText(&b, 10); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"26 zombies under 2 parents",
		"10      leaky  25       ~24.000s  /usr/bin/leaky --serve",
		"10 (leaky) holds 25 (oldest first, 10 of 25 shown: --all lists every one)",
		`\x1b[31mevil\n`,
		"(threads still run: not waitable yet)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "1014 ") || !strings.Contains(out, "1015 ") {
		t.Errorf("want the 10 oldest of parent 10 (1024 down to 1015):\n%s", out)
	}
	if strings.ContainsAny(out, "\x1b\r") {
		t.Errorf("raw control bytes:\n%q", out)
	}
	b.Reset()
	l.WriteText(&b, -1)
	if !strings.Contains(b.String(), "1000 ") {
		t.Errorf("--all: every zombie listed:\n%s", b.String())
	}
}
