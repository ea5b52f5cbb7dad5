//go:build linux

package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/recording"
)

// writeStormRecording writes a recording of n events shaped like a fork
// storm (fork, notify, wait, free per lifecycle; a late reaper now and then).
func writeStormRecording(path string, n int) error {
	const start = uint64(1_000_000_000)
	w, err := recording.Create(path, recording.Header{Host: "synthetic", StartNS: start, Mode: "light", Tool: "bench"},
		[]recording.Proc{{PID: 500, PPID: 1, Comm: "storm", State: "S"}}, 0)
	if err != nil {
		return err
	}
	var comm [16]byte
	copy(comm[:], "storm")
	parent := events.Key{PID: 500, Start: 100}
	t := start
	pid := uint32(1000)
	var ev events.Event
	for i := 0; i < n; i += 4 {
		pid++
		if pid > 4_000_000 {
			pid = 1000
		}
		st := t
		t += 30_000
		for _, e := range []events.Event{
			{Kind: events.KindFork, Time: t, PID: pid, TID: pid, Start: st, PeerPID: parent.PID, PeerStart: parent.Start, NSPID: pid, Options: events.SIGCHLD, Code: 500, Comm: comm},
			{Kind: events.KindNotify, Time: t + 20_000, PID: pid, TID: pid, Start: st, PeerPID: parent.PID, PeerStart: parent.Start, NSPID: pid, Code: events.CLDExited, Flags: events.FlagNotifySelf, Comm: comm},
			{Kind: events.KindWait, Time: t + 20_000 + uint64(i%1000)*1000, PID: parent.PID, TID: parent.PID, Start: parent.Start, PeerPID: pid, Target: events.TargetPID, Syscall: events.WaitWait4, Code: int32(pid), Comm: comm},
			{Kind: events.KindFree, Time: t + 2_000_000, PID: pid, TID: pid, Start: st},
		} {
			ev = e
			if err := w.Add(&ev); err != nil {
				w.Close(nil)
				return err
			}
		}
	}
	return w.Close(nil)
}

// reportSpeed times `zombietrace report` over an n-event recording on one
// core (taskset -c 0, GOMAXPROCS=1).
func (b *bencher) reportSpeed(ctx context.Context, res *Result, n int) error {
	path := filepath.Join(b.dir, "speed.zt")
	if err := writeStormRecording(path, n); err != nil {
		return err
	}
	defer os.Remove(path)
	st, _ := os.Stat(path)
	argv := []string{b.cfg.Binary, "report", "--json", path}
	if ts, err := exec.LookPath("taskset"); err == nil {
		argv = append([]string{ts, "-c", "0"}, argv...)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	began := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("report over %d events: %v: %s", n, err, out)
	}
	d := time.Since(began)
	res.ReportEvents = uint64(n)
	res.ReportSeconds = d.Seconds()
	res.ReportEventsPerSec = float64(n) / d.Seconds()
	res.RecordBytesPerEvent = float64(st.Size()) / float64(n)
	b.logf("report: %d events (%.1f B/event on disk) in %.2fs on one core: %.2fM events/s",
		n, res.RecordBytesPerEvent, d.Seconds(), res.ReportEventsPerSec/1e6)
	return nil
}
