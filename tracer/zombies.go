//go:build linux

package tracer

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"

	"github.com/zombietrace/zombietrace/events"
)

// readIter runs a task iterator program and returns what it wrote.
func readIter(prog *ebpf.Program, what string) ([]byte, error) {
	it, err := link.AttachIter(link.IterOptions{Program: prog})
	if err != nil {
		return nil, fmt.Errorf("attaching %s iterator: %w", what, err)
	}
	defer it.Close()
	rd, err := it.Open()
	if err != nil {
		return nil, fmt.Errorf("opening %s iterator: %w", what, err)
	}
	defer rd.Close()
	buf, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("reading %s iterator: %w", what, err)
	}
	return buf, nil
}

// loadOnly loads one program of the object (and the maps, the ring buffer
// shrunk): the one-shot iterators need nothing else attached.
func loadOnly(name string) (*Tracer, error) {
	if err := Preflight(); err != nil {
		return nil, err
	}
	spec, err := loadZombietrace()
	if err != nil {
		return nil, fmt.Errorf("loading BPF object: %w", err)
	}
	if err := raiseMemlock(); err != nil {
		return nil, err
	}
	// The iterators use no map: the smallest ones load fastest.
	spec.Maps[zombietraceMapEvents].MaxEntries = bigRingBytes
	spec.Maps[zombietraceMapFollow].MaxEntries = 1
	t := &Tracer{progs: map[string]*ebpf.Program{}}
	if t.maps, err = loadMaps(spec); err != nil {
		return nil, err
	}
	p, err := t.loadProgram(spec, name, nil)
	if err != nil {
		t.Close()
		return nil, err
	}
	t.progs[name] = p
	return t, nil
}

// Zombies lists the zombies that exist now (iter/task). Call it after Open:
// attached first, then listed, so a zombie is seen either way; the engine
// de-duplicates. Leaders whose threads still run (not yet waitable) are left out.
func (t *Tracer) Zombies() ([]events.Event, error) {
	return t.zombies(false)
}

// zombies lists them; leaders whose threads still run are kept (with
// FlagDelayedLeader) when delayed is set.
func (t *Tracer) zombies(delayed bool) ([]events.Event, error) {
	p := t.progs[zombietraceProgListZombies]
	if p == nil {
		return nil, nil // it did not load: Open's warnings say so
	}
	buf, err := readIter(p, "task")
	if err != nil {
		return nil, err
	}
	var out []events.Event
	for len(buf) >= eventSize {
		var ev events.Event
		if err := decode(buf[:eventSize], &ev); err != nil {
			return nil, err
		}
		buf = buf[eventSize:]
		if ev.Flags&events.FlagDelayedLeader != 0 && !delayed {
			continue
		}
		out = append(out, ev)
	}
	return out, nil
}

// ListAllZombies loads only the task iterator and lists the zombies that
// exist now, leaders whose threads still run included (FlagDelayedLeader):
// the one-shot `zombietrace ps`, with no tracing attached.
func ListAllZombies() ([]events.Event, error) {
	t, err := loadOnly(zombietraceProgListZombies)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	return t.zombies(true)
}

// Subreapers lists the processes marked as child subreapers now.
func Subreapers() (map[uint32]bool, error) {
	t, err := loadOnly(zombietraceProgListSubreapers)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	buf, err := readIter(t.progs[zombietraceProgListSubreapers], "subreaper")
	if err != nil {
		return nil, err
	}
	out := make(map[uint32]bool)
	for ; len(buf) >= 4; buf = buf[4:] {
		out[binary.LittleEndian.Uint32(buf)] = true
	}
	return out, nil
}
