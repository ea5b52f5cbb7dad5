package report

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"

	"github.com/zombietrace/zombietrace/events"
	"github.com/zombietrace/zombietrace/output"
)

// ZombieTimes collects, during the replay, the zombie time of every reap
// the report keeps, for the summary's histogram. Autoreaps are left out:
// nobody owed their wait.
type ZombieTimes []uint64

// Record is Load's each callback.
func (z *ZombieTimes) Record(r *Replay, rec *events.Record) {
	if rec.Type == events.RecordReap && rec.ReapedBy != events.ReapedByAutoreap && r.Keep(rec) {
		*z = append(*z, rec.ZombieNS)
	}
}

// Verify checks that the summary recomputed from the recording equals the
// one the recorder computed live (report --verify). The recorder's summary
// is of every process: a recording's --comm filter is for the views, not
// for what is checked.
func Verify(r *Replay) error {
	switch {
	case r.Reader.Summary == nil:
		return fmt.Errorf("%s holds no stored summary (the recorder did not end cleanly)", r.Name)
	case !r.Whole():
		return errors.New("only the whole recording can be checked (no --from, --to or --pid, no damage)")
	case !reflect.DeepEqual(r.Engine.Summary(r.End), r.Reader.Summary.Summary):
		return errors.New("the recomputed summary differs from the recorder's")
	}
	return nil
}

// WriteSummaryText writes the summary view: the window, the summary
// tables of the live view, and the histogram of the zombie times.
func WriteSummaryText(w io.Writer, r *Replay, zombieNS ZombieTimes) error {
	sum := r.Summary()
	err := WriteWindow(w, r)
	tw := output.NewTextWriter(w, r.Clock, false)
	tw.Summary(&sum)
	if ferr := tw.Flush(); err == nil {
		err = ferr
	}
	if herr := WriteHistogram(w, zombieNS); err == nil {
		err = herr
	}
	return err
}

// WriteSummaryJSON writes the summary as the summary line of trace --json.
func WriteSummaryJSON(w io.Writer, r *Replay) error {
	sum := r.Summary()
	jw := output.NewJSONWriter(w, r.Clock)
	jw.Summary(&sum)
	return jw.Flush()
}

// WriteHistogram shows the zombie times in decades with p50/p90/p99/max.
// It sorts ns.
func WriteHistogram(w io.Writer, ns []uint64) error {
	fmt.Fprintf(w, "\nZOMBIE TIME HISTOGRAM (%d reaps)\n", len(ns))
	if len(ns) == 0 {
		return nil
	}
	sort.Slice(ns, func(i, j int) bool { return ns[i] < ns[j] })
	q := func(p float64) uint64 {
		i := int(p*float64(len(ns))+0.999999) - 1
		if i < 0 {
			i = 0
		}
		return ns[i]
	}
	edges := []uint64{1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11}
	labels := []string{"< 1us", "1-10us", "10-100us", "0.1-1ms", "1-10ms", "10-100ms", "0.1-1s", "1-10s", "10-100s", ">= 100s"}
	counts := make([]int, len(labels))
	for _, v := range ns {
		i := sort.Search(len(edges), func(i int) bool { return v < edges[i] })
		counts[i]++
	}
	maxc := 0
	for _, c := range counts {
		maxc = max(maxc, c)
	}
	for i, c := range counts {
		if c == 0 {
			continue
		}
		fmt.Fprintf(w, "  %-9s %8d %s\n", labels[i], c, strings.Repeat("#", (c*40+maxc-1)/maxc))
	}
	_, err := fmt.Fprintf(w, "  p50 %s  p90 %s  p99 %s  max %s\n", output.Dur(q(0.5)), output.Dur(q(0.9)), output.Dur(q(0.99)), output.Dur(ns[len(ns)-1]))
	return err
}
