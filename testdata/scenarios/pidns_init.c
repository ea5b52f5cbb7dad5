/*
 * SCENARIOS.md #21: reaping with no wait syscall (a pid-namespace init dies).
 *
 * The parent unshare()s a new pid namespace and forks its init (ns pid 1).
 * The init forks 3 children and never waits; each child reports its host pid,
 * sleeps 50 ms and _exit(0)s (becoming a zombie under the init). The init
 * sleeps 100 ms and exits: zap_pid_ns_processes() then reaps the zombies in
 * the kernel (kernel_wait4 from the exiting init), with no wait syscall.
 * The parent reaps the init with waitpid.
 *
 * Host pids of the children: /proc here is mounted for the parent's pid
 * namespace (it is not remounted), so readlink("/proc/self") in a child gives
 * its pid in the parent's namespace. The children send it through a pipe.
 * (/proc/PID/task/TID/children is not available on this kernel config.)
 *
 * Expected: the 3 children are reaped "unseen" (no wait syscall; method
 * inferred, e.g. pid-ns teardown), not guessed as "parent".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NCHILD 3
#define CHILD_MS 50
#define INIT_MS 100

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int proc_self_pid(void)
{
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return atoi(buf);
}

static int run_init(int wfd)
{
	int i;

	for (i = 0; i < NCHILD; i++) {
		pid_t c = fork();
		if (c == -1) {
			perror("init: fork");
			return 1;
		}
		if (c == 0) {
			int host = proc_self_pid();
			if (write(wfd, &host, sizeof(host)) != sizeof(host))
				_exit(1);
			close(wfd);
			sleep_ms(CHILD_MS);
			_exit(0);
		}
	}
	close(wfd);
	sleep_ms(INIT_MS); /* never waits */
	return 0;
}

int main(void)
{
	int p[2], children[NCHILD], n = 0, st, rc = 0, v;
	pid_t init;

	if (proc_self_pid() != getpid())
		fprintf(stderr, "pidns_init: warning: /proc is not mounted for this pid namespace\n");
	if (pipe(p) == -1) {
		perror("pipe");
		return 1;
	}
	if (unshare(CLONE_NEWPID) == -1) {
		perror("unshare(CLONE_NEWPID)");
		return 1;
	}
	fflush(stdout);
	init = fork();
	if (init == -1) {
		perror("fork");
		return 1;
	}
	if (init == 0) {
		close(p[0]);
		_exit(run_init(p[1]));
	}
	close(p[1]);
	for (;;) {
		ssize_t r = read(p[0], &v, sizeof(v));
		if (r == -1 && errno == EINTR)
			continue;
		if (r != sizeof(v))
			break;
		if (n < NCHILD)
			children[n++] = v;
	}
	close(p[0]);
	if (waitpid(init, &st, 0) != init) {
		perror("waitpid");
		return 1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "pidns_init: init status %#x\n", st);
		rc = 1;
	}
	if (n != NCHILD) {
		fprintf(stderr, "pidns_init: got %d child pids\n", n);
		for (; n < NCHILD; n++)
			children[n] = -1;
		rc = 1;
	}
	for (v = 0; v < NCHILD; v++)
		if (children[v] <= 1) {
			fprintf(stderr, "pidns_init: bad child pid %d\n", children[v]);
			rc = 1;
		}
	printf("{\"scenario\":\"pidns_init\",\"pids\":{\"parent\":%d,\"init\":%d,\"children\":[%d,%d,%d]}}\n",
	       (int)getpid(), (int)init, children[0], children[1], children[2]);
	fflush(stdout);
	return rc;
}
