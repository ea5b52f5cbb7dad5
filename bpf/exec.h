// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * An exec's path and time, for sched_process_exec.
 * Part of zombietrace.bpf.c's one compilation unit: included once, in order.
 */
#pragma once

/*
 * The boot clock as an exec last read it, and the tick (jiffies) it read it
 * in: execs in the same tick take that time instead of reading the clock
 * again (handle_exec). ts is stored before jiffies: an exec that sees the
 * tick sees its time. A cache line of their own.
 */
__u64 exec_clock_jiffies SEC(".bss") __attribute__((aligned(64)));
__u64 exec_clock_ts SEC(".bss");

/* Whether one of x's eight bytes is 0. */
static __always_inline bool has_nul(__u64 x)
{
	return (x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL;
}

/*
 * Copies a path that ends within 64 bytes (nearly all) 8 bytes a load, with
 * no helper call: the cast makes the loads fault-safe. A helper call costs
 * ~50 ns here (Safe RET); with the loads, exec cost 334-343 ns in a loop of
 * execs against 393-432. A load that faults gives 0, so a word of zeros (or
 * a path longer than the words) is left to the string copy. Bytes after the
 * NUL are the reader's to ignore.
 */
static __always_inline bool copy_short_path(__u64 *dst, const char *src)
{
	/* any kernel struct of at least 8 8-byte members will do */
	const __u64 *u = bpf_rdonly_cast(src, bpf_core_type_id_kernel(struct pt_regs));
#pragma unroll
	for (int i = 0; i < 8; i++) {
		__u64 x = u[i];
		if (!x)
			return false;
		dst[i] = x;
		if (has_nul(x))
			return true;
	}
	return false;
}

/*
 * A part of an exec's path at dst, the string copy's result: its length with
 * the NUL, sizeof(struct event) when the part is full (a short path copied
 * by loads gives 1).
 */
static __always_inline long exec_path_copy(__u8 *dst, const char *src, bool read, bool kfuncs)
{
	if (!read) {
		dst[0] = 0;
		return 0;
	}
	if (kfuncs && copy_short_path((__u64 *)dst, src))
		return 1; /* short: the reader stops at its NUL */
	return bpf_probe_read_kernel_str(dst, sizeof(struct event), src);
}

/* A part of an exec's path in the ring slot at idx, published (the reader
 * expects it). */
static __always_inline long exec_path_part(__u64 idx, const char *src, bool read, bool kfuncs)
{
	struct ring_slot *s = slot_at(idx);
	if (!s)
		return 0; /* cannot happen; the reader gives the path up */
	long n = exec_path_copy((__u8 *)&s->ev, src, read, kfuncs);
	publish(s, idx + 1);
	return n;
}

/*
 * The exec's time: the boot clock, read at most once a tick (4 ms at
 * HZ=250) by all execs together. The read costs ~150 ns here, right after
 * exec's own work, and an exec storm paid it every time. An exec in a tick
 * that already has a time takes that earlier time, or 1 ns after the
 * process's start if it forked since: never later than the exec, at most a
 * tick early, and after its fork, which is timed by the start (with a tie,
 * an exec could come first and the reader dropped the fork). The reader
 * keeps execs in order with exec counts (event.status), not times.
 */
static __always_inline __u64 exec_time(struct task_struct *p)
{
	__u64 j = bpf_jiffies64(); /* inlined: a load */
	__u64 ts;
	if (*(volatile __u64 *)&exec_clock_jiffies == j) {
		ts = *(volatile __u64 *)&exec_clock_ts;
	} else {
		ts = bpf_ktime_get_boot_ns();
		*(volatile __u64 *)&exec_clock_ts = ts;
		asm volatile("" ::: "memory");
		*(volatile __u64 *)&exec_clock_jiffies = j;
	}
	__u64 start = p->start_boottime;
	return start >= ts ? start + 1 : ts;
}
