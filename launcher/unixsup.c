/*
 * net.unixPaths in the spawn door: the unix-socket supervisor.
 *
 * The program's filter (src-native/prepare_unix.c) hands every connect(),
 * sendto() with an address, sendmsg() and sendmmsg() the policy allows to a
 * supervisor as a seccomp user notification. The supervisor never lets the
 * kernel go on with the program's arguments (SECCOMP_USER_NOTIF_FLAG_CONTINUE
 * would re-read the program's memory and fd table, which another of its
 * threads may change meanwhile: time-of-check/time-of-use). It performs the
 * call itself, on its own copies:
 *
 *   - the socket: pidfd_getfd() of the program's fd (the same open file, so
 *     a dup2() over the fd number afterwards changes nothing);
 *   - the address, the data, the control messages: read once from the
 *     program's memory (process_vm_readv), then only the copies are used;
 *   - a pathname unix address: resolved once in the program's view
 *     (openat2, O_PATH, no magic links: /proc/self/... would be ours), the
 *     inode checked against the listed sockets (dev, ino of fds opened when
 *     the sandbox was set up, which keeps them from being recycled) and the
 *     filesystems the sandbox made itself (its private tmpfs mounts: /tmp,
 *     $TMPDIR, $HOME, /dev, /dev/shm); then the call goes to
 *     /proc/self/fd/<that O_PATH fd>, which names that inode and no other,
 *     whatever happens to the path afterwards. Refused: EACCES.
 *
 * Who: the program's process itself, after every step but seccomp (caps
 * dropped, no_new_privs, Landlock), forks; the child goes on as the program
 * and this process becomes its supervisor. So the supervisor has the same
 * Landlock domain (a fork shares it) and credentials: the calls it makes for
 * the program meet the same rules (TCP ports, the abstract-socket scope, in
 * which the sandbox's own abstract sockets are, file permissions on
 * sockets). It is the program's parent and a child subreaper, so every
 * process of the program stays its descendant, as Yama's ptrace_scope 1
 * requires for pidfd_getfd and process_vm_readv; it forwards the signals the
 * init or the launcher send it and ends like the program. It is not
 * dumpable: the program cannot ptrace it or take its fds. The program may
 * kill it, and dies with it (parent-death signal).
 *
 * The listener reaches it without a system call the filter notifies: the
 * program writes the fd number to a pipe and waits for an answer byte;
 * the supervisor takes the fd with pidfd_getfd().
 *
 * A call that may block (a blocking socket, no MSG_DONTWAIT: connect() waits
 * for a TCP handshake or a full backlog, a send for buffer space) is done by
 * a worker thread, so that one slow call does not hold every other thread's;
 * a worker whose caller stops waiting (a signal, or it died) is interrupted.
 * A connect through the egress process (net.hosts) needs no thread: its
 * steps never block, and the main loop polls its socket between them.
 *
 * With `report: true` this process is the report supervisor too (one filter,
 * one listener): denials are answered by notify.c's code.
 */
#include "egress.h"
#include "launcher.h"
#include "event_lines.h"
#include "sbx_apply.h"

#include "bpf.h"
#include "policy.h"
#include "prepared.h"
#include "seccomp_defs.h"
#include "syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL            /* 6.9: a pidfd for one thread */
#endif
#ifndef PIDFD_SIGNAL_THREAD
#define PIDFD_SIGNAL_THREAD (1UL << 0) /* 6.9 */
#endif
#ifndef UIO_MAXIOV
#define UIO_MAXIOV 1024
#endif

/* Largest data of one call we copy (a longer stream send is sent in part, as
 * a non-blocking send may be; a longer datagram gets EMSGSIZE). */
#define USUP_MAX_DATA (4u << 20)
#define USUP_MAX_CONTROL (64u << 10)
#define USUP_MAX_FDS 253              /* SCM_MAX_FD */
#define USUP_MAX_WORKERS 64
#define USUP_MAX_OWN 16

struct ln_usup {
	/* The listed sockets, opened in the sandbox's view (O_PATH). */
	size_t n;
	int *fd;
	dev_t *dev;
	ino_t *ino;
	/* Filesystems the sandbox made itself (rootfs.c): their sockets are its own. */
	size_t nown;
	dev_t own[USUP_MAX_OWN];
	/* No net.unixPaths (only net.hosts): every pathname socket as before. */
	bool any_unix;
	/* net.hosts: TCP connects to outside addresses go to the egress
	 * process on this port of the sandbox's loopback (egress_tcp.c); 0: off. */
	uint16_t egress_port;
	/* Program <-> supervisor: the listener's fd number, then an answer. */
	int num_rd, num_wr, ack_rd, ack_wr;
};

/* ---- set-up (init or launcher, then the program) ------------------------------- */

int ln_usup_begin(struct ln_ctx *c, const struct sbx_policy *p, struct sbx_error *err)
{
	struct ln_usup *u;

	c->usup = NULL;
	if (!p->net.unix_paths.set && !c->egress)
		return 0;
	u = calloc(1, sizeof(*u));
	if (!u)
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, "/net/unixPaths", "out of memory");
	u->num_rd = u->num_wr = u->ack_rd = u->ack_wr = -1;
	u->any_unix = !p->net.unix_paths.set;
	u->egress_port = c->egress ? c->egress->tcp_port : 0;
	c->usup = u;
	return 0;
}

void ln_usup_own_fs(struct ln_ctx *c, const char *path)
{
	struct ln_usup *u = c->usup;
	struct stat st;

	if (!u || u->nown >= USUP_MAX_OWN || stat(path, &st))
		return;
	for (size_t i = 0; i < u->nown; i++)
		if (u->own[i] == st.st_dev)
			return;
	u->own[u->nown++] = st.st_dev;
}

int ln_usup_open(struct ln_ctx *c, const struct sbx_policy *p, struct sbx_error *err)
{
	const struct sbx_ppaths *l = &p->net.unix_paths;
	struct ln_usup *u = c->usup;

	if (!u)
		return 0;
	u->fd = calloc(l->count + 1, sizeof(*u->fd));
	u->dev = calloc(l->count + 1, sizeof(*u->dev));
	u->ino = calloc(l->count + 1, sizeof(*u->ino));
	if (!u->fd || !u->dev || !u->ino)
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, "/net/unixPaths", "out of memory");
	for (size_t i = 0; i < l->count; i++) {
		const struct sbx_ppath *pp = &l->items[i];
		struct stat st;
		/* Symlinks followed, as connect() follows them: the socket named
		 * is the one it reaches now. */
		int fd = open(pp->path, O_PATH | O_CLOEXEC);

		if (fd < 0) {
			int e = errno;
			if (pp->optional && e == ENOENT) {
				char why[600];
				snprintf(why, sizeof(why), "%s: %s", pp->path, strerror(e));
				ln_event_skipped(c, "net.unixPaths", why);
				continue;
			}
			return sbx_error_sys(err, e, "open", pp->pointer,
					     "%s: %s in the sandbox's view%s", pp->path, strerror(e),
					     e == ENOENT ? " (bind its directory with --ro, or a "
					     "\"bind\" mount)" : "");
		}
		if (fstat(fd, &st) || !S_ISSOCK(st.st_mode)) {
			close(fd);
			return sbx_error_set(err, SBX_EVALUE, ENOTSOCK, pp->pointer,
					     "%s is not a unix socket", pp->path);
		}
		u->fd[u->n] = fd;
		u->dev[u->n] = st.st_dev;
		u->ino[u->n] = st.st_ino;
		u->n++;
	}
	return 0;
}

void ln_usup_init_forked(struct ln_ctx *c)
{
	struct ln_usup *u = c->usup;

	if (!u)
		return;
	for (size_t i = 0; i < u->n; i++)
		close(u->fd[i]);
	u->n = 0;
}

/* ---- the supervisor's calls ---------------------------------------------------- */

struct call {
	int lfd;
	const struct seccomp_notif *req;
	pid_t tid;
	int pidfd;           /* the calling thread                        */
	int sock;            /* our copy of the socket                    */
	bool blocking;       /* the socket blocks and no MSG_DONTWAIT     */
	int stype;           /* SO_TYPE                                   */
	bool refused;        /* check_path said no (net.unixPaths)        */
	uint16_t egress_port; /* net.hosts: the egress process's TCP port  */
};

struct usup_state {
	const struct sbx_prepared *pp;
	const struct ln_usup *u;
	int chan;            /* report: the channel, else -1             */
	bool have_proc;      /* /proc/self/fd works here                  */
	struct stat root;    /* our "/"                                    */
	/* Worker threads doing a call that blocks (struct job). */
	int workers;
	struct job *jobs[USUP_MAX_WORKERS];
	int lfd;
};

static bool valid(int lfd, uint64_t id)
{
	return ioctl(lfd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

static void reply(int lfd, uint64_t id, long long val, int error)
{
	struct seccomp_notif_resp r = { .id = id, .val = error ? 0 : val, .error = error ? -error : 0 };
	/* ENOENT: the caller is gone (or was interrupted); nothing to do. */
	ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &r);
}

/* Copy `len` bytes of the caller's memory; 0 or EFAULT. */
static int peek(pid_t tid, uint64_t addr, void *buf, size_t len)
{
	struct iovec l = { buf, len }, r = { (void *)(uintptr_t)addr, len };

	if (!len)
		return 0;
	if (!addr)
		return EFAULT;
	return process_vm_readv(tid, &l, 1, &r, 1, 0) == (ssize_t)len ? 0 : EFAULT;
}

static int poke(pid_t tid, uint64_t addr, const void *buf, size_t len)
{
	struct iovec l = { (void *)buf, len }, r = { (void *)(uintptr_t)addr, len };

	return process_vm_writev(tid, &l, 1, &r, 1, 0) == (ssize_t)len ? 0 : EFAULT;
}

/* The program's fd `fd` as ours (the same open file). 0 or errno. */
static int take_fd(struct call *k, int fd, int *out)
{
	int s = (int)syscall(SYS_pidfd_getfd, k->pidfd, fd, 0);

	if (s < 0)
		return errno == ESRCH ? EBADF : errno;
	*out = s;
	return 0;
}

/* The process of thread `tid` (its Tgid), or -1. */
static pid_t tgid_of(pid_t tid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	const char *t = strstr(buf, "\nTgid:");
	return t ? (pid_t)atoi(t + 6) : -1;
}

/* What the kernel does for a send that meets a closed peer without
 * MSG_NOSIGNAL: SIGPIPE to the calling thread. */
static void send_pipe_signal(struct call *k)
{
	if (syscall(SYS_pidfd_send_signal, k->pidfd, SIGPIPE, NULL, PIDFD_SIGNAL_THREAD) == 0)
		return;
	pid_t tgid = tgid_of(k->tid);     /* before 6.9 */
	if (tgid > 0)
		syscall(SYS_tgkill, tgid, k->tid, SIGPIPE);
}

/* Not among the sockets the policy lets the program reach. */
static int refuse(struct call *k)
{
	k->refused = true;
	return EACCES;
}

/*
 * A pathname unix address of the caller, checked: on success *addr holds
 * /proc/self/fd/N for an O_PATH fd (*opath) of the very inode that was
 * checked. 0, or the errno to answer with.
 */
static int check_path(struct usup_state *st, struct call *k, struct sockaddr_un *sa,
		      socklen_t *alen, int *opath)
{
	char path[256], where[64];
	size_t plen = *alen - offsetof(struct sockaddr_un, sun_path);
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_MAGICLINKS };
	struct stat rs, ss;
	int dirfd = AT_FDCWD, fd;

	/* As the kernel reads it: up to the first NUL within the length. */
	memcpy(path, sa->sun_path, plen);
	path[plen] = 0;
	/* /proc/self here would be this process: the caller's own entry
	 * instead (whose magic links are then refused below, as any). */
	if (!strncmp(path, "/proc/self/", 11) || !strncmp(path, "/proc/thread-self/", 18)) {
		char rest[sizeof(sa->sun_path) + 1];
		snprintf(rest, sizeof(rest), "%s", strchr(path + 6, '/') + 1);
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)k->tid, rest);
	}
	if (!st->have_proc)
		return refuse(k);
	/* The caller's root must be ours (it cannot chroot without
	 * capabilities; this is the check that it did not). */
	snprintf(where, sizeof(where), "/proc/%d/root", (int)k->tid);
	if (stat(where, &rs) || rs.st_dev != st->root.st_dev || rs.st_ino != st->root.st_ino)
		return refuse(k);
	if (path[0] != '/') {
		snprintf(where, sizeof(where), "/proc/%d/cwd", (int)k->tid);
		dirfd = open(where, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0)
			return refuse(k);
	}
	fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	if (fd < 0 && errno == ELOOP) {
		/* A magic link on the way (/proc/self/..., /dev/fd/...) names the
		 * caller's things, not ours: refused. A real loop stays ELOOP. */
		struct open_how plain = { .flags = O_PATH | O_CLOEXEC };
		int e, f2 = (int)syscall(SYS_openat2, dirfd, path, &plain, sizeof(plain));
		e = f2 >= 0 ? refuse(k) : errno;
		if (f2 >= 0)
			close(f2);
		if (dirfd >= 0)
			close(dirfd);
		return e;
	}
	if (fd < 0) {
		int e = errno;
		if (dirfd >= 0)
			close(dirfd);
		return e;
	}
	if (dirfd >= 0)
		close(dirfd);
	if (fstat(fd, &ss)) {
		close(fd);
		return refuse(k);
	}
	if (!S_ISSOCK(ss.st_mode)) {
		close(fd);
		return ECONNREFUSED;       /* what connect() says of a non-socket */
	}
	bool ok = st->u->any_unix;
	for (size_t i = 0; i < st->u->n && !ok; i++)
		ok = ss.st_dev == st->u->dev[i] && ss.st_ino == st->u->ino[i];
	for (size_t i = 0; i < st->u->nown && !ok; i++)
		ok = ss.st_dev == st->u->own[i];
	if (!ok) {
		close(fd);
		return refuse(k);
	}
	memset(sa->sun_path, 0, sizeof(sa->sun_path));
	snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d", fd);
	*alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(sa->sun_path) + 1);
	*opath = fd;
	return 0;
}

/* An address read from the caller, checked when it is a unix pathname. */
static int load_addr(struct usup_state *st, struct call *k, uint64_t uaddr, size_t len,
		     struct sockaddr_storage *ss, socklen_t *alen, int *opath)
{
	*opath = -1;
	memset(ss, 0, sizeof(*ss));
	*alen = (socklen_t)len;
	if (!len)
		return 0;
	if (len > sizeof(*ss))
		return EINVAL;
	int e = peek(k->tid, uaddr, ss, len);
	if (e)
		return e;
	struct sockaddr_un *sa = (struct sockaddr_un *)ss;
	/* Abstract names (sun_path[0] == 0) and unnamed addresses are
	 * looked up by the kernel without the filesystem: Landlock's scope
	 * decides, in our domain as in the caller's. */
	if (sa->sun_family != AF_UNIX || len <= offsetof(struct sockaddr_un, sun_path) ||
	    sa->sun_path[0] == 0)
		return 0;
	if (len > sizeof(struct sockaddr_un))
		return EINVAL;      /* as unix_validate_addr() says */
	return check_path(st, k, sa, alen, opath);
}

/* ---- messages (sendmsg, sendmmsg) ---------------------------------------------- */

struct msg {
	struct sockaddr_storage name;
	socklen_t namelen;
	int opath;
	char *data;
	size_t len;
	char *control;
	size_t controllen;
	int fds[USUP_MAX_FDS];
	int nfds;
};

static void msg_free(struct msg *m)
{
	if (m->opath >= 0)
		close(m->opath);
	for (int i = 0; i < m->nfds; i++)
		close(m->fds[i]);
	free(m->data);
	free(m->control);
	m->data = m->control = NULL;
	m->opath = -1;
	m->nfds = 0;
}

/* SCM_RIGHTS: the caller's fds become ours; SCM_CREDENTIALS naming the
 * caller's process name ours (the kernel allows only the sender's pid). */
static int translate_control(struct call *k, struct msg *m)
{
	struct msghdr mh = { .msg_control = m->control, .msg_controllen = m->controllen };
	pid_t tgid = -1;

	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t at = (size_t)((char *)cm - m->control);
		/* A header whose length runs past the buffer: the kernel says
		 * EINVAL, and we must not read past our copy. */
		if (cm->cmsg_len < CMSG_LEN(0) || cm->cmsg_len > m->controllen - at)
			return EINVAL;
		if (cm->cmsg_level != SOL_SOCKET)
			continue;
		if (cm->cmsg_type == SCM_RIGHTS) {
			size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			int *fds = (int *)CMSG_DATA(cm);
			for (size_t i = 0; i < n; i++) {
				int mine = -1, e;
				if (m->nfds >= USUP_MAX_FDS)
					return EINVAL;
				if ((e = take_fd(k, fds[i], &mine)))
					return e;
				m->fds[m->nfds++] = mine;
				fds[i] = mine;
			}
		} else if (cm->cmsg_type == SCM_CREDENTIALS &&
			   cm->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			struct ucred *uc = (struct ucred *)CMSG_DATA(cm);
			if (tgid < 0)
				tgid = tgid_of(k->tid);
			if (uc->pid == tgid)
				uc->pid = getpid();
		}
	}
	return 0;
}

/* Read a struct msghdr at `uaddr` of the caller into our own message. */
static int load_msg(struct usup_state *st, struct call *k, uint64_t uaddr, struct msg *m)
{
	struct msghdr mh;
	struct iovec *riov = NULL;
	int e;

	memset(m, 0, sizeof(*m));
	m->opath = -1;
	if ((e = peek(k->tid, uaddr, &mh, sizeof(mh))))
		return e;
	if (mh.msg_iovlen > UIO_MAXIOV)
		return EMSGSIZE;
	if (mh.msg_controllen > USUP_MAX_CONTROL)
		return ENOBUFS;
	/* As the kernel: a longer name is cut to sockaddr_storage. */
	size_t namelen = mh.msg_name ? mh.msg_namelen : 0;
	if (namelen > sizeof(struct sockaddr_storage))
		namelen = sizeof(struct sockaddr_storage);
	if ((e = load_addr(st, k, (uint64_t)(uintptr_t)mh.msg_name, namelen, &m->name,
			   &m->namelen, &m->opath)))
		return e;
	if (mh.msg_iovlen) {
		riov = calloc(mh.msg_iovlen, sizeof(*riov));
		if (!riov)
			return ENOMEM;
		if ((e = peek(k->tid, (uint64_t)(uintptr_t)mh.msg_iov, riov,
			      mh.msg_iovlen * sizeof(*riov)))) {
			free(riov);
			return e;
		}
	}
	size_t total = 0;
	for (size_t i = 0; i < mh.msg_iovlen; i++) {
		if (riov[i].iov_len > SSIZE_MAX - total) {
			free(riov);
			return EINVAL;
		}
		total += riov[i].iov_len;
	}
	if (total > USUP_MAX_DATA) {
		if (k->stype != SOCK_STREAM) {
			free(riov);
			return EMSGSIZE;
		}
		total = USUP_MAX_DATA;     /* a stream send may be partial */
	}
	m->data = malloc(total ? total : 1);
	if (!m->data) {
		free(riov);
		return ENOMEM;
	}
	size_t got = 0;
	for (size_t i = 0; i < mh.msg_iovlen && got < total; i++) {
		size_t want = riov[i].iov_len < total - got ? riov[i].iov_len : total - got;
		if ((e = peek(k->tid, (uint64_t)(uintptr_t)riov[i].iov_base, m->data + got, want))) {
			free(riov);
			return e;
		}
		got += want;
	}
	free(riov);
	m->len = total;
	if (mh.msg_controllen) {
		m->control = malloc(mh.msg_controllen);
		if (!m->control)
			return ENOMEM;
		m->controllen = mh.msg_controllen;
		if ((e = peek(k->tid, (uint64_t)(uintptr_t)mh.msg_control, m->control,
			      m->controllen)))
			return e;
		if ((e = translate_control(k, m)))
			return e;
	}
	return 0;
}

/* From byte `off` on: the rest of a stream send carries no address and no
 * control message (they went with its first part). */
static ssize_t send_msg(int sock, struct msg *m, size_t off, int flags)
{
	struct iovec iov = { m->data + off, m->len - off };
	struct msghdr mh = {
		.msg_name = m->namelen && !off ? &m->name : NULL,
		.msg_namelen = off ? 0 : m->namelen,
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = m->controllen && !off ? m->control : NULL,
		.msg_controllen = off ? 0 : m->controllen,
	};
	return sendmsg(sock, &mh, flags | MSG_NOSIGNAL);
}

/* ---- one call ------------------------------------------------------------------- */

enum call_kind { CALL_CONNECT, CALL_SENDTO, CALL_SENDMSG, CALL_SENDMMSG };

struct pending {
	enum call_kind kind;
	struct sockaddr_storage addr;
	socklen_t alen;
	int opath;
	struct msg *msgs;     /* sendto: one, sendmsg: one, sendmmsg: vlen */
	unsigned nmsgs;
	int flags;
	uint64_t vec;         /* sendmmsg: the caller's mmsghdr array      */
	bool egress;          /* connect: through the egress process       */
};

static void pending_free(struct pending *p)
{
	if (p->opath >= 0)
		close(p->opath);
	for (unsigned i = 0; i < p->nmsgs; i++)
		msg_free(&p->msgs[i]);
	free(p->msgs);
}

/* The program's fd flags (FD_CLOEXEC) from /proc/<tid>/fdinfo. */
static bool fd_cloexec(pid_t tid, int fd)
{
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)tid, fd);
	int f = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = f >= 0 ? read(f, buf, sizeof(buf) - 1) : -1;
	if (f >= 0)
		close(f);
	if (n <= 0)
		return true;
	buf[n] = 0;
	const char *fl = strstr(buf, "flags:");
	return fl && (strtoul(fl + 6, NULL, 8) & O_CLOEXEC);
}

/*
 * net.hosts: a TCP connect to an outside address. The egress process
 * connected it (egress_tcp.c, driven by the main loop: egress_step); its
 * socket `ns`, with the program's file flags and usual options, now takes the
 * program's fd number (ADDFD + SETFD, which closes the program's unconnected
 * socket in the same step). Consumes ns; 0 or -errno.
 */
static long long egress_install(struct call *k, int ns)
{
	int e, v = 0;
	socklen_t ol = sizeof(v);
	int fd = (int)k->req->data.args[0];

	if (!getsockopt(k->sock, IPPROTO_TCP, TCP_NODELAY, &v, &ol) && v)
		setsockopt(ns, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v));
	ol = sizeof(v);
	if (!getsockopt(k->sock, SOL_SOCKET, SO_KEEPALIVE, &v, &ol) && v)
		setsockopt(ns, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v));
	/* ours was made non-blocking; the program's decides */
	int fl = fcntl(k->sock, F_GETFL), nfl = fcntl(ns, F_GETFL);
	if (fl >= 0 && nfl >= 0)
		fcntl(ns, F_SETFL, (nfl & ~O_NONBLOCK) | (fl & O_NONBLOCK));
	struct seccomp_notif_addfd add = {
		.id = k->req->id, .flags = SECCOMP_ADDFD_FLAG_SETFD, .srcfd = (__u32)ns,
		.newfd = (__u32)fd, .newfd_flags = fd_cloexec(k->tid, fd) ? O_CLOEXEC : 0,
	};
	e = ioctl(k->lfd, SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0 ? errno : 0;
	close(ns);
	return e ? -e : 0;
}

/*
 * Do it. Without `wait`, a call on a blocking socket is first tried without
 * blocking; -EAGAIN then means "a worker goes on from *progress" (bytes of a
 * stream send already gone). With `wait` (the worker), it blocks as the
 * caller's own call would. Returns the value to answer with, or -errno.
 */
static long long perform(struct call *k, struct pending *p, bool wait, size_t *progress)
{
	bool try_only = !wait && k->blocking;
	int extra = try_only ? MSG_DONTWAIT : 0;

	switch (p->kind) {
	case CALL_CONNECT:
		/* net.hosts: the main loop's (egress_begin) */
		if (p->egress)
			return -ENOSYS;
		/* connect() has no per-call "don't wait": a blocking socket
		 * goes to a worker from the start. */
		if (try_only)
			return -EAGAIN;
		return connect(k->sock, p->alen ? (struct sockaddr *)&p->addr : NULL, p->alen) ? -errno : 0;
	case CALL_SENDTO:
	case CALL_SENDMSG: {
		struct msg *m = &p->msgs[0];
		size_t done = *progress;
		do {
			ssize_t r = send_msg(k->sock, m, done, p->flags | extra);
			if (r < 0) {
				int e = errno;
				if (e == EAGAIN && try_only)
					return -EAGAIN;
				if (done)
					return (long long)done;   /* what went, as the kernel says */
				if (e == EPIPE && !(p->flags & MSG_NOSIGNAL))
					send_pipe_signal(k);
				return -e;
			}
			done += (size_t)r;
			*progress = done;
			/* A blocking stream send returns when everything went. */
		} while (k->blocking && k->stype == SOCK_STREAM && done < m->len);
		return (long long)done;
	}
	case CALL_SENDMMSG: {
		unsigned i;
		if (try_only)
			return -EAGAIN;
		for (i = 0; i < p->nmsgs; i++) {
			size_t done = 0;
			ssize_t r;
			do {
				r = send_msg(k->sock, &p->msgs[i], done, p->flags);
				if (r >= 0)
					done += (size_t)r;
			} while (r >= 0 && k->blocking && k->stype == SOCK_STREAM &&
				 done < p->msgs[i].len);
			if (r < 0 && !done) {
				int e = errno;
				if (i)
					break;
				if (e == EPIPE && !(p->flags & MSG_NOSIGNAL))
					send_pipe_signal(k);
				return -e;
			}
			unsigned len = (unsigned)done;
			/* mmsghdr.msg_len, as the kernel writes it */
			poke(k->tid, p->vec + i * sizeof(struct mmsghdr) +
				     offsetof(struct mmsghdr, msg_len), &len, sizeof(len));
		}
		return (long long)i;
	}
	}
	return -ENOSYS;
}

/* A call that blocks, done by a thread of its own; it owns its copies. Or
 * (net.hosts) a connect through the egress process, waited for by the main
 * loop on `esock` without a thread. */
enum { JOB_THREAD, JOB_EGRESS_CONNECTING, JOB_EGRESS_ASKED };
struct job {
	struct seccomp_notif req;
	struct call k;
	struct pending p;
	size_t progress;
	pthread_t thread;
	atomic_int done;
	int state;
	int esock;
};

/* SIGUSR1 interrupts a worker's blocking call (no SA_RESTART). */
static void on_kick(int sig)
{
	(void)sig;
}

static void *job_run(void *arg)
{
	struct job *j = arg;
	sigset_t kick;
	long long r;

	sigemptyset(&kick);
	sigaddset(&kick, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
	r = perform(&j->k, &j->p, true, &j->progress);
	reply(j->k.lfd, j->req.id, r < 0 ? 0 : r, r < 0 ? (int)-r : 0);
	atomic_store(&j->done, 1);
	return NULL;
}

static void job_free(struct job *j)
{
	if (j->state != JOB_THREAD && j->esock >= 0)
		close(j->esock);
	pending_free(&j->p);
	if (j->k.sock >= 0)
		close(j->k.sock);
	if (j->k.pidfd >= 0)
		close(j->k.pidfd);
	free(j);
}

/* Finished workers joined; one whose caller stopped waiting (a signal, or
 * it died) is interrupted, so that no call completes after its caller was
 * told it failed. */
static void reap_workers(struct usup_state *st)
{
	for (int i = 0; i < st->workers;) {
		struct job *j = st->jobs[i];
		if (j->state != JOB_THREAD && !valid(st->lfd, j->req.id)) {
			/* the caller stopped waiting: the egress process sees the
			 * connection close and drops its upstream one */
			job_free(j);
			st->jobs[i] = st->jobs[--st->workers];
			continue;
		}
		if (j->state == JOB_THREAD && atomic_load(&j->done)) {
			pthread_join(j->thread, NULL);
			job_free(j);
			st->jobs[i] = st->jobs[--st->workers];
			continue;
		}
		if (j->state == JOB_THREAD && !valid(st->lfd, j->req.id))
			pthread_kill(j->thread, SIGUSR1);
		i++;
	}
}

static int load_call(struct usup_state *st, struct call *k, enum call_kind kind,
		     struct pending *p)
{
	uint64_t a[6];
	int e;

	for (int i = 0; i < 6; i++)
		a[i] = k->req->data.args[i];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->opath = -1;
	switch (kind) {
	case CALL_CONNECT:
		if ((int)a[2] < 0)
			return EINVAL;
		e = load_addr(st, k, a[1], (size_t)(int)a[2], &p->addr, &p->alen, &p->opath);
		/* net.hosts: a TCP socket to an address outside the sandbox */
		if (!e && st->u->egress_port && k->stype == SOCK_STREAM &&
		    ln_egress_outside(&p->addr, p->alen)) {
			int proto = 0;
			socklen_t pl = sizeof(proto);
			if (!getsockopt(k->sock, SOL_SOCKET, SO_PROTOCOL, &proto, &pl) &&
			    (proto == IPPROTO_TCP || proto == 262 /* IPPROTO_MPTCP */)) {
				p->egress = true;
				k->egress_port = st->u->egress_port;
			}
		}
		return e;
	case CALL_SENDTO: {
		struct msg *m;
		p->flags = (int)a[3];
		p->msgs = calloc(1, sizeof(*m));
		if (!p->msgs)
			return ENOMEM;
		p->nmsgs = 1;
		m = &p->msgs[0];
		m->opath = -1;
		if ((int)a[5] < 0)
			return EINVAL;
		if ((e = load_addr(st, k, a[4], (size_t)(int)a[5], &m->name, &m->namelen, &m->opath)))
			return e;
		size_t len = (size_t)a[2];
		if (len > USUP_MAX_DATA) {
			if (k->stype != SOCK_STREAM)
				return EMSGSIZE;
			len = USUP_MAX_DATA;
		}
		m->data = malloc(len ? len : 1);
		if (!m->data)
			return ENOMEM;
		m->len = len;
		return peek(k->tid, a[1], m->data, len);
	}
	case CALL_SENDMSG:
		p->flags = (int)a[2];
		p->msgs = calloc(1, sizeof(*p->msgs));
		if (!p->msgs)
			return ENOMEM;
		p->nmsgs = 1;
		return load_msg(st, k, a[1], &p->msgs[0]);
	case CALL_SENDMMSG: {
		unsigned vlen = (unsigned)a[2];
		p->flags = (int)a[3];
		p->vec = a[1];
		if (vlen > UIO_MAXIOV)
			vlen = UIO_MAXIOV;
		if (!vlen)
			return 0;
		p->msgs = calloc(vlen, sizeof(*p->msgs));
		if (!p->msgs)
			return ENOMEM;
		for (unsigned i = 0; i < vlen; i++) {
			p->msgs[i].opath = -1;
			p->nmsgs = i + 1;
			if ((e = load_msg(st, k, a[1] + i * sizeof(struct mmsghdr), &p->msgs[i])))
				return e;
		}
		return 0;
	}
	}
	return ENOSYS;
}

/*
 * net.hosts: a connect through the egress process, started without
 * blocking and left to the main loop (egress_step) as a job without a
 * thread: a thread made per connect cost a scheduling round on a connect's
 * path. On success the job owns the socket, the pidfd and the copies.
 */
static int egress_begin(struct usup_state *st, struct call *k, struct pending *p,
			const struct seccomp_notif *req)
{
	int fam = 0, s = -1, e;
	socklen_t ol = sizeof(fam);

	reap_workers(st);
	if (st->workers >= USUP_MAX_WORKERS)
		return EAGAIN;
	if (getsockopt(k->sock, SOL_SOCKET, SO_DOMAIN, &fam, &ol))
		return errno;
	e = ln_egress_tcp_open(k->egress_port, fam, &p->addr, &s);
	if (e && e != EINPROGRESS)
		return e;
	if (e) {
		/* On loopback the handshake is usually done by now: the
		 * header goes at once (the egress process wakes for it). */
		struct pollfd w = { .fd = s, .events = POLLOUT };
		if (poll(&w, 1, 0) == 1)
			e = 0;
	}
	if (!e && (e = ln_egress_tcp_ask(s, &p->addr))) {
		close(s);
		return e;
	}
	struct job *j = calloc(1, sizeof(*j));
	if (!j) {
		close(s);
		return ENOMEM;
	}
	j->req = *req;
	j->k = *k;
	j->k.req = &j->req;
	j->p = *p;
	j->esock = s;
	j->state = e == EINPROGRESS ? JOB_EGRESS_CONNECTING : JOB_EGRESS_ASKED;
	st->jobs[st->workers++] = j;
	return 0;
}

/* The main loop: a job of egress_begin's socket is ready. false: answered
 * (the job is to be freed). */
static bool egress_step(struct usup_state *st, struct job *j)
{
	int e;

	if (j->state == JOB_EGRESS_CONNECTING) {
		if (!(e = ln_egress_tcp_ask(j->esock, &j->p.addr))) {
			j->state = JOB_EGRESS_ASKED;
			return true;
		}
	} else if ((e = ln_egress_tcp_verdict(j->esock)) == EAGAIN) {
		return true;
	} else if (!e) {
		long long r = egress_install(&j->k, j->esock);
		j->esock = -1;
		e = r < 0 ? (int)-r : 0;
	}
	reply(st->lfd, j->req.id, 0, e);
	return false;
}

static void handle(struct usup_state *st, int lfd, const struct seccomp_notif *req,
		   enum call_kind kind)
{
	struct call k = { .lfd = lfd, .req = req, .tid = (pid_t)req->pid, .pidfd = -1, .sock = -1 };
	struct pending p = { .opath = -1 };
	size_t progress = 0;
	long long r;
	int e, fl;
	socklen_t ol = sizeof(k.stype);

	k.pidfd = (int)syscall(SYS_pidfd_open, k.tid, PIDFD_THREAD);
	if (k.pidfd < 0 && errno == EINVAL) {
		/* Before 6.9 a pidfd names a process: the caller's, whose fd
		 * table its threads share (one that unshared its own would have
		 * the leader's fds taken: its own confusion, and every address
		 * is still checked). */
		pid_t tgid = tgid_of(k.tid);
		k.pidfd = tgid > 0 ? (int)syscall(SYS_pidfd_open, tgid, 0) : -1;
	}
	/* Valid after the pidfd is made: the pidfd is the caller's. */
	if (k.pidfd < 0 || !valid(lfd, req->id)) {
		if (k.pidfd >= 0)
			close(k.pidfd);
		reply(lfd, req->id, 0, EPERM);
		return;
	}
	if ((e = take_fd(&k, (int)req->data.args[0], &k.sock)))
		goto answer;
	fl = fcntl(k.sock, F_GETFL);
	if (getsockopt(k.sock, SOL_SOCKET, SO_TYPE, &k.stype, &ol))
		k.stype = 0;    /* not a socket: the call itself says ENOTSOCK */
	int flags = kind == CALL_CONNECT ? 0 : (int)req->data.args[kind == CALL_SENDMSG ? 2 : 3];
	k.blocking = fl >= 0 && !(fl & O_NONBLOCK) && !(flags & MSG_DONTWAIT);
	if ((e = load_call(st, &k, kind, &p)))
		goto answer;
	/* Everything read came from the caller that is still waiting. */
	if (!valid(lfd, req->id)) {
		e = EPERM;
		goto answer;
	}
	if (p.egress) {
		if (!(e = egress_begin(st, &k, &p, req)))
			return;   /* the job owns the socket, the pidfd, the copies */
		goto answer;
	}
	r = perform(&k, &p, false, &progress);
	if (r == -EAGAIN && k.blocking) {
		reap_workers(st);
		if (st->workers >= USUP_MAX_WORKERS) {
			e = EAGAIN;
			goto answer;
		}
		struct job *j = calloc(1, sizeof(*j));
		if (!j) {
			e = ENOMEM;
			goto answer;
		}
		j->req = *req;
		j->k = k;
		j->k.req = &j->req;
		j->p = p;
		j->progress = progress;
		if (pthread_create(&j->thread, NULL, job_run, j)) {
			free(j);      /* its copies are still ours, freed below */
			e = EAGAIN;
			goto answer;
		}
		st->jobs[st->workers++] = j;
		return;           /* the job owns the socket, the pidfd, the copies */
	}
	reply(lfd, req->id, r < 0 ? 0 : r, r < 0 ? (int)-r : 0);
	goto done;
answer:
	/* report: a refused socket is a denial like the filter's */
	if (k.refused && st->chan >= 0)
		ln_notify_report(st->chan, req, e);
	reply(lfd, req->id, 0, e);
done:
	pending_free(&p);
	if (k.sock >= 0)
		close(k.sock);
	close(k.pidfd);
}

/* ---- the supervisor process ---------------------------------------------------- */

static bool policy_allows(const struct sbx_prepared *pp, const struct seccomp_notif *req)
{
	uint64_t args[6];
	uint32_t ret = 0;

	for (int i = 0; i < 6; i++)
		args[i] = req->data.args[i];
	/* Without a model (no report) only what the policy allows is
	 * notified. */
	if (!pp->denial_model)
		return true;
	if (sbx_prepared_denial_ret(pp, req->data.arch, (uint32_t)req->data.nr, args, &ret))
		return false;
	return (ret & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW ||
	       (ret & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_LOG;
}

/*
 * A signal for the program: the launcher or the init send them to us, the
 * program's parent; a signal its own process group sent (kill(0, ...)) or
 * the terminal sent to the group reached the program already.
 */
static bool forward_signal(const struct signalfd_siginfo *si, pid_t prog)
{
	if ((int)si->ssi_code > 0)
		return false;       /* from the kernel: the terminal, to the group */
	pid_t g = getpgid((pid_t)si->ssi_pid);
	return g < 0 || g != getpgid(prog);
}

/* The program ended: its status, then the counts of unshown denials. */
static __attribute__((noreturn)) void finish(struct usup_state *st, int status)
{
	if (st->pp->notify_denials)
		ln_notify_counts(st->chan);
	/* _exit (in ln_exit_like) ends the worker threads too. */
	ln_exit_like(status);
}

static __attribute__((noreturn)) void supervise(struct usup_state *st, struct ln_usup *u,
						 pid_t prog, int sigfd)
{
	struct ln_line started;
	const struct sbx_arch_info *ai = sbx_arch_info(sbx_arch_native());
	int nr_connect = sbx_syscall_lookup(sbx_arch_native(), "connect");
	int nr_sendto = sbx_syscall_lookup(sbx_arch_native(), "sendto");
	int nr_sendmsg = sbx_syscall_lookup(sbx_arch_native(), "sendmsg");
	int nr_sendmmsg = sbx_syscall_lookup(sbx_arch_native(), "sendmmsg");
	int num = -1, lfd = -1, pidfd, status;
	unsigned char ack;
	bool exec_seen = false;

	/* The listener: its number from the program, the fd itself by pidfd. */
	if (read(u->num_rd, &num, sizeof(num)) != (ssize_t)sizeof(num)) {
		/* The program ended before its filter was in (a setup error,
		 * which it reported): end like it. */
		while (waitpid(prog, &status, 0) < 0 && errno == EINTR)
			;
		ln_exit_like(status);
	}
	pidfd = (int)syscall(SYS_pidfd_open, prog, 0);
	if (pidfd >= 0)
		lfd = (int)syscall(SYS_pidfd_getfd, pidfd, num, 0);
	ack = lfd >= 0 ? 0 : (unsigned char)(errno > 0 && errno < 256 ? errno : EIO);
	if (pidfd >= 0)
		close(pidfd);
	(void)!write(u->ack_wr, &ack, 1);
	close(u->ack_wr);
	st->lfd = lfd;
	if (lfd >= 0)
		ln_notify_sync_wakeup(lfd);     /* notify.c */
	struct sigaction sa = { .sa_handler = on_kick };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	for (;;) {
		struct pollfd pfd[3 + USUP_MAX_WORKERS] = { { .fd = lfd, .events = POLLIN },
			{ .fd = exec_seen ? -1 : u->num_rd, .events = POLLIN },
			{ .fd = sigfd, .events = POLLIN } };
		struct job *waiting[USUP_MAX_WORKERS];
		int nw = 0;
		for (int i = 0; i < st->workers; i++) {
			struct job *j = st->jobs[i];
			if (j->state == JOB_THREAD)
				continue;
			pfd[3 + nw] = (struct pollfd){ .fd = j->esock,
				.events = j->state == JOB_EGRESS_CONNECTING ? POLLOUT : POLLIN };
			waiting[nw++] = j;
		}
		if (poll(pfd, (nfds_t)(3 + nw), st->workers ? 200 : -1) < 0 && errno != EINTR)
			break;
		/* net.hosts connects (egress_begin) that moved on */
		for (int i = 0; i < nw; i++) {
			if (!pfd[3 + i].revents || egress_step(st, waiting[i]))
				continue;
			for (int x = 0; x < st->workers; x++)
				if (st->jobs[x] == waiting[i]) {
					st->jobs[x] = st->jobs[--st->workers];
					break;
				}
			job_free(waiting[i]);
		}
		reap_workers(st);
		if (pfd[2].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo != SIGCHLD) {
					if (forward_signal(&si, prog))
						kill(prog, (int)si.ssi_signo);
					continue;
				}
				/* orphans of the program are ours too (subreaper) */
				pid_t r;
				while ((r = waitpid(-1, &status, WNOHANG)) > 0)
					if (r == prog)
						finish(st, status);
			}
		}
		if (pfd[1].revents) {
			/* The program's end is close-on-exec: it was executed. */
			exec_seen = true;
			if (st->chan >= 0 && ln_line_started(&started))
				(void)!send(st->chan, started.buf, started.len, MSG_NOSIGNAL);
		}
		if (lfd >= 0 && (pfd[0].revents & POLLIN)) {
			struct seccomp_notif req;
			memset(&req, 0, sizeof(req));
			if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
				continue;   /* EINTR, or ENOENT: the caller went meanwhile */
			int nr = (int)req.data.nr;
			bool native = ai && req.data.arch == ai->audit_arch;
			enum call_kind kind = CALL_CONNECT;
			bool ours = native && (nr == nr_connect || nr == nr_sendto ||
					       nr == nr_sendmsg || nr == nr_sendmmsg);
			if (ours)
				kind = nr == nr_connect ? CALL_CONNECT : nr == nr_sendto ? CALL_SENDTO
				       : nr == nr_sendmsg ? CALL_SENDMSG : CALL_SENDMMSG;
			if (ours && policy_allows(st->pp, &req))
				handle(st, lfd, &req, kind);
			else if (st->pp->notify_denials)
				ln_notify_answer(st->pp, lfd, st->chan, &req);   /* report: notify.c */
			else
				reply(lfd, req.id, 0, EPERM);
		} else if (lfd >= 0 && (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL))) {
			/* No process uses the filter any more: the program is on
			 * its way out; its SIGCHLD ends this loop. */
			close(lfd);
			lfd = -1;
		}
	}
	/* poll failed: nothing to supervise with; the program cannot go on
	 * without answers, so it goes (its parent-death signal). */
	_exit(LN_EXIT_SETUP);
}

/* Close every fd but these and the listed sockets. */
static void keep_only(int a, int b, int c, int d, const struct ln_usup *u)
{
	int keep[4 + 256];
	size_t n = 0;
	unsigned from = 0;

	keep[n++] = a;
	keep[n++] = b;
	keep[n++] = c;
	keep[n++] = d;
	for (size_t i = 0; i < u->n && n < sizeof(keep) / sizeof(keep[0]); i++)
		keep[n++] = u->fd[i];
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && keep[j] < keep[j - 1]; j--) {
			int t = keep[j];
			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++) {
		if (keep[i] < 0 || (unsigned)keep[i] < from)
			continue;
		if ((unsigned)keep[i] > from)
			syscall(SYS_close_range, from, (unsigned)keep[i] - 1, 0U);
		from = (unsigned)keep[i] + 1;
	}
	syscall(SYS_close_range, from, ~0U, 0U);
}

int ln_usup_fork(struct ln_ctx *c, const struct sbx_prepared *pp, struct sbx_error *err)
{
	struct ln_usup *u = c->usup;
	int a[2], b[2];
	long need[2];
	const struct sbx_plan_seccomp *sc = &pp->plan.seccomp;
	pid_t me = getpid(), prog;
	sigset_t all, fwd;

	if (!pp->unix_supervise)
		return 0;
	if (!u)
		return sbx_error_set(err, SBX_EINVAL, EINVAL, "/net/unixPaths",
				     "the unix-socket supervisor was not set up");
	/* The hand-over after the filter is a write() and a read(): were
	 * either refused, the program could not give the listener away. */
	need[0] = sbx_syscall_lookup(sbx_arch_native(), "write");
	need[1] = sbx_syscall_lookup(sbx_arch_native(), "read");
	for (int i = 0; i < 2; i++)
		if (sc->prog && (need[i] < 0 ||
				 !sbx_bpf_const_allows(sc->prog, sc->len,
						       sbx_arch_info(sbx_arch_native())->audit_arch,
						       (uint32_t)need[i])))
			return sbx_error_set(err, SBX_EUNSUPPORTED, EPERM, "/net/unixPaths",
					     "the policy does not allow %s() whatever its arguments, "
					     "which the spawn door needs to hand the unix-socket "
					     "supervisor its listener", i ? "read" : "write");
	if (pipe2(a, O_CLOEXEC))
		return sbx_error_sys(err, errno, "pipe2", "/net/unixPaths", "%s", strerror(errno));
	if (pipe2(b, O_CLOEXEC)) {
		close(a[0]);
		close(a[1]);
		return sbx_error_sys(err, errno, "pipe2", "/net/unixPaths", "%s", strerror(errno));
	}
	/* Signals wait for the supervisor's signalfd (forwarded to the
	 * program) from here on; the program restores its mask. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &fwd);
	prog = fork();
	if (prog < 0) {
		int e = errno;
		sigprocmask(SIG_SETMASK, &fwd, NULL);
		return sbx_error_sys(err, e, "fork", "/net/unixPaths",
				     "forking the program from its unix-socket supervisor: %s",
				     strerror(e));
	}
	if (prog == 0) {
		/* The program: its supervisor is its parent (an ancestor, as
		 * Yama's ptrace_scope 1 wants for pidfd_getfd and
		 * process_vm_readv), and it does not outlive it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != me)
			_exit(LN_EXIT_SETUP);
		sigprocmask(SIG_SETMASK, &fwd, NULL);
		close(a[0]);
		close(b[1]);
		u->num_wr = a[1];
		u->ack_rd = b[0];
		for (size_t i = 0; i < u->n; i++)
			close(u->fd[i]);
		u->n = 0;
		return 0;
	}
	/* The supervisor: this process, the program's parent. It is not
	 * dumpable (the program cannot ptrace it or take its fds), keeps its
	 * own fds only (the program's stdio and channel must see their end
	 * when the program's go; with report it keeps the channel for the
	 * lines), and ends like the program. */
	prctl(PR_SET_DUMPABLE, 0);
	/* What the program's processes leave behind stays below us, where
	 * pidfd_getfd and process_vm_readv still reach it under Yama. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGPIPE, SIG_IGN);
	struct usup_state s = { .pp = pp, .u = u, .chan = -1 };
	if (pp->notify_denials && c->chan_fd >= 0)
		s.chan = c->chan_fd;
	ln_forward_sigset(&fwd);
	int sigfd = signalfd(-1, &fwd, SFD_CLOEXEC | SFD_NONBLOCK);
	keep_only(a[0], b[1], sigfd, s.chan, u);
	u->num_rd = a[0];
	u->ack_wr = b[1];
	struct stat rs;
	s.have_proc = stat("/", &s.root) == 0 && stat("/proc/self/fd", &rs) == 0;
	if (sigfd < 0) {
		kill(prog, SIGKILL);
		_exit(LN_EXIT_SETUP);
	}
	supervise(&s, u, prog, sigfd);
}

int ln_usup_handoff(struct ln_ctx *c, const struct sbx_prepared *pp, struct sbx_error *err)
{
	struct ln_usup *u = c->usup;
	int lfd = sbx_prepared_listener_fd(pp);
	unsigned char ack = EPIPE;

	if (!pp->unix_supervise)
		return 0;
	if (lfd < 0)
		return sbx_error_set(err, SBX_ESYS, EINVAL, "/net/unixPaths",
				     "the filter was installed without a listener");
	/* Under the filter now: write() and read() only (checked at fork). */
	if (write(u->num_wr, &lfd, sizeof(lfd)) != (ssize_t)sizeof(lfd) ||
	    read(u->ack_rd, &ack, 1) != 1 || ack != 0)
		return sbx_error_set(err, SBX_ESYS, ack ? ack : EPIPE, "/net/unixPaths",
				     "the unix-socket supervisor could not take the filter's "
				     "listener: %s", strerror(ack ? ack : EPIPE));
	return 0;
}
