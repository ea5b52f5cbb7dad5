// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The transport: the per-CPU rings (reserve, publish) and the BPF ring buffer.
 * The reader is tracer/rings.go; the slot and position layout is zombietrace.h's.
 * A record is reserved, filled, then published: its seq is stored last, and
 * the reader takes a slot only once its seq says so.
 * Part of zombietrace.bpf.c's one compilation unit: included once, in order.
 */
#pragma once

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

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);
	if (v)
		*v += 1;
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
