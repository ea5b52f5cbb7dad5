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

#define SIGCHLD 17
#define SIG_IGN 1
#define SA_NOCLDWAIT 2
#define CLD_EXITED 1
#define CLD_DUMPED 3
#define CLD_CONTINUED 6
#define SIGILL 4
#define SIGTRAP 5
#define SIGBUS 7
#define SIGFPE 8
#define SIGSEGV 11
#define SIGPOLL 29
#define SIGSYS 31
#define EXIT_ZOMBIE 32
#define PF_KTHREAD 0x00200000
#define SIGNAL_GROUP_EXIT 0x00000004
#define MAX_PID_NS_LEVEL 32
#define ENOSYS 38
#define NR_WAIT4 61
#define NR_WAITID 247
#define P_ALL 0
#define P_PID 1
#define P_PGID 2
#define P_PIDFD 3

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

/* --stacks forks; every record where the rings cannot load (ringbuf_transport) */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20); /* resized from Go */
} events SEC(".maps");

/* Every other event: one ring per possible CPU (zombietrace.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* possible CPUs: set from Go */
	__type(key, __u32);
	__type(value, struct ring_pos);
	__uint(map_flags, BPF_F_MMAPABLE);
} ring_positions SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* possible CPUs x ring_size: set from Go */
	__type(key, __u32);
	__type(value, struct ring_slot);
	__uint(map_flags, BPF_F_MMAPABLE);
} ring_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, COUNTER_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32); /* tgid */
	__type(value, struct follow_entry);
} follow SEC(".maps");

/*
 * The boot clock as an exec last read it, and the tick (jiffies) it read it
 * in: execs in the same tick take that time instead of reading the clock
 * again (handle_exec). ts is stored before jiffies: an exec that sees the
 * tick sees its time. A cache line of their own.
 */
__u64 exec_clock_jiffies SEC(".bss") __attribute__((aligned(64)));
__u64 exec_clock_ts SEC(".bss");

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

/* Make sure bpf2go emits these types. */
const struct event *unused_event __attribute__((unused));
const enum exec_layout *unused_exec_layout __attribute__((unused));
const struct ring_slot *unused_ring_slot __attribute__((unused));
const struct ring_pos *unused_ring_pos __attribute__((unused));
const struct fork_stack_event *unused_fork_stack_event __attribute__((unused));
const struct follow_entry *unused_follow_entry __attribute__((unused));
const enum event_kind *unused_event_kind __attribute__((unused));
const enum event_flag *unused_event_flag __attribute__((unused));
const enum wait_syscall *unused_wait_syscall __attribute__((unused));
const enum wait_target *unused_wait_target __attribute__((unused));
const enum follow_flag *unused_follow_flag __attribute__((unused));
const enum counter *unused_counter __attribute__((unused));

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);
	if (v)
		*v += 1;
}

/*
 * tp_btf programs get typed pointers: fields are read with direct loads (one
 * fault-safe instruction each, CO-RE relocated through vmlinux.h's
 * preserve_access_index) instead of bpf_probe_read_kernel helper calls.
 */
static __always_inline __u64 leader_start(struct task_struct *t)
{
	return TREAD(t, group_leader, start_boottime);
}

/*
 * The follow flags of t's process. An entry is keyed by pid and outlives its
 * process until the free event, which lazy RCU delays: one left by an earlier
 * process with t's pid is not t's. An entry Go seeded by pid has no start
 * time: the first process seen with the pid, the seeded one (it lived when
 * it was seeded, and its exit at the latest comes here), makes it its own.
 * start is the process's leader_start.
 */
static __always_inline __u32 follow_flags_of(__u32 tgid, __u64 start)
{
	struct follow_entry *e = bpf_map_lookup_elem(&follow, &tgid);
	if (!e)
		return 0;
	if (!e->start_ns)
		e->start_ns = start; /* racing writers write the same value */
	else if (e->start_ns != start)
		return 0;
	return e->flags;
}

static __always_inline __u32 follow_flags(struct task_struct *t)
{
	return follow_flags_of(TREAD(t, tgid), leader_start(t));
}

static __always_inline void follow_add(__u32 tgid, __u64 start, __u32 flags)
{
	struct follow_entry *e = bpf_map_lookup_elem(&follow, &tgid);
	if (e) {
		if (e->start_ns == start || e->start_ns == 0) {
			e->flags |= flags; /* racing writers only add bits */
			return;
		}
		/* A stale entry of a reused pid whose free has not come yet. */
	}
	struct follow_entry n = { .flags = flags, .start_ns = start };
	if (bpf_map_update_elem(&follow, &tgid, &n, BPF_ANY))
		count(COUNTER_FOLLOW_FULL);
}

/* Whether pids read in a's pid namespace are b's (same level, same namespace). */
static __always_inline bool same_pid_ns(struct pid *a, struct pid *b)
{
	if (!a || !b || a->level != b->level)
		return false;
	__u32 lvl = a->level;
	if (lvl > MAX_PID_NS_LEVEL)
		return false;
	struct pid_namespace *na = NULL, *nb = NULL;
	bpf_probe_read_kernel(&na, sizeof(na), &a->numbers[lvl].ns);
	bpf_probe_read_kernel(&nb, sizeof(nb), &b->numbers[lvl].ns);
	return na && na == nb;
}

/*
 * How far the search below walks a dying parent's children: the k-th zombie
 * it passes on is its k-th child (forget_original_parent() walks the list in
 * order and splices it to the reaper only after), so a walk per zombie costs
 * O(k). Past this many, a zombie is not found (and dropped, as below).
 */
#define CHILDREN_WALK_MAX 256

/*
 * The follow flags of sender's child whose pid at pid-namespace level lvl is
 * nr: the zombie a dying parent passes on, found without a kfunc. Probe
 * reads only: list and pid pointers are plain numbers here, so every
 * verifier takes the arithmetic.
 */
static __always_inline __u32 follow_flags_child(struct task_struct *sender, __u32 lvl, __u32 nr)
{
	if (lvl > MAX_PID_NS_LEVEL)
		return 0;
	__u64 sib = bpf_core_field_offset(struct task_struct, sibling);
	__u64 first = (__u64)BPF_CORE_READ(sender, children.next);
	__u64 head = 0; /* &sender->children: the first entry's prev */
	if (bpf_probe_read_kernel(&head, sizeof(head), &((struct list_head *)first)->prev))
		return 0;
	__u64 pos = first;
	for (int i = 0; i < CHILDREN_WALK_MAX && pos != head; i++) {
		struct task_struct *c = (struct task_struct *)(pos - sib);
		__u32 cnr = 0;
		if (lvl == 0) {
			cnr = BPF_CORE_READ(c, tgid);
		} else {
			struct pid *cp = BPF_CORE_READ(c, thread_pid);
			struct upid up = {};
			if (cp && BPF_CORE_READ(cp, level) >= lvl)
				bpf_probe_read_kernel(&up, sizeof(up), &cp->numbers[lvl]);
			cnr = up.nr;
		}
		if (cnr == nr)
			return follow_flags_of(BPF_CORE_READ(c, tgid), BPF_CORE_READ(c, start_boottime));
		pos = (__u64)BPF_CORE_READ(c, sibling.next);
	}
	return 0;
}

/*
 * The follow flags of a zombie that sender (a dying parent or a ptrace
 * tracer) passes on to receiver, known by si_pid: its pid in the receiver's
 * namespace. The zombie itself is looked up (it stays hashed until its reap),
 * so neither an entry left by an earlier process with that pid nor, under a
 * receiver in a nested namespace, a host process's entry with the same number
 * is taken for its own. bpf_task_from_pid (6.2+) finds it at the host level,
 * bpf_task_from_vpid (6.13+) in the sender's namespace, which for a dying
 * parent is always its reaper's. Elsewhere the sender's children are
 * searched: a dying parent's zombies are still among them. A tracer's are
 * not, and its notification is dropped. That loses no followed zombie in
 * practice: its own notification made the tracer owe the reap, and an owing
 * sender's are kept before this.
 * (The receiver's level is read again here: one more value kept across the
 * calls made the common path spill registers.)
 */
static __always_inline __u32 follow_flags_zombie(__u32 si_pid, struct task_struct *sender,
						 struct task_struct *receiver, bool kfuncs)
{
	struct pid *rpid = receiver->thread_pid;
	__u32 lvl = rpid ? rpid->level : 0;
	struct task_struct *z = NULL;
	if (kfuncs) {
		if (lvl == 0)
			z = bpf_task_from_pid(si_pid);
		else if (bpf_ksym_exists(bpf_task_from_vpid) && same_pid_ns(sender->thread_pid, rpid))
			z = bpf_task_from_vpid(si_pid);
		else
			return follow_flags_child(sender, lvl, si_pid);
		if (!z)
			return 0;
		__u32 f = follow_flags(z);
		bpf_task_release(z);
		return f;
	}
	return follow_flags_child(sender, lvl, si_pid);
}

/* t owes a followed process its reap: keep its waits (a followed one's are kept). */
static __always_inline void follow_owes(struct task_struct *t)
{
	if (!(follow_flags(t) & FOLLOW_TRACE))
		follow_add(TREAD(t, tgid), leader_start(t), FOLLOW_OWES);
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
	struct pid *pid = t->group_leader->thread_pid;
	if (!pid)
		return 0;
	return leader_pid_at(t, pid->level);
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

/*
 * A lost event, counted on this CPU's ring with the time of the first loss
 * the reader has not taken yet: the reader reports it in time order, so the
 * records it may have touched, and only those, are marked uncertain. The
 * clock is read on this path only. The time is stored before the count:
 * a reader that sees the count finds its time.
 */
static __always_inline void lost(struct ring_pos *p)
{
	if (!*(volatile __u64 *)&p->lost_ts)
		*(volatile __u64 *)&p->lost_ts = bpf_ktime_get_boot_ns();
	__sync_fetch_and_add(&p->lost, 1);
}

/* A ring buffer reservation failed (--stacks forks). */
static __always_inline void lost_here(void)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct ring_pos *p = bpf_map_lookup_elem(&ring_positions, &cpu);
	if (p)
		lost(p);
}

/* Slot idx (a position in the ring, any lap) of this CPU's ring. */
static __always_inline struct ring_slot *slot_at(__u64 idx)
{
	__u32 key = bpf_get_smp_processor_id() * ring_size + (idx & (ring_size - 1));
	return bpf_map_lookup_elem(&ring_slots, &key);
}

/*
 * A zeroed record in this CPU's ring, with no time yet, and n - 1 slots after
 * it for the caller (exec: EXEC_SLOTS); *seq gets what submit() publishes.
 * Every reserved slot must be published: the reader waits for it. A full
 * ring (or, three times over, a program interrupting this one between its
 * read and its swap of head) counts a loss.
 */
static __always_inline struct event *reserve_n(__u64 *seq, __u64 n)
{
	if (use_ringbuf()) {
		/* the same record, its exec path parts right after it */
		struct event *e = bpf_ringbuf_reserve(&events, n * sizeof(struct event), 0);
		if (!e) {
			lost_here();
			return NULL;
		}
		__builtin_memset(e, 0, sizeof(*e));
		*seq = 0;
		return e;
	}
	__u32 cpu = bpf_get_smp_processor_id();
	struct ring_pos *p = bpf_map_lookup_elem(&ring_positions, &cpu);
	if (!p)
		return NULL; /* cannot happen: the map has an entry per possible CPU */
	for (int i = 0; i < 3; i++) {
		__u64 h = *(volatile __u64 *)&p->head;
		if (h + n - *(volatile __u64 *)&p->tail > ring_size)
			break;
		if (__sync_val_compare_and_swap(&p->head, h, h + n) != h)
			continue;
		struct ring_slot *s = slot_at(h);
		if (!s)
			return NULL; /* cannot happen: Go sized both maps; the reader skips a slot that never comes */
		__builtin_memset(&s->ev, 0, sizeof(s->ev));
		*seq = h + 1;
		return &s->ev;
	}
	lost(p);
	return NULL;
}

static __always_inline struct event *reserve_at(__u64 *seq)
{
	return reserve_n(seq, 1);
}

static __always_inline struct event *reserve(__u64 *seq)
{
	struct event *e = reserve_at(seq);
	if (e)
		e->ts = bpf_ktime_get_boot_ns();
	return e;
}

/* Publishes a slot: seq is stored after every field (x86 keeps stores in
 * order; the barrier keeps the compiler from moving them). */
static __always_inline void publish(struct ring_slot *s, __u64 seq)
{
	asm volatile("" ::: "memory");
	*(volatile __u64 *)&s->seq = seq;
}

static __always_inline void submit(struct event *e, __u64 seq)
{
	if (use_ringbuf()) {
		bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
		return;
	}
	publish((struct ring_slot *)((void *)e - offsetof(struct ring_slot, ev)), seq);
}

/* No per-event wakeup: the reader polls (a wakeup per event slowed a fork
 * loop by 14-49 %). */
static __always_inline void submit_rb(void *e)
{
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
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
	struct signal_struct *sig = t->signal;
	if (sig->flags & SIGNAL_GROUP_EXIT)
		return sig->group_exit_code;
	return t->exit_code;
}

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
			char si[28];
			if (bpf_probe_read_user(si, sizeof(si), (void *)addr)) {
				flags |= FLAG_UNREADABLE;
			} else {
				si_code = *(__s32 *)&si[8];
				rpid = *(__u32 *)&si[16];
				status = *(__s32 *)&si[24];
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
	struct task_struct *rp = t->real_parent;
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
	struct signal_struct *sig = t->signal;
	if (!sig || !BPF_CORE_READ_BITFIELD_PROBED(sig, is_child_subreaper))
		return 0;
	__u32 pid = t->tgid;
	bpf_seq_write(ctx->meta->seq, &pid, sizeof(pid));
	return 0;
}
