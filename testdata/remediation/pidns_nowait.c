/*
 * SCENARIOS.md #10, remediation target: a container whose pid 1 never waits.
 *
 * The outer program (O) unshare()s a new pid namespace and forks its init (I,
 * pid 1 inside). The init is a plain program, like `sleep` as a container
 * entrypoint: SIGCHLD keeps its default disposition (NOT ignored: that would
 * autoreap the orphans) and it never waits. It forks a parent P (pid 3
 * inside) and sleeps up to 60 s (INIT_LIFETIME_S). Before P it forks a helper
 * that exits at once: the init's own zombie, which it never reaps either. P forks 3 children that
 * exit at once, never waits, and sleeps. Each process inside learns its host
 * pid by reading the /proc/self link (/proc is the host's, not remounted) and
 * sends it to O through a pipe. Once the children are `Z` in /proc, O prints:
 *   {"scenario":"pidns_nowait","pids":{"outer":O,"init":I,"parent":P,
 *    "children":[...]}}
 * and blocks in waitpid(I); it exits 0 when the init is gone (after its 60 s
 * or when killed).
 *
 * Remediation:
 * - SIGCHLD to P: nothing (P has no handler).
 * - SIGTERM to P: P dies; its 3 zombies are reparented to the init (the
 *   namespace's child reaper; no subreaper inside), which never reaps them,
 *   and P itself becomes a zombie of the init too: 4 zombies stay. Signalling
 *   the original parent cannot help.
 * - SIGCHLD or SIGTERM to I from the host: ignored (a pid-ns init gets only
 *   SIGKILL/SIGSTOP from an ancestor namespace unless it has a handler).
 * - SIGKILL to I: the namespace is torn down: the kernel kills P and reaps
 *   every zombie inside (zap_pid_ns_processes, no wait syscall); O reaps I
 *   and exits.
 * - SIGTERM/SIGKILL to O: the init has PR_SET_PDEATHSIG=SIGKILL, so the
 *   namespace is torn down the same way (the init itself is then inherited
 *   and reaped by the nearest subreaper).
 * Nothing inside writes to stdout (the init points stdout at /dev/null).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NCHILD 3
#define INIT_LIFETIME_S 60
#define PARENT_LIFETIME_S 120 /* not reached: P dies when the init exits */
#define SETUP_TIMEOUT_MS 5000

enum { ROLE_PARENT = 1, ROLE_CHILD = 2 };
struct msg {
	int role;
	int pid;
};

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void sleep_s(int s)
{
	struct timespec deadline;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += s;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) == EINTR)
		;
}

/* Host pid: /proc is mounted for the host's pid namespace. */
static int proc_self_pid(void)
{
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return atoi(buf);
}

/* State letter from /proc/PID/stat (host pid), 0 if the pid is gone. */
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

static void send_msg(int wfd, int role)
{
	struct msg m = { role, proc_self_pid() };
	if (write(wfd, &m, sizeof(m)) != sizeof(m))
		_exit(1);
}

/* P: pid 3 inside. Forks NCHILD children that exit at once; never waits. */
static int run_parent(int wfd)
{
	int i;

	send_msg(wfd, ROLE_PARENT);
	for (i = 0; i < NCHILD; i++) {
		pid_t c = fork();
		if (c == -1)
			return 1;
		if (c == 0) {
			send_msg(wfd, ROLE_CHILD);
			_exit(0);
		}
	}
	close(wfd);
	sleep_s(PARENT_LIFETIME_S); /* never waits */
	return 0;
}

/* I: pid 1 inside. SIGCHLD default, never waits: it already holds a
 * zombie of its own (a helper it forked at start), the evidence a tool can
 * see that it does not reap. */
static int run_init(int wfd, pid_t outer)
{
	int devnull;
	pid_t p;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	{
		char st = proc_state(outer);
		if (st == 0 || st == 'Z' || st == 'X')
			return 1; /* the outer died before the prctl */
	}
	devnull = open("/dev/null", O_WRONLY);
	if (devnull != -1) {
		dup2(devnull, STDOUT_FILENO);
		close(devnull);
	}
	p = fork();
	if (p == -1)
		return 1;
	if (p == 0)
		_exit(0); /* the init's own leftover zombie */
	p = fork();
	if (p == -1)
		return 1;
	if (p == 0)
		_exit(run_parent(wfd));
	close(wfd);
	sleep_s(INIT_LIFETIME_S); /* never waits */
	return 0;
}

int main(void)
{
	int p[2], children[NCHILD], n = 0, parent = -1, i, waited, st;
	pid_t outer = getpid(), init;
	struct msg m;

	if (proc_self_pid() != outer) {
		fprintf(stderr, "pidns_nowait: /proc is not mounted for this pid namespace\n");
		return 1;
	}
	/* Default disposition even if the caller left SIGCHLD ignored (SIG_IGN
	 * survives exec; an ignoring init would autoreap the orphans). */
	signal(SIGCHLD, SIG_DFL);
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
		_exit(run_init(p[1], outer));
	}
	close(p[1]);
	for (;;) {
		ssize_t r = read(p[0], &m, sizeof(m));
		if (r == -1 && errno == EINTR)
			continue;
		if (r != sizeof(m))
			break;
		if (m.role == ROLE_PARENT)
			parent = m.pid;
		else if (m.role == ROLE_CHILD && n < NCHILD)
			children[n++] = m.pid;
	}
	close(p[0]);
	if (parent <= 1 || n != NCHILD) {
		fprintf(stderr, "pidns_nowait: got parent %d and %d child pids\n", parent, n);
		goto fail;
	}
	for (i = 0; i < n; i++)
		if (children[i] <= 1) {
			fprintf(stderr, "pidns_nowait: bad child pid %d\n", children[i]);
			goto fail;
		}
	/* P never waits, so the children's pids cannot be reused meanwhile. */
	for (waited = 0;; waited++) {
		for (i = 0; i < n; i++)
			if (proc_state(children[i]) != 'Z')
				break;
		if (i == n)
			break;
		if (waited >= SETUP_TIMEOUT_MS) {
			fprintf(stderr, "pidns_nowait: child %d not a zombie after %d ms\n",
				children[i], SETUP_TIMEOUT_MS);
			goto fail;
		}
		sleep_ms(1);
	}

	printf("{\"scenario\":\"pidns_nowait\",\"pids\":{\"outer\":%d,\"init\":%d,\"parent\":%d,\"children\":[%d,%d,%d]}}\n",
	       (int)outer, (int)init, parent, children[0], children[1], children[2]);
	fflush(stdout);

	while (waitpid(init, &st, 0) == -1) {
		if (errno != EINTR) {
			perror("waitpid");
			return 1;
		}
	}
	return 0; /* whether the init exited after its 60 s or was killed */

fail:
	kill(init, SIGKILL); /* tears the namespace down */
	while (waitpid(init, &st, 0) == -1 && errno == EINTR)
		;
	return 1;
}
