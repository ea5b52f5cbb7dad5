package events

// Tables keyed by pid with the start time checked in the value: a uint32 key
// takes the runtime's fast map path, a Key struct hashes byte by byte (it was
// a tenth of the tracer's CPU in a fork storm).

// parentTable holds parents by pid; other incarnations of a pid (rare: the
// pid was reused while the old parent's record was still needed) chain
// through parent.samePID.
type parentTable struct {
	m pidMap[*parent]
	n int
}

func (t *parentTable) get(k Key) *parent {
	pa := t.m.get(k.PID)
	for pa != nil && pa.key != k {
		pa = pa.samePID
	}
	return pa
}

func (t *parentTable) put(pa *parent) {
	pa.samePID = t.m.get(pa.key.PID)
	t.m.set(pa.key.PID, pa)
	t.n++
}

func (t *parentTable) remove(pa *parent) {
	head := t.m.get(pa.key.PID)
	if head == pa {
		if pa.samePID == nil {
			t.m.del(pa.key.PID)
		} else {
			t.m.set(pa.key.PID, pa.samePID)
		}
		pa.samePID = nil
		t.n--
		return
	}
	for q := head; q != nil; q = q.samePID {
		if q.samePID == pa {
			q.samePID, pa.samePID = pa.samePID, nil
			t.n--
			return
		}
	}
}

func (t *parentTable) len() int { return t.n }

// each visits every parent until f returns false; f must not change the table.
func (t *parentTable) each(f func(*parent) bool) {
	t.m.each(func(_ uint32, head *parent) bool {
		for pa := head; pa != nil; pa = pa.samePID {
			if !f(pa) {
				return false
			}
		}
		return true
	})
}

// waitTable holds blocked waits by the waiting process's pid; callers match
// the waiter's start time (pendingWait.waiter). Waits and emptied lists are
// kept for reuse: a fork storm blocks in a wait once per child and must not
// allocate for it.
type waitTable struct {
	m          pidMap[[]*pendingWait]
	spareLists [][]*pendingWait
	spareWaits []*pendingWait
}

const maxSpareWaits = 1024

// add stores a copy of w and returns it.
func (t *waitTable) add(w *pendingWait) *pendingWait {
	var c *pendingWait
	if n := len(t.spareWaits); n > 0 {
		c, t.spareWaits = t.spareWaits[n-1], t.spareWaits[:n-1]
	} else {
		c = new(pendingWait)
	}
	*c = *w
	ws, ok := t.m.lookup(c.waiter.PID)
	if !ok {
		if n := len(t.spareLists); n > 0 {
			ws, t.spareLists = t.spareLists[n-1], t.spareLists[:n-1]
		}
	}
	t.m.set(c.waiter.PID, append(ws, c))
	return c
}

// of returns the waits of pid's processes: check w.waiter against the key.
func (t *waitTable) of(k Key) []*pendingWait { return t.m.get(k.PID) }

// remove drops w; it is reused by a later add, so copy what you still need.
func (t *waitTable) remove(w *pendingWait) {
	ws := t.m.get(w.waiter.PID)
	for i, x := range ws {
		if x == w {
			ws[i] = ws[len(ws)-1]
			ws[len(ws)-1] = nil
			ws = ws[:len(ws)-1]
			break
		}
	}
	if len(ws) == 0 {
		t.m.del(w.waiter.PID)
		if len(t.spareLists) < maxSpareWaits && cap(ws) > 0 {
			t.spareLists = append(t.spareLists, ws)
		}
	} else {
		t.m.set(w.waiter.PID, ws)
	}
	if len(t.spareWaits) < maxSpareWaits {
		t.spareWaits = append(t.spareWaits, w)
	}
}
