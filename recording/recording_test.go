package recording

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/zombietrace/zombietrace/events"
)

func comm(s string) (c [16]byte) { copy(c[:], s); return }

// sampleEvents is a lifecycle mix with every field kind in use.
func sampleEvents(n int) []events.Event {
	rng := rand.New(rand.NewSource(1))
	var out []events.Event
	t := uint64(5_000_000_000)
	for i := 0; i < n; i++ {
		pid := uint32(1000 + i)
		start := t
		t += uint64(rng.Intn(100000))
		out = append(out,
			events.Event{Kind: events.KindFork, Time: t, PID: pid, TID: pid, Start: start, PeerPID: 10, PeerStart: 7, NSPID: pid, Options: 17, Code: 10, Comm: comm("storm")},
			events.Event{Kind: events.KindExec, Time: t + 1, PID: pid, TID: pid, Start: start, Comm: comm("python3"), Filename: "/usr/bin/python3", Code: int32(pid)},
			events.Event{Kind: events.KindExit, Time: t + 2, PID: pid, TID: pid + 1, Start: start, PeerPID: 10, PeerStart: 7, NSPID: 3, Options: 17, Status: 9, Flags: events.FlagPtraced, Comm: comm("python3")},
			events.Event{Kind: events.KindNotify, Time: t + 3, PID: pid, TID: pid, Start: start, PeerPID: 10, PeerStart: 7, NSPID: pid, Code: 2, Status: 9, Flags: events.FlagNotifySelf | events.FlagWaiters, Waiters: [2]uint32{11, uint32(i % 3)}, Comm: comm("python3")},
			events.Event{Kind: events.KindWait, Time: t + 4, PID: 10, TID: 11, Start: 7, PeerPID: 0, Options: 0x01000005, Code: -1, Syscall: events.WaitWaitid, Target: events.TargetPGID, Comm: comm("parent")},
			events.Event{Kind: events.KindWaitReturn, Time: t + 5, PID: 10, TID: 11, Start: 7, NSPID: pid, Status: -7, Syscall: events.WaitWait4, Flags: events.FlagUnreadable, Comm: comm("parent")},
			events.Event{Kind: events.KindFree, Time: t + 6, PID: pid, TID: pid, Start: start},
		)
		if i%97 == 0 {
			out = append(out, events.Event{Kind: events.KindZombie, Time: t - 1_000_000_000, PID: pid + 100000, TID: pid + 100000, Start: 1, PeerPID: 1, PeerStart: 1, NSPID: 0, Comm: comm("old")},
				events.Event{Kind: events.KindLost, Time: t + 7, Count: 3})
		}
	}
	return out
}

func write(t *testing.T, path string, evs []events.Event, sum *StoredSummary) *Writer {
	t.Helper()
	w, err := Create(path, Header{Host: "h", Kernel: "6.18", StartNS: 5_000_000_000, Mode: "light"},
		[]Proc{{PID: 1, Comm: "init", State: "S"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range evs {
		if err := w.Add(&evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(sum); err != nil {
		t.Fatal(err)
	}
	return w
}

func readAll(t *testing.T, path string) (*Reader, []events.Event, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := NewReader(f)
	if err != nil {
		return nil, nil, err
	}
	var out []events.Event
	for {
		var ev events.Event
		err := rd.Next(&ev)
		if err == io.EOF {
			return rd, out, nil
		}
		if err != nil {
			return rd, out, err
		}
		out = append(out, ev)
	}
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.zt")
	evs := sampleEvents(3000) // several frames
	w := write(t, path, evs, &StoredSummary{EndNS: 9, Events: uint64(len(evs))})
	rd, got, err := readAll(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if !rd.Clean || rd.Summary == nil || rd.Summary.EndNS != 9 || rd.Header.Host != "h" || len(rd.Procs) != 1 {
		t.Fatalf("reader state: clean=%v summary=%+v header=%+v", rd.Clean, rd.Summary, rd.Header)
	}
	if len(got) != len(evs) {
		t.Fatalf("%d events back, wrote %d", len(got), len(evs))
	}
	for i := range evs {
		if !reflect.DeepEqual(got[i], evs[i]) {
			t.Fatalf("event %d:\n got %+v\nwant %+v", i, got[i], evs[i])
		}
	}
	t.Logf("%d events in %d bytes: %.1f B/event", len(evs), w.Size(), float64(w.Size())/float64(len(evs)))
}

// A storm's events (fork, exit, notify, wait, free) must stay under 40 B each.
func TestCompactness(t *testing.T) {
	var evs []events.Event
	tm := uint64(1e9)
	for i := 0; i < 10000; i++ {
		pid := uint32(20000 + i)
		st := tm
		tm += 60000
		evs = append(evs,
			events.Event{Kind: events.KindFork, Time: tm, PID: pid, TID: pid, Start: st, PeerPID: 500, PeerStart: 1e8, NSPID: pid, Options: 17, Code: 500, Comm: comm("storm")},
			events.Event{Kind: events.KindExit, Time: tm + 20000, PID: pid, TID: pid, Start: st, PeerPID: 500, PeerStart: 1e8, NSPID: pid, Options: 17, Comm: comm("storm")},
			events.Event{Kind: events.KindNotify, Time: tm + 20100, PID: pid, TID: pid, Start: st, PeerPID: 500, PeerStart: 1e8, NSPID: pid, Code: 1, Flags: events.FlagNotifySelf, Comm: comm("storm")},
			events.Event{Kind: events.KindWait, Time: tm + 20200, PID: 500, TID: 500, Start: 1e8, PeerPID: pid, Target: events.TargetPID, Syscall: events.WaitWait4, Code: int32(pid), Comm: comm("storm")},
			events.Event{Kind: events.KindFree, Time: tm + 40000, PID: pid, TID: pid, Start: st},
		)
	}
	path := filepath.Join(t.TempDir(), "c.zt")
	w := write(t, path, evs, nil)
	per := float64(w.Size()) / float64(len(evs))
	t.Logf("storm: %.1f bytes/event", per)
	if per > 40 {
		t.Errorf("%.1f bytes/event, want <= 40", per)
	}
}

// A file cut anywhere gives the events of every whole frame before the cut
// and an error naming the offset; never a panic.
func TestTruncated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.zt")
	evs := sampleEvents(3000)
	write(t, path, evs, nil)
	full, _ := os.ReadFile(path)
	for _, cut := range []int{len(full) - 1, len(full) / 2, len(full) / 3, 100} {
		os.WriteFile(path, full[:cut], 0o644)
		rd, got, err := readAll(t, path)
		if rd == nil {
			if cut > 200 {
				t.Fatalf("cut at %d: header unreadable: %v", cut, err)
			}
			continue
		}
		var oe *OffsetError
		if cut < len(full)-1 && (!errors.As(err, &oe) || !errors.Is(err, ErrTruncated)) {
			t.Errorf("cut at %d: err %v, want a truncation with an offset", cut, err)
		}
		for i := range got {
			if !reflect.DeepEqual(got[i], evs[i]) {
				t.Fatalf("cut at %d: event %d differs", cut, i)
			}
		}
	}
}

func TestCorruptedFrame(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.zt")
	write(t, path, sampleEvents(3000), nil)
	full, _ := os.ReadFile(path)
	full[len(full)/2] ^= 0xff
	os.WriteFile(path, full, 0o644)
	_, got, err := readAll(t, path)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err %v, want a corrupted frame", err)
	}
	if len(got) == 0 {
		t.Error("nothing read before the damage")
	}
}

func TestNotARecording(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty": nil, "text": []byte("hello world, this is not it"),
		"newer": append(append([]byte{}, Magic[:]...), 9, 0, 0, 0, 0, 0),
	} {
		_, err := NewReader(bytes.NewReader(b))
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if name == "newer" && !errors.Is(err, ErrNewerVersion) {
			t.Errorf("newer: %v", err)
		}
		if name != "newer" && !errors.Is(err, ErrNotRecording) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestMaxSizeStopsCleanly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.zt")
	w, err := Create(path, Header{StartNS: 5e9}, nil, 96<<10)
	if err != nil {
		t.Fatal(err)
	}
	evs := sampleEvents(5000)
	added := 0
	for i := range evs {
		if err := w.Add(&evs[i]); err != nil {
			if !errors.Is(err, ErrFull) {
				t.Fatal(err)
			}
			break
		}
		added++
	}
	if err := w.Close(&StoredSummary{Full: true}); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Size() > 96<<10 {
		t.Errorf("file of %d bytes for a 64 KiB limit", st.Size())
	}
	rd, got, err := readAll(t, path)
	if err != nil || !rd.Clean || rd.Summary == nil || !rd.Summary.Full {
		t.Fatalf("err %v clean %v summary %+v", err, rd.Clean, rd.Summary)
	}
	if len(got) == 0 || len(got) > added {
		t.Errorf("%d events read, %d added", len(got), added)
	}
}

func FuzzReader(f *testing.F) {
	path := filepath.Join(f.TempDir(), "seed.zt")
	w, _ := Create(path, Header{StartNS: 5e9}, []Proc{{PID: 1}}, 0)
	for _, ev := range sampleEvents(20) {
		ev := ev
		w.Add(&ev)
	}
	w.Close(&StoredSummary{})
	seed, _ := os.ReadFile(path)
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Add([]byte("ZOMBIETR\x01\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rd, err := NewReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		var ev events.Event
		for i := 0; i < 100000; i++ {
			if err := rd.Next(&ev); err != nil {
				return
			}
		}
	})
}

// FuzzDecoder feeds the event decoder frame payloads directly: FuzzReader's
// mutations almost never pass a frame's checksum, so they rarely reach it.
func FuzzDecoder(f *testing.F) {
	enc := newEncoder()
	enc.reset(5e9)
	evs := sampleEvents(30)
	for i := range evs {
		enc.add(&evs[i])
	}
	f.Add(enc.buf)
	f.Add(enc.buf[:len(enc.buf)/3])
	f.Fuzz(func(t *testing.T, payload []byte) {
		dec := newDecoder()
		if dec.reset(payload) != nil {
			return
		}
		var ev events.Event
		for n := 0; dec.more(); n++ {
			if n >= len(payload) {
				t.Fatalf("%d events from %d bytes: the decoder does not advance", n, len(payload))
			}
			if dec.next(&ev) != nil {
				return
			}
		}
	})
}

// writeWithProcs writes evs after a process table of n entries.
func writeWithProcs(t *testing.T, path string, n int, evs []events.Event) {
	t.Helper()
	procs := make([]Proc, n)
	for i := range procs {
		procs[i] = Proc{PID: uint32(100 + i), PPID: 1, StartNS: uint64(i) * 1e7, State: "S", Comm: "worker",
			Cmdline: "/usr/bin/worker --serve", Cgroup: "/system.slice/worker.service"}
	}
	w, err := Create(path, Header{Host: "h", Kernel: "6.18", StartNS: 5_000_000_000, Mode: "light"}, procs, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range evs {
		if err := w.Add(&evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(&StoredSummary{EndNS: 7e9}); err != nil {
		t.Fatal(err)
	}
}

// Damage inside the process table (about half of a short recording) loses
// the table only: the reader goes on from the next whole frame and every
// event after it is read, whether the damage left the table's length
// intact or not. With no whole frame after the damage, nothing is usable.
func TestDamagedProcessTable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.zt")
	evs := sampleEvents(200)
	writeWithProcs(t, path, 150, evs)
	full, _ := os.ReadFile(path)
	hdrLen := 14 + int(binary.LittleEndian.Uint32(full[10:])) + 4 // where the process table frame begins
	procsLen := frameHeaderSize + int(binary.LittleEndian.Uint32(full[hdrLen:]))
	if procsLen < len(full)/3 {
		t.Fatalf("process table of %d bytes in %d: not a short recording", procsLen, len(full))
	}
	if len(full)/3 >= hdrLen+procsLen {
		t.Fatalf("a third of the file, byte %d, is past the process table", len(full)/3)
	}
	for name, at := range map[string]int{"payload": len(full) / 3, "length": hdrLen + 1, "checksum": hdrLen + 5} {
		b := append([]byte{}, full...)
		copy(b[at:], []byte{0xde, 0xad, 0xbe, 0xef})
		rd, err := NewReader(bytes.NewReader(b))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if rd.ProcsLost == nil || rd.ProcsLost.Offset != int64(hdrLen) || rd.ProcsLost.Resume != int64(hdrLen+procsLen) ||
			!errors.Is(rd.ProcsLost, ErrCorrupt) && !errors.Is(rd.ProcsLost, ErrTruncated) {
			t.Errorf("%s: ProcsLost %+v, want bytes %d to %d", name, rd.ProcsLost, hdrLen, hdrLen+procsLen)
		}
		if len(rd.Procs) != 0 {
			t.Errorf("%s: %d processes from a damaged table", name, len(rd.Procs))
		}
		var got []events.Event
		for {
			var ev events.Event
			err := rd.Next(&ev)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: after %d events: %v", name, len(got), err)
			}
			got = append(got, ev)
		}
		if !reflect.DeepEqual(got, evs) || !rd.Clean || rd.Summary == nil || rd.Summary.EndNS != 7e9 {
			t.Errorf("%s: %d events of %d, clean %v, summary %+v", name, len(got), len(evs), rd.Clean, rd.Summary)
		}
	}
	// Only the header and a damaged table: nothing to go on with.
	os.Remove(path)
	writeWithProcs(t, path, 150, nil)
	short, _ := os.ReadFile(path)
	short = short[:hdrLen+procsLen] // no summary or end frame either
	short[len(short)/2] ^= 0xff
	if _, err := NewReader(bytes.NewReader(short)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a damaged table and nothing after it: %v, want a corrupted frame", err)
	}
}
