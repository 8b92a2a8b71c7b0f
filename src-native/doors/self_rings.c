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

#include "bpf.h"
#include "policy.h"
#include "prepared.h"
#include "self.h"
#include "seccomp_defs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
 * buffer; `short_ends`: the file is one seq_file record. 0, or -errno
 * (-EFBIG past FDINFO_MAX). */
static int read_all(int dir, const char *name, bool short_ends, char **out,
		    size_t *len)
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
		/* A /proc file of one record (fdinfo, stat) is written whole
		 * by one read when it fits: a short read is its end, and the
		 * read that would return 0 is one system call saved. */
		if (short_ends && n + 1 < cap)
			break;
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

enum ring_state { RING_OK, RING_SQPOLL, RING_PERSONALITIES, RING_UNREADABLE,
		  RING_UNPROBED, RING_CLOSED };

/* A lockdown of this process accounted for its rings and then refused
 * io_uring_register: nothing can have been registered since. */
static bool rings_frozen;

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
		int r = read_all(fdinfo_dir, fd, true, &text, &len);

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

/*
 * Whether the ring has (or had) registered personalities. Linux 6.16 stopped
 * listing them in fdinfo, so the ring is asked: registering one gives the
 * next free id, and ids are given in turn (cyclic, from 1), so a ring that
 * never had one gives 1, and the same ring asked again gives the id after
 * the last. The probe's own personality (this thread's credentials, which
 * are either not yet confined, or confined) is unregistered at once.
 * Returns the id the probe got, or -errno (the probe itself refused).
 */
static int probe_personality(int fd)
{
	long id = syscall(SYS_io_uring_register, fd, IORING_REGISTER_PERSONALITY,
			  NULL, 0);

	if (id < 0)
		return -errno;
	if (syscall(SYS_io_uring_register, fd, IORING_UNREGISTER_PERSONALITY,
		    NULL, (unsigned)id) < 0)
		return -errno;
	return (int)id;
}

static int refuse_ring(struct sbx_error *err, enum ring_state st, long fd,
		       long sq_tid, int errnum, bool after)
{
	const char *when = after ? "found during lockdown" : "held";

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
			"that has or had registered personalities "
			"(IORING_REGISTER_PERSONALITY): a submission could run "
			"with credentials from before lockdown. Lock down "
			"before personalities are registered, or close the "
			"ring", fd, when);
	case RING_UNPROBED:
		return sbx_error_sys(err, errnum, "io_uring_register", NULL,
			"self: fd %ld is an io_uring ring %s by this process, "
			"and whether it has registered personalities cannot be "
			"asked (IORING_REGISTER_PERSONALITY: %s; an earlier "
			"seccomp filter that is not sbx's?), so it cannot be "
			"accounted for", fd, when, strerror(errnum));
	default:
		return sbx_error_sys(err, errnum, "read", NULL,
			"self: fd %ld is an io_uring ring %s by this process "
			"and its state cannot be read "
			"(/proc/self/fdinfo/%ld: %s), so it cannot be "
			"accounted for", fd, when, fd, strerror(errnum));
	}
}

/*
 * What this process's own probes got from each ring, by the ring's inode, so
 * that a later probe (a second prepare, the check during lockdown) knows the
 * id to expect: the last one plus one. A ring whose probe once got another
 * id has or had a personality of someone else's: refused from then on. A
 * probe that gets 1 where more was expected is a new ring (a ring's ids only
 * grow until they wrap at 65535; an inode number can be reused).
 */
#define PROBED_MAX 256
static struct {
	uint64_t ino;
	int last;                /* the id our last probe got; -1: tainted */
} probed[PROBED_MAX];
static size_t nprobed;
static char probed_lock;

static void probed_take(void)
{
	while (__atomic_test_and_set(&probed_lock, __ATOMIC_ACQUIRE))
		sched_yield();
}

static void probed_give(void)
{
	__atomic_clear(&probed_lock, __ATOMIC_RELEASE);
}

/* Whether a probe of ours found the ring with inode `ino` without a
 * personality of anyone else's (it then also passed the fdinfo check). */
static bool ring_known(uint64_t ino)
{
	bool known = false;

	probed_take();
	for (size_t i = 0; i < nprobed; i++)
		if (probed[i].ino == ino) {
			known = probed[i].last >= 0;
			break;
		}
	probed_give();
	return known;
}

/* Whether the ring listed at `fd` (inode `ino`) is gone: the fd closed
 * (EBADF: the probe's register or unregister failed for it), or reused
 * for another file (EINVAL from the unregister: not the ring registered
 * on). */
static bool ring_gone(long fd, uint64_t ino)
{
	struct stat sb;

	if (fstat((int)fd, &sb))
		return errno == EBADF;
	return (uint64_t)sb.st_ino != ino;
}

/* The personality check of one ring. */
static enum ring_state check_personality(long fd, uint64_t ino, int *errnum)
{
	enum ring_state st = RING_OK;
	size_t i;
	int id, want;

	probed_take();
	for (i = 0; i < nprobed && probed[i].ino != ino; i++)
		;
	want = i < nprobed ? probed[i].last + 1 : 1;
	if (i < nprobed && probed[i].last < 0) {
		probed_give();
		return RING_PERSONALITIES;
	}
	id = probe_personality((int)fd);
	if (id < 0 && ring_gone(fd, ino)) {
		/* Closed since it was listed (a worker_thread whose loop
		 * ends closes its ring), or the fd is another file now:
		 * nothing left to account, as when fstat() found it gone. */
		probed_give();
		return RING_CLOSED;
	}
	if (id == -EPERM || id == -EACCES) {
		/* An earlier lockdown of ours accounted for the rings and
		 * refused registrations from then on. */
		probed_give();
		if (rings_frozen)
			return RING_OK;
		*errnum = -id;
		return RING_UNPROBED;
	}
	if (id < 0) {
		probed_give();
		*errnum = -id;
		return RING_UNPROBED;
	}
	if (id != want && !(id == 1 && i < nprobed))
		st = RING_PERSONALITIES;
	if (i == nprobed && nprobed < PROBED_MAX)
		probed[nprobed++].ino = ino;
	if (i < PROBED_MAX)
		probed[i].last = st == RING_OK ? id : -1;
	probed_give();
	/* A full table forgets: a later probe of this ring expects 1 and
	 * refuses it (fail closed). */
	return st;
}

/* Whether the fd `name` in /proc/self/fd (`dir`) is an io_uring ring. */
static bool is_ring(int dir, const char *name)
{
	char link[64];
	ssize_t ll = readlinkat(dir, name, link, sizeof(link) - 1);

	return ll == (ssize_t)strlen(RING_LINK) && !memcmp(link, RING_LINK, (size_t)ll);
}

/*
 * Every io_uring ring in this process's fd table: each must be accounted
 * for (no SQPOLL, no personality now or before). At prepare (`ledger`) the
 * rings are counted into pp, the first fds kept for the note. 0 or the
 * error (set in err).
 */
static int scan_rings(struct sbx_prepared *ledger, int *nrings, bool after,
		      struct sbx_error *err)
{
	char buf[4096], name[24];
	int dir, info, held, r = 0;
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
			long fd, sq_tid = -1;
			int errnum = 0;
			enum ring_state st;
			struct stat sb;

			off += d->d_reclen;
			if (parse_uint(d->d_name, &fd) || fd == dir || fd == info)
				continue;
			if (!is_ring(dir, d->d_name))
				continue;
			/* From here on the ring is held by a descriptor of our
			 * own: another thread may close its fd and get the same
			 * number for another ring meanwhile (a worker_thread's
			 * loop ends, another starts), and every check below must
			 * ask the same ring, the one whose inode is recorded.
			 * Without a descriptor left (EMFILE), the fd itself. */
			held = fcntl((int)fd, F_DUPFD_CLOEXEC, 0);
			if (held < 0 && errno == EBADF)
				continue;
			if (held >= 0) {
				snprintf(name, sizeof(name), "%d", held);
				if (!is_ring(dir, name)) {
					close(held);
					continue;
				}
			} else {
				snprintf(name, sizeof(name), "%ld", fd);
			}
			/* A ring this process accounted for before (by its
			 * inode, while held) was made without SQPOLL, which only
			 * io_uring_setup can ask: its fdinfo would say the same
			 * again. Its personalities are asked below, as always. */
			if (after && held >= 0 && !fstat(held, &sb) &&
			    ring_known((uint64_t)sb.st_ino)) {
				st = RING_OK;
			} else {
				st = ring_state(info, name, &sq_tid, &errnum);
				/* Closed since it was listed: nothing to account. */
				if (st == RING_UNREADABLE && errnum == ENOENT) {
					if (held >= 0)
						close(held);
					continue;
				}
				if (st == RING_OK &&
				    fstat(held >= 0 ? held : (int)fd, &sb)) {
					st = errno == EBADF ? RING_CLOSED
							    : RING_UNREADABLE;
					errnum = errno;
				}
			}
			if (st == RING_OK)
				st = check_personality(held >= 0 ? held : fd,
						       (uint64_t)sb.st_ino, &errnum);
			if (held >= 0)
				close(held);
			if (st == RING_CLOSED)
				continue;
			if (st != RING_OK) {
				r = refuse_ring(err, st, fd, sq_tid, errnum, after);
				break;
			}
			if (ledger && *nrings < SBX_SELF_RING_FDS)
				ledger->self_ring_fds[*nrings] = (int)fd;
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

/* What a thread of this process is, from its /proc stat. */
enum task_kind {
	TASK_USER,               /* runs user code                            */
	TASK_IO_WRK,             /* io_uring's io-wq worker ("iou-wrk-N")     */
	TASK_IO_SQP,             /* io_uring's SQPOLL thread ("iou-sqp-N")    */
	TASK_IO_UNNAMED,         /* an io_uring thread not named yet          */
};

/* "(comm) state ppid pgrp session tty tpgid flags": the flags (field 9)
 * tell a kernel io_uring thread, its name which one. 0 or -errno. */
static int task_kind(int task_dir, pid_t tid, enum task_kind *kind)
{
	char name[32], buf[512], *p, *comm;
	unsigned long flags;
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
	comm = strchr(buf, '(');
	p = strrchr(buf, ')');
	if (!comm || !p)
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
	flags = strtoul(p, NULL, 10);
	if (!(flags & SBX_PF_IO_WORKER))
		*kind = TASK_USER;
	else if (!strncmp(comm + 1, "iou-sqp-", 8))
		*kind = TASK_IO_SQP;
	else if (!strncmp(comm + 1, "iou-wrk-", 8))
		*kind = TASK_IO_WRK;
	else     /* it names itself when it first runs */
		*kind = TASK_IO_UNNAMED;
	return 0;
}

/* task_kind(), waiting up to ~100 ms for a new io_uring thread's name. */
static int task_kind_settled(int task_dir, pid_t tid, enum task_kind *kind)
{
	int r = task_kind(task_dir, tid, kind);

	for (int tries = 0; !r && *kind == TASK_IO_UNNAMED && tries < 2000; tries++) {
		struct timespec ts = { 0, 50000 };

		if (tries < 8)
			sched_yield();
		else
			nanosleep(&ts, NULL);
		r = task_kind(task_dir, tid, kind);
	}
	return r;
}

int sbx_self_seed_add(struct sbx_prepared *pp, pid_t tid)
{
	if (pp->self_ntids % 64 == 0) {
		int *v = realloc(pp->self_tids,
				 (pp->self_ntids + 64) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		pp->self_tids = v;
	}
	pp->self_tids[pp->self_ntids++] = tid;
	return 0;
}

bool sbx_self_task_is_io_worker(int task_dir, pid_t tid)
{
	enum task_kind kind;

	return task_kind(task_dir, tid, &kind) == 0 && kind != TASK_USER;
}

/*
 * SQPOLL, by its thread: the kernel submission thread is a thread of the
 * process that made the ring, whether or not the ring still has an fd (a
 * ring kept only by its mapping has none in /proc/self/fd, and its thread
 * runs what is written into the mapping, no system call needed). So the
 * threads are read at every check, rings or not; an io_uring thread that
 * has no name yet is waited for (it names itself when it first runs) and
 * refused if it stays unnamed. Also the witness where fdinfo is printed
 * in part (older kernels, a busy ring: SqThread -1).
 *
 * At prepare (`seed`), the same pass lists the threads for the self door's
 * apply, io_uring threads left out (what sbx_self_prepare_threads() would
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
			enum task_kind kind = TASK_USER;
			long tid;
			int st;

			off += d->d_reclen;
			if (parse_uint(d->d_name, &tid))
				continue;
			st = task_kind_settled(dir, (pid_t)tid, &kind);
			/* As the second pass did: an io_uring thread is left
			 * out, a thread whose state cannot be read is not. */
			if (listed && (st || kind == TASK_USER) &&
			    sbx_self_seed_add(seed, (pid_t)tid))
				listed = false;
			if (st)
				continue;
			if (kind == TASK_IO_SQP)
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
			else if (kind == TASK_IO_UNNAMED)
				r = sbx_error_set(err, SBX_EUNSUPPORTED, EAGAIN,
					NULL, "self: thread %ld is an io_uring "
					"kernel thread that did not say which "
					"kind it is within 100 ms (a submission "
					"thread would run operations beside "
					"Landlock and seccomp): it cannot be "
					"accounted for", tid);
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
	int r = scan_rings(pp, &pp->self_nrings, false, err);

	return r ? r : check_sqpoll_threads(pp, err);
}

/*
 * Once every thread is confined and before seccomp (the probe registers):
 * a ring made, or a personality registered, since prepare by a thread not
 * yet confined is found here. One made or registered after this comes from
 * a confined thread and carries its credentials.
 */
int sbx_self_rings_recheck(struct sbx_prepared *pp, struct sbx_error *err)
{
	int n;
	int r = scan_rings(NULL, &n, true, err);

	if (!r)
		r = check_sqpoll_threads(NULL, err);
	return r;
}

void sbx_self_rings_sealed(const struct sbx_prepared *pp)
{
	const struct sbx_plan_seccomp *sc = &pp->plan.seccomp;
	int nr = sbx_syscall_lookup(sbx_arch_native(), "io_uring_register");
	uint32_t ret, action;

	/* Refused whatever the arguments (errno, kill, trap): no ring can get
	 * a personality any more. Allowed, logged, traced or notified: it
	 * may, and later lockdowns must still ask each ring. */
	if (nr < 0 || !sc->prog || !sbx_bpf_const_ret(sc->prog, sc->len,
			sbx_arch_info(sbx_arch_native())->audit_arch, (uint32_t)nr, &ret))
		return;
	action = ret & SECCOMP_RET_ACTION_FULL;
	if (action == SECCOMP_RET_ERRNO || action == SECCOMP_RET_KILL_PROCESS ||
	    action == SECCOMP_RET_KILL_THREAD || action == SECCOMP_RET_TRAP)
		rings_frozen = true;
}

/*
 * What the policy asks that the held rings defeat. Seccomp does not see ring
 * operations, so a policy that refuses sockets (net.inet false, net.unix
 * other than "all") cannot be given to a process holding rings: a ring
 * makes and connects them (Landlock still refuses TCP connect and bind, see
 * prepare_landlock.c, but not UDP or unix sockets). In enforce mode that is
 * an error; best-effort lists it in skipped. The rules that only narrow the
 * kernel's surface (other families, netlink, creation modes of files) are
 * listed in skipped whatever the mode.
 */
int sbx_self_rings_policy(struct sbx_prepared *pp, const struct sbx_policy *p,
			  struct sbx_error *err)
{
	const struct sbx_policy_net *n = &p->net;
	const char *ptr = NULL, *what = NULL;

	if (!pp->self_nrings)
		return 0;
	if (n->present && n->inet == 0) {
		ptr = "/net/inet";
		what = "internet sockets (net.inet: false; Landlock still refuses "
		       "TCP connect and bind, not UDP)";
	} else if (n->present && n->unix_mode != SBX_UNSET &&
		   n->unix_mode != SBX_UNIX_ALL) {
		ptr = "/net/unix";
		what = "unix sockets (net.unix)";
	}
	if (ptr && p->resolved.net != SBX_COMPAT_BEST_EFFORT)
		return sbx_error_set(err, SBX_EUNSUPPORTED, EOPNOTSUPP, ptr,
			"self: this process holds %d io_uring ring%s (libuv's, in "
			"Node 22 and later), whose operations seccomp does not see: "
			"through one, code loaded after lockdown could still make %s. "
			"Use sbx.spawn() for this policy, or set \"net\": "
			"{\"compat\": \"best-effort\"} to lock down with them refused "
			"to system calls only (listed in skipped)", pp->self_nrings,
			pp->self_nrings == 1 ? "" : "s", what);
	if (ptr)
		sbx_notebuf_add(&pp->skipped, "%s: sockets refused to system calls "
				"only: io_uring rings held before lockdown can "
				"still make them%s", ptr, n->inet == 0 ?
				" (TCP connect and bind refused by Landlock)" : "");
	sbx_notebuf_add(&pp->skipped, "/seccomp: io_uring rings held before "
			"lockdown (libuv, Node 22+) are not seen by seccomp: socket "
			"families, file creation modes and argument rules hold "
			"against system calls only");
	return 0;
}
