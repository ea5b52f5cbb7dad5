/*
 * SCENARIOS.md #12: the main thread exits with pthread_exit while another runs.
 *
 * In the child, the main thread starts one thread and calls pthread_exit(NULL)
 * at once (the leader shows Z in /proc but is not waitable). The other thread
 * sleeps 300 ms and returns; as the last thread it ends the process (status 0).
 * The parent blocks in waitpid.
 * Expected: the child's exit time is the last thread's (~300 ms after fork),
 * not the leader's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LAST_THREAD_MS 300

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *last_thread(void *arg)
{
	(void)arg;
	sleep_ms(LAST_THREAD_MS);
	return NULL; /* last thread: the process exits with status 0 */
}

int main(void)
{
	pid_t child;
	int status;
	double t0, t1;

	fflush(stdout);
	t0 = now();
	child = fork();
	if (child == -1) {
		perror("fork");
		return 1;
	}
	if (child == 0) {
		pthread_t th;
		if (pthread_create(&th, NULL, last_thread, NULL) != 0)
			_exit(2);
		pthread_exit(NULL);
	}
	if (waitpid(child, &status, 0) != child) {
		perror("waitpid");
		return 1;
	}
	t1 = now();
	printf("{\"scenario\":\"pthread_exit\",\"pids\":{\"parent\":%d,\"child\":%d}}\n",
	       (int)getpid(), (int)child);
	fflush(stdout);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "pthread_exit: child status %#x\n", status);
		return 1;
	}
	if (t1 - t0 < LAST_THREAD_MS / 1000.0)
		fprintf(stderr, "pthread_exit: child reaped after only %.3f s\n", t1 - t0);
	return 0;
}
