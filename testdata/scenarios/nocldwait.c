/*
 * SCENARIOS.md #3 (SA_NOCLDWAIT variant): sigaction(SIGCHLD) with SA_NOCLDWAIT
 * and handler SIG_DFL -> children are autoreaped at exit. Unlike SIG_IGN,
 * SIGCHLD is still generated (and ignored by default).
 *
 * 3 children _exit(0) at once; the parent sleeps 300 ms and never waits.
 * Expected: reaped by the kernel ("autoreap"), zombie time 0, parent not blamed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NCHILD 3
#define SLEEP_MS 300

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int main(void)
{
	struct sigaction sa;
	pid_t children[NCHILD];
	int i, rc = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sa.sa_flags = SA_NOCLDWAIT;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGCHLD, &sa, NULL) == -1) {
		perror("sigaction");
		return 1;
	}
	fflush(stdout);
	for (i = 0; i < NCHILD; i++) {
		children[i] = fork();
		if (children[i] == -1) {
			perror("fork");
			return 1;
		}
		if (children[i] == 0)
			_exit(0);
	}
	sleep_ms(SLEEP_MS);
	/* Self-check: nothing is left to wait for. */
	if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD) {
		fprintf(stderr, "nocldwait: a child is still waitable\n");
		rc = 1;
	}
	printf("{\"scenario\":\"nocldwait\",\"pids\":{\"parent\":%d,\"children\":[%d,%d,%d]}}\n",
	       (int)getpid(), (int)children[0], (int)children[1], (int)children[2]);
	fflush(stdout);
	return rc;
}
