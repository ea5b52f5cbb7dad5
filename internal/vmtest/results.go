package vmtest

import (
	"regexp"
	"strconv"
	"strings"
)

// guestRun is what a guest printed on its console, parsed.
type guestRun struct {
	Booted  bool
	Release string   // uname -r
	Tests   []string // the tests the guest listed (ZT-TESTS)
	Steps   []*step
	Notes   []string // ZT-NOTE lines
	Crash   string   // the first line of a kernel crash
	Done    bool     // the script ran to its end
}

// step is one framed command of the guest script.
type step struct {
	Name   string
	Output []string
	Ended  bool
	RC     int
	Secs   float64
}

func (g *guestRun) step(name string) *step {
	for _, s := range g.Steps {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// current is the step still running, if any.
func (g *guestRun) current() *step {
	if n := len(g.Steps); n > 0 && !g.Steps[n-1].Ended {
		return g.Steps[n-1]
	}
	return nil
}

var (
	stepEnd = regexp.MustCompile(`^ZT-END (\S+) rc=(\d+) cs=(-?\d+)`)
	// Kernel crashes (the guest's kernel messages share the console).
	kernelCrash = regexp.MustCompile(`(Kernel panic - not syncing|BUG: |Oops: |general protection fault|kernel BUG at)`)
)

// addLine feeds one console line to the parse; it returns the step that
// the line ended, if it did.
func (g *guestRun) addLine(line string) *step {
	switch {
	case strings.HasPrefix(line, "ZT-BOOTED"):
		g.Booted = true
		g.Release = strings.TrimSpace(strings.TrimPrefix(line, "ZT-BOOTED"))
		return nil
	case strings.HasPrefix(line, "ZT-BEGIN "):
		g.Steps = append(g.Steps, &step{Name: strings.TrimSpace(strings.TrimPrefix(line, "ZT-BEGIN "))})
		return nil
	case strings.HasPrefix(line, "ZT-END "):
		m := stepEnd.FindStringSubmatch(line)
		s := g.current()
		if m == nil || s == nil || s.Name != m[1] {
			return nil
		}
		s.Ended = true
		s.RC, _ = strconv.Atoi(m[2])
		cs, _ := strconv.Atoi(m[3])
		s.Secs = float64(cs) / 100
		return s
	case strings.HasPrefix(line, "ZT-TESTS"):
		g.Tests = strings.Fields(strings.TrimPrefix(line, "ZT-TESTS"))
		return nil
	case strings.HasPrefix(line, "ZT-NOTE "):
		g.Notes = append(g.Notes, strings.TrimPrefix(line, "ZT-NOTE "))
		return nil
	case line == "ZT-DONE":
		g.Done = true
		return nil
	}
	if g.Crash == "" && kernelCrash.MatchString(line) {
		g.Crash = strings.TrimSpace(line)
	}
	if s := g.current(); s != nil {
		s.Output = append(s.Output, line)
	}
	return nil
}

// parseConsole parses a whole console log.
func parseConsole(log string) *guestRun {
	g := &guestRun{}
	for _, line := range strings.Split(log, "\n") {
		g.addLine(strings.TrimRight(line, "\r"))
	}
	return g
}

// lastLine is the step's last non-empty output line: a command's error.
func (s *step) lastLine() string {
	for i := len(s.Output) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(s.Output[i]); l != "" {
			return l
		}
	}
	return ""
}

// testStatus is a Go test's outcome.
type testStatus string

const (
	testPass testStatus = "PASS"
	testFail testStatus = "FAIL"
	testSkip testStatus = "SKIP"
)

// testResult is one test or subtest of `go test -v` output.
type testResult struct {
	Name   string // TestX, TestX/sub
	Status testStatus
	Secs   float64
	Detail string // its first log message: why it failed or skipped
}

var (
	testEndLine   = regexp.MustCompile(`^\s*--- (PASS|FAIL|SKIP): (\S+) \(([0-9.]+)s\)`)
	testStartLine = regexp.MustCompile(`^=== (RUN|CONT|NAME|PAUSE)\s+(\S+)`)
	testLogLine   = regexp.MustCompile(`^\s+\S+\.go:\d+: (.*)`)
	testTimedOut  = regexp.MustCompile(`^panic: test timed out after (\S+)`)
	runningTest   = regexp.MustCompile(`^\s+(Test\S*) \(`)
)

// parseGoTest reads `go test -v` output. Tests still running when the
// binary timed out (its "running tests:" list) fail with that reason; so
// does the test running when the output stops (unfinished).
func parseGoTest(lines []string, unfinished string) []testResult {
	var results []testResult
	index := map[string]int{}
	firstLog := map[string]string{}
	set := func(r testResult) {
		if r.Detail == "" {
			r.Detail = firstLog[r.Name]
		}
		if i, ok := index[r.Name]; ok {
			results[i] = r
			return
		}
		index[r.Name] = len(results)
		results = append(results, r)
	}
	current, timeout := "", ""
	var started []string
	for _, line := range lines {
		if m := testStartLine.FindStringSubmatch(line); m != nil {
			current = m[2]
			if m[1] == "RUN" {
				started = append(started, current)
			}
			continue
		}
		if m := testEndLine.FindStringSubmatch(line); m != nil {
			secs, _ := strconv.ParseFloat(m[3], 64)
			set(testResult{Name: m[2], Status: testStatus(m[1]), Secs: secs})
			continue
		}
		if m := testTimedOut.FindStringSubmatch(line); m != nil {
			timeout = "timed out after " + m[1]
			continue
		}
		if timeout != "" {
			if m := runningTest.FindStringSubmatch(line); m != nil {
				set(testResult{Name: m[1], Status: testFail, Detail: timeout})
			}
			continue
		}
		if m := testLogLine.FindStringSubmatch(line); m != nil && current != "" {
			// The first message, but not the heading of a multi-line one
			// ("verifier log of handle_fork:"), unless there is no other.
			msg := strings.TrimSpace(m[1])
			if prev, ok := firstLog[current]; !ok || strings.HasSuffix(prev, ":") && !strings.HasSuffix(msg, ":") {
				firstLog[current] = msg
			}
		}
	}
	if unfinished != "" {
		// Every started test without a result was cut short.
		for _, name := range started {
			if _, ok := index[name]; !ok {
				set(testResult{Name: name, Status: testFail, Detail: unfinished})
			}
		}
	}
	return results
}
