//go:build linux

package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestResultJSONKeepsTheFlatKeys reads the published results into a Result
// and writes them back: every key, in its order, with its value, and no key
// of Ratio's own.
func TestResultJSONKeepsTheFlatKeys(t *testing.T) {
	docs, _ := filepath.Glob("../../docs/bench-*.json")
	if len(docs) == 0 {
		t.Fatal("no docs/bench-*.json")
	}
	for _, doc := range docs {
		raw, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		var r Result
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		var flat map[string]json.RawMessage
		json.Unmarshal(raw, &flat)
		var low float64
		json.Unmarshal(flat["syscall_ratio_ci_low"], &low)
		if r.SyscallRatio.Low != low || low == 0 {
			t.Errorf("%s: syscall_ratio_ci_low %v read as %v", doc, low, r.SyscallRatio.Low)
		}
		out, err := json.Marshal(&r)
		if err != nil {
			t.Fatal(err)
		}
		in, err := objectFields(bytes.TrimSpace(raw))
		if err != nil {
			t.Fatal(err)
		}
		written, err := objectFields(out)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		values := map[string]json.RawMessage{}
		for _, f := range written {
			keys = append(keys, f.key)
			values[f.key] = f.value
			if slices.Contains(ratioKeys, f.key) {
				t.Errorf("%s: key %q written nested", doc, f.key)
			}
		}
		at := -1
		for _, f := range in {
			i := slices.Index(keys, f.key)
			if i < 0 {
				t.Errorf("%s: %q not written back", doc, f.key)
				continue
			}
			if i < at {
				t.Errorf("%s: %q written out of order", doc, f.key)
			}
			at = i
			if !jsonEqual(f.value, values[f.key]) {
				t.Errorf("%s: %q = %s, written as %s", doc, f.key, f.value, values[f.key])
			}
		}
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xs, _ := json.Marshal(x)
	ys, _ := json.Marshal(y)
	return bytes.Equal(xs, ys)
}

func TestRatioKeys(t *testing.T) {
	want := []string{"ratio", "exact_ratio", "record_ratio", "rounds_ratio", "cpu_ratio", "syscall_ratio", "exact_syscall_ratio"}
	if !slices.Equal(ratioKeys, want) {
		t.Errorf("ratio keys %v, want %v", ratioKeys, want)
	}
}
