// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Kernel constants that vmlinux.h does not carry (macros, not types); shared
 * by both compilation units (zombietrace.bpf.c and iters.bpf.c).
 */
#pragma once

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
