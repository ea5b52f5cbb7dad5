package zombietrace

//go:generate go tool bpf2go -tags linux -cc clang-14 -cflags "-O2 -g -Wall -Werror" -target amd64 -output-dir tracer -go-package tracer -type event -type exec_layout -type fork_stack_event -type ring_slot -type ring_pos -type follow_entry -type event_kind -type event_flag -type wait_syscall -type wait_target -type follow_flag -type counter zombietrace bpf/zombietrace.bpf.c -- -I. -Ibpf
