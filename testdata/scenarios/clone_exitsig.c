/*
 * SCENARIOS.md #20: clone child whose exit signal is not SIGCHLD.
 *
 * The parent sets SIGCHLD to SIG_IGN, then clone()s a child (own stack) whose
 * exit signal is SIGUSR1 (argv[1] == "0": exit signal 0, no notification at
 * all). The child _exit(0)s at once. Autoreap only applies to children whose
 * exit signal is SIGCHLD, so the child stays a zombie; the parent (which
 * handles SIGUSR1 so it survives) sleeps 200 ms, checks that the child is 'Z',
 * then collects it with waitpid(pid, __WALL).
 * Expected: not autoreaped; zombie ~200 ms blamed on the parent (reason: exit
 * signal != SIGCHLD), reaped by the parent.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STACK_SIZE (256 * 1024)
#define SLEEP_MS 200

static volatile sig_atomic_t usr1_count;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_count++;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int child_fn(void *arg)
{
	(void)arg;
	_exit(0);
}

static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return (p && p[1] == ' ') ? p[2] : '?';
}

int main(int argc, char **argv)
{
	int exit_sig = SIGUSR1, st, rc = 0;
	struct sigaction sa;
	char *stack, state;
	pid_t pid;

	if (argc > 1 && strcmp(argv[1], "0") == 0)
		exit_sig = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGCHLD, SIG_IGN);

	stack = malloc(STACK_SIZE);
	if (!stack) {
		perror("malloc");
		return 1;
	}
	fflush(stdout);
	pid = clone(child_fn, stack + STACK_SIZE, exit_sig, NULL);
	if (pid == -1) {
		perror("clone");
		return 1;
	}
	sleep_ms(SLEEP_MS);
	state = proc_state(pid);
	if (state != 'Z') {
		fprintf(stderr, "clone_exitsig: child state '%c', expected 'Z'\n", state);
		rc = 1;
	}
	if (waitpid(pid, &st, __WALL) != pid) {
		perror("waitpid");
		return 1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "clone_exitsig: child status %#x\n", st);
		rc = 1;
	}
	if (exit_sig == SIGUSR1 && usr1_count != 1) {
		fprintf(stderr, "clone_exitsig: %d SIGUSR1 received\n", (int)usr1_count);
		rc = 1;
	}
	printf("{\"scenario\":\"clone_exitsig\",\"pids\":{\"parent\":%d,\"child\":%d}}\n",
	       (int)getpid(), (int)pid);
	fflush(stdout);
	free(stack);
	return rc;
}
