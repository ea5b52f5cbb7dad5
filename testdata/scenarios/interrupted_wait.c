/*
 * Interrupted waits (not in SCENARIOS.md): a wait that blocked before its child
 * became waitable, taken out of its wait before the child exits.
 *
 * Usage: interrupted_wait KIND. For each wait call (wait4 on the pid, wait4
 * on any child, waitid P_PID, P_ALL and P_PIDFD) the waiter forks a child
 * that exits when told and a controller that, once the waiter's thread is
 * blocked in the wait (read from /proc/PID/task/TID/syscall), interrupts it
 * as KIND says, waits LEAD_MS, tells the child to exit, and exits itself
 * once the child is collected:
 *   restart          SIGUSR1 to the waiting thread; its handler sleeps
 *                    HANDLER_MS; SA_RESTART restarts the wait
 *   eintr            the same without SA_RESTART: the wait fails with EINTR
 *                    and the program waits again
 *   signals          SIGUSR1, and SIGUSR2 SECOND_MS later (nested handlers)
 *   stop, stop-long  SIGSTOP to the process, SIGCONT STOP_MS/STOP_LONG_MS later
 *   thread-signalled the waiter is a second thread; SIGUSR1 to it
 *   thread-other     the waiter is a second thread that blocks SIGUSR1; the
 *                    process-directed SIGUSR1 runs on the main thread, and
 *                    the waiter never leaves its wait
 *   short            SIGUSR1 with a SHORT_MS handler; the child exits only
 *                    once the waiter is back in its wait
 * Expected: the child's zombie time is the rest of the interruption (about
 * HANDLER_MS - LEAD_MS, or the stop) where the waiter left its wait, ~0 for
 * thread-other and short; reaped by the parent (the waiting process).
 * Roles: one per wait call (the child), and "controllers".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HANDLER_MS 120
#define SECOND_MS 20
#define LEAD_MS 30
#define STOP_MS 120
#define STOP_LONG_MS 300
#define SHORT_MS 10
#define SETTLE_MS 30

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

enum call { WAIT4_PID, WAIT4_ANY, WAITID_PID, WAITID_ALL, WAITID_PIDFD, NCALLS };
static const char *call_names[NCALLS] = { "wait4_pid", "wait4_any", "waitid_pid", "waitid_all",
					  "waitid_pidfd" };

static const char *kind;
static long handler_ms = HANDLER_MS;
static pid_t children[NCALLS], controllers[NCALLS];
static int failed;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void fail(const char *what)
{
	fprintf(stderr, "interrupted_wait %s: %s: %s\n", kind, what, strerror(errno));
	failed = 1;
}

static void on_signal(int sig)
{
	(void)sig;
	sleep_ms(handler_ms);
}

static int is(const char *k) { return strcmp(kind, k) == 0; }

/* Waits (up to 5 s) until thread tid of process pid is blocked in wait4 or
 * waitid; 0 when it is. */
static int until_in_wait(pid_t pid, pid_t tid)
{
	char path[64], buf[64];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid, tid);
	for (int i = 0; i < 5000; i++) {
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			return -1;
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = 0;
			long nr = strtol(buf, NULL, 10);
			if (nr == SYS_wait4 || nr == SYS_waitid) {
				/* in the syscall; give it a moment to block */
				sleep_ms(5);
				return 0;
			}
		}
		sleep_ms(1);
	}
	return -1;
}

/* The controller: interrupts the waiting thread, then lets the child go. */
static void control(pid_t parent, pid_t waiter, int go, int done)
{
	if (until_in_wait(parent, waiter) != 0)
		_exit(2);
	if (is("stop") || is("stop-long")) {
		kill(parent, SIGSTOP);
	} else if (is("thread-other")) {
		kill(parent, SIGUSR1);
	} else {
		syscall(SYS_tgkill, parent, waiter, SIGUSR1);
		if (is("signals")) {
			sleep_ms(SECOND_MS);
			syscall(SYS_tgkill, parent, waiter, SIGUSR2);
		}
	}
	if (is("short")) {
		/* back in its wait after the handler: the child exits later */
		sleep_ms(SHORT_MS + 5);
		if (until_in_wait(parent, waiter) != 0)
			_exit(2);
		sleep_ms(SETTLE_MS);
	} else {
		sleep_ms(LEAD_MS);
	}
	if (write(go, "g", 1) != 1)
		_exit(3);
	if (is("stop"))
		sleep_ms(STOP_MS - LEAD_MS);
	if (is("stop-long"))
		sleep_ms(STOP_LONG_MS - LEAD_MS);
	if (is("stop") || is("stop-long"))
		kill(parent, SIGCONT);
	/* Exit only once the child is collected: two children exiting together
	 * under one any-child wait is another question. */
	char b;
	while (read(done, &b, 1) == -1 && errno == EINTR)
		;
	_exit(0);
}

/* One wait call of the child, restarted by hand after EINTR. 1 when it
 * collected the child, 0 when it collected another one. */
static int wait_once(enum call c, pid_t child, int pidfd)
{
	siginfo_t si;
	int st;
	pid_t got;
	for (;;) {
		memset(&si, 0, sizeof(si));
		switch (c) {
		case WAIT4_PID:
			got = wait4(child, &st, 0, NULL);
			break;
		case WAIT4_ANY:
			got = wait4(-1, &st, 0, NULL);
			break;
		case WAITID_PID:
			got = waitid(P_PID, child, &si, WEXITED) == 0 ? si.si_pid : -1;
			break;
		case WAITID_ALL:
			got = waitid(P_ALL, 0, &si, WEXITED) == 0 ? si.si_pid : -1;
			break;
		default:
			got = waitid(P_PIDFD, pidfd, &si, WEXITED) == 0 ? si.si_pid : -1;
			break;
		}
		if (got >= 0 || errno != EINTR)
			break;
	}
	if (got < 0) {
		fail(call_names[c]);
		return 1;
	}
	return got == child;
}

static void run_call(enum call c)
{
	int go[2], done[2];
	if (pipe(go) == -1 || pipe(done) == -1)
		return fail("pipe");
	pid_t child = fork();
	if (child == -1)
		return fail("fork");
	if (child == 0) {
		char b;
		close(go[1]);
		while (read(go[0], &b, 1) == -1 && errno == EINTR)
			;
		_exit(0);
	}
	int pidfd = -1;
	if (c == WAITID_PIDFD && (pidfd = syscall(SYS_pidfd_open, child, 0)) < 0)
		return fail("pidfd_open");
	pid_t parent = getpid(), waiter = syscall(SYS_gettid);
	pid_t ctl = fork();
	if (ctl == -1)
		return fail("fork");
	if (ctl == 0) {
		close(go[0]);
		close(done[1]);
		control(parent, waiter, go[1], done[0]);
	}
	close(go[0]);
	close(go[1]);
	close(done[0]);
	children[c] = child;
	controllers[c] = ctl;
	if (!wait_once(c, child, pidfd))
		fail("the wait collected the controller");
	close(done[1]);
	int st;
	if (waitpid(ctl, &st, 0) != ctl || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail("controller");
	if (pidfd >= 0)
		close(pidfd);
}

static void *run_all(void *arg)
{
	(void)arg;
	if (is("thread-other")) {
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
	}
	for (int c = 0; c < NCALLS; c++)
		run_call(c);
	return NULL;
}

int main(int argc, char **argv)
{
	static const char *kinds[] = { "restart", "eintr", "signals", "stop", "stop-long",
				       "thread-signalled", "thread-other", "short" };
	kind = argc > 1 ? argv[1] : "";
	int known = 0;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		known |= is(kinds[i]);
	if (!known) {
		fprintf(stderr, "usage: interrupted_wait restart|eintr|signals|stop|stop-long|"
				"thread-signalled|thread-other|short\n");
		return 2;
	}
	if (is("short"))
		handler_ms = SHORT_MS;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = is("eintr") ? 0 : SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	fflush(stdout);
	if (strncmp(kind, "thread-", 7) == 0) {
		pthread_t t;
		if (pthread_create(&t, NULL, run_all, NULL) != 0)
			return fail("pthread_create"), 1;
		pthread_join(t, NULL);
	} else {
		run_all(NULL);
	}
	printf("{\"scenario\":\"interrupted_wait\",\"pids\":{\"parent\":%d", getpid());
	for (int c = 0; c < NCALLS; c++)
		printf(",\"%s\":%d", call_names[c], children[c]);
	printf(",\"controllers\":[");
	for (int c = 0; c < NCALLS; c++)
		printf("%s%d", c ? "," : "", controllers[c]);
	printf("]}}\n");
	return failed;
}
