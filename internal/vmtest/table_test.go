package vmtest

import (
	"strings"
	"testing"
	"time"
)

func TestRenderTable(t *testing.T) {
	ks, err := ParseKernels(strings.NewReader(`
6.1  bookworm-security 6.1 linux-image-6.1.0-56-cloud-amd64 6.1.192-2 pass
sid  sid               *   linux-binary-7.2.13+deb14-cloud-amd64 7.2.13-1 pass
5.10 bullseye-security 5.10 linux-image-5.10.0-46-cloud-amd64 5.10.262-1 unsupported
`))
	if err != nil {
		t.Fatal(err)
	}
	green := cell{State: cellPass, Text: "2/2"}
	rows := []Row{
		{
			Kernel:  ks[0],
			Package: aptEntry{"linux-image-6.1.0-57-cloud-amd64", "6.1.192-3", "bookworm-security"},
			Release: "6.1.0-57-cloud-amd64",
			Cells:   [numColumns]cell{green, green, green, {State: cellFail, Text: "0/1", Detail: "TestStacks: opening tracer:\n  rejected"}, green, {State: cellNotRun, Text: "—"}},
			Seconds: 212.4,
			Log:     "/cache/logs/x/6.1.log",
			Notes:   []string{"pinned linux-image-6.1.0-56-cloud-amd64=6.1.192-2 is gone"},
		},
		{Kernel: ks[1], Package: aptEntry{"linux-binary-7.2.13+deb14-cloud-amd64", "7.2.13-1", "sid"}, Cells: [numColumns]cell{green, green, green, green, green, green, green}, Seconds: 9},
		{Kernel: ks[2], Package: aptEntry{"linux-image-5.10.0-46-cloud-amd64", "5.10.262-1", "bullseye-security"},
			Cells: [numColumns]cell{{State: cellFail, Text: "0/2", Detail: "light: rejected"}, {State: cellFail, Text: "not run", Detail: "not run"}, {State: cellFail, Text: "not run", Detail: "not run"}, green, green, green}},
	}
	got := RenderTable(rows, 250*time.Second)
	for _, want := range []string{
		"| kernel | package version | loads | light | exact | stacks | scenarios | storm | doctor | seconds |\n|---|---|---|---|---|---|---|---|---|---:|\n",
		"| 6.1 | 6.1.192-3 (not the pinned) | ✅ 2/2 | ✅ 2/2 | ✅ 2/2 | ❌ 0/1 | ✅ 2/2 | — | — | 212 |\n",
		"| sid | 7.2.13-1 | ✅ 2/2 | ✅ 2/2 | ✅ 2/2 | ✅ 2/2 | ✅ 2/2 | ✅ 2/2 | ✅ 2/2 | 9 |\n",
		"| 5.10 (unsupported) | 5.10.262-1 | ❌ 0/2 | ❌ not run | ❌ not run |",
		"- 6.1 stacks: TestStacks: opening tracer: rejected\n",
		"- 5.10 light, exact (expected: unsupported): not run\n",
		"- 6.1: pinned linux-image-6.1.0-56-cloud-amd64=6.1.192-2 is gone\n",
		"6.1: linux-image-6.1.0-57-cloud-amd64 (6.1.0-57-cloud-amd64), log /cache/logs/x/6.1.log\n",
		"matrix: 3 kernels in 250 s\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
	if !rows[0].FailsMatrix() || rows[1].FailsMatrix() || rows[2].FailsMatrix() || !rows[2].Red() {
		t.Error("only the red row expected to pass fails the matrix")
	}
}

func TestShorten(t *testing.T) {
	if got := shorten("a\n  b\tc", 10); got != "a b c" {
		t.Errorf("shorten = %q", got)
	}
	if got := shorten("ééé", 3); got != "é…" {
		t.Errorf("shorten cuts inside a rune: %q", got)
	}
}
