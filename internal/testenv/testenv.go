// Package testenv says once what the tests need of the machine. A test
// that cannot get it skips, except where the suite must run whole: .ci/run
// sets RequireAll, and then a missing need fails the test (CI must never
// skip silently).
package testenv

import (
	"os"
	"testing"
)

// RequireAll is the project's variable: "1" turns every skip for a missing
// need into a failure. .ci/run sets it (not the generic CI, which other
// tools set too).
const RequireAll = "ZOMBIETRACE_REQUIRE_ALL"

// Need skips t, or fails it under RequireAll, when ok is false; why says
// what is missing and how to get it.
func Need(t testing.TB, ok bool, why string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv(RequireAll) == "1" {
		t.Fatalf("%s (%s=1: the suite must run whole)", why, RequireAll)
	}
	t.Skip(why)
}

// RequireBPF: the test loads BPF programs, which needs root.
func RequireBPF(t testing.TB) {
	t.Helper()
	Need(t, os.Geteuid() == 0, "needs root: loads BPF programs")
}
