package recording

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/zombietrace/zombietrace/events"
)

// Event encoding inside an events frame. Each frame decodes on its own: the
// comm dictionary and the start-time table restart with every frame.
//
//	kind      byte   (events.Kind)
//	present   uvarint: which optional fields follow (bits below)
//	dt        uvarint: time - previous event's time (the first: time - frame base)
//	pid       uvarint
//	start     uvarint: 0 = the start last seen with this pid in the frame,
//	          else (time - start) + 1 (start is before time: small for forks)
//	comm      uvarint: 0 = literal follows (len byte + bytes), n = n-th literal of the frame
//	optional fields, in bit order
const (
	hasTID       = 1 << iota // uvarint; absent = same as pid
	hasPeerPID               // uvarint
	hasPeerStart             // uvarint like start, against the peer pid
	hasNSPID                 // uvarint; absent = same as pid (fork/exit) or 0
	hasOptions               // uvarint
	hasStatus                // zigzag varint
	hasCode                  // zigzag varint
	hasFlags                 // uvarint
	hasSyscall               // byte syscall, byte target
	hasFilename              // uvarint len + bytes
	hasCount                 // uvarint (lost)
	hasTask                  // uvarint: reserved (task pointers are not written)
	hasNSPIDZero             // nspid is 0 although the kind would default to pid
	hasCallsite              // uvarint len + bytes (fork with --stacks)
	hasWaiters               // two uvarints (notify: the receiver's queued waiters; version 2)
)

type encoder struct {
	buf    []byte
	last   uint64
	starts map[uint32]uint64
	comms  map[[16]byte]uint64
	n      int
}

func newEncoder() *encoder {
	return &encoder{starts: make(map[uint32]uint64), comms: make(map[[16]byte]uint64)}
}

// reset starts a new frame whose times are relative to base.
func (e *encoder) reset(base uint64) {
	e.buf = binary.AppendUvarint(e.buf[:0], base)
	e.last = base
	clear(e.starts)
	clear(e.comms)
	e.n = 0
}

func nspidDefaultsToPID(k events.Kind) bool {
	return k == events.KindFork || k == events.KindExit || k == events.KindZombie
}

func (e *encoder) startRef(pid uint32, start, t uint64) uint64 {
	if s, ok := e.starts[pid]; ok && s == start {
		return 0
	}
	e.starts[pid] = start
	if start > t {
		// Not before the event (never from the kernel): stored whole, marked odd.
		return start<<1 | 1 + 2
	}
	return (t-start)<<1 + 2
}

func (e *encoder) add(ev *events.Event) {
	b := e.buf
	var present uint64
	if ev.TID != ev.PID {
		present |= hasTID
	}
	if ev.PeerPID != 0 {
		present |= hasPeerPID
	}
	if ev.PeerStart != 0 {
		present |= hasPeerStart
	}
	if nspidDefaultsToPID(ev.Kind) {
		if ev.NSPID == 0 {
			present |= hasNSPIDZero
		} else if ev.NSPID != ev.PID {
			present |= hasNSPID
		}
	} else if ev.NSPID != 0 {
		present |= hasNSPID
	}
	if ev.Options != 0 {
		present |= hasOptions
	}
	if ev.Status != 0 {
		present |= hasStatus
	}
	if ev.Code != 0 {
		present |= hasCode
	}
	if ev.Flags != 0 {
		present |= hasFlags
	}
	if ev.Syscall != 0 || ev.Target != 0 {
		present |= hasSyscall
	}
	if ev.Filename != "" {
		present |= hasFilename
	}
	if ev.Count != 0 {
		present |= hasCount
	}
	if ev.Callsite != "" {
		present |= hasCallsite
	}
	if ev.Waiters != [2]uint32{} {
		present |= hasWaiters
	}
	// Task pointers are not recorded: kernel addresses are no business of a
	// file that travels, and identity is pid + start time.
	b = append(b, byte(ev.Kind))
	b = binary.AppendUvarint(b, present)
	var dt uint64
	if ev.Time >= e.last {
		dt = (ev.Time - e.last) << 1
	} else {
		dt = (e.last-ev.Time)<<1 | 1 // zombie estimates go back in time
	}
	e.last = ev.Time
	b = binary.AppendUvarint(b, dt)
	b = binary.AppendUvarint(b, uint64(ev.PID))
	b = binary.AppendUvarint(b, e.startRef(ev.PID, ev.Start, ev.Time))
	if idx, ok := e.comms[ev.Comm]; ok {
		b = binary.AppendUvarint(b, idx)
	} else {
		e.comms[ev.Comm] = uint64(len(e.comms) + 1)
		c := events.CommString(ev.Comm)
		b = append(b, 0, byte(len(c)))
		b = append(b, c...)
	}
	if present&hasTID != 0 {
		b = binary.AppendUvarint(b, uint64(ev.TID))
	}
	if present&hasPeerPID != 0 {
		b = binary.AppendUvarint(b, uint64(ev.PeerPID))
	}
	if present&hasPeerStart != 0 {
		b = binary.AppendUvarint(b, e.startRef(ev.PeerPID, ev.PeerStart, ev.Time))
	}
	if present&hasNSPID != 0 {
		b = binary.AppendUvarint(b, uint64(ev.NSPID))
	}
	if present&hasOptions != 0 {
		b = binary.AppendUvarint(b, uint64(ev.Options))
	}
	if present&hasStatus != 0 {
		b = binary.AppendVarint(b, int64(ev.Status))
	}
	if present&hasCode != 0 {
		b = binary.AppendVarint(b, int64(ev.Code))
	}
	if present&hasFlags != 0 {
		b = binary.AppendUvarint(b, uint64(ev.Flags))
	}
	if present&hasSyscall != 0 {
		b = append(b, byte(ev.Syscall), byte(ev.Target))
	}
	if present&hasFilename != 0 {
		b = binary.AppendUvarint(b, uint64(len(ev.Filename)))
		b = append(b, ev.Filename...)
	}
	if present&hasCount != 0 {
		b = binary.AppendUvarint(b, ev.Count)
	}
	if present&hasCallsite != 0 {
		b = binary.AppendUvarint(b, uint64(len(ev.Callsite)))
		b = append(b, ev.Callsite...)
	}
	if present&hasWaiters != 0 {
		b = binary.AppendUvarint(b, uint64(ev.Waiters[0]))
		b = binary.AppendUvarint(b, uint64(ev.Waiters[1]))
	}
	e.buf = b
	e.n++
}

var errShort = errors.New("event runs past the end of its frame")

type decoder struct {
	b      []byte
	last   uint64
	starts map[uint32]uint64
	comms  [][16]byte
}

func newDecoder() *decoder { return &decoder{starts: make(map[uint32]uint64)} }

func (d *decoder) reset(payload []byte) error {
	d.b = payload
	clear(d.starts)
	d.comms = d.comms[:0]
	base, err := d.uvarint()
	d.last = base
	return err
}

func (d *decoder) uvarint() (uint64, error) {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		return 0, errShort
	}
	d.b = d.b[n:]
	return v, nil
}

func (d *decoder) varint() (int64, error) {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		return 0, errShort
	}
	d.b = d.b[n:]
	return v, nil
}

func (d *decoder) bytes(n uint64) ([]byte, error) {
	if n > uint64(len(d.b)) {
		return nil, errShort
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v, nil
}

func (d *decoder) start(pid uint32, t uint64) (uint64, error) {
	ref, err := d.uvarint()
	if err != nil {
		return 0, err
	}
	if ref == 0 {
		s, ok := d.starts[pid]
		if !ok {
			return 0, fmt.Errorf("start reference to pid %d before any start", pid)
		}
		return s, nil
	}
	ref -= 2
	var s uint64
	if ref&1 == 1 {
		s = ref >> 1
	} else {
		if ref>>1 > t {
			return 0, errors.New("start time before boot")
		}
		s = t - ref>>1
	}
	d.starts[pid] = s
	return s, nil
}

// more reports whether events remain in the frame.
func (d *decoder) more() bool { return len(d.b) > 0 }

// next decodes one event into ev.
func (d *decoder) next(ev *events.Event) error {
	if len(d.b) < 1 {
		return errShort
	}
	*ev = events.Event{Kind: events.Kind(d.b[0])}
	d.b = d.b[1:]
	if ev.Kind < events.KindFork || ev.Kind > events.KindLost {
		return fmt.Errorf("unknown event kind %d", ev.Kind)
	}
	present, err := d.uvarint()
	if err != nil {
		return err
	}
	dt, err := d.uvarint()
	if err != nil {
		return err
	}
	if dt&1 == 0 {
		d.last += dt >> 1
	} else {
		d.last -= dt >> 1
	}
	ev.Time = d.last
	pid, err := d.uvarint()
	if err != nil {
		return err
	}
	ev.PID = uint32(pid)
	ev.TID = ev.PID
	if ev.Start, err = d.start(ev.PID, ev.Time); err != nil {
		return err
	}
	idx, err := d.uvarint()
	if err != nil {
		return err
	}
	if idx == 0 {
		if len(d.b) < 1 {
			return errShort
		}
		n := uint64(d.b[0])
		d.b = d.b[1:]
		if n > 16 {
			return fmt.Errorf("comm of %d bytes", n)
		}
		c, err := d.bytes(n)
		if err != nil {
			return err
		}
		var comm [16]byte
		copy(comm[:], c)
		d.comms = append(d.comms, comm)
		ev.Comm = comm
	} else {
		if idx > uint64(len(d.comms)) {
			return fmt.Errorf("comm reference %d of %d", idx, len(d.comms))
		}
		ev.Comm = d.comms[idx-1]
	}
	if nspidDefaultsToPID(ev.Kind) && present&(hasNSPID|hasNSPIDZero) == 0 {
		ev.NSPID = ev.PID
	}
	u32 := func() (uint32, error) { v, err := d.uvarint(); return uint32(v), err }
	if present&hasTID != 0 {
		if ev.TID, err = u32(); err != nil {
			return err
		}
	}
	if present&hasPeerPID != 0 {
		if ev.PeerPID, err = u32(); err != nil {
			return err
		}
	}
	if present&hasPeerStart != 0 {
		if ev.PeerStart, err = d.start(ev.PeerPID, ev.Time); err != nil {
			return err
		}
	}
	if present&hasNSPID != 0 {
		if ev.NSPID, err = u32(); err != nil {
			return err
		}
	}
	if present&hasOptions != 0 {
		if ev.Options, err = u32(); err != nil {
			return err
		}
	}
	if present&hasStatus != 0 {
		v, err := d.varint()
		if err != nil {
			return err
		}
		ev.Status = int32(v)
	}
	if present&hasCode != 0 {
		v, err := d.varint()
		if err != nil {
			return err
		}
		ev.Code = int32(v)
	}
	if present&hasFlags != 0 {
		v, err := d.uvarint()
		if err != nil {
			return err
		}
		ev.Flags = events.Flags(v)
	}
	if present&hasSyscall != 0 {
		b, err := d.bytes(2)
		if err != nil {
			return err
		}
		ev.Syscall, ev.Target = events.WaitSyscall(b[0]), events.WaitTarget(b[1])
	}
	if present&hasFilename != 0 {
		n, err := d.uvarint()
		if err != nil {
			return err
		}
		if n > 4096 {
			return fmt.Errorf("filename of %d bytes", n)
		}
		f, err := d.bytes(n)
		if err != nil {
			return err
		}
		ev.Filename = string(f)
	}
	if present&hasCount != 0 {
		if ev.Count, err = d.uvarint(); err != nil {
			return err
		}
	}
	if present&hasTask != 0 { // never written; skipped if a writer did
		if _, err = d.uvarint(); err != nil {
			return err
		}
	}
	if present&hasCallsite != 0 {
		n, err := d.uvarint()
		if err != nil {
			return err
		}
		if n > 64<<10 {
			return fmt.Errorf("callsite of %d bytes", n)
		}
		c, err := d.bytes(n)
		if err != nil {
			return err
		}
		ev.Callsite = string(c)
	}
	if present&hasWaiters != 0 {
		for i := range ev.Waiters {
			if ev.Waiters[i], err = u32(); err != nil {
				return err
			}
		}
	}
	return nil
}
