package vmtest

import (
	"strings"
	"testing"
)

func TestPinnedKernelsParse(t *testing.T) {
	ks, err := PinnedKernels()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"6.1": false, "6.12": false, "sid": false}
	for _, k := range ks {
		if _, ok := want[k.Name]; ok {
			want[k.Name] = true
			if k.Expect != ExpectPass {
				t.Errorf("%s: expect %q, want pass", k.Name, k.Expect)
			}
		}
	}
	for name, found := range want {
		if !found {
			t.Errorf("kernel %s is not pinned", name)
		}
	}
}

func TestParseKernels(t *testing.T) {
	ks, err := ParseKernels(strings.NewReader(`
# comment
6.1   bookworm-security 6.1 linux-image-6.1.0-57-cloud-amd64 6.1.192-3 pass   # trailing comment
sid	sid	*	linux-binary-7.2.13+deb14-cloud-amd64	7.2.13-1	unsupported
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Kernel{
		{"6.1", "bookworm-security", "6.1", "linux-image-6.1.0-57-cloud-amd64", "6.1.192-3", ExpectPass},
		{"sid", "sid", "*", "linux-binary-7.2.13+deb14-cloud-amd64", "7.2.13-1", ExpectUnsupported},
	}
	if len(ks) != len(want) {
		t.Fatalf("got %+v", ks)
	}
	for i := range want {
		if ks[i] != want[i] {
			t.Errorf("kernel %d: %+v, want %+v", i, ks[i], want[i])
		}
	}
	if k, err := SelectKernel(ks, "sid"); err != nil || k.Name != "sid" {
		t.Errorf("SelectKernel(sid) = %+v, %v", k, err)
	}
	if _, err := SelectKernel(ks, "7.0"); err == nil || !strings.Contains(err.Error(), "6.1, sid") {
		t.Errorf("SelectKernel(7.0) error %v, want one naming the kernels", err)
	}
}

func TestParseKernelsErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"", "no kernels"},
		{"6.1 bookworm 6.1 linux-image-x 1", "5 columns"},
		{"6.1 bookworm 6 linux-image-x 1 pass", `line "6"`},
		{"6.1 bookworm 6.1 linux-headers-x 1 pass", "not a linux-image"},
		{"6.1 bookworm 6.1 linux-image-x 1 maybe", `expect "maybe"`},
		{"6.1 bookworm 6.1 linux-image-x 1 pass\n6.1 sid * linux-image-y 2 pass", "used twice"},
		{"-x bookworm 6.1 linux-image-x 1 pass", "bad name"},
	} {
		_, err := ParseKernels(strings.NewReader(tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one with %q", tc.text, err, tc.want)
		}
	}
}
