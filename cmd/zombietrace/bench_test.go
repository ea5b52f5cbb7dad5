package main

import (
	"strings"
	"testing"

	"github.com/zombietrace/zombietrace/bench"
)

func TestPrintExecLoopBesideTheStorm(t *testing.T) {
	r := &bench.Result{
		ProgNS:                 map[string]float64{"handle_exec": 409, "handle_signal": 244},
		ExecLoopProgNS:         map[string]float64{"handle_exec": 409, "handle_signal": 381},
		ExecLoopEmptyProgNS:    78,
		BpftraceExecLoopProgNS: map[string]float64{"sched_process_e": 638},
	}
	var out strings.Builder
	printExecLoop(&out, r)
	got := out.String()
	for _, want := range []string{
		"an empty program on sched_process_exec: 78 ns",
		"handle_signal  381        244",
		"handle_exec    409        -", // exec's storm cost is the loop's own
		"bpftrace sched_process_e  638",
	} {
		if !strings.Contains(strings.Join(strings.Fields(got), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}

	out.Reset()
	printExecLoop(&out, &bench.Result{})
	if out.Len() != 0 {
		t.Errorf("no exec loop measured, yet printed:\n%s", out.String())
	}
}
