//go:build linux

package tracer

import (
	"errors"
	"fmt"
	"slices"

	"github.com/cilium/ebpf"
)

// load creates the maps, then loads each hook's program: the first variant
// whose needs the kernel meets and that the verifier accepts. Programs are
// loaded one by one against the shared maps so that one refusal costs one
// hook, not the object.
func (t *Tracer) load(spec *ebpf.CollectionSpec, feats kernelFeatures) error {
	var err error
	if t.maps, err = loadMaps(spec); err != nil {
		return err
	}
	t.progs = make(map[string]*ebpf.Program)
	t.chosen = make(map[string]string)
	for _, h := range hooks {
		if (h.exact && !t.cfg.Exact) || (h.compat && !t.cfg.Compat) {
			continue
		}
		prog, err := t.loadHook(spec, h, feats)
		if err == nil {
			t.chosen[h.name] = prog
			continue
		}
		if !h.optional {
			return err
		}
		t.warnings = append(t.warnings, fmt.Sprintf("%s not available: %v", h.name, err))
	}
	return nil
}

// loadHook loads the first variant of h that the kernel takes. A variant
// refused after an earlier one is worth a warning; the last refusal is the
// error.
func (t *Tracer) loadHook(spec *ebpf.CollectionSpec, h hook, feats kernelFeatures) (string, error) {
	variants := h.variants
	if h.name == "sched_process_exit" && t.cfg.LiveFallback {
		variants = variants[len(variants)-1:]
	}
	var last error
	variants = inObject(spec, variants)
	for i, v := range variants {
		if !feats.eligible(variants, i) {
			continue // not for this kernel: the next one is
		}
		p, err := t.loadProgram(spec, v.prog)
		if err == nil {
			t.progs[v.prog] = p
			if last != nil {
				t.warnings = append(t.warnings, fmt.Sprintf("%v; using %s instead", last, v.prog))
			}
			return v.prog, nil
		}
		last = err
	}
	return "", last
}

// inObject is the variants spec has: the compat object leaves out those
// that need kfuncs (6.2+), which no kernel it serves has.
func inObject(spec *ebpf.CollectionSpec, vs []variant) []variant {
	var out []variant
	for _, v := range vs {
		if _, ok := spec.Programs[v.prog]; ok {
			out = append(out, v)
		}
	}
	return out
}

// loadProgram loads one program of spec against the tracer's maps.
func (t *Tracer) loadProgram(spec *ebpf.CollectionSpec, name string) (*ebpf.Program, error) {
	if slices.Contains(t.cfg.FailPrograms, name) {
		return nil, programError(name, errForced)
	}
	ps, ok := spec.Programs[name]
	if !ok {
		return nil, programError(name, errors.New("not in the BPF object"))
	}
	one := &ebpf.CollectionSpec{
		Maps:      spec.Maps,
		Programs:  map[string]*ebpf.ProgramSpec{name: ps},
		Variables: spec.Variables,
		Types:     spec.Types,
		ByteOrder: spec.ByteOrder,
	}
	coll, err := ebpf.NewCollectionWithOptions(one, ebpf.CollectionOptions{
		MapReplacements: t.maps.Maps,
		Cache:           t.cfg.KernelTypes,
	})
	if err != nil {
		return nil, programError(name, err)
	}
	defer coll.Close()
	return coll.DetachProgram(name), nil
}

// loadMaps creates every map of spec (and sets .rodata), with no program.
func loadMaps(spec *ebpf.CollectionSpec) (*ebpf.Collection, error) {
	maps := &ebpf.CollectionSpec{
		Maps:      spec.Maps,
		Programs:  map[string]*ebpf.ProgramSpec{},
		Variables: spec.Variables,
		Types:     spec.Types,
		ByteOrder: spec.ByteOrder,
	}
	coll, err := ebpf.NewCollection(maps)
	if err != nil {
		return nil, mapError(err)
	}
	return coll, nil
}
