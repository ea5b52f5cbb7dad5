package recording

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/zombietrace/zombietrace/events"
)

func TestNamesFromTheProcessTable(t *testing.T) {
	names := Names([]Proc{{PID: 1, StartNS: 0, Comm: "systemd"}, {PID: 22053, StartNS: 812_340_000_000, Comm: "leaky"}})
	for _, c := range []struct {
		k    events.Key
		want string
	}{
		{events.Key{PID: 1, Start: 3_000_000}, "systemd"},         // same tick
		{events.Key{PID: 22053, Start: 812_345_678_901}, "leaky"}, // exact ns, table to the tick
		{events.Key{PID: 22053, Start: 900_000_000_000}, ""},      // a reuse of the pid
		{events.Key{PID: 4242, Start: 812_345_678_901}, ""},       // not in the table
	} {
		if got := names(c.k); got != c.want {
			t.Errorf("%+v: %q, want %q", c.k, got, c.want)
		}
	}
}

// A followed recording keeps whose waits were seen from the start in its
// header; a host-wide one has no follow field.
func TestFollowInTheHeader(t *testing.T) {
	for _, f := range []*Follow{nil, {PIDs: []uint32{1, 22053, 22060}, AtNS: 5_000_000_123}} {
		path := filepath.Join(t.TempDir(), "r.ztr")
		w, err := Create(path, Header{StartNS: 5_000_000_000, Mode: "light", Follow: f}, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(nil); err != nil {
			t.Fatal(err)
		}
		file, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		rd, err := NewReader(file)
		file.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rd.Header.Follow, f) {
			t.Errorf("follow read back as %+v, want %+v", rd.Header.Follow, f)
		}
	}
}
