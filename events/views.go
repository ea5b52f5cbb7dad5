package events

// What the engine holds, seen from outside: the summary, the processes.

import (
	"sort"
)

// ProcState is the state of a process the engine holds (ProcessView.State;
// the "state" of report tree --json).
type ProcState string

const (
	ProcRunning ProcState = "running"
	ProcExited  ProcState = "exited" // the group died; not yet waitable
	ProcZombie  ProcState = "zombie" // waitable
	ProcReaped  ProcState = "reaped" // waited for; not yet freed
)

// ProcessView is a process the engine holds at some moment.
type ProcessView struct {
	PID         uint32
	Start       uint64
	PPID        uint32 // who owes its reap (the parent, or the reaper after reparenting)
	ParentStart uint64
	Comm        string
	State       ProcState
	ZombieSince uint64 // boot ns, for zombies
	Preexisting bool
	OwnerWaited bool
	Reparented  bool
}

// Processes lists the processes the engine holds (seen in events and not
// yet freed), in pid order.
func (e *Engine) Processes() []ProcessView {
	var out []ProcessView
	names := [...]ProcState{stateRunning: ProcRunning, stateExited: ProcExited, stateZombie: ProcZombie, stateReaped: ProcReaped}
	e.eachProc(func(p *proc) {
		v := ProcessView{PID: p.key.PID, Start: p.key.Start, PPID: p.owner.PID, ParentStart: p.owner.Start,
			Comm: p.commStr, State: names[p.state], Preexisting: p.preexist, Reparented: p.inheritor != 0}
		if p.state == stateZombie {
			v.ZombieSince = p.zombieTime
		}
		if p.ownerPa != nil {
			v.OwnerWaited = p.ownerPa.waited
		}
		out = append(out, v)
	})
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out
}

// HasReaped reports whether the process with this pid reaped a zombie.
func (e *Engine) HasReaped(pid uint32) bool {
	for pa := e.parents.m.get(pid); pa != nil; pa = pa.samePID {
		if pa.reaped > 0 {
			return true
		}
	}
	return false
}

// Live is the number of process records held (not yet freed).
func (e *Engine) Live() int { return e.byPID.len() }

// Lost is the number of events the kernel reported lost.
func (e *Engine) Lost() uint64 { return e.lost }

// Summary reports the state at now (boot ns; 0: the last event's time).
func (e *Engine) Summary(now uint64) Summary {
	if now == 0 {
		now = e.last
	}
	s := Summary{Processes: e.nprocs, LostEvents: e.lost, ParentsEvicted: e.evicted}
	if from := maxU64(e.first, e.window); now > from && from != 0 {
		s.DurationNS = now - from
	}
	if !e.counting && now >= e.window {
		e.openWindow() // no event came after the window's start
	}
	e.eachProc(func(p *proc) {
		if p.state != stateZombie {
			return
		}
		var age uint64
		if now > p.zombieTime {
			age = now - p.zombieTime
		}
		s.Zombies = append(s.Zombies, Zombie{
			PID: p.key.PID, Start: p.key.Start, PPID: p.owner.PID,
			Comm: p.commStr, ParentComm: e.commOf(p.owner),
			AgeNS: age, Preexisting: p.preexist, Uncertain: p.uncertain,
		})
	})
	sort.Slice(s.Zombies, func(i, j int) bool {
		a, b := s.Zombies[i], s.Zombies[j]
		if a.AgeNS != b.AgeNS {
			return a.AgeNS > b.AgeNS
		}
		return a.PID < b.PID
	})
	var owing []uint64 // the zombie time the parent at hand owes now, one per zombie
	e.parents.each(func(pa *parent) bool {
		k := pa.key
		// What it owes now: zombies at their age so far (from when it came
		// to owe them), and processes not waitable yet.
		owing = owing[:0]
		var running uint64
		for c := pa.owed; c != nil; c = c.nextOwed {
			if c.state != stateZombie {
				running++
				continue
			}
			var d uint64
			if since := maxU64(c.zombieTime, c.ownedSince); now > since {
				d = now - since
			}
			owing = append(owing, d)
		}
		outstanding := uint64(len(owing))
		if pa.children+pa.preexisted+pa.inherited == 0 && outstanding == 0 && pa.zombieNS.n == 0 {
			return true
		}
		e.nameParent(pa)
		comm := pa.commStr
		if p := e.proc(k); p != nil && p.commStr != "" {
			comm = p.commStr
		}
		// The statistics are over one set of zombies: those it reaped (seen
		// or not) or passed on, for the time it owed them, and those it owes
		// now at their age so far.
		zs := pa.zombieNS.with(owing)
		st := ParentStats{
			PID: k.PID, Start: k.Start, Comm: comm,
			Children: pa.children, PreexistingChildren: pa.preexisted, Inherited: pa.inherited,
			Reaped: pa.reaped, Unseen: pa.unseen, Autoreaped: pa.autoreaped, PassedOn: pa.passedOn,
			Outstanding: outstanding, Running: running,
			Waited:        pa.waited,
			WaitedUnknown: !pa.waited && (!pa.watched || pa.releasedUnseen),
			ChildMatched:  pa.childMatched,
			ZombieNSTotal: zs.total, ZombieNSMax: zs.max,
			ZombieNSP50: zs.median(), ZombieNSP99: zs.percentile99(),
		}
		s.Parents = append(s.Parents, st)
		return true
	})
	sort.Slice(s.Parents, func(i, j int) bool {
		a, b := s.Parents[i], s.Parents[j]
		if a.ZombieNSTotal != b.ZombieNSTotal {
			return a.ZombieNSTotal > b.ZombieNSTotal
		}
		return a.PID < b.PID
	})
	return s
}
