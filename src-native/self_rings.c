/*
 * The self door and io_uring rings that exist before lockdown.
 *
 * libuv in Node 22 and 24 makes io_uring rings when an event loop starts
 * (one per loop: the main thread's, the inspector's, each worker's) and
 * aborts the process when io_uring_enter() on one of them is refused. The
 * rings are already there when lockdown() runs, so the self door accounts
 * for each one and then keeps io_uring_enter() usable:
 *
 *   - an operation submitted through a ring runs with the submitting
 *     thread's credentials at submission (inline, or in an io-wq worker
 *     that takes them over), so the Landlock domain of a locked-down thread
 *     applies to it; seccomp does not see it;
 *   - a ring with a kernel submission thread (SQPOLL) runs operations with
 *     the credentials of whoever made the ring, and a registered
 *     personality lets a submission pick credentials from before lockdown:
 *     either would run work beside Landlock, so such a ring is refused
 *     (before anything is applied), and so is a ring whose state cannot be
 *     read;
 *   - new rings (io_uring_setup) and registrations (io_uring_register)
 *     stay as the policy says (every preset refuses them).
 *
 * After seccomp is in force (no new ring can be made from then on) the
 * rings are checked once more: one made meanwhile with SQPOLL is the same
 * hole, and the caller exits (fail closed, status 126).
 * docs/security-model.md, "Self door: io_uring rings", has the threat model.
 */

#include "prepared.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* include/linux/sched.h: the task is an io_uring worker (io-wq or SQPOLL). */
#define SBX_PF_IO_WORKER 0x00000010u

#define RING_LINK "anon_inode:[io_uring]"
/* A ring whose fdinfo stays unreadable this many times is not accounted. */
#define FDINFO_TRIES 2000
#define FDINFO_MAX (1u << 20)

struct dirent64_ {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int parse_uint(const char *s, long *out)
{
	long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return 0;
}

/* Read a whole /proc file relative to `dir` into a malloc'd, NUL-ended
 * buffer. 0, or -errno (-EFBIG past FDINFO_MAX). */
static int read_all(int dir, const char *name, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	int fd, r = 0;

	*out = NULL;
	if (!buf)
		return -ENOMEM;
	fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		free(buf);
		return r;
	}
	for (;;) {
		ssize_t got;

		if (n + 1 >= cap) {
			char *nb;

			if (cap >= FDINFO_MAX) {
				r = -EFBIG;
				break;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		got = read(fd, buf + n, cap - 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = -errno;
			break;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	if (r) {
		free(buf);
		return r;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* The value of the line "key\t..." in `text`, or NULL. */
static const char *field(const char *text, const char *key)
{
	size_t k = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l)
		if (!strncmp(l, key, k))
			return l + k;
	return NULL;
}

enum ring_state { RING_OK, RING_SQPOLL, RING_PERSONALITIES, RING_UNREADABLE };

/*
 * What /proc/self/fdinfo/<fd> says of the ring. The kernel prints the ring's
 * state only when it can take the ring's lock at that moment (nothing at all
 * otherwise, on current kernels): a missing SqThread line means "busy",
 * and the read is tried again.
 */
static enum ring_state ring_state(int fdinfo_dir, const char *fd, long *sq_tid,
				  int *errnum)
{
	for (int tries = 0; tries < FDINFO_TRIES; tries++) {
		char *text;
		size_t len;
		const char *sq;
		int r = read_all(fdinfo_dir, fd, &text, &len);

		if (r) {
			*errnum = -r;
			return RING_UNREADABLE;
		}
		sq = field(text, "SqThread:\t");
		if (sq) {
			enum ring_state st = RING_OK;

			*sq_tid = strtol(sq, NULL, 10);
			if (*sq_tid != -1)
				st = RING_SQPOLL;
			else if (field(text, "Personalities:"))
				st = RING_PERSONALITIES;
			free(text);
			return st;
		}
		free(text);
		if (tries < 8) {
			sched_yield();
		} else {
			struct timespec ts = { 0, 50000 };

			nanosleep(&ts, NULL);
		}
	}
	*errnum = EBUSY;
	return RING_UNREADABLE;
}

static int refuse_ring(struct sbx_error *err, enum ring_state st, long fd,
		       long sq_tid, int errnum, bool after)
{
	const char *when = after ? "made during lockdown" : "held";

	switch (st) {
	case RING_SQPOLL:
		return sbx_error_set(err, SBX_EUNSUPPORTED, EPERM, NULL,
			"self: fd %ld is an io_uring ring %s by this process "
			"with a kernel submission thread (SQPOLL, thread %ld): "
			"it runs operations with the credentials of whoever "
			"made the ring, out of reach of Landlock and seccomp. "
			"Lock down before such a ring is made (libuv makes "
			"one for file operations when UV_USE_IO_URING=1: "
			"start Node without it)", fd, when, sq_tid);
	case RING_PERSONALITIES:
		return sbx_error_set(err, SBX_EUNSUPPORTED, EPERM, NULL,
			"self: fd %ld is an io_uring ring %s by this process "
			"with registered personalities "
			"(IORING_REGISTER_PERSONALITY): a submission could run "
			"with credentials from before lockdown. Unregister "
			"them or close the ring before lockdown", fd, when);
	default:
		return sbx_error_sys(err, errnum, "read", NULL,
			"self: fd %ld is an io_uring ring %s by this process "
			"and its state cannot be read "
			"(/proc/self/fdinfo/%ld: %s), so it cannot be "
			"accounted for", fd, when, fd, strerror(errnum));
	}
}

/*
 * Every io_uring ring in this process's fd table: each must be accounted
 * for (no SQPOLL, no personalities). Counts them in *nrings and keeps the
 * first fds in `fds`. 0 or the error (set in err).
 */
static int scan_rings(int *nrings, int *fds, size_t cap, bool after,
		      struct sbx_error *err)
{
	char buf[4096], link[64];
	int dir, info, r = 0;
	long n;

	*nrings = 0;
	dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return sbx_error_sys(err, errno, "open", NULL,
				     "self: cannot list this process's file "
				     "descriptors: /proc/self/fd: %s (is /proc "
				     "mounted?)", strerror(errno));
	info = open("/proc/self/fdinfo", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (info < 0) {
		r = sbx_error_sys(err, errno, "open", NULL, "self: cannot "
				  "open /proc/self/fdinfo: %s", strerror(errno));
		close(dir);
		return r;
	}
	while (!r && (n = syscall(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
		for (long off = 0; !r && off < n;) {
			struct dirent64_ *d = (void *)(buf + off);
			ssize_t ll;
			long fd, sq_tid = -1;
			int errnum = 0;
			enum ring_state st;

			off += d->d_reclen;
			if (parse_uint(d->d_name, &fd) || fd == dir || fd == info)
				continue;
			ll = readlinkat(dir, d->d_name, link, sizeof(link) - 1);
			if (ll != (ssize_t)strlen(RING_LINK) ||
			    memcmp(link, RING_LINK, (size_t)ll))
				continue;
			st = ring_state(info, d->d_name, &sq_tid, &errnum);
			/* Closed since it was listed: nothing to account. */
			if (st == RING_UNREADABLE && errnum == ENOENT)
				continue;
			if (st != RING_OK) {
				r = refuse_ring(err, st, fd, sq_tid, errnum, after);
				break;
			}
			if ((size_t)*nrings < cap)
				fds[*nrings] = (int)fd;
			(*nrings)++;
		}
	}
	if (!r && n < 0)
		r = sbx_error_sys(err, errno, "getdents64", NULL, "self: cannot "
				  "list /proc/self/fd: %s", strerror(errno));
	close(info);
	close(dir);
	return r;
}

/* "(comm) state ppid pgrp session tty tpgid flags": the flags, and whether
 * the name is an SQPOLL thread's. 0 or -errno. */
static int task_stat(int task_dir, pid_t tid, unsigned long *flags, bool *sqpoll)
{
	char name[32], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(name, sizeof(name), "%d/stat", (int)tid);
	fd = openat(task_dir, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = '\0';
	p = strchr(buf, '(');
	*sqpoll = p && !strncmp(p + 1, "iou-sqp-", 8);
	p = strrchr(buf, ')');
	if (!p)
		return -EIO;
	p++;
	for (int i = 0; i < 7; i++) {
		while (*p == ' ')
			p++;
		if (i == 6)
			break;
		while (*p && *p != ' ')
			p++;
	}
	*flags = strtoul(p, NULL, 10);
	return 0;
}

bool sbx_self_task_is_io_worker(int task_dir, pid_t tid)
{
	unsigned long flags = 0;
	bool sqpoll = false;

	return task_stat(task_dir, tid, &flags, &sqpoll) == 0 &&
	       (flags & SBX_PF_IO_WORKER);
}

/*
 * A second witness for SQPOLL, independent of fdinfo (which older kernels
 * print in part, SqThread -1 included, when the ring is busy): the kernel
 * submission thread is a thread of the process that made the ring.
 *
 * At prepare (`seed`), the same pass lists the threads for the self door's
 * apply, io_uring workers left out (what sbx_self_prepare_threads() would
 * list with a second pass): the directory stays open in seed->self_task_fd.
 */
static int check_sqpoll_threads(struct sbx_prepared *seed, struct sbx_error *err)
{
	char buf[4096];
	int dir = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool listed = seed != NULL;
	long n;
	int r = 0;

	if (dir < 0)
		return sbx_error_sys(err, errno, "open", NULL, "self: cannot "
				     "list the threads: /proc/self/task: %s",
				     strerror(errno));
	while (!r && (n = syscall(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
		for (long off = 0; !r && off < n;) {
			struct dirent64_ *d = (void *)(buf + off);
			unsigned long flags = 0;
			bool sqpoll = false;
			long tid;
			int st;

			off += d->d_reclen;
			if (parse_uint(d->d_name, &tid))
				continue;
			st = task_stat(dir, (pid_t)tid, &flags, &sqpoll);
			/* As the second pass did: a worker is left out, a
			 * thread whose state cannot be read is not. */
			if (listed && (st || !(flags & SBX_PF_IO_WORKER)) &&
			    sbx_self_seed_add(seed, (pid_t)tid))
				listed = false;
			if (st)
				continue;
			if (sqpoll && (flags & SBX_PF_IO_WORKER))
				r = sbx_error_set(err, SBX_EUNSUPPORTED, EPERM,
					NULL, "self: thread %ld is an io_uring "
					"kernel submission thread (SQPOLL) of "
					"this process: its ring runs operations "
					"with the credentials of whoever made "
					"it, out of reach of Landlock and "
					"seccomp. Lock down before such a ring "
					"is made (libuv makes one for file "
					"operations when UV_USE_IO_URING=1: "
					"start Node without it)", tid);
		}
	}
	if (!r && n < 0)
		listed = false;
	if (!r && listed) {
		seed->self_task_fd = dir;
		seed->self_pid = getpid();
		return 0;
	}
	if (seed) {     /* not listed: sbx_self_prepare_threads() lists */
		free(seed->self_tids);
		seed->self_tids = NULL;
		seed->self_ntids = 0;
	}
	close(dir);
	return r;
}

int sbx_self_rings_check(struct sbx_prepared *pp, struct sbx_error *err)
{
	int r = scan_rings(&pp->self_nrings, pp->self_ring_fds,
			   SBX_SELF_RING_FDS, false, err);

	if (!r && pp->self_nrings)
		r = check_sqpoll_threads(pp, err);
	return r;
}

int sbx_self_rings_recheck(const struct sbx_prepared *pp, struct sbx_error *err)
{
	int n, fds[1];
	int r = scan_rings(&n, fds, 0, true, err);

	(void)pp;
	if (!r && n)
		r = check_sqpoll_threads(NULL, err);
	return r;
}
