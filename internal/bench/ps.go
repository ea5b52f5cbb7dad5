//go:build linux

package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"time"
)

// PsSpeed is `zombietrace ps` against the one-liner an SRE types first,
// `ps -eo stat,ppid,pid,cmd | grep ^Z`, with Zombies zombies on the host
// (one parent holding them all, the incident's shape).
type PsSpeed struct {
	Zombies            int     `json:"zombies"`
	ZombietraceSeconds float64 `json:"zombietrace_seconds"` // median of the runs
	PsSeconds          float64 `json:"ps_seconds"`
	// Ratio is zombietrace's time over ps's, the median of alternating
	// pairs: the goal is <= 1, not slower at either size.
	Ratio float64 `json:"ratio"`
	Pairs int     `json:"pairs"`
}

// psPairs: alternating pairs per size (each run is a fraction of a second).
const psPairs = 7

// psSpeed times both listings at each size in sizes.
func (b *bencher) psSpeed(ctx context.Context, res *Result, sizes []int) error {
	for _, n := range sizes {
		s, err := b.psAt(ctx, n)
		if err != nil {
			return err
		}
		res.Ps = append(res.Ps, s)
		b.logf("ps at %d zombies: zombietrace %.3f s, ps|grep %.3f s: ratio %.2f", n, s.ZombietraceSeconds, s.PsSeconds, s.Ratio)
	}
	return nil
}

func (b *bencher) psAt(ctx context.Context, n int) (PsSpeed, error) {
	holder := exec.CommandContext(ctx, b.storm, "zombies", fmt.Sprint(n))
	stdin, err := holder.StdinPipe()
	if err != nil {
		return PsSpeed{}, err
	}
	out, err := holder.StdoutPipe()
	if err != nil {
		return PsSpeed{}, err
	}
	if err := holder.Start(); err != nil {
		return PsSpeed{}, fmt.Errorf("starting %d zombies: %w", n, err)
	}
	defer func() {
		stdin.Close() // it exits; its zombies go to the reaper with it
		holder.Wait()
	}()
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
		return PsSpeed{}, fmt.Errorf("%d zombies: the holder said %q: %v", n, line, err)
	}
	timed := func(name string, args ...string) (float64, error) {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Stdout = io.Discard
		start := time.Now()
		if err := cmd.Run(); err != nil {
			return 0, fmt.Errorf("%s %v: %w", name, args, err)
		}
		return time.Since(start).Seconds(), nil
	}
	var zt, ps, ratios []float64
	for i := 0; i < psPairs; i++ {
		a, err := timed(b.cfg.Binary, "ps")
		if err != nil {
			return PsSpeed{}, err
		}
		p, err := timed("sh", "-c", "ps -eo stat,ppid,pid,cmd | grep ^Z")
		if err != nil {
			return PsSpeed{}, err
		}
		zt, ps, ratios = append(zt, a), append(ps, p), append(ratios, a/p)
	}
	med := func(v []float64) float64 { m, _, _ := medianCI(v); return m }
	return PsSpeed{Zombies: n, ZombietraceSeconds: med(zt), PsSeconds: med(ps), Ratio: med(ratios), Pairs: psPairs}, nil
}
