//go:build linux

package session

import (
	"encoding/binary"
	"hash/fnv"
	"strings"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/internal/symbolize"
)

// callsites caches the names of fork call sites: a forking process forks
// from the same few places.
type callsites map[callsiteKey]string

type callsiteKey struct {
	pid  uint32
	hash uint64 // FNV-1a of the return addresses
}

// name symbolizes a fork's stack in the forking process (read from its
// maps while it lives: it forked a moment ago).
func (c callsites) name(sym *symbolize.Symbolizer, ev *events.Event) string {
	h := fnv.New64a()
	var b [8]byte
	for _, ip := range ev.Stack {
		binary.LittleEndian.PutUint64(b[:], ip)
		h.Write(b[:])
	}
	k := callsiteKey{ev.PeerPID, h.Sum64()}
	if cs, ok := c[k]; ok {
		return cs
	}
	frames, err := sym.Resolve(int(ev.Code), ev.Stack)
	if err != nil {
		return "" // the forking thread is gone
	}
	for i, j := 0, len(frames)-1; i < j; i, j = i+1, j-1 {
		frames[i], frames[j] = frames[j], frames[i] // outermost first
	}
	cs := strings.Join(frames, ";")
	if len(c) > 1<<16 {
		clear(c) // bounded: a fork storm from many binaries
	}
	c[k] = cs
	return cs
}
