//go:build linux

package tracer

import (
	"encoding/binary"
	"errors"
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

// loadIterator loads one program of the iterators' own object
// (bpf/iters.bpf.c): no map, no other program and little BTF, so that a
// one-shot command pays for little more than the kernel's BTF, which CO-RE
// and the iterator's attach point need.
func loadIterator(name string) (*ebpf.Program, error) {
	if err := Preflight(); err != nil {
		return nil, err
	}
	spec, err := loadZombietraceIters()
	if err != nil {
		return nil, fmt.Errorf("loading the iterators' BPF object: %w", err)
	}
	if err := raiseMemlock(); err != nil {
		return nil, err
	}
	ps, ok := spec.Programs[name]
	if !ok {
		return nil, programError(name, errors.New("not in the BPF object"))
	}
	p, err := ebpf.NewProgram(ps)
	if err != nil {
		return nil, programError(name, err)
	}
	return p, nil
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
	return listZombies(p, delayed)
}

func listZombies(p *ebpf.Program, delayed bool) ([]events.Event, error) {
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
	p, err := loadIterator(zombietraceItersProgListZombies)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	return listZombies(p, true)
}

// Subreapers lists the processes marked as child subreapers now.
func Subreapers() (map[uint32]bool, error) {
	p, err := loadIterator(zombietraceItersProgListSubreapers)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	buf, err := readIter(p, "subreaper")
	if err != nil {
		return nil, err
	}
	out := make(map[uint32]bool)
	for ; len(buf) >= 4; buf = buf[4:] {
		out[binary.LittleEndian.Uint32(buf)] = true
	}
	return out, nil
}
