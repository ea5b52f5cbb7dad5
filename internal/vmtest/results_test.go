package vmtest

import (
	"strings"
	"testing"
)

// A guest's console: kernel noise, the framed steps, go test -v output.
const consoleGreenAndRed = `[    1.234] Run /init as init process
ZT-BOOTED 6.12.118+deb12-cloud-amd64
ZT-BEGIN load-light
ZT-END load-light rc=0 cs=316
ZT-BEGIN load-exact
ZT-END load-exact rc=0 cs=290
ZT-TESTS TestAutoreap TestOrphan TestStorm TestOverflowIsCountedAndMarked TestStacks TestSubreapers
ZT-BEGIN test:TestAutoreap
=== RUN   TestAutoreap
=== RUN   TestAutoreap/sigign.py
=== RUN   TestAutoreap/sigign.py/light
=== RUN   TestAutoreap/sigign.py/exact
    scenarios_test.go:68: pid 198: reaped by unseen after 0s, want autoreap after 0
    scenarios_test.go:68: second message
=== RUN   TestAutoreap/sigign.py/light-exit-events
--- FAIL: TestAutoreap (8.12s)
    --- FAIL: TestAutoreap/sigign.py (4.78s)
        --- PASS: TestAutoreap/sigign.py/light (1.69s)
        --- FAIL: TestAutoreap/sigign.py/exact (1.66s)
        --- PASS: TestAutoreap/sigign.py/light-exit-events (1.41s)
FAIL
ZT-END test:TestAutoreap rc=1 cs=818
ZT-BEGIN test:TestOrphan
=== RUN   TestOrphan
=== RUN   TestOrphan/light
=== RUN   TestOrphan/exact
=== RUN   TestOrphan/light-exit-events
--- PASS: TestOrphan (3.00s)
    --- PASS: TestOrphan/light (1.00s)
    --- PASS: TestOrphan/exact (1.00s)
    --- PASS: TestOrphan/light-exit-events (1.00s)
PASS
ZT-END test:TestOrphan rc=0 cs=310
ZT-BEGIN test:TestStorm
=== RUN   TestStorm
=== RUN   TestStorm/light
=== RUN   TestStorm/exact
--- PASS: TestStorm (30.00s)
    --- PASS: TestStorm/light (10.00s)
    --- PASS: TestStorm/exact (10.00s)
    --- PASS: TestStorm/light-exit-events (10.00s)
PASS
ZT-END test:TestStorm rc=0 cs=3050
ZT-BEGIN test:TestOverflowIsCountedAndMarked
=== RUN   TestOverflowIsCountedAndMarked
    tracer_test.go:229: 120 events lost, 3 of 9000 records uncertain
--- PASS: TestOverflowIsCountedAndMarked (6.00s)
PASS
ZT-END test:TestOverflowIsCountedAndMarked rc=0 cs=650
ZT-BEGIN test:TestStacks
=== RUN   TestStacks
    stacks_test.go:27: verifier log of handle_fork:
        0: R1=ctx(off=0,imm=0) R10=fp0
        R8 min value is outside of the allowed memory range
    stacks_test.go:30: opening tracer: BPF program handle_fork: rejected by the verifier: R8 min value is outside of the allowed memory range
--- FAIL: TestStacks (0.50s)
FAIL
ZT-END test:TestStacks rc=1 cs=60
ZT-BEGIN test:TestSubreapers
=== RUN   TestSubreapers
--- SKIP: TestSubreapers (0.00s)
    tracer_test.go:150: skipped for a reason
PASS
ZT-END test:TestSubreapers rc=0 cs=10
ZT-DONE
[   99.0] reboot: Power down
`

func TestParseConsole(t *testing.T) {
	g := parseConsole(strings.ReplaceAll(consoleGreenAndRed, "\n", "\r\n"))
	if !g.Booted || g.Release != "6.12.118+deb12-cloud-amd64" || !g.Done || g.Crash != "" {
		t.Fatalf("booted %v release %q done %v crash %q", g.Booted, g.Release, g.Done, g.Crash)
	}
	if len(g.Tests) != 6 || len(g.Steps) != 8 {
		t.Fatalf("tests %v, %d steps", g.Tests, len(g.Steps))
	}
	s := g.step("test:TestAutoreap")
	if !s.Ended || s.RC != 1 || s.Secs != 8.18 || len(s.Output) != 13 {
		t.Errorf("TestAutoreap step: ended %v rc %d secs %v, %d lines", s.Ended, s.RC, s.Secs, len(s.Output))
	}
}

func TestEvaluate(t *testing.T) {
	cells := evaluate(parseConsole(consoleGreenAndRed), "")
	want := map[column]string{
		colLoads:     "✅ 2/2",
		colLight:     "✅ 4/4", // storm tests have their own column
		colExact:     "❌ 1/2",
		colScenarios: "❌ 1/3 (1 skipped)",
		colStorm:     "✅ 2/2",
		colStacks:    "❌ 0/1",
	}
	for c, w := range want {
		if got := cells[c].String(); got != w {
			t.Errorf("%s: %q, want %q", columnNames[c], got, w)
		}
	}
	if d := cells[colExact].Detail; d != "TestAutoreap/sigign.py/exact: pid 198: reaped by unseen after 0s, want autoreap after 0" {
		t.Errorf("exact detail %q", d)
	}
	if d := cells[colScenarios].Detail; d != "TestAutoreap: TestAutoreap/sigign.py/exact: pid 198: reaped by unseen after 0s, want autoreap after 0" {
		t.Errorf("scenarios detail %q", d)
	}
	if d := cells[colStacks].Detail; d != "TestStacks: opening tracer: BPF program handle_fork: rejected by the verifier: R8 min value is outside of the allowed memory range" {
		t.Errorf("stacks detail %q", d)
	}
}

// A kernel that needs the compat object runs every scenario as exact: the
// light cell is green only because doctor says so.
func TestEvaluateCompat(t *testing.T) {
	console := func(object string) string {
		return `ZT-BOOTED 5.10.0-46-cloud-amd64
ZT-BEGIN load-light
ZT-END load-light rc=0 cs=120
ZT-BEGIN load-exact
ZT-END load-exact rc=0 cs=70
ZT-BEGIN doctor
{
  "kernel": "5.10.0-46-cloud-amd64",
  "object": {"name": "` + object + `", "why": "this kernel lacks ..."}
}
ZT-END doctor rc=0 cs=50
ZT-TESTS TestOrphan
ZT-BEGIN test:TestOrphan
=== RUN   TestOrphan
=== RUN   TestOrphan/exact-compat
--- PASS: TestOrphan (1.00s)
    --- PASS: TestOrphan/exact-compat (1.00s)
PASS
ZT-END test:TestOrphan rc=0 cs=110
ZT-DONE
`
	}
	cells := evaluate(parseConsole(console("compat")), "")
	if got := cells[colLight].String(); got != "✅ n/a: compat" {
		t.Errorf("light with the compat object: %q", got)
	}
	if got := cells[colExact].String(); got != "✅ 1/1" {
		t.Errorf("exact: %q", got)
	}
	if c := evaluate(parseConsole(console("default")), "")[colLight]; c.State == cellPass {
		t.Errorf("light without light runs, doctor saying default: %+v", c)
	}
}

func TestEvaluateProgramsDoNotLoad(t *testing.T) {
	g := parseConsole(`ZT-BOOTED 5.10.0-46-cloud-amd64
ZT-BEGIN load-light
zombietrace: BPF program handle_fork: rejected by the verifier: BPF_STX uses reserved fields (--debug prints the verifier's log)
ZT-END load-light rc=1 cs=120
ZT-BEGIN load-exact
zombietrace: BPF program handle_fork: rejected by the verifier: BPF_STX uses reserved fields (--debug prints the verifier's log)

ZT-END load-exact rc=1 cs=70
ZT-NOTE tests not run: the programs load in neither mode
ZT-DONE
`)
	cells := evaluate(g, "")
	if c := cells[colLoads]; c.State != cellFail || !strings.HasPrefix(c.Detail, "light: zombietrace: BPF program handle_fork: rejected") || !strings.Contains(c.Detail, "; exact: zombietrace:") {
		t.Errorf("loads %+v", c)
	}
	for _, col := range []column{colLight, colExact, colStacks, colScenarios, colStorm} {
		if c := cells[col]; c.State != cellFail || c.Detail != "not run: the programs did not load" {
			t.Errorf("%s: %+v", columnNames[col], c)
		}
	}
}

func TestEvaluateGuestStopped(t *testing.T) {
	// Killed at the budget in the middle of a test, after a test that
	// timed out inside the guest.
	g := parseConsole(`ZT-BOOTED 7.2.13+deb14-cloud-amd64
ZT-BEGIN load-light
ZT-END load-light rc=0 cs=300
ZT-BEGIN load-exact
ZT-END load-exact rc=0 cs=300
ZT-TESTS TestA TestB TestC
ZT-BEGIN test:TestA
=== RUN   TestA
=== RUN   TestA/light
--- PASS: TestA/light (1.00s)
=== RUN   TestA/exact
panic: test timed out after 3m0s
	running tests:
		TestA (3m0s)
		TestA/exact (2m59s)

goroutine 1 [running]:
ZT-END test:TestA rc=2 cs=18000
ZT-BEGIN test:TestB
=== RUN   TestB
=== RUN   TestB/light
`)
	cells := evaluate(g, "the guest ran out of time (budget 6m0s)")
	if c := cells[colExact]; c.State != cellFail || c.Detail != "TestA/exact: timed out after 3m0s" {
		t.Errorf("exact %+v", c)
	}
	if c := cells[colLight]; c.State != cellFail || c.Text != "1/2" || !strings.Contains(c.Detail, "TestB/light: unfinished: the guest ran out of time") {
		t.Errorf("light %+v", c)
	}
	if c := cells[colScenarios]; c.Text != "0/3" || !strings.HasPrefix(c.Detail, "TestA: timed out after 3m0s") {
		t.Errorf("scenarios %+v", c)
	}
	if c := cells[colLoads]; c.State != cellPass {
		t.Errorf("loads %+v", c)
	}
}

func TestEvaluateNotBooted(t *testing.T) {
	cells := evaluate(&guestRun{}, "no output from the guest's init in 2m0s")
	for col, c := range cells {
		if c.State != cellFail || !strings.Contains(c.Detail, "no output from the guest's init") {
			t.Errorf("%s: %+v", columnNames[col], c)
		}
	}
}

func TestEvaluateKernelCrash(t *testing.T) {
	g := parseConsole(`ZT-BOOTED 6.12.118+deb12-cloud-amd64
ZT-BEGIN load-light
[   12.1] BUG: kernel NULL pointer dereference, address: 0000000000000008
[   12.2] Kernel panic - not syncing: Fatal exception
`)
	cells := evaluate(g, "")
	if c := cells[colLoads]; c.State != cellFail || c.Detail != "light: unfinished: kernel crash: [   12.1] BUG: kernel NULL pointer dereference, address: 0000000000000008; exact: not run: kernel crash: [   12.1] BUG: kernel NULL pointer dereference, address: 0000000000000008" {
		t.Errorf("loads %+v", c)
	}
}

func TestEvaluateRunFilter(t *testing.T) {
	// -run TestSubreapers: only the scenarios column has tests.
	g := parseConsole(`ZT-BOOTED 7.2
ZT-BEGIN load-light
ZT-END load-light rc=0 cs=1
ZT-BEGIN load-exact
ZT-END load-exact rc=0 cs=1
ZT-TESTS TestSubreapers
ZT-BEGIN test:TestSubreapers
--- PASS: TestSubreapers (0.38s)
ZT-END test:TestSubreapers rc=0 cs=44
ZT-DONE
`)
	cells := evaluate(g, "")
	for col, c := range cells {
		want := cellNotRun
		if column(col) == colLoads || column(col) == colScenarios {
			want = cellPass
		}
		if c.State != want {
			t.Errorf("%s: %+v", columnNames[col], c)
		}
	}
}

func TestEvaluateExitWithoutResult(t *testing.T) {
	g := parseConsole(`ZT-BOOTED 7.2
ZT-BEGIN load-light
ZT-END load-light rc=0 cs=1
ZT-BEGIN load-exact
ZT-END load-exact rc=0 cs=1
ZT-TESTS TestX
ZT-BEGIN test:TestX
=== RUN   TestX
fatal error: concurrent map writes
ZT-END test:TestX rc=2 cs=44
ZT-DONE
`)
	c := evaluate(g, "")[colScenarios]
	if c.State != cellFail || c.Detail != "TestX: no result (exit status 2): fatal error: concurrent map writes" {
		t.Errorf("scenarios %+v", c)
	}
}

func TestTracingMode(t *testing.T) {
	for name, want := range map[string]string{
		"TestA/light":                          "light",
		"TestA/light-exit-events":              "light",
		"TestA/light-nokfunc":                  "light",
		"TestA/sub.py/exact":                   "exact",
		"TestA/exact-something":                "exact",
		"TestForkComesBeforeExec/light-stacks": "",
		"TestLeaderExitsFirst/live-fallback":   "",
		"TestA/lightweight":                    "",
		"TestA/light/nested":                   "",
	} {
		if got := tracingMode(name); got != want {
			t.Errorf("tracingMode(%s) = %q, want %q", name, got, want)
		}
	}
}
