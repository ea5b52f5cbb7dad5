package events

import (
	"math/rand/v2"
	"testing"
)

// TestPidMapMatchesMap drives a pidMap and the runtime's map with the same
// random operations, over few enough pids that probe runs collide, wrap and
// get deleted from the middle; the extreme pids take the same paths.
func TestPidMapMatchesMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var m pidMap[int]
	ref := map[uint32]int{}
	pids := []uint32{0, 1, 0xFFFFFFFF, 0xFFFFFFFE, 4194304}
	for i := 0; i < 300; i++ {
		pids = append(pids, rng.Uint32N(2000))
	}
	for step := 0; step < 200000; step++ {
		pid := pids[rng.IntN(len(pids))]
		switch op := rng.IntN(10); {
		case op < 5:
			m.set(pid, step)
			ref[pid] = step
		case op < 7:
			m.del(pid)
			delete(ref, pid)
		case op < 9:
			// Only when the value is the one given: half the time it is.
			v := ref[pid]
			if rng.IntN(2) == 0 {
				v = -1
			}
			delIfSame(&m, pid, v)
			if ref[pid] == v {
				delete(ref, pid)
			}
		default:
			if step%7 == 0 {
				m.clear()
				clear(ref)
			}
		}
		if v, ok := m.lookup(pid); ok != hasKey(ref, pid) || v != ref[pid] {
			t.Fatalf("step %d: pid %d: got %d, %v; want %d", step, pid, v, ok, ref[pid])
		}
		if m.len() != len(ref) {
			t.Fatalf("step %d: len %d, want %d", step, m.len(), len(ref))
		}
	}
	n := 0
	m.each(func(pid uint32, v int) bool {
		if ref[pid] != v || !hasKey(ref, pid) {
			t.Fatalf("each gave pid %d = %d, want %d", pid, v, ref[pid])
		}
		n++
		return true
	})
	if n != len(ref) {
		t.Fatalf("each visited %d of %d", n, len(ref))
	}
	for _, pid := range pids {
		if v, ok := m.lookup(pid); ok != hasKey(ref, pid) || v != ref[pid] {
			t.Fatalf("pid %d: got %d, %v; want %d", pid, v, ok, ref[pid])
		}
	}
}

func hasKey(m map[uint32]int, k uint32) bool { _, ok := m[k]; return ok }

func TestPidMapZeroValue(t *testing.T) {
	var m pidMap[*proc]
	if m.get(3) != nil || m.len() != 0 {
		t.Fatal("an empty map found something")
	}
	m.del(3) // nothing to delete: no panic
	m.each(func(uint32, *proc) bool { t.Fatal("visited an empty map"); return false })
}
