package vmtest

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// archive is a private apt setup: its own sources, lists and package cache
// under the cache directory, so the host's apt configuration and state are
// never touched. Debian's archive is reached through apt, which checks the
// signed Release files and the packages' hashes.
type archive struct {
	dir     string   // <cache>/apt
	suites  []string // the suites of the kernels file
	updated bool     // lists fetched in this run
	log     io.Writer
}

func newArchive(dir string, kernels []Kernel, log io.Writer) *archive {
	var suites []string
	for _, k := range kernels {
		if !slices.Contains(suites, k.Suite) {
			suites = append(suites, k.Suite)
		}
	}
	slices.Sort(suites)
	return &archive{dir: dir, suites: suites, log: log}
}

// sourcesList is the private sources.list for suites.
func sourcesList(suites []string) string {
	var b strings.Builder
	for _, s := range suites {
		uri := "http://deb.debian.org/debian"
		if strings.HasSuffix(s, "-security") {
			uri = "http://deb.debian.org/debian-security"
		}
		fmt.Fprintf(&b, "deb %s %s main\n", uri, s)
	}
	return b.String()
}

func (a *archive) aptOptions() []string {
	opts := []string{
		"Dir::Etc::sourcelist=" + filepath.Join(a.dir, "sources.list"),
		"Dir::Etc::sourceparts=" + filepath.Join(a.dir, "sources.list.d"),
		"Dir::State::Lists=" + filepath.Join(a.dir, "lists"),
		"Dir::Cache=" + filepath.Join(a.dir, "cache"),
		// The cache is root's: apt's _apt sandbox user could not write it.
		"APT::Sandbox::User=root",
		// Only the package lists: not the (large) AppStream metadata.
		"Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false",
		"Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false",
		"Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false",
		"Acquire::IndexTargets::deb::DEP-11-icons-hidpi::DefaultEnabled=false",
	}
	var args []string
	for _, o := range opts {
		args = append(args, "-o", o)
	}
	return args
}

func (a *archive) run(ctx context.Context, dir, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, append(a.aptOptions(), args...)...)
	cmd.Dir = dir
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// update fetches the package lists of the suites, once a run.
func (a *archive) update(ctx context.Context) error {
	if a.updated {
		return nil
	}
	for _, d := range []string{"sources.list.d", "lists/partial", "cache/archives/partial"} {
		if err := os.MkdirAll(filepath.Join(a.dir, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(a.dir, "sources.list"), []byte(sourcesList(a.suites)), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(a.log, "apt: fetching the package lists of %s\n", strings.Join(a.suites, ", "))
	if _, err := a.run(ctx, a.dir, "apt-get", "-q", "update"); err != nil {
		return fmt.Errorf("updating the private apt lists: %w", err)
	}
	a.updated = true
	return nil
}

// aptEntry is one package version in one suite.
type aptEntry struct {
	Package, Version, Suite string
}

// parseMadison reads `apt-cache madison` lines:
// "pkg | version | http://deb.debian.org/debian sid/main amd64 Packages".
func parseMadison(out string) []aptEntry {
	var es []aptEntry
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "|")
		if len(f) != 3 {
			continue
		}
		src := strings.Fields(f[2])
		if len(src) < 2 {
			continue
		}
		suite, _, _ := strings.Cut(src[1], "/")
		es = append(es, aptEntry{strings.TrimSpace(f[0]), strings.TrimSpace(f[1]), suite})
	}
	return es
}

// cloudKernelPackages matches the packages that may hold a cloud vmlinuz.
const cloudKernelPackages = `^linux-(image|binary)-[0-9].*-cloud-amd64$`

var releaseVersion = regexp.MustCompile(`^[0-9]+\.[0-9]+[.-][0-9]`)

// kernelRelease is the release in a kernel package's name
// ("linux-image-6.1.0-57-cloud-amd64": "6.1.0-57"), "" for other packages
// (meta packages, unsigned or debug images).
func kernelRelease(pkg string) (prefix, release string) {
	for _, p := range []string{"linux-image-", "linux-binary-"} {
		if rest, ok := strings.CutPrefix(pkg, p); ok {
			rel, ok := strings.CutSuffix(rest, "-cloud-amd64")
			if ok && releaseVersion.MatchString(rel) {
				return p, rel
			}
		}
	}
	return "", ""
}

// newestOfLine picks, among entries, the newest package of k's line in k's
// suite, of the same kind (linux-image or linux-binary) as the pinned one.
func newestOfLine(entries []aptEntry, k Kernel) (aptEntry, bool) {
	wantPrefix, _ := kernelRelease(k.Package)
	var best aptEntry
	found := false
	for _, e := range entries {
		prefix, rel := kernelRelease(e.Package)
		if e.Suite != k.Suite || prefix == "" || prefix != wantPrefix {
			continue
		}
		if k.Line != "*" && !strings.HasPrefix(rel, k.Line+".") && !strings.HasPrefix(rel, k.Line+"-") {
			continue
		}
		if !found || CompareDebianVersions(e.Version, best.Version) > 0 {
			best, found = e, true
		}
	}
	return best, found
}

// kernelPackages lists the cloud kernel packages of every suite.
func (a *archive) kernelPackages(ctx context.Context) ([]aptEntry, error) {
	if err := a.update(ctx); err != nil {
		return nil, err
	}
	out, err := a.run(ctx, a.dir, "apt-cache", "search", "--names-only", cloudKernelPackages)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, line := range strings.Split(out, "\n") {
		if name, _, ok := strings.Cut(line, " "); ok {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil, errors.New("no cloud kernel packages in the apt lists")
	}
	out, err = a.run(ctx, a.dir, "apt-cache", append([]string{"madison"}, names...)...)
	if err != nil {
		return nil, err
	}
	return parseMadison(out), nil
}

// resolve finds the package to use for k: the pinned one while the
// archive has it, else the newest of its line in its suite (note says so).
func (a *archive) resolve(ctx context.Context, k Kernel) (pkg aptEntry, note string, err error) {
	pinned := aptEntry{k.Package, k.Version, k.Suite}
	entries, err := a.kernelPackages(ctx)
	if err != nil {
		return aptEntry{}, "", err
	}
	if slices.Contains(entries, pinned) {
		return pinned, "", nil
	}
	newest, ok := newestOfLine(entries, k)
	if !ok {
		return aptEntry{}, "", fmt.Errorf("%s=%s is not in %s, nor any other kernel of line %s", k.Package, k.Version, k.Suite, k.Line)
	}
	note = fmt.Sprintf("pinned %s=%s is gone from %s: using the newest of line %s, %s=%s (update internal/vmtest/kernels.tsv)",
		k.Package, k.Version, k.Suite, k.Line, newest.Package, newest.Version)
	return newest, note, nil
}

// debFile is where the package's .deb is cached.
func debFile(dir string, e aptEntry) string {
	return filepath.Join(dir, fmt.Sprintf("%s_%s_amd64.deb", e.Package, strings.ReplaceAll(e.Version, ":", "%3a")))
}

// download fetches the .deb of e into dst (via apt: hashes checked).
func (a *archive) download(ctx context.Context, e aptEntry, dst string) error {
	tmp, err := os.MkdirTemp(filepath.Dir(dst), "download-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	fmt.Fprintf(a.log, "apt: downloading %s=%s\n", e.Package, e.Version)
	if _, err := a.run(ctx, tmp, "apt-get", "-q", "download", e.Package+"="+e.Version); err != nil {
		return fmt.Errorf("downloading %s: %w", e.Package, err)
	}
	debs, err := filepath.Glob(filepath.Join(tmp, "*.deb"))
	if err != nil || len(debs) != 1 {
		return fmt.Errorf("downloading %s: apt left %d .deb files", e.Package, len(debs))
	}
	return os.Rename(debs[0], dst)
}

// extractVmlinuz copies the kernel image out of a kernel .deb into dst
// (bookworm's packages have /boot/vmlinuz-*; sid's linux-binary-*
// /usr/lib/modules/*/vmlinuz).
func extractVmlinuz(ctx context.Context, deb, dst string) error {
	cmd := exec.CommandContext(ctx, "dpkg-deb", "--fsys-tarfile", deb)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("dpkg-deb: %w", err)
	}
	found, copyErr := copyVmlinuz(out, dst)
	io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("dpkg-deb --fsys-tarfile %s: %w: %s", deb, err, stderr.String())
	}
	if copyErr != nil {
		return copyErr
	}
	if !found {
		return fmt.Errorf("no vmlinuz in %s (a linux-image-* meta package? pin the linux-binary-* package that holds it)", filepath.Base(deb))
	}
	return nil
}

var vmlinuzPath = regexp.MustCompile(`^(\./)?(boot/vmlinuz-[^/]+|usr/lib/modules/[^/]+/vmlinuz)$`)

func copyVmlinuz(r io.Reader, dst string) (bool, error) {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("reading the package's files: %w", err)
		}
		if h.Typeflag != tar.TypeReg || !vmlinuzPath.MatchString(h.Name) {
			continue
		}
		return true, writeFileAtomic(dst, tr, 0o644)
	}
}

// writeFileAtomic writes r to path through a temporary file, so that an
// interrupted run leaves no half file in the cache.
func writeFileAtomic(path string, r io.Reader, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// ListKernels writes the cloud kernel packages of suites, newest first
// within each suite: what a kernels.tsv line can pin.
func ListKernels(ctx context.Context, cacheDir string, suites []string, w io.Writer) error {
	var ks []Kernel
	for _, s := range suites {
		ks = append(ks, Kernel{Suite: s})
	}
	a := newArchive(filepath.Join(cacheDir, "apt"), ks, w)
	entries, err := a.kernelPackages(ctx)
	if err != nil {
		return err
	}
	slices.SortStableFunc(entries, func(x, y aptEntry) int {
		if c := strings.Compare(x.Suite, y.Suite); c != 0 {
			return c
		}
		return CompareDebianVersions(y.Version, x.Version)
	})
	for _, e := range entries {
		if _, rel := kernelRelease(e.Package); rel != "" && slices.Contains(suites, e.Suite) {
			fmt.Fprintf(w, "%-20s %-45s %s\n", e.Suite, e.Package, e.Version)
		}
	}
	return nil
}
