package flame

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// foldedFrame makes a frame name safe for a folded line: ';' separates
// frames, so it becomes ':'; line breaks and other control characters are
// already gone (cleanName).
func foldedFrame(s string) string {
	return strings.ReplaceAll(cleanName(s), ";", ":")
}

// WriteFolded writes Brendan Gregg's folded stack format, one line per
// distinct stack, root first: "systemd 1;sshd 800;python3 4242;sleep 4250 12345".
// The value is the zombie time in nanoseconds (WeightTime) or the number of
// zombies (WeightCount). Identical stacks are merged, lines are sorted by
// stack, and stacks whose value is 0 are left out (they would draw nothing).
// The output is readable by flamegraph.pl, inferno and speedscope.
func WriteFolded(w io.Writer, samples []Sample, weight Weight) error {
	if !weight.valid() {
		return fmt.Errorf("flame: unknown weight %v", weight)
	}
	merged := make(map[string]uint64, len(samples))
	for _, s := range samples {
		v := s.ZombieNS
		if weight == WeightCount {
			v = s.count()
		}
		var key string
		if len(s.Frames) == 0 {
			key = UnknownFrame
		} else {
			parts := make([]string, len(s.Frames))
			for i, f := range s.Frames {
				parts[i] = foldedFrame(f)
			}
			key = strings.Join(parts, ";")
		}
		merged[key] = addSat(merged[key], v)
	}
	keys := make([]string, 0, len(merged))
	for k, v := range merged {
		if v > 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	bw := bufio.NewWriter(w)
	var num []byte
	for _, k := range keys {
		bw.WriteString(k)
		bw.WriteByte(' ')
		num = strconv.AppendUint(num[:0], merged[k], 10)
		bw.Write(num)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}
