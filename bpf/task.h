// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Task helpers: identity, names, pids in namespaces, exit status (CO-RE).
 * Included once, in order, by zombietrace.bpf.c and by iters.bpf.c.
 */
#pragma once

/*
 * tp_btf programs get typed pointers: fields are read with direct loads (one
 * fault-safe instruction each, CO-RE relocated through vmlinux.h's
 * preserve_access_index) instead of bpf_probe_read_kernel helper calls.
 * TREAD is that load in the default object, and a probe read in the compat
 * object (current is a plain number there) and in iters.bpf.c (iter.h says why).
 */
static __always_inline __u64 leader_start(struct task_struct *t)
{
	return TREAD(t, group_leader, start_boottime);
}

/* The pid of t's thread-group leader as seen at pid-namespace level lvl (0: none). */
static __always_inline __u32 leader_pid_at(struct task_struct *t, __u32 lvl)
{
	struct pid *pid = TREAD(t, group_leader, thread_pid);
	if (!pid || lvl > TREAD(pid, level))
		return 0;
	if (lvl == 0)
		return TREAD(pid, numbers[0].nr); /* the host: the common case, no helper */
	struct upid up = {};
	if (lvl > MAX_PID_NS_LEVEL)
		return 0;
	bpf_probe_read_kernel(&up, sizeof(up), &pid->numbers[lvl]);
	return up.nr;
}

static __always_inline __u32 ns_pid(struct task_struct *t)
{
	struct pid *pid = TREAD(t, group_leader, thread_pid);
	if (!pid)
		return 0;
	return leader_pid_at(t, TREAD(pid, level));
}

/* comm is 16 bytes: two loads, no string helper (the kernel keeps it NUL-padded). */
static __always_inline void copy_comm(__u8 *dst, struct task_struct *t)
{
#ifdef ZT_COMPAT
	bpf_core_read(dst, sizeof(t->comm), &t->comm);
#else
	__u64 *d = (__u64 *)dst;
	d[0] = *(__u64 *)&t->comm[0];
	d[1] = *(__u64 *)&t->comm[8];
#endif
}

static __always_inline void fill_process(struct event *e, struct task_struct *t)
{
	struct task_struct *leader = TREAD(t, group_leader);
	e->pid = TREAD(t, tgid);
	e->tid = TREAD(t, pid);
	e->start_ns = TREAD(leader, start_boottime);
	copy_comm(e->comm, leader);
}

/* Exit status as wait(2) reports it: a group exit code wins over the thread's. */
static __always_inline __s32 exit_status(struct task_struct *t)
{
	struct signal_struct *sig = TREAD(t, signal);
	if (TREAD(sig, flags) & SIGNAL_GROUP_EXIT)
		return TREAD(sig, group_exit_code);
	return TREAD(t, exit_code);
}
