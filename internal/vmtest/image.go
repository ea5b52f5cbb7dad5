package vmtest

import (
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// The guest's base initramfs: busybox (its applets as symlinks), the host's
// python3 with the libraries it loads and a trimmed standard library, and
// /init. It is the same for every run and kernel: built once, cached.

// baseImageVersion is part of the cache key: bump it when buildBaseImage
// changes what it puts in the image.
const baseImageVersion = "3"

// guestInit is PID 1: it sets the machine up, runs the payload's script and
// powers off. Its output is the serial console.
const guestInit = `#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t bpf bpf /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup
# Before 5.11 BPF maps are charged to RLIMIT_MEMLOCK.
ulimit -l unlimited
export PATH=/usr/local/bin:/usr/bin:/usr/sbin HOME=/root TMPDIR=/tmp
echo "ZT-BOOTED $(uname -r)"
if [ -x /zt/run.sh ]; then
	/zt/run.sh
else
	echo "ZT-NOTE no payload: /zt/run.sh is missing"
fi
echo "ZT-DONE"
poweroff -f
`

// hostPython is the interpreter the guest gets (the scenarios and some
// tests run python3 as /usr/bin/python3).
const hostPython = "/usr/bin/python3"

// Left out of the standard library: tests, GUI and packaging tools,
// documentation, byte code (the guest compiles what it imports), build
// configuration.
var pythonSkipDirs = []string{
	"test", "tests", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3", "pydoc_data",
	"__pycache__", "distutils", "site-packages", "dist-packages", "venv", "sqlite3", "curses", "dbm",
}

// Extension modules left out (and the libraries only they need).
var pythonSkipModules = []string{
	"_ctypes_test", "_xxtestfuzz", "_xxsubinterpreters", "_sqlite3", "_curses", "_curses_panel",
	"readline", "_dbm", "_gdbm", "_tkinter", "nis", "ossaudiodev", "audioop", "_ssl",
}

func skipPython(rel string, dir bool) bool {
	base := path.Base(rel)
	if dir {
		return slices.Contains(pythonSkipDirs, base) || strings.HasPrefix(base, "config-")
	}
	if strings.HasSuffix(base, ".so") {
		mod, _, _ := strings.Cut(base, ".")
		if slices.Contains(pythonSkipModules, mod) || strings.HasPrefix(mod, "_test") || strings.HasPrefix(mod, "xxlimited") {
			return true
		}
	}
	return strings.HasSuffix(base, ".pyc") || strings.HasSuffix(base, ".exe")
}

// baseImageInputs are the host files the image is made of: the cache key
// hashes their sizes and times.
func baseImageInputs() (busybox, python, stdlib string, err error) {
	busybox, err = exec.LookPath("busybox")
	if err != nil {
		return "", "", "", errors.New("busybox not found (apt-get install busybox-static)")
	}
	python, err = filepath.EvalSymlinks(hostPython)
	if err != nil {
		return "", "", "", fmt.Errorf("python3: %w", err)
	}
	// /usr/bin/python3.11 -> /usr/lib/python3.11
	stdlib = filepath.Join("/usr/lib", filepath.Base(python))
	if _, err := os.Stat(filepath.Join(stdlib, "os.py")); err != nil {
		return "", "", "", fmt.Errorf("python standard library of %s: %w", python, err)
	}
	return busybox, python, stdlib, nil
}

// baseImage returns the cached base initramfs, building it if needed.
func baseImage(cacheDir, cc string, log io.Writer) (string, error) {
	busybox, python, stdlib, err := baseImageInputs()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprint(h, baseImageVersion, "\n", guestInit)
	for _, f := range []string{busybox, python, filepath.Join(stdlib, "os.py")} {
		st, err := os.Stat(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintln(h, f, st.Size(), st.ModTime().UnixNano())
	}
	dst := filepath.Join(cacheDir, "initramfs", "base-"+hex.EncodeToString(h.Sum(nil))[:16]+".cpio")
	if exists(dst) {
		return dst, nil
	}
	fmt.Fprintf(log, "building the guest's base initramfs (busybox, %s)\n", python)
	tmp, err := os.MkdirTemp("", "zombietrace-base-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	img, err := buildBaseImage(busybox, python, stdlib, cc, tmp)
	if err != nil {
		return "", fmt.Errorf("building the base initramfs: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", err
	}
	// Older bases (other inputs) are of no more use.
	old, _ := filepath.Glob(filepath.Join(filepath.Dir(dst), "base-*.cpio"))
	for _, o := range old {
		os.Remove(o)
	}
	if err := writeImage(dst, img); err != nil {
		return "", err
	}
	return dst, nil
}

func writeImage(dst string, img *initramfs) error {
	pr, pw := io.Pipe()
	go func() {
		_, err := img.WriteTo(pw)
		pw.CloseWithError(err)
	}()
	return writeFileAtomic(dst, pr, 0o644)
}

func buildBaseImage(busybox, python, stdlib, cc, tmp string) (*initramfs, error) {
	img := newInitramfs()
	// A merged /usr, as on Debian: everything under /usr, and the loader
	// at its usual path through /lib64.
	for _, d := range []string{"proc", "sys", "dev", "tmp", "run", "root", "etc", "usr/bin", "usr/sbin", "usr/lib", "usr/lib64"} {
		img.Dir(d)
	}
	for _, l := range []string{"bin", "sbin", "lib", "lib64"} {
		img.Symlink(l, "usr/"+l)
	}
	if err := img.Copy("usr/bin/busybox", busybox); err != nil {
		return nil, err
	}
	out, err := exec.Command(busybox, "--list-full").Output()
	if err != nil {
		return nil, fmt.Errorf("busybox --list-full: %w", err)
	}
	for _, applet := range strings.Fields(string(out)) {
		p := mergedUsr(applet)
		if p != "usr/bin/busybox" {
			img.Symlink(p, "/usr/bin/busybox")
		}
	}
	// A real /bin/true: tests run copies of it under other names, which
	// busybox would not know as applets. Static: a dynamic program's exec
	// takes 35 ms under emulation (the loader's work), a static one 7 ms,
	// and some tests exec it hundreds of times.
	trueBin, err := staticTrue(tmp, cc)
	if err != nil {
		return nil, err
	}
	if err := img.Copy("usr/bin/true", trueBin); err != nil {
		return nil, err
	}
	bins := []string{busybox, python} // busybox-static needs no library
	if err := img.Copy(mergedUsr(python), python); err != nil {
		return nil, err
	}
	img.Symlink("usr/bin/python3", path.Base(python))
	if err := img.AddTree(mergedUsr(stdlib), stdlib, skipPython); err != nil {
		return nil, fmt.Errorf("python standard library: %w", err)
	}
	// Extension modules whose libraries are not all on the host are left out.
	modules, _ := filepath.Glob(filepath.Join(stdlib, "lib-dynload", "*.so"))
	for _, m := range modules {
		rel := mergedUsr(m)
		if !img.Has(rel) {
			continue
		}
		if _, _, err := sharedLibraries([]string{m}); err != nil {
			delete(img.entries, rel)
			continue
		}
		bins = append(bins, m)
	}
	libs, interp, err := sharedLibraries(bins)
	if err != nil {
		return nil, err
	}
	if interp == "" {
		return nil, fmt.Errorf("%s names no dynamic loader", python)
	}
	for name, host := range libs {
		if err := img.Copy("usr/lib/x86_64-linux-gnu/"+name, host); err != nil {
			return nil, err
		}
	}
	if err := img.Copy(mergedUsr(interp), interp); err != nil {
		return nil, err
	}
	img.File("init", 0o755, []byte(guestInit))
	img.File("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\n"))
	img.File("etc/group", 0o644, []byte("root:x:0:\n"))
	return img, nil
}

// mergedUsr maps a host path to its place in the guest's merged /usr.
func mergedUsr(p string) string {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	for _, d := range []string{"bin/", "sbin/", "lib/", "lib64/"} {
		if strings.HasPrefix(p, d) {
			return "usr/" + p
		}
	}
	return p
}

var libraryDirs = []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"}

// sharedLibraries resolves the libraries the ELF files bins need, and what
// those need in turn (by soname, to host paths), and the dynamic loader
// they name ("" if none does).
func sharedLibraries(bins []string) (map[string]string, string, error) {
	libs := map[string]string{}
	interp := ""
	queue := slices.Clone(bins)
	for len(queue) > 0 {
		file := queue[0]
		queue = queue[1:]
		needed, in, err := elfNeeds(file)
		if err != nil {
			return nil, "", err
		}
		if in != "" {
			interp = in
		}
		for _, name := range needed {
			if _, done := libs[name]; done {
				continue
			}
			host := ""
			for _, d := range libraryDirs {
				if p := filepath.Join(d, name); exists(p) {
					host = p
					break
				}
			}
			if host == "" {
				return nil, "", fmt.Errorf("%s needs %s, which is not on this machine", file, name)
			}
			libs[name] = host
			queue = append(queue, host)
		}
	}
	return libs, interp, nil
}

func elfNeeds(file string) (needed []string, interp string, err error) {
	f, err := elf.Open(file)
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", file, err)
	}
	defer f.Close()
	needed, err = f.ImportedLibraries()
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", file, err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b, err := io.ReadAll(p.Open())
			if err != nil {
				return nil, "", err
			}
			interp = strings.TrimRight(string(b), "\x00")
		}
	}
	return needed, interp, nil
}

// staticTrue compiles a static true(1) into dir.
func staticTrue(dir, cc string) (string, error) {
	src, exe := filepath.Join(dir, "true.c"), filepath.Join(dir, "true")
	if err := os.WriteFile(src, []byte("int main(void) { return 0; }\n"), 0o644); err != nil {
		return "", err
	}
	if out, err := exec.Command(cc, "-O2", "-static", "-o", exe, src).CombinedOutput(); err != nil {
		return "", fmt.Errorf("compiling a static true: %w\n%s", err, out)
	}
	return exe, nil
}
