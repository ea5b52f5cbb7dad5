// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The SIGCHLD notification: its siginfo, and which of the receiver's threads are in their wait.
 * Part of zombietrace.bpf.c's one compilation unit: included once, in order.
 */
#pragma once

/* The fields of a SIGCHLD's siginfo that say which child and how it ended. */
struct chld_info {
	int code;
	__u32 pid;
	__s32 status;
};

/*
 * Reads info without a direct load: some kernels mark this argument a scalar
 * (it can be SEND_SIG_NOINFO or SEND_SIG_PRIV; btf.c's raw_tp_null_args), and
 * which ones differs by version and build. 6.2+: bpf_rdonly_cast makes
 * fault-safe loads of it (no helper call); before: one probe read.
 */
static __always_inline bool read_chld_info(struct kernel_siginfo *info, struct chld_info *ci,
					   bool kfuncs)
{
	if ((unsigned long)info <= 1) /* SEND_SIG_NOINFO, SEND_SIG_PRIV */
		return false;
	if (kfuncs) {
		struct kernel_siginfo *si =
			bpf_rdonly_cast(info, bpf_core_type_id_kernel(struct kernel_siginfo));
		ci->code = si->si_code;
		ci->pid = si->_sifields._sigchld._pid;
		ci->status = si->_sifields._sigchld._status;
		return true;
	}
	struct kernel_siginfo si;
	if (bpf_probe_read_kernel(&si, sizeof(si), info))
		return false;
	ci->code = si.si_code;
	ci->pid = si._sifields._sigchld._pid;
	ci->status = si._sifields._sigchld._status;
	return true;
}

#ifndef ZT_COMPAT /* light mode's list of waiters: not in the compat object */
/*
 * The word at addr, as a plain value. 6.2+: a fault-safe load through
 * bpf_rdonly_cast (pt_regs is a struct of words; a fault reads 0); before:
 * a probe read.
 */
static __always_inline __u64 read_word(__u64 addr, bool kfuncs)
{
	__u64 v = 0;
	if (kfuncs) {
		const __u64 *u = bpf_rdonly_cast((void *)addr, bpf_core_type_id_kernel(struct pt_regs));
		v = u[0];
	} else {
		bpf_probe_read_kernel(&v, sizeof(v), (void *)addr);
	}
	return v;
}

/*
 * The threads of t's process queued in do_wait now (signal->wait_chldexit,
 * which only waits join): up to two tids in e->waiters, FLAG_MORE_WAITERS
 * beyond (or when the list could not be read). A blocked wait whose thread is
 * not queued when a child becomes waitable has left its wait (a signal's
 * handler, a stop, the freezer): it does not collect the child then, its
 * next wait does. A queued waiter that a signal wakes still scans its
 * children once more before it leaves, so queued means it collects. The
 * list is walked as plain values (addresses compared, never pointers): the
 * head's own address is the first node's prev.
 */
static __always_inline void walk_waiters(__u64 head, struct event *e, bool kfuncs)
{
	__u64 node = read_word(head + bpf_core_field_offset(struct list_head, next), kfuncs);
	if (!node)
		return;
	__u64 self = read_word(node + bpf_core_field_offset(struct list_head, prev), kfuncs);
	e->flags |= FLAG_WAITERS;
	for (int i = 0; i < 2; i++) {
		if (node == self)
			return;
		__u64 entry = node - bpf_core_field_offset(struct wait_queue_entry, entry);
		__u64 task = read_word(entry + bpf_core_field_offset(struct wait_queue_entry, private), kfuncs);
		/* pid is an int: the low half of its word (little-endian) */
		__u32 tid = read_word(task + bpf_core_field_offset(struct task_struct, pid), kfuncs);
		node = read_word(node + bpf_core_field_offset(struct list_head, next), kfuncs);
		if (!task || !tid || !node)
			break; /* unreadable: any thread may be queued */
		e->waiters[i] = tid;
	}
	if (node != self)
		e->flags |= FLAG_MORE_WAITERS;
}

/*
 * The probe-read walk as a function of its own, verified once: inlined into
 * handle_signal_nokfunc it multiplied the paths 6.1's verifier explores
 * past its million-instruction limit. Its arguments are plain values and
 * memory (a global function's verifier takes no kernel pointers).
 */
__noinline int walk_waiters_probe(__u64 head, struct event *e)
{
	if (!e)
		return 0;
	walk_waiters(head, e, false);
	return 0;
}

/*
 * The receiving thread itself when it is inside a wait syscall but not
 * queued: preempted between sched_process_wait and joining the queue (seen
 * on one-CPU guests, the child's whole life in between), it scans its
 * children once it runs and collects the child. Inside its syscall means the
 * registers saved at entry still say so: orig_ax a wait, ax the -ENOSYS put
 * there at entry (the return value replaces it on the way out). Listed with
 * the queued ones: it collects like them.
 */
static __always_inline void joining_target(struct event *e, struct task_struct *t)
{
	if (!(e->flags & FLAG_WAITERS) || (e->flags & FLAG_MORE_WAITERS))
		return;
	__u32 tid = t->pid;
	if (e->waiters[0] == tid || e->waiters[1] == tid)
		return;
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(t);
	long nr = regs->orig_ax;
	if ((nr != NR_WAIT4 && nr != NR_WAITID) || regs->ax != (unsigned long)-ENOSYS)
		return;
	if (!e->waiters[0])
		e->waiters[0] = tid;
	else if (!e->waiters[1])
		e->waiters[1] = tid;
	else
		e->flags |= FLAG_MORE_WAITERS;
}
#endif

static __always_inline void queued_waiters(struct event *e, struct task_struct *t, bool kfuncs)
{
#ifdef ZT_COMPAT
	return; /* the compat object traces waits at their syscalls (exact mode): no list needed */
#else
	__u64 off = bpf_core_field_offset(struct signal_struct, wait_chldexit) +
		    bpf_core_field_offset(struct wait_queue_head, head);
	if (kfuncs)
		walk_waiters((__u64)t->signal + off, e, true);
	else
		walk_waiters_probe((__u64)BPF_CORE_READ(t, signal) + off, e);
	joining_target(e, t);
#endif
}
