/*
 * SCENARIOS.md #15: a traced child whose tracer is not its parent.
 *
 * The parent forks C and T. T PTRACE_SEIZEs C and then lets it go (pipe sync,
 * so the seize happens before C exits); C sleeps 100 ms and _exit(7)s.
 * Since C is ptraced by T, its exit is notified to T, not to the parent, and
 * the parent cannot collect it while T holds it.
 * T waits for C's exit with waitid(WEXITED|WNOWAIT|__WALL) (a peek; any
 * ptrace stop is consumed and C continued with PTRACE_CONT), then holds the
 * zombie for 200 ms, then collects it with waitpid(C, __WALL): a tracer's wait
 * is NOT a reap, the kernel (wait_task_zombie, EXIT_TRACE) unlinks C and hands
 * the zombie back to the real parent with a new SIGCHLD. T then exits 0.
 * The parent waits for T, then reaps C with a blocking waitpid (status 7).
 *
 * Note: if T did its consuming waitpid first and slept afterwards, it would
 * NOT hold the zombie: the hand-back happens at the tracer's wait.
 *
 * Expected: C's reap is by the parent, ~200 ms after C's exit, after the tracer
 * held it ~200 ms; the tracer's peek and wait are not reaps.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHILD_MS 100
#define HOLD_MS 200
#define CHILD_CODE 7

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int tracer(pid_t c, int go_fd)
{
	siginfo_t si;
	int st;

	if (ptrace(PTRACE_SEIZE, c, NULL, NULL) == -1) {
		perror("tracer: PTRACE_SEIZE");
		close(go_fd); /* C sees EOF and carries on untraced */
		return 1;
	}
	if (write(go_fd, "g", 1) != 1) {
		perror("tracer: write");
		return 1;
	}
	close(go_fd);
	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, c, &si, WEXITED | WSTOPPED | WNOWAIT | __WALL) == -1) {
			if (errno == EINTR)
				continue;
			perror("tracer: waitid");
			return 1;
		}
		if (si.si_code == CLD_EXITED || si.si_code == CLD_KILLED ||
		    si.si_code == CLD_DUMPED)
			break;
		/* A ptrace stop: consume it and continue C. */
		if (waitpid(c, &st, __WALL) == c && WIFSTOPPED(st)) {
			int sig = WSTOPSIG(st);
			if (sig == SIGTRAP || sig == SIGSTOP || (st >> 16) != 0)
				sig = 0;
			ptrace(PTRACE_CONT, c, NULL, (void *)(long)sig);
		}
	}
	sleep_ms(HOLD_MS); /* the zombie is held by the tracer */
	if (waitpid(c, &st, __WALL) != c) { /* not a reap: hands C back */
		perror("tracer: waitpid");
		return 1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != CHILD_CODE) {
		fprintf(stderr, "tracer: C status %#x\n", st);
		return 1;
	}
	return 0;
}

int main(void)
{
	int go[2], st_t, st_c, rc = 0;
	pid_t c, t;

	if (pipe(go) == -1) {
		perror("pipe");
		return 1;
	}
	fflush(stdout);
	c = fork();
	if (c == -1) {
		perror("fork");
		return 1;
	}
	if (c == 0) {
		char b;
		close(go[1]);
		while (read(go[0], &b, 1) == -1 && errno == EINTR)
			;
		close(go[0]);
		sleep_ms(CHILD_MS);
		_exit(CHILD_CODE);
	}
	t = fork();
	if (t == -1) {
		perror("fork");
		kill(c, SIGKILL);
		waitpid(c, NULL, 0);
		return 1;
	}
	if (t == 0) {
		close(go[0]);
		_exit(tracer(c, go[1]));
	}
	close(go[0]);
	close(go[1]);
	if (waitpid(t, &st_t, 0) != t) {
		perror("waitpid tracer");
		return 1;
	}
	if (waitpid(c, &st_c, 0) != c) {
		perror("waitpid child");
		return 1;
	}
	printf("{\"scenario\":\"ptrace\",\"pids\":{\"parent\":%d,\"child\":%d,\"tracer\":%d}}\n",
	       (int)getpid(), (int)c, (int)t);
	fflush(stdout);
	if (!WIFEXITED(st_t) || WEXITSTATUS(st_t) != 0) {
		fprintf(stderr, "ptrace: tracer status %#x\n", st_t);
		rc = 1;
	}
	if (!WIFEXITED(st_c) || WEXITSTATUS(st_c) != CHILD_CODE) {
		fprintf(stderr, "ptrace: child status %#x\n", st_c);
		rc = 1;
	}
	return rc;
}
