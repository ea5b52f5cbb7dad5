// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A wait syscall's number and arguments: x86-64 registers, or (compat) what its entry kept.
 * Part of zombietrace.bpf.c's one compilation unit: included once, in order.
 */
#pragma once

/* A wait syscall's number and first four arguments. */
struct wait_call {
	__u64 nr;
	__u64 args[4];
};

#ifdef ZT_COMPAT
/* The compat object's waits in progress, by thread id, from the syscall's
 * entry to its exit. LRU: an entry whose exit went unseen (the programs
 * detached in between) ages out instead of filling the map. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct wait_call);
} wait_calls SEC(".maps");
#endif

/*
 * The syscall cur is in, its number and first four arguments (x86-64's
 * registers). 5.15+: the registers it saved on entry, which stay until it
 * returns to user mode, asked of the kernel every time: caching task_pt_regs
 * - task->stack is pointer arithmetic that not every verifier accepts
 * (Debian's 6.12 refuses it). The compat object: what the wait's entry
 * program kept; nr 0 when there is nothing (a wait that began before
 * tracing, or not a wait syscall: an in-kernel waiter).
 */
static __always_inline void wait_call_of(struct task_struct *cur, struct wait_call *wc)
{
#ifdef ZT_COMPAT
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct wait_call *c = bpf_map_lookup_elem(&wait_calls, &tid);
	if (c)
		*wc = *c;
	else
		wc->nr = 0;
#else
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(cur);
	wc->nr = regs->orig_ax;
	wc->args[0] = regs->di;
	wc->args[1] = regs->si;
	wc->args[2] = regs->dx;
	wc->args[3] = regs->r10;
#endif
}

/*
 * The head of the siginfo_t a waitid fills in user memory (x86-64 user ABI,
 * what glibc's siginfo_t lays out): which child, how it ended. Read as
 * user memory, so not through vmlinux.h's kernel types, which CO-RE would
 * relocate against the kernel's layout.
 */
struct user_siginfo_chld {
	__s32 signo;
	__s32 errno_;
	__s32 code;
	__s32 pad; /* the union is 8-aligned */
	__u32 pid;
	__u32 uid;
	__s32 status;
};
