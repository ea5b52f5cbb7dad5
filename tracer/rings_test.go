//go:build linux

package tracer

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/zombietrace/zombietrace/events"
)

// heapRing is a ring in ordinary memory that a test writes as the programs do.
func heapRing(size int) cpuRing {
	return cpuRing{pos: new(zombietraceRingPos), slots: make([]zombietraceRingSlot, size), mask: uint64(size - 1)}
}

// reserve takes the next slot as a program does; publish makes it readable.
func (r *cpuRing) reserve(ts uint64, pid uint32) reserved {
	h := r.pos.Head
	s := &r.slots[h&r.mask]
	s.Ev = zombietraceEvent{Ts: ts, Pid: pid, Kind: uint32(zombietraceEventKindEVENT_WAIT)}
	r.pos.Head = h + 1
	return reserved{s, h + 1}
}

type reserved struct {
	slot *zombietraceRingSlot
	seq  uint64
}

func (r reserved) publish() { r.slot.Seq = r.seq }

func (r *cpuRing) put(ts uint64, pid uint32) { r.reserve(ts, pid).publish() }

func testTracer(rings ...cpuRing) *Tracer {
	return &Tracer{rings: &cpuRings{rings: rings}, cand: make([]*zombietraceRingSlot, len(rings))}
}

func pidsDelivered(t *testing.T, tr *Tracer, limit uint64) []uint32 {
	t.Helper()
	var got []uint32
	if _, err := tr.deliver(limit, func(ev *events.Event) { got = append(got, ev.PID) }, &events.Event{}); err != nil {
		t.Fatal(err)
	}
	return got
}

func equal(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The CPUs' rings and the ring buffer's records come out merged by time, up
// to the limit; a reserved slot that is not published yet holds back its
// ring, and nothing is handed back to the programs before it is read.
func TestDeliverMergesByTime(t *testing.T) {
	tr := testTracer(heapRing(8), heapRing(8))
	r0, r1 := &tr.rings.rings[0], &tr.rings.rings[1]
	r0.put(10, 1)
	r1.put(20, 2)
	r0.put(30, 3)
	r1.put(40, 5)
	pending := r1.reserve(45, 6) // a program still writing on CPU 1
	r0.put(50, 7)
	r1.put(60, 8)
	fork := zombietraceForkStackEvent{} // --stacks: the ring buffer
	fork.Ev = zombietraceEvent{Ts: 35, Pid: 4, Kind: uint32(zombietraceEventKindEVENT_FORK)}
	tr.big.push(unsafe.Slice((*byte)(unsafe.Pointer(&fork)), unsafe.Sizeof(fork)))

	if got := pidsDelivered(t, tr, 25); !equal(got, []uint32{1, 2}) {
		t.Fatalf("up to 25: %v, want [1 2]", got)
	}
	tr.rings.release(time.Now())
	if r0.pos.Tail != 1 || r1.pos.Tail != 1 {
		t.Fatalf("tails %d %d, want 1 1", r0.pos.Tail, r1.pos.Tail)
	}
	if got := pidsDelivered(t, tr, 1000); !equal(got, []uint32{3, 4, 5, 7}) {
		t.Fatalf("up to 1000 with CPU 1 still writing: %v, want [3 4 5 7]", got)
	}
	pending.publish()
	if got := pidsDelivered(t, tr, 1000); !equal(got, []uint32{6, 8}) {
		t.Fatalf("after the write: %v, want [6 8]", got)
	}
	tr.rings.release(time.Now())
	if r0.pos.Tail != 3 || r1.pos.Tail != 4 {
		t.Fatalf("tails %d %d, want 3 4", r0.pos.Tail, r1.pos.Tail)
	}
}

// A record still being written on one CPU holds back the other rings'
// newer records, beyond the reorder window, until it is published: it came
// after them before (a program interrupted by a long softirq).
func TestPendingRecordHoldsBackTheOtherRings(t *testing.T) {
	const ms = uint64(time.Millisecond)
	window := uint64(reorderWindow)
	tr := testTracer(heapRing(8), heapRing(8))
	r0, r1 := &tr.rings.rings[0], &tr.rings.rings[1]
	pass := func(now uint64) []uint32 {
		return pidsDelivered(t, tr, tr.rings.holdBack(now, now-window))
	}
	r0.put(900*ms, 1)
	r1.put(950*ms, 2)
	if got := pass(1000 * ms); !equal(got, []uint32{1, 2}) {
		t.Fatalf("first pass: %v, want [1 2]", got)
	}
	pending := r0.reserve(1010*ms, 3) // stamped, then interrupted for long
	r1.put(1100*ms, 4)
	if got := pass(1300 * ms); len(got) != 0 {
		t.Fatalf("with CPU 0 still writing an older record: %v, want nothing", got)
	}
	pending.publish()
	if got := pass(1600 * ms); !equal(got, []uint32{3, 4}) {
		t.Fatalf("once it is published: %v, want [3 4]", got)
	}
	// Published records newer than the limit hold nothing back.
	r0.put(1700*ms, 5)
	if limit := tr.rings.holdBack(1710*ms, 1690*ms); limit != 1690*ms {
		t.Fatalf("limit %d ms with nothing pending, want 1690", limit/ms)
	}
}

// A slot from the ring's previous lap is not mistaken for a new one.
func TestDeliverIgnoresOldLap(t *testing.T) {
	tr := testTracer(heapRing(2))
	r := &tr.rings.rings[0]
	r.put(1, 1)
	r.put(2, 2)
	if got := pidsDelivered(t, tr, 100); !equal(got, []uint32{1, 2}) {
		t.Fatalf("first lap: %v", got)
	}
	tr.rings.release(time.Now())
	if got := pidsDelivered(t, tr, 100); len(got) != 0 {
		t.Fatalf("nothing new, got %v", got)
	}
	r.put(3, 3)
	if got := pidsDelivered(t, tr, 100); !equal(got, []uint32{3}) {
		t.Fatalf("second lap: %v", got)
	}
}

// A slot reserved and never published is given up after stallLimit and
// counted lost; the ring goes on.
func TestStalledSlotIsSkipped(t *testing.T) {
	tr := testTracer(heapRing(8))
	r := &tr.rings.rings[0]
	r.reserve(10, 1)
	r.put(20, 2)
	now := time.Now()
	tr.rings.release(now)
	if got := pidsDelivered(t, tr, 100); len(got) != 0 {
		t.Fatalf("delivered past an unpublished slot: %v", got)
	}
	tr.rings.release(now.Add(stallLimit / 2))
	if tr.rings.skipped.Load() != 0 {
		t.Fatal("gave up too early")
	}
	tr.rings.release(now.Add(stallLimit))
	if tr.rings.skipped.Load() != 1 {
		t.Fatalf("skipped %d, want 1", tr.rings.skipped.Load())
	}
	if got := delivered(t, tr, 100); got != "lost1@20 2@20" {
		t.Fatalf("after giving up: %q, want the loss, then pid 2", got)
	}
}

// delivered lists what deliver hands over: pid@time, or lostN@time.
func delivered(t *testing.T, tr *Tracer, limit uint64) string {
	t.Helper()
	var got []string
	_, err := tr.deliver(limit, func(ev *events.Event) {
		if ev.Kind == events.KindLost {
			got = append(got, fmt.Sprintf("lost%d@%d", ev.Count, ev.Time))
			return
		}
		got = append(got, fmt.Sprintf("%d@%d", ev.PID, ev.Time))
	}, &events.Event{})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(got, " ")
}

// A loss comes in the merge at the time the program stamped on its first
// one (after the reorder window, like any event), with every loss counted
// since: the engine marks the records open at that moment, not those that
// ended before it.
func TestLossIsDeliveredAtItsTime(t *testing.T) {
	tr := testTracer(heapRing(8), heapRing(8))
	r0, r1 := &tr.rings.rings[0], &tr.rings.rings[1]
	r0.put(10, 1)
	r1.put(15, 2)
	r0.pos.LostTs, r0.pos.Lost = 20, 2 // CPU 0's ring was full at 20
	r1.pos.LostTs, r1.pos.Lost = 22, 1 // and CPU 1's at 22
	r1.put(25, 3)
	r0.put(30, 4)
	if got := delivered(t, tr, 18); got != "1@10 2@15" {
		t.Fatalf("up to 18: %q", got)
	}
	if got := delivered(t, tr, 100); got != "lost3@20 3@25 4@30" {
		t.Fatalf("up to 100: %q, want the 3 losses at 20, before 25", got)
	}

	// A time whose count has not shown yet waits for it; delivered after
	// newer events, it takes the newest time handed over.
	r1.pos.LostTs = 35
	r0.put(40, 5)
	if got := delivered(t, tr, 100); got != "5@40" {
		t.Fatalf("a loss time before its count: %q, want only pid 5", got)
	}
	r1.pos.Lost++
	r0.put(50, 6)
	if got := delivered(t, tr, 100); got != "lost1@40 6@50" {
		t.Fatalf("its count came: %q", got)
	}
	if lost := tr.rings.lost(); lost != 4 {
		t.Fatalf("lost() = %d, want 4", lost)
	}
}

// putFree writes a free event as its program does: with no time.
func (r *cpuRing) putFree(pid uint32) {
	s := r.reserve(0, pid)
	s.slot.Ev.Kind = uint32(zombietraceEventKindEVENT_FREE)
	s.publish()
}

// A free comes with no time (the program reads no clock): it takes the time
// of the next stamped event behind it in its ring, and comes right after
// that event (a wait4 return that shows the reap can follow the free in the
// ring), holding nothing back; with nothing behind it, the time the reader
// saw it.
func TestFreeTakesTheTimeBehindIt(t *testing.T) {
	tr := testTracer(heapRing(8), heapRing(8))
	r0, r1 := &tr.rings.rings[0], &tr.rings.rings[1]
	r0.put(10, 1)
	r0.putFree(2)
	r0.putFree(3) // an RCU batch: frees in a row
	r0.put(30, 4)
	r1.put(20, 5)
	r1.put(40, 6)
	r0.putFree(7)
	before := BootNow()
	if got := delivered(t, tr, 35); got != "1@10 5@20 4@30 2@30 3@30" {
		t.Fatalf("up to 35: %q", got)
	}
	var got []events.Event
	if _, err := tr.deliver(math.MaxUint64, func(ev *events.Event) { got = append(got, *ev) }, &events.Event{}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].PID != 6 || got[1].Kind != events.KindFree || got[1].PID != 7 ||
		got[1].Time < before || got[1].Time > BootNow() {
		t.Fatalf("the rest: %+v, want pid 6, then free 7 stamped between %d and now", got, before)
	}
}

// putExec writes an exec record as its program does: the event, then the
// path over the next slots, each part NUL-terminated (87 bytes and a NUL
// when full), the event's slot published last.
func (r *cpuRing) putExec(ts uint64, pid uint32, path string) {
	h := r.pos.Head
	r.pos.Head += execSlots
	for j := h + 1; j < h+execSlots; j++ {
		s := &r.slots[j&r.mask]
		part := unsafe.Slice((*byte)(unsafe.Pointer(&s.Ev)), unsafe.Sizeof(s.Ev))
		n := copy(part[:len(part)-1], path)
		part[n] = 0
		path = path[n:]
		s.Seq = j + 1
	}
	s := &r.slots[h&r.mask]
	s.Ev = zombietraceEvent{Ts: ts, Pid: pid, Kind: uint32(zombietraceEventKindEVENT_EXEC)}
	s.Seq = h + 1
}

// An exec takes three slots: its path comes whole (across the two parts,
// and across the ring's end), and the events after it come next.
func TestExecTakesThreeSlots(t *testing.T) {
	tr := testTracer(heapRing(8))
	r := &tr.rings.rings[0]
	long := "/" + strings.Repeat("d/", 60) + "bin" // 124 bytes: both parts
	deliver := func(limit uint64) string {
		var got []string
		_, err := tr.deliver(limit, func(ev *events.Event) { got = append(got, fmt.Sprintf("%d:%s", ev.PID, ev.Filename)) }, &events.Event{})
		if err != nil {
			t.Fatal(err)
		}
		tr.rings.release(time.Now())
		return strings.Join(got, " ")
	}
	r.put(10, 1)                  // slot 0
	r.putExec(20, 2, "/bin/true") // 1-3
	r.put(25, 3)                  // 4
	if got := deliver(30); got != "1: 2:/bin/true 3:" {
		t.Fatalf("first lap: %q", got)
	}
	r.putExec(30, 4, long) // 5-7
	r.putExec(40, 5, long) // 0-2 of the next lap
	r.put(50, 6)
	if got := deliver(100); got != "4:"+long+" 5:"+long+" 6:" {
		t.Fatalf("across the ring's end: %q", got)
	}
}

// The reader sleeps longer only when nothing at all waits: a slot still
// being written, or one published but too young to deliver, keeps it awake.
func TestPendingSeesEveryBuffer(t *testing.T) {
	tr := testTracer(heapRing(8), heapRing(8))
	if tr.pending() {
		t.Fatal("empty rings: pending")
	}
	r1 := &tr.rings.rings[1]
	w := r1.reserve(10, 1)
	if !tr.pending() {
		t.Fatal("a slot being written: not pending")
	}
	w.publish()
	if got := pidsDelivered(t, tr, 5); len(got) != 0 || !tr.pending() {
		t.Fatalf("a young event: delivered %v, pending %v", got, tr.pending())
	}
	if got := pidsDelivered(t, tr, 10); !equal(got, []uint32{1}) || tr.pending() {
		t.Fatalf("delivered %v, pending %v after it", got, tr.pending())
	}
}

// The BPF ring buffer takes a power of two of pages: a budget below a page
// (the overflow test's) gets one.
func TestRingbufSize(t *testing.T) {
	page := os.Getpagesize()
	for n, want := range map[int]int{1: page, page: page, page + 1: 2 * page, 16 << 20: 16 << 20} {
		if got := ringbufSize(n); got != want {
			t.Errorf("ringbufSize(%d) = %d, want %d", n, got, want)
		}
	}
}
