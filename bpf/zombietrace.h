/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The wire contract between the BPF programs and Go. bpf2go generates the Go
 * types from these definitions (-type event -type ring_slot -type event_kind
 * ...): change them here only.
 */
#ifndef ZOMBIETRACE_H
#define ZOMBIETRACE_H

#define TASK_COMM_LEN 16

enum event_kind {
	EVENT_FORK = 1,     /* a new process (not a thread) */
	EVENT_EXEC = 2,     /* takes EXEC_SLOTS ring slots: the path follows */
	EVENT_EXIT = 3,     /* the thread group died (group_dead) */
	EVENT_NOTIFY = 4,   /* SIGCHLD exit notification: the child is waitable */
	EVENT_WAIT = 5,     /* a task entered do_wait (an attempt, not a reap) */
	EVENT_WAIT_RET = 6, /* --exact-waits: wait4/waitid returned a child */
	EVENT_FREE = 7,     /* the leader's task_struct is released (RCU, late) */
	EVENT_ZOMBIE = 8,   /* iter/task: a zombie that existed before tracing */
};

/* event.flags */
enum event_flag {
	FLAG_AUTOREAP = 1 << 0,      /* exit: the kernel will release it itself */
	FLAG_PTRACED = 1 << 1,       /* exit: the leader is ptraced */
	FLAG_LIVE_FALLBACK = 1 << 2, /* exit: group death from signal->live */
	FLAG_NOTIFY_SELF = 1 << 3,   /* notify: current's process is the child */
	FLAG_UNREADABLE = 1 << 4,    /* wait_ret: status/infop could not be read */
	FLAG_DELAYED_LEADER = 1 << 5,/* zombie: leader exited, threads still live */
	FLAG_KTHREAD = 1 << 6,       /* wait: an in-kernel waiter */
	FLAG_WAITERS = 1 << 7,       /* notify: waiters[] lists the receiver's queued waits */
	FLAG_MORE_WAITERS = 1 << 8,  /* notify: more than two threads queued */
};

/* event.syscall for EVENT_WAIT / EVENT_WAIT_RET */
enum wait_syscall {
	WAIT_KERNEL = 0, /* no wait syscall: usermode helper, pid-ns teardown ... */
	WAIT_WAIT4 = 1,
	WAIT_WAITID = 2,
};

/* event.target_type for EVENT_WAIT / EVENT_WAIT_RET */
enum wait_target {
	TARGET_ANY = 0,  /* wait4(-1), waitid(P_ALL) */
	TARGET_PID = 1,  /* wait4(pid > 0), waitid(P_PID / P_PIDFD) */
	TARGET_PGID = 2, /* wait4(0 / < -1), waitid(P_PGID) */
};

/*
 * One record for every kind. Field use by kind:
 *            pid/start_ns/comm  peer_pid/peer_start   nspid          options        status       code
 * fork       child              real parent           child ns pid   exit signal    stack frames forking tid
 * exec       process            -                     -              -              exec count   old tid
 * exit       process            real parent           ns pid         exit signal    wait status  -
 * notify     current's process  receiver              si_pid         send result    si_status    si_code (1-6)
 * wait       waiter             target pid (0: any)   -              wait options   exec count   wait4: pid; waitid: idtype
 * wait_ret   waiter             -                     returned pid   wait options   status       si_code
 * free       process            -                     -              -              -            -
 * zombie     process            real parent           ns pid         exit signal    wait status  -
 * The exec count is the thread's self_exec_id (truncated): it rises by one
 * at each exec, and a new thread or child starts with its creator's. So a
 * wait with a lower count than an exec of its process began before it
 * (de_thread ended it), whatever their times say.
 * All times are CLOCK_BOOTTIME ns (bpf_ktime_get_boot_ns); an exec's can be
 * up to a tick early (handle_exec), a zombie's is the scheduler's last
 * arrival, a lower bound of its exit. A free's ts is 0
 * (the RCU callback already comes late, and a clock read costs a helper
 * call): the reader gives it the time of the next stamped event behind it in
 * its ring, or its own clock when there is none yet.
 */
struct event {
	__u64 ts;
	__u64 start_ns;   /* start_boottime of pid's leader: identity with pid */
	__u64 peer_start; /* start_boottime of peer_pid's leader */
	/* notify with FLAG_WAITERS: tids of the receiver's threads in their
	 * wait when the child became waitable (queued in do_wait, or the
	 * receiving thread inside a wait syscall not queued yet), 0: none. A
	 * blocked wait whose thread is not listed (a signal, a stop, the
	 * freezer took it out) does not collect the child then. */
	__u32 waiters[2];
	__u32 kind;
	__u32 pid;        /* host tgid */
	__u32 tid;        /* host tid of the thread that acted */
	__u32 peer_pid;
	__u32 nspid;
	__u32 options;
	__s32 status;
	__s32 code;
	__u32 flags;
	__u16 syscall;
	__u8 target_type;
	__u8 pad;
	__u8 comm[TASK_COMM_LEN];
};

/*
 * The per-CPU event rings, the default transport (--stacks forks, 1 KiB
 * each, take the BPF ring buffer). A slot is reserved by a
 * compare-and-swap of its ring's head, so programs that interrupt each other
 * on one CPU take different slots, and published by writing seq = its index
 * + 1 last: the reader takes slots in order while seq matches and hands them
 * back by moving tail. Measured here with the same 88-byte record: ~80 ns per
 * event against ~240 for bpf_ringbuf_reserve/submit (its lock, and writes
 * into lines the reader last touched on the other CPU).
 */
struct ring_slot {
	__u64 seq;
	struct event ev;
};

struct ring_pos {
	__u64 head;    /* the next slot to reserve (BPF) */
	__u64 lost;    /* events this CPU could not write, ring or ring buffer (BPF) */
	__u64 lost_ts; /* boot ns of a loss the reader has not taken yet; 0: none */
	__u64 pad0[5]; /* head and tail on cache lines of their own */
	__u64 tail;    /* the first slot the reader still holds (Go) */
	__u64 pad1[7];
};

/*
 * An exec takes EXEC_SLOTS consecutive slots of its CPU's ring, reserved in
 * one swap of head: the event, then the executed path as bytes over the
 * others' struct event, each part NUL-terminated; a part is read only when
 * the one before is full (up to 2 x 87 bytes). The event's slot is published
 * last, so the path is there when the reader sees it.
 */
enum exec_layout {
	EXEC_SLOTS = 3,
};

#define FORK_STACK_DEPTH 127

/* A fork with --stacks: the forking thread's user stack travels with the
 * event (no stack map: its buckets collide, and a collision lost the call
 * site). ev.status is the number of frames in ips, or a negative error. */
struct fork_stack_event {
	struct event ev;
	__u64 ips[FORK_STACK_DEPTH];
};

/* follow map value flags */
enum follow_flag {
	FOLLOW_TRACE = 1 << 0,    /* trace this process; its children inherit it */
	FOLLOW_OWES = 1 << 1,     /* may owe a followed process its reap: keep its waits */
	FOLLOW_CHILDREN = 1 << 2, /* its new children are traced (zombietrace run) */
};

struct follow_entry {
	__u32 flags;
	__u32 pad;
	__u64 start_ns; /* 0: any incarnation (seeded from /proc) */
};

/* per-CPU counters, index */
enum counter {
	COUNTER_FOLLOW_FULL = 0, /* processes the follow map had no room for */
	COUNTER_MAX = 1,
};

#endif
