package vmtest

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// initramfs is the file tree of an initramfs archive, written in the cpio
// "newc" format the kernel unpacks. Archives can be concatenated: the
// kernel unpacks them in order, later files replacing earlier ones.
type initramfs struct {
	entries map[string]cpioEntry // by path, without a leading slash
}

type cpioEntry struct {
	mode   uint32 // type and permission bits (S_IFREG | 0755, ...)
	source string // regular file: copied from this host file, or
	data   []byte // regular file: these bytes
	target string // symlink
}

const (
	cpioDir     = 0o040000
	cpioFile    = 0o100000
	cpioSymlink = 0o120000
)

func newInitramfs() *initramfs {
	return &initramfs{entries: map[string]cpioEntry{}}
}

func cleanArchivePath(p string) string {
	return strings.TrimPrefix(path.Clean("/"+p), "/")
}

// Dir adds a directory and its parents.
func (img *initramfs) Dir(p string) {
	p = cleanArchivePath(p)
	for d := p; d != "" && d != "."; d = path.Dir(d) {
		if _, ok := img.entries[d]; !ok {
			img.entries[d] = cpioEntry{mode: cpioDir | 0o755}
		}
	}
}

func (img *initramfs) add(p string, e cpioEntry) {
	p = cleanArchivePath(p)
	img.Dir(path.Dir(p))
	img.entries[p] = e
}

// File adds a file with the given content (replacing what p was).
func (img *initramfs) File(p string, perm uint32, data []byte) {
	img.add(p, cpioEntry{mode: cpioFile | perm, data: data})
}

// Copy adds the host file src as p, with src's permissions.
func (img *initramfs) Copy(p, src string) error {
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", src)
	}
	img.add(p, cpioEntry{mode: cpioFile | uint32(st.Mode().Perm()), source: src})
	return nil
}

// Symlink adds a symbolic link.
func (img *initramfs) Symlink(p, target string) {
	img.add(p, cpioEntry{mode: cpioSymlink | 0o777, target: target})
}

// Has says whether p is in the tree.
func (img *initramfs) Has(p string) bool {
	_, ok := img.entries[cleanArchivePath(p)]
	return ok
}

// WriteTo writes the archive: parents before children, then the trailer.
func (img *initramfs) WriteTo(w io.Writer) (int64, error) {
	paths := make([]string, 0, len(img.entries))
	for p := range img.entries {
		paths = append(paths, p)
	}
	// A parent is a prefix of its children: it sorts first.
	sort.Strings(paths)
	cw := &countingWriter{w: bufio.NewWriterSize(w, 1<<20)}
	for i, p := range paths {
		e := img.entries[p]
		if err := writeCpioEntry(cw, uint32(i+1), p, e); err != nil {
			return cw.n, fmt.Errorf("writing %s: %w", p, err)
		}
	}
	if err := writeCpioHeader(cw, 0, "TRAILER!!!", 0, 0, 0); err != nil {
		return cw.n, err
	}
	return cw.n, cw.w.(*bufio.Writer).Flush()
}

func writeCpioEntry(w io.Writer, ino uint32, name string, e cpioEntry) error {
	switch e.mode &^ 0o7777 {
	case cpioDir:
		return writeCpioHeader(w, ino, name, e.mode, 2, 0)
	case cpioSymlink:
		if err := writeCpioHeader(w, ino, name, e.mode, 1, len(e.target)); err != nil {
			return err
		}
		return writeCpioData(w, strings.NewReader(e.target), len(e.target))
	}
	if e.source == "" {
		if err := writeCpioHeader(w, ino, name, e.mode, 1, len(e.data)); err != nil {
			return err
		}
		return writeCpioData(w, strings.NewReader(string(e.data)), len(e.data))
	}
	f, err := os.Open(e.source)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := writeCpioHeader(w, ino, name, e.mode, 1, int(st.Size())); err != nil {
		return err
	}
	return writeCpioData(w, f, int(st.Size()))
}

// writeCpioHeader writes a newc header and the name, padded to 4 bytes.
// Owner root, time 0: the archive depends on its content only.
func writeCpioHeader(w io.Writer, ino uint32, name string, mode uint32, nlink, size int) error {
	hdr := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, len(name)+1, 0)
	if _, err := io.WriteString(w, hdr+name+"\x00"); err != nil {
		return err
	}
	return writePadding(w, len(hdr)+len(name)+1)
}

func writeCpioData(w io.Writer, r io.Reader, size int) error {
	n, err := io.Copy(w, r)
	if err != nil {
		return err
	}
	if n != int64(size) {
		return fmt.Errorf("%d bytes, expected %d (file changed?)", n, size)
	}
	return writePadding(w, size)
}

func writePadding(w io.Writer, n int) error {
	if pad := (4 - n%4) % 4; pad > 0 {
		_, err := w.Write(make([]byte, pad))
		return err
	}
	return nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// AddTree copies the host directory src into the archive at dst, skipping
// what skip says (relative paths, slash-separated). Symlinks are followed
// (the archive gets their content); dangling ones are left out.
func (img *initramfs) AddTree(dst, src string, skip func(rel string, dir bool) bool) error {
	return filepath.WalkDir(src, func(full string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, full)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel != "." && skip != nil && skip(rel, d.IsDir()) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			img.Dir(path.Join(dst, rel))
			return nil
		}
		st, err := os.Stat(full)
		if err != nil || !st.Mode().IsRegular() {
			return nil // a dangling link, a socket...
		}
		return img.Copy(path.Join(dst, rel), full)
	})
}
