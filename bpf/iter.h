// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The task iterators: the zombies and the child subreapers that exist now.
 * Included by zombietrace.bpf.c (the live tracer lists the zombies that
 * predate it) and by iters.bpf.c, the small object that the one-shot
 * commands (`zombietrace ps`, reap's heir check) load alone.
 *
 * Fields behind a pointer are read with TREAD: probe reads in iters.bpf.c,
 * because a direct load of a pointer field makes 6.x verifiers look the
 * pointee's type up by name in the kernel's BTF, a linear scan each, which
 * is most of what loading this program costs (docs/performance.md).
 */
#pragma once

/*
 * Zombies that exist before tracing starts. No exit time exists in
 * task_struct: the scheduler's last arrival is a lower bound.
 */
SEC("iter/task")
int list_zombies(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;
	if (!t || t->pid != t->tgid || !(t->exit_state & EXIT_ZOMBIE))
		return 0;
	struct event e = {};
	e.kind = EVENT_ZOMBIE;
	e.ts = t->sched_info.last_arrival;
	e.pid = t->tgid;
	e.tid = t->pid;
	e.start_ns = t->start_boottime;
	BPF_CORE_READ_STR_INTO(&e.comm, t, comm);
	struct task_struct *rp = TREAD(t, real_parent);
	e.peer_pid = BPF_CORE_READ(rp, tgid);
	e.peer_start = leader_start(rp);
	e.nspid = ns_pid(t);
	e.options = t->exit_signal;
	e.status = exit_status(t);
	if (BPF_CORE_READ(t, signal, live.counter) > 0)
		e.flags |= FLAG_DELAYED_LEADER;
	bpf_seq_write(ctx->meta->seq, &e, sizeof(e));
	return 0;
}

/* Child subreapers (PR_SET_CHILD_SUBREAPER): the kernel gives orphans to the
 * nearest one; /proc does not show the flag. Writes their tgids. */
SEC("iter/task")
int list_subreapers(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;
	if (!t || t->pid != t->tgid)
		return 0;
	struct signal_struct *sig = TREAD(t, signal);
	if (!sig || !BPF_CORE_READ_BITFIELD_PROBED(sig, is_child_subreaper))
		return 0;
	__u32 pid = t->tgid;
	bpf_seq_write(ctx->meta->seq, &pid, sizeof(pid));
	return 0;
}
