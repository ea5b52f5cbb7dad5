// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The follow filter (--pid, --comm, run): which processes are traced, and who owes them a reap.
 * Part of zombietrace.bpf.c's one compilation unit: included once, in order.
 */
#pragma once

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32); /* tgid */
	__type(value, struct follow_entry);
} follow SEC(".maps");

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
