/*
 * `sbx-launcher --cow-diff UPPER LOWER` and `--cow-apply UPPER TARGET
 * [DEV:INO]` (launcher.h): the copy-on-write walk (cow.c) over an overlay's
 * upper layer, listing the changes or applying them (cow_apply.c).
 */
#include "launcher.h"
#include "cow.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

int ln_cow_diff_main(int argc, char **argv)
{
	if (argc != 2) {
		dprintf(2, "usage: sbx-launcher --cow-diff UPPER LOWER\n");
		return 2;
	}
	int ufd = open(argv[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int lfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ufd < 0 || lfd < 0) {
		dprintf(2, "sbx-launcher: --cow-diff: %s: %s\n", ufd < 0 ? argv[0] : argv[1],
			strerror(errno));
		return 1;
	}
	int rc = ln_cow_walk(ufd, lfd, NULL);
	fflush(stdout);
	close(ufd);
	close(lfd);
	return rc ? 1 : 0;
}

/* DEV:INO as printed by the caller: the target must still be the directory
 * the sandbox was given. */
static bool parse_dev_ino(const char *s, unsigned long long *dev, unsigned long long *ino)
{
	char *end;
	errno = 0;
	*dev = strtoull(s, &end, 10);
	if (errno || end == s || *end != ':')
		return false;
	s = end + 1;
	*ino = strtoull(s, &end, 10);
	return !errno && end != s && !*end;
}

int ln_cow_apply_main(int argc, char **argv)
{
	struct ln_cow_apply *ap = ln_cow_apply_new();
	unsigned long long dev = 0, ino = 0;
	struct rlimit rl;
	struct stat st;
	int ufd, lfd, rc;

	if (!ap) {
		dprintf(2, "sbx-launcher: --cow-apply: out of memory\n");
		return 1;
	}
	if ((argc != 2 && argc != 3) || (argc == 3 && !parse_dev_ino(argv[2], &dev, &ino))) {
		dprintf(2, "usage: sbx-launcher --cow-apply UPPER TARGET [DEV:INO]\n");
		return 2;
	}
	/* Two fds per directory level of the walk. */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	ufd = open(argv[0], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	lfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ufd < 0 || lfd < 0) {
		dprintf(2, "sbx-launcher: --cow-apply: %s: %s\n", ufd < 0 ? argv[0] : argv[1],
			strerror(errno));
		return 1;
	}
	if (argc == 3 && (fstat(lfd, &st) || (unsigned long long)st.st_dev != dev ||
			  (unsigned long long)st.st_ino != ino)) {
		dprintf(2, "sbx-launcher: --cow-apply: %s is not the directory the sandbox was given\n",
			argv[1]);
		return 1;
	}
	/* A line per change as it is done. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = ln_cow_walk(ufd, lfd, ap);
	fflush(stdout);
	close(ufd);
	close(lfd);
	return ln_cow_apply_stopped(ap) ? 3 : rc ? 1 : 0;
}
