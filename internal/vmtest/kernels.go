// Package vmtest runs the integration tests inside Debian kernels booted in
// qemu (software emulation): the kernel matrix of `make test-kernels`.
//
// The pinned kernels are in kernels.tsv; packages, kernels and the guest's
// base initramfs are cached under ${XDG_CACHE_HOME:-~/.cache}/zombietrace.
package vmtest

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"regexp"
	"strings"
)

//go:embed kernels.tsv
var pinnedKernels string

// Expectation says whether a kernel's red cells fail the matrix.
type Expectation string

const (
	ExpectPass        Expectation = "pass"        // every cell must be green
	ExpectUnsupported Expectation = "unsupported" // shown, but red cells are expected
)

// Kernel is one pinned kernel package.
type Kernel struct {
	Name    string // short name: the table's row
	Suite   string // Debian suite, e.g. bookworm-security
	Line    string // "6.12", or "*": newest, for the fallback
	Package string // the package that holds the vmlinuz
	Version string // its exact version
	Expect  Expectation
}

// PinnedKernels returns the kernels of the embedded kernels.tsv.
func PinnedKernels() ([]Kernel, error) {
	return ParseKernels(strings.NewReader(pinnedKernels))
}

var (
	kernelName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	kernelLine = regexp.MustCompile(`^(\*|[0-9]+\.[0-9]+)$`)
)

// ParseKernels reads the kernels file format (see kernels.tsv): one kernel
// a line, six whitespace-separated columns; # starts a comment.
func ParseKernels(r io.Reader) ([]Kernel, error) {
	var ks []Kernel
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 6 {
			return nil, fmt.Errorf("kernels line %d: %d columns, want 6 (name suite line package version expect)", n, len(f))
		}
		k := Kernel{Name: f[0], Suite: f[1], Line: f[2], Package: f[3], Version: f[4], Expect: Expectation(f[5])}
		switch {
		case !kernelName.MatchString(k.Name):
			return nil, fmt.Errorf("kernels line %d: bad name %q", n, k.Name)
		case seen[k.Name]:
			return nil, fmt.Errorf("kernels line %d: name %q used twice", n, k.Name)
		case !kernelLine.MatchString(k.Line):
			return nil, fmt.Errorf("kernels line %d: line %q, want MAJOR.MINOR or *", n, k.Line)
		case !strings.HasPrefix(k.Package, "linux-image-") && !strings.HasPrefix(k.Package, "linux-binary-"):
			return nil, fmt.Errorf("kernels line %d: package %q is not a linux-image-* or linux-binary-* package", n, k.Package)
		case k.Expect != ExpectPass && k.Expect != ExpectUnsupported:
			return nil, fmt.Errorf("kernels line %d: expect %q, want %q or %q", n, k.Expect, ExpectPass, ExpectUnsupported)
		}
		seen[k.Name] = true
		ks = append(ks, k)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading kernels: %w", err)
	}
	if len(ks) == 0 {
		return nil, fmt.Errorf("no kernels listed")
	}
	return ks, nil
}

// SelectKernel returns the kernel named name.
func SelectKernel(ks []Kernel, name string) (Kernel, error) {
	var names []string
	for _, k := range ks {
		if k.Name == name {
			return k, nil
		}
		names = append(names, k.Name)
	}
	return Kernel{}, fmt.Errorf("no kernel %q (have %s)", name, strings.Join(names, ", "))
}
