// Package output renders engine records and summaries: the JSON Lines
// contract (docs/json.md) and the human live view and summary tables.
package output

import "time"

// Clock converts CLOCK_BOOTTIME ns (the events' clock) to wall-clock time.
type Clock struct {
	// OffsetNS is wall-clock ns minus boot-time ns, measured once.
	OffsetNS int64
}

// NewClock measures the offset from a pair of readings taken together.
func NewClock(wallNS int64, bootNS uint64) Clock {
	return Clock{OffsetNS: wallNS - int64(bootNS)}
}

// Wall returns the wall-clock time of a boot-time timestamp.
func (c Clock) Wall(bootNS uint64) time.Time {
	return time.Unix(0, int64(bootNS)+c.OffsetNS).UTC()
}
