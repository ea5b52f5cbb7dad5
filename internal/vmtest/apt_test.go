package vmtest

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

const madison = `linux-image-6.1.0-56-cloud-amd64 |  6.1.192-2 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
linux-image-6.1.0-57-cloud-amd64 |  6.1.192-3 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
linux-image-6.1.0-47-cloud-amd64 |  6.1.170-3 | http://deb.debian.org/debian bookworm/main amd64 Packages
linux-image-6.1-cloud-amd64 | 6.1.200-1 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
linux-image-6.12.95+deb12-cloud-amd64 | 6.12.95-1~bpo12+1 | http://deb.debian.org/debian bookworm-backports/main amd64 Packages
linux-image-6.12.100+deb12-cloud-amd64 | 6.12.100-1~deb12u1 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
linux-image-6.12.118+deb12-cloud-amd64 | 6.12.118-1~deb12u1 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
linux-image-7.3.1+deb14-cloud-amd64 |   7.3.1-1 | http://deb.debian.org/debian sid/main amd64 Packages
linux-binary-unsigned-7.3.1+deb14-cloud-amd64 |   7.3.1-1 | http://deb.debian.org/debian sid/main amd64 Packages
linux-binary-7.3.1+deb14-cloud-amd64 |   7.3.1-1 | http://deb.debian.org/debian sid/main amd64 Packages
linux-binary-7.2.14+deb14-cloud-amd64 |   7.2.14-1 | http://deb.debian.org/debian sid/main amd64 Packages
not a madison line
`

func TestParseMadison(t *testing.T) {
	es := parseMadison(madison)
	if len(es) != 11 {
		t.Fatalf("%d entries, want 11: %+v", len(es), es)
	}
	want := aptEntry{"linux-image-6.12.95+deb12-cloud-amd64", "6.12.95-1~bpo12+1", "bookworm-backports"}
	if es[4] != want {
		t.Errorf("entry 4 = %+v, want %+v", es[4], want)
	}
}

func TestNewestOfLine(t *testing.T) {
	es := parseMadison(madison)
	for _, tc := range []struct {
		k    Kernel
		want string // package=version, "" for none
	}{
		// Gone pins: the newest of the line, in the pin's suite.
		{Kernel{Suite: "bookworm-security", Line: "6.1", Package: "linux-image-6.1.0-50-cloud-amd64"}, "linux-image-6.1.0-57-cloud-amd64=6.1.192-3"},
		{Kernel{Suite: "bookworm", Line: "6.1", Package: "linux-image-6.1.0-40-cloud-amd64"}, "linux-image-6.1.0-47-cloud-amd64=6.1.170-3"},
		{Kernel{Suite: "bookworm-security", Line: "6.12", Package: "linux-image-6.12.90+deb12-cloud-amd64"}, "linux-image-6.12.118+deb12-cloud-amd64=6.12.118-1~deb12u1"},
		{Kernel{Suite: "bookworm-backports", Line: "6.12", Package: "linux-image-6.12.90+deb12-cloud-amd64"}, "linux-image-6.12.95+deb12-cloud-amd64=6.12.95-1~bpo12+1"},
		// sid: the newest of any line, of the pinned kind (linux-binary).
		{Kernel{Suite: "sid", Line: "*", Package: "linux-binary-7.2.13+deb14-cloud-amd64"}, "linux-binary-7.3.1+deb14-cloud-amd64=7.3.1-1"},
		{Kernel{Suite: "sid", Line: "7.2", Package: "linux-binary-7.2.13+deb14-cloud-amd64"}, "linux-binary-7.2.14+deb14-cloud-amd64=7.2.14-1"},
		{Kernel{Suite: "bullseye-security", Line: "5.10", Package: "linux-image-5.10.0-46-cloud-amd64"}, ""},
	} {
		e, ok := newestOfLine(es, tc.k)
		got := ""
		if ok {
			got = e.Package + "=" + e.Version
		}
		if got != tc.want {
			t.Errorf("%s line %s: %q, want %q", tc.k.Suite, tc.k.Line, got, tc.want)
		}
	}
}

func TestKernelRelease(t *testing.T) {
	for pkg, want := range map[string]string{
		"linux-image-6.1.0-57-cloud-amd64":               "6.1.0-57",
		"linux-binary-7.2.13+deb14-cloud-amd64":          "7.2.13+deb14",
		"linux-image-6.12-cloud-amd64":                   "", // meta package
		"linux-binary-unsigned-7.2.13+deb14-cloud-amd64": "",
		"linux-image-6.1.0-57-cloud-amd64-dbg":           "",
		"linux-image-6.1.0-57-amd64":                     "",
	} {
		if _, got := kernelRelease(pkg); got != want {
			t.Errorf("kernelRelease(%s) = %q, want %q", pkg, got, want)
		}
	}
}

func TestSourcesList(t *testing.T) {
	got := sourcesList([]string{"bookworm-security", "sid"})
	want := "deb http://deb.debian.org/debian-security bookworm-security main\ndeb http://deb.debian.org/debian sid main\n"
	if got != want {
		t.Errorf("sources.list:\n%s\nwant:\n%s", got, want)
	}
}

func TestCopyVmlinuz(t *testing.T) {
	for _, name := range []string{"./boot/vmlinuz-6.1.0-57-cloud-amd64", "./usr/lib/modules/7.2.13+deb14-cloud-amd64/vmlinuz"} {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, f := range []struct{ name, data string }{
			{"./boot/config-6.1.0-57-cloud-amd64", "config"},
			{name, "kernel"},
		} {
			tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg})
			tw.Write([]byte(f.data))
		}
		tw.Close()
		dst := filepath.Join(t.TempDir(), "vmlinuz")
		found, err := copyVmlinuz(&buf, dst)
		if err != nil || !found {
			t.Fatalf("%s: found %v, %v", name, found, err)
		}
		if b, _ := os.ReadFile(dst); string(b) != "kernel" {
			t.Errorf("%s: copied %q", name, b)
		}
	}
	found, err := copyVmlinuz(bytes.NewReader(make([]byte, 1024)), filepath.Join(t.TempDir(), "v"))
	if found || err != nil {
		t.Errorf("empty archive: found %v, %v", found, err)
	}
}
