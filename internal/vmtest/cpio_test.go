package vmtest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

type cpioRecord struct {
	name, data string
	mode       uint32
}

// readNewc parses a newc archive (as the kernel does), checking the
// 4-byte alignment of names and data.
func readNewc(t *testing.T, b []byte) []cpioRecord {
	t.Helper()
	var out []cpioRecord
	off := 0
	field := func(i int) int {
		v, err := strconv.ParseUint(string(b[off+6+8*i:off+14+8*i]), 16, 32)
		if err != nil {
			t.Fatalf("offset %d field %d: %v", off, i, err)
		}
		return int(v)
	}
	for {
		if string(b[off:off+6]) != "070701" {
			t.Fatalf("offset %d: magic %q", off, b[off:off+6])
		}
		mode, size, namesize := field(1), field(6), field(11)
		name := string(b[off+110 : off+110+namesize-1])
		off += (110 + namesize + 3) &^ 3
		if name == "TRAILER!!!" {
			if off != len(b) {
				t.Errorf("%d bytes after the trailer", len(b)-off)
			}
			return out
		}
		out = append(out, cpioRecord{name, string(b[off : off+size]), uint32(mode)})
		off += (size + 3) &^ 3
	}
}

func TestInitramfs(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "hello")
	if err := os.WriteFile(src, []byte("hello!"), 0o750); err != nil {
		t.Fatal(err)
	}
	tree := filepath.Join(dir, "tree")
	for _, f := range []string{"a/keep.py", "a/test/skip.py", "b.txt"} {
		os.MkdirAll(filepath.Dir(filepath.Join(tree, f)), 0o755)
		os.WriteFile(filepath.Join(tree, f), []byte(f), 0o644)
	}
	os.Symlink("b.txt", filepath.Join(tree, "link"))
	os.Symlink("nowhere", filepath.Join(tree, "dangling"))

	img := newInitramfs()
	img.File("/init", 0o755, []byte("#!/bin/sh\n"))
	img.Symlink("bin", "usr/bin")
	if err := img.Copy("usr/bin/hello", src); err != nil {
		t.Fatal(err)
	}
	img.File("usr/bin/hello2", 0o644, []byte("x"))
	img.File("usr/bin/hello2", 0o600, []byte("replaced"))
	if err := img.AddTree("t", tree, func(rel string, dir bool) bool { return dir && filepath.Base(rel) == "test" }); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := img.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteTo: %d, %v (buffer %d)", n, err, buf.Len())
	}
	var got []string
	for _, r := range readNewc(t, buf.Bytes()) {
		got = append(got, fmt.Sprintf("%s %o %q", r.name, r.mode, r.data))
	}
	want := []string{
		`bin 120777 "usr/bin"`,
		`init 100755 "#!/bin/sh\n"`,
		`t 40755 ""`,
		`t/a 40755 ""`,
		`t/a/keep.py 100644 "a/keep.py"`,
		`t/b.txt 100644 "b.txt"`,
		`t/link 100644 "b.txt"`, // links are followed, dangling ones left out
		`usr 40755 ""`,
		`usr/bin 40755 ""`,
		`usr/bin/hello 100750 "hello!"`,
		`usr/bin/hello2 100600 "replaced"`,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("archive:\n%v\nwant:\n%v", got, want)
	}
}

func TestMergedUsr(t *testing.T) {
	for in, want := range map[string]string{
		"/bin/true":                   "usr/bin/true",
		"sbin/poweroff":               "usr/sbin/poweroff",
		"/lib64/ld-linux-x86-64.so.2": "usr/lib64/ld-linux-x86-64.so.2",
		"/usr/lib/python3.11/os.py":   "usr/lib/python3.11/os.py",
		"/library/x":                  "library/x",
	} {
		if got := mergedUsr(in); got != want {
			t.Errorf("mergedUsr(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestSkipPython(t *testing.T) {
	for rel, want := range map[string]bool{
		"os.py":                        false,
		"multiprocessing":              false,
		"test":                         true,
		"__pycache__":                  true,
		"config-3.11-x86_64-linux-gnu": true,
		"lib-dynload/_ctypes.cpython-311-x86_64-linux-gnu.so":      false,
		"lib-dynload/_testcapi.cpython-311-x86_64-linux-gnu.so":    true,
		"lib-dynload/_sqlite3.cpython-311-x86_64-linux-gnu.so":     true,
		"lib-dynload/xxlimited_35.cpython-311-x86_64-linux-gnu.so": true,
		"json/__init__.pyc": true,
	} {
		dir := !strings.Contains(filepath.Base(rel), ".py") && !strings.HasSuffix(rel, ".so")
		if got := skipPython(rel, dir); got != want {
			t.Errorf("skipPython(%s) = %v, want %v", rel, got, want)
		}
	}
}
