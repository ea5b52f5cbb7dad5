/*
 * SCENARIOS.md #8, remediation target: a SIGCHLD handler that reaps only ONE
 * child per signal (waitpid(-1, WNOHANG) once, no loop), SA_RESTART.
 *
 * usage: one_per_signal [N]    (N children, default 8, 2..256)
 *
 * The parent forks N children that block reading a pipe, then closes the
 * pipe: they all exit at once. Standard signals coalesce, so their N SIGCHLDs
 * become one pending SIGCHLD and the handler reaps one child. To make that
 * outcome deterministic (a race on 2 cores otherwise reaps anywhere from 1 to
 * N), SIGCHLD is blocked while the children exit -- as in a parent busy in a
 * critical section -- and unblocked once every child is a zombie: exactly one
 * SIGCHLD is delivered and exactly one child reaped, N-1 stay zombies.
 *
 * Then it prints one line and sleeps up to 60 s (LIFETIME_S):
 *   {"scenario":"one_per_signal","pids":{"parent":P,"children":[...all N...],
 *    "zombies":[...the N-1 still unreaped when printed...]}}
 *
 * Remediation: each SIGCHLD sent to P (kill -CHLD P) reaps one more zombie,
 * provided the previous one was handled (nudges sent faster than the parent
 * handles them coalesce too). SIGTERM kills P (default action); its remaining
 * zombies are inherited by the nearest subreaper (the test process) or pid 1.
 * After 60 s P exits by itself, leaving its remaining zombies the same way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXCHILD 256
#define DEFAULT_N 8
#define LIFETIME_S 60
#define SETUP_TIMEOUT_MS 5000

static volatile sig_atomic_t nreaped;
static volatile pid_t reaped[MAXCHILD];

static void on_sigchld(int sig)
{
	int saved = errno, st;
	pid_t pid;

	(void)sig;
	pid = waitpid(-1, &st, WNOHANG); /* ONE child per signal: the bug */
	if (pid > 0 && nreaped < MAXCHILD)
		reaped[nreaped++] = pid;
	errno = saved;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* State letter from /proc/PID/stat, 0 if the pid is gone. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return '?';
	return p[2];
}

static int was_reaped(pid_t pid)
{
	int i;

	for (i = 0; i < nreaped; i++)
		if (reaped[i] == pid)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	pid_t children[MAXCHILD];
	struct sigaction sa;
	struct timespec deadline;
	sigset_t chld;
	int n = DEFAULT_N, i, p[2], waited, first;

	if (argc > 1) {
		n = atoi(argv[1]);
		if (n < 2 || n > MAXCHILD) {
			fprintf(stderr, "one_per_signal: N must be 2..%d\n", MAXCHILD);
			return 2;
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGCHLD, &sa, NULL) == -1) {
		perror("sigaction");
		return 1;
	}
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);

	if (pipe(p) == -1) {
		perror("pipe");
		return 1;
	}
	fflush(stdout);
	for (i = 0; i < n; i++) {
		pid_t c = fork();
		if (c == -1) {
			perror("fork");
			close(p[1]); /* the children forked so far exit */
			return 1;
		}
		if (c == 0) {
			char b;
			close(p[1]);
			while (read(p[0], &b, 1) == -1 && errno == EINTR)
				;
			_exit(0);
		}
		children[i] = c;
	}
	close(p[1]); /* all children see EOF and exit together */
	close(p[0]);

	/* SIGCHLD is blocked: nobody reaps, so the pids cannot be reused. */
	for (waited = 0;; waited++) {
		for (i = 0; i < n; i++)
			if (proc_state(children[i]) != 'Z')
				break;
		if (i == n)
			break;
		if (waited >= SETUP_TIMEOUT_MS) {
			fprintf(stderr, "one_per_signal: child %d not a zombie after %d ms\n",
				(int)children[i], SETUP_TIMEOUT_MS);
			return 1;
		}
		sleep_ms(1);
	}
	/* The N coalesced SIGCHLDs are delivered here as one: one reap. */
	sigprocmask(SIG_UNBLOCK, &chld, NULL); /* even if blocked at exec */

	printf("{\"scenario\":\"one_per_signal\",\"pids\":{\"parent\":%d,\"children\":[",
	       (int)getpid());
	for (i = 0; i < n; i++)
		printf("%s%d", i ? "," : "", (int)children[i]);
	printf("],\"zombies\":[");
	for (i = 0, first = 1; i < n; i++)
		if (!was_reaped(children[i])) {
			printf("%s%d", first ? "" : ",", (int)children[i]);
			first = 0;
		}
	printf("]}}\n");
	fflush(stdout);

	/* Stay (each SIGCHLD interrupts the sleep and reaps one) until 60 s. */
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += LIFETIME_S;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) == EINTR)
		;
	return 0;
}
