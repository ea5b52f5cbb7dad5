package recording

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"time"

	"github.com/zombietrace/zombietrace/events"
)

// ErrFull means --max-size was reached: the recording was ended cleanly.
var ErrFull = errors.New("recording reached its size limit")

// Writer appends frames to a recording. Events are batched into frames that
// are written when a batch is full or FlushInterval has passed (see Flush),
// so a killed recorder leaves a file readable up to its last frame.
type Writer struct {
	f        *os.File
	enc      *encoder
	size     int64
	maxSize  int64
	batchMax int
	lastSync time.Time
	events   uint64
	evBytes  int64
	err      error
}

// FlushInterval is the longest an event waits in memory.
const FlushInterval = time.Second

// Create starts a recording at path with its header and process table.
// maxSize (0: unlimited) ends it cleanly when reached.
func Create(path string, h Header, procs []Proc, maxSize int64) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("creating recording: %w", err)
	}
	w := &Writer{f: f, enc: newEncoder(), maxSize: maxSize, batchMax: 4096, lastSync: time.Now()}
	hj, err := json.Marshal(h)
	if err != nil {
		f.Close()
		return nil, err
	}
	// magic, version u16, header length u32, header JSON, CRC32C of the JSON.
	b := append([]byte{}, Magic[:]...)
	b = binary.LittleEndian.AppendUint16(b, Version)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(hj)))
	b = append(b, hj...)
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(hj, castagnoli))
	if err := w.write(b); err != nil {
		f.Close()
		return nil, err
	}
	pj, err := json.Marshal(procs)
	if err != nil {
		f.Close()
		return nil, err
	}
	if err := w.frame(FrameProcs, pj); err != nil {
		f.Close()
		return nil, err
	}
	w.enc.reset(h.StartNS)
	return w, nil
}

func (w *Writer) write(b []byte) error {
	if w.err != nil {
		return w.err
	}
	n, err := w.f.Write(b)
	w.size += int64(n)
	if err != nil {
		// A full disk: the file stays readable up to the last whole frame.
		w.err = fmt.Errorf("writing recording: %w", err)
	}
	return w.err
}

func (w *Writer) frame(typ byte, payload []byte) error {
	hdr := make([]byte, frameHeaderSize, frameHeaderSize+len(payload))
	binary.LittleEndian.PutUint32(hdr, uint32(len(payload)))
	hdr[4] = typ
	crc := crc32.Update(crc32.Checksum([]byte{typ}, castagnoli), castagnoli, payload)
	binary.LittleEndian.PutUint32(hdr[5:], crc)
	return w.write(append(hdr, payload...))
}

// reserve is kept below --max-size for the summary and end frames.
const reserve = 16 << 10

// maxEventBytes bounds one encoded event (an exec with a long filename).
const maxEventBytes = 4096 + 128

// Add appends one event to the current batch. At the size limit it writes
// what it has and returns ErrFull without taking the event: every event
// accepted is in the file.
func (w *Writer) Add(ev *events.Event) error {
	if w.err != nil {
		return w.err
	}
	if w.maxSize > 0 && w.size+int64(frameHeaderSize+len(w.enc.buf)+maxEventBytes) > w.maxSize-reserve {
		w.Flush()
		if w.err == nil {
			w.err = ErrFull
		}
		return w.err
	}
	w.enc.add(ev)
	w.events++
	if w.enc.n >= w.batchMax {
		return w.Flush()
	}
	return nil
}

// Flush writes the current batch as a frame.
func (w *Writer) Flush() error {
	if w.err != nil || w.enc.n == 0 {
		return w.err
	}
	err := w.frame(FrameEvents, w.enc.buf)
	if err == nil {
		w.evBytes += int64(frameHeaderSize + len(w.enc.buf))
	}
	w.enc.reset(w.enc.last)
	return err
}

// Tick flushes if the last flush is older than FlushInterval.
func (w *Writer) Tick() error {
	if time.Since(w.lastSync) < FlushInterval {
		return w.err
	}
	w.lastSync = time.Now()
	return w.Flush()
}

// Events is how many events were added; Size the bytes written so far;
// EventBytes the part of it that holds events (frames included).
func (w *Writer) Events() uint64    { return w.events }
func (w *Writer) EventBytes() int64 { return w.evBytes }
func (w *Writer) Size() int64       { return w.size }

// Err is the error that stopped the writer, if any (ErrFull for --max-size).
func (w *Writer) Err() error { return w.err }

// Close writes the remaining batch, the summary the recorder computed, and
// the end frame. After ErrFull the summary and end are still written (a
// reserve is kept for them).
func (w *Writer) Close(summary *StoredSummary) error {
	if w.err == nil {
		w.Flush()
	}
	if errors.Is(w.err, ErrFull) {
		w.err = nil // the reserve below maxSize is for these
	}
	if summary != nil && w.err == nil {
		sj, err := json.Marshal(summary)
		if err == nil {
			w.frame(FrameSummary, sj)
		}
	}
	if w.err == nil {
		w.frame(FrameEnd, nil)
	}
	err := w.err
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// StoredSummary is the recorder's live summary, kept so a report can be
// checked against it.
type StoredSummary struct {
	EndNS   uint64         `json:"end_ns"`
	Summary events.Summary `json:"summary"`
	Events  uint64         `json:"events"`
	Full    bool           `json:"stopped_at_max_size"`
}
