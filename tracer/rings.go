//go:build linux

package tracer

import (
	"fmt"
	"math/bits"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/zombietrace/zombietrace/events"
)

var slotSize = int(unsafe.Sizeof(zombietraceRingSlot{}))

// ringSlots is how many slots each CPU's ring gets out of budget bytes: a
// power of two, at least 1024.
func ringSlots(budget, cpus int) int {
	n := budget / cpus / slotSize
	if n < 1024 {
		return 1024
	}
	return 1 << (bits.Len(uint(n)) - 1)
}

// sizeRings gives spec's per-CPU rings (any object built with transport.h)
// their share of budget bytes; it returns each ring's slots.
func sizeRings(spec *ebpf.CollectionSpec, budget, cpus int) (int, error) {
	slots := ringSlots(budget, cpus)
	spec.Maps[zombietraceMapRingPositions].MaxEntries = uint32(cpus)
	spec.Maps[zombietraceMapRingSlots].MaxEntries = uint32(cpus * slots)
	if err := spec.Variables[zombietraceVarRingSize].Set(uint64(slots)); err != nil {
		return 0, fmt.Errorf("setting ring_size: %w", err)
	}
	return slots, nil
}

// cpuRings reads the per-CPU event rings (struct ring_slot and ring_pos in
// bpf/zombietrace.h) through shared mappings of their two array maps.
type cpuRings struct {
	posMem, slotMem []byte
	rings           []cpuRing
	skipped         atomic.Uint64 // slots never published (given up on): counted as lost
	loss            pendingLoss   // taken from the rings, not delivered yet
}

type cpuRing struct {
	pos      *zombietraceRingPos
	slots    []zombietraceRingSlot
	mask     uint64
	next     uint64 // the next slot to read; tail is moved here after each pass
	lostSeen uint64 // pos.Lost already taken into loss
	lostAt   uint64 // a pos.LostTs taken before its count showed

	stalledAt    uint64 // a reserved slot that is not published yet
	stalledSince time.Time

	// drainedAt (boot ns) is the start of the last pass that found every
	// slot reserved in this ring published: any reservation since came
	// after it (holdBack). Slots before published were seen published and
	// stay so until read: a backlog is checked once, not every pass.
	drainedAt uint64
	published uint64

	// frees taken out of the ring, stamped, waiting for the event that
	// stamped them to be delivered first (Tracer.peekRing), from freeHead on.
	frees    []events.Event
	freeHead int
}

// stallLimit is how long a reserved slot may stay unpublished before the
// reader gives it up as lost. A program publishes within microseconds (it
// runs with preemption off); only a writer that cannot publish (a failed
// lookup that the verifier made us handle) leaves a slot for ever.
const stallLimit = 2 * time.Second

func mapRings(positions, slots *ebpf.Map, size int) (*cpuRings, error) {
	cpus := int(positions.MaxEntries())
	posMem, err := mmapArray(positions)
	if err != nil {
		return nil, err
	}
	slotMem, err := mmapArray(slots)
	if err != nil {
		unix.Munmap(posMem)
		return nil, err
	}
	r := &cpuRings{posMem: posMem, slotMem: slotMem, rings: make([]cpuRing, cpus)}
	all := unsafe.Slice((*zombietraceRingSlot)(unsafe.Pointer(&slotMem[0])), cpus*size)
	posSize := int(unsafe.Sizeof(zombietraceRingPos{}))
	for i := range r.rings {
		ring := &r.rings[i]
		ring.pos = (*zombietraceRingPos)(unsafe.Pointer(&posMem[i*posSize]))
		ring.slots = all[i*size : (i+1)*size]
		ring.mask = uint64(size - 1)
		ring.next = atomic.LoadUint64(&ring.pos.Tail)
		ring.drainedAt = bootNow() // before any program is attached
	}
	return r, nil
}

func mmapArray(m *ebpf.Map) ([]byte, error) {
	n := int(m.MaxEntries()) * int(m.ValueSize())
	page := unix.Getpagesize()
	n = (n + page - 1) / page * page
	b, err := unix.Mmap(m.FD(), 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", m, err)
	}
	return b, nil
}

// peek returns ring's next published slot, or nil.
func (ring *cpuRing) peek() *zombietraceRingSlot {
	s := &ring.slots[ring.next&ring.mask]
	if atomic.LoadUint64(&s.Seq) != ring.next+1 {
		return nil
	}
	return s
}

// holdBack lowers limit (boot ns) so that no ring's event is delivered
// before an older one another ring is still writing. A ring with a slot
// reserved but not published yet holds a record reserved after the ring was
// last found drained, so nothing later than that is safe to deliver, from
// any ring (less the reorder window: a fork is stamped with its start and an
// exec with its tick's clock, both before they reserve). A program
// publishes within microseconds, but one interrupted by a long softirq (a
// batch of RCU frees after a storm) or on a stalled vCPU may take longer
// than the reorder window, and its record came after newer ones: a reap
// read as seen before its child's notification was not matched. now must
// be read before the heads are.
func (r *cpuRings) holdBack(now, limit uint64) uint64 {
	for i := range r.rings {
		ring := &r.rings[i]
		if ring.publishedUpTo(atomic.LoadUint64(&ring.pos.Head)) {
			ring.drainedAt = now
		} else {
			limit = min(limit, ring.drainedAt-min(ring.drainedAt, uint64(reorderWindow)))
		}
	}
	return limit
}

// publishedUpTo says whether every slot from the next to read up to head is
// published.
func (ring *cpuRing) publishedUpTo(head uint64) bool {
	ring.published = max(ring.published, ring.next)
	for ; ring.published < head; ring.published++ {
		idx := ring.published
		if atomic.LoadUint64(&ring.slots[idx&ring.mask].Seq) != idx+1 {
			return false
		}
	}
	return true
}

// execSlots is how many slots an exec record takes (enum exec_layout).
const execSlots = uint64(zombietraceExecLayoutEXEC_SLOTS)

// execPath is the path an exec record at slot idx carries in the slots after
// it: each part NUL-terminated, the next read only when one is full. "" if a
// part was never published (a program that could not write it).
func (ring *cpuRing) execPath(idx uint64) string {
	var path string
	for j := idx + 1; j < idx+execSlots; j++ {
		s := &ring.slots[j&ring.mask]
		if atomic.LoadUint64(&s.Seq) != j+1 {
			return ""
		}
		part := unsafe.Slice((*byte)(unsafe.Pointer(&s.Ev)), unsafe.Sizeof(s.Ev))
		var full bool
		if path, full = appendPathPart(path, part); !full {
			break
		}
	}
	return path
}

// appendPathPart adds one NUL-terminated part of an exec's path; full says
// the part filled its room, so that the next one continues it.
func appendPathPart(path string, part []byte) (string, bool) {
	p := cString(part)
	return path + p, len(p) >= len(part)-1
}

// release hands every slot read so far back to the programs, and gives up on
// a slot that has stayed reserved but unpublished for stallLimit.
func (r *cpuRings) release(now time.Time) {
	for i := range r.rings {
		ring := &r.rings[i]
		if ring.next < atomic.LoadUint64(&ring.pos.Head) && ring.peek() == nil {
			if ring.stalledAt != ring.next || ring.stalledSince.IsZero() {
				ring.stalledAt, ring.stalledSince = ring.next, now
			} else if now.Sub(ring.stalledSince) >= stallLimit {
				ring.next++
				r.skipped.Add(1)
				r.loss.add(1, 0)
				ring.stalledSince = time.Time{}
			}
		}
		atomic.StoreUint64(&ring.pos.Tail, ring.next)
	}
}

// pendingLoss is lost events waiting for their place in the time order.
type pendingLoss struct {
	count uint64
	at    uint64 // boot ns of the earliest; 0: unknown, as soon as possible
}

func (l *pendingLoss) add(n, at uint64) {
	if l.count == 0 || at < l.at {
		l.at = at
	}
	l.count += n
}

// takeLosses moves what the programs counted as lost into r.loss. A program
// stores the time before the count, so the count is read first: a time
// without its count yet is kept for it.
func (r *cpuRings) takeLosses() {
	for i := range r.rings {
		ring := &r.rings[i]
		n := atomic.LoadUint64(&ring.pos.Lost)
		if at := atomic.SwapUint64(&ring.pos.LostTs, 0); at != 0 && ring.lostAt == 0 {
			ring.lostAt = at
		}
		if n > ring.lostSeen {
			r.loss.add(n-ring.lostSeen, ring.lostAt)
			ring.lostSeen, ring.lostAt = n, 0
		}
	}
}

// lost is every event the programs could not write, and slots given up on.
func (r *cpuRings) lost() uint64 {
	n := r.skipped.Load()
	for i := range r.rings {
		n += atomic.LoadUint64(&r.rings[i].pos.Lost)
	}
	return n
}

func (r *cpuRings) close() {
	if r.posMem != nil {
		unix.Munmap(r.posMem)
		unix.Munmap(r.slotMem)
		r.posMem, r.slotMem = nil, nil
	}
}

func (r *cpuRings) bytes() int { return len(r.posMem) + len(r.slotMem) }
