/*
 * Violation reporting in the spawn door (`"report": true`).
 *
 * The program's filter is prepared with SBX_PREPARE_LISTENER: its errno
 * denials become USER_NOTIF, and a supervisor outside the filter answers each
 * one with the errno the policy gives that call (sbx_prepared_denial_ret), so
 * the program sees exactly what it would without reporting, and sends one
 * JSON line per denial to Node on the launcher's channel:
 *
 *   {"event":"violation","syscall":"socket","nr":41,"args":[2,1,0,0,0,0],"pid":2,"errno":1}
 *
 * Up to SBX_REPORT_PER_CALL lines per system call (the last one says
 * "last":true); later denials of it are counted, and the counts are sent as
 * "violations-unshown" lines when the supervisor ends.
 *
 * The answer depends on the syscall number and the register values only, the
 * same inputs the BPF filter saw: nothing behind a pointer is read (another
 * thread could change it between our read and the kernel's: TOCTOU).
 *
 * Who is the supervisor: a process forked after sbx_prepare() (it needs the
 * prepared model) and never confined. With a pid namespace it is the init's
 * second child (the program stays pid 2) and dies with the namespace; pids
 * in the lines are the sandbox's. Without one, the launcher becomes the
 * program, so the supervisor is forked twice: a program that waits for all
 * its children must not wait for it. It gets the listener fd from the program
 * over a socketpair right after the filter is installed (sendmsg, checked
 * beforehand to be allowed), and exits when no process uses the filter.
 *
 * The program's end of that socket is close-on-exec: when it hangs up, the
 * program was executed (or died), and the supervisor says {"event":"started"}
 * so that Node can resolve `child.sandbox` without waiting for the channel to
 * close (the supervisor holds it until the end).
 */
#include "launcher.h"
#include "event_lines.h"
#include "sbx_apply.h"

/* Internal core headers (the preload door uses them the same way): the
 * denial model and the syscall table. */
#include "policy.h"
#include "notify.h"
#include "prepared.h"
#include "fs_denial.h"
#include "syscalls.h"
#include "kernel_defs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

bool ln_notify_reports(const struct sbx_policy *p)
{
	return p && p->report == 1;
}

void ln_notify_sync_wakeup(int lfd)
{
	/* 6.6: a notification wakes the supervisor on the calling thread's
	 * CPU, and the answer wakes that thread on the supervisor's. The waker
	 * is about to wait, so the other runs at once instead of queueing
	 * behind other work on another CPU: each notified call is two such
	 * hand-overs (a connect through the egress path, net.hosts, more).
	 * Before 6.6: EINVAL or ENOTTY, and nothing changes. */
	(void)!ioctl(lfd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, (unsigned long)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
}

unsigned ln_notify_prepare_flags(const struct sbx_policy *p)
{
	/* net.unixPaths, net.hosts: the socket supervisor (unixsup.c) needs one too. */
	return p && (p->report == 1 || p->net.unix_paths.set || p->net.hosts.set)
		? SBX_PREPARE_LISTENER : 0;
}

static bool allowed(const struct sbx_prepared *pp, const char *name, uint64_t a0)
{
	uint64_t args[6] = { a0, 0, 0, 0, 0, 0 };
	uint32_t ret = 0;
	int nr = sbx_syscall_lookup(sbx_arch_native(), name);
	return nr >= 0 &&
	       sbx_prepared_denial_ret(pp, sbx_arch_info(sbx_arch_native())->audit_arch,
				       (uint32_t)nr, args, &ret) == 0 &&
	       (ret & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW;
}

int ln_notify_setup(struct ln_ctx *c, const struct sbx_prepared *pp, struct sbx_error *err)
{
	int sv[2];
	c->notify_sock = -1;
	c->notify_peer = -1;
	/* With net.unixPaths the unix-socket supervisor (unixsup.c) answers
	 * the denials too: one filter, one listener. */
	if (!pp->notify_denials || pp->unix_supervise)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return sbx_error_sys(err, errno, "socketpair", "/report",
				     "the supervisor's socket: %s", strerror(errno));
	/* Once the filter is in, the handoff is one sendmsg(): were it
	 * denied (so notified), the program would wait for a supervisor that
	 * waits for it. */
	if (!allowed(pp, "sendmsg", (uint64_t)sv[0])) {
		close(sv[0]);
		close(sv[1]);
		return sbx_error_set(err, SBX_EUNSUPPORTED, EPERM, "/report",
				     "the policy denies sendmsg(), which the spawn door needs "
				     "to hand denials to its supervisor; allow it or turn "
				     "reporting off");
	}
	c->notify_sock = sv[0];
	c->notify_peer = sv[1];
	return 0;
}

/* ---- the supervisor -------------------------------------------------------- */

static void send_line(int chan, const char *s, size_t n)
{
	while (send(chan, s, n, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

static struct sbx_report_tally tally;

/* At the end, one line per call with denials beyond those sent
 * (event_lines.h: "violations-unshown"; syscall null and shared true for
 * the bucket of calls beyond SBX_REPORT_CALLS). */
void ln_notify_counts(int chan)
{
	const struct sbx_arch_info *ai = sbx_arch_info(sbx_arch_native());
	struct ln_line line;
	for (size_t i = 0; i < tally.ncalls; i++) {
		const struct sbx_report_call *c = &tally.call[i];
		uint64_t unshown = sbx_report_unshown(c);
		const char *name = NULL;
		if (!unshown)
			continue;
		if (!c->shared && ai && c->arch == ai->audit_arch)
			name = sbx_syscall_name(sbx_arch_native(), c->nr);
		if (ln_line_unshown(&line, name, c->nr, c->arch, c->shared, unshown))
			send_line(chan, line.buf, line.len);
	}
}

__attribute__((noreturn)) void ln_notify_exit(int chan, int code)
{
	ln_notify_counts(chan);
	_exit(code);
}

/* One denial: counted, and its line sent unless too many of this call
 * were (the caller waits for its answer, so the line is on the channel
 * before it goes on). */
void ln_notify_report(int chan, const struct seccomp_notif *req, int e)
{
	const struct sbx_arch_info *ai = sbx_arch_info(sbx_arch_native());
	const char *name = NULL;
	const struct sbx_report_call *c;
	enum sbx_report_show show;
	struct ln_line line;
	uint64_t args[6];

	show = sbx_report_tally_add(&tally, req->data.arch, req->data.nr, &c);
	if (show == SBX_REPORT_COUNT)
		return;     /* one denial too many of this call to send it */
	if (ai && req->data.arch == ai->audit_arch)
		name = sbx_syscall_name(sbx_arch_native(), req->data.nr);
	for (int i = 0; i < 6; i++)
		args[i] = req->data.args[i];
	if (ln_line_violation(&line, name, req->data.nr, req->data.arch, args, (int)req->pid, e,
			      show == SBX_REPORT_SHOW_LAST))
		send_line(chan, line.buf, line.len);
}

/* A call that names a file, allowed by the filter: will the sandbox's file
 * rules refuse it? Only a line; the call continues either way (the answer
 * is CONTINUE, filled by sbx_notify_decide) and the kernel decides. */
static void fs_observe(const struct sbx_prepared *pp, int chan, const struct seccomp_notif *req)
{
	const struct sbx_arch_info *ai = sbx_arch_info(sbx_arch_native());
	static struct sbx_fs_denial d;   /* PATH_MAX twice: not on the stack of a small one */
	const struct sbx_report_call *c;
	struct ln_line line;
	uint64_t args[6];

	if (!pp->observe_fs || chan < 0 || !ai || req->data.arch != ai->audit_arch)
		return;
	for (int i = 0; i < 6; i++)
		args[i] = req->data.args[i];
	if (!sbx_fs_denial_check(pp, (pid_t)req->pid, req->data.nr, args, &d) || !sbx_fs_denial_first(&d))
		return;
	if (sbx_report_tally_add(&tally, req->data.arch, req->data.nr, &c) == SBX_REPORT_COUNT)
		return;
	if (ln_line_fs_violation(&line, d.syscall, d.path, d.access, d.reason, d.allow, d.key, d.flag,
				 (int)req->pid))
		send_line(chan, line.buf, line.len);
}

void ln_notify_answer(const struct sbx_prepared *pp, int lfd, int chan,
		      const struct seccomp_notif *req)
{
	struct seccomp_notif_resp resp;
	int e = sbx_notify_decide(pp, req, &resp);

	/* e < 0: notified for another reason and allowed by the policy. */
	if (e >= 0)
		ln_notify_report(chan, req, e);
	else
		fs_observe(pp, chan, req);
	/* ENOENT: the caller died meanwhile. Nothing to do. */
	ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

/* Ends when no process uses the filter any more, or (with a pid namespace)
 * when the init says the program ended (end_fd hangs up): the init then
 * waits for the counts before the namespace goes. */
static __attribute__((noreturn)) void supervise(const struct sbx_prepared *pp, int chan, int sock,
						 int end_fd)
{
	struct ln_line started;
	bool exec_seen = false;
	int lfd = sbx_fd_recv(sock);

	if (lfd < 0)
		_exit(0);       /* the program failed before its filter was in */
	ln_notify_sync_wakeup(lfd);
	for (;;) {
		struct pollfd pfd[3] = { { .fd = lfd, .events = POLLIN },
					 { .fd = exec_seen ? -1 : sock, .events = POLLIN },
					 { .fd = end_fd, .events = POLLIN } };
		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			ln_notify_exit(chan, 1);
		}
		if (pfd[1].revents) {
			/* The program's end is close-on-exec: it was executed
			 * (an exec error arrived on the channel before this). */
			exec_seen = true;
			ln_line_started(&started);
			send_line(chan, started.buf, started.len);
		}
		if (pfd[0].revents & POLLIN) {
			struct seccomp_notif req;
			memset(&req, 0, sizeof(req));
			if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
				if (errno == EINTR || errno == ENOENT)
					continue;
				ln_notify_exit(chan, 1);
			}
			ln_notify_answer(pp, lfd, chan, &req);
		} else if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
			ln_notify_exit(chan, 0);   /* no process uses the filter any more */
		}
		if (pfd[2].revents)
			ln_notify_exit(chan, 0);   /* the program ended; the namespace goes next */
	}
}

/* In the supervisor: keep the channel, the socket and the end pipe only.
 * Holding the program's stdout would keep its readers waiting for an end
 * of file. */
static void supervisor_fds(int a, int b, int c)
{
	int keep[3] = { a, b, c }, t;
	unsigned from = 0;
	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++)
			if (keep[j] < keep[i])
				t = keep[i], keep[i] = keep[j], keep[j] = t;
	for (int i = 0; i < 3; i++) {
		if (keep[i] < 0)
			continue;
		if ((unsigned)keep[i] > from)
			syscall(SYS_close_range, from, (unsigned)keep[i] - 1, 0U);
		from = (unsigned)keep[i] + 1;
	}
	syscall(SYS_close_range, from, ~0U, 0U);
}

int ln_notify_fork(struct ln_ctx *c, const struct sbx_prepared *pp, bool detach,
		   struct ln_supervisor *sup, struct sbx_error *err)
{
	pid_t pid;
	int status;
	int end[2] = { -1, -1 };

	if (c->notify_peer < 0)
		return 0;
	if (!detach && pipe2(end, O_CLOEXEC))
		return sbx_error_sys(err, errno, "pipe2", "/report", "the supervisor's end pipe: %s",
				     strerror(errno));
	pid = fork();
	if (pid < 0) {
		if (!detach) {
			close(end[0]);
			close(end[1]);
		}
		return sbx_error_sys(err, errno, "fork", "/report", "forking the supervisor: %s",
				     strerror(errno));
	}
	if (pid == 0) {
		sigset_t all;
		if (detach && fork() != 0)
			_exit(0);
		/* Signals the launcher forwards are blocked here too: the
		 * supervisor ends with the filter's users, not on ^C. */
		sigfillset(&all);
		sigdelset(&all, SIGKILL);
		sigprocmask(SIG_SETMASK, &all, NULL);
		if (!detach)
			prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(c->notify_sock);
		supervisor_fds(c->chan_fd, c->notify_peer, end[0]);
		supervise(pp, c->chan_fd, c->notify_peer, end[0]);
	}
	if (detach) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	} else {
		close(end[0]);
		sup->pid = pid;
		sup->end_fd = end[1];
	}
	close(c->notify_peer);
	c->notify_peer = -1;
	return 0;
}

int ln_notify_handoff(struct ln_ctx *c, const struct sbx_prepared *pp, struct sbx_error *err)
{
	int lfd = sbx_prepared_listener_fd(pp);
	int r;

	if (c->notify_sock < 0)
		return 0;
	if (lfd < 0)
		return sbx_error_set(err, SBX_ESYS, EINVAL, "/report",
				     "the filter was installed without a listener");
	/* The listener fd (close-on-exec, as the kernel makes it) and the
	 * socket go away with execve: no close() needed under the filter. */
	r = sbx_fd_send(c->notify_sock, lfd);
	if (r < 0)
		return sbx_error_sys(err, -r, "sendmsg", "/report",
				     "cannot hand the seccomp listener to the supervisor");
	return 0;
}
