package events

// pidMap is a hash table keyed by pid: open addressing, linear probing,
// Fibonacci hashing and backward-shift deletion (no tombstones). A fork
// storm does about fifteen pid lookups per lifecycle; with the runtime's map
// they were ~45 % of the engine's time in a replayed storm (the generic hash
// and its control bytes), here a multiply and one or two loads.
type pidMap[V any] struct {
	slots []pidSlot[V]
	n     int
	shift uint // 64 - log2(len(slots))
}

type pidSlot[V any] struct {
	key uint64 // pid + 1 (any uint32 pid fits); 0: empty
	val V
}

const pidMapMinSize = 64

func (m *pidMap[V]) index(key uint64) int {
	return int((key * 0x9E3779B97F4A7C15) >> m.shift)
}

// find returns the slot of pid, or -1.
func (m *pidMap[V]) find(pid uint32) int {
	if m.n == 0 {
		return -1
	}
	key, mask := uint64(pid)+1, len(m.slots)-1
	for i := m.index(key); ; i = (i + 1) & mask {
		switch m.slots[i].key {
		case key:
			return i
		case 0:
			return -1
		}
	}
}

// get returns pid's value, or the zero value.
func (m *pidMap[V]) get(pid uint32) V {
	if i := m.find(pid); i >= 0 {
		return m.slots[i].val
	}
	var zero V
	return zero
}

// lookup returns pid's value and whether it is there.
func (m *pidMap[V]) lookup(pid uint32) (V, bool) {
	if i := m.find(pid); i >= 0 {
		return m.slots[i].val, true
	}
	var zero V
	return zero, false
}

func (m *pidMap[V]) set(pid uint32, v V) {
	if (m.n+1)*2 > len(m.slots) {
		m.grow()
	}
	key, mask := uint64(pid)+1, len(m.slots)-1
	for i := m.index(key); ; i = (i + 1) & mask {
		switch m.slots[i].key {
		case key:
			m.slots[i].val = v
			return
		case 0:
			m.slots[i] = pidSlot[V]{key, v}
			m.n++
			return
		}
	}
}

func (m *pidMap[V]) grow() {
	old := m.slots
	size := 2 * len(old)
	if size < pidMapMinSize {
		size = pidMapMinSize
	}
	m.slots = make([]pidSlot[V], size)
	m.shift = 64
	for s := size; s > 1; s >>= 1 {
		m.shift--
	}
	m.n = 0
	for _, s := range old {
		if s.key != 0 {
			m.set(uint32(s.key-1), s.val)
		}
	}
}

// del removes pid.
func (m *pidMap[V]) del(pid uint32) {
	if i := m.find(pid); i >= 0 {
		m.delAt(i)
	}
}

// delIfSame removes pid if v is its value: one probe instead of a get and
// a del.
func delIfSame[V comparable](m *pidMap[V], pid uint32, v V) {
	if i := m.find(pid); i >= 0 && m.slots[i].val == v {
		m.delAt(i)
	}
}

// delAt empties slot i, moving back the entries it displaced.
func (m *pidMap[V]) delAt(i int) {
	mask := len(m.slots) - 1
	for j := (i + 1) & mask; m.slots[j].key != 0; j = (j + 1) & mask {
		// j may move to the hole at i unless its home lies cyclically in (i, j].
		if home := m.index(m.slots[j].key); (j-home)&mask >= (j-i)&mask {
			m.slots[i] = m.slots[j]
			i = j
		}
	}
	m.slots[i] = pidSlot[V]{}
	m.n--
}

func (m *pidMap[V]) len() int { return m.n }

// each visits every entry until f returns false. f must not change the map.
func (m *pidMap[V]) each(f func(pid uint32, v V) bool) {
	for _, s := range m.slots {
		if s.key != 0 && !f(uint32(s.key-1), s.val) {
			return
		}
	}
}

// clear empties the map and keeps its slots.
func (m *pidMap[V]) clear() {
	clear(m.slots)
	m.n = 0
}
