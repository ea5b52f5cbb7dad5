//go:build linux

// Package doctor renders what tracer.Diagnose found: for a person, or as
// JSON for a bug report and for the kernel matrix's checks.
package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/zombietrace/zombietrace/tracer"
)

// WriteJSON writes d as one indented JSON object.
func WriteJSON(w io.Writer, d *tracer.Diagnosis) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

// WriteText writes d for a person: the verdict first, then each finding.
func WriteText(w io.Writer, d *tracer.Diagnosis) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	verdict := "tracing works on this kernel"
	if len(d.Problems) > 0 {
		verdict = "tracing will NOT work: " + strings.Join(d.Problems, "; ")
	}
	fmt.Fprintf(tw, "zombietrace doctor: %s\n\n", verdict)
	fmt.Fprintf(tw, "kernel\t%s (%s, %s)\n", d.Kernel, d.Machine, d.Version)
	fmt.Fprintf(tw, "BTF\t%s %s\n", mark(d.BTF.OK), d.BTF.Detail)
	fmt.Fprintf(tw, "privileges\t%s %s\n", mark(d.Privileges.OK), d.Privileges.Detail)
	if d.Memlock.Detail != "" {
		fmt.Fprintf(tw, "memlock\tok %s\n", d.Memlock.Detail)
	}
	fmt.Fprintf(tw, "tracefs\t%s %s\n", mark(d.Tracefs.OK), d.Tracefs.Detail)
	fmt.Fprintf(tw, "pid_max\t%d\n", d.PidMax)
	fmt.Fprintf(tw, "pids\t%s\n", d.Pids.Detail)
	if d.Object.Name != "" {
		fmt.Fprintf(tw, "object\t%s: %s\n", d.Object.Name, d.Object.Why)
		fmt.Fprintf(tw, "default object\t%s %s\n", mark(d.DefaultObject.OK), d.DefaultObject.Detail)
		fmt.Fprintf(tw, "iterators\t%s %s\n", mark(d.Iterators.OK), d.Iterators.Detail)
	}
	if d.Transport.Name != "" {
		fmt.Fprintf(tw, "transport\t%s: %s\n", d.Transport.Name, d.Transport.Why)
		fmt.Fprintf(tw, "wait mode\t%s: %s\n", d.WaitMode.Name, d.WaitMode.Why)
	}
	if len(d.Features) > 0 {
		names := make([]string, 0, len(d.Features))
		for f := range d.Features {
			names = append(names, f)
		}
		sort.Strings(names)
		for _, f := range names {
			fmt.Fprintf(tw, "feature\t%s %s\n", mark(d.Features[f]), f)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(d.Hooks) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "HOOK\tWHEN\tPROGRAM\tLOADS\tUSED\tWHY NOT\n")
	for _, h := range d.Hooks {
		for _, v := range h.Variants {
			used := ""
			if v.Program == h.Chosen {
				used = "yes"
			}
			why := v.Error
			if len(v.Missing) > 0 {
				why = strings.TrimSpace("kernel lacks " + strings.Join(v.Missing, ", ") + "; " + why)
				why = strings.TrimSuffix(why, ";")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", h.Hook, h.When, v.Program, mark(v.Loads), used, why)
		}
	}
	return tw.Flush()
}

func mark(ok bool) string {
	if ok {
		return "ok"
	}
	return "NO"
}
