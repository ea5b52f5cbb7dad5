/*
 * SCENARIOS.md #19: waits that are not reaps.
 *
 * "peeked" exits at once; the parent peeks at it with
 * waitid(P_PID, peeked, WEXITED|WNOWAIT), sleeps 100 ms, then reaps it with
 * waitpid.
 * "stopped" raises SIGSTOP; the parent sees the stop with waitpid(WUNTRACED),
 * sends SIGCONT, sees the continue with waitpid(WCONTINUED), then lets the
 * child go (pipe, so the exit cannot overtake the continue report) and the
 * child _exit(3)s; the parent reaps it with waitpid.
 * Expected: the peek and the stop/continue reports are not reaps; the later
 * waitpid calls are (reaped by the parent; peeked's zombie time ~100 ms).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PEEK_HOLD_MS 100
#define STOPPED_CODE 3

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int fail(const char *what, int st)
{
	fprintf(stderr, "wnowait: %s (status %#x, errno %s)\n", what, st, strerror(errno));
	return 1;
}

int main(void)
{
	pid_t peeked, stopped;
	siginfo_t si;
	int st = 0, go[2], rc = 0;

	fflush(stdout);
	/* Part 1: WNOWAIT peek. */
	peeked = fork();
	if (peeked == -1)
		return fail("fork", 0);
	if (peeked == 0)
		_exit(0);
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, peeked, &si, WEXITED | WNOWAIT) == -1 || si.si_pid != peeked ||
	    si.si_code != CLD_EXITED)
		rc |= fail("waitid WNOWAIT", 0);
	sleep_ms(PEEK_HOLD_MS);
	if (waitpid(peeked, &st, 0) != peeked || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		rc |= fail("reap peeked", st);

	/* Part 2: stop / continue reports. */
	if (pipe(go) == -1)
		return fail("pipe", 0);
	stopped = fork();
	if (stopped == -1)
		return fail("fork", 0);
	if (stopped == 0) {
		char b;
		close(go[1]);
		raise(SIGSTOP);
		while (read(go[0], &b, 1) == -1 && errno == EINTR)
			;
		_exit(STOPPED_CODE);
	}
	close(go[0]);
	if (waitpid(stopped, &st, WUNTRACED) != stopped || !WIFSTOPPED(st))
		rc |= fail("waitpid WUNTRACED", st);
	kill(stopped, SIGCONT);
	if (waitpid(stopped, &st, WCONTINUED) != stopped || !WIFCONTINUED(st))
		rc |= fail("waitpid WCONTINUED", st);
	if (write(go[1], "g", 1) != 1)
		rc |= fail("write", 0);
	close(go[1]);
	if (waitpid(stopped, &st, 0) != stopped || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != STOPPED_CODE)
		rc |= fail("reap stopped", st);

	printf("{\"scenario\":\"wnowait\",\"pids\":{\"parent\":%d,\"peeked\":%d,\"stopped\":%d}}\n",
	       (int)getpid(), (int)peeked, (int)stopped);
	fflush(stdout);
	return rc;
}
