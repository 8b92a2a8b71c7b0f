/*
 * Seeing denials in the preload door (`"report": true` or SBX_REPORT=1).
 *
 * The filter is prepared with its errno denials turned into USER_NOTIF, and
 * someone outside the filter must answer each one: a reporter process. It is
 * forked before anything is applied (so it is not confined, and never in the
 * program's way), twice (so it is not the program's child: a program that
 * waits for all its children must not wait for it), and gets the listener fd
 * over a socketpair right after the filter is installed. For every
 * notification it prints one line on stderr and answers with the errno the
 * policy gives that call, so the program sees exactly what it would without
 * reporting. It exits when no process uses the filter any more (POLLHUP).
 * Up to SBX_REPORT_PER_CALL denials of each call get their line; later ones
 * are counted and the counts printed when it exits.
 *
 * If the reporter is gone (killed), a notified call fails with ENOSYS instead
 * of the policy's errno: still denied, never allowed, because the filter
 * refuses the program a listener of its own (src-native/prepare_listener.c).
 */
#include "policy.h"
#include "notify.h"
#include "fs_denial.h"
#include "prepared.h"
#include "preload.h"
#include "syscalls.h"
#include "kernel_defs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- the line ------------------------------------------------------------ */

struct line {
	char buf[512 + 2 * 4 * PATH_MAX];   /* a file denial names two paths, escaped */
	size_t len;
};

__attribute__((format(printf, 2, 3)))
static void put(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;
	if (l->len >= sizeof(l->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n < sizeof(l->buf) - l->len ? (size_t)n
							     : sizeof(l->buf) - 1 - l->len;
}

/* One character of a name at s (n bytes left): its length when it is shown
 * as it is (printable ASCII but the backslash, or a well-formed UTF-8
 * character that is not a C1 control, a bidirectional override or an
 * invisible format character), else 0. */
static size_t shown_as_is(const unsigned char *s, size_t n)
{
	uint32_t c;
	size_t len;

	if (s[0] < 0x80)
		return s[0] >= 0x20 && s[0] < 0x7f && s[0] != '\\' ? 1 : 0;
	len = s[0] >= 0xf0 && s[0] < 0xf5 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;
	if (!len || len > n)
		return 0;
	c = s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c < 0xe000) || c < 0xa0 || c == 0x61c || (c >= 0x200b && c <= 0x200f) ||
	    (c >= 0x2028 && c <= 0x202e) || (c >= 0x2060 && c <= 0x206f) || c == 0xfeff)
		return 0;
	return len;
}

/* A name from the sandbox on the terminal: a newline in a file name must
 * not forge a line of ours, nor an escape sequence rewrite the screen.
 * Bytes not shown as they are become \xHH (as `sbx run --report` does). */
static void put_name(struct line *l, const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n = strlen(name);

	for (size_t i = 0; i < n;) {
		size_t k = shown_as_is(s + i, n - i);
		if (k) {
			put(l, "%.*s", (int)k, (const char *)s + i);
			i += k;
		} else {
			if (s[i] == '\\')
				put(l, "\\\\");
			else
				put(l, "\\x%02x", s[i]);
			i++;
		}
	}
}

static const char *family_name(uint64_t f)
{
	switch (f) {
	case AF_UNIX: return "AF_UNIX";
	case AF_INET: return "AF_INET";
	case AF_INET6: return "AF_INET6";
	case AF_NETLINK: return "AF_NETLINK";
	case AF_PACKET: return "AF_PACKET";
	case AF_VSOCK: return "AF_VSOCK";
	case AF_ALG: return "AF_ALG";
	default: return NULL;
	}
}

static void put_family(struct line *l, uint64_t f)
{
	const char *n = family_name(f);
	if (n)
		put(l, "%s", n);
	else
		put(l, "%llu", (unsigned long long)f);
}

static void put_type(struct line *l, uint64_t t)
{
	static const char *const names[] = { NULL, "SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW",
					     "SOCK_RDM", "SOCK_SEQPACKET" };
	uint64_t base = t & 0xf;
	if (base < sizeof(names) / sizeof(names[0]) && names[base])
		put(l, "%s", names[base]);
	else
		put(l, "%llu", (unsigned long long)base);
	if (t & SOCK_NONBLOCK)
		put(l, "|SOCK_NONBLOCK");
	if (t & SOCK_CLOEXEC)
		put(l, "|SOCK_CLOEXEC");
}

static void put_num(struct line *l, uint64_t v)
{
	if ((int64_t)v >= -4096 && (int64_t)v < 65536)
		put(l, "%lld", (long long)v);
	else
		put(l, "0x%llx", (unsigned long long)v);
}

/* The sockaddr a connect/bind/sendto points to, read from the caller. */
static void put_sockaddr(struct line *l, pid_t pid, uint64_t addr, uint64_t len)
{
	struct sockaddr_storage ss;
	struct iovec local = { &ss, sizeof(ss) };
	struct iovec remote = { (void *)(uintptr_t)addr, 0 };
	char ip[INET6_ADDRSTRLEN];

	memset(&ss, 0, sizeof(ss));
	if (!addr || len < sizeof(sa_family_t)) {
		put_num(l, addr);
		return;
	}
	remote.iov_len = len < sizeof(ss) ? len : sizeof(ss);
	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) < (ssize_t)sizeof(sa_family_t)) {
		put(l, "0x%llx", (unsigned long long)addr);
		return;
	}
	put_family(l, ss.ss_family);
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)&ss;
		put(l, " %s:%u", inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip)) ? ip : "?",
		    ntohs(in->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)&ss;
		put(l, " [%s]:%u", inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip)) ? ip : "?",
		    ntohs(in6->sin6_port));
	} else if (ss.ss_family == AF_UNIX) {
		const struct sockaddr_un *un = (const void *)&ss;
		size_t n = remote.iov_len - offsetof(struct sockaddr_un, sun_path);
		if (n > 0 && un->sun_path[0] == '\0')
			put(l, " @%.*s", (int)(n - 1), un->sun_path + 1);
		else
			put(l, " %.*s", (int)strnlen(un->sun_path, n), un->sun_path);
	}
}

/* Argument counts of the calls a policy typically denies (the syscall table
 * has none); other calls show all six registers. */
static int nargs_of(const char *name)
{
	/* Names inline, not pointers: no relocations in libsbx.so, which the
	 * loader would apply at every start of every sandboxed process. */
	static const struct {
		char name[20];
		int n;
	} t[] = {
		{ "accept", 3 }, { "acct", 1 }, { "add_key", 5 }, { "adjtimex", 1 },
		{ "bpf", 3 }, { "chroot", 1 }, { "clock_settime", 2 }, { "clone", 5 },
		{ "execve", 3 }, { "execveat", 5 }, { "fanotify_init", 2 },
		{ "finit_module", 3 }, { "fsconfig", 5 }, { "fsmount", 3 },
		{ "fsopen", 2 }, { "getsockopt", 5 }, { "init_module", 3 },
		{ "io_uring_enter", 6 }, { "io_uring_register", 4 },
		{ "io_uring_setup", 2 }, { "ioctl", 3 }, { "kcmp", 5 },
		{ "kexec_file_load", 5 }, { "kexec_load", 4 }, { "keyctl", 5 },
		{ "kill", 2 }, { "listen", 2 }, { "memfd_create", 2 }, { "mknod", 3 },
		{ "mknodat", 4 }, { "mount", 5 }, { "mount_setattr", 5 },
		{ "move_mount", 5 }, { "open_by_handle_at", 3 }, { "open_tree", 3 },
		{ "perf_event_open", 5 }, { "personality", 1 }, { "pidfd_getfd", 3 },
		{ "pidfd_open", 2 }, { "pivot_root", 2 }, { "process_vm_readv", 6 },
		{ "process_vm_writev", 6 }, { "ptrace", 4 }, { "quotactl", 4 },
		{ "reboot", 4 }, { "recvmsg", 3 }, { "request_key", 4 },
		{ "sendmsg", 3 }, { "setdomainname", 2 }, { "sethostname", 2 },
		{ "setns", 2 }, { "setsockopt", 5 }, { "settimeofday", 2 },
		{ "swapoff", 1 }, { "swapon", 2 }, { "syslog", 3 }, { "tgkill", 3 },
		{ "tkill", 2 }, { "umount2", 2 }, { "unshare", 1 }, { "userfaultfd", 1 },
		{ "vhangup", 0 },
	};
	for (size_t i = 0; name && i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(t[i].name, name))
			return t[i].n;
	return 6;
}

static void describe(struct line *l, const struct seccomp_notif *req)
{
	const struct sbx_arch_info *ai = sbx_arch_info(sbx_arch_native());
	uint64_t a[6];
	const char *name = NULL;
	int nargs;

	for (int i = 0; i < 6; i++)
		a[i] = req->data.args[i];
	if (ai && req->data.arch == ai->audit_arch)
		name = sbx_syscall_name(sbx_arch_native(), req->data.nr);
	put(l, "sbx: denied ");
	if (name)
		put(l, "%s(", name);
	else
		put(l, "syscall_%d(", req->data.nr);
	if (name && (!strcmp(name, "socket") || !strcmp(name, "socketpair"))) {
		put_family(l, a[0]);
		put(l, ", ");
		put_type(l, a[1]);
		put(l, ", %llu", (unsigned long long)a[2]);
	} else if (name && (!strcmp(name, "connect") || !strcmp(name, "bind"))) {
		put(l, "%lld, ", (long long)(int)a[0]);
		put_sockaddr(l, req->pid, a[1], a[2]);
	} else if (name && !strcmp(name, "sendto") && a[4]) {
		put(l, "%lld, ..., ", (long long)(int)a[0]);
		put_sockaddr(l, req->pid, a[4], a[5]);
	} else {
		nargs = nargs_of(name);
		for (int i = 0; i < nargs; i++) {
			if (i)
				put(l, ", ");
			put_num(l, a[i]);
		}
	}
	put(l, ") in pid %d", (int)req->pid);
}

/* ---- the reporter --------------------------------------------------------- */

static void write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static struct sbx_report_tally tally;

/* `connect()`, `syscall_999()`, or the shared bucket's `other calls`. */
static void put_call(struct line *l, const struct sbx_report_call *c)
{
	const struct sbx_arch_info *ai = sbx_arch_info(sbx_arch_native());
	const char *name = NULL;

	if (c->shared) {
		put(l, "other calls");
		return;
	}
	if (ai && c->arch == ai->audit_arch)
		name = sbx_syscall_name(sbx_arch_native(), c->nr);
	if (name)
		put(l, "%s()", name);
	else
		put(l, "syscall_%d()", c->nr);
}

static void answer(const struct sbx_prepared *pp, int lfd, const struct seccomp_notif *req)
{
	struct seccomp_notif_resp resp;
	struct line l = { .len = 0 };
	const struct sbx_report_call *c;

	if (sbx_notify_decide(pp, req, &resp) >= 0) {
		enum sbx_report_show show = sbx_report_tally_add(&tally, req->data.arch, req->data.nr, &c);
		if (show != SBX_REPORT_COUNT) {
			describe(&l, req);
			put(&l, "\n");
		}
		if (show == SBX_REPORT_SHOW_LAST) {
			put(&l, "sbx: ");
			put_call(&l, c);
			put(&l, " denied %d times: further denials are counted, not shown\n",
			    SBX_REPORT_PER_CALL);
		}
		write_all(STDERR_FILENO, l.buf, l.len);
	} else if (pp->observe_fs) {
		/* A call that names a file, allowed by the filter: say whether
		 * the file rules refuse it (fs_denial.h); it continues either
		 * way and the kernel decides. */
		static struct sbx_fs_denial d;
		uint64_t args[6];
		const struct sbx_arch_info *ai = sbx_arch_info(sbx_arch_native());

		for (int i = 0; i < 6; i++)
			args[i] = req->data.args[i];
		if (ai && req->data.arch == ai->audit_arch &&
		    sbx_fs_denial_check(pp, (pid_t)req->pid, req->data.nr, args, &d) &&
		    sbx_fs_denial_first(&d) &&
		    sbx_report_tally_add(&tally, req->data.arch, req->data.nr, &c) != SBX_REPORT_COUNT) {
			put(&l, "sbx: denied %s ", d.access);
			put_name(&l, d.path);
			put(&l, " (%s: %s) in pid %d; allow it with policy %s: \"", d.syscall,
			    !strcmp(d.reason, "read-only") ? "a read-only mount" : "no Landlock rule grants it",
			    (int)req->pid, d.key);
			put_name(&l, d.allow);
			put(&l, "\"\n");
			write_all(STDERR_FILENO, l.buf, l.len);
		}
	}
	/* ENOENT: the caller died meanwhile. Nothing to do. */
	ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

/* At the end: how many denials each call had beyond those shown. */
static __attribute__((noreturn)) void reporter_exit(int code)
{
	for (size_t i = 0; i < tally.ncalls; i++) {
		struct line l = { .len = 0 };
		uint64_t n = sbx_report_unshown(&tally.call[i]);
		if (!n)
			continue;
		put(&l, "sbx: ");
		put_call(&l, &tally.call[i]);
		put(&l, " denied %llu more times (not shown)\n", (unsigned long long)n);
		write_all(STDERR_FILENO, l.buf, l.len);
	}
	_exit(code);
}

__attribute__((noreturn)) static void reporter(const struct sbx_prepared *pp, int sock)
{
	struct seccomp_notif req;
	int lfd;

	/* Out of the terminal's job control: ^C to the program must not end
	 * the reporter before the program. */
	setsid();
	signal(SIGPIPE, SIG_IGN);
	if (chdir("/") < 0) {
		/* Only so that no mount stays busy; harmless if it fails. */
	}
	/* Keep stderr and the socket only: holding the program's stdout or a
	 * pipe would keep its readers waiting for an end of file. */
	{
		int s = fcntl(sock, F_DUPFD_CLOEXEC, 3);
		if (s < 0)
			_exit(1);
		close(0);
		close(1);
		syscall(SYS_close_range, 3U, (unsigned)s - 1, 0U);
		syscall(SYS_close_range, (unsigned)s + 1, ~0U, 0U);
		sock = s;
	}
	lfd = sbx_fd_recv(sock);
	close(sock);
	if (lfd < 0)
		_exit(0);       /* the program failed before applying, or exited */
	for (;;) {
		struct pollfd pfd = { .fd = lfd, .events = POLLIN };
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			reporter_exit(1);
		}
		if (!(pfd.revents & POLLIN)) {
			if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL))
				reporter_exit(0);   /* no process uses the filter any more */
			continue;
		}
		memset(&req, 0, sizeof(req));
		if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			reporter_exit(1);
		}
		answer(pp, lfd, &req);
	}
}

/* ---- the program's side ---------------------------------------------------- */

int sbx_preload_report_start(const struct sbx_prepared *pp)
{
	int sv[2], status;
	uint64_t args[6] = { 0 };
	uint32_t ret = 0;
	pid_t mid;

	if (!pp->notify_denials)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		sbx_preload_die("report", "cannot create the reporter's socket pair",
				"/report");
	/* Once the filter is in, the handoff is sendmsg() and close(): if the
	 * policy denied them, the call would wait for a reporter that is
	 * waiting for it. */
	args[0] = (uint64_t)sv[0];
	if (sbx_prepared_denial_ret(pp, sbx_arch_info(sbx_arch_native())->audit_arch,
				    (uint32_t)sbx_syscall_lookup(sbx_arch_native(), "sendmsg"),
				    args, &ret) < 0 ||
	    (ret & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_ALLOW ||
	    sbx_prepared_denial_ret(pp, sbx_arch_info(sbx_arch_native())->audit_arch,
				    (uint32_t)sbx_syscall_lookup(sbx_arch_native(), "close"),
				    args, &ret) < 0 ||
	    (ret & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_ALLOW)
		sbx_preload_die("report", "the policy denies sendmsg() or close(), which "
				"the preload door needs to hand denials to its reporter; "
				"allow them or turn reporting off", "/report");

	mid = fork();
	if (mid < 0)
		sbx_preload_die("report", "cannot fork the reporter", "/report");
	if (mid == 0) {
		pid_t r = fork();
		if (r == 0) {
			close(sv[0]);
			reporter(pp, sv[1]);
		}
		_exit(r < 0 ? 1 : 0);
	}
	close(sv[1]);
	while (waitpid(mid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		/* With SIGCHLD ignored the status is lost (ECHILD): the
		 * reporter's absence then shows as a failed handoff. */
		if (errno != ECHILD)
			sbx_preload_die("report", "cannot fork the reporter", "/report");
	}
	return sv[0];
}

void sbx_preload_report_handoff(int sock, int listener_fd)
{
	int r = sbx_fd_send(sock, listener_fd);

	close(listener_fd);
	close(sock);
	if (r < 0)
		/* Denials would now fail with ENOSYS unreported: still denied,
		 * but the user asked to see them. */
		sbx_preload_die("report", "cannot hand the seccomp listener to the "
				"reporter (was it killed?)", "/report");
}
