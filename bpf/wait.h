// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The wait syscalls: what a wait asks for, and the records of their entry
 * (compat object) and return (exact mode). The programs that call these are
 * in zombietrace.bpf.c, with sched_process_wait.
 * Part of zombietrace.bpf.c's one compilation unit: included once, in order.
 */
#pragma once

/* Which children a wait4 pid or a waitid idtype asks for. */
static __always_inline __u8 wait4_target(int upid)
{
	return upid > 0 ? TARGET_PID : upid == -1 ? TARGET_ANY : TARGET_PGID;
}

static __always_inline __u8 waitid_target(int which)
{
	return which == P_ALL ? TARGET_ANY : which == P_PGID ? TARGET_PGID : TARGET_PID;
}

/*
 * --exact-waits: the wait syscall's result at its exit, read with its
 * arguments from the registers it saved on entry. sys_exit fires before a
 * ptrace stop or a signal frame can change them, so no entry program (and no
 * map keyed by thread) is needed where bpf_task_pt_regs is (5.15+). The
 * compat object has both: the entry is taken here whatever the result.
 */
static __always_inline int wait_exit(long ret, __u16 syscall)
{
	struct wait_call wc = {};
#ifdef ZT_COMPAT
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct wait_call *c = bpf_map_lookup_elem(&wait_calls, &tid);
	if (c) {
		wc = *c;
		bpf_map_delete_elem(&wait_calls, &tid);
	}
#endif
	if (syscall == WAIT_WAIT4 ? ret <= 0 : ret != 0)
		return 0; /* nothing collected, or an error */
	struct task_struct *cur = current_task();
	if (filter_enabled && !follow_flags(cur))
		return 0;
#ifndef ZT_COMPAT
	wait_call_of(cur, &wc);
#endif

	__u32 rpid = 0, flags = 0, options = syscall == WAIT_WAIT4 ? wc.args[2] : wc.args[3];
	__s32 status = 0, si_code = 0;
	__u8 target;
	if (syscall == WAIT_WAIT4) {
		/* wait4(pid, stat_addr, options, rusage) */
		__u64 addr = wc.args[1];
		target = wait4_target((int)wc.args[0]);
		rpid = ret;
		if (!wc.nr)
			target = TARGET_ANY; /* began before tracing: arguments unknown */
		if (!addr || bpf_probe_read_user(&status, sizeof(status), (void *)addr))
			flags |= FLAG_UNREADABLE;
	} else {
		/* waitid(which, upid, infop, options, rusage) */
		__u64 addr = wc.args[2];
		target = waitid_target((int)wc.args[0]);
		if (!addr) {
			flags |= FLAG_UNREADABLE;
		} else {
			struct user_siginfo_chld si;
			if (bpf_probe_read_user(&si, sizeof(si), (void *)addr)) {
				flags |= FLAG_UNREADABLE;
			} else {
				si_code = si.code;
				rpid = si.pid;
				status = si.status;
				if (!rpid)
					return 0; /* WNOHANG and nothing waitable */
			}
		}
	}

	__u64 seq;
	struct event *e = reserve(&seq);
	if (!e)
		return 0;
	e->kind = EVENT_WAIT_RET;
	fill_process(e, cur);
	e->nspid = rpid;
	e->options = options;
	e->status = status;
	e->code = si_code;
	e->flags = flags;
	e->syscall = syscall;
	e->target_type = target;
	submit(e, seq);
	return 0;
}

#ifdef ZT_COMPAT
/* Keeps the wait's number and arguments for the programs that cannot read
 * its registers (no bpf_task_pt_regs before 5.15). A restarted wait enters
 * again. */
static __always_inline int wait_enter(struct trace_event_raw_sys_enter *ctx, __u64 nr)
{
	struct task_struct *cur = current_task();
	if (filter_enabled && !follow_flags(cur))
		return 0;
	struct wait_call wc = { .nr = nr };
	wc.args[0] = ctx->args[0];
	wc.args[1] = ctx->args[1];
	wc.args[2] = ctx->args[2];
	wc.args[3] = ctx->args[3];
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	bpf_map_update_elem(&wait_calls, &tid, &wc, BPF_ANY);
	return 0;
}
#endif
