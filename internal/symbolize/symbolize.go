// Package symbolize turns user-space instruction pointers of a process into
// function names: the process's mappings (/proc/PID/maps, read while it
// lives) and the ELF symbol tables of the mapped files (debug/elf).
package symbolize

import (
	"bufio"
	"debug/elf"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

type mapping struct {
	start, end, off uint64
	path            string
}

type symbol struct {
	addr, size uint64
	name       string
}

type object struct {
	loads []elf.ProgHeader
	syms  []symbol // sorted by addr
	err   error
}

// Symbolizer caches symbols per file. A process's mappings are read for each
// resolution: a pid (or thread id) is reused, and exec replaces them.
type Symbolizer struct {
	objects map[string]*object
}

// New returns an empty symbolizer.
func New() *Symbolizer {
	return &Symbolizer{objects: map[string]*object{}}
}

// mappings reads a process's executable file mappings now (any thread id of
// it works; it must still live).
func mappings(pid int) ([]mapping, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ms []mapping
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || !strings.Contains(fields[1], "x") || !strings.HasPrefix(fields[5], "/") {
			continue
		}
		lo, hi, _ := strings.Cut(fields[0], "-")
		start, _ := strconv.ParseUint(lo, 16, 64)
		end, _ := strconv.ParseUint(hi, 16, 64)
		off, _ := strconv.ParseUint(fields[2], 16, 64)
		ms = append(ms, mapping{start, end, off, fields[5]})
	}
	return ms, sc.Err()
}

func (s *Symbolizer) object(path string) *object {
	if o := s.objects[path]; o != nil {
		return o
	}
	o := &object{}
	s.objects[path] = o
	f, err := elf.Open(path)
	if err != nil {
		o.err = err
		return o
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			o.loads = append(o.loads, p.ProgHeader)
		}
	}
	for _, get := range []func() ([]elf.Symbol, error){f.Symbols, f.DynamicSymbols} {
		syms, err := get()
		if err != nil {
			continue
		}
		for _, sy := range syms {
			if elf.ST_TYPE(sy.Info) == elf.STT_FUNC && sy.Value != 0 {
				o.syms = append(o.syms, symbol{sy.Value, sy.Size, sy.Name})
			}
		}
	}
	sort.Slice(o.syms, func(i, j int) bool { return o.syms[i].addr < o.syms[j].addr })
	return o
}

// Resolve names the instruction pointers of process pid (any thread id of
// it, while it lives) with the mappings it has now, up to the first zero:
// a function, file+offset in a file without symbols, or the address outside
// any file.
func (s *Symbolizer) Resolve(pid int, ips []uint64) ([]string, error) {
	ms, err := mappings(pid)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ips))
	for _, ip := range ips {
		if ip == 0 {
			break
		}
		out = append(out, s.resolve(ms, ip))
	}
	return out, nil
}

func (s *Symbolizer) resolve(ms []mapping, ip uint64) string {
	for _, m := range ms {
		if ip < m.start || ip >= m.end {
			continue
		}
		fileOff := ip - m.start + m.off
		o := s.object(m.path)
		base := m.path[strings.LastIndexByte(m.path, '/')+1:]
		if o.err != nil {
			return fmt.Sprintf("%s+%#x", base, fileOff)
		}
		for _, l := range o.loads {
			if fileOff < l.Off || fileOff >= l.Off+l.Filesz {
				continue
			}
			vaddr := fileOff - l.Off + l.Vaddr
			i := sort.Search(len(o.syms), func(i int) bool { return o.syms[i].addr > vaddr }) - 1
			if i >= 0 && (vaddr < o.syms[i].addr+o.syms[i].size || o.syms[i].size == 0) {
				return o.syms[i].name
			}
			break
		}
		return fmt.Sprintf("%s+%#x", base, fileOff)
	}
	return fmt.Sprintf("%#x", ip)
}
