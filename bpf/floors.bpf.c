// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The benchmark's floors (internal/bench, not the tracer): for each of the
 * tracer's programs, what no version of it can avoid on its hook. Being
 * called, the helper calls its job needs (current, the syscall's registers,
 * the clock of the zombie time) and one record in the per-CPU rings, through
 * the tracer's own transport (transport.h): a streaming tracer writes every
 * event to memory the reader took it from a lap ago, which is cold. Nothing
 * else: no field is read that the record does not need to exist.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "zombietrace.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#include "config.h"
#include "transport.h"
#include "syscall.h"
#include "exec.h"

/* An unstamped record for a process, none for a thread (fork, free). */
static __always_inline int process_record(struct task_struct *t)
{
	if (t->pid != t->tgid)
		return 0;
	__u64 seq;
	struct event *e = reserve_at(&seq);
	if (e)
		submit(e, seq);
	return 0;
}

/* handle_fork: a process's record (threads return at once). */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(floor_fork, struct task_struct *parent, struct task_struct *child)
{
	return process_record(child);
}

/* handle_exit: the common exit writes nothing (its notification says it all). */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(floor_exit)
{
	return 0;
}

/* handle_signal: a SIGCHLD's record, stamped with the clock, naming current. */
SEC("tp_btf/signal_generate")
int BPF_PROG(floor_signal, int sig)
{
	if (sig != SIGCHLD)
		return 0;
	struct task_struct *cur = current_task();
	__u64 seq;
	struct event *e = reserve(&seq);
	if (!e)
		return 0;
	e->tid = cur->pid;
	submit(e, seq);
	return 0;
}

/* handle_wait: a stamped record with the wait's syscall from its registers. */
SEC("tp_btf/sched_process_wait")
int BPF_PROG(floor_wait)
{
	struct wait_call wc;
	wait_call_of(current_task(), &wc);
	__u64 seq;
	struct event *e = reserve(&seq);
	if (!e)
		return 0;
	e->code = wc.nr;
	submit(e, seq);
	return 0;
}

/* handle_free: a leader's record (threads return at once). */
SEC("tp_btf/sched_process_free")
int BPF_PROG(floor_free, struct task_struct *p)
{
	return process_record(p);
}

/* handle_exec: a record of EXEC_SLOTS slots, its path parts empty. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(floor_exec)
{
	__u64 seq;
	struct event *e = reserve_n(&seq, EXEC_SLOTS);
	if (!e)
		return 0;
	exec_path_part(seq, NULL, false, false);
	exec_path_part(seq + 1, NULL, false, false);
	submit(e, seq);
	return 0;
}

/* exit_wait4 (--exact-waits): a stamped record of a wait4 that returned a
 * child, with its arguments from the registers it saved and the status it
 * wrote to user memory. */
SEC("tracepoint/syscalls/sys_exit_wait4")
int floor_exit_wait4(struct trace_event_raw_sys_exit *ctx)
{
	if (ctx->ret <= 0)
		return 0;
	struct wait_call wc;
	wait_call_of(current_task(), &wc);
	__s32 status = 0;
	__u64 addr = wc.args[1];
	if (addr) /* NULL: no status asked for (a read of 0 faults: ~10 us here) */
		bpf_probe_read_user(&status, sizeof(status), (void *)addr);
	__u64 seq;
	struct event *e = reserve(&seq);
	if (!e)
		return 0;
	e->status = status;
	submit(e, seq);
	return 0;
}
