//go:build linux

package tracer

import (
	"fmt"
	"sync"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
)

// Floors are the benchmark's floor programs (bpf/floors.bpf.c): for each of
// the tracer's programs, what no version of it can avoid on its hook (being
// called, the helper calls its job needs, one record in the per-CPU rings),
// with rings sized as the tracer's and taken by a reader that polls as the
// tracer's does. A program's cost is read against its floor's.
type Floors struct {
	objs  zombietraceFloorsObjects
	rings *cpuRings
	stop  chan struct{}
	done  sync.WaitGroup
}

// OpenFloors loads the floor programs and starts their reader. The caller
// attaches the ones it measures, and closes them.
func OpenFloors() (*Floors, error) {
	if err := raiseMemlock(); err != nil {
		return nil, err
	}
	spec, err := loadZombietraceFloors()
	if err != nil {
		return nil, fmt.Errorf("loading the floors' BPF object: %w", err)
	}
	cpus, err := ebpf.PossibleCPU()
	if err != nil {
		return nil, fmt.Errorf("counting CPUs: %w", err)
	}
	slots, err := sizeRings(spec, defaultRingBytes, cpus)
	if err != nil {
		return nil, err
	}
	spec.Maps[zombietraceMapEvents].MaxEntries = bigRingBytes
	f := &Floors{stop: make(chan struct{})}
	if err := spec.LoadAndAssign(&f.objs, nil); err != nil {
		return nil, fmt.Errorf("loading the floor programs: %w", err)
	}
	if f.rings, err = mapRings(f.objs.RingPositions, f.objs.RingSlots, slots); err != nil {
		f.objs.Close()
		return nil, err
	}
	f.done.Add(1)
	go f.read(250 * time.Millisecond)
	return f, nil
}

// Programs are the floors keyed by the name of the tracer's program each one
// is the floor of.
func (f *Floors) Programs() map[string]*ebpf.Program {
	return map[string]*ebpf.Program{
		zombietraceProgHandleFork:   f.objs.FloorFork,
		zombietraceProgHandleExec:   f.objs.FloorExec,
		zombietraceProgHandleExit:   f.objs.FloorExit,
		zombietraceProgHandleSignal: f.objs.FloorSignal,
		zombietraceProgHandleWait:   f.objs.FloorWait,
		zombietraceProgHandleFree:   f.objs.FloorFree,
		zombietraceProgExitWait4:    f.objs.FloorExitWait4,
	}
}

// Attach attaches the floor of the tracer's program name on that program's
// hook.
func (f *Floors) Attach(name string) (link.Link, error) {
	prog := f.Programs()[name]
	h, ok := hookOf(name)
	if prog == nil || !ok {
		return nil, fmt.Errorf("no floor for %s", name)
	}
	return h.link(prog)
}

// read takes every published slot each poll, as the tracer's reader does
// (its cache traffic included), and hands the slots back.
func (f *Floors) read(every time.Duration) {
	defer f.done.Done()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-f.stop:
			return
		case now := <-tick.C:
			for i := range f.rings.rings {
				ring := &f.rings.rings[i]
				for ring.peek() != nil {
					ring.next++
				}
			}
			f.rings.release(now)
		}
	}
}

// Lost is how many records the floors could not write (a full ring).
func (f *Floors) Lost() uint64 { return f.rings.lost() }

// Close stops the reader and unloads the programs (detach them first).
func (f *Floors) Close() error {
	close(f.stop)
	f.done.Wait()
	f.rings.close()
	return f.objs.Close()
}
