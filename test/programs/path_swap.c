/*
 * path_swap DENIED ALLOWED N: a thread flips one path buffer between
 * DENIED and ALLOWED while the main thread opens it N times, racing the
 * report supervisor, which reads the path while the call waits and answers
 * CONTINUE. The kernel (Landlock) reads it again and decides: DENIED's
 * contents must never be read. Prints "leaked L opened O refused R".
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[4096];
static const char *denied, *allowed;
static atomic_int stop;

static void *flipper(void *arg)
{
	(void)arg;
	for (unsigned i = 0; !atomic_load(&stop); i++) {
		/* Same length or not: the string may be torn; either is fine. */
		strcpy(path, (i & 1) ? denied : allowed);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	long n, leaked = 0, opened = 0, refused = 0;
	int fd;

	if (argc != 4)
		return 2;
	denied = argv[1];
	allowed = argv[2];
	n = atol(argv[3]);
	if (strlen(denied) >= sizeof(path) || strlen(allowed) >= sizeof(path))
		return 2;
	strcpy(path, allowed);
	if (pthread_create(&t, NULL, flipper, NULL))
		return 2;
	for (long i = 0; i < n; i++) {
		char buf[64] = { 0 };
		fd = open(path, O_RDONLY);
		if (fd < 0) {
			refused++;
			continue;
		}
		opened++;
		if (read(fd, buf, sizeof(buf) - 1) > 0 && strstr(buf, "SECRET"))
			leaked++;
		close(fd);
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	printf("leaked %ld opened %ld refused %ld\n", leaked, opened, refused);
	return 0;
}
