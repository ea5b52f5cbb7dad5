// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Constants, the compat object's switches and what Go sets before load.
 * Part of zombietrace.bpf.c's one compilation unit: included once, in order.
 */
#pragma once

#include "consts.h"

/*
 * ZT_COMPAT builds the compat object (gen.go), for kernels without BPF
 * atomics (5.12), bpf_get_current_task_btf (5.11) or bpf_task_pt_regs (5.15):
 * every record through the BPF ring buffer, current read with probe reads,
 * and the wait syscalls' arguments kept at their entry. 5.10's verifier
 * refuses a compare-and-swap even in dead code (a pass over every
 * instruction), so the rings' code must not be in these programs at all.
 */
#ifdef ZT_COMPAT
#define use_ringbuf() 1
/* current is a plain number here: its fields by probe reads */
#define TREAD(src, ...) BPF_CORE_READ(src, __VA_ARGS__)
#define current_task() ((struct task_struct *)bpf_get_current_task())
#else
#define use_ringbuf() ringbuf_transport
/* a typed pointer: direct loads */
#define TREAD(src, ...) ___arrow(src, __VA_ARGS__)
#define current_task() bpf_get_current_task_btf()
#endif

/* Set from Go before load. */
const volatile __u32 filter_enabled = 0; /* 1: only followed processes */
const volatile __u32 all_exits = 0;      /* 1: an exit event for every process */
const volatile __u32 capture_stacks = 0; /* 1: the forking thread's user stack (--stacks) */
const volatile __u64 ring_size = 1;      /* slots per CPU ring, a power of two */
/* 1: every record through the BPF ring buffer (no BPF atomics). Dead code
 * to 5.12+ verifiers; 5.10 refuses the compare-and-swap in a pass over all
 * instructions, reachable or not: it needs programs built without it. */
const volatile __u32 ringbuf_transport = 0;

/*
 * Kfuncs are weak: a program that calls one is loaded only where the kernel
 * has it (Go checks the kernel's BTF; see tracer/variants.go). 6.2+:
 * bpf_rdonly_cast, bpf_task_from_pid, bpf_task_release; 6.13+:
 * bpf_task_from_vpid (looked for with bpf_ksym_exists).
 */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;
extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym __weak;
extern struct task_struct *bpf_task_from_vpid(s32 vpid) __ksym __weak;
extern void bpf_task_release(struct task_struct *p) __ksym __weak;

/* libbpf's bpf_helpers.h has it from 1.2 on; Debian 12 ships 1.1. */
#ifndef bpf_ksym_exists
#define bpf_ksym_exists(sym)                                                                    \
	({                                                                                      \
		_Static_assert(!__builtin_constant_p(!!sym), #sym " should be marked as __weak"); \
		!!sym;                                                                          \
	})
#endif
