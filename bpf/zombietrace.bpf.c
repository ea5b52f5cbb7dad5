// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * zombietrace: the exit/wait lifecycle of processes.
 * See docs/kernel.md for why each hook is where it is and which variant loads where.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "zombietrace.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#include "config.h"
#include "transport.h"
#include "task.h"
#include "follow.h"
#include "syscall.h"
#include "exec.h"
#include "notify.h"
#include "wait.h"

/* Make sure bpf2go emits these types (the maps carry ring_slot, ring_pos and
 * follow_entry). */
const struct event *unused_event __attribute__((unused));
const enum exec_layout *unused_exec_layout __attribute__((unused));
const struct fork_stack_event *unused_fork_stack_event __attribute__((unused));
const enum event_kind *unused_event_kind __attribute__((unused));
const enum event_flag *unused_event_flag __attribute__((unused));
const enum wait_syscall *unused_wait_syscall __attribute__((unused));
const enum wait_target *unused_wait_target __attribute__((unused));
const enum follow_flag *unused_follow_flag __attribute__((unused));
const enum counter *unused_counter __attribute__((unused));

/* The fork record; the slot is zeroed. */
static __always_inline void fill_fork(struct event *e, struct task_struct *parent,
				      struct task_struct *child, __u32 ptgid, __u64 pstart)
{
	/* copy_process() stamped the child with the boot clock a moment ago:
	 * that is the fork's time, without another clock read (~55 ns here). */
	e->ts = child->start_boottime;
	e->kind = EVENT_FORK;
	e->pid = child->tgid;
	e->tid = child->pid;
	e->start_ns = e->ts;
	copy_comm(e->comm, child);
	e->peer_pid = ptgid;
	e->peer_start = pstart;
	e->nspid = ns_pid(child);
	e->options = child->exit_signal;
	e->code = parent->pid; /* the forking thread: it is not blocked in a wait */
	e->status = -1;
}

/*
 * sched_process_fork fires in the parent before the child first runs, for
 * threads too (skipped). The owing parent is real_parent, which differs from
 * current under CLONE_PARENT.
 */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	if (child->pid != child->tgid)
		return 0;
	struct task_struct *rp = child->real_parent;
	__u32 ptgid = rp->tgid;
	__u64 pstart = leader_start(rp);

	if (filter_enabled) {
		__u32 f = follow_flags(rp) | follow_flags(parent);
		if (!(f & (FOLLOW_TRACE | FOLLOW_CHILDREN)))
			return 0;
		follow_add(child->tgid, child->start_boottime, FOLLOW_TRACE);
		follow_owes(rp);
	}

	if (capture_stacks) {
		/*
		 * --stacks only: outside the default mode's cost budget. A path of
		 * its own to its return: a record in the ring buffer must never
		 * meet the rings' publish, and a verifier that does not know the
		 * reservation is not NULL (6.1) explores any join.
		 */
		struct fork_stack_event *se = bpf_ringbuf_reserve(&events, sizeof(*se), 0);
		if (!se) {
			lost_here();
			return 0;
		}
		__builtin_memset(&se->ev, 0, sizeof(se->ev));
		fill_fork(&se->ev, parent, child, ptgid, pstart);
		/* Where in the parent's code the fork came from (frame-pointer
		 * unwind); frames past the copied ones are not read. */
		long n = bpf_get_stack(ctx, se->ips, sizeof(se->ips), BPF_F_USER_STACK);
		se->ev.status = n < 0 ? n : n / sizeof(__u64);
		submit_rb(se);
		return 0;
	}
	__u64 seq;
	struct event *e = reserve_at(&seq);
	if (!e)
		return 0;
	fill_fork(e, parent, child, ptgid, pstart);
	submit(e, seq);
	return 0;
}

/*
 * sched_process_exec: after de_thread, p is the leader and keeps its start
 * time. The record is EXEC_SLOTS slots of the ring (zombietrace.h).
 */
static __always_inline int on_exec(struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm,
				   bool kfuncs)
{
	if (filter_enabled && !(follow_flags(p) & FOLLOW_TRACE))
		return 0;
	__u64 seq;
	struct event *e = reserve_n(&seq, EXEC_SLOTS);
	if (!e)
		return 0;
	e->ts = exec_time(p);
	e->kind = EVENT_EXEC;
	fill_process(e, p);
	e->code = old_pid;
	e->status = p->self_exec_id; /* just raised by begin_new_exec */
	const char *path = bprm->filename;
	const char *rest = path + sizeof(struct event) - 1;
	if (use_ringbuf()) {
		/* the parts follow the event in the same record */
		long n = exec_path_copy((__u8 *)(e + 1), path, true, kfuncs);
		exec_path_copy((__u8 *)(e + 2), rest, n == sizeof(struct event), kfuncs);
	} else {
		long n = exec_path_part(seq, path, true, kfuncs);
		exec_path_part(seq + 1, rest, n == sizeof(struct event), kfuncs);
	}
	submit(e, seq);
	return 0;
}

#ifndef ZT_COMPAT
SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return on_exec(p, old_pid, bprm, true);
}
#endif

/* Before 6.2 (no bpf_rdonly_cast): every path by the string copy helper. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec_nokfunc, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return on_exec(p, old_pid, bprm, false);
}

/*
 * Whether exit_notify() will release the process at once instead of leaving a
 * zombie: the parent ignores SIGCHLD (SIG_IGN or SA_NOCLDWAIT), the exit
 * signal is SIGCHLD, and no tracer holds it (do_notify_parent()).
 */
static __always_inline bool will_autoreap(struct task_struct *leader)
{
	if (leader->exit_signal != SIGCHLD || leader->ptrace)
		return false;
	struct k_sigaction *ka = &leader->real_parent->sighand->action[SIGCHLD - 1];
	return (unsigned long)ka->sa.sa_handler == SIG_IGN || (ka->sa.sa_flags & SA_NOCLDWAIT);
}

static __always_inline int on_group_exit(struct task_struct *p, __u32 extra_flags)
{
	struct task_struct *leader = p->group_leader;
	struct task_struct *rp = leader->real_parent;

	if (filter_enabled) {
		if (!(follow_flags(p) & FOLLOW_TRACE))
			return 0;
		/* After reparenting the inheritor owes the reap. */
		follow_owes(rp);
	}
	/*
	 * The ordinary case needs no exit event: the SIGCHLD notification that
	 * follows carries the status, the parent and the time the process became
	 * waitable (and exit_notify() reparents children just before it). Emitted
	 * only when no notification will say it all: autoreap, another exit
	 * signal, a tracer. One event in five saved; the signal->live fallback
	 * (before 6.16) too, where an event each time cost the storm 15 %.
	 */
	bool autoreap = will_autoreap(leader);
	if (!autoreap && leader->exit_signal == SIGCHLD && !leader->ptrace && !all_exits)
		return 0;
	/* Read only for the event: the common exit above needs no parent fields. */
	__u32 ptgid = rp->tgid;
	__u64 pstart = leader_start(rp);

	__u64 seq;
	struct event *e = reserve(&seq);
	if (!e)
		return 0;
	e->kind = EVENT_EXIT;
	fill_process(e, p);
	e->peer_pid = ptgid;
	e->peer_start = pstart;
	e->nspid = ns_pid(p);
	e->options = leader->exit_signal;
	e->status = exit_status(p);
	e->flags = extra_flags;
	if (autoreap)
		e->flags |= FLAG_AUTOREAP;
	if (leader->ptrace)
		e->flags |= FLAG_PTRACED;
	submit(e, seq);
	return 0;
}

/*
 * sched_process_exit(p, group_dead), 6.16+: early in do_exit, before exit_mm()
 * and exit_notify(). Only the last thread (group_dead) ends the process; the
 * leader may have exited long before (pthread_exit in main).
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *p, bool group_dead)
{
	if (!group_dead)
		return 0;
	return on_group_exit(p, 0);
}

/*
 * Kernels before 6.16 pass no group_dead: do_exit() has already decremented
 * signal->live when the tracepoint fires, so 0 means the group is dead. Two
 * threads exiting together may both see 0: Go drops the duplicate.
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit_live, struct task_struct *p)
{
	if (p->signal->live.counter != 0)
		return 0;
	return on_group_exit(p, FLAG_LIVE_FALLBACK);
}

/*
 * signal_generate, filtered to do_notify_parent()'s SIGCHLD with CLD_EXITED,
 * CLD_KILLED or CLD_DUMPED: the child is a waitable zombie from here. Sent by
 * the exiting process itself (self), by a dying parent to the new reaper for
 * each zombie child (reparenting), or by a ptrace tracer handing a zombie back
 * to the real parent. si_pid is in the receiver's pid namespace.
 */

static __always_inline int on_signal(int sig, struct kernel_siginfo *info, struct task_struct *task,
				     int result, bool kfuncs)
{
	struct chld_info ci;
	if (!read_chld_info(info, &ci, kfuncs))
		return 0;
	int code = ci.code;
	if (sig == SIGCHLD) {
		/* exits, and stop/continue reports (they end a wait in light mode) */
		if (code < CLD_EXITED || code > CLD_CONTINUED)
			return 0;
	} else {
		/* A clone child's exit signal may be any signal; si_code 1..3
		 * means a CLD_* code except for the fault signals. */
		if (code < CLD_EXITED || code > CLD_DUMPED || sig == SIGILL || sig == SIGTRAP ||
		    sig == SIGBUS || sig == SIGFPE || sig == SIGSEGV || sig == SIGPOLL || sig == SIGSYS ||
		    sig > 64)
			return 0;
	}

	struct task_struct *cur = current_task();
	__u32 rtgid = task->tgid;
	__u32 si_pid = ci.pid;
	struct pid *rpid = task->thread_pid;
	__u32 lvl = rpid ? rpid->level : 0;
	/* si_pid is in the receiver's namespace; at the host level it is the
	 * tgid, with no walk to the leader's struct pid. */
	bool self = si_pid && si_pid == (lvl == 0 ? TREAD(cur, tgid) : leader_pid_at(cur, lvl));
	if (filter_enabled) {
		__u32 cf = follow_flags(cur);
		if (self) {
			/* Only a followed process's own notification: a parent that
			 * owes a followed child its reap has other children too. */
			if (!(cf & FOLLOW_TRACE))
				return 0;
		} else if (!cf && !(follow_flags_zombie(si_pid, cur, task, kfuncs) & FOLLOW_TRACE)) {
			/* A dying parent or a tracer passing on a zombie: keep it
			 * if either is followed, or the zombie is. */
			return 0;
		}
		/* Whoever receives a followed process's notification owes its reap. */
		follow_owes(task);
	}

	__u64 seq;
	struct event *e = reserve(&seq);
	if (!e)
		return 0;
	e->kind = EVENT_NOTIFY;
	fill_process(e, cur);
	e->peer_pid = rtgid;
	e->peer_start = leader_start(task);
	e->nspid = si_pid;
	e->status = ci.status;
	e->code = code;
	e->options = result;
	if (self)
		e->flags |= FLAG_NOTIFY_SELF;
	if (code <= CLD_DUMPED)
		queued_waiters(e, task, kfuncs);
	submit(e, seq);
	return 0;
}

/*
 * signal_generate, filtered to do_notify_parent()'s SIGCHLD with CLD_EXITED,
 * CLD_KILLED or CLD_DUMPED: the child is a waitable zombie from here. Sent by
 * the exiting process itself (self), by a dying parent to the new reaper for
 * each zombie child (reparenting), or by a ptrace tracer handing a zombie back
 * to the real parent. si_pid is in the receiver's pid namespace.
 */
#ifndef ZT_COMPAT /* kfunc variants: 6.2+, never with the compat object */
SEC("tp_btf/signal_generate")
int BPF_PROG(handle_signal, int sig, struct kernel_siginfo *info, struct task_struct *task,
	     int group, int result)
{
	return on_signal(sig, info, task, result, true);
}
#endif

/* Before 6.2 (no bpf_rdonly_cast, no bpf_task_from_pid): probe reads. */
SEC("tp_btf/signal_generate")
int BPF_PROG(handle_signal_nokfunc, int sig, struct kernel_siginfo *info, struct task_struct *task,
	     int group, int result)
{
	return on_signal(sig, info, task, result, false);
}

/*
 * sched_process_wait: entry of do_wait in the waiter, an attempt and not a
 * reap. The syscall's registers tell which syscall and which options.
 */
SEC("tp_btf/sched_process_wait")
int BPF_PROG(handle_wait, struct pid *pid)
{
	struct task_struct *cur = current_task();
	if (filter_enabled && !follow_flags(cur))
		return 0;

	__u64 seq;
	struct event *e = reserve(&seq);
	if (!e)
		return 0;
	e->kind = EVENT_WAIT;
	fill_process(e, cur);
	e->status = TREAD(cur, self_exec_id); /* orders it against the process's execs */
	e->peer_pid = pid ? pid->numbers[0].nr : 0;
	if (TREAD(cur, flags) & PF_KTHREAD) {
		e->flags |= FLAG_KTHREAD;
	} else {
		struct wait_call wc;
		wait_call_of(cur, &wc);
		if (wc.nr == NR_WAIT4) {
			/* wait4(pid, stat_addr, options, rusage) */
			int upid = (int)wc.args[0];
			e->syscall = WAIT_WAIT4;
			e->options = wc.args[2];
			e->code = upid;
			e->target_type = wait4_target(upid);
		} else if (wc.nr == NR_WAITID) {
			/* waitid(which, upid, infop, options, rusage) */
			int which = (int)wc.args[0];
			e->syscall = WAIT_WAITID;
			e->options = wc.args[3];
			e->code = which;
			e->target_type = waitid_target(which);
		} else {
			e->syscall = WAIT_KERNEL; /* in-kernel waiter, e.g. pid-ns teardown */
		}
	}
	if (!pid && e->target_type != TARGET_ANY && e->syscall != WAIT_KERNEL)
		e->target_type = TARGET_ANY;
	submit(e, seq);
	return 0;
}

/*
 * sched_process_free: RCU callback after release_task(). current is unrelated
 * and the pid number may already be reused: identify by task pointer/start.
 */
SEC("tp_btf/sched_process_free")
int BPF_PROG(handle_free, struct task_struct *p)
{
	if (p->pid != p->tgid)
		return 0;
	__u32 tgid = p->tgid;
	if (filter_enabled) {
		struct follow_entry *f = bpf_map_lookup_elem(&follow, &tgid);
		if (!f)
			return 0;
		if (f->start_ns && f->start_ns != p->start_boottime)
			return 0; /* the entry belongs to a newer process with this pid */
		__u32 flags = f->flags;
		bpf_map_delete_elem(&follow, &tgid);
		if (!(flags & FOLLOW_TRACE))
			return 0;
	}
	__u64 seq;
	struct event *e = reserve_at(&seq); /* ts 0: the reader times it */
	if (!e)
		return 0;
	e->kind = EVENT_FREE;
	e->pid = tgid;
	e->tid = p->pid;
	e->start_ns = p->start_boottime;
	/* No comm: the task_struct is cold here (an RCU callback, ms after the
	 * reap) and every field read is a cache miss; identity is enough. */
	submit(e, seq);
	return 0;
}

#ifdef ZT_COMPAT
SEC("tracepoint/syscalls/sys_enter_wait4")
int enter_wait4(struct trace_event_raw_sys_enter *ctx)
{
	return wait_enter(ctx, NR_WAIT4);
}

SEC("tracepoint/syscalls/sys_enter_waitid")
int enter_waitid(struct trace_event_raw_sys_enter *ctx)
{
	return wait_enter(ctx, NR_WAITID);
}
#endif

SEC("tracepoint/syscalls/sys_exit_wait4")
int exit_wait4(struct trace_event_raw_sys_exit *ctx)
{
	return wait_exit(ctx->ret, WAIT_WAIT4);
}

SEC("tracepoint/syscalls/sys_exit_waitid")
int exit_waitid(struct trace_event_raw_sys_exit *ctx)
{
	return wait_exit(ctx->ret, WAIT_WAITID);
}


#include "iter.h"
