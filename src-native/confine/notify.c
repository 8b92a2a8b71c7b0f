/* Denial reporting, supervisor side (see notify.h). */
#include "notify.h"

#include "seccomp_defs.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

int sbx_fd_send(int sock, int fd)
{
	char byte = 0;
	struct iovec iov = { &byte, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	ssize_t n;

	memset(u.buf, 0, sizeof(u.buf));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n == 1)
		return 0;
	return n < 0 ? -errno : -EPIPE;
}

int sbx_fd_recv(int sock)
{
	char byte;
	struct iovec iov = { &byte, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm;
	int fd = -1;
	ssize_t n;

	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

int sbx_notify_decide(const struct sbx_prepared *pp, const struct seccomp_notif *req,
		      struct seccomp_notif_resp *resp)
{
	uint32_t ret = SECCOMP_RET_ERRNO | EPERM;
	uint64_t args[6];
	int e;

	memset(resp, 0, sizeof(*resp));
	resp->id = req->id;
	for (int i = 0; i < 6; i++)
		args[i] = req->data.args[i];
	if (sbx_prepared_denial_ret(pp, req->data.arch, (uint32_t)req->data.nr, args, &ret) < 0)
		ret = SECCOMP_RET_ERRNO | EPERM;
	if ((ret & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW) {
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		return -1;
	}
	/* Kill and trap stay in the filter; anything else is refused. */
	e = (ret & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO ? (int)(ret & SECCOMP_RET_DATA) : EPERM;
	resp->error = -e;
	return e;
}

enum sbx_report_show sbx_report_tally_add(struct sbx_report_tally *t, uint32_t arch, int nr,
					  const struct sbx_report_call **callp)
{
	struct sbx_report_call *c = NULL;

	for (size_t i = 0; i < t->ncalls && !c; i++)
		if (!t->call[i].shared && t->call[i].arch == arch && t->call[i].nr == nr)
			c = &t->call[i];
	if (!c && t->ncalls > SBX_REPORT_CALLS)
		c = &t->call[SBX_REPORT_CALLS];
	if (!c) {
		/* The entry after the last named one is the shared bucket. */
		c = &t->call[t->ncalls];
		*c = (struct sbx_report_call){ .arch = arch, .nr = nr,
					       .shared = t->ncalls == SBX_REPORT_CALLS };
		t->ncalls++;
	}
	c->denials++;
	*callp = c;
	if (c->denials < SBX_REPORT_PER_CALL)
		return SBX_REPORT_SHOW;
	return c->denials == SBX_REPORT_PER_CALL ? SBX_REPORT_SHOW_LAST : SBX_REPORT_COUNT;
}
