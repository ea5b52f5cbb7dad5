package testenv

import (
	"fmt"
	"runtime"
	"testing"
)

// recorder stands for a test and notes how Need ended it: like a test's
// Skip and Fatalf, its own end the goroutine.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}

func (r *recorder) Skip(args ...any) {
	r.skipped, r.msg = true, fmt.Sprint(args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestNeed(t *testing.T) {
	for _, c := range []struct {
		requireAll    string
		ok            bool
		skip, failure bool
	}{
		{"", true, false, false},
		{"1", true, false, false},
		{"", false, true, false},
		{"0", false, true, false},
		{"1", false, false, true},
	} {
		t.Setenv(RequireAll, c.requireAll)
		r := &recorder{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			Need(r, c.ok, "needs a thing")
		}()
		<-done
		if r.skipped != c.skip || r.failed != c.failure {
			t.Errorf("%s=%q, ok=%v: skipped %v, failed %v (%q); want skipped %v, failed %v",
				RequireAll, c.requireAll, c.ok, r.skipped, r.failed, r.msg, c.skip, c.failure)
		}
	}
}
