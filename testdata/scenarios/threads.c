/*
 * SCENARIOS.md #11: a multithreaded child whose threads exit.
 *
 * The child starts 4 pthreads that each exit after 10 ms, joins them and
 * _exit(0)s; the parent blocks in waitpid.
 * Expected: one child process, no zombie per thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NTHREADS 4
#define THREAD_MS 10

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void *worker(void *arg)
{
	(void)arg;
	sleep_ms(THREAD_MS);
	return NULL;
}

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
		pthread_t th[NTHREADS];
		int i;
		for (i = 0; i < NTHREADS; i++)
			if (pthread_create(&th[i], NULL, worker, NULL) != 0)
				_exit(2);
		for (i = 0; i < NTHREADS; i++)
			pthread_join(th[i], NULL);
		_exit(0);
	}
	if (waitpid(child, &status, 0) != child) {
		perror("waitpid");
		return 1;
	}
	printf("{\"scenario\":\"threads\",\"pids\":{\"parent\":%d,\"child\":%d}}\n",
	       (int)getpid(), (int)child);
	fflush(stdout);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "threads: child status %#x\n", status);
		return 1;
	}
	return 0;
}
