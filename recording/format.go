// Package recording reads and writes zombietrace recordings (docs/format.md):
// an append-only file of checksummed frames that `zombietrace record` writes
// while tracing and `zombietrace report` reads anywhere, without root.
package recording

import (
	"errors"
	"fmt"
	"hash/crc32"
)

// Magic opens every recording.
var Magic = [8]byte{'Z', 'O', 'M', 'B', 'I', 'E', 'T', 'R'}

// Version is the format version this code writes and the newest it reads.
const Version = 2

// Frame types.
const (
	FrameProcs   byte = 1 // the process table at start (JSON)
	FrameEvents  byte = 2 // a batch of events (binary, see encode.go)
	FrameSummary byte = 3 // the recorder's own summary at the end (JSON)
	FrameEnd     byte = 4 // a clean end: nothing follows
)

// frameHeaderSize: payload length (u32), type (u8), CRC32C of type+payload (u32).
const frameHeaderSize = 9

// maxFrame bounds a frame's payload: a corrupted length cannot make the
// reader allocate gigabytes.
const maxFrame = 64 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Header describes the recording (JSON in the file).
type Header struct {
	Host         string   `json:"host"`
	Kernel       string   `json:"kernel"`
	BootID       string   `json:"boot_id"`
	WallOffsetNS int64    `json:"wall_offset_ns"` // wall-clock ns = boot ns + this
	StartNS      uint64   `json:"start_ns"`       // boot ns when recording started
	Tool         string   `json:"tool"`           // zombietrace version
	CommandLine  []string `json:"command_line"`
	Mode         string   `json:"mode"` // light | exact
	Filter       string   `json:"filter,omitempty"`
	// Follow: a recording of a followed tree (record --pid), not the host.
	Follow *Follow `json:"follow,omitempty"`
}

// Follow says whose waits a followed recording kept from its start: the
// seeded tree and the process that owed it a reap (events.Engine.Follow).
// Reports need it to tell a parent that never waited from one whose waits
// were not traced.
type Follow struct {
	PIDs []uint32 `json:"pids"`
	AtNS uint64   `json:"at_ns"` // boot ns: the processes with those pids that had started by then
}

// Proc is one line of the process table snapshot.
type Proc struct {
	PID     uint32 `json:"pid"`
	PPID    uint32 `json:"ppid"`
	StartNS uint64 `json:"start_ns"` // from /proc (clock-tick precision)
	State   string `json:"state"`
	Comm    string `json:"comm"`
	Cmdline string `json:"cmdline,omitempty"`
	Cgroup  string `json:"cgroup,omitempty"`
}

// Errors a reader reports; they wrap with the byte offset.
var (
	ErrNotRecording = errors.New("not a zombietrace recording")
	ErrNewerVersion = errors.New("recording written by a newer format version")
	ErrTruncated    = errors.New("truncated")
	ErrCorrupt      = errors.New("corrupted frame")
)

// OffsetError says where in the file a problem is.
type OffsetError struct {
	Offset int64
	Err    error
}

func (e *OffsetError) Error() string { return fmt.Sprintf("at byte %d: %v", e.Offset, e.Err) }
func (e *OffsetError) Unwrap() error { return e.Err }
