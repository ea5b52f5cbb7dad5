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

// Zombies lists the zombies that exist now (iter/task). Call it after Open:
// attached first, then listed, so a zombie is seen either way; the engine
// de-duplicates. Leaders whose threads still run (not yet waitable) are left out.
func (t *Tracer) Zombies() ([]events.Event, error) {
	it, err := link.AttachIter(link.IterOptions{Program: t.coll.Programs[zombietraceProgListZombies]})
	if err != nil {
		return nil, fmt.Errorf("attaching task iterator: %w", err)
	}
	defer it.Close()
	rd, err := it.Open()
	if err != nil {
		return nil, fmt.Errorf("opening task iterator: %w", err)
	}
	defer rd.Close()
	buf, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("reading task iterator: %w", err)
	}
	var out []events.Event
	for len(buf) >= eventSize {
		var ev events.Event
		if err := decode(buf[:eventSize], &ev); err != nil {
			return nil, err
		}
		buf = buf[eventSize:]
		if ev.Flags&events.FlagDelayedLeader != 0 {
			continue
		}
		out = append(out, ev)
	}
	return out, nil
}

// ListZombies loads only the task iterator and lists the zombies that exist
// now: the one-shot `zombietrace ps`, with no tracing attached.
func ListZombies() ([]events.Event, error) {
	if err := Preflight(false); err != nil {
		return nil, err
	}
	spec, err := loadZombietrace()
	if err != nil {
		return nil, fmt.Errorf("loading BPF object: %w", err)
	}
	for name := range spec.Programs {
		if name != zombietraceProgListZombies {
			delete(spec.Programs, name)
		}
	}
	spec.Maps[zombietraceMapEvents].MaxEntries = 4096
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		return nil, loadError(err)
	}
	t := &Tracer{coll: coll}
	defer t.Close()
	return t.Zombies()
}

// Subreapers lists the processes marked as child subreapers now.
func Subreapers() (map[uint32]bool, error) {
	if err := Preflight(false); err != nil {
		return nil, err
	}
	spec, err := loadZombietrace()
	if err != nil {
		return nil, fmt.Errorf("loading BPF object: %w", err)
	}
	for name := range spec.Programs {
		if name != zombietraceProgListSubreapers {
			delete(spec.Programs, name)
		}
	}
	spec.Maps[zombietraceMapEvents].MaxEntries = 4096
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		return nil, loadError(err)
	}
	defer coll.Close()
	it, err := link.AttachIter(link.IterOptions{Program: coll.Programs[zombietraceProgListSubreapers]})
	if err != nil {
		return nil, fmt.Errorf("attaching subreaper iterator: %w", err)
	}
	defer it.Close()
	rd, err := it.Open()
	if err != nil {
		return nil, fmt.Errorf("opening subreaper iterator: %w", err)
	}
	defer rd.Close()
	buf, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("reading subreaper iterator: %w", err)
	}
	out := make(map[uint32]bool)
	for ; len(buf) >= 4; buf = buf[4:] {
		out[binary.LittleEndian.Uint32(buf)] = true
	}
	return out, nil
}
