/*
 * SCENARIOS.md #18: a child with a large address space exits.
 *
 * The child maps and touches 512 MiB (~0.2 s), then _exit(0)s; the parent blocks in
 * waitpid. exit_mm() takes tens of ms between the sched_process_exit
 * tracepoint and the moment the child becomes waitable (exit_notify).
 * Expected: zombie time small (< 100 ms), measured from the notification,
 * not from the exit tracepoint.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define SIZE (512UL << 20)

int main(void)
{
	pid_t child;
	int status;

	fflush(stdout);
	child = fork();
	if (child == -1) {
		perror("fork");
		return 1;
	}
	if (child == 0) {
		/* MAP_POPULATE: prefault in bulk (5x faster than faulting
		 * page by page in memset on this VM); memset still touches
		 * every page. */
		volatile unsigned char *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE,
						 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
						 -1, 0);
		if (p == MAP_FAILED)
			_exit(2);
		memset((void *)p, 1, SIZE);
		_exit(p[SIZE - 1] == 1 && p[0] == 1 ? 0 : 3);
	}
	if (waitpid(child, &status, 0) != child) {
		perror("waitpid");
		return 1;
	}
	printf("{\"scenario\":\"bigmem\",\"pids\":{\"parent\":%d,\"child\":%d}}\n",
	       (int)getpid(), (int)child);
	fflush(stdout);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bigmem: child status %#x\n", status);
		return 1;
	}
	return 0;
}
