/*
 * SCENARIOS.md #17: fork storm.
 *
 * argv[1] = N (default 2000): fork N children as fast as possible; each
 * _exit(0)s and the parent reaps each one at once with waitpid.
 * Output roles: parent, count (N), children (all N pids, in fork order).
 * Expected: no event lost (or lost events counted and shown).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = 2000, i;
	pid_t *pids;
	int st, rc = 0;

	if (argc > 1) {
		n = strtol(argv[1], NULL, 10);
		if (n < 1) {
			fprintf(stderr, "usage: storm [N>0]\n");
			return 2;
		}
	}
	pids = calloc(n, sizeof(*pids));
	if (!pids) {
		perror("calloc");
		return 1;
	}
	fflush(stdout);
	for (i = 0; i < n; i++) {
		pid_t c = fork();
		if (c == -1) {
			perror("fork");
			return 1;
		}
		if (c == 0)
			_exit(0);
		pids[i] = c;
		if (waitpid(c, &st, 0) != c || st != 0) {
			fprintf(stderr, "storm: child %d status %#x\n", (int)c, st);
			rc = 1;
		}
	}
	printf("{\"scenario\":\"storm\",\"pids\":{\"parent\":%d,\"count\":%ld,\"children\":[",
	       (int)getpid(), n);
	for (i = 0; i < n; i++)
		printf(i ? ",%d" : "%d", (int)pids[i]);
	printf("]}}\n");
	fflush(stdout);
	free(pids);
	return rc;
}
