package zombietrace

//go:generate go tool bpf2go -tags linux -cc clang-14 -cflags "-O2 -g -Wall -Werror" -target amd64 -output-dir tracer -go-package tracer -type event -type exec_layout -type fork_stack_event -type ring_slot -type ring_pos -type follow_entry -type event_kind -type event_flag -type wait_syscall -type wait_target -type follow_flag -type counter zombietrace bpf/zombietrace.bpf.c -- -I. -Ibpf

// The compat object (kernels without BPF atomics, bpf_get_current_task_btf or
// bpf_task_pt_regs: tracer/variants.go); its types are the ones above.
//go:generate go tool bpf2go -tags linux -cc clang-14 -cflags "-O2 -g -Wall -Werror -DZT_COMPAT" -target amd64 -output-dir tracer -go-package tracer -output-stem zombietrace_compat zombietraceCompat bpf/zombietrace.bpf.c -- -I. -Ibpf

// The task iterators alone (bpf/iter.h), for the one-shot commands: a small
// object loads faster than the whole one (docs/performance.md, ps).
//go:generate go tool bpf2go -tags linux -cc clang-14 -cflags "-O2 -g -Wall -Werror" -target amd64 -output-dir tracer -go-package tracer -output-stem zombietrace_iters zombietraceIters bpf/iters.bpf.c -- -I. -Ibpf

// The benchmark's floors (internal/bench): what each program cannot avoid on
// its hook, through the tracer's transport, read by the tracer's ring reader.
//go:generate go tool bpf2go -tags linux -cc clang-14 -cflags "-O2 -g -Wall -Werror" -target amd64 -output-dir tracer -go-package tracer -output-stem zombietrace_floors zombietraceFloors bpf/floors.bpf.c -- -I. -Ibpf
