//go:build linux

package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/zombietrace/zombietrace/internal/selfstats"
)

// Window timing: a toggle is followed by settle (longer than the tracer's
// 250 ms poll: it drains what the previous state left, and the caches of the
// new state warm up), then one measured window.
const (
	windowSettle = 400 * time.Millisecond
	windowLength = 400 * time.Millisecond
	// Window pairs are added (up to Config.WindowsMax) while the ratio's 95 %
	// CI is wider than this: ±1.5 % resolves the 2 % the goals are about. In
	// a noisy hour 60 pairs spread 0.78-1.33 and left a CI 4.4 % wide. The
	// rule looks at the width only, never at where the ratio lies.
	windowCIWidth = 0.03
)

// liveWork is the workload's live mode: a storm (or a getppid loop) until
// stdin closes, answering each line with the lifecycles (calls) so far.
type liveWork struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

type sample struct {
	Count uint64 `json:"count"`
	NS    uint64 `json:"ns"`
}

func (b *bencher) startLive(ctx context.Context, args ...string) (*liveWork, error) {
	cmd := exec.CommandContext(ctx, b.storm, append([]string{"live"}, args...)...)
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the live workload: %w", err)
	}
	return &liveWork{cmd: cmd, in: in, out: bufio.NewReader(out)}, nil
}

func (s *liveWork) sample() (sample, error) {
	var v sample
	if _, err := io.WriteString(s.in, "\n"); err != nil {
		return v, fmt.Errorf("live workload: %w", err)
	}
	line, err := s.out.ReadBytes('\n')
	if err != nil {
		return v, fmt.Errorf("live workload: %w", err)
	}
	return v, json.Unmarshal(line, &v)
}

// stop ends the workload: its workers finish their lifecycle and are reaped.
func (s *liveWork) stop() error {
	s.in.Close()
	return s.cmd.Wait()
}

// rate measures the lifecycles (calls) per second of one window.
func (s *liveWork) rate() (float64, error) {
	a, err := s.sample()
	if err != nil {
		return 0, err
	}
	time.Sleep(windowLength)
	z, err := s.sample()
	if err != nil {
		return 0, err
	}
	return float64(z.Count-a.Count) / (float64(z.NS-a.NS) / 1e9), nil
}

// setState detaches (SIGUSR1) or attaches (SIGUSR2) the tracer's programs
// and waits for its acknowledgement in the ready file.
func (t *tracerProc) setState(attached bool) error {
	sig, want := syscall.SIGUSR1, "detached"
	if attached {
		sig, want = syscall.SIGUSR2, "attached"
	}
	if err := t.cmd.Process.Signal(sig); err != nil {
		return err
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if b, err := os.ReadFile(t.ready); err == nil && strings.HasSuffix(strings.TrimSpace(string(b)), want) {
			return nil
		}
	}
	return fmt.Errorf("the tracer did not acknowledge %s in 10 s", want)
}

// windows runs one continuous live workload (work: its arguments, a storm or
// a getppid loop) under one tracer (`trace --json -o /dev/null` or `record
// -o FILE`, as a user runs it) whose programs are detached and attached in
// alternate windows, in ABBA order: traced/untraced pairs under a second
// apart, instead of runs seconds apart with a tracer started in between,
// which a shared host's drift spoils. The
// tracer's CPU falls in the attached windows: it drains every 250 ms, within
// the settle time of the next window. It takes at least minPairs pairs, and
// more, an even number (both orders alike), while the CI is wider than
// windowCIWidth, up to maxPairs. count is the workload's lifecycles (calls)
// in all.
func (b *bencher) windows(ctx context.Context, name string, minPairs, maxPairs int, work []string, command string, args ...string) (ratios []float64, count uint64, st selfstats.Stats, err error) {
	t, err := b.startSession(ctx, name, command, append([]string{"--pause-signals"}, args...)...)
	if err != nil {
		return nil, 0, st, err
	}
	load, err := b.startLive(ctx, work...)
	if err != nil {
		t.stop()
		return nil, 0, st, err
	}
	ratios, werr := func() ([]float64, error) {
		measure := func(attached bool) (float64, error) {
			if err := t.setState(attached); err != nil {
				return 0, err
			}
			time.Sleep(windowSettle)
			return load.rate()
		}
		for i := 0; morePairs(ratios, minPairs, maxPairs); i++ {
			order := []bool{false, true}
			if i%2 == 1 {
				order = []bool{true, false}
			}
			var rates [2]float64
			for _, attached := range order {
				r, err := measure(attached)
				if err != nil {
					return nil, err
				}
				if attached {
					rates[1] = r
				} else {
					rates[0] = r
				}
			}
			ratios = append(ratios, rates[1]/rates[0])
		}
		return ratios, nil
	}()
	if last, err := load.sample(); err == nil {
		count = last.Count
	}
	serr := load.stop()
	st, _, terr := t.stop()
	for _, e := range []error{werr, serr, terr} {
		if e != nil {
			return nil, 0, st, e
		}
	}
	return ratios, count, st, nil
}

// morePairs says whether a window phase with these pair ratios goes on.
func morePairs(ratios []float64, minPairs, maxPairs int) bool {
	n := len(ratios)
	if n < minPairs {
		return true
	}
	return n < maxPairs && (n%2 == 1 || ciWidth(ratios) > windowCIWidth)
}
