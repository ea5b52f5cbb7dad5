package recording

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/zombietrace/zombietrace/events"
)

// Reader reads a recording frame by frame.
type Reader struct {
	r       *bufio.Reader
	off     int64
	Header  Header
	Procs   []Proc
	Summary *StoredSummary // set once the summary frame was read
	Clean   bool           // the end frame was read
	// ProcsLost is set when the process table was damaged and the reader
	// went on from the next whole frame: Procs is empty then.
	ProcsLost *Gap
	dec       *decoder
	payload   []byte
	raw       []byte // the bytes of the last frame that failed its checks
	inBatch   bool
	batchAt   int64
}

// Gap is a damaged stretch of the file that the reader skipped.
type Gap struct {
	Offset int64 // where the damaged frame begins
	Resume int64 // where the next whole frame begins
	Err    error // what was wrong with the damaged frame (an *OffsetError)
}

func (g *Gap) Error() string {
	return fmt.Sprintf("%v; bytes %d to %d skipped", g.Err, g.Offset, g.Resume)
}

func (g *Gap) Unwrap() error { return g.Err }

// NewReader reads the header and the process table.
func NewReader(r io.Reader) (*Reader, error) {
	// Reading 7M events took as long with this buffer as with 1 MiB (frames
	// larger than it are read straight into their payload); the 1 MiB
	// allocation took 0.27 ms per reader, most of a fuzzer's run.
	rd := &Reader{r: bufio.NewReaderSize(r, 64<<10), dec: newDecoder()}
	var fixed [14]byte
	if _, err := io.ReadFull(rd.r, fixed[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, &OffsetError{0, ErrNotRecording}
		}
		return nil, err
	}
	if !bytes.Equal(fixed[:8], Magic[:]) {
		return nil, &OffsetError{0, ErrNotRecording}
	}
	if v := binary.LittleEndian.Uint16(fixed[8:]); v > Version {
		return nil, &OffsetError{8, fmt.Errorf("%w: version %d, this zombietrace reads up to %d", ErrNewerVersion, v, Version)}
	} else if v == 0 {
		return nil, &OffsetError{8, fmt.Errorf("%w: version 0", ErrCorrupt)}
	}
	n := binary.LittleEndian.Uint32(fixed[10:])
	if n > maxFrame {
		return nil, &OffsetError{10, fmt.Errorf("%w: header of %d bytes", ErrCorrupt, n)}
	}
	hj := make([]byte, n+4)
	if _, err := io.ReadFull(rd.r, hj); err != nil {
		return nil, &OffsetError{14, fmt.Errorf("%w: in the header", ErrTruncated)}
	}
	if crc32.Checksum(hj[:n], castagnoli) != binary.LittleEndian.Uint32(hj[n:]) {
		return nil, &OffsetError{14, fmt.Errorf("%w: header checksum", ErrCorrupt)}
	}
	if err := json.Unmarshal(hj[:n], &rd.Header); err != nil {
		return nil, &OffsetError{14, fmt.Errorf("%w: header: %v", ErrCorrupt, err)}
	}
	rd.off = 14 + int64(n) + 4
	typ, payload, at, err := rd.frame()
	if err != nil {
		if errors.Is(err, io.EOF) || !rd.resync(at, err) {
			return nil, err
		}
		// The events frames decode on their own: a report goes on without
		// the process table (the caller says so: ProcsLost).
		return rd, nil
	}
	if typ != FrameProcs {
		return nil, &OffsetError{at, fmt.Errorf("%w: first frame is type %d, want the process table", ErrCorrupt, typ)}
	}
	if err := json.Unmarshal(payload, &rd.Procs); err != nil {
		return nil, &OffsetError{at, fmt.Errorf("%w: process table: %v", ErrCorrupt, err)}
	}
	return rd, nil
}

// frame reads the next frame. When it fails its checks, rd.raw keeps the
// bytes it consumed (for resync).
func (rd *Reader) frame() (typ byte, payload []byte, at int64, err error) {
	at = rd.off
	var hdr [frameHeaderSize]byte
	n, err := io.ReadFull(rd.r, hdr[:])
	if err != nil {
		if errors.Is(err, io.EOF) && n == 0 {
			return 0, nil, at, io.EOF
		}
		rd.raw = append(rd.raw[:0], hdr[:n]...)
		return 0, nil, at, &OffsetError{at, fmt.Errorf("%w: frame header", ErrTruncated)}
	}
	size := binary.LittleEndian.Uint32(hdr[:])
	typ = hdr[4]
	if size > maxFrame || typ < FrameProcs || typ > FrameEnd {
		rd.raw = append(rd.raw[:0], hdr[:]...)
		return 0, nil, at, &OffsetError{at, fmt.Errorf("%w: type %d, %d bytes", ErrCorrupt, typ, size)}
	}
	if cap(rd.payload) < int(size) {
		rd.payload = make([]byte, size)
	}
	payload = rd.payload[:size]
	if n, err := io.ReadFull(rd.r, payload); err != nil {
		rd.raw = append(append(rd.raw[:0], hdr[:]...), payload[:n]...)
		return 0, nil, at, &OffsetError{at, fmt.Errorf("%w: frame of %d bytes", ErrTruncated, size)}
	}
	crc := crc32.Update(crc32.Checksum([]byte{typ}, castagnoli), castagnoli, payload)
	if crc != binary.LittleEndian.Uint32(hdr[5:]) {
		rd.raw = append(append(rd.raw[:0], hdr[:]...), payload...)
		return 0, nil, at, &OffsetError{at, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)}
	}
	rd.off += frameHeaderSize + int64(size)
	return typ, payload, at, nil
}

// resync looks for the first whole frame after the damaged one at `at`
// (whose bytes frame left in rd.raw; damaged for `why`): a frame header
// whose type may follow the process table, whose length fits and whose
// checksum matches its payload. When the damage left the length intact,
// that is the frame right after; otherwise every byte offset is tried. It
// reports whether one was found; the reader then goes on from it.
func (rd *Reader) resync(at int64, why error) bool {
	buf := append([]byte(nil), rd.raw[min(1, len(rd.raw)):]...)
	base := at + 1 // the file offset of buf[0]
	eof := false
	// fill makes buf hold at least n bytes, unless the file ends first.
	fill := func(n int) bool {
		for len(buf) < n && !eof {
			chunk := make([]byte, max(64<<10, n-len(buf)))
			m, err := io.ReadFull(rd.r, chunk)
			buf = append(buf, chunk[:m]...)
			eof = err != nil
		}
		return len(buf) >= n
	}
	for i := 0; fill(i + frameHeaderSize); i++ {
		if i >= 1<<20 {
			// Bytes before i are no frame's start: do not keep them.
			buf, base, i = buf[i:], base+int64(i), 0
		}
		size := binary.LittleEndian.Uint32(buf[i:])
		typ := buf[i+4]
		if typ < FrameEvents || typ > FrameEnd || size > maxFrame || (typ == FrameEnd && size != 0) {
			continue
		}
		end := i + frameHeaderSize + int(size)
		if !fill(end) {
			continue
		}
		payload := buf[i+frameHeaderSize : end]
		crc := crc32.Update(crc32.Checksum([]byte{typ}, castagnoli), castagnoli, payload)
		if crc != binary.LittleEndian.Uint32(buf[i+5:]) {
			continue
		}
		resume := base + int64(i)
		rd.ProcsLost = &Gap{Offset: at, Resume: resume, Err: why}
		rd.off = resume
		// What the scan read ahead is read again, then the rest of the file.
		rd.r = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(buf[i:]), rd.r), 64<<10)
		return true
	}
	return false
}

// Next decodes the next event into ev. It returns io.EOF at the end of the
// recording (Clean says whether it ended properly) and an *OffsetError for a
// damaged tail: everything before it was delivered.
func (rd *Reader) Next(ev *events.Event) error {
	for {
		if rd.inBatch && rd.dec.more() {
			if err := rd.dec.next(ev); err != nil {
				rd.inBatch = false
				return &OffsetError{rd.batchAt, fmt.Errorf("%w: %v", ErrCorrupt, err)}
			}
			return nil
		}
		rd.inBatch = false
		if rd.Clean {
			return io.EOF
		}
		typ, payload, at, err := rd.frame()
		if err != nil {
			return err
		}
		switch typ {
		case FrameEvents:
			rd.batchAt = at
			if err := rd.dec.reset(payload); err != nil {
				return &OffsetError{at, fmt.Errorf("%w: %v", ErrCorrupt, err)}
			}
			rd.inBatch = true
		case FrameSummary:
			var s StoredSummary
			if err := json.Unmarshal(payload, &s); err != nil {
				return &OffsetError{at, fmt.Errorf("%w: summary: %v", ErrCorrupt, err)}
			}
			rd.Summary = &s
		case FrameEnd:
			rd.Clean = true
		default:
			return &OffsetError{at, fmt.Errorf("%w: unexpected frame type %d", ErrCorrupt, typ)}
		}
	}
}

// Offset is the byte offset read so far.
func (rd *Reader) Offset() int64 { return rd.off }
