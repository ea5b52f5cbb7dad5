package vmtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zombietrace/zombietrace/internal/testenv"
)

func TestSplitTestFilter(t *testing.T) {
	for _, tc := range []struct{ run, list, sub string }{
		{"", ".", ""},
		{"TestStorm", "TestStorm", ""},
		{"TestStorm/light", "TestStorm", "/light"},
		{"/exact", ".", "/exact"},
		{"TestAutoreap/sigign.py/exact", "TestAutoreap", "/sigign.py/exact"},
	} {
		list, sub := splitTestFilter(tc.run)
		if list != tc.list || sub != tc.sub {
			t.Errorf("splitTestFilter(%q) = %q, %q; want %q, %q", tc.run, list, sub, tc.list, tc.sub)
		}
	}
}

// The guest script is valid sh, and it runs: here with a fake zombietrace
// and test binary, in a copy of its /zt layout.
func TestGuestScriptRuns(t *testing.T) {
	sh, err := exec.LookPath("sh")
	testenv.Need(t, err == nil, "needs sh on PATH")
	script := renderGuestScript("TestA|Test'B/x", 90*time.Second)
	if !strings.Contains(script, `LIST='TestA|Test'\''B'`) || !strings.Contains(script, "SUB='/x'") || !strings.Contains(script, "TIMEOUT='1m30s'") {
		t.Fatalf("script parameters:\n%s", script)
	}
	// The script's paths are absolute (/zt): run a copy pointed elsewhere.
	root := t.TempDir()
	script = strings.ReplaceAll(renderGuestScript("", time.Minute), "/zt", root)
	os.MkdirAll(filepath.Join(root, "integration"), 0o755)
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write("zombietrace", "#!/bin/sh\necho loaded \"$@\"\n")
	write("integration.test", `#!/bin/sh
case "$1" in
-test.list) printf 'TestOne\nTestTwo\nExampleX\n' ;;
*) echo "--- PASS: args $* (0.00s)"; echo "dir $(pwd) bin $ZT_SCENARIO_BIN" ;;
esac
`)
	write("run.sh", script)
	out, err := exec.Command(sh, filepath.Join(root, "run.sh")).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	g := parseConsole(string(out))
	if len(g.Tests) != 2 || len(g.Steps) != 5 {
		t.Fatalf("tests %v, %d steps:\n%s", g.Tests, len(g.Steps), out)
	}
	for _, s := range g.Steps {
		if !s.Ended || s.RC != 0 || s.Secs < 0 {
			t.Errorf("step %+v", s)
		}
	}
	if got := strings.Join(g.step("load-exact").Output, "\n"); got != "loaded trace --exact-waits --duration 2s -o /dev/null" {
		t.Errorf("load-exact ran %q", got)
	}
	if got := strings.Join(g.step("doctor").Output, "\n"); got != "loaded doctor --json" {
		t.Errorf("doctor ran %q", got)
	}
	two := strings.Join(g.step("test:TestTwo").Output, "\n")
	for _, want := range []string{"-test.run ^TestTwo$", "-test.timeout=1m0s", "-test.v", "dir " + filepath.Join(root, "integration"), "bin " + filepath.Join(root, "bin")} {
		if !strings.Contains(two, want) {
			t.Errorf("TestTwo ran without %q: %s", want, two)
		}
	}
}
