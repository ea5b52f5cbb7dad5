//go:build linux

// Package tracer loads the BPF programs, attaches them, and turns the ring
// buffer records into events.Event values.
package tracer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"

	"github.com/zombietrace/zombietrace/events"
)

// Config chooses what is loaded.
type Config struct {
	// Exact adds the wait4/waitid syscall tracepoints for exact reap times.
	Exact bool
	// Filter keeps only followed processes (see Follow); otherwise the whole host.
	Filter bool
	// RingBufferBytes is what the event rings may take, all CPUs together
	// (each CPU's ring is a power of two of slots, at least 1024); 0: 16 MiB.
	// With Stacks it is also the BPF ring buffer's size (a power of two).
	RingBufferBytes int
	// FollowMax bounds the follow map; 0: 65536.
	FollowMax int
	// Stacks captures the forking thread's user stack at every fork
	// (bpf_get_stack into the fork's record, Event.Stack): the fork call
	// sites of --stacks. Costs more.
	Stacks bool
	// AllExits sends an exit event for every process (by default only when
	// the SIGCHLD notification cannot carry everything: one event in five).
	AllExits bool
	// LiveFallback forces the pre-6.16 exit program (group death from
	// signal->live) even where the tracepoint passes group_dead.
	LiveFallback bool
	// RingbufTransport sends every record through the BPF ring buffer, as
	// kernels without BPF atomics (before 5.12) must: set by Open there, or
	// forced (a hidden flag) to test and price it elsewhere.
	RingbufTransport bool
	// Compat loads the compat object (no BPF atomics, current by probe
	// reads, waits at their syscalls: Exact and RingbufTransport follow), as
	// kernels without the default object's needs must: set by Open there,
	// or forced (a hidden flag) to test and price it elsewhere.
	Compat bool
	// FailPrograms are treated as refused by the kernel: the loader's
	// fallbacks and errors are tested with it (a hidden flag).
	FailPrograms []string
	// PollInterval is how long the reader sleeps when the buffer is empty
	// (events are submitted without wakeups); 0: 250 ms. Each wakeup has a
	// cost (cold caches, the Go runtime's sysmon busy again): per fork-storm
	// lifecycle the tracer spent 1550 ns at 50 ms, 1270 at 100 ms; in another
	// hour 1150 at 100 ms and 1050 at 250 ms. The 16 MiB of rings hold
	// seconds of a fork storm.
	PollInterval time.Duration
	// IdlePollInterval caps the sleep of a reader that keeps finding nothing
	// at all: each empty pass doubles the sleep from PollInterval up to it,
	// and any event brings PollInterval back. 0: four times PollInterval.
	// A wakeup costs ~100 us of CPU on this VM (three Go threads switch in),
	// so an idle session at 250 ms used 1.4-2.5 ms of CPU per second.
	IdlePollInterval time.Duration
	// KernelTypes is the kernel's BTF, decoded once and shared by the
	// Opens of one process (nil: each Open decodes it). A decode is a
	// copy of ~5 MiB of types: 15 ms here, 300 ms in an emulated guest.
	KernelTypes *btf.Cache
}

// reorderWindow is how old an event must be before it is delivered: the
// rings are merged by time, and a program on another CPU may still be
// writing an older event (a vCPU can stall for milliseconds here).
const reorderWindow = 20 * time.Millisecond

// defaultRingBytes is the per-CPU rings' budget, all CPUs together.
const defaultRingBytes = 16 << 20

// bigRingBytes sizes the BPF ring buffer without --stacks: it carries only
// --stacks forks (then sized like the rings), so it stays empty.
const bigRingBytes = 4096

// FollowFlags mark a process in the in-kernel follow filter.
type FollowFlags uint32

const (
	// FollowTrace traces the process; its children inherit it.
	FollowTrace = FollowFlags(zombietraceFollowFlagFOLLOW_TRACE)
	// FollowOwes keeps the waits and notifications of a process that may owe
	// a followed process its reap.
	FollowOwes = FollowFlags(zombietraceFollowFlagFOLLOW_OWES)
	// FollowChildren traces the process's new children (zombietrace run).
	FollowChildren = FollowFlags(zombietraceFollowFlagFOLLOW_CHILDREN)
)

// Tracer is a loaded and attached set of programs.
type Tracer struct {
	cfg       Config
	maps      *ebpf.Collection         // every map, no programs
	progs     map[string]*ebpf.Program // the loaded programs by name
	chosen    map[string]string        // hook -> the program serving it
	warnings  []string                 // what did not load, and what that costs
	events    *ebpf.Map
	follow    *ebpf.Map
	counters  *ebpf.Map
	linksMu   sync.Mutex // Detach and Reattach may run beside Run
	links     []link.Link
	rd        *ringbuf.Reader        // --stacks forks
	rings     *cpuRings              // every other event
	big       bigQueue               // ring buffer records waiting for the rings' time
	cand      []*zombietraceRingSlot // each ring's next published slot
	delivered uint64                 // the newest event time handed over
	misses    missSeen               // the programs' recursion misses (misses.go)
	missed    atomic.Uint64          // ... all of them, for Counters
}

// Open checks the machine, loads the programs and attaches them. The caller
// must Close it.
func Open(cfg Config) (*Tracer, error) {
	if err := Preflight(); err != nil {
		return nil, err
	}
	if err := raiseMemlock(); err != nil {
		return nil, err
	}
	if cfg.RingBufferBytes == 0 {
		cfg.RingBufferBytes = defaultRingBytes
	}
	if cfg.FollowMax == 0 {
		cfg.FollowMax = 65536
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 250 * time.Millisecond
	}
	if cfg.IdlePollInterval < cfg.PollInterval {
		cfg.IdlePollInterval = 4 * cfg.PollInterval
	}
	if cfg.KernelTypes == nil {
		cfg.KernelTypes = btf.NewCache()
	}
	feats := probeFeatures(cfg.KernelTypes)
	var warnings []string
	if why := cfg.chooseObject(feats); why != "" {
		warnings = append(warnings, why)
	}
	if cfg.Exact {
		if err := ensureTracefs(); err != nil {
			return nil, err
		}
	}
	spec, slots, err := prepareSpec(cfg)
	if err != nil {
		return nil, err
	}

	t := &Tracer{cfg: cfg, warnings: warnings}
	if err := t.load(spec, feats); err != nil {
		t.Close()
		return nil, err
	}
	t.events = t.maps.Maps[zombietraceMapEvents]
	t.follow = t.maps.Maps[zombietraceMapFollow]
	t.counters = t.maps.Maps[zombietraceMapCounters]

	// The readers first, so nothing submitted after attach is missed.
	if t.rd, err = ringbuf.NewReader(t.events); err != nil {
		t.Close()
		return nil, fmt.Errorf("opening ring buffer reader: %w", err)
	}
	if t.rings, err = mapRings(t.maps.Maps[zombietraceMapRingPositions], t.maps.Maps[zombietraceMapRingSlots], slots); err != nil {
		t.Close()
		return nil, fmt.Errorf("opening event rings: %w", err)
	}
	t.cand = make([]*zombietraceRingSlot, len(t.rings.rings))
	t.misses = missSeen{count: map[string]uint64{}, at: bootNow()}
	if err := t.attach(); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// chooseObject settles which object cfg loads on a kernel with feats, and
// what follows from it; why is what the user is told, "" for the default.
func (cfg *Config) chooseObject(feats kernelFeatures) (why string) {
	need, missing := feats.useCompat()
	if !need && !cfg.Compat {
		return ""
	}
	cfg.Compat, cfg.RingbufTransport, cfg.Exact = true, true, true
	return "compat object: " + compatWhy(missing)
}

// NeedsCompat reports whether this kernel gets the compat object, and what
// of the default object's needs it lacks (probed: it loads a program).
func NeedsCompat() (bool, []string) {
	return probeFeatures(btf.NewCache()).useCompat()
}

// raiseMemlock: before 5.11 BPF maps are charged to RLIMIT_MEMLOCK (64 KiB
// on a bare system), which is then raised; elsewhere it is left alone.
func raiseMemlock() error {
	if err := rlimit.RemoveMemlock(); err != nil {
		return fmt.Errorf("raising RLIMIT_MEMLOCK, which this kernel charges BPF maps to: %w", err)
	}
	return nil
}

// prepareSpec is the BPF object sized and configured for cfg; slots is the
// length of each CPU's ring.
func prepareSpec(cfg Config) (*ebpf.CollectionSpec, int, error) {
	load := loadZombietrace
	if cfg.Compat {
		load = loadZombietraceCompat
	}
	spec, err := load()
	if err != nil {
		return nil, 0, fmt.Errorf("loading BPF object: %w", err)
	}
	cpus, err := ebpf.PossibleCPU()
	if err != nil {
		return nil, 0, fmt.Errorf("counting CPUs: %w", err)
	}
	ringBytes := cfg.RingBufferBytes
	if cfg.RingbufTransport {
		ringBytes = 0 // the rings stay empty: their smallest size
	}
	slots, err := sizeRings(spec, ringBytes, cpus)
	if err != nil {
		return nil, 0, err
	}
	bigRing := bigRingBytes
	if cfg.Stacks || cfg.RingbufTransport {
		bigRing = ringbufSize(cfg.RingBufferBytes) // every fork's record is 1 KiB with --stacks
	}
	var ringbuf uint32
	if cfg.RingbufTransport {
		ringbuf = 1
	}
	if err := spec.Variables[zombietraceVarRingbufTransport].Set(ringbuf); err != nil {
		return nil, 0, fmt.Errorf("setting ringbuf_transport: %w", err)
	}
	spec.Maps[zombietraceMapEvents].MaxEntries = uint32(bigRing)
	spec.Maps[zombietraceMapFollow].MaxEntries = uint32(cfg.FollowMax)
	var filter uint32
	if cfg.Filter {
		filter = 1
	}
	if err := spec.Variables[zombietraceVarFilterEnabled].Set(filter); err != nil {
		return nil, 0, fmt.Errorf("setting filter_enabled: %w", err)
	}
	var stacks uint32
	if cfg.Stacks {
		stacks = 1
	}
	if err := spec.Variables[zombietraceVarCaptureStacks].Set(stacks); err != nil {
		return nil, 0, fmt.Errorf("setting capture_stacks: %w", err)
	}
	var allExits uint32
	if cfg.AllExits {
		allExits = 1
	}
	if err := spec.Variables[zombietraceVarAllExits].Set(allExits); err != nil {
		return nil, 0, fmt.Errorf("setting all_exits: %w", err)
	}
	return spec, slots, nil
}

// ringbufSize is the BPF ring buffer's size for a budget of n bytes: a
// power of two of pages, the kernel's rule, at least one page.
func ringbufSize(n int) int {
	size := os.Getpagesize()
	for size < n {
		size <<= 1
	}
	return size
}

func (t *Tracer) attach() error {
	for _, h := range hooks {
		prog, ok := t.chosen[h.name]
		if !ok || h.attach == attachIter {
			continue
		}
		l, err := h.link(t.progs[prog])
		if err != nil {
			return fmt.Errorf("attaching %s to %s: %w", prog, h.name, err)
		}
		t.links = append(t.links, l)
	}
	return nil
}

// Detach removes every link: the programs stay loaded and the reader open,
// but nothing fires. The benchmark alternates detached and attached windows
// of one running tracer.
func (t *Tracer) Detach() error {
	t.linksMu.Lock()
	defer t.linksMu.Unlock()
	return t.closeLinks()
}

// closeLinks closes every link and returns the first error; the caller
// holds linksMu.
func (t *Tracer) closeLinks() error {
	var first error
	for _, l := range t.links {
		if err := l.Close(); err != nil && first == nil {
			first = err
		}
	}
	t.links = nil
	return first
}

// Reattach attaches the programs again after Detach.
func (t *Tracer) Reattach() error {
	t.linksMu.Lock()
	defer t.linksMu.Unlock()
	if len(t.links) > 0 {
		return nil
	}
	if err := t.attach(); err != nil {
		t.closeLinks()
		return err
	}
	return nil
}

// Mode is the reap observation mode of this tracer.
func (t *Tracer) Mode() events.Mode {
	if t.cfg.Exact {
		return events.ModeExact
	}
	return events.ModeLight
}

// Object is which BPF object is loaded: "default" or "compat".
func (t *Tracer) Object() string {
	if t.cfg.Compat {
		return "compat"
	}
	return "default"
}

// ExitProgram names the exit program in use (handle_exit or handle_exit_live).
func (t *Tracer) ExitProgram() string { return t.chosen["sched_process_exit"] }

// Programs returns our loaded programs by name, for statistics.
func (t *Tracer) Programs() map[string]*ebpf.Program {
	out := make(map[string]*ebpf.Program, len(t.progs))
	for name, p := range t.progs {
		out[name] = p
	}
	return out
}

// Variants maps each hook to the program serving it.
func (t *Tracer) Variants() map[string]string {
	out := make(map[string]string, len(t.chosen))
	for h, p := range t.chosen {
		out[h] = p
	}
	return out
}

// Transport names how records travel: "rings" (per-CPU rings) or "ring
// buffer" (kernels without BPF atomics, or forced).
func (t *Tracer) Transport() string {
	if t.cfg.RingbufTransport {
		return "ring buffer"
	}
	return "rings"
}

// RingRecords is how many slots the programs have reserved in the per-CPU
// rings since they were created (none with the ring buffer transport).
func (t *Tracer) RingRecords() uint64 {
	var n uint64
	for i := range t.rings.rings {
		n += atomic.LoadUint64(&t.rings.rings[i].pos.Head)
	}
	return n
}

// Warnings are the features lost or the slower variants taken because a
// program did not load, one line each.
func (t *Tracer) Warnings() []string { return append([]string(nil), t.warnings...) }

// RingBufferBytes is the size of the event rings' and the ring buffer's
// mappings.
func (t *Tracer) RingBufferBytes() int {
	return t.rings.bytes() + int(t.events.MaxEntries())
}

// Follow marks a process (by tgid) in the follow filter. start is its start
// time in boot ns, or 0 when unknown.
func (t *Tracer) Follow(pid uint32, start uint64, flags FollowFlags) error {
	var cur zombietraceFollowEntry
	if err := t.follow.Lookup(pid, &cur); err == nil {
		flags |= FollowFlags(cur.Flags)
	}
	e := zombietraceFollowEntry{Flags: uint32(flags), StartNs: start}
	if err := t.follow.Put(pid, e); err != nil {
		return fmt.Errorf("following pid %d: %w", pid, err)
	}
	return nil
}

// Counters returns the events lost (a CPU's ring or the ring buffer was
// full, or a slot was given up on) and the processes the follow map had no
// room for.
func (t *Tracer) Counters() (lost, followFull uint64, err error) {
	idx := uint32(zombietraceCounterCOUNTER_FOLLOW_FULL)
	var vals []uint64 // one per CPU
	if err := t.counters.Lookup(idx, &vals); err != nil {
		return t.rings.lost() + t.missed.Load(), 0, fmt.Errorf("reading counter %d: %w", idx, err)
	}
	for _, v := range vals {
		followFull += v
	}
	return t.rings.lost() + t.missed.Load(), followFull, nil
}

// Run reads events until ctx is done, calling handle for each one (the event
// is reused: copy it to keep it). Events come in time order across CPUs, each
// once it is reorderWindow old. Losses are reported as KindLost events, in
// time order at their first loss.
// idle, if not nil, is called whenever the buffers have been drained (a good
// moment to flush output). When ctx ends, what is already in the buffers is
// still delivered.
func (t *Tracer) Run(ctx context.Context, handle func(*events.Event), idle func()) error {
	var (
		rec ringbuf.Record
		ev  events.Event
	)
	rec.RawSample = make([]byte, 0, stackEventSize+8)
	// Records are submitted without wakeups: drain without blocking, then
	// sleep. (A ring buffer deadline in the future would spin: cilium/ebpf
	// rounds the epoll timeout down to whole milliseconds, so the last
	// fraction of every period is a busy loop.)
	sleep := t.cfg.PollInterval
	timer := time.NewTimer(sleep)
	defer timer.Stop()
	draining := false
	for {
		t.rd.SetDeadline(time.Now())
		for {
			err := t.rd.ReadInto(&rec)
			if err == nil {
				t.pushBig(rec.RawSample)
				continue
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				break
			}
			if errors.Is(err, ringbuf.ErrClosed) {
				return nil
			}
			return fmt.Errorf("reading ring buffer: %w", err)
		}
		if len(t.big.held) > 0 { // frees with nothing timed behind them yet
			t.big.stampHeld(bootNow())
		}
		if t.cfg.RingbufTransport {
			t.big.sortByTime() // one buffer for all CPUs: reserved in order, stamped after
		}
		limit := uint64(math.MaxUint64)
		if !draining {
			now := bootNow()
			limit = t.rings.holdBack(now, now-uint64(reorderWindow))
		} else {
			t.takeMisses() // the last look, delivered in this last pass
		}
		delivered, err := t.deliver(limit, handle, &ev)
		if err != nil {
			return err
		}
		t.rings.release(time.Now())
		if idle != nil {
			idle()
		}
		if draining {
			return nil
		}
		select {
		case <-ctx.Done():
			draining = true // one more pass: what is already in the buffers
		case <-timer.C:
			if delivered > 0 || t.pending() {
				sleep = t.cfg.PollInterval
			} else {
				sleep = min(2*sleep, t.cfg.IdlePollInterval)
			}
			timer.Reset(sleep)
		}
	}
}

// deliver hands over every event up to limit (boot ns), oldest first: a merge
// of the CPUs' rings, each in its own order, the ring buffer's records, and
// a KindLost event at the time of the first loss among them (so the engine
// marks exactly the records open across it).
func (t *Tracer) deliver(limit uint64, handle func(*events.Event), ev *events.Event) (int, error) {
	rings := t.rings.rings
	t.rings.takeLosses()
	n := 0         // events delivered
	var now uint64 // the time for frees with nothing behind them, read once a pass
	for i := range rings {
		t.cand[i] = t.peekRing(i, &now)
	}
	const (
		fromRing = iota
		fromFree
		fromBig
		fromLoss
	)
	for {
		// The oldest of the sources; a loss goes before events of its time,
		// and a ring's frees after the event that gave them their time.
		src, best, next := fromRing, -1, uint64(math.MaxUint64)
		for i, s := range t.cand {
			if s != nil && s.Ev.Ts < next {
				src, best, next = fromRing, i, s.Ev.Ts
			}
			if r := &rings[i]; r.freeHead < len(r.frees) && r.frees[r.freeHead].Time < next {
				src, best, next = fromFree, i, r.frees[r.freeHead].Time
			}
		}
		if ts, ok := t.big.peekTime(); ok && ts < next {
			src, next = fromBig, ts
		}
		loss, after := &t.rings.loss, next
		if loss.count > 0 && loss.at <= next {
			src, next = fromLoss, loss.at
		}
		if next > limit || ((src == fromRing || src == fromFree) && best < 0) {
			break
		}
		switch src {
		case fromLoss:
			// A time not known (0) or already passed: as soon as possible.
			at := max(loss.at, t.delivered)
			if at == 0 {
				at = min(after, bootNow())
			}
			*ev = events.Event{Kind: events.KindLost, Time: at, Count: loss.count}
			*loss = pendingLoss{}
		case fromBig:
			if err := decode(t.big.pop(), ev); err != nil {
				return n, err
			}
		case fromFree:
			ring := &rings[best]
			*ev = ring.frees[ring.freeHead]
			if ring.freeHead++; ring.freeHead == len(ring.frees) {
				ring.frees, ring.freeHead = ring.frees[:0], 0
			}
		default:
			ring := &rings[best]
			convert(&t.cand[best].Ev, ev)
			if ev.Kind == events.KindExec {
				ev.Filename = ring.execPath(ring.next)
				ring.next += execSlots - 1
			}
			ring.next++
			t.cand[best] = t.peekRing(best, &now)
		}
		t.delivered = max(t.delivered, ev.Time)
		handle(ev)
		n++
	}
	t.big.compact()
	// The programs' misses, for the next pass: after a pass that delivered
	// something (a program ran), else now and then (the look is a syscall
	// per program, which an idle session would pay every poll).
	if n > 0 || bootNow()-t.misses.at >= uint64(missIdleInterval) {
		t.takeMisses()
	}
	return n, nil
}

// pending says whether anything waits in the buffers: published or still
// being written in a ring, a free not yet stamped, a ring buffer record, a
// loss not yet reported.
func (t *Tracer) pending() bool {
	for i := range t.rings.rings {
		r := &t.rings.rings[i]
		if r.next < atomic.LoadUint64(&r.pos.Head) || r.freeHead < len(r.frees) {
			return true
		}
	}
	_, big := t.big.peekTime()
	return big || t.rings.loss.count > 0
}

// peekRing is ring i's next published event other than a free. A free
// comes with no time (its program reads no clock) and takes the time of the
// next stamped event behind it in its ring, which came after it on the same
// CPU; with none published yet, the time now (*now, read once a pass):
// anything reserved after that is stamped later. Frees are set aside
// (ring.frees) and delivered after the event that gave them their time: an
// RCU callback can run between a reap and the wait4 return that shows it
// (seen on a one-CPU guest), and the engine must see the return first.
// Consecutive frees (an RCU batch) are stamped together.
func (t *Tracer) peekRing(i int, now *uint64) *zombietraceRingSlot {
	ring := &t.rings.rings[i]
	for {
		s := ring.peek()
		if s == nil || s.Ev.Ts != 0 {
			return s
		}
		if *now == 0 {
			*now = bootNow()
		}
		stamp, end := *now, ring.next+1
		for ; end < ring.next+uint64(len(ring.slots)); end++ {
			n := &ring.slots[end&ring.mask]
			if atomic.LoadUint64(&n.Seq) != end+1 {
				break
			}
			if n.Ev.Ts != 0 {
				stamp = n.Ev.Ts
				break
			}
		}
		for ; ring.next < end; ring.next++ {
			var ev events.Event
			convert(&ring.slots[ring.next&ring.mask].Ev, &ev)
			ev.Time = stamp
			ring.frees = append(ring.frees, ev)
		}
	}
}

// pushBig queues a ring buffer record. With the ring buffer as the only
// transport a free comes untimed, as in the rings (its program reads no
// clock): it takes the time of the next timed record in the buffer, which
// was reserved after it, and goes after that record; with none by the end
// of the read, the time then.
func (t *Tracer) pushBig(b []byte) {
	if len(b) >= eventSize {
		raw := (*zombietraceEvent)(unsafe.Pointer(&b[0]))
		if raw.Ts == 0 && raw.Kind == uint32(zombietraceEventKindEVENT_FREE) {
			t.big.held = append(t.big.held, append([]byte(nil), b...))
			return
		}
		t.big.push(b)
		t.big.stampHeld(raw.Ts)
		return
	}
	t.big.push(b)
}

// bigQueue holds the ring buffer's records (copied out) until the rings
// have caught up with their time.
type bigQueue struct {
	recs  [][]byte
	head  int
	spare [][]byte
	held  [][]byte // untimed frees waiting for the next timed record
}

// stampHeld gives the held frees time ts and queues them.
func (q *bigQueue) stampHeld(ts uint64) {
	for _, b := range q.held {
		*(*uint64)(unsafe.Pointer(&b[0])) = ts
		q.recs = append(q.recs, b)
	}
	q.held = q.held[:0]
}

// sortByTime orders the records not yet delivered by time, keeping the
// order of equal times (a free after the record that timed it).
func (q *bigQueue) sortByTime() {
	pending := q.recs[q.head:]
	sort.SliceStable(pending, func(i, j int) bool { return recTime(pending[i]) < recTime(pending[j]) })
}

func recTime(b []byte) uint64 {
	if len(b) < 8 {
		return 0
	}
	return *(*uint64)(unsafe.Pointer(&b[0]))
}

func (q *bigQueue) push(b []byte) {
	var buf []byte
	if n := len(q.spare); n > 0 {
		buf, q.spare = q.spare[n-1][:0], q.spare[:n-1]
	}
	q.recs = append(q.recs, append(buf, b...))
}

// peekTime is the next record's time; a record too short to have one goes
// first, and decode reports it.
func (q *bigQueue) peekTime() (uint64, bool) {
	if q.head == len(q.recs) {
		return 0, false
	}
	return recTime(q.recs[q.head]), true
}

// pop returns the next record; it stays valid until the next push.
func (q *bigQueue) pop() []byte {
	b := q.recs[q.head]
	q.head++
	q.spare = append(q.spare, b)
	return b
}

func (q *bigQueue) compact() {
	n := copy(q.recs, q.recs[q.head:])
	clear(q.recs[n:])
	q.recs, q.head = q.recs[:n], 0
}

// Close releases the reader, the links and the objects, in that order, and
// returns the first error.
func (t *Tracer) Close() error {
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	if t.rd != nil {
		keep(t.rd.Close())
	}
	t.linksMu.Lock()
	keep(t.closeLinks())
	t.linksMu.Unlock()
	if t.rings != nil {
		t.rings.close()
		t.rings = nil
	}
	for name, p := range t.progs {
		p.Close()
		delete(t.progs, name)
	}
	if t.maps != nil {
		t.maps.Close()
		t.maps = nil
	}
	return first
}
