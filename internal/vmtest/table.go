package vmtest

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Row is one kernel's line of the matrix.
type Row struct {
	Kernel  Kernel
	Package aptEntry // what was booted: the pinned package or the newest of its line
	Release string   // the guest's uname -r
	Cells   [numColumns]cell
	Seconds float64 // qemu's wall-clock time, retries included
	Log     string  // the guest's console
	Notes   []string
}

// Red says whether any cell of the row is red.
func (r Row) Red() bool {
	for _, c := range r.Cells {
		if c.State == cellFail {
			return true
		}
	}
	return false
}

// FailsMatrix says whether the row fails the run: red where green is
// expected.
func (r Row) FailsMatrix() bool {
	return r.Kernel.Expect == ExpectPass && r.Red()
}

func (c cell) String() string {
	switch c.State {
	case cellPass:
		return "✅ " + c.Text
	case cellFail:
		return "❌ " + c.Text
	}
	return "—"
}

const maxDetail = 400

// RenderTable is the Markdown report: the table, then why each red cell
// is red, the notes, and where the logs are.
func RenderTable(rows []Row, total time.Duration) string {
	var b strings.Builder
	b.WriteString("| kernel | package version |")
	for _, name := range columnNames {
		b.WriteString(" " + name + " |")
	}
	b.WriteString(" seconds |\n|---|---|")
	for range columnNames {
		b.WriteString("---|")
	}
	b.WriteString("---:|\n")
	for _, r := range rows {
		name := r.Kernel.Name
		if r.Kernel.Expect == ExpectUnsupported {
			name += " (unsupported)"
		}
		version := r.Package.Version
		if version == "" {
			version = r.Kernel.Version
		}
		if r.Package.Package != "" && r.Package.Package != r.Kernel.Package {
			version += " (not the pinned)"
		}
		fmt.Fprintf(&b, "| %s | %s |", name, version)
		for _, c := range r.Cells {
			fmt.Fprintf(&b, " %s |", c)
		}
		fmt.Fprintf(&b, " %.0f |\n", r.Seconds)
	}

	var details []string
	for _, r := range rows {
		expected := ""
		if r.Kernel.Expect == ExpectUnsupported {
			expected = " (expected: unsupported)"
		}
		// Columns red for the same reason share a line.
		var reasons []string
		columns := map[string][]string{}
		for i, c := range r.Cells {
			if c.State != cellFail {
				continue
			}
			why := shorten(c.Detail, maxDetail)
			if columns[why] == nil {
				reasons = append(reasons, why)
			}
			columns[why] = append(columns[why], columnNames[i])
		}
		for _, why := range reasons {
			details = append(details, fmt.Sprintf("- %s %s%s: %s", r.Kernel.Name, strings.Join(columns[why], ", "), expected, why))
		}
		if r.Kernel.Expect == ExpectUnsupported && !r.Red() {
			details = append(details, fmt.Sprintf("- %s: every cell is green: mark it \"pass\" in kernels.tsv", r.Kernel.Name))
		}
	}
	if len(details) > 0 {
		b.WriteString("\nRed cells:\n" + strings.Join(details, "\n") + "\n")
	}
	var notes []string
	for _, r := range rows {
		for _, n := range r.Notes {
			notes = append(notes, fmt.Sprintf("- %s: %s", r.Kernel.Name, n))
		}
	}
	if len(notes) > 0 {
		b.WriteString("\nNotes:\n" + strings.Join(notes, "\n") + "\n")
	}
	b.WriteString("\n")
	for _, r := range rows {
		if r.Log != "" {
			fmt.Fprintf(&b, "%s: %s (%s), log %s\n", r.Kernel.Name, r.Package.Package, firstNonEmpty(r.Release, "not booted"), r.Log)
		}
	}
	fmt.Fprintf(&b, "matrix: %d kernels in %.0f s\n", len(rows), total.Seconds())
	return b.String()
}

// shorten keeps s on one line and at most n bytes.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
