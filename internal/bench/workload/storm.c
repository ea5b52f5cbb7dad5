// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The benchmark's workloads. Each mode prints one JSON line on stdout.
 *
 *   storm WORKERS MILLIS   workers fork -> child _exit -> waitpid, as fast as
 *                          the machine goes: {"lifecycles":N,"ns":T,"cpu_ns":C}
 *                          (cpu_ns: the storm's own user+sys, children included)
 *   vstorm WORKERS MILLIS  the same with vfork: every lifecycle has the same
 *                          events, without the page-table copy that makes
 *                          fork slow (here ~20x more lifecycles per second)
 *   live WORKERS [getppid] the same storm (or getppid() calls) until stdin
 *                          closes; each line read on stdin is answered with the
 *                          lifecycles (calls) so far: {"count":N,"ns":T}
 *                          (T: CLOCK_MONOTONIC)
 *   burst N                N children block on a pipe, exit together when it
 *                          closes, and are reaped 50 ms later: {"lifecycles":N,...}
 *   getppid N              N getppid() calls: {"calls":N,"ns":T}
 *   exec N                 N times: fork a child that execs this program
 *                          (mode noop, which exits at once) and wait for it:
 *                          {"lifecycles":N,"ns":T,"cpu_ns":C}
 *   accuracy DELAY_US N    N times: fork a child that notes CLOCK_BOOTTIME and
 *                          exits; take the SIGCHLD (sigwaitinfo) and note the
 *                          time; sleep DELAY; note the time, waitpid, note the
 *                          time it returned. The exit lies between the first
 *                          two notes, the reap between the last two:
 *                          {"children":[[pid,exit_lo,exit_hi,reap_lo,reap_hi],...]}
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint64_t cpu_ns(void)
{
	struct rusage self, kids;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	uint64_t t = 0;
	struct timeval *tv[] = { &self.ru_utime, &self.ru_stime, &kids.ru_utime, &kids.ru_stime };
	for (int i = 0; i < 4; i++)
		t += (uint64_t)tv[i]->tv_sec * 1000000000ull + tv[i]->tv_usec * 1000ull;
	return t;
}

/* One fork -> child _exit -> waitpid; 0 when the fork failed. */
static int lifecycle(void)
{
	pid_t c = fork();
	if (c == 0)
		_exit(0);
	if (c < 0)
		return 0;
	while (waitpid(c, NULL, 0) < 0 && errno == EINTR)
		;
	return 1;
}

/* The same with vfork: the parent waits in vfork until the child exits.
 * A function of its own, not a flag: the child of vfork must not return
 * from the function that called it. */
static int vlifecycle(void)
{
	pid_t c = vfork();
	if (c == 0)
		_exit(0);
	if (c < 0)
		return 0;
	while (waitpid(c, NULL, 0) < 0 && errno == EINTR)
		;
	return 1;
}

static int storm(int workers, long millis, int (*one)(void))
{
	/* Each worker counts into shared memory: the parent reports the total. */
	volatile uint64_t *counts = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counts == MAP_FAILED)
		return perror("mmap"), 1;
	uint64_t c0 = cpu_ns(), t0 = now_ns(CLOCK_MONOTONIC);
	uint64_t end = t0 + (uint64_t)millis * 1000000ull;
	for (int w = 0; w < workers; w++) {
		pid_t pid = fork();
		if (pid < 0)
			return perror("fork"), 1;
		if (pid == 0) {
			uint64_t n = 0;
			while (now_ns(CLOCK_MONOTONIC) < end)
				n += one();
			counts[w] = n;
			_exit(0);
		}
	}
	for (int w = 0; w < workers; w++)
		while (wait(NULL) < 0 && errno == EINTR)
			;
	uint64_t t1 = now_ns(CLOCK_MONOTONIC), c1 = cpu_ns(), total = 0;
	for (int w = 0; w < workers; w++)
		total += counts[w];
	printf("{\"lifecycles\":%llu,\"ns\":%llu,\"cpu_ns\":%llu}\n", (unsigned long long)total,
	       (unsigned long long)(t1 - t0), (unsigned long long)(c1 - c0));
	return 0;
}

/* Workers count in their own cache line, so that sampling does not slow them. */
#define SLOT 8

/* One getppid(): an unrelated syscall, which the default mode must not slow. */
static int one_getppid(void)
{
	syscall(SYS_getppid);
	return 1;
}

static int live(int workers, int (*work)(void))
{
	volatile uint64_t *shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED)
		return perror("mmap"), 1;
	volatile uint64_t *stop = &shm[0];
	volatile uint64_t *counts = &shm[SLOT];
	pid_t self = getpid();
	for (int w = 0; w < workers; w++) {
		pid_t pid = fork();
		if (pid < 0)
			return perror("fork"), 1;
		if (pid == 0) {
			/* A bench that is killed kills this workload: no worker
			 * storms on as an orphan. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != self)
				_exit(0);
			while (!*stop)
				counts[w * SLOT] += work();
			_exit(0);
		}
	}
	char line[64];
	while (fgets(line, sizeof(line), stdin)) {
		uint64_t total = 0;
		for (int w = 0; w < workers; w++)
			total += counts[w * SLOT];
		printf("{\"count\":%llu,\"ns\":%llu}\n", (unsigned long long)total,
		       (unsigned long long)now_ns(CLOCK_MONOTONIC));
		fflush(stdout);
	}
	*stop = 1; /* workers finish their lifecycle and exit: nothing is orphaned */
	for (int w = 0; w < workers; w++)
		while (wait(NULL) < 0 && errno == EINTR)
			;
	return 0;
}

static int burst(int n)
{
	int p[2];
	if (pipe(p))
		return perror("pipe"), 1;
	pid_t *pids = calloc(n, sizeof(*pids));
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			return perror("fork"), 1;
		if (pids[i] == 0) {
			char c;
			close(p[1]);
			while (read(p[0], &c, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
	}
	close(p[1]); /* every child's read returns: they exit within a few ms */
	struct timespec d = { 0, 50 * 1000000 };
	nanosleep(&d, NULL);
	for (int i = 0; i < n; i++)
		while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
			;
	printf("{\"lifecycles\":%d,\"ns\":%llu,\"cpu_ns\":%llu}\n", n,
	       (unsigned long long)(now_ns(CLOCK_MONOTONIC) - t0), (unsigned long long)cpu_ns());
	return 0;
}

static int getppid_loop(long n)
{
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	printf("{\"calls\":%ld,\"ns\":%llu}\n", n, (unsigned long long)(now_ns(CLOCK_MONOTONIC) - t0));
	return 0;
}

static int exec_loop(long n)
{
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	char *argv[] = { "storm", "noop", NULL };
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0)
			return perror("fork"), 1;
		if (pid == 0) {
			execv("/proc/self/exe", argv);
			_exit(127);
		}
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			return fprintf(stderr, "exec: child status %#x\n", st), 1;
	}
	printf("{\"lifecycles\":%ld,\"ns\":%llu,\"cpu_ns\":%llu}\n", n,
	       (unsigned long long)(now_ns(CLOCK_MONOTONIC) - t0), (unsigned long long)cpu_ns());
	return 0;
}

static int accuracy(long delay_us, int n)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	/* The child's last note, written where the parent reads it. */
	volatile uint64_t *exit_lo = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE,
					  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (exit_lo == MAP_FAILED)
		return perror("mmap"), 1;
	printf("{\"children\":[");
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0)
			return perror("fork"), 1;
		if (pid == 0) {
			*exit_lo = now_ns(CLOCK_BOOTTIME);
			_exit(0);
		}
		siginfo_t si;
		while (sigwaitinfo(&set, &si) < 0 && errno == EINTR)
			;
		uint64_t exit_hi = now_ns(CLOCK_BOOTTIME);
		struct timespec d = { delay_us / 1000000, (delay_us % 1000000) * 1000 };
		nanosleep(&d, NULL);
		uint64_t reap_lo = now_ns(CLOCK_BOOTTIME);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		uint64_t reap_hi = now_ns(CLOCK_BOOTTIME);
		printf("%s[%d,%llu,%llu,%llu,%llu]", i ? "," : "", pid, (unsigned long long)*exit_lo,
		       (unsigned long long)exit_hi, (unsigned long long)reap_lo,
		       (unsigned long long)reap_hi);
	}
	printf("]}\n");
	return 0;
}

/*
 * zombies N: forks N children that exit at once and never waits for them;
 * prints "ready" once all N are zombies (each child's exit is waited for
 * with WNOWAIT, which leaves it a zombie), then holds them until stdin
 * closes or a signal ends it. PR_SET_PDEATHSIG: the bench's death ends it.
 */
static int zombies(int n)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0)
			return perror("fork"), 1;
		if (pid == 0)
			_exit(0);
		siginfo_t si;
		while (waitid(P_PID, pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
			;
	}
	printf("ready\n");
	fflush(stdout);
	char c;
	while (read(0, &c, 1) > 0)
		;
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (argc >= 4 && !strcmp(argv[1], "storm"))
		return storm(atoi(argv[2]), atol(argv[3]), lifecycle);
	if (argc >= 4 && !strcmp(argv[1], "vstorm"))
		return storm(atoi(argv[2]), atol(argv[3]), vlifecycle);
	if (argc >= 3 && !strcmp(argv[1], "live"))
		return live(atoi(argv[2]), argc >= 4 && !strcmp(argv[3], "getppid") ? one_getppid : lifecycle);
	if (argc >= 3 && !strcmp(argv[1], "burst"))
		return burst(atoi(argv[2]));
	if (argc >= 3 && !strcmp(argv[1], "getppid"))
		return getppid_loop(atol(argv[2]));
	if (argc >= 4 && !strcmp(argv[1], "accuracy"))
		return accuracy(atol(argv[2]), atoi(argv[3]));
	if (argc >= 3 && !strcmp(argv[1], "exec"))
		return exec_loop(atol(argv[2]));
	if (argc >= 3 && !strcmp(argv[1], "zombies"))
		return zombies(atoi(argv[2]));
	if (argc >= 2 && !strcmp(argv[1], "noop"))
		return 0;
	fprintf(stderr, "usage: storm storm|vstorm WORKERS MILLIS | live WORKERS [getppid] | burst N | getppid N | accuracy DELAY_US N | exec N | zombies N\n");
	return 2;
}
