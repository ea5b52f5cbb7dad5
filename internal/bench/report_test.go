//go:build linux

package bench

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/recording"
)

func TestStormRecordingReplays(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.zt")
	if err := writeStormRecording(path, 40000); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(path)
	defer f.Close()
	rd, err := recording.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	eng := events.NewEngine(events.ModeLight, nil)
	var ev events.Event
	n := 0
	for rd.Next(&ev) == nil {
		eng.Handle(&ev)
		n++
	}
	s := eng.Summary(0)
	if n != 40000 || len(s.Parents) != 1 || s.Parents[0].Reaped != 10000 || len(s.Zombies) != 0 {
		t.Fatalf("%d events, summary %+v", n, s.Parents)
	}
}
