// Forks children from two named functions: the leaky one leaves its child a
// zombie for 300 ms, the tidy one reaps at once. Built with frame pointers,
// `run --stacks --flame f.folded --by callsite` shows leaky_spawner.
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * fork() through glibc loses the caller: glibc is built without frame
 * pointers and its fork wrappers use rbp, which breaks the chain. The raw
 * system call keeps the instruction pointer in our own function. (A child
 * that only _exits needs none of glibc's fork bookkeeping.)
 */
static inline pid_t raw_fork(void)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(57L) : "rcx", "r11", "memory");
	return (pid_t)ret;
}

static pid_t kids[16];
static int nkids;

__attribute__((noinline)) void leaky_spawner(void)
{
	pid_t p = raw_fork();
	if (p == 0)
		_exit(0);
	kids[nkids++] = p;
}

__attribute__((noinline)) void tidy_spawner(void)
{
	pid_t p = raw_fork();
	if (p == 0)
		_exit(0);
	waitpid(p, NULL, 0);
}

__attribute__((noinline)) void serve(void)
{
	for (int i = 0; i < 4; i++) {
		leaky_spawner();
		tidy_spawner();
	}
}

int main(void)
{
	serve();
	struct timespec d = { 0, 300 * 1000 * 1000 };
	nanosleep(&d, NULL);
	for (int i = 0; i < nkids; i++)
		waitpid(kids[i], NULL, 0);
	return 0;
}
