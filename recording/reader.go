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
	dec     *decoder
	payload []byte
	inBatch bool
	batchAt int64
}

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
		return nil, err
	}
	if typ != FrameProcs {
		return nil, &OffsetError{at, fmt.Errorf("%w: first frame is type %d, want the process table", ErrCorrupt, typ)}
	}
	if err := json.Unmarshal(payload, &rd.Procs); err != nil {
		return nil, &OffsetError{at, fmt.Errorf("%w: process table: %v", ErrCorrupt, err)}
	}
	return rd, nil
}

// frame reads the next frame.
func (rd *Reader) frame() (typ byte, payload []byte, at int64, err error) {
	at = rd.off
	var hdr [frameHeaderSize]byte
	n, err := io.ReadFull(rd.r, hdr[:])
	if err != nil {
		if errors.Is(err, io.EOF) && n == 0 {
			return 0, nil, at, io.EOF
		}
		return 0, nil, at, &OffsetError{at, fmt.Errorf("%w: frame header", ErrTruncated)}
	}
	size := binary.LittleEndian.Uint32(hdr[:])
	typ = hdr[4]
	if size > maxFrame || typ < FrameProcs || typ > FrameEnd {
		return 0, nil, at, &OffsetError{at, fmt.Errorf("%w: type %d, %d bytes", ErrCorrupt, typ, size)}
	}
	if cap(rd.payload) < int(size) {
		rd.payload = make([]byte, size)
	}
	payload = rd.payload[:size]
	if _, err := io.ReadFull(rd.r, payload); err != nil {
		return 0, nil, at, &OffsetError{at, fmt.Errorf("%w: frame of %d bytes", ErrTruncated, size)}
	}
	crc := crc32.Update(crc32.Checksum([]byte{typ}, castagnoli), castagnoli, payload)
	if crc != binary.LittleEndian.Uint32(hdr[5:]) {
		return 0, nil, at, &OffsetError{at, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)}
	}
	rd.off += frameHeaderSize + int64(size)
	return typ, payload, at, nil
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
